"""What LSTM, GRU and SimpleRNN share: arguments, states, masks, dropout masks, shapes, config.

A subclass says how many gate blocks it has (`_gates`), which states it carries
(`_state_names`), creates its weights in `build`, and supplies `_project` (the
input projection of all steps) and `_step` (one recurrent step, from
`lstmkit._kernels.recurrent`). The scan itself is `lstmkit._kernels.recurrent.rnn_scan`.

State handling
--------------
* `initial_state=[...]` passed to a call wins (list of arrays, one per state).
* Otherwise a stateful layer starts from its carried state, read with
  `ctx.get_state(self)` (host side: `self._states`), and writes its final state
  back with `ctx.set_state(self, ...)`; a non-stateful layer starts from zeros.

Dropout (Keras 3 semantics)
---------------------------
Active only in training. One input mask (batch, input_dim) and one recurrent
mask (batch, units) per call, reused at every step; with `recurrent_dropout`
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
from lstmkit.layers.base import Layer
from lstmkit._kernels import fused as fused_ops
from lstmkit._kernels import recurrent as rnn_ops


class NotStatefulError(AttributeError, ValueError):
    """`reset_states()` on a layer that is not stateful (an AttributeError, as in Keras, and a ValueError)."""


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


class RNNBase(Layer):
    """Base of the recurrent layers (not used directly)."""

    supports_masking = True
    _gates = 1
    _state_names: tuple = ("h",)
    _per_gate_dropout_capable = True

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 implementation=2, **kwargs):
        cls_name = type(self).__name__
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
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
        if implementation not in (1, 2):
            raise ValueError(f"Received an invalid value for argument `implementation` of {cls_name}: expected 1 or 2, "
                             f"got {implementation!r}.")
        self.implementation = int(implementation)
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

    def _build_weights(self, input_dim):
        raise NotImplementedError

    def _add_kernels(self, input_dim):
        width = self._gates * self.units
        self.kernel = self.add_weight("kernel", (input_dim, width), self.kernel_initializer,
                                      self.kernel_regularizer, self.kernel_constraint)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width), self.recurrent_initializer,
                                                self.recurrent_regularizer, self.recurrent_constraint)

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

    # ----------------------------------------------------------------- state
    @property
    def state_size(self):
        return [self.units for _ in self._state_names]

    def initial_state(self, batch_size):
        return tuple(jnp.zeros((int(batch_size), self.units), jnp.float32) for _ in self._state_names)

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
            if carried[0].shape[0] != batch:
                raise ValueError(
                    f'Layer "{self.name}" is stateful and holds states for batch size {carried[0].shape[0]}, '
                    f"but received inputs with batch size {batch}. A stateful RNN needs the same batch size in "
                    f"every call. (Expected batch size: {carried[0].shape[0]}; received batch size: {batch}.)"
                )
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

    # ----------------------------------------------------------------- dropout
    def _per_gate_dropout(self) -> bool:
        return self._per_gate_dropout_capable and (self.implementation == 1 or self.recurrent_dropout != 0.0)

    def _dropout_applies(self, rate) -> bool:
        return 0.0 < rate < 1.0

    def _dropout_masks(self, ctx, training, batch, input_dim):
        """(input masks, recurrent masks) for this call: None or (batch, n) / (gates, batch, n) arrays."""
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

    # ----------------------------------------------------------------- call
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

    def _masked_output_mode(self):
        if self.unroll:
            return "previous"  # Keras's unrolled loop fills masked steps with the previous output
        return "zero" if self.zero_output_for_mask else "state"

    def call(self, params, inputs, ctx, mask=None, initial_state=None, training=None):
        training = ctx.training if training is None else bool(training)
        self._check_input_shape(inputs.shape)
        inputs = jnp.asarray(inputs, jnp.float32)
        batch, steps, input_dim = inputs.shape
        state = self._resolve_initial_state(ctx, batch, initial_state)
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        if mask is not None:
            mask = jnp.asarray(mask)
            if mask.shape != (batch, steps):
                raise ValueError(f'Layer "{self.name}" received a mask of shape {tuple(mask.shape)}; expected '
                                 f"(batch, timesteps) = {(batch, steps)}.")
            mask = mask.astype(bool)
        input_masks, recurrent_masks = self._dropout_masks(ctx, training, batch, input_dim)
        cell = None if self.unroll else self._fused_cell()
        # The fused scan takes its inputs time-major, projected so (one mask for all gates, or none).
        time_major = cell is not None and (input_masks is None or input_masks.ndim == 2)
        if time_major:
            x = inputs if input_masks is None else inputs * input_masks[:, None, :]
            projected = fused_ops.time_major_projection(x, params["kernel"], self._input_bias(params))
        else:
            projected = self._project(params, inputs, input_masks)
        if cell is not None:
            last, sequence, final_state = fused_ops.fused_rnn_scan(
                cell, projected, state, params["recurrent_kernel"], recurrent_bias=self._recurrent_bias(params),
                recurrent_dropout_masks=recurrent_masks, mask=mask, go_backwards=self.go_backwards,
                return_sequences=self.return_sequences, masked_output=self._masked_output_mode(),
                cell_params=self._cell_params(params), time_major=time_major)
        else:  # the plain scan, differentiated by autodiff (unroll=True; GRU with reset_after=False)
            last, sequence, final_state = rnn_ops.rnn_scan(
                self._step(params, recurrent_masks), projected, state, mask=mask, go_backwards=self.go_backwards,
                unroll=self.unroll, return_sequences=self.return_sequences,
                masked_output=self._masked_output_mode())
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

    def _config_weights(self):
        return {
            "kernel_initializer": initializers_mod.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers_mod.serialize(self.recurrent_initializer),
            "bias_initializer": initializers_mod.serialize(self.bias_initializer),
        }

    def _config_tail(self):
        return {
            "kernel_regularizer": _ser(regularizers_mod, self.kernel_regularizer),
            "recurrent_regularizer": _ser(regularizers_mod, self.recurrent_regularizer),
            "bias_regularizer": _ser(regularizers_mod, self.bias_regularizer),
            "activity_regularizer": _ser(regularizers_mod, self.activity_regularizer),
            "kernel_constraint": _ser(constraints_mod, self.kernel_constraint),
            "recurrent_constraint": _ser(constraints_mod, self.recurrent_constraint),
            "bias_constraint": _ser(constraints_mod, self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
