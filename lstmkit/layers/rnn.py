"""`RNN(cell)`: Keras 3's recurrent layer over any cell (see `cell_protocol` for what a cell is).

`RNN([c1, c2])` stacks the cells (`StackedRNNCells`). How a sequence runs:

* a stock cell (`LSTMCell`, `GRUCell`, `SimpleRNNCell`), or a stack of them, runs whole
  sequences through its family's `run_sequence`, the fused kernel `LSTM` uses:
  `RNN(LSTMCell(u))` computes what `LSTM(u)` does, in the same program;
* any other cell runs step by step in `lax.scan` (`rnn_scan`), differentiated by JAX's
  autodiff, through the cell's `apply` (a Keras-style cell reads its weights as traced values).

Keras 3's semantics: a masked step holds every state and emits the previous output (the
first state, or with a stack the first state of the last cell; zeros with
`zero_output_for_mask`; the previous step's output when unrolled); `go_backwards` returns the
outputs in processing order; `return_state` appends the final states (nested lists for a
stack); `stateful` carries the final states to the next call, as `RNNBase` does
(`ctx.get_state` / `ctx.set_state`, `reset_states`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.layers import cell_protocol
from lstmkit.layers.base import Layer
from lstmkit.layers.cell_equations import check_stateful_batch
from lstmkit.layers.dropout_rnn_cell import clear_dropout_masks, prepare_dropout_masks
from lstmkit.layers.rnn_base import NotStatefulError, reject_time_major, sequence_mask
from lstmkit.layers.stacked_rnn_cells import StackedRNNCells, _serialization, deserialize_cell
from lstmkit._kernels import recurrent as rnn_ops


def _first_leaf(state):
    return jax.tree_util.tree_leaves(state)[0]


class RNN(Layer):
    """Keras 3's `RNN(cell, return_sequences=False, return_state=False, go_backwards=False,
    stateful=False, unroll=False, zero_output_for_mask=False)`.

    Called on (batch, timesteps, ...) with optional `initial_state` (a list, one entry per state),
    `mask` (batch, timesteps) and `training` (passed to the cell, for dropout).
    """

    supports_masking = True

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        cell_protocol.check_cell(cell)
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError("state_size must be specified as property on the RNN cell.")
        if isinstance(state_size, bool) or not isinstance(state_size, (list, tuple, int, np.integer)):
            raise ValueError("state_size must be an integer, or a list/tuple of integers (one for each state tensor). "
                             f"Received: state_size={state_size!r}")
        super().__init__(**kwargs)
        self.cell = cell
        if isinstance(cell, Layer):
            self._track("cell", cell)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.single_state = isinstance(state_size, (int, np.integer))
        self.state_size = [int(state_size)] if self.single_state else list(state_size)
        self._states = None

    @classmethod
    def _sequence_input(cls) -> bool:
        return True

    @classmethod
    def keras2_states_as_inputs(cls) -> bool:
        return True  # Keras 2 fed `initial_state` as extra inputs of the layer's node

    @classmethod
    def keras2_config(cls, config, where):
        return reject_time_major(config, where)

    @classmethod
    def to_keras2_config(cls, config, where, convert):
        config["cell"] = convert(config["cell"], where)
        config["time_major"] = False
        return config

    # ----------------------------------------------------------------- shapes
    def _check_input_shape(self, shape):
        if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        shape = tuple(shape)
        if len(shape) < 3:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected ndim>=3 '
                             f"(batch, timesteps, features), found ndim={len(shape)}. Full shape received: {shape}")
        if hasattr(self.cell, "run_sequence") and len(shape) != 3:  # the stock cells read (batch, features) steps
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected ndim=3, '
                             f"found ndim={len(shape)}. Full shape received: {shape}")
        kernel = next((v for v in getattr(self.cell, "_vars", ()) if v.name == "kernel"), None)
        if kernel is not None and len(shape) == 3 and shape[-1] is not None and shape[-1] != kernel.shape[0]:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis -1 of '
                             f"input shape to have value {kernel.shape[0]}, but received input with shape {shape}")

    def build(self, input_shape, initial_state_shape=None):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list)):
            input_shape = input_shape[0]
        self._check_input_shape(input_shape)
        step_shape = (input_shape[0],) + tuple(input_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._maybe_build(step_shape)
        self.built = True

    def compute_output_shape(self, input_shape, initial_state=None, **kwargs):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list)):
            input_shape = input_shape[0]
        batch, steps = input_shape[0], input_shape[1]
        size = cell_protocol.output_size(self.cell)
        if not isinstance(size, (int, np.integer)):
            raise ValueError(f"output_size must be an integer. Received: output_size={size!r}")
        out = (batch, steps, int(size)) if self.return_sequences else (batch, int(size))
        if not self.return_state:
            return out
        states = [(batch, s) if isinstance(s, (int, np.integer)) else [(batch, d) for d in s]
                  for s in self.state_size]
        return [out] + states

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * self._returned_state_count()
        return out

    def _returned_state_count(self):
        """How many state tensors `return_state` appends, flat (a stack's nested lists count each tensor;
        a ConvLSTM cell's state_size is -1, yet it returns h and c): a graph pairs masks with them."""
        try:
            return len(jax.tree_util.tree_leaves(jax.eval_shape(lambda: self.initial_state(1))))
        except (TypeError, ValueError, AttributeError):  # a cell whose initial state needs it built
            return len(self.state_size)

    # ----------------------------------------------------------------- state
    def initial_state(self, batch_size):
        """The cell's initial state for `batch_size` samples (its `get_initial_state`, else zeros), as tuples:
        what the loop carries (the name Layer's stateful machinery calls)."""
        return cell_protocol.to_tuples(cell_protocol.initial_state(self.cell, batch_size, self.state_size))

    def get_initial_state(self, batch_size):
        """Keras's: the initial states as a list, one entry per state (nested lists for a stack)."""
        return cell_protocol.to_lists(self.initial_state(batch_size))

    @property
    def states(self):
        """The carried states of a stateful layer (a list, one entry per state), or None."""
        return None if self._states is None else cell_protocol.to_lists(self._states)

    def reset_states(self, states=None):
        """Zero the carried states of a stateful layer, or set them to `states` (one entry per state)."""
        if not self.stateful:
            raise NotStatefulError("Layer must be stateful.")
        batch = _first_leaf(self._states).shape[0] if self._states is not None else self._fixed_batch_size()
        if states is None:
            self._states = None if batch is None else self.initial_state(batch)
            return
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        if batch is None:
            batch = np.asarray(jax.tree_util.tree_leaves(states)[0]).shape[0]
        self._states = self._fit_states(states, self.initial_state(batch), "reset_states()")

    reset_state = reset_states

    def _fit_states(self, given, expected, where):
        """`given` (user arrays, any nesting) laid out as `expected`, with every shape checked."""
        exp_leaves, treedef = jax.tree_util.tree_flatten(expected)
        got = jax.tree_util.tree_leaves(given)
        if len(got) != len(exp_leaves):
            raise ValueError(f'Layer "{self.name}" expects {len(exp_leaves)} state tensor(s) (state_size='
                             f"{self.state_size}), but {where} received {len(got)}.")
        out = []
        for i, (g, e) in enumerate(zip(got, exp_leaves)):
            g = jnp.asarray(g, jnp.float32)
            if g.shape != e.shape:
                raise ValueError(f'State {i} of layer "{self.name}" should have shape {tuple(e.shape)}, '
                                 f"but {where} received shape {tuple(g.shape)}.")
            out.append(g)
        return jax.tree_util.tree_unflatten(treedef, out)

    def _resolve_initial_state(self, ctx, batch, initial_state):
        carried = ctx.get_state(self) if self.stateful else None
        if self.stateful:
            if carried is None:
                carried = self.initial_state(batch)
            check_stateful_batch(self, _first_leaf(carried).shape[0], batch)
        default = carried if carried is not None else self.initial_state(batch)
        if initial_state is None:
            return default
        given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        return self._fit_states(given, default, "the call's initial_state")

    # ----------------------------------------------------------------- call
    def _masked_output_mode(self):
        if self.unroll:
            return "previous"  # Keras's unrolled loop fills masked steps with the previous output
        return "zero" if self.zero_output_for_mask else "state"

    def call(self, params, inputs, ctx, mask=None, initial_state=None, training=None):
        training = ctx.training if training is None else bool(training)
        inputs = jnp.asarray(inputs, jnp.float32)
        self._check_input_shape(inputs.shape)
        batch, steps = inputs.shape[:2]
        state = self._resolve_initial_state(ctx, batch, initial_state)
        mask = sequence_mask(self.name, mask, batch, steps)
        cell_params = params.get("cell", {})
        options = dict(mask=mask, go_backwards=self.go_backwards, return_sequences=self.return_sequences,
                       unroll=self.unroll, masked_output=self._masked_output_mode())
        if hasattr(self.cell, "run_sequence") and getattr(self.cell, "_runs_sequences", True):
            last, sequence, final_state = self.cell.run_sequence(cell_params, inputs, state, ctx, training=training,
                                                                 **options)
        else:
            last, sequence, final_state = self._scan(cell_params, inputs, state, ctx, training, options)
        if self.stateful:
            ctx.set_state(self, final_state)
        output = sequence if self.return_sequences else last
        if self.return_state:
            return [output, *cell_protocol.to_lists(final_state)]
        return output

    def _scan(self, params, inputs, state, ctx, training, options):
        """The generic loop: the cell's step in `lax.scan`, with one random key per step when training."""
        batch, steps = inputs.shape[:2]
        features = inputs.shape[2:][-1]
        step = cell_protocol.cell_step_function(self.cell, params, ctx, training, batch, features)
        if not training:
            return rnn_ops.rnn_scan(lambda x_t, s: step(x_t, s), inputs, state, **options)
        # A DropoutRNNCell's masks: drawn once here, read by the cell at every step (Keras's rule).
        prepared = prepare_dropout_masks(self.cell, params, ctx, batch, features, state)
        base = ctx.next_rng()
        index = jnp.arange(steps)[None, :]  # (1, time): scanned with the inputs, step t sees t

        def keyed(x, s):
            x_t, t = x
            return step(x_t, s, jax.random.fold_in(base, t[0]))

        try:
            return rnn_ops.rnn_scan(keyed, (inputs, index), state, **options)
        finally:
            clear_dropout_masks(prepared)  # the masks are this trace's values: never reuse them

    def traces_steps(self) -> bool:
        """`lstmkit.inspect.trace` records the gates of one stock cell (stacks and users' cells: not yet)."""
        return (hasattr(self.cell, "trace_cell") and getattr(self.cell, "_runs_sequences", False)
                and not hasattr(self.cell, "cells"))

    def trace_steps(self, params, inputs, mask=None, initial_state=None, states=None):
        from lstmkit.layers.rnn_trace import trace_recurrence

        return {"": trace_recurrence(_TracedCell(self), params.get("cell", {}), inputs, mask, initial_state, states)}

    def param_count_formula(self):
        """The cell's own explanation (a stock cell's gate arithmetic), when it has one."""
        formula = getattr(self.cell, "checked_param_count_formula", None)
        return formula() if formula is not None and not self._vars else None

    # ----------------------------------------------------------------- config
    def get_config(self):
        return {**super().get_config(), "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
                "cell": _serialization().serialize_layer(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        return cls(deserialize_cell(config.pop("cell"), custom_objects), **config)


class _TracedCell:
    """An `RNN` over a stock cell as `trace_recurrence` reads a recurrent layer: the RNN's sequence
    options and states, the cell's equations (its `trace_cell`) and projection."""

    def __init__(self, rnn):
        self._rnn, self._cell = rnn, rnn.cell
        self.name, self.go_backwards = rnn.name, rnn.go_backwards
        self._state_names = rnn.cell._state_names

    def trace_cell(self, params):
        return self._cell.trace_cell(params)

    def _check_input_shape(self, shape):
        self._rnn._check_input_shape(shape)

    def _resolve_initial_state(self, ctx, batch, initial_state):
        return self._rnn._resolve_initial_state(ctx, batch, initial_state)

    def _project(self, params, inputs, input_masks):
        return self._cell._project(params, inputs, input_masks)
