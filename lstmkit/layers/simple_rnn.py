"""`SimpleRNN` and `SimpleRNNCell`: Keras 3's fully-connected (Elman) recurrent layer and cell.

Both inherit `SimpleRNNEquations`, so `SimpleRNN(u)` and `RNN(SimpleRNNCell(u))` run the same code.
"""

from __future__ import annotations

import functools

from lstmkit.layers.cell_equations import CellEquations, StockCell
from lstmkit.layers.rnn_base import RNNBase
from lstmkit._kernels import fused as fused_ops
from lstmkit._kernels import recurrent as rnn_ops


class SimpleRNNEquations(CellEquations):
    """The Elman family: one gate block, one state, one dropout mask for all of it."""

    _gates = 1
    _state_names = ("h",)
    _per_gate_dropout_capable = False

    def _dropout_applies(self, rate) -> bool:
        return rate > 0.0  # Keras's SimpleRNNCell drops whenever rate > 0 (rate 1 zeroes the input)

    def _build_weights(self, input_dim):
        self._add_kernels(input_dim)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def _step(self, params, recurrent_masks):
        return functools.partial(rnn_ops.simple_rnn_step, recurrent_kernel=params["recurrent_kernel"],
                                 activation=self.activation, recurrent_dropout_masks=recurrent_masks)

    def _fused_cell(self):
        return fused_ops.simple_rnn_cell(self.activation)

    def param_count_formula(self):
        """(features + units) × units + units."""
        kernel = next((v for v in self._vars if v.name == "kernel"), None)
        if kernel is None:
            return None
        f, u = kernel.shape[0], self.units
        if self.use_bias:
            return f"({f} + {u}) × {u} + {u}", (f + u) * u + u, "(features + units) × units + units"
        return f"({f} + {u}) × {u}", (f + u) * u, "(features + units) × units, no bias"

    def trace_cell(self, params):
        """Traced quantity: the state h."""
        kernel = params["recurrent_kernel"]

        def cell(x_t, state):
            h, _ = rnn_ops.simple_rnn_step(x_t, state, kernel, activation=self.activation)
            return (h,), ()

        return "SimpleRNN", ("h",), cell


class SimpleRNN(SimpleRNNEquations, RNNBase):
    """`h_t = activation(x_t W + h_{t-1} U + b)`, with Keras 3's arguments.

    Weights: `kernel` (input_dim, u), `recurrent_kernel` (u, u), `bias` (u,).
    Returns `[output, h]` with `return_state`.
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, seed=None, **kwargs):
        if "implementation" in kwargs:  # Keras 3's SimpleRNN has no `implementation`
            raise TypeError(f"Unrecognized keyword arguments passed to SimpleRNN: "
                            f"{{'implementation': {kwargs['implementation']!r}}}")
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)

    def get_config(self):
        # Keras 3 leaves `seed` out of SimpleRNN's config; we write it only when set, so a seeded layer
        # still round-trips (Keras 3 accepts the key when loading).
        config = {**self._config_head(), "use_bias": self.use_bias, **self._config_weights(), **self._config_tail()}
        if self.seed is not None:
            config["seed"] = self.seed
        return config

    def _stock_cell_class(self):
        return SimpleRNNCell  # `layer.cell` (see RNNBase.cell)

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_cell_name = "simple_rnn_cell"

    @classmethod
    def keras2_config(cls, config, where):
        config = super().keras2_config(config, where)
        config.pop("implementation", None)  # Keras 2 wrote it, but SimpleRNN never used it
        return config

    @classmethod
    def to_keras2_config(cls, config, where, convert):
        config = super().to_keras2_config(config, where, convert)
        config.pop("implementation", None)
        return config


class SimpleRNNCell(SimpleRNNEquations, StockCell):
    """One Elman step, Keras 3's `SimpleRNNCell`: `RNN(SimpleRNNCell(u))` computes what `SimpleRNN(u)` does.

    Weights `kernel` (input_dim, u), `recurrent_kernel` (u, u), `bias` (u,); `state_size` u.
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        if "implementation" in kwargs:  # Keras 3's SimpleRNNCell has no `implementation`
            raise TypeError(f"Unrecognized keyword arguments passed to SimpleRNNCell: "
                            f"{{'implementation': {kwargs['implementation']!r}}}")
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)

    def get_config(self):
        return {**self._cell_config(), "use_bias": self.use_bias, **self._config_weights(),
                **self._config_tail(activity_regularizer=False), "seed": self.seed}
