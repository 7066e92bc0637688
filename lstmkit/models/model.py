"""`Model`: a graph of layers with Keras's training API (see lstmkit.training.trainer)."""

from __future__ import annotations

import warnings

import jax

from lstmkit.layers.base import Layer, snake_case, unique_name
from lstmkit.layers.input_layer import InputLayer, KerasTensor, _is_kt
from lstmkit.models import functional, subclassed
from lstmkit.training.trainer import Trainer


class Model(Trainer, Layer):
    """A model built with the functional API: `Model(inputs, outputs)`.

    Models are layers too, so a model can be called on tensors inside
    another model.
    """

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        if inputs is None or outputs is None:
            if type(self) is Model:
                raise ValueError(
                    "Model() needs `inputs` and `outputs` (functional API), e.g. "
                    "`Model(inputs=Input((3, 1)), outputs=y)`; or use `Sequential`."
                )
        Layer.__init__(self, name=name or unique_name(self._default_name()), trainable=trainable, **kwargs)
        Trainer.__init__(self)
        self._graph_ready = False
        if inputs is not None and outputs is not None:
            self._init_graph(inputs, outputs)

    @classmethod
    def _default_name(cls):
        # Keras's: 'functional' for Model itself, the class name in snake case for users' subclasses.
        return "functional" if cls is Model else snake_case(cls.__name__)

    # ----------------------------------------------------------------- graph
    def _init_graph(self, inputs, outputs):
        # A new graph (e.g. after Sequential.add/pop) gets new compiled programs: the inference cache
        # goes, and a compiled model makes its training programs again when next used.
        self._graph_version = self.__dict__.get("_graph_version", 0) + 1
        self._inference = {}
        if self.__dict__.get("_engine") is not None:
            self._engine = None
        if isinstance(inputs, tuple):
            inputs = list(inputs)
        if isinstance(outputs, tuple):
            outputs = list(outputs)
        self._input_struct = inputs
        self._output_struct = outputs
        self._flat_inputs = functional.flatten_tensors(inputs)
        self._flat_outputs = functional.flatten_tensors(outputs)
        for t in self._flat_inputs + self._flat_outputs:
            if not _is_kt(t):
                raise ValueError(f"Model inputs and outputs must be symbolic tensors from `Input` and layers, received: {t!r}")
        for t in self._flat_inputs:
            if not isinstance(t._node.layer, InputLayer):
                raise ValueError(f"Model inputs must come from `Input(...)`; '{t.name}' is the output of layer '{t._node.layer.name}'.")
        self._nodes = functional.topological_nodes(self._flat_inputs, self._flat_outputs)
        layers, seen = [], set()
        for t in self._flat_inputs:
            layers.append(t._node.layer)
            seen.add(id(t._node.layer))
        for node in self._nodes:
            if id(node.layer) not in seen:
                seen.add(id(node.layer))
                layers.append(node.layer)
        names = [l.name for l in layers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"All layer names in a model must be unique; found duplicates: {dup}.")
        # Keras's order (not the order of our traversal): `model.layers[i]`, the weights' order and the
        # layer order of saved files all follow it.
        self._graph_layers = functional.keras_layer_order(self._flat_inputs, self._flat_outputs)
        self._sublayers = {l.name: l for l in self._graph_layers if not isinstance(l, InputLayer)}
        self._sublayers_trainable_sync()
        self._graph_ready = True
        self.built = True

    def _sublayers_trainable_sync(self):
        if not self._trainable:
            for l in self._sublayers.values():
                l.trainable = False

    @property
    def layers(self) -> list[Layer]:
        if subclassed.is_subclassed(self):
            return list(self._sublayers.values())
        if not self._graph_ready:
            return []
        # Keras leaves the ops recorded between layers (`ops.concatenate(...)`, `a + b`) out of `layers`.
        return [l for l in self._graph_layers if not getattr(l, "_is_operation", False)]

    @property
    def inputs(self) -> list[KerasTensor]:
        return list(self._flat_inputs)

    @property
    def outputs(self) -> list[KerasTensor]:
        return list(self._flat_outputs)

    @property
    def input(self):
        return self._input_struct

    @property
    def output(self):
        return self._output_struct

    @property
    def input_names(self) -> list[str]:
        return [t._node.layer.name for t in self._flat_inputs]

    @property
    def output_names(self) -> list[str]:
        if subclassed.is_subclassed(self):
            return list(self.__dict__.get("_subclassed_output_names", []))
        return [t._node.layer.name for t in self._flat_outputs]

    def get_layer(self, name=None, index=None):
        if index is not None:
            if name is not None:
                raise ValueError("Provide only a layer name or a layer index, not both.")
            if not 0 <= index < len(self.layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has {len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[l.name for l in self.layers]}.")

    # ----------------------------------------------------------------- execution
    def _flatten_call_inputs(self, inputs) -> list:
        n = len(self._flat_inputs)
        if isinstance(inputs, dict):
            missing = [k for k in self.input_names if k not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}' expects inputs named {self.input_names}; missing {missing}.")
            return [inputs[k] for k in self.input_names]
        if n == 1:
            if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
                return [inputs[0]]
            return [inputs]
        if not isinstance(inputs, (list, tuple)) or len(inputs) != n:
            got = f"{len(inputs)} arrays" if isinstance(inputs, (list, tuple)) else "a single array"
            raise ValueError(f"Model '{self.name}' expects {n} inputs ({self.input_names}), but received {got}.")
        return list(inputs)

    def _structure_outputs(self, flat):
        it = iter(flat)
        return jax.tree_util.tree_map(lambda t: next(it), self._output_struct, is_leaf=_is_kt)

    def _run(self, params, inputs, ctx, mask=None):
        self._require_graph()
        flat = self._flatten_call_inputs(inputs)
        if subclassed.is_subclassed(self):
            return subclassed.run(self, params, flat, ctx)
        if mask is None:
            masks = [None] * len(flat)
        elif isinstance(mask, (list, tuple)):
            masks = list(mask)
        else:
            masks = [mask]
        return functional.run_graph(self._nodes, self._flat_inputs, flat, masks, self._flat_outputs, params, ctx)

    def call(self, params, inputs, ctx, mask=None):
        return self._structure_outputs(self._run(params, inputs, ctx, mask)[0])

    def apply(self, params, inputs, ctx, *args, mask=None, **kwargs):
        if subclassed.is_subclassed(self):
            return Layer.apply(self, params, inputs, ctx, *args, mask=mask, **kwargs)
        if args:
            raise TypeError(f"Model '{self.name}' takes its inputs as one argument (a list or dict for several).")
        from lstmkit.layers.context import with_overrides

        training = kwargs.pop("training", None)
        own = {k: kwargs.pop(k) for k in list(kwargs) if k in self._call_context_args}
        if training is not None or own:  # passed on to the graph's layers through the context
            ctx = with_overrides(ctx, training, own)
        if kwargs:
            raise TypeError(f"Model '{self.name}' got unexpected call arguments: {sorted(kwargs)}")
        outs, out_masks = self._run(params, inputs, ctx, mask)
        if len(self._flat_outputs) == 1:
            return outs[0], out_masks[0]
        return self._structure_outputs(outs), out_masks

    def apply_flat(self, values, states, inputs, training=False, rng=None):
        """Pure forward pass of the whole model.

        values: dict Variable.key -> array; states: dict of stateful layers' states.
        Returns (flat outputs, flat output masks, new states, extra losses, updates), where
        `updates` (Variable.key -> array) are the variables that layers assigned while running.
        """
        from lstmkit.layers.base import CallContext

        ctx = CallContext(training=training, rng=rng, state_in=states)
        params = self.gather_params(values)
        outs, masks = self._run(params, inputs, ctx)
        new_states = dict(states)
        new_states.update(ctx.state_out)
        return outs, masks, new_states, ctx.losses, ctx.updates

    def _require_graph(self):
        if not self._graph_ready:
            raise ValueError(
                f"Model '{self.name}' has not been built yet: it does not know its input shape. "
                "Give the first layer an `input_shape=`, start with `Input(shape=...)`, call `build()`, "
                "or call the model on data first."
            )

    def build(self, input_shape=None):
        if subclassed.is_subclassed(self) and not self._graph_ready:
            if input_shape is None:
                raise ValueError(f"{type(self).__name__}.build() needs an `input_shape`, e.g. (None, timesteps, features).")
            subclassed.build(self, input_shape)
        self.built = True

    def compute_output_shape(self, input_shape, **kwargs):
        self._require_graph()
        return super().compute_output_shape(input_shape, **kwargs)

    def __call__(self, inputs, *args, **kwargs):
        if not self._graph_ready:
            self._build_from_data(inputs)
        return Layer.__call__(self, inputs, *args, **kwargs)

    def _build_from_data(self, inputs):
        if subclassed.is_subclassed(self) and not self._graph_ready:
            if isinstance(inputs, KerasTensor) or any(_is_kt(t) for t in jax.tree_util.tree_leaves(
                    inputs, is_leaf=_is_kt)):
                shapes = jax.tree_util.tree_map(lambda t: t.shape, inputs, is_leaf=_is_kt)
            else:
                shapes = subclassed.data_shapes(self, inputs)
            if type(self).build is not Model.build and not self.built:  # the user's own build first
                self.build(shapes)
                self.built = True
            if not self._graph_ready:
                subclassed.build(self, shapes)
            return
        self._require_graph()

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None, explain=False):
        """Print Keras 3's table: Layer (type), Output Shape, Param #, then the totals.

        explain=True (lstmkit's addition) adds under each layer how its parameter
        count is computed with its numbers, e.g. `4 × ((1 + 5) × 5 + 5) = 140`.
        """
        from lstmkit.models.summary import print_summary

        if line_length is not None or positions is not None or expand_nested or layer_range is not None:
            warnings.warn("summary(): line_length, positions, expand_nested and layer_range do not change "
                          "lstmkit's fixed Keras-3 layout.", stacklevel=2)
        print_summary(self, print_fn=print_fn, show_trainable=show_trainable, explain=bool(explain))

    # ----------------------------------------------------------------- config and files (lstmkit.saving)
    def get_config(self):
        """Keras 3's config of this model (functional: layers with `inbound_nodes`; Sequential: its layers)."""
        if subclassed.is_subclassed(self):  # Keras's automatic config: the arguments it was made with
            return Layer.get_config(self)
        from lstmkit.models.config import model_config

        return model_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from `get_config()` output, Keras 3's or Keras 2's."""
        from lstmkit.layers import serialization

        if subclassed.is_subclassed_class(cls) and not (isinstance(config, dict) and "layers" in config):
            return cls(**config)

        entry = {"class_name": cls.__name__, "config": config}
        keras2 = _looks_keras2(config)
        with serialization.load_context(custom_objects, keras2):
            from lstmkit.models.config import model_from_config_entry

            return model_from_config_entry(cls, entry)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the architecture, weights, compile settings and optimizer state.

        '.keras': Keras 3's zip format; '.h5' / '.hdf5': the legacy HDF5 format. The file is written
        under a temporary name and then renamed, so an interrupted save leaves the old file intact.
        `include_optimizer=False` leaves the optimizer state out.
        """
        from lstmkit.saving.api import save_model

        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, **kwargs):
        """Save the weights: '.weights.h5' in Keras 3's layout, any other '.h5' in the legacy layout."""
        from lstmkit.saving.api import save_weights

        save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights from '.weights.h5', '.keras' or a legacy '.h5' (`by_name=True` matches layer names)."""
        from lstmkit.saving.api import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Export the model for inference, as Keras 3's `Model.export`; lstmkit writes `format="onnx"` only
        (`opset_version=` as Keras's). Needs `pip install lstmkit[onnx]`. See `lstmkit.export`."""
        from lstmkit.export import export_model

        export_model(self, filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs)

    def to_json(self, **kwargs):
        """The model's architecture (and compile settings) as Keras 3's JSON; `kwargs` go to `json.dumps`."""
        from lstmkit.saving.api import model_to_json

        return model_to_json(self, **kwargs)

    def to_yaml(self, **kwargs):
        """Removed from Keras (TF 2.6): YAML loading could run arbitrary code. Use `to_json()`."""
        raise RuntimeError(
            "Method `model.to_yaml()` has been removed due to security risk of arbitrary code execution. "
            "Please use `model.to_json()` instead."
        )

    def reset_states(self):
        """Zero the carried state of every stateful layer (Keras: `model.reset_states()`)."""
        for layer in self._stateful_layers():
            layer.reset_states()

    # Keras 3 spelling
    reset_state = reset_states

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # --- facts a model owns (saving, summary, inspect): the hooks of `Layer`, for a graph of layers
    _keras_class_name = "Functional"  # what Keras writes for a functional model
    _keras_model = True

    def keras_serialized(self):
        if subclassed.is_subclassed(self):
            return None  # written as any user's layer: class, module, config, build_config
        from lstmkit.models.config import serialize_model

        return serialize_model(self)

    @classmethod
    def keras_from_serialized(cls, entry):
        if subclassed.is_subclassed_class(cls):
            return None  # made from its config, then built from its build_config
        from lstmkit.models.config import model_from_config_entry

        return model_from_config_entry(cls, entry)

    def keras_layers(self):
        if subclassed.is_subclassed(self):
            return None
        from lstmkit.models.config import keras_layer_order

        return keras_layer_order(self)

    def keras_children(self):
        if subclassed.is_subclassed(self):
            return subclassed.keras_children(self)
        return Layer.keras_children(self)


def _looks_keras2(config) -> bool:
    """A bare model config (no version to go by) is Keras 2's when its layers carry no 'module' key."""
    layers = config.get("layers") if isinstance(config, dict) else config
    if not isinstance(layers, list) or not layers:
        return False
    for entry in layers:
        if not isinstance(entry, dict) or "module" in entry:
            return False
        dtype = (entry.get("config") or {}).get("dtype") if isinstance(entry.get("config"), dict) else None
        if isinstance(dtype, dict) and dtype.get("class_name") == "DTypePolicy":  # Keras 3 writes these
            return False
    return True
