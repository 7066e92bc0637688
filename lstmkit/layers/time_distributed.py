"""TimeDistributed: apply one layer (same weights) to every time step of a sequence."""

from __future__ import annotations

import jax

from lstmkit.layers.base import Layer


class TimeDistributed(Layer):
    """`TimeDistributed(Dense(1))` maps (batch, time, features) -> (batch, time, 1) with one Dense."""

    supports_masking = True

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"TimeDistributed wraps a Layer instance, e.g. TimeDistributed(Dense(1)); received {layer!r}."
            )
        super().__init__(**kwargs)
        self.layer = self._track("layer", layer)

    def _check_input_shape(self, shape):
        if len(shape) < 3:
            raise ValueError(
                f"`TimeDistributed` layer '{self.name}' needs input of at least rank 3 (batch, time, ...); "
                f"received input shape {tuple(shape)}. Does the layer before it use return_sequences=True?"
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.layer._maybe_build((input_shape[0],) + tuple(input_shape[2:]))
        self.built = True

    def call(self, params, inputs, ctx, mask=None):
        b, t = inputs.shape[0], inputs.shape[1]
        flat = inputs.reshape((b * t,) + inputs.shape[2:])
        out, _ = self.layer.apply(params["layer"], flat, ctx)
        return jax.tree_util.tree_map(lambda o: o.reshape((b, t) + o.shape[1:]), out)

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((input_shape[0],) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self):
        from lstmkit.layers.serialization import serialize_layer

        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """`config['layer']` may be a layer or its serialized form (Keras 2 or 3)."""
        from lstmkit.layers.serialization import deserialize_layer

        config = dict(config)
        if not isinstance(config.get("layer"), Layer):
            config["layer"] = deserialize_layer(config.get("layer"), custom_objects=custom_objects)
        return cls(**config)

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    def keras_legacy_weight_names(self, prefix):
        # Keras 2 names TimeDistributed's weights after the wrapper alone ('td/kernel:0').
        names = {v.key: f"{prefix}/{v.name}:0" for v in self._vars}
        names.update(self.layer.keras_legacy_weight_names(prefix))
        return names

    @classmethod
    def to_keras2_config(cls, config, where, convert):
        config["layer"] = convert(config["layer"], where)
        return config

    def param_count_formula(self):
        inner = self.layer.checked_param_count_formula()
        if inner is None:
            return None
        expr, count, legend = inner
        return expr, count, f"the wrapped {type(self.layer).__name__}, shared by every time step: {legend}"

    def traces_steps(self) -> bool:
        return self.layer.traces_steps()

    def trace_steps(self, params, inputs, mask=None, initial_state=None, states=None):
        raise NotImplementedError(f"trace(): layer {self.name!r} is a TimeDistributed recurrent layer "
                                  "(4-D input); trace() covers recurrent layers on (samples, time, features).")
