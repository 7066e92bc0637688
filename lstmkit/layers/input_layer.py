"""Symbolic tensors for the functional API: `Input`, `InputLayer`, `KerasTensor`, nodes."""

from __future__ import annotations

import warnings

import jax
import numpy as np

from lstmkit.layers import shape_inference
from lstmkit.ops.tensor_operators import TensorOperators
from lstmkit.layers.base import Layer, _as_batch_size, _as_shape, unique_name


class KerasTensor(TensorOperators):
    """A placeholder for a tensor in a model graph: a shape (None = unknown) and a dtype.

    Python operators on it (`a + b`, `x[:, -1]`, `x @ w`) record `lstmkit.ops` nodes, as in Keras 3.
    """

    sparse = False  # Keras's KerasTensor attributes (lstmkit has dense tensors only)
    ragged = False

    def __init__(self, shape, dtype="float32", name=None, node=None, index=0):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name
        self._node = node
        self._index = index

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __iter__(self):
        raise TypeError(
            "A KerasTensor is a single symbolic tensor and cannot be unpacked; "
            "a layer returns a list of tensors only when it has several outputs (e.g. return_state=True)."
        )

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no truth value.")


def _is_kt(x) -> bool:
    return isinstance(x, KerasTensor)


class Node:
    """One call of a layer in a graph: its symbolic arguments and outputs."""

    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer = layer
        self.call_args = call_args  # (inputs, *args) with KerasTensors as leaves
        self.call_kwargs = call_kwargs
        self.outputs = outputs
        flat = jax.tree_util.tree_leaves((call_args, call_kwargs), is_leaf=_is_kt)
        self.input_tensors = [t for t in flat if _is_kt(t)]

    @property
    def inputs(self):
        return self.call_args[0]


class InputLayer(Layer):
    """The layer behind `Input`: it declares a model input's shape (without batch)."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, name=None, ragged=None, optional=False, **kwargs):
        legacy_shape = kwargs.pop("input_shape", None)
        legacy_batch = kwargs.pop("batch_input_shape", None)
        if legacy_shape is not None:
            warnings.warn("Argument `input_shape` is deprecated. Use `shape` instead.", stacklevel=2)
        if sparse:
            raise ValueError("InputLayer: sparse inputs are not supported by lstmkit.")
        if ragged:
            raise ValueError("InputLayer: ragged inputs are not supported by lstmkit.")
        if optional:
            raise ValueError("InputLayer: optional inputs (optional=True) are not supported by lstmkit.")
        shape = shape if shape is not None else legacy_shape
        batch_shape = batch_shape if batch_shape is not None else legacy_batch
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError("Argument `input_tensor` must be a KerasTensor. Received invalid type: "
                                 f"input_tensor={input_tensor} (of type {type(input_tensor)})")
            for arg, value, ok in (("batch_size", batch_size, batch_size in (None, input_tensor.shape[0])),
                                   ("shape", shape, shape is None or tuple(shape) == input_tensor.shape[1:]),
                                   ("batch_shape", batch_shape, batch_shape is None
                                    or tuple(batch_shape) == input_tensor.shape)):
                if not ok:
                    raise ValueError(f"When providing the `input_tensor` argument, you cannot provide an "
                                     f"incompatible `{arg}` argument: received {arg}={value} for a tensor of "
                                     f"shape {input_tensor.shape}.")
            if dtype is not None and str(np.dtype(getattr(dtype, "name", dtype))) != str(input_tensor.dtype):
                raise ValueError(f"When providing the `input_tensor` argument, you cannot provide an incompatible "
                                 f"`dtype` argument: received dtype={dtype} for a tensor of dtype "
                                 f"{input_tensor.dtype}.")
            shape, batch_shape, dtype = None, input_tensor.shape, input_tensor.dtype
        if shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
        if batch_size is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `batch_size` and `batch_shape` at the same time.")
        if batch_shape is not None:
            batch_shape = _as_shape(batch_shape, "batch_shape")
        elif shape is not None:
            batch_shape = (_as_batch_size(batch_size),) + _as_shape(shape, "shape")
        else:
            raise ValueError("You must pass a `shape` argument: the shape of one sample, without the batch size, "
                             "e.g. Input(shape=(timesteps, features)).")
        super().__init__(name=name or unique_name("input_layer"), dtype=None, **kwargs)
        self.batch_shape = batch_shape
        self.input_dtype = dtype or "float32"
        self.built = True
        self.sparse, self.ragged, self.optional = False, False, False
        # Given a tensor, this layer becomes its origin (as in Keras); else it makes its own.
        self._output = input_tensor if input_tensor is not None else KerasTensor(batch_shape, self.input_dtype,
                                                                                   name=self.name)
        self._output._node = Node(self, ((),), {}, self._output)
        self._inbound_nodes.append(self._output._node)

    @property
    def output(self):
        return self._output

    def call(self, params=None, inputs=None, ctx=None):
        return inputs  # Keras's InputLayer.call() takes nothing and returns None

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {"batch_shape": tuple(self.batch_shape), "dtype": self.input_dtype, "sparse": False, "ragged": False,
                "name": self.name, "optional": False}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_built_at_init = True  # Keras builds it in __init__, so its files hold no build_config

    @classmethod
    def to_keras2_config(cls, config, where, convert):
        config["batch_input_shape"] = list(config.pop("batch_shape"))  # Keras 2's name for it
        return config


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None, **kwargs):
    """Declare a model input: `Input(shape=(timesteps, features))` returns a symbolic tensor."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name, input_tensor=tensor, **kwargs)
    return layer.output


