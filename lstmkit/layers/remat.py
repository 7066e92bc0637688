"""Rematerialization (gradient checkpointing): Keras 3's `RematScope`, on `jax.checkpoint`.

Layers created inside `with RematScope(mode=...)` recompute their intermediate values in the
backward pass instead of keeping them, trading compute for memory (long sequences, wide layers):

- "full": every such layer's call;
- "larger_than": layers whose output has more than `output_size_threshold` elements;
- "list_of_layers": the layers named in `layer_names`;
- "activations": only the activation functions of layers that have one (`Dense(..., activation=...)`;
  recurrent layers' activations live inside their fused kernels, whose backward pass is written by hand
  and already recomputes the gates, so this mode leaves them as they are).

A rematerialized call is run as one pure function of (weights, inputs, random key, carried states), so it
can be checkpointed; what it adds to the call context (losses, states, assigned variables) is handed back.
"""

from __future__ import annotations

import functools
import math
import threading

import jax

_local = threading.local()
_MODES = ("full", "activations", "larger_than", "list_of_layers", None)


class RematScope:
    """`with RematScope(mode="full"):` layers created inside are rematerialized (see the module docstring)."""

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', 'larger_than', "
                             "'list_of_layers', or None.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = list(layer_names or [])

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        _stack().pop()


def _stack() -> list:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def get_current_remat_mode():
    """The innermost RematScope in force (None when none, or when it says mode=None)."""
    stack = _stack()
    return stack[-1] if stack and stack[-1].mode is not None else None


def remat(f):
    """`f` recomputed in the backward pass (Keras's `keras.remat`): `jax.checkpoint`."""
    return jax.checkpoint(f)


def wraps_call(layer, output_size) -> bool:
    """Whether `layer`'s whole call is rematerialized, given its output's element count."""
    mode = layer.__dict__.get("_remat_mode")
    if mode is None:
        return False
    if mode.mode == "full":
        return True
    if mode.mode == "list_of_layers":
        return layer.name in mode.layer_names
    if mode.mode == "larger_than":
        return output_size() > mode.output_size_threshold
    return False


def call_rematerialized(layer, run, params, inputs, ctx, args, kwargs):
    """`run(params, inputs, ctx, args, kwargs)` under the layer's RematScope mode."""
    from lstmkit.layers.context import CallContext
    from lstmkit.layers.variables import value_scope

    mode = layer._remat_mode
    if mode.mode == "activations":
        activation = getattr(layer, "activation", None)
        if activation is None or not _activation_is_plain(layer):
            return run(params, inputs, ctx, args, kwargs)
        object.__setattr__(layer, "activation", remat(activation))
        try:
            return run(params, inputs, ctx, args, kwargs)
        finally:
            object.__setattr__(layer, "activation", activation)
    is_array = lambda v: all(hasattr(t, "shape") for t in jax.tree_util.tree_leaves(v)) and jax.tree_util.tree_leaves(v)
    dynamic = {k: v for k, v in kwargs.items() if is_array(v)}
    static = {k: v for k, v in kwargs.items() if k not in dynamic}
    owner = _rng_owner(ctx)
    key = _current_key(owner) if ctx.training else None  # the same key stream as without remat
    states = {**ctx.state_in, **ctx.state_out}
    scope_values = _outer_values()

    def pure(params, inputs, args, dynamic, key, states):
        sub = CallContext(training=ctx.training, rng=key, state_in=states)
        sub.context_args = ctx.context_args
        if hasattr(ctx, "_eager_default"):
            sub._eager_default = ctx._eager_default
        with value_scope(scope_values, sub, isolated=True):  # what the call assigns stays inside, then is handed back
            out = run(params, inputs, sub, args, {**static, **dynamic})
        return out, list(sub.losses), dict(sub.state_out), dict(sub.updates), sub._rng

    def size():
        shapes = jax.eval_shape(pure, params, inputs, args, dynamic, key, states)[0]
        return sum(math.prod(s.shape) for s in jax.tree_util.tree_leaves(shapes))

    if not wraps_call(layer, size):
        return run(params, inputs, ctx, args, kwargs)
    out, losses, state_out, updates, new_key = remat(pure)(params, inputs, args, dynamic, key, states)
    if key is not None:
        owner._rng = new_key
    ctx.losses.extend(losses)
    ctx.state_out.update(state_out)
    ctx.updates.update(updates)
    return out


def _rng_owner(ctx):
    """The context whose key stream a (possibly overriding) view of it draws from."""
    while "next_rng" in ctx.__dict__ and getattr(ctx.next_rng, "__self__", None) is not None:
        ctx = ctx.next_rng.__self__
    return ctx


def _current_key(ctx):
    if ctx._rng is None:
        from lstmkit import _random

        ctx._rng = _random.next_key()
    elif callable(ctx._rng):
        ctx._rng = ctx._rng()
    return ctx._rng


def _outer_values() -> dict:
    from lstmkit.layers.variables import current_scope

    scope = current_scope()
    return dict(scope.values) if scope is not None else {}


def _activation_is_plain(layer) -> bool:
    # Recurrent layers pick a hand-written derivative for their activation inside the fused kernel.
    return not hasattr(layer, "_cell_params") and not hasattr(layer, "cell_equations")


def rematerialized_call(layer, layer_call):
    """Keras's `Layer.rematerialized_call`: `layer_call`, rematerialized as the layer's mode says."""
    mode = layer.__dict__.get("_remat_mode")
    if mode is None:
        return layer_call
    if mode.mode == "activations":
        activation = getattr(layer, "activation", None)
        if activation is None:
            return layer_call

        @functools.wraps(layer_call)
        def with_rematerialized_activation(*args, **kwargs):
            object.__setattr__(layer, "activation", remat(activation))
            try:
                return layer_call(*args, **kwargs)
            finally:
                object.__setattr__(layer, "activation", activation)

        return with_rematerialized_activation
    if mode.mode in ("full", "list_of_layers") and wraps_call(layer, lambda: 0):
        return remat(layer_call)
    return layer_call
