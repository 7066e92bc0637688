"""CNN-LSTM for univariate forecasting: TimeDistributed(Conv1D) over subsequences.

Follows machinelearningmastery.com "How to Develop LSTM Models for Time Series Forecasting"
(CNN-LSTM section), with its imports exactly: Conv1D and MaxPooling1D from
Keras 2's `keras.layers.convolutional`.
"""
from numpy import array
from lstmkit.models import Sequential
from lstmkit.layers import LSTM
from lstmkit.layers import Dense
from lstmkit.layers import Flatten
from lstmkit.layers import TimeDistributed
from lstmkit.layers.convolutional import Conv1D
from lstmkit.layers.convolutional import MaxPooling1D


def split_sequence(sequence, n_steps):
    X, y = list(), list()
    for i in range(len(sequence)):
        end_ix = i + n_steps
        if end_ix > len(sequence)-1:
            break
        seq_x, seq_y = sequence[i:end_ix], sequence[end_ix]
        X.append(seq_x)
        y.append(seq_y)
    return array(X), array(y)


raw_seq = [10, 20, 30, 40, 50, 60, 70, 80, 90]
# choose a number of time steps
n_steps = 4
X, y = split_sequence(raw_seq, n_steps)
# reshape from [samples, timesteps] into [samples, subsequences, timesteps, features]
n_features = 1
n_seq = 2
n_steps = 2
X = X.reshape((X.shape[0], n_seq, n_steps, n_features))
# define model
model = Sequential()
model.add(TimeDistributed(Conv1D(filters=64, kernel_size=1, activation='relu'),
                          input_shape=(None, n_steps, n_features)))
model.add(TimeDistributed(MaxPooling1D(pool_size=2)))
model.add(TimeDistributed(Flatten()))
model.add(LSTM(50, activation='relu'))
model.add(Dense(1))
model.compile(optimizer='adam', loss='mse')
model.fit(X, y, epochs=20, verbose=0)
x_input = array([60, 70, 80, 90])
x_input = x_input.reshape((1, n_seq, n_steps, n_features))
yhat = model.predict(x_input, verbose=0)
print(yhat)
