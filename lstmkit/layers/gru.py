"""`GRU` and `GRUCell`: Keras 3's gated recurrent unit layer and cell (weights interchangeable with Keras).

Both inherit `GRUEquations`, so `GRU(u)` and `RNN(GRUCell(u))` run the same code.
"""

from __future__ import annotations

import functools

from lstmkit import activations as activations_mod
from lstmkit.layers.lstm import _use_cudnn_arg
from lstmkit.layers.cell_equations import CellEquations, StockCell
from lstmkit.layers.rnn_base import RNNBase
from lstmkit._kernels import fused as fused_ops
from lstmkit._kernels import recurrent as rnn_ops


class GRUEquations(CellEquations):
    """The GRU family: three gate blocks [z, r, h], one state; `reset_after` picks the variant."""

    _gates = 3
    _state_names = ("h",)

    def _init_gru_args(self, recurrent_activation, reset_after):
        self.recurrent_activation = activations_mod.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _build_weights(self, input_dim):
        self._add_kernels(input_dim)
        if self.use_bias:
            shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
            self.bias = self.add_weight(name="bias", shape=shape, initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def _biases(self, params):
        """(input bias, recurrent bias); the recurrent one exists only with reset_after."""
        if not self.use_bias:
            return None, None
        bias = params["bias"]
        return (bias[0], bias[1]) if self.reset_after else (bias, None)

    def _input_bias(self, params):
        return self._biases(params)[0]

    def _step(self, params, recurrent_masks):
        return functools.partial(rnn_ops.gru_step, recurrent_kernel=params["recurrent_kernel"],
                                 recurrent_bias=self._biases(params)[1], activation=self.activation,
                                 recurrent_activation=self.recurrent_activation, reset_after=self.reset_after,
                                 recurrent_dropout_masks=recurrent_masks)

    def _fused_cell(self):
        if not self.reset_after:  # the reset gate acts before the recurrent matmul: plain scan
            return None
        return fused_ops.gru_cell(self.activation, self.recurrent_activation)

    def _recurrent_bias(self, params):
        return self._biases(params)[1]

    @classmethod
    def keras2_config(cls, config, where):
        config = super().keras2_config(config, where)
        # Keras before 2.1.6 / TF 1.x had no reset_after: its GRU (and GRUCell) was the reset-before variant.
        config.setdefault("reset_after", False)
        return config

    def _gru_config(self):
        return {"recurrent_activation": activations_mod.serialize(self.recurrent_activation),
                "use_bias": self.use_bias, **self._config_weights()}

    def param_count_formula(self):
        """3 gate blocks, each ((features + units) × units) plus one bias, or two with reset_after."""
        kernel = next((v for v in self._vars if v.name == "kernel"), None)
        if kernel is None:
            return None
        f, u = kernel.shape[0], self.units
        if self.use_bias and self.reset_after:
            return (f"3 × (({f} + {u}) × {u} + 2 × {u})", 3 * ((f + u) * u + 2 * u),
                    "3 gates (z, r, h) × ((features + units) × units + input and recurrent bias)")
        if self.use_bias:
            return (f"3 × (({f} + {u}) × {u} + {u})", 3 * ((f + u) * u + u),
                    "3 gates (z, r, h) × ((features + units) × units + units)")
        return (f"3 × (({f} + {u}) × {u})", 3 * (f + u) * u,
                "3 gates (z, r, h) × ((features + units) × units), no bias")

    def trace_cell(self, params):
        """Traced quantities: the update gate z, the reset gate r, the candidate g and the state h."""
        kernel = params["recurrent_kernel"]
        act, rec_act = self.activation, self.recurrent_activation
        if self.reset_after:
            recurrent_bias = self._biases(params)[1]

            def cell(x_t, state):
                (h,) = state
                zh = rnn_ops.recurrent_projection(h, kernel)
                if recurrent_bias is not None:
                    zh = zh + recurrent_bias
                h, gates = rnn_ops.gru_gates(x_t, zh, h, activation=act, recurrent_activation=rec_act)
                return (h,), gates
        else:
            def cell(x_t, state):
                h, gates = rnn_ops.gru_gates_reset_before(x_t, state[0], kernel, activation=act,
                                                          recurrent_activation=rec_act)
                return (h,), gates

        return "GRU", ("z", "r", "g", "h"), cell


class GRU(GRUEquations, RNNBase):
    """Gated recurrent unit, Cho et al. 2014, with Keras 3's arguments.

    Weights: `kernel` (input_dim, 3u), `recurrent_kernel` (u, 3u), gate order z, r, h; `bias` (2, 3u)
    (input bias, recurrent bias) with `reset_after=True` (the Keras 3 default), else (3u,).
    Returns `[output, h]` with `return_state`.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self._init_gru_args(recurrent_activation, reset_after)
        self.use_cudnn = _use_cudnn_arg(use_cudnn, "GRU")

    def get_config(self):
        config = {**self._config_head(), **self._gru_config(), **self._config_tail(),
                  "reset_after": self.reset_after, "seed": self.seed}
        if self.implementation != 2:
            config["implementation"] = self.implementation
        return config

    def _stock_cell_class(self):
        return GRUCell  # `layer.cell` (see RNNBase.cell)

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_cell_name = "gru_cell"


class GRUCell(GRUEquations, StockCell):
    """One GRU step, Keras 3's `GRUCell`: `RNN(GRUCell(u))` computes what `GRU(u)` does.

    Weights `kernel` (input_dim, 3u), `recurrent_kernel` (u, 3u), gate order z, r, h; `bias` (2, 3u)
    with `reset_after=True` (the default), else (3u,). `state_size` u.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self._init_gru_args(recurrent_activation, reset_after)

    def get_config(self):
        return {**self._cell_config(), **self._gru_config(), **self._config_tail(activity_regularizer=False),
                "reset_after": self.reset_after, "seed": self.seed}
