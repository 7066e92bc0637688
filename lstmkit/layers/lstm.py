"""`LSTM` and `LSTMCell`: Keras 3's long short-term memory layer and cell (weights interchangeable with Keras).

Both inherit `LSTMEquations`, the LSTM family's weights and recurrence, so `LSTM(u)` and
`RNN(LSTMCell(u))` run the same fused kernel and give the same numbers.
"""

from __future__ import annotations

import functools

import numpy as np

from lstmkit import activations as activations_mod
from lstmkit.layers.base import _accepts_dtype
from lstmkit.layers.cell_equations import CellEquations, StockCell
from lstmkit.layers.rnn_base import RNNBase
from lstmkit._kernels import fused as fused_ops
from lstmkit._kernels import recurrent as rnn_ops


def _use_cudnn_arg(value, cls_name):
    if value not in ("auto", True, False):
        raise ValueError(f"Invalid value received for argument `use_cudnn` of {cls_name}. "
                         f"Expected one of {{'auto', True, False}}. Received: use_cudnn={value!r}")
    return value


def _bool_arg(value, argname, cls_name):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"Received an invalid value for argument `{argname}` of {cls_name}: expected True or False, "
                         f"got {value!r}.")
    return bool(value)


def _init_values(initializer, shape, dtype):
    value = initializer(shape, dtype=dtype) if _accepts_dtype(initializer) else initializer(shape)
    return np.asarray(value, dtype=dtype)


def _unit_forget_bias(bias_initializer, units, coupled_gates=False):
    """Bias initializer: `bias_initializer` for the i, c, o blocks and ones for the forget gate block.

    With coupled gates ([i, c, o], f = 1 - i) the input gate block starts at -1 instead, so that
    f = 1 - σ(-1) = σ(1) starts where the standard LSTM's unit forget bias puts it.
    """

    def initializer(shape, dtype="float32"):
        if coupled_gates:
            return np.concatenate([-np.ones((units,), dtype), _init_values(bias_initializer, (2 * units,), dtype)])
        return np.concatenate([_init_values(bias_initializer, (units,), dtype), np.ones((units,), dtype),
                               _init_values(bias_initializer, (2 * units,), dtype)])

    return initializer


#: The peephole weights (Keras 2's `PeepholeLSTMCell` names), by gate.
PEEPHOLE_NAMES = {"i": "input_gate_peephole_weights", "f": "forget_gate_peephole_weights",
                  "o": "output_gate_peephole_weights"}


