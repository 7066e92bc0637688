"""`DropoutRNNCell`: Keras 3's mixin for a user's cell with dropout, one mask per sequence.

A cell mixing it in has `dropout`, `recurrent_dropout` and (optionally) `seed_generator`, and
calls `self.get_dropout_mask(inputs)` / `self.get_recurrent_dropout_mask(h)` in its `call`.
`RNN` draws both masks before its loop (`prepare_dropout_masks`), so every step reuses them, and
clears them after; a cell called on its own draws them at its first call. With
`dropout_mask_count = n` a list of n masks is drawn (one per gate, as Keras's implementation=1).
"""

from __future__ import annotations

import jax.numpy as jnp

from lstmkit.layers import cell_protocol


class DropoutRNNCell:
    """Keras's cached dropout masks for a cell (see the module docstring)."""

    def _create_dropout_mask(self, step_input, dropout_rate):
        from lstmkit import random

        seed = getattr(self, "seed_generator", None)
        ones = jnp.ones_like(step_input)
        count = getattr(self, "dropout_mask_count", None)
        if count is None:
            return random.dropout(ones, rate=dropout_rate, seed=seed)
        return [random.dropout(ones, rate=dropout_rate, seed=seed) for _ in range(count)]

    def get_dropout_mask(self, step_input):
        if getattr(self, "_dropout_mask", None) is None and self.dropout > 0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_input):
        if getattr(self, "_recurrent_dropout_mask", None) is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._create_dropout_mask(step_input, self.recurrent_dropout)
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None


def _mixin_cells(cell, params, step_features, state):
    """[(cell, its params, its step input features, its first state)] of the DropoutRNNCells in `cell`."""
    if isinstance(cell, DropoutRNNCell):
        first = state[0] if isinstance(state, (list, tuple)) else state
        return [(cell, params, step_features, first)]
    out = []
    for i, sub in enumerate(getattr(cell, "cells", None) or []):  # a stack: each cell sees the one below
        sub_params = cell._params(params, i) if hasattr(cell, "_params") else {}
        out += _mixin_cells(sub, sub_params, step_features, state[i])
        step_features = cell_protocol.output_size(sub)
    return out


def prepare_dropout_masks(cell, params, ctx, batch, features, state):
    """Draw the masks of every DropoutRNNCell in `cell` once for this sequence, under `ctx`'s keys.

    Returns the cells prepared, for `clear_dropout_masks` once the loop has run.
    """
    from lstmkit.layers.variables import value_scope

    found = _mixin_cells(cell, params, features, state)
    for sub, sub_params, n, first in found:
        bind = sub._bind_params(sub_params) if hasattr(sub, "_bind_params") else {}
        with value_scope(bind, ctx):  # draws take the call's key: new masks every compiled step
            sub.reset_dropout_mask()
            sub.reset_recurrent_dropout_mask()
            sub.get_dropout_mask(jnp.zeros((batch, n), jnp.float32))
            sub.get_recurrent_dropout_mask(jnp.zeros_like(first))
    return [sub for sub, *_ in found]


def clear_dropout_masks(cells):
    for sub in cells:
        sub.reset_dropout_mask()
        sub.reset_recurrent_dropout_mask()
