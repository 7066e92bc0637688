"""What LSTM, GRU and SimpleRNN share as layers: sequence arguments, states, masks, shapes, config.

The cell family's part (arguments, weights, dropout masks, the recurrence itself) is
`lstmkit.layers.cell_equations.CellEquations`, shared with the stock cells (`LSTMCell`, ...).

State handling
--------------
* `initial_state=[...]` passed to a call wins (list of arrays, one per state).
* Otherwise a stateful layer starts from its carried state, read with
  `ctx.get_state(self)` (host side: `self._states`), and writes its final state
  back with `ctx.set_state(self, ...)`; a non-stateful layer starts from zeros.
"""

from __future__ import annotations

import inspect

import jax.numpy as jnp
import numpy as np

from lstmkit import activations as activations_mod
from lstmkit.layers.base import Layer, snake_case
from lstmkit.layers.cell_equations import (  # noqa: F401  (re-exported: older imports name them here)
    CellEquations, _as_list, _positive_units, _rate, _ser, check_stateful_batch)


class NotStatefulError(AttributeError, ValueError):
    """`reset_states()` on a layer that is not stateful (an AttributeError, as in Keras, and a ValueError)."""


class RNNBase(CellEquations, Layer):
    """Base of the recurrent layers (not used directly)."""

    supports_masking = True

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 implementation=2, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._init_cell_args(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                             bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                             kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                             seed, implementation)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self._states = None

    @classmethod
    def _sequence_input(cls) -> bool:
        return True

    # ----------------------------------------------------------------- shapes
    def _check_input_shape(self, shape):
        if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        shape = tuple(shape)
        if len(shape) != 3:
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected ndim=3, '
                f"found ndim={len(shape)}. Full shape received: {shape}"
            )
        kernel = next((v for v in self._vars if v.name == "kernel"), None)
        if kernel is not None and shape[-1] is not None and shape[-1] != kernel.shape[0]:
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis -1 of input shape '
                f"to have value {kernel.shape[0]}, but received input with shape {shape}"
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f'Layer "{self.name}" needs a known number of input features; '
                             f"received input shape {tuple(input_shape)}.")
        self._build_weights(int(input_dim))
        self.built = True

    def compute_output_shape(self, input_shape, initial_state=None, **kwargs):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list)):
            input_shape = input_shape[0]
        self._check_input_shape(input_shape)
        batch, steps = input_shape[0], input_shape[1]
        out = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [out] + [(batch, self.units) for _ in self._state_names]
        return out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None for _ in self._state_names]
        return out

    # ----------------------------------------------------------------- Keras's `layer.cell`
    def _stock_cell_class(self):
        """The family's cell class (`LSTMCell`, ...); each layer names its own."""
        raise AttributeError(f"'{type(self).__name__}' object has no attribute 'cell'")

    @property
    def cell(self):
        """Keras's `layer.cell`: the family's stock cell with this layer's arguments and, once the layer is
        built, this layer's own weights (`layer.cell.kernel is layer.kernel`).

        Made on first use and kept out of the layer's tracking: it adds nothing to the layer's weights,
        config or files (Keras's cell weights are where `keras_children` already puts them).
        """
        cell = self.__dict__.get("_cell_view")
        if cell is None:
            cls = self._stock_cell_class()
            names = [n for n in inspect.signature(cls.__init__).parameters if n not in ("self", "units", "kwargs")]
            arguments = {n: getattr(self, n) for n in names if hasattr(self, n)}
            cell = cls(self.units, name=self._cell_name(), dtype=self.dtype, trainable=self.trainable, **arguments)
            # lstmkit's LSTM variants and Keras 1's dropout layout: the cell runs the layer's own equations.
            for attr in ("implementation", "peephole", "coupled_gates", "_gates"):
                if attr in self.__dict__:
                    object.__setattr__(cell, attr, self.__dict__[attr])
            object.__setattr__(self, "_cell_view", cell)
        if self.built and cell.__dict__.get("_vars") is not self._vars:
            object.__setattr__(cell, "_vars", self._vars)  # the same Variables, under the same param names
            for var in self._vars:
                object.__setattr__(cell, var.name, var)
            cell.built = True
        return cell

    # ----------------------------------------------------------------- state
    @property
    def state_size(self):
        return [self.units for _ in self._state_names]

    def initial_state(self, batch_size):
        return self._zero_state(batch_size)

    get_initial_state = initial_state

    @property
    def states(self):
        """The carried states of a stateful layer (list of arrays), or None."""
        return None if self._states is None else list(self._states)

    def reset_states(self, states=None):
        """Zero the carried state of a stateful layer, or set it to `states` (one array per state)."""
        if not self.stateful:
            raise NotStatefulError("Layer must be stateful.")
        batch = self._states[0].shape[0] if self._states is not None else self._fixed_batch_size()
        if states is None:
            self._states = None if batch is None else self.initial_state(batch)
            return
        states = _as_list(states)
        n = len(self._state_names)
        if len(states) != n:
            raise ValueError(f'Layer "{self.name}" expects {n} state arrays ({", ".join(self._state_names)}), '
                             f"but reset_states() received {len(states)}.")
        out = []
        for name, value in zip(self._state_names, states):
            value = np.asarray(value, dtype=np.float32)
            expected = (batch if batch is not None else (value.shape[0] if value.ndim else None), self.units)
            if value.shape != expected:
                raise ValueError(f'State "{name}" of layer "{self.name}" should have shape {expected}, '
                                 f"but reset_states() received shape {value.shape}.")
            out.append(jnp.asarray(value))
        self._states = tuple(out)

    reset_state = reset_states

    def _resolve_initial_state(self, ctx, batch, initial_state):
        n = len(self._state_names)
        carried = ctx.get_state(self) if self.stateful else None
        if self.stateful:
            if carried is None:
                carried = self.initial_state(batch)
            check_stateful_batch(self, carried[0].shape[0], batch)
        if initial_state is None:
            return tuple(carried) if carried is not None else self.initial_state(batch)
        states = _as_list(initial_state)
        if len(states) != n:
            raise ValueError(
                f'Layer "{self.name}" expects {n} initial state tensor(s) ({", ".join(self._state_names)}), '
                f"but received {len(states)}."
            )
        out = []
        for name, s in zip(self._state_names, states):
            s = jnp.asarray(s, jnp.float32)
            if s.shape != (batch, self.units):
                raise ValueError(
                    f'Initial state "{name}" of layer "{self.name}" should have shape {(batch, self.units)}, '
                    f"received {tuple(s.shape)}."
                )
            out.append(s)
        return tuple(out)

    # ----------------------------------------------------------------- call
    def _masked_output_mode(self):
        if self.unroll:
            return "previous"  # Keras's unrolled loop fills masked steps with the previous output
        return "zero" if self.zero_output_for_mask else "state"

    def call(self, params, inputs, ctx, mask=None, initial_state=None, training=None):
        training = ctx.training if training is None else bool(training)
        self._check_input_shape(inputs.shape)
        inputs = jnp.asarray(inputs, jnp.float32)
        batch, steps, _ = inputs.shape
        state = self._resolve_initial_state(ctx, batch, initial_state)
        mask = sequence_mask(self.name, mask, batch, steps)
        last, sequence, final_state = self.run_sequence(
            params, inputs, state, ctx, training=training, mask=mask, go_backwards=self.go_backwards,
            return_sequences=self.return_sequences, unroll=self.unroll, masked_output=self._masked_output_mode())
        if self.stateful:
            ctx.set_state(self, tuple(final_state))
        output = sequence if self.return_sequences else last
        if self.return_state:
            return [output, *final_state]
        return output

    # ----------------------------------------------------------------- config
    def _config_head(self):
        base = super().get_config()
        base.pop("activity_regularizer", None)  # placed with the other regularizers, as Keras orders them
        return {**base, "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask, "units": self.units,
                "activation": activations_mod.serialize(self.activation)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_serializable = False  # a base class: files name LSTM, GRU or SimpleRNN
    _keras_cell_name = None  # Keras's cell object holding the weights ('lstm_cell'); None: '<snake name>_cell'

    def _cell_name(self) -> str:
        return self._keras_cell_name or snake_case(type(self).__name__) + "_cell"

    def keras_own_variables(self):
        return []  # Keras keeps a recurrent layer's weights in its cell

    def keras_children(self):
        return [("cell", _KerasCell(self._cell_name(), list(self._vars)))]

    def keras_legacy_weight_names(self, prefix):
        return super().keras_legacy_weight_names(f"{prefix}/{self._cell_name()}")

    @classmethod
    def keras2_config(cls, config, where):
        return reject_time_major(config, where)

    @classmethod
    def to_keras2_config(cls, config, where, convert):
        config.pop("zero_output_for_mask", None)
        if config.pop("seed", None) is not None:
            raise ValueError(f"{where}: Keras 2 recurrent layers have no `seed`; save this model as '.keras' instead.")
        config["time_major"] = False
        config.setdefault("implementation", 2)
        return config

    @classmethod
    def keras2_states_as_inputs(cls) -> bool:
        return True

    def traces_steps(self) -> bool:
        return True

    def trace_steps(self, params, inputs, mask=None, initial_state=None, states=None):
        from lstmkit.layers.rnn_trace import trace_recurrence

        return {"": trace_recurrence(self, params, inputs, mask, initial_state, states)}

    def trace_cell(self, params):
        """(kind, quantities, cell) for `lstmkit.layers.rnn_trace`; each recurrent layer gives its own."""
        raise NotImplementedError(f"trace(): no trace for recurrent layer {self.name!r} of type "
                                  f"{type(self).__name__}; LSTM, GRU and SimpleRNN are traced.")


class _KerasCell:
    """The cell object Keras keeps inside a recurrent layer, as its weight files see it: a name and
    the layer's weights."""

    def __init__(self, name, variables):
        self.name = name
        self._variables = variables

    def keras_own_variables(self):
        return self._variables

    def keras_children(self):
        return []

    def keras_layers(self):
        return None


def reject_time_major(config, where):
    """A Keras 2 recurrent config, refused when it asks for TensorFlow's time-major input."""
    if config.pop("time_major", False):
        raise ValueError(f"{where}: time_major=True (TensorFlow's time-major RNN input) is not supported by "
                         "lstmkit, whose recurrent layers take (batch, timesteps, features).")
    return config


def sequence_mask(layer_name, mask, batch, steps):
    """A recurrent layer's mask as a (batch, timesteps) bool array (None without one), checked."""
    if isinstance(mask, (list, tuple)):
        mask = mask[0] if mask else None
    if mask is None:
        return None
    mask = jnp.asarray(mask)
    if mask.shape != (batch, steps):
        raise ValueError(f'Layer "{layer_name}" received a mask of shape {tuple(mask.shape)}; expected '
                         f"(batch, timesteps) = {(batch, steps)}.")
    return mask.astype(bool)
