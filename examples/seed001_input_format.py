"""Seeds 001 and 002: LSTM input is 3-D (samples, time steps, features); reshape data to fit."""
from numpy import array

from lstmkit.models import Sequential
from lstmkit.layers import LSTM, Dense

model = Sequential()
model.add(LSTM(32, input_shape=(50, 2)))
model.add(Dense(1))
print(model.output_shape)

# one sample, 10 time steps, 1 feature
data = array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
data = data.reshape((1, 10, 1))
print(data.shape)
model = Sequential()
model.add(LSTM(32, input_shape=(10, 1)))
single_feature_out = model.predict(data)
print(single_feature_out.shape)

# one sample, 10 time steps, 2 features (two parallel series)
data = array([
    [0.1, 1.0],
    [0.2, 0.9],
    [0.3, 0.8],
    [0.4, 0.7],
    [0.5, 0.6],
    [0.6, 0.5],
    [0.7, 0.4],
    [0.8, 0.3],
    [0.9, 0.2],
    [1.0, 0.1]])
data = data.reshape(1, 10, 2)
print(data.shape)
model = Sequential()
model.add(LSTM(32, input_shape=(10, 2)))
two_feature_out = model.predict(data)
print(two_feature_out.shape)

# a 2-D dataset's columns as time steps, or as the features of one time step
data2d = array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
as_steps = data2d.reshape((data2d.shape[0], data2d.shape[1], 1))
as_features = data2d.reshape((data2d.shape[0], 1, data2d.shape[1]))
print(as_steps.shape, as_features.shape)
