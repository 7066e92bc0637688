"""`lstmkit.ops` on symbolic tensors: one op call becomes one node of a functional graph.

As in Keras 3, `y = ops.concatenate([a, b], axis=-1)` between layers records the call; the graph
runs it again on arrays. The node is an `OpLayer`: a weightless layer whose pure `call` receives
the tensor arguments (a flat list) and re-applies the function with the static arguments it kept.

Output shapes come from `jax.eval_shape`, traced twice with two different sizes substituted for
every unknown (None) dimension: a dimension that differs between the two traces depends on an
unknown one and stays None, one that does not is known.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.layers.base import Layer, unique_name
from lstmkit.layers.input_layer import KerasTensor, symbolic_call
from lstmkit.ops._dispatch import _is_leaf, _var_class, unwrap

# Pairs of stand-ins for unknown dimensions; a later pair is tried only when an op cannot take
# the earlier one (e.g. `reshape(x, (-1, 4))` of a (None, 3) tensor needs an even batch).
_TRIAL_SIZES = ((2, 3), (4, 6), (12, 24))


class OpLayer(Layer):
    """A graph node applying one `lstmkit.ops` function (Keras 3 calls these `Operation`s)."""

    # Keras 3 lists raw ops in `model.operations` but not in `model.layers`; models may use this.
    _is_operation = True
    # Never loadable by name from a file (and its per-op subclasses must not shadow real layers).
    _keras_serializable = False

    def __init__(self, fn, op_name, treedef, static_leaves, slots, out_structs, name=None):
        super().__init__(name=name or unique_name(op_name))
        self.op_name = op_name
        # Set past attribute tracking: the static arguments are the op's, not weights or sub-layers of it.
        var = _var_class()
        for attr, value in (("_fn", fn), ("_treedef", treedef), ("_static_leaves", tuple(static_leaves)),
                            ("_slots", tuple(slots)), ("_out_structs", out_structs),
                            ("_captured", [(i, v) for i, v in enumerate(static_leaves) if isinstance(v, var)])):
            object.__setattr__(self, attr, value)
        self.built = True

    # A Variable passed to the op (e.g. another layer's kernel, `ops.matmul(x, dense.kernel)`) is read
    # from the model's params, so compiled programs see its current, traced value and it gets gradients.
    # One that belongs to no layer of the model is read as it is when the program is traced (as Keras does).
    def gather_params(self, values):
        return {str(j): values[v.key] for j, (_, v) in enumerate(self._captured) if v.key in values}

    def _bind_params(self, params, out=None):
        out = {} if out is None else out
        out.update({v.key: params[str(j)] for j, (_, v) in enumerate(self._captured) if str(j) in params})
        return out

    def _arguments(self, params, tensors):
        leaves = list(self._static_leaves)
        for slot, t in zip(self._slots, tensors):
            leaves[slot] = t
        for j, (slot, v) in enumerate(self._captured):
            leaves[slot] = params.get(str(j), v.value) if params else v.value
        return jax.tree_util.tree_unflatten(self._treedef, leaves)

    def call(self, params, inputs, ctx):
        args, kwargs = self._arguments(params, inputs)
        return self._fn(*args, **kwargs)

    def compute_output_shape(self, input_shape, **kwargs):
        return jax.tree_util.tree_map(lambda s: s[0], self._out_structs, is_leaf=_is_struct)

    def get_config(self):
        raise NotImplementedError(
            f"This model applies `ops.{self.op_name}` directly to symbolic tensors (graph node "
            f"'{self.name}'). lstmkit's model files hold layers only, so the model cannot be saved or "
            "serialized as it is. Do the computation in a layer instead: a built-in one (e.g. "
            "layers.Concatenate, layers.Add, layers.Activation) or a custom Layer subclass registered with "
            "`lstmkit.saving.register_keras_serializable()`. (Keras 3 itself records such raw ops in its files.)"
        )

    def __repr__(self):
        return f"<OpLayer op={self.op_name}, name={self.name}>"


_op_classes: dict = {}


def _op_class(op_name):
    """A subclass named as Keras names the op's class ('top_k' -> TopK), so summaries read as Keras's."""
    cls = _op_classes.get(op_name)
    if cls is None:
        camel = "".join(part[:1].upper() + part[1:] for part in op_name.split("_"))
        cls = _op_classes[op_name] = type(camel, (OpLayer,), {"__module__": __name__, "_keras_serializable": False,
                                                               "__doc__": f"The graph node of `ops.{op_name}`."})
    return cls


def _is_struct(s) -> bool:
    # (shape, dtype) pairs produced by `_output_structs`
    return isinstance(s, tuple) and len(s) == 2 and isinstance(s[0], tuple) and isinstance(s[1], np.dtype)


def _trace(fn, treedef, static_leaves, slots, tensors, size):
    specs = [jax.ShapeDtypeStruct(tuple(size if d is None else int(d) for d in t.shape), jnp.dtype(t.dtype))
             for t in tensors]

    def run(*ts):
        leaves = list(static_leaves)
        for slot, t in zip(slots, ts):
            leaves[slot] = t
        args, kwargs = jax.tree_util.tree_unflatten(treedef, leaves)
        return fn(*tuple(unwrap(a) for a in args), **{k: unwrap(v) for k, v in kwargs.items()})

    return jax.eval_shape(run, *specs)


def _output_structs(fn, op_name, treedef, static_leaves, slots, tensors):
    has_unknown = any(d is None for t in tensors for d in t.shape)
    first_error = None
    for a, b in (_TRIAL_SIZES if has_unknown else _TRIAL_SIZES[:1]):
        try:
            out_a = _trace(fn, treedef, static_leaves, slots, tensors, a)
            out_b = _trace(fn, treedef, static_leaves, slots, tensors, b) if has_unknown else out_a
        except Exception as e:  # noqa: BLE001 (an op may reject one stand-in size and take another)
            first_error = first_error or e
            continue
        leaves_a, tree_a = jax.tree_util.tree_flatten(out_a)
        leaves_b, tree_b = jax.tree_util.tree_flatten(out_b)
        if tree_a != tree_b or any(len(x.shape) != len(y.shape) for x, y in zip(leaves_a, leaves_b)):
            first_error = first_error or ValueError(
                "the number or rank of its outputs depends on a dimension that is unknown (None)")
            continue
        structs = [(tuple(da if da == db else None for da, db in zip(x.shape, y.shape)), np.dtype(x.dtype))
                   for x, y in zip(leaves_a, leaves_b)]
        return jax.tree_util.tree_unflatten(tree_a, structs)
    shapes = [t.shape for t in tensors]
    raise ValueError(
        f"`ops.{op_name}` cannot be applied to symbolic tensors of shapes {shapes}: {first_error}"
    ) from first_error


def symbolic_op(fn, op_name, args, kwargs):
    """Record `fn(*args, **kwargs)` (some leaves KerasTensors) as a graph node; return KerasTensors."""
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_leaf)
    slots = [i for i, leaf in enumerate(leaves) if isinstance(leaf, KerasTensor)]
    tensors = [leaves[i] for i in slots]
    static = [None if isinstance(leaf, KerasTensor) else leaf for leaf in leaves]
    structs = _output_structs(fn, op_name, treedef, static, slots, tensors)
    layer = _op_class(op_name)(fn, op_name, treedef, static, slots, structs)
    outputs = symbolic_call(layer, list(tensors), (), {})
    # The graph's tensors are float32 unless told otherwise; ops also give ints and bools.
    out_leaves = jax.tree_util.tree_leaves(outputs, is_leaf=lambda t: isinstance(t, KerasTensor))
    struct_leaves = jax.tree_util.tree_leaves(structs, is_leaf=_is_struct)
    for t, (_, dtype) in zip(out_leaves, struct_leaves):
        t.dtype = dtype.name
    return outputs
