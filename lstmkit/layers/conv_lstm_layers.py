"""`ConvLSTM1D`, `ConvLSTM2D`, `ConvLSTM3D`: Keras 3's convolutional LSTM layers (their `ConvLSTM` base).

Each is an `RNN` over a `ConvLSTMCell` named "conv_lstm_cell", as in Keras, so files hold the
weights where Keras puts them (`.keras`: `layers/conv_lstm2d/cell/vars/0..2`; `.h5`:
`conv_lstm2d/conv_lstm_cell/kernel`, ...). States, `stateful`, `initial_state`, masks,
`go_backwards`, `return_sequences` / `return_state` and `unroll` are the RNN's; the sequence runs
through the cell's `run_conv_sequence` (inputs convolved once for all steps, then one scan).

Inputs are (batch, time, spatial..., channels), or (batch, time, channels, spatial...) with
`data_format="channels_first"`; outputs and states (batch, out spatial..., filters) (channels
first: (batch, filters, out spatial...)).
"""

from __future__ import annotations

import jax.numpy as jnp

from lstmkit.layers.base import Layer
from lstmkit.layers.conv_lstm import ConvLSTMCell
from lstmkit.layers.rnn import RNN
from lstmkit.layers.rnn_base import reject_time_major, sequence_mask

#: The cell's arguments a ConvLSTM layer shows as its own attributes (Keras's properties).
_CELL_ATTRIBUTES = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
                    "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
                    "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer",
                    "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
                    "recurrent_dropout")


class ConvLSTM(RNN):
    """Keras 3's abstract `ConvLSTM(rank, filters, kernel_size, ...)`: the base of ConvLSTM1D/2D/3D."""

    _keras_serializable = False  # files name ConvLSTM1D, ConvLSTM2D or ConvLSTM3D

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, **kwargs):
        cell = ConvLSTMCell(
            rank=rank, filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            recurrent_activation=recurrent_activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
            name="conv_lstm_cell", dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.rank = cell.rank

    @property
    def seed(self):
        return self.cell.seed

    # ----------------------------------------------------------------- shapes
    def _check_input_shape(self, shape):
        if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        shape = tuple(shape)
        if len(shape) != self.rank + 3:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected ndim='
                             f"{self.rank + 3}, found ndim={len(shape)}. Full shape received: {shape}")
        self.cell.check_step_shape((shape[0],) + shape[2:], self.name)

    def build(self, input_shape, initial_state_shape=None):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list)):
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        self._check_input_shape(input_shape)
        if not self.cell.built:
            self.cell.build((input_shape[0],) + input_shape[2:])
        self.built = True

    def compute_output_shape(self, input_shape, initial_state=None, **kwargs):
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list)):
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        self._check_input_shape(input_shape)
        batch, steps = input_shape[:2]
        state = self.cell.compute_output_shape((batch,) + input_shape[2:])[0]
        out = (batch, steps) + state[1:] if self.return_sequences else state
        return [out, state, state] if self.return_state else out

    # ----------------------------------------------------------------- call
    def call(self, params, inputs, ctx, mask=None, initial_state=None, training=None):
        training = ctx.training if training is None else bool(training)
        inputs = jnp.asarray(inputs, jnp.float32)
        self._check_input_shape(inputs.shape)
        batch, steps = inputs.shape[:2]
        state = self._resolve_initial_state(ctx, batch, initial_state)
        mask = sequence_mask(self.name, mask, batch, steps)
        last, sequence, final_state = self.cell.run_conv_sequence(
            params.get("cell", {}), inputs, state, ctx, training=training, mask=mask,
            go_backwards=self.go_backwards, return_sequences=self.return_sequences, unroll=self.unroll,
            masked_output=self._masked_output_mode())
        if self.stateful:
            ctx.set_state(self, tuple(final_state))
        output = sequence if self.return_sequences else last
        if self.return_state:
            return [output, *final_state]
        return output

    # ----------------------------------------------------------------- config
    def get_config(self):
        # Keras's order: the base layer's keys, the RNN's (no `cell`), then the convolution's and the LSTM's.
        config = {**Layer.get_config(self), "return_sequences": self.return_sequences,
                  "return_state": self.return_state, "go_backwards": self.go_backwards, "stateful": self.stateful,
                  "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask}
        conv = self.cell.conv_config()
        for key, value in conv.items():
            config[key] = value
            if key == "bias_regularizer" and "activity_regularizer" not in config:
                config["activity_regularizer"] = None
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    @classmethod
    def keras2_config(cls, config, where):
        return reject_time_major(config, where)

    @classmethod
    def to_keras2_config(cls, config, where, convert):
        config.pop("zero_output_for_mask", None)
        if config.pop("seed", None) is not None:
            raise ValueError(f"{where}: Keras 2's ConvLSTM layers have no `seed`; save this model as '.keras' "
                             "instead.")
        config["time_major"] = False
        return config

    def traces_steps(self) -> bool:
        return False  # lstmkit.inspect.trace records the LSTM family's gates, not yet the convolutional ones


for _name in _CELL_ATTRIBUTES:
    setattr(ConvLSTM, _name, property(lambda self, _n=_name: getattr(self.cell, _n),
                                      doc=f"The cell's `{_name}` (Keras's property)."))


def _fixed_rank(rank, name, doc):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, **kwargs):
        ConvLSTM.__init__(
            self, rank, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
            return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
            stateful=stateful, unroll=unroll, **kwargs)

    return type(name, (ConvLSTM,), {"__init__": __init__, "__doc__": doc, "__module__": __name__,
                                    "__qualname__": name})


ConvLSTM1D = _fixed_rank(1, "ConvLSTM1D", """1-D convolutional LSTM: (batch, time, steps, channels) ->
    (batch, new_steps, filters) (with `return_sequences`, (batch, time, new_steps, filters)).""")
ConvLSTM2D = _fixed_rank(2, "ConvLSTM2D", """2-D convolutional LSTM: (batch, time, rows, cols, channels) ->
    (batch, new_rows, new_cols, filters) (with `return_sequences`, (batch, time, new_rows, new_cols, filters)).""")
ConvLSTM3D = _fixed_rank(3, "ConvLSTM3D", """3-D convolutional LSTM: (batch, time, d1, d2, d3, channels) ->
    (batch, new d1, new d2, new d3, filters) (with `return_sequences`, a time axis after the batch).""")
