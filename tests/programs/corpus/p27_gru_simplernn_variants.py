"""Comparing SimpleRNN, GRU and LSTM on the same sequence problem (Keras 2 and 3 spellings).

Follows the "Recurrent Neural Networks (RNN) with Keras" TensorFlow guide (layers.SimpleRNN,
layers.GRU, layers.LSTM) and the Deep Learning with Python "temperature forecasting" chapter
(GRU(32, dropout=0.2, recurrent_dropout=0.2)),
plus Keras 2's GRU(reset_after=False) and SimpleRNN imported from keras.layers.recurrent.
"""
import numpy as np
from lstmkit.models import Sequential
from lstmkit import layers
from lstmkit.layers.recurrent import SimpleRNN, GRU

np.random.seed(3)
X = np.random.rand(32, 8, 2).astype('float32')
y = X[:, -3:, 0].sum(axis=1)

results = {}
for name, rnn in [
    ('simple_rnn', lambda: SimpleRNN(16, activation='tanh')),
    ('gru', lambda: layers.GRU(16, dropout=0.2, recurrent_dropout=0.2)),
    ('gru_v1', lambda: GRU(16, reset_after=False)),
    ('lstm', lambda: layers.LSTM(16)),
]:
    model = Sequential()
    model.add(layers.Input(shape=(None, 2)))
    model.add(rnn())
    model.add(layers.Dense(1))
    model.compile(optimizer='rmsprop', loss='mae')
    history = model.fit(X, y, epochs=3, batch_size=8, verbose=0)
    results[name] = (model.count_params(), history.history['loss'][-1])
    print(name, results[name])

assert results['simple_rnn'][0] == 16 * (2 + 16 + 1) + 17
assert results['gru'][0] == 3 * 16 * (2 + 16 + 2) + 17
assert results['gru_v1'][0] == 3 * 16 * (2 + 16 + 1) + 17
assert results['lstm'][0] == 4 * 16 * (2 + 16 + 1) + 17
model.summary()
