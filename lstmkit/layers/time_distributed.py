"""TimeDistributed: apply one layer (same weights) to every time step of a sequence."""

from __future__ import annotations

import jax

from lstmkit.layers.base import Layer
from lstmkit.layers.wrapper import Wrapper


class TimeDistributed(Wrapper):
    """`TimeDistributed(Dense(1))` maps (batch, time, features) -> (batch, time, 1) with one Dense."""

    supports_masking = True

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"TimeDistributed wraps a Layer instance, e.g. TimeDistributed(Dense(1)); received {layer!r}."
            )
        super().__init__(layer, **kwargs)

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
        inner_mask = None
        if mask is not None:
            _check_mask(mask, inputs)
            inner_mask = mask.reshape((b * t,) + mask.shape[2:])  # each step's own mask entry
        out, _ = self.layer.apply(params["layer"], flat, ctx, mask=inner_mask)
        return jax.tree_util.tree_map(lambda o: o.reshape((b, t) + o.shape[1:]), out)

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((input_shape[0],) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def compute_mask(self, inputs, mask=None):
        return mask


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


def _check_mask(mask, inputs):
    if mask.ndim < 2:
        raise ValueError(f"The `mask` passed to the `TimeDistributed` layer must be at least 2D (batch_size, "
                         f"timesteps, ...), but it has {mask.ndim} dimension(s) with shape {tuple(mask.shape)}.")
    if tuple(mask.shape[:2]) != tuple(inputs.shape[:2]):
        raise ValueError(f"The `mask` passed to the `TimeDistributed` layer has a shape {tuple(mask.shape)} that is "
                         f"incompatible with the input shape {tuple(inputs.shape)}: the first two dimensions of "
                         f"the mask (batch size and timesteps) must match the input's. Expected mask shape prefix: "
                         f"{tuple(inputs.shape[:2])}.")
