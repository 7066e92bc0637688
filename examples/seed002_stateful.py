"""Seed 002, "LSTM State Management": a stateful LSTM, trained one epoch at a time with reset_states().

The seed passes `batch_input_shape` to fit(), which Keras never accepted: that call
now fails with an error saying where the batch shape goes; the loop below is the right call.
"""
import numpy as np

from lstmkit.models import Sequential
from lstmkit.layers import LSTM, Dense

# 100 samples, batch size 10, 5 time steps, 1 feature: predict the next value of a sine wave
t = np.arange(105, dtype='float32') * 0.3
series = np.sin(t)
X = np.stack([series[i:i + 5] for i in range(100)]).reshape(100, 5, 1)
y = series[5:105].reshape(100, 1)

model = Sequential()
model.add(LSTM(2, stateful=True, batch_input_shape=(10, 5, 1)))
model.add(Dense(1))
model.compile(loss='mse', optimizer='adam')

try:
	model.fit(X, y, epochs=1, batch_input_shape=(10, 5, 1))
except TypeError as err:
	print('As written in the seed:', err)

losses = []
for i in range(300):
	history = model.fit(X, y, epochs=1, shuffle=False, verbose=0)
	losses.append(history.history['loss'][0])
	model.reset_states()

predictions = model.predict(X, batch_size=10)
model.reset_states()
print('first epoch loss %.4f, last epoch loss %.4f' % (losses[0], losses[-1]))
print(predictions.shape)