class LSTMEquations(CellEquations):
    """The LSTM family: four gate blocks [i, f, c, o] (three, [i, c, o], with coupled gates), states (h, c)."""

    _gates = 4
    _state_names = ("h", "c")
    peephole = False
    coupled_gates = False

    def _init_lstm_args(self, recurrent_activation, unit_forget_bias):
        self.recurrent_activation = activations_mod.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _peephole_gates(self):
        return ("i", "o") if self.coupled_gates else ("i", "f", "o")

    def _build_weights(self, input_dim):
        self._add_kernels(input_dim)
        if self.use_bias:
            init = (_unit_forget_bias(self.bias_initializer, self.units, self.coupled_gates) if self.unit_forget_bias
                    else self.bias_initializer)
            self.bias = self.add_weight(name="bias", shape=(self._gates * self.units,), initializer=init,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        if self.peephole:
            for gate in self._peephole_gates():
                name = PEEPHOLE_NAMES[gate]
                setattr(self, name, self.add_weight(name=name, shape=(self.units,),
                                                    initializer=self.kernel_initializer))

    def _cell_params(self, params):
        """The peephole vectors (p_i, p_f, p_o) ((p_i, p_o) coupled), or () without peepholes."""
        if not self.peephole:
            return ()
        return tuple(params[PEEPHOLE_NAMES[gate]] for gate in self._peephole_gates())

    def _peepholes(self, params):
        """`peepholes` for `lstm_gates`: (p_i, p_f, p_o) with p_f None when coupled, or None."""
        p = self._cell_params(params)
        if not p:
            return None
        return (p[0], None, p[1]) if self.coupled_gates else p

    def _step(self, params, recurrent_masks):
        return functools.partial(rnn_ops.lstm_step, recurrent_kernel=params["recurrent_kernel"],
                                 activation=self.activation, recurrent_activation=self.recurrent_activation,
                                 recurrent_dropout_masks=recurrent_masks, peepholes=self._peepholes(params),
                                 coupled_gates=self.coupled_gates)

    def _fused_cell(self):
        return fused_ops.lstm_cell(self.activation, self.recurrent_activation, peephole=self.peephole,
                                   coupled_gates=self.coupled_gates)

    def param_count_formula(self):
        """4 gate blocks (3 coupled, f = 1 - i), each ((features + units) × units + units), plus peepholes."""
        kernel = next((v for v in self._vars if v.name == "kernel"), None)
        if kernel is None:
            return None
        f, u, bias = kernel.shape[0], self.units, self.use_bias
        n, gates = (3, "3 gates (i, c, o; f = 1 − i)") if self.coupled_gates else (4, "4 gates (i, f, c, o)")
        if bias:
            expr, count = f"{n} × (({f} + {u}) × {u} + {u})", n * ((f + u) * u + u)
            legend = f"{gates} × ((features + units) × units + units)"
        else:
            expr, count = f"{n} × (({f} + {u}) × {u})", n * (f + u) * u
            legend = f"{gates} × ((features + units) × units)"
        if self.peephole:
            p, names = (2, "i, o") if self.coupled_gates else (3, "i, f, o")
            expr, count = f"{expr} + {p} × {u}", count + p * u
            legend = f"{legend} + {p} peepholes ({names}) × units"
        return expr, count, legend if bias else f"{legend}, no bias"

    def trace_cell(self, params):
        """Traced quantities: gates i, f, g (candidate), o, then the cell state c and hidden state h
        (with peepholes the gates include the peephole terms; coupled gates make f = 1 - i)."""
        kernel = params["recurrent_kernel"]
        peepholes, coupled = self._peepholes(params), self.coupled_gates

        def cell(x_t, state):
            h, c = state
            z = x_t + rnn_ops.recurrent_projection(h, kernel)
            h, c, gates = rnn_ops.lstm_gates(z, c, activation=self.activation,
                                             recurrent_activation=self.recurrent_activation,
                                             peepholes=peepholes, coupled_gates=coupled)
            return (h, c), gates

        return "LSTM", ("i", "f", "g", "o", "c", "h"), cell


class LSTM(LSTMEquations, RNNBase):
    """Long short-term memory, Hochreiter & Schmidhuber 1997, with Keras 3's arguments.

    Weights: `kernel` (input_dim, 4u), `recurrent_kernel` (u, 4u), `bias` (4u,), gate order i, f, c, o.
    Called on (batch, timesteps, features); returns the last output (batch, u), the whole sequence
    (batch, timesteps, u) with `return_sequences`, and `[output, h, c]` with `return_state`.

    Two variants (lstmkit extensions, not in Keras 3), which may be combined:

    peephole: bool, default False. Diagonal peephole connections (Gers & Schmidhuber 2000), as
        Keras 2's `tf.keras.experimental.PeepholeLSTMCell`: the gates also read the cell state,
        i = σ(x W_i + h U_i + b_i + p_i ⊙ c), f = σ(x W_f + h U_f + b_f + p_f ⊙ c) with the previous
        c, and o = σ(x W_o + h U_o + b_o + p_o ⊙ c') with the new one. Adds the weights
        `input_gate_peephole_weights`, `forget_gate_peephole_weights` and
        `output_gate_peephole_weights`, (u,) each, after `bias`, initialised with
        `kernel_initializer` (a 2-D-only initializer such as "orthogonal" cannot initialise them).
    coupled_gates: bool, default False. The forget gate is coupled to the input gate, f = 1 - i:
        three gate blocks [i, c, o], so `kernel` is (input_dim, 3u), `recurrent_kernel` (u, 3u) and
        `bias` (3u,). With `unit_forget_bias=True` the input gate's bias starts at -1, so that
        f = 1 - σ(-1) = σ(1) starts where a standard LSTM's unit forget bias puts it. With
        `peephole=True` too there is no forget gate peephole (f = 1 - i already sees the cell).

    Both train with lstmkit's fused kernel; neither uses cuDNN (`use_cudnn=True` is an error).
    Keras cannot load a model file holding them (lstmkit can): saving one warns.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", peephole=False,
                 coupled_gates=False, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self._init_lstm_args(recurrent_activation, unit_forget_bias)
        self.use_cudnn = _use_cudnn_arg(use_cudnn, "LSTM")
        self.peephole = _bool_arg(peephole, "peephole", "LSTM")
        self.coupled_gates = _bool_arg(coupled_gates, "coupled_gates", "LSTM")
        self._gates = 3 if self.coupled_gates else 4
        if self.use_cudnn is True and self.lstmkit_extensions:
            raise ValueError(f"use_cudnn=True was specified, but cuDNN has no kernel for LSTM("
                             f"{', '.join(self.lstmkit_extensions)}). Pass use_cudnn='auto' or False.")

    @property
    def lstmkit_extensions(self) -> list:
        """The arguments set that Keras's LSTM does not have, e.g. ['peephole=True'] (empty: a Keras LSTM)."""
        return [f"{name}=True" for name in ("peephole", "coupled_gates") if getattr(self, name)]

    def get_config(self):
        config = {**self._config_head(),
                  "recurrent_activation": activations_mod.serialize(self.recurrent_activation),
                  "use_bias": self.use_bias, **self._config_weights(), "unit_forget_bias": self.unit_forget_bias,
                  **self._config_tail(), "seed": self.seed}
        if self.implementation != 2:
            config["implementation"] = self.implementation
        for name in ("peephole", "coupled_gates"):  # only when set: a standard LSTM's config is Keras's
            if getattr(self, name):
                config[name] = True
        return config

    def _stock_cell_class(self):
        return LSTMCell  # `layer.cell` (see RNNBase.cell)

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_cell_name = "lstm_cell"


class LSTMCell(LSTMEquations, StockCell):
    """One LSTM step, Keras 3's `LSTMCell`: `RNN(LSTMCell(u))` computes what `LSTM(u)` does.

    Weights `kernel` (input_dim, 4u), `recurrent_kernel` (u, 4u), `bias` (4u,), gate order i, f, c, o;
    `state_size` [u, u] (h, c). `call(inputs, states, training=None)` returns `(h, [h, c])`.
    Inside `RNN` the sequence runs through the LSTM layer's fused kernel.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self._init_lstm_args(recurrent_activation, unit_forget_bias)

    def get_config(self):
        return {**self._cell_config(),
                "recurrent_activation": activations_mod.serialize(self.recurrent_activation),
                "use_bias": self.use_bias, "unit_forget_bias": self.unit_forget_bias, **self._config_weights(),
                **self._config_tail(activity_regularizer=False), "seed": self.seed}
