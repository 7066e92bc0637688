"""`StackedRNNCells`: several cells run as one, each step feeding the next cell (Keras 3's)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from lstmkit.layers import cell_protocol
from lstmkit.layers.base import Layer, snake_case

_MESSAGES = ("All cells must have a `call` method. Received cell without a `call` method: {cell}",
             "All cells must have a `state_size` attribute. Received cell without a `state_size`: {cell}")


def _serialization():
    from lstmkit.layers import serialization

    return serialization


def deserialize_cell(entry, custom_objects=None):
    """A cell from its serialized form, built for the shape its `build_config` records (as Keras does)."""
    if isinstance(entry, Layer):
        return entry
    return _serialization().deserialize_layer(entry, custom_objects, build=True)


def _slots(cells) -> list:
    """Keras's place of each cell in weight files: 'cells/lstm_cell', 'cells/lstm_cell_1', ..."""
    used, out = {}, []
    for cell in cells:
        base = snake_case(type(cell).__name__)
        n = used.get(base, -1) + 1
        used[base] = n
        out.append(f"cells/{base}" if n == 0 else f"cells/{base}_{n}")
    return out


class StackedRNNCells(Layer):
    """`StackedRNNCells([LSTMCell(8), LSTMCell(4)])`: a cell whose step runs the cells in order.

    `state_size` lists the cells' state sizes and a state is a list with one entry per cell (that
    cell's states). Inside `RNN`, a stack of stock cells runs layer by layer through their fused
    kernels, which gives the same numbers as stepping the stack (each cell only sees the outputs
    of the one below); a stack holding another cell runs step by step.
    """

    def __init__(self, cells, **kwargs):
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells expects a non-empty list of cells; received cells={cells!r}.")
        for cell in cells:
            cell_protocol.check_cell(cell, message=_MESSAGES)
        super().__init__(**kwargs)
        self.cells = list(cells)
        self._cell_slots = _slots(self.cells)
        for slot, cell in zip(self._cell_slots, self.cells):
            if isinstance(cell, Layer):
                self._track(slot, cell)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return cell_protocol.output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        out = []
        for cell in self.cells:
            if getattr(cell, "get_initial_state", None) is not None:
                out.append(cell.get_initial_state(batch_size=batch_size))
            elif isinstance(cell.state_size, (list, tuple)):
                out.append([jnp.zeros((batch_size, d), jnp.float32) for d in cell.state_size])
            else:  # a one-state cell without get_initial_state: its state is a bare array, as in Keras
                out.append(jnp.zeros((batch_size, cell.state_size), jnp.float32))
        return out

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._maybe_build(shape)
            shape = (shape[0], cell_protocol.output_size(cell))
        self.built = True

    def _params(self, params, i):
        return params.get(self._cell_slots[i], {}) if isinstance(params, dict) else {}

    # ----------------------------------------------------------------- running
    @property
    def _runs_sequences(self) -> bool:
        """True when every cell runs whole sequences (stock cells): `RNN` then calls `run_sequence`."""
        return all(hasattr(c, "run_sequence") and getattr(c, "_runs_sequences", True) for c in self.cells)

    def run_sequence(self, params, inputs, state, ctx, *, training, mask=None, go_backwards=False,
                     return_sequences=False, unroll=False, masked_output="state"):
        """The stack layer by layer: (last_output, outputs or None, final states, one entry per cell)."""
        if go_backwards:  # every cell reads the steps last to first: reverse once, run forwards
            inputs = jnp.flip(inputs, axis=1)
            mask = None if mask is None else jnp.flip(mask, axis=1)
        x, finals, last, sequence = inputs, [], None, None
        for i, cell in enumerate(self.cells):
            top = i == len(self.cells) - 1
            last, sequence, final = cell.run_sequence(
                self._params(params, i), x, tuple(state[i]), ctx, training=training, mask=mask,
                return_sequences=return_sequences or not top, unroll=unroll, masked_output=masked_output)
            finals.append(tuple(final))
            x = sequence
        return last, (sequence if return_sequences else None), tuple(finals)

    def step_function(self, params, ctx, training, batch, features):
        """One step of the whole stack, `step(x_t, state) -> (output, new_state)`."""
        steps = []
        for i, cell in enumerate(self.cells):
            steps.append(cell_protocol.cell_step_function(cell, self._params(params, i), ctx, training, batch,
                                                          features))
            features = cell_protocol.output_size(cell)

        def run(x_t, state, key=None):
            keys = [None] * len(steps) if key is None else list(jax.random.split(key, len(steps)))
            new_state = []
            for step, s, k in zip(steps, state, keys):
                nested = isinstance(s, (list, tuple))
                x_t, ns = step(x_t, tuple(s) if nested else (s,), k)
                new_state.append(ns if nested else ns[0])  # a bare state stays bare, as Keras keeps it
            return x_t, tuple(new_state)

        return run

    def call(self, params, inputs, ctx, states, training=None):
        """One step on its own: inputs (batch, features), states one entry per cell."""
        training = ctx.training if training is None else bool(training)
        inputs = jnp.asarray(inputs, jnp.float32)
        state = cell_protocol.to_tuples(list(states))
        step = self.step_function(params, ctx, training, inputs.shape[0], inputs.shape[-1])
        output, new_state = step(inputs, state)
        return output, cell_protocol.to_lists(new_state)

    def compute_output_shape(self, input_shape, states_shape=None, **kwargs):
        batch = tuple(input_shape)[0]
        return [(batch, self.output_size), None]

    def param_count_formula(self):
        """The cells' explanations added up, when every cell has one."""
        parts = [c.checked_param_count_formula() if hasattr(c, "checked_param_count_formula") else None
                 for c in self.cells]
        if not parts or any(p is None for p in parts) or self._vars:
            return None
        return (" + ".join(f"[{p[0]}]" for p in parts), sum(p[1] for p in parts),
                "; ".join(f"{type(c).__name__}: {p[2]}" for c, p in zip(self.cells, parts)))

    # ----------------------------------------------------------------- config
    def get_config(self):
        serialize = _serialization().serialize_layer
        return {**super().get_config(), "cells": [serialize(c) for c in self.cells]}

    @classmethod
    def to_keras2_config(cls, config, where, convert):
        config["cells"] = [convert(c, where) for c in config["cells"]]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [deserialize_cell(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
