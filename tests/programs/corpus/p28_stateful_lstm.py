"""Stateful LSTM trained in a manual epoch loop with model.reset_states().

Follows the Keras 2 example `examples/lstm_stateful.py` and machinelearningmastery.com
"Time Series Forecasting with the Long Short-Term Memory Network in Python"
(LSTM(neurons, batch_input_shape=(batch_size, X.shape[1], X.shape[2]), stateful=True),
for i in range(nb_epoch): model.fit(X, y, epochs=1, batch_size=batch_size, verbose=0,
shuffle=False); model.reset_states()), then walk-forward one-step forecasts with
predict(batch_size=1) on a re-built batch-size-1 model given the trained weights.
"""
import numpy as np
from lstmkit.models import Sequential
from lstmkit.layers import Dense
from lstmkit.layers import LSTM


def fit_lstm(train, batch_size, nb_epoch, neurons):
    X, y = train[:, 0:-1], train[:, -1]
    X = X.reshape(X.shape[0], 1, X.shape[1])
    model = Sequential()
    model.add(LSTM(neurons, batch_input_shape=(batch_size, X.shape[1], X.shape[2]), stateful=True))
    model.add(Dense(1))
    model.compile(loss='mean_squared_error', optimizer='adam')
    for i in range(nb_epoch):
        model.fit(X, y, epochs=1, batch_size=batch_size, verbose=0, shuffle=False)
        model.reset_states()
    return model


# make a one-step forecast
def forecast_lstm(model, batch_size, X):
    X = X.reshape(1, 1, len(X))
    yhat = model.predict(X, batch_size=batch_size, verbose=0)
    return yhat[0, 0]


series = np.linspace(-1, 1, 25)
supervised = np.stack([series[:-1], series[1:]], axis=1)
train, test = supervised[0:-4], supervised[-4:]

# fit the model
batch_size = 4
lstm_model = fit_lstm(train, batch_size, 3, 4)

# re-define the batch size as 1 for forecasting
n_batch = 1
new_model = Sequential()
new_model.add(LSTM(4, batch_input_shape=(n_batch, 1, 1), stateful=True))
new_model.add(Dense(1))
# copy weights
old_weights = lstm_model.get_weights()
new_model.set_weights(old_weights)
new_model.compile(loss='mean_squared_error', optimizer='adam')

# forecast the entire training dataset to build up state for forecasting
train_reshaped = train[:, 0].reshape(len(train), 1, 1)
new_model.predict(train_reshaped, batch_size=1, verbose=0)

# walk-forward validation on the test data
predictions = list()
for i in range(len(test)):
    X, y = test[i, 0:-1], test[i, -1]
    yhat = forecast_lstm(new_model, 1, X)
    predictions.append(yhat)
    print('Month=%d, Predicted=%f, Expected=%f' % (i+1, yhat, y))

# the state carries between calls: the same input twice gives two different outputs
a = new_model.predict(test[:1, 0].reshape(1, 1, 1), batch_size=1, verbose=0)
b = new_model.predict(test[:1, 0].reshape(1, 1, 1), batch_size=1, verbose=0)
assert not np.allclose(a, b)
new_model.reset_states()
c = new_model.predict(test[:1, 0].reshape(1, 1, 1), batch_size=1, verbose=0)
new_model.layers[0].reset_states()
d = new_model.predict(test[:1, 0].reshape(1, 1, 1), batch_size=1, verbose=0)
np.testing.assert_allclose(c, d, rtol=1e-6)
