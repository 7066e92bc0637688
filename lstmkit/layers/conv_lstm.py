"""`ConvLSTMCell`: Keras 3's convolutional LSTM cell, the step of `ConvLSTM1D` / `ConvLSTM2D` / `ConvLSTM3D`.

The LSTM's equations with convolutions for the matmuls (Shi et al. 2015): the gate
pre-activations are z = conv(x, kernel) + b + conv(h, recurrent_kernel), and the gates are the
LSTM's own, `lstmkit._kernels.recurrent.lstm_gates` (order i, f, c, o; `recurrent_activation` on
i, f, o). Keras's weights and layouts: `kernel` kernel_size + (channels, 4 filters),
`recurrent_kernel` kernel_size + (filters, 4 filters), `bias` (4 filters,). The input convolution
takes `strides`, `padding` and `dilation_rate`; the recurrent one is always stride 1, 'same', not
dilated (as Keras).

Internally everything is channels-last (channels_first inputs and states are transposed in and
out), so that the gate blocks lie on the last axis as `lstm_gates` reads them. A whole sequence
(`run_conv_sequence`) convolves the inputs of every step at once before the loop, as the LSTM
projects its inputs, and scans the recurrence with `lax.scan`, differentiated by JAX. The states
travel through the scan flattened to (batch, n), so the shared scan's masking (Keras's: a masked
step holds the states) applies unchanged.

Dropout as Keras's cell: one mask per gate (4) over the whole input, another 4 over h, drawn once
per sequence from the call's key stream (folded with `seed`); the four masked copies are
convolved in one grouped convolution.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit import activations as activations_mod
from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import regularizers as regularizers_mod
from lstmkit._kernels import recurrent as rnn_ops
from lstmkit.layers.base import Layer
from lstmkit.layers.cell_equations import _rate, _ser
from lstmkit.layers.convolution import data_format_arg, int_tuple
from lstmkit.layers.lstm import _unit_forget_bias

_GATES = 4  # i, f, c, o
_SPECS = {1: ("NWC", "WIO"), 2: ("NHWC", "HWIO"), 3: ("NDHWC", "DHWIO")}


def conv(x, kernel, strides, padding, dilation=None, groups=1):
    """A channels-last N-D convolution (JAX's default precision, as Keras's `ops.conv`)."""
    lhs, rhs = _SPECS[kernel.ndim - 2]
    return jax.lax.conv_general_dilated(x, kernel, tuple(strides), padding.upper(), rhs_dilation=dilation,
                                        dimension_numbers=(lhs, rhs, lhs), feature_group_count=groups)


def gate_conv(x, kernel, masks, strides, padding, dilation=None):
    """conv(x, kernel) for the 4 gate blocks; with `masks` (4, *x.shape) each block sees its own masked
    copy of x: the copies side by side on the channel axis, one grouped convolution."""
    if masks is None:
        return conv(x, kernel, strides, padding, dilation)
    stacked = jnp.concatenate([x * m for m in masks], axis=-1)
    return conv(stacked, kernel, strides, padding, dilation, groups=_GATES)


def to_channels_last(x, rank, lead=1):
    """(lead..., C, spatial...) -> (lead..., spatial..., C); `lead` axes (batch, time) stay."""
    return jnp.moveaxis(x, lead, lead + rank)


def to_channels_first(x, rank, lead=1):
    return jnp.moveaxis(x, lead + rank, lead)


def output_spatial_shape(spatial, kernel_size, strides, padding, dilation_rate, input_shape, kernel_shape):
    """Keras's `compute_conv_output_shape` for the spatial axes (None stays None), with its error."""
    out = []
    for n, k, s, d in zip(spatial, kernel_size, strides, dilation_rate):
        if n is None:
            out.append(None)
        elif padding == "valid":
            out.append((n - d * (k - 1) - 1) // s + 1)
        else:
            out.append((n - 1) // s + 1)
    if any(o is not None and o <= 0 for o in out):
        raise ValueError("Computed output size would be zero or negative. Received "
                         f"`inputs shape={tuple(input_shape)}`, `kernel shape={kernel_shape}`, "
                         f"`dilation_rate={np.array(dilation_rate)}`, `strides={strides}`, `padding={padding}`.")
    return tuple(out)


def _padding_arg(padding):
    p = padding.lower() if isinstance(padding, str) else padding
    if p not in ("valid", "same"):
        raise ValueError("The `padding` argument must be one of {'valid', 'same'}. "
                         f"Received: padding={padding!r}")
    return p


class ConvLSTMCell(Layer):
    """Keras 3's `ConvLSTMCell(rank, filters, kernel_size, ...)`: one step of a rank-D ConvLSTM.

    Called on one step's inputs (batch, spatial..., channels) (channels_first: (batch, channels,
    spatial...)) and states [h, c] (the output's shape); returns `(h, [h, c])`.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        cls_name = type(self).__name__
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 1:
            raise ValueError(f"Received an invalid value for argument `rank` of {cls_name}: expected 1, 2 or 3, "
                             f"got {rank!r}.")
        if rank > 3:
            raise ValueError(f"Rank {rank} convolutions are not currently implemented. Received: rank={rank}")
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError(f"Received an invalid value for argument `filters` of {cls_name}: expected a positive "
                             f"integer, got {filters!r}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"Received an invalid value for argument `seed` of {cls_name}: expected an int or None, "
                             f"got {seed!r}.")
        self.rank = int(rank)
        self.filters = int(filters)
        self.seed = None if seed is None else int(seed)
        self.kernel_size = int_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = int_tuple(strides, self.rank, "strides")
        self.padding = _padding_arg(padding)
        self.data_format = data_format_arg(data_format)
        self.dilation_rate = int_tuple(dilation_rate, self.rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("Specifying `strides > 1` is not compatible with `dilation_rate > 1`. Please provide "
                             f"`strides=1` or `dilation_rate=1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.activation = activations_mod.get(activation)
        self.recurrent_activation = activations_mod.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers_mod.get(kernel_initializer)
        self.recurrent_initializer = initializers_mod.get(recurrent_initializer)
        self.bias_initializer = initializers_mod.get(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = regularizers_mod.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers_mod.get(recurrent_regularizer)
        self.bias_regularizer = regularizers_mod.get(bias_regularizer)
        self.kernel_constraint = constraints_mod.get(kernel_constraint)
        self.recurrent_constraint = constraints_mod.get(recurrent_constraint)
        self.bias_constraint = constraints_mod.get(bias_constraint)
        self.dropout = _rate(dropout, "dropout", cls_name)
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout", cls_name)
        self.dropout_mask_count = _GATES
        self.state_size = -1  # Keras's: the states' shapes follow the inputs' (see get_initial_state)
        self.spatial_dims = None
        self.input_dim = None

    # ----------------------------------------------------------------- shapes and weights
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _split_shape(self, shape):
        """(channels, spatial dims) of a step's input shape (batch, ...)."""
        shape = tuple(shape)
        if self.data_format == "channels_last":
            return shape[-1], shape[1:-1]
        return shape[1], shape[2:]

    def check_step_shape(self, shape, where):
        """A step's input shape (batch, ...) against this cell's rank and, once built, its weights."""
        shape = tuple(shape)
        if len(shape) != self.rank + 2:
            raise ValueError(f'Input 0 of layer "{where}" is incompatible with the layer: expected ndim='
                             f"{self.rank + 2}, found ndim={len(shape)}. Full shape received: {shape}")
        if self.spatial_dims is not None:
            channels, spatial = self._split_shape(shape)
            expected = ((None,) + self.spatial_dims + (self.input_dim,) if self.data_format == "channels_last"
                        else (None, self.input_dim) + self.spatial_dims)
            if tuple(spatial) != self.spatial_dims or channels != self.input_dim:
                raise ValueError(f'Input 0 of layer "{where}" is incompatible with the layer: expected shape='
                                 f"{expected}, found shape={shape}")

    def build(self, input_shape, states_shape=None):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            self.check_step_shape(input_shape, self.name)
        channels, spatial = self._split_shape(input_shape)
        if None in spatial:
            raise ValueError("ConvLSTM layers only support static input shapes for the spatial dimension. "
                             f"Received invalid input shape: input_shape={input_shape}")
        if channels is None:
            raise ValueError("The channel dimension of the inputs (last axis) should be defined. Found None. "
                             f"Full input shape received: input_shape={input_shape}")
        self.compute_output_shape(input_shape)  # the output size must be positive
        self.spatial_dims, self.input_dim = tuple(int(d) for d in spatial), int(channels)
        width = _GATES * self.filters
        self.kernel = self.add_weight(name="kernel", shape=self.kernel_size + (self.input_dim, width),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=self.kernel_size + (self.filters, width),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            init = (_unit_forget_bias(self.bias_initializer, self.filters) if self.unit_forget_bias
                    else self.bias_initializer)
            self.bias = self.add_weight(name="bias", shape=(width,), initializer=init,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def compute_output_shape(self, inputs_shape, states_shape=None):
        inputs_shape = tuple(inputs_shape)
        channels, spatial = self._split_shape(inputs_shape)
        out = output_spatial_shape(spatial, self.kernel_size, self.strides, self.padding, self.dilation_rate,
                                   inputs_shape, self.kernel_size + (channels, self.filters))
        shape = ((inputs_shape[0],) + out + (self.filters,) if self.data_format == "channels_last"
                 else (inputs_shape[0], self.filters) + out)
        return shape, [shape, shape]

    def _state_shape(self, batch_size):
        """One state's shape, in the data format, for a built cell."""
        step = ((batch_size,) + self.spatial_dims + (self.input_dim,) if self.data_format == "channels_last"
                else (batch_size, self.input_dim) + self.spatial_dims)
        return self.compute_output_shape(step)[0]

    def get_initial_state(self, batch_size=None):
        shape = self._state_shape(int(batch_size))
        return [jnp.zeros(shape, jnp.float32), jnp.zeros(shape, jnp.float32)]

    # ----------------------------------------------------------------- the equations
    def _dropout_masks(self, ctx, training, batch):
        """(input masks, recurrent masks), each None or (4, batch, spatial..., n) channels-last, drawn once."""
        use_in = training and 0.0 < self.dropout < 1.0
        use_rec = training and 0.0 < self.recurrent_dropout < 1.0
        if not (use_in or use_rec):
            return None, None
        key = ctx.next_rng()
        if self.seed is not None:
            key = jax.random.fold_in(key, self.seed)
        key_in, key_rec = jax.random.split(key)

        def draw(k, rate, shape):
            keep = jax.random.bernoulli(k, 1.0 - rate, (_GATES,) + shape)
            return jnp.where(keep, jnp.float32(1.0 / (1.0 - rate)), jnp.float32(0.0))

        state_shape = self._state_shape(batch)
        if self.data_format == "channels_first":
            state_shape = (batch,) + tuple(state_shape[2:]) + (self.filters,)
        in_masks = draw(key_in, self.dropout, (batch,) + self.spatial_dims + (self.input_dim,)) if use_in else None
        rec_masks = draw(key_rec, self.recurrent_dropout, tuple(state_shape)) if use_rec else None
        return in_masks, rec_masks

    def _input_conv(self, params, x, masks):
        """z_x = conv(x, kernel) + bias on channels-last x (batch, spatial..., channels)."""
        z = gate_conv(x, params["kernel"], masks, self.strides, self.padding, self.dilation_rate)
        return z + params["bias"] if self.use_bias else z

    def _gates(self, params, zx, h, c, rec_masks):
        """The LSTM's gates on z = z_x + conv(h, recurrent_kernel): the new (h, c), channels-last."""
        zh = gate_conv(h, params["recurrent_kernel"], rec_masks, (1,) * self.rank, "same")
        h, c, _ = rnn_ops.lstm_gates(zx + zh, c, activation=self.activation,
                                     recurrent_activation=self.recurrent_activation)
        return h, c

    def _in(self, x, lead=1):
        return x if self.data_format == "channels_last" else to_channels_last(x, self.rank, lead)

    def _out(self, x, lead=1):
        return x if self.data_format == "channels_last" else to_channels_first(x, self.rank, lead)

    def step_function(self, params, ctx, training, batch, features):
        """`step(x_t, (h, c)) -> (h, (h, c))` in the data format, dropout masks drawn once (RNN(cell) runs it)."""
        in_masks, rec_masks = self._dropout_masks(ctx, training, batch)

        def run(x_t, state):
            h, c = (self._in(jnp.asarray(s, jnp.float32)) for s in state)
            h, c = self._gates(params, self._input_conv(params, self._in(x_t), in_masks), h, c, rec_masks)
            h, c = self._out(h), self._out(c)
            return h, (h, c)

        return run

    def run_conv_sequence(self, params, inputs, state, ctx, *, training, mask=None, go_backwards=False,
                          return_sequences=False, unroll=False, masked_output="state"):
        """The recurrence over `inputs` (batch, time, ...) from `state` (h, c), both in the data format.

        Returns (last output, outputs or None, (h, c)) as `rnn_scan` does, in the data format.
        """
        x = self._in(inputs, lead=2)
        batch, steps = x.shape[:2]
        in_masks, rec_masks = self._dropout_masks(ctx, training, batch)
        if in_masks is not None:  # each gate's masked copy of the inputs, the same mask at every step
            x = jnp.concatenate([x * m[:, None] for m in in_masks], axis=-1)
        # The input convolution of every step at once, before the loop (as the LSTM projects its inputs).
        zx = conv(x.reshape((batch * steps,) + x.shape[2:]), params["kernel"], self.strides, self.padding,
                  self.dilation_rate, groups=1 if in_masks is None else _GATES)
        if self.use_bias:
            zx = zx + params["bias"]
        zx = zx.reshape((batch, steps) + zx.shape[1:])
        h0, c0 = (self._in(jnp.asarray(s, jnp.float32)) for s in state)
        shape = h0.shape

        def step(zx_t, flat_state):
            h, c = (s.reshape(shape) for s in flat_state)
            h, c = self._gates(params, zx_t, h, c, rec_masks)
            out = h.reshape(batch, -1)
            return out, (out, c.reshape(batch, -1))

        last, outputs, final = rnn_ops.rnn_scan(step, zx, (h0.reshape(batch, -1), c0.reshape(batch, -1)), mask=mask,
                                                go_backwards=go_backwards, unroll=unroll,
                                                return_sequences=return_sequences, masked_output=masked_output)
        last = self._out(last.reshape(shape))
        if outputs is not None:
            outputs = self._out(outputs.reshape((batch, steps) + shape[1:]), lead=2)
        return last, outputs, tuple(self._out(s.reshape(shape)) for s in final)

    def call(self, params, inputs, ctx, states, training=None):
        """One step: inputs (batch, ...) and states [h, c]; returns (h, [h, c])."""
        training = ctx.training if training is None else bool(training)
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(states) != 2:
            raise ValueError(f'Cell "{self.name}" expects 2 states (h, c), received {len(states)}.')
        inputs = jnp.asarray(inputs, jnp.float32)
        self.check_step_shape(inputs.shape, self.name)
        step = self.step_function(params, ctx, training, inputs.shape[0], None)
        h, (h, c) = step(inputs, states)
        return h, [h, c]

    # ----------------------------------------------------------------- config and facts
    def conv_config(self):
        """The keys Keras's ConvLSTM cell and layers write, in Keras's order (activity_regularizer: the layer's)."""
        return {
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
            "activation": activations_mod.serialize(self.activation),
            "recurrent_activation": activations_mod.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers_mod.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers_mod.serialize(self.recurrent_initializer),
            "bias_initializer": initializers_mod.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": _ser(regularizers_mod, self.kernel_regularizer),
            "recurrent_regularizer": _ser(regularizers_mod, self.recurrent_regularizer),
            "bias_regularizer": _ser(regularizers_mod, self.bias_regularizer),
            "kernel_constraint": _ser(constraints_mod, self.kernel_constraint),
            "recurrent_constraint": _ser(constraints_mod, self.recurrent_constraint),
            "bias_constraint": _ser(constraints_mod, self.bias_constraint),
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed,
        }

    def get_config(self):
        # Keras's cell config has no `rank` (its from_config cannot rebuild the cell); lstmkit adds it.
        return {**super().get_config(), "rank": self.rank, **self.conv_config()}

    def param_count_formula(self):
        """4 gate blocks, each prod(kernel_size) × (channels + filters) × filters (+ filters of bias)."""
        kernel = next((v for v in self._vars if v.name == "kernel"), None)
        if kernel is None:
            return None
        k, c, f = int(np.prod(self.kernel_size)), self.input_dim, self.filters
        window = " × ".join(str(s) for s in self.kernel_size)
        if self.use_bias:
            return (f"4 × ({window} × ({c} + {f}) × {f} + {f})", _GATES * (k * (c + f) * f + f),
                    "4 gates (i, f, c, o) × (kernel window × (channels + filters) × filters + filters)")
        return (f"4 × ({window} × ({c} + {f}) × {f})", _GATES * k * (c + f) * f,
                "4 gates (i, f, c, o) × (kernel window × (channels + filters) × filters), no bias")
