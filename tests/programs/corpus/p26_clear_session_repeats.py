"""Repeated experiments with K.clear_session() between runs, scored by RMSE.

Follows machinelearningmastery.com "How to Make Out-of-Sample Forecasts / Evaluate the Skill of
Deep Learning Models" (repeat the experiment n times, collect RMSE scores, describe them with
pandas) and the Keras 2 habit `import keras.backend as K; K.clear_session()` in the loop,
with a supervised frame built by pandas shift() (series_to_supervised).
"""
from math import sqrt
import numpy as np
from pandas import DataFrame, concat
import lstmkit.backend as K
from lstmkit.models import Sequential
from lstmkit.layers import Dense, LSTM


# frame a sequence as a supervised learning problem
def timeseries_to_supervised(data, lag=1):
    df = DataFrame(data)
    columns = [df.shift(i) for i in range(1, lag+1)]
    columns.append(df)
    df = concat(columns, axis=1)
    df.fillna(0, inplace=True)
    return df


# scale train and test data to [-1, 1]
def scale(train, test):
    lo, hi = train.min(axis=0), train.max(axis=0)
    train_scaled = (train - lo) / (hi - lo) * 2 - 1
    test_scaled = (test - lo) / (hi - lo) * 2 - 1
    return train_scaled, test_scaled


def fit_lstm(train, batch_size, nb_epoch, neurons):
    X, y = train[:, 0:-1], train[:, -1]
    X = X.reshape(X.shape[0], 1, X.shape[1])
    model = Sequential()
    model.add(LSTM(neurons, input_shape=(X.shape[1], X.shape[2])))
    model.add(Dense(1))
    model.compile(loss='mean_squared_error', optimizer='adam')
    model.fit(X, y, epochs=nb_epoch, batch_size=batch_size, verbose=0, shuffle=False)
    return model


series = np.sin(np.linspace(0, 6, 30)) * 100 + 200
diff = np.diff(series)
supervised = timeseries_to_supervised(diff, 1).values
train, test = supervised[0:-8], supervised[-8:]
train_scaled, test_scaled = scale(train, test)

repeats = 3
error_scores = list()
for r in range(repeats):
    K.clear_session()
    lstm_model = fit_lstm(train_scaled, 4, 3, 4)
    X = test_scaled[:, 0:-1].reshape(len(test_scaled), 1, 1)
    yhat = lstm_model.predict(X, batch_size=4, verbose=0)
    rmse = sqrt(np.mean((yhat[:, 0] - test_scaled[:, -1]) ** 2))
    print('%d) Test RMSE: %.3f' % (r+1, rmse))
    error_scores.append(rmse)
    assert lstm_model.layers[0].name == 'lstm', lstm_model.layers[0].name

results = DataFrame()
results['rmse'] = error_scores
print(results.describe())