def symbolic_call(layer: Layer, inputs, args, kwargs):
    """Record `layer(inputs, *args, **kwargs)` in the graph and return symbolic outputs."""
    outputs = output_tensors(layer, inputs, args, kwargs)
    node = Node(layer, (inputs,) + tuple(args), kwargs, outputs)
    for i, t in enumerate(jax.tree_util.tree_leaves(outputs, is_leaf=_is_kt)):
        t._node, t._index = node, i
    layer._inbound_nodes.append(node)
    return outputs


def output_tensors(layer: Layer, inputs, args, kwargs):
    """The symbolic outputs of `layer(inputs, *args, **kwargs)` (building the layer first)."""
    to_shape = lambda t: t.shape if _is_kt(t) else t
    shapes = jax.tree_util.tree_map(to_shape, inputs, is_leaf=_is_kt)
    arg_shapes = [jax.tree_util.tree_map(to_shape, a, is_leaf=_is_kt) for a in args]
    if hasattr(layer, "_check_input_shape"):
        layer._check_input_shape(shapes)
    kt_kwarg_shapes = {k: jax.tree_util.tree_map(to_shape, v, is_leaf=_is_kt) for k, v in kwargs.items()
                       if any(_is_kt(t) for t in jax.tree_util.tree_leaves(v, is_leaf=_is_kt))}
    layer._maybe_build(shapes, *arg_shapes, **kt_kwarg_shapes)
    static_kwargs = {k: v for k, v in kwargs.items() if k not in ("training", "mask")}
    own_shape_rule = type(layer).compute_output_shape is not Layer.compute_output_shape
    counter = iter(range(1 << 30))
    make = lambda shape, dtype: KerasTensor(tuple(None if d is None else int(d) for d in shape), dtype,
                                            name=f"{layer.name}_output_{next(counter)}")
    if own_shape_rule and (not args or layer._keras_style()):
        if args:  # Keras's rule for several tensor arguments: compute_output_shape(a_shape=..., b_shape=...)
            names = layer._call_parameters()
            out_shapes = layer.compute_output_shape(**{f"{n}_shape": s for n, s in zip(names, [shapes] + arg_shapes)})
        else:
            has_kt = lambda v: any(_is_kt(t) for t in jax.tree_util.tree_leaves(v, is_leaf=_is_kt))
            shape_kwargs = {k: (jax.tree_util.tree_map(lambda t: t.shape, v, is_leaf=_is_kt) if has_kt(v) else v)
                            for k, v in static_kwargs.items()}
            out_shapes = layer.compute_output_shape(shapes, **shape_kwargs)
        outputs = jax.tree_util.tree_map(lambda s: make(s, "float32"), _as_shape_tree(out_shapes),
                                         is_leaf=shape_inference.is_shape)
    else:
        to_spec = lambda t: shape_inference.TensorSpec(t.shape, t.dtype) if _is_kt(t) else t
        specs = shape_inference.infer(
            layer, jax.tree_util.tree_map(to_spec, inputs, is_leaf=_is_kt),
            [jax.tree_util.tree_map(to_spec, a, is_leaf=_is_kt) for a in args],
            {k: jax.tree_util.tree_map(to_spec, v, is_leaf=_is_kt) for k, v in static_kwargs.items()})
        outputs = jax.tree_util.tree_map(lambda s: make(s.shape, s.dtype), specs,
                                         is_leaf=lambda s: isinstance(s, shape_inference.TensorSpec))
    return outputs


def _as_shape_tree(shapes):
    """A user's compute_output_shape may return lists for shapes; the graph wants tuples."""
    if isinstance(shapes, list) and shapes and all(d is None or isinstance(d, (int, np.integer)) for d in shapes):
        return tuple(shapes)
    if isinstance(shapes, (list, tuple)) and not shape_inference.is_shape(shapes):
        return type(shapes)(_as_shape_tree(s) for s in shapes)
    return shapes
