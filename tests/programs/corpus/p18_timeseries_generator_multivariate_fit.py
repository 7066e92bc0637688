"""Multivariate TimeseriesGenerator fed to fit / evaluate / predict (Keras 2.4+ style).

Follows machinelearningmastery.com "How to Use the TimeseriesGenerator" (Multivariate
Inputs and Dependent Series sections) and the Kaggle "LSTM with TimeseriesGenerator" notebooks
that pass the generator straight to model.fit(..., validation_data=test_generator) and plot the
loss curves with matplotlib.
"""
import numpy as np
import matplotlib.pyplot as plt
from numpy import array, hstack
from lstmkit.models import Sequential
from lstmkit.layers import LSTM, Dense
from lstmkit.preprocessing.sequence import TimeseriesGenerator

# define dataset
in_seq1 = array([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120])
in_seq2 = array([15, 25, 35, 45, 55, 65, 75, 85, 95, 105, 115, 125])
out_seq = array([in_seq1[i]+in_seq2[i] for i in range(len(in_seq1))])
# convert to [rows, columns] structure
in_seq1 = in_seq1.reshape((len(in_seq1), 1))
in_seq2 = in_seq2.reshape((len(in_seq2), 1))
out_seq = out_seq.reshape((len(out_seq), 1))
# horizontally stack columns
dataset = hstack((in_seq1, in_seq2))
# scale
dataset = dataset / 100.0
target = out_seq / 100.0
# define generator
n_features = dataset.shape[1]
n_input = 2
train_generator = TimeseriesGenerator(dataset[:9], target[:9], length=n_input, batch_size=3)
test_generator = TimeseriesGenerator(dataset[7:], target[7:], length=n_input, batch_size=3)
print('Samples: %d' % len(train_generator))
x, y = train_generator[0]
print(x.shape, y.shape)

model = Sequential()
model.add(LSTM(32, activation='relu', input_shape=(n_input, n_features)))
model.add(Dense(1))
model.compile(optimizer='adam', loss='mse')
history = model.fit(train_generator, epochs=5, validation_data=test_generator, verbose=0)
print(model.evaluate(test_generator, verbose=0))
predictions = model.predict(test_generator, verbose=0)
print(predictions.shape)
assert predictions.shape == (len(dataset[7:]) - n_input, 1)

plt.plot(history.history['loss'], label='train')
plt.plot(history.history['val_loss'], label='test')
plt.legend()
plt.show()
