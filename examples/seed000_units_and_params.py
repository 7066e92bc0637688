"""Seed 000, Q1: what `units` means, and where an LSTM's parameter count comes from.

The seed quotes Keras 2's LSTM signature; every argument in it is accepted.
With 28 input features and 128 units the four gate layers hold
(128 + 28) * (128 * 4) weights plus 4 * 128 biases; a Dense(10) on top adds 128 * 10 + 10.
"""
from lstmkit.models import Sequential
from lstmkit.layers import LSTM, Dense

units = 128
lstm = LSTM(units, activation='tanh', recurrent_activation='hard_sigmoid', use_bias=True,
            kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal', bias_initializer='zeros',
            unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
            activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
            dropout=0.0, recurrent_dropout=0.0, implementation=1, return_sequences=False, return_state=False,
            go_backwards=False, stateful=False, unroll=False, input_shape=(10, 28))

model = Sequential()
model.add(lstm)
model.add(Dense(10))
model.summary()

lstm_params = model.layers[0].count_params()
dense_params = model.layers[1].count_params()
print('LSTM params:', lstm_params, '=', (128 + 28) * (128 * 4), '+', 4 * 128)
print('Dense params:', dense_params, '=', 128 * 10, '+', 10)
