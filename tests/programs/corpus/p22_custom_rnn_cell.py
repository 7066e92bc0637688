"""A custom RNN cell run by RNN(cell), stacked RNN([cell, cell]) and a nested-state cell.

Follows the Keras API docs for `keras.layers.RNN` (the MinimalRNNCell example: a Layer with
state_size, build with add_weight, call(inputs, states) returning (output, [output])) and
the "Working with RNNs" guide's custom-cell section, trained in a Sequential model.
"""
import numpy as np
import lstmkit as keras
from lstmkit import ops
from lstmkit.layers import RNN, Dense, Input


# First, let's define a RNN Cell, as a layer subclass.
class MinimalRNNCell(keras.layers.Layer):

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer='uniform',
                                      name='kernel')
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units),
            initializer='uniform',
            name='recurrent_kernel')
        self.built = True

    def call(self, inputs, states):
        prev_output = states[0]
        h = ops.matmul(inputs, self.kernel)
        output = h + ops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]


# Let's use this cell in a RNN layer:
cell = MinimalRNNCell(32)
x = Input((None, 5))
layer = RNN(cell)
y = layer(x)

# Here's how to use the cell to build a stacked RNN:
cells = [MinimalRNNCell(32), MinimalRNNCell(64)]
x = Input((None, 5))
layer = RNN(cells)
y = layer(x)
print(y.shape)

# and train one
np.random.seed(0)
X = np.random.rand(24, 6, 5).astype('float32')
Y = X.sum(axis=(1, 2)).reshape(-1, 1)
model = keras.Sequential([Input((6, 5)), RNN(MinimalRNNCell(8), return_sequences=False), Dense(1)])
model.compile(optimizer='adam', loss='mse')
model.summary()
history = model.fit(X, Y, epochs=3, batch_size=8, verbose=0)
print(history.history['loss'])
assert history.history['loss'][-1] < history.history['loss'][0]
print(model.predict(X[:2], verbose=0))
