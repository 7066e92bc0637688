"""Subclassed models: `class M(Model)` with layers made in `__init__` and its own `call(inputs, training=None)`.

Such a model has no graph of nodes. It is built on its first data (a call, `fit`,
`predict`, `build(input_shape)`): symbolic inputs of that shape are made, and its
outputs' shapes come from tracing `call` abstractly, which also builds the layers
it uses. Running it is running `call` under a value scope, so it trains inside
the same compiled epochs as a functional model.
"""

from __future__ import annotations

import jax
import numpy as np

from lstmkit.layers import shape_inference
from lstmkit.layers.input_layer import Input, KerasTensor, Node, _is_kt


def is_subclassed(model) -> bool:
    return is_subclassed_class(type(model))


def is_subclassed_class(cls) -> bool:
    from lstmkit.models.model import Model

    return cls.call is not Model.call and cls._keras_style()


def _is_shape(s) -> bool:
    return shape_inference.is_shape(s)


def build(model, input_shape):
    """Give a subclassed model its symbolic inputs and outputs for inputs of `input_shape` (with batch)."""
    if isinstance(input_shape, list) and input_shape and all(d is None or isinstance(d, int) for d in input_shape):
        input_shape = tuple(input_shape)
    if isinstance(input_shape, dict):
        inputs = {k: Input(batch_shape=tuple(s), name=k) for k, s in input_shape.items()}
    else:
        inputs = jax.tree_util.tree_map(lambda s: Input(batch_shape=tuple(s)), input_shape, is_leaf=_is_shape)
    flat_inputs = [t for t in jax.tree_util.tree_leaves(inputs, is_leaf=_is_kt) if _is_kt(t)]
    to_spec = lambda t: shape_inference.TensorSpec(t.shape, t.dtype)
    specs = shape_inference.infer(model, jax.tree_util.tree_map(to_spec, inputs, is_leaf=_is_kt))
    is_spec = lambda s: isinstance(s, shape_inference.TensorSpec)
    outputs = jax.tree_util.tree_map(lambda s: KerasTensor(s.shape, s.dtype), specs, is_leaf=is_spec)
    flat_outputs = [t for t in jax.tree_util.tree_leaves(outputs, is_leaf=_is_kt) if _is_kt(t)]
    if isinstance(outputs, dict):
        names = list(outputs)
    elif len(flat_outputs) == 1:
        names = [model.name]
    else:
        names = [f"output_{i}" for i in range(len(flat_outputs))]
    node = Node(model, (inputs,), {}, outputs)
    for i, (t, name) in enumerate(zip(flat_outputs, names)):
        t._node, t._index, t.name = node, i, name
    model._input_struct, model._output_struct = inputs, outputs
    model._flat_inputs, model._flat_outputs = flat_inputs, flat_outputs
    model._subclassed_output_names = names
    model._nodes = []
    model._graph_version = model.__dict__.get("_graph_version", 0) + 1
    model._inference = {}
    model._graph_ready = True
    model.built = True
    model._build_shape = input_shape


def data_shapes(model, inputs):
    """The input shape (with a None batch size, unless stateful) of data a subclassed model first sees."""
    stateful = bool(model._stateful_layers())

    def shape(a):
        s = tuple(np.shape(a))
        if not s:
            raise ValueError(f"Model '{model.name}' input must have a batch dimension; received a scalar.")
        return s if stateful else (None,) + s[1:]

    return jax.tree_util.tree_map(shape, inputs, is_leaf=lambda a: hasattr(a, "shape"))


def run(model, params, flat_inputs, ctx):
    """Flat outputs and masks of the model's own `call` on `flat_inputs` (ordered as `model.inputs`)."""
    it = iter(flat_inputs)
    inputs = jax.tree_util.tree_map(lambda t: next(it), model._input_struct, is_leaf=_is_kt)
    outputs = model._call_keras_style(params, inputs, ctx, (), None, None, {})
    flat = jax.tree_util.tree_leaves(outputs)
    if len(flat) != len(model._flat_outputs):
        raise ValueError(f"Model '{model.name}' returned {len(flat)} outputs from `call`, but {len(model._flat_outputs)} "
                         "when it was built; a model's outputs must not depend on its data.")
    return flat, [None] * len(flat)


def keras_children(model) -> list:
    """Where Keras 3's weight files put a subclassed model's layers: its attributes that hold layers (or
    lists and dicts of them) and its `layers` list, by attribute name with private ones last."""
    from lstmkit.layers.base import Layer
    from lstmkit.layers.tracking import _UNTRACKED

    def holds_layers(value):
        if isinstance(value, Layer):
            return True
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
        return any(isinstance(v, Layer) for v in items)

    children = {name: value for name, value in model.__dict__.items()
                if not name.startswith("__") and name not in _UNTRACKED and holds_layers(value)}
    children["layers"] = model.layers
    order = sorted(children, key=lambda a: ("~" + a) if a.startswith("_") else a)
    return [(name, children[name]) for name in order]
