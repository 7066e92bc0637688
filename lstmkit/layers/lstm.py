"""`LSTM`: Keras 3's long short-term memory layer (weights interchangeable with Keras)."""

from __future__ import annotations

import functools

import numpy as np

from lstmkit import activations as activations_mod
from lstmkit.layers.base import _accepts_dtype
from lstmkit.layers.rnn_base import RNNBase
from lstmkit.ops import fused as fused_ops
from lstmkit.ops import recurrent as rnn_ops


def _use_cudnn_arg(value, cls_name):
    if value not in ("auto", True, False):
        raise ValueError(f"Invalid value received for argument `use_cudnn` of {cls_name}. "
                         f"Expected one of {{'auto', True, False}}. Received: use_cudnn={value!r}")
    return value


def _init_values(initializer, shape, dtype):
    value = initializer(shape, dtype=dtype) if _accepts_dtype(initializer) else initializer(shape)
    return np.asarray(value, dtype=dtype)


def _unit_forget_bias(bias_initializer, units):
    """Bias initializer: `bias_initializer` for the i, c, o blocks and ones for the forget gate block."""

    def initializer(shape, dtype="float32"):
        return np.concatenate([_init_values(bias_initializer, (units,), dtype), np.ones((units,), dtype),
                               _init_values(bias_initializer, (2 * units,), dtype)])

    return initializer


class LSTM(RNNBase):
    """Long short-term memory, Hochreiter & Schmidhuber 1997, with Keras 3's arguments.

    Weights: `kernel` (input_dim, 4u), `recurrent_kernel` (u, 4u), `bias` (4u,), gate order i, f, c, o.
    Called on (batch, timesteps, features); returns the last output (batch, u), the whole sequence
    (batch, timesteps, u) with `return_sequences`, and `[output, h, c]` with `return_state`.
    """

    _gates = 4
    _state_names = ("h", "c")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                         seed=seed, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self.recurrent_activation = activations_mod.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.use_cudnn = _use_cudnn_arg(use_cudnn, "LSTM")

    def _build_weights(self, input_dim):
        self._add_kernels(input_dim)
        if self.use_bias:
            init = (_unit_forget_bias(self.bias_initializer, self.units) if self.unit_forget_bias
                    else self.bias_initializer)
            self.bias = self.add_weight("bias", (4 * self.units,), init, self.bias_regularizer, self.bias_constraint)

    def _step(self, params, recurrent_masks):
        return functools.partial(rnn_ops.lstm_step, recurrent_kernel=params["recurrent_kernel"],
                                 activation=self.activation, recurrent_activation=self.recurrent_activation,
                                 recurrent_dropout_masks=recurrent_masks)

    def _fused_cell(self):
        return fused_ops.lstm_cell(self.activation, self.recurrent_activation)

    def get_config(self):
        config = {**self._config_head(),
                  "recurrent_activation": activations_mod.serialize(self.recurrent_activation),
                  "use_bias": self.use_bias, **self._config_weights(), "unit_forget_bias": self.unit_forget_bias,
                  **self._config_tail(), "seed": self.seed}
        if self.implementation != 2:
            config["implementation"] = self.implementation
        return config
