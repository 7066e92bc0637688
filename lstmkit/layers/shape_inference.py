"""Output shapes of a layer by tracing its call abstractly (nothing is computed).

Unknown sizes (None) cannot be traced, so the call is traced twice, with every
unknown size set to 83 and then to 89 (as Keras 3's JAX backend does): a size
that differs between the two traces depends on an unknown one and is reported
as None; a size that is the same in both is real, even if it happens to be 83.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

_TRIAL_SIZES = (83, 89)


def is_shape(s) -> bool:
    return isinstance(s, tuple) and all(d is None or isinstance(d, (int, np.integer)) for d in s)


class TensorSpec:
    """A symbolic argument: a shape with None for unknown sizes, and a dtype."""

    def __init__(self, shape, dtype="float32"):
        self.shape = tuple(shape)
        self.dtype = dtype


def _is_spec(x) -> bool:
    return isinstance(x, TensorSpec)


def infer(layer, inputs, args=(), kwargs=None, ctx_factory=None):
    """Output specs (shape with None, dtype) of `layer.apply(params, inputs, ctx, *args, **kwargs)`.

    `inputs`, `args`, `kwargs`: pytrees whose `TensorSpec` leaves are the symbolic tensors;
    other leaves are passed to the call as they are.
    """
    from lstmkit.layers.base import CallContext

    kwargs = dict(kwargs or {})
    tree = (inputs, tuple(args), kwargs)
    leaves, treedef = jax.tree_util.tree_flatten(tree, is_leaf=_is_spec)
    spec_pos = [i for i, leaf in enumerate(leaves) if _is_spec(leaf)]
    first_batch = next((leaves[i].shape[0] for i in spec_pos if leaves[i].shape), None)

    def trace(size):
        concrete = [jax.ShapeDtypeStruct(tuple(size if d is None else int(d) for d in leaves[i].shape),
                                         jnp.dtype(leaves[i].dtype)) for i in spec_pos]

        def run(p, tensors):
            filled = list(leaves)
            for i, t in zip(spec_pos, tensors):
                filled[i] = t
            ins, a, kw = jax.tree_util.tree_unflatten(treedef, filled)
            ctx = CallContext(training=False, rng=jax.random.PRNGKey(0))
            if layer.stateful:
                ctx.state_in[layer._state_key] = layer.initial_state(size if first_batch is None else first_batch)
            return layer.apply(p, ins, ctx, *a, **kw)[0]

        # Params are read per trace: the first one may build the layers a Keras-style call uses.
        return jax.eval_shape(run, layer.current_params(), concrete)

    seen = [{}, {}]  # per trace: the output shapes of the layers called inside `call` (for summary())
    _recorders.append(seen[0])
    try:
        first = trace(_TRIAL_SIZES[0])
    finally:
        _recorders.pop()
    if not any(None in leaves[i].shape for i in spec_pos):
        _keep_seen_shapes(seen[0], seen[0])
        return jax.tree_util.tree_map(lambda s: TensorSpec(s.shape, s.dtype.name), first)
    _recorders.append(seen[1])
    try:
        second = trace(_TRIAL_SIZES[1])
    finally:
        _recorders.pop()
    _keep_seen_shapes(*seen)
    return jax.tree_util.tree_map(lambda a, b: TensorSpec(_merge(a.shape, b.shape), a.dtype.name), first, second)


def _merge(a, b):
    return tuple(x if x == y else None for x, y in zip(a, b)) if len(a) == len(b) else a


# While a call is traced for its shapes, the layers it calls note their output shapes here.
_recorders: list = []


def record(layer, outputs):
    if _recorders:
        _recorders[-1][id(layer)] = (layer, jax.tree_util.tree_map(lambda a: tuple(a.shape), outputs))


def _keep_seen_shapes(first, second):
    for key, (layer, shapes) in first.items():
        if key in second:
            merged = jax.tree_util.tree_map(_merge, shapes, second[key][1], is_leaf=is_shape)
            layer._seen_output_shape = merged


def infer_output_shape(layer, shapes, kwargs):
    """`compute_output_shape`'s default: shapes (tuples with None) in, shapes out."""
    specs = jax.tree_util.tree_map(lambda s: TensorSpec(s), shapes, is_leaf=is_shape)
    inputs, *args = specs
    layer._maybe_build(*[jax.tree_util.tree_map(lambda s: s.shape, a, is_leaf=_is_spec) for a in specs])
    out = infer(layer, inputs, args, kwargs)
    return jax.tree_util.tree_map(lambda s: s.shape, out, is_leaf=_is_spec)
