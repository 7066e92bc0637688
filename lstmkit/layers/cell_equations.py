"""What a recurrent layer (`LSTM`, `GRU`, `SimpleRNN`) and its stock cell (`LSTMCell`, ...) share.

`CellEquations` is a mixin holding a cell family's arguments, weights, dropout masks and the
recurrence over a whole sequence (`run_sequence`): the fused kernel with its hand-written
backward (`lstmkit._kernels.fused`) or the plain scan (`lstmkit._kernels.recurrent.rnn_scan`).
One family class per cell type (`LSTMEquations` in lstm.py, ...) inherits it, and both the layer
and the cell inherit that family class: `LSTM(...)` and `RNN(LSTMCell(...))` run the same code.

A family class says how many gate blocks it has (`_gates`), which states it carries
(`_state_names`), creates its weights in `_build_weights`, and supplies `_step` (one recurrent
step, from `lstmkit._kernels.recurrent`) and `_fused_cell`.

Dropout (Keras 3 semantics)
---------------------------
Active only in training. One input mask (batch, input_dim) and one recurrent
mask (batch, units) per sequence, reused at every step; with `recurrent_dropout`
(or `implementation=1`) LSTM and GRU draw one mask per gate instead. A rate is
applied when 0 < rate < 1 for LSTM / GRU (as Keras's cells do). The key is
`ctx.next_rng()`, folded with `seed` when one is given: masks are reproducible
for a given seed and call key (the training loop's keys follow the global seed),
and layers with different seeds draw different masks.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit import activations as activations_mod
from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import regularizers as regularizers_mod
from lstmkit._kernels import fused as fused_ops
from lstmkit._kernels import recurrent as rnn_ops
from lstmkit.layers.base import Layer


def _ser(mod, obj):
    return None if obj is None else mod.serialize(obj)


def _positive_units(units, cls_name):
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
        raise ValueError(
            f"Received an invalid value for argument `units` of {cls_name}: expected a positive integer, "
            f"got {units!r}."
        )
    return int(units)


def _rate(value, argname, cls_name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not 0 <= value <= 1:
        raise ValueError(
            f"Received an invalid value for argument `{argname}` of {cls_name}: expected a float between 0 and 1, "
            f"got {value!r}."
        )
    return float(value)


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def check_stateful_batch(layer, carried_batch, batch):
    """A stateful layer holds states for one batch size: say so when a call brings another."""
    if carried_batch != batch:
        raise ValueError(
            f'Layer "{layer.name}" is stateful and holds states for batch size {carried_batch}, '
            f"but received inputs with batch size {batch}. A stateful RNN needs the same batch size in "
            f"every call. (Expected batch size: {carried_batch}; received batch size: {batch}.)"
        )


class CellEquations:
    """A cell family's arguments, weights and recurrence (mixed into a Layer; not used directly)."""

    _gates = 1
    _state_names: tuple = ("h",)
    _per_gate_dropout_capable = True

    def _init_cell_args(self, units, activation, use_bias, kernel_initializer, recurrent_initializer,
                        bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                        kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                        seed, implementation):
        cls_name = type(self).__name__
        self.units = _positive_units(units, cls_name)
        self.activation = activations_mod.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers_mod.get(kernel_initializer)
        self.recurrent_initializer = initializers_mod.get(recurrent_initializer)
        self.bias_initializer = initializers_mod.get(bias_initializer)
        self.kernel_regularizer = regularizers_mod.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers_mod.get(recurrent_regularizer)
        self.bias_regularizer = regularizers_mod.get(bias_regularizer)
        self.kernel_constraint = constraints_mod.get(kernel_constraint)
        self.recurrent_constraint = constraints_mod.get(recurrent_constraint)
        self.bias_constraint = constraints_mod.get(bias_constraint)
        self.dropout = _rate(dropout, "dropout", cls_name)
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout", cls_name)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"Received an invalid value for argument `seed` of {cls_name}: expected an int or None, "
                             f"got {seed!r}.")
        self.seed = None if seed is None else int(seed)
        if implementation not in (0, 1, 2):  # 0: Keras 1's value in old configs, computed as 2 (as Keras 3 does)
            raise ValueError(f"Received an invalid value for argument `implementation` of {cls_name}: expected 1 or 2, "
                             f"got {implementation!r}.")
        self.implementation = int(implementation)

    # ----------------------------------------------------------------- weights
    def _build_weights(self, input_dim):
        raise NotImplementedError

    def _add_kernels(self, input_dim):
        width = self._gates * self.units
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, width),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(self.units, width),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)

    def _zero_state(self, batch_size):
        return tuple(jnp.zeros((int(batch_size), self.units), jnp.float32) for _ in self._state_names)

    # ----------------------------------------------------------------- dropout
    def _per_gate_dropout(self) -> bool:
        return self._per_gate_dropout_capable and (self.implementation == 1 or self.recurrent_dropout != 0.0)

    def _dropout_applies(self, rate) -> bool:
        return 0.0 < rate < 1.0

    def _dropout_masks(self, ctx, training, batch, input_dim):
        """(input masks, recurrent masks) for one sequence: None or (batch, n) / (gates, batch, n) arrays."""
        use_in = training and self._dropout_applies(self.dropout)
        use_rec = training and self._dropout_applies(self.recurrent_dropout)
        if not (use_in or use_rec):
            return None, None
        key = ctx.next_rng()
        if self.seed is not None:
            key = jax.random.fold_in(key, self.seed)
        key_in, key_rec = jax.random.split(key)
        lead = (self._gates,) if self._per_gate_dropout() else ()

        def draw(k, rate, n):
            keep = jax.random.bernoulli(k, 1.0 - rate, lead + (batch, n))
            scale = 1.0 / (1.0 - rate) if rate < 1.0 else 0.0
            return jnp.where(keep, jnp.float32(scale), jnp.float32(0.0))

        in_masks = draw(key_in, self.dropout, input_dim) if use_in else None
        rec_masks = draw(key_rec, self.recurrent_dropout, self.units) if use_rec else None
        return in_masks, rec_masks

    # ----------------------------------------------------------------- the recurrence
    def _input_bias(self, params):
        """The bias added to the input projection (None without one)."""
        return params.get("bias") if self.use_bias else None

    def _project(self, params, inputs, input_masks):
        return rnn_ops.project_inputs(inputs, params["kernel"], self._input_bias(params), input_masks)

    def _step(self, params, recurrent_masks):
        raise NotImplementedError

    def _fused_cell(self):
        """The cell for `lstmkit._kernels.fused` (hand-written backward pass), or None to use the plain scan."""
        return None

    def _recurrent_bias(self, params):
        return None

    def _cell_params(self, params):
        """The fused cell's own weights (`fused_rnn_scan`'s `cell_params`), e.g. the LSTM's peepholes."""
        return ()

    def run_sequence(self, params, inputs, state, ctx, *, training, mask=None, go_backwards=False,
                     return_sequences=False, unroll=False, masked_output="state"):
        """The recurrence over `inputs` (batch, time, features) from `state` (a tuple of (batch, units)).

        Draws this sequence's dropout masks; runs the fused kernel unless `unroll` (or the family has
        none). Returns (last_output, outputs or None, final_state) as `rnn_scan` does.
        """
        batch, _, input_dim = inputs.shape
        input_masks, recurrent_masks = self._dropout_masks(ctx, training, batch, input_dim)
        cell = None if unroll else self._fused_cell()
        # The fused scan takes its inputs time-major, projected so (one mask for all gates, or none).
        time_major = cell is not None and (input_masks is None or input_masks.ndim == 2)
        if time_major:
            x = inputs if input_masks is None else inputs * input_masks[:, None, :]
            projected = fused_ops.time_major_projection(x, params["kernel"], self._input_bias(params))
        else:
            projected = self._project(params, inputs, input_masks)
        if cell is not None:
            return fused_ops.fused_rnn_scan(
                cell, projected, state, params["recurrent_kernel"], recurrent_bias=self._recurrent_bias(params),
                recurrent_dropout_masks=recurrent_masks, mask=mask, go_backwards=go_backwards,
                return_sequences=return_sequences, masked_output=masked_output,
                cell_params=self._cell_params(params), time_major=time_major)
        # The plain scan, differentiated by autodiff (unroll=True; GRU with reset_after=False).
        return rnn_ops.rnn_scan(self._step(params, recurrent_masks), projected, state, mask=mask,
                                go_backwards=go_backwards, unroll=unroll, return_sequences=return_sequences,
                                masked_output=masked_output)

    def step_function(self, params, ctx, training, batch, input_dim):
        """`step(x_t, state) -> (output, new_state)` on raw (batch, features) inputs, masks drawn once.

        For cells run one step at a time (a stack with a user's cell; a cell called on its own).
        """
        input_masks, recurrent_masks = self._dropout_masks(ctx, training, batch, input_dim)
        step = self._step(params, recurrent_masks)

        def run(x_t, state):
            z = self._project(params, x_t[:, None, :], input_masks)[:, 0]
            return step(z, tuple(state))

        return run

    # ----------------------------------------------------------------- config
    def _config_weights(self):
        return {
            "kernel_initializer": initializers_mod.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers_mod.serialize(self.recurrent_initializer),
            "bias_initializer": initializers_mod.serialize(self.bias_initializer),
        }

    def _config_tail(self, activity_regularizer=True):
        out = {
            "kernel_regularizer": _ser(regularizers_mod, self.kernel_regularizer),
            "recurrent_regularizer": _ser(regularizers_mod, self.recurrent_regularizer),
            "bias_regularizer": _ser(regularizers_mod, self.bias_regularizer),
        }
        if activity_regularizer:  # a layer's config has it; a cell's (Keras's) does not
            out["activity_regularizer"] = _ser(regularizers_mod, self.activity_regularizer)
        out.update({
            "kernel_constraint": _ser(constraints_mod, self.kernel_constraint),
            "recurrent_constraint": _ser(constraints_mod, self.recurrent_constraint),
            "bias_constraint": _ser(constraints_mod, self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        })
        return out


class StockCell(CellEquations, Layer):
    """Base of `LSTMCell`, `GRUCell`, `SimpleRNNCell`: Keras 3's cell protocol over a family's equations.

    `state_size`, `output_size`, `get_initial_state(batch_size)` and one step,
    `call(inputs, states, training=None) -> (output, new_states)`; inside `RNN` the whole
    sequence runs through `run_sequence` instead (the fused kernel the layers use).
    """

    _keras_serializable = False  # an abstract base: no file names it

    def __init__(self, units, *, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                 kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                 recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, implementation=2, **kwargs):
        super().__init__(**kwargs)
        self._init_cell_args(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                             bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                             kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                             seed, implementation)

    @property
    def _runs_sequences(self) -> bool:
        """True unless a subclass overrides `call`: then its own step must run, step by step, not the fused
        kernel (which knows only the stock equations)."""
        return type(self).call is StockCell.call

    _steps_itself = _runs_sequences  # `step_function` is this cell's step (see cell_protocol.cell_step_function)

    @property
    def state_size(self):
        # Keras: an int for a one-state cell (GRUCell, SimpleRNNCell), a list for LSTMCell.
        return self.units if len(self._state_names) == 1 else [self.units for _ in self._state_names]

    @property
    def output_size(self):
        return self.units

    def get_initial_state(self, batch_size=None):
        return list(self._zero_state(batch_size))

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 1 or input_shape[-1] is None:
            raise ValueError(f'Cell "{self.name}" needs a known number of input features; '
                             f"received input shape {input_shape}.")
        self._build_weights(int(input_shape[-1]))
        self.built = True

    def compute_output_shape(self, input_shape, states_shape=None, **kwargs):
        batch = tuple(input_shape)[0]
        return [(batch, self.units), [(batch, self.units) for _ in self._state_names]]

    def call(self, params, inputs, ctx, states, training=None):
        """One step: inputs (batch, features), states a list of (batch, units) (or one array)."""
        training = ctx.training if training is None else bool(training)
        nested = isinstance(states, (list, tuple))
        state = tuple(jnp.asarray(s, jnp.float32) for s in (states if nested else [states]))
        if len(state) != len(self._state_names):
            raise ValueError(f'Cell "{self.name}" expects {len(self._state_names)} state(s) '
                             f'({", ".join(self._state_names)}), received {len(state)}.')
        inputs = jnp.asarray(inputs, jnp.float32)
        step = self.step_function(params, ctx, training, inputs.shape[0], inputs.shape[-1])
        output, new_state = step(inputs, state)
        return output, (list(new_state) if nested else new_state[0])

    @classmethod
    def to_keras2_config(cls, config, where, convert):
        if config.pop("seed", None) is not None:
            raise ValueError(f"{where}: Keras 2 recurrent cells have no `seed`; save this model as '.keras' instead.")
        return config

    def _cell_config(self):
        """The config keys every stock cell has, before its family's own."""
        return {**Layer.get_config(self), "units": self.units,
                "activation": activations_mod.serialize(self.activation)}
