"""The context a layer's call runs in: training flag, random keys, carried states, losses, updates."""

from __future__ import annotations

import jax


class CallContext:
    """What a call needs besides weights and inputs.

    `training` switches dropout; `next_rng()` hands out PRNG keys; stateful
    layers read their carried state from `state_in` and write the new one to
    `state_out`; `losses` collects `add_loss` and activity-regularization terms;
    `updates` collects the new values of variables assigned during the call
    (Variable.key -> value), e.g. a batch-normalization layer's moving mean;
    `context_args` holds call-context arguments passed down to nested layers
    (Keras's `_register_call_context_args`, e.g. a `foo_mode=True` given to an outer layer).
    """

    def __init__(self, training=False, rng=None, state_in=None):
        self.training = bool(training)
        self._rng = rng
        self.state_in = dict(state_in or {})
        self.state_out: dict = {}
        self.losses: list = []
        self.updates: dict = {}
        self.context_args: dict = {}

    def next_rng(self):
        if self._rng is None:
            from lstmkit import _random

            self._rng = _random.next_key()
        elif callable(self._rng):
            # Keys are derived only when a layer asks for one, so models without
            # dropout compile no random-number code at all.
            self._rng = self._rng()
        self._rng, sub = jax.random.split(self._rng)
        return sub

    def get_state(self, layer):
        return self.state_out.get(layer._state_key, self.state_in.get(layer._state_key))

    def set_state(self, layer, value):
        self.state_out[layer._state_key] = value


def with_overrides(ctx: CallContext, training=None, context_args=None) -> CallContext:
    """A view of `ctx` for a nested call: `training` and/or call-context arguments overridden.

    The view shares the mutable containers (states, losses, updates) and the key stream, so what
    the nested call collects reaches the caller.
    """
    view = CallContext.__new__(CallContext)
    view.__dict__ = ctx.__dict__.copy()
    if training is not None:
        view.training = bool(training)
    if context_args:
        view.context_args = {**ctx.context_args, **context_args}
    view.state_out, view.losses, view.updates = ctx.state_out, ctx.losses, ctx.updates
    view.next_rng = ctx.next_rng
    return view
