"""Seed 002: define, compile, fit, evaluate and predict — each snippet of "How to Develop LSTMs in Keras".

The seed strips the quotes from names (`optimizer= sgd`); they are strings here.
Its data is left to the reader: a small binary task (is the sequence rising?).
"""
import numpy as np

from lstmkit.models import Sequential
from lstmkit.layers import LSTM, Dense, Activation
from lstmkit.optimizers import SGD

# Define the model: layer by layer, or as a list
model = Sequential()
model.add(LSTM(2))
model.add(Dense(1))

layers = [LSTM(2), Dense(1)]
model = Sequential(layers)

# The first hidden layer declares the input: (time steps, features)
model = Sequential()
model.add(LSTM(5, input_shape=(2, 1)))
model.add(Dense(1))
model.add(Activation('sigmoid'))

# Compile: by name, or with a configured optimizer (Keras 2's `lr=` still works)
model.compile(optimizer='sgd', loss='mse')
algorithm = SGD(lr=0.1, momentum=0.3)
model.compile(optimizer=algorithm, loss='mse')
model.compile(optimizer='sgd', loss='mean_squared_error', metrics=['accuracy'])

# Data: 2 time steps, 1 feature; label 1 when the second value is larger
rng = np.random.default_rng(1)
X = rng.uniform(size=(200, 2, 1)).astype('float32')
y = (X[:, 1, 0] > X[:, 0, 0]).astype('float32')

model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
model.fit(X, y, batch_size=32, epochs=100, verbose=2)
history = model.fit(X, y, batch_size=10, epochs=100, verbose=0)

# Evaluate
loss, accuracy = model.evaluate(X, y)
loss, accuracy = model.evaluate(X, y, verbose=0)
print('loss %.4f accuracy %.3f' % (loss, accuracy))

# Predict
predictions = model.predict(X)
predictions = model.predict(X, verbose=0)
classes = model.predict_classes(X)  # Keras 2 only; kept here with a DeprecationWarning
print(predictions[:3].ravel(), classes[:3].ravel())
