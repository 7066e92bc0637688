"""TimeseriesGenerator + fit_generator (Keras 2's name) for univariate forecasting.

Follows machinelearningmastery.com "How to Use the TimeseriesGenerator for Time Series
Forecasting in Keras" (Univariate / LSTM example): TimeseriesGenerator(series, series,
length=n_input, batch_size=8), len(generator), generator[i], a Dense model then an LSTM fitted
with model.fit_generator(generator, steps_per_epoch=1, epochs=...), predict on one window.
"""
from numpy import array
from lstmkit.models import Sequential
from lstmkit.layers import Dense
from lstmkit.layers import LSTM
from lstmkit.preprocessing.sequence import TimeseriesGenerator

# define dataset
series = array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
# define generator
n_input = 2
generator = TimeseriesGenerator(series, series, length=n_input, batch_size=1)
# number of samples
print('Samples: %d' % len(generator))
# print each sample
for i in range(len(generator)):
    x, y = generator[i]
    print('%s => %s' % (x, y))

# MLP
generator = TimeseriesGenerator(series, series, length=n_input, batch_size=8)
model = Sequential()
model.add(Dense(100, activation='relu', input_dim=n_input))
model.add(Dense(1))
model.compile(optimizer='adam', loss='mse')
# fit model
model.fit_generator(generator, steps_per_epoch=1, epochs=20, verbose=0)
# make a one step prediction out of sample
x_input = array([9, 10]).reshape((1, n_input))
yhat = model.predict(x_input, verbose=0)
print(yhat)

# LSTM: reshape to [samples, timesteps, features]
series = series.reshape((len(series), 1))
n_features = 1
generator = TimeseriesGenerator(series, series, length=n_input, batch_size=8)
model = Sequential()
model.add(LSTM(100, activation='relu', input_shape=(n_input, n_features)))
model.add(Dense(1))
model.compile(optimizer='adam', loss='mse')
model.fit_generator(generator, steps_per_epoch=1, epochs=20, verbose=0)
x_input = array([9, 10]).reshape((1, n_input, n_features))
yhat = model.predict(x_input, verbose=0)
print(yhat)
print(model.evaluate_generator(generator, steps=1))
print(model.predict_generator(generator, steps=1).shape)
