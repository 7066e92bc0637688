"""LSTM autoencoder: reconstruction, prediction and an encoder cut from the trained model.

Follows machinelearningmastery.com "A Gentle Introduction to LSTM Autoencoders"
(reconstruction LSTM autoencoder with RepeatVector + TimeDistributed(Dense(1)), the composite
reconstruct-and-predict model with two decoders, and `Model(inputs=model.inputs,
outputs=model.layers[0].output)` as a standalone encoder), with plot_model as in the post.
"""
from numpy import array
from lstmkit.models import Sequential, Model
from lstmkit.layers import LSTM
from lstmkit.layers import Input
from lstmkit.layers import Dense
from lstmkit.layers import RepeatVector
from lstmkit.layers import TimeDistributed
from lstmkit.utils import plot_model

# define input sequence
sequence = array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
# reshape input into [samples, timesteps, features]
n_in = len(sequence)
sequence = sequence.reshape((1, n_in, 1))
# define model
model = Sequential()
model.add(LSTM(100, activation='relu', input_shape=(n_in, 1)))
model.add(RepeatVector(n_in))
model.add(LSTM(100, activation='relu', return_sequences=True))
model.add(TimeDistributed(Dense(1)))
model.compile(optimizer='adam', loss='mse')
# fit model
model.fit(sequence, sequence, epochs=20, verbose=0)
plot_model(model, show_shapes=True, to_file='reconstruct_lstm_autoencoder.png')
# demonstrate recreation
yhat = model.predict(sequence, verbose=0)
print(yhat[0, :, 0])

# connect the encoder LSTM as the output layer
encoder = Model(inputs=model.inputs, outputs=model.layers[0].output)
plot_model(encoder, show_shapes=True, to_file='lstm_encoder.png')
# get the feature vector for the input sequence
yhat = encoder.predict(sequence, verbose=0)
print(yhat.shape)
assert yhat.shape == (1, 100)

# composite model: reconstruct and predict
seq_in = array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
seq_in = seq_in.reshape((1, n_in, 1))
seq_out = seq_in[:, 1:, :]
n_out = n_in - 1
# define encoder
visible = Input(shape=(n_in, 1))
encoder = LSTM(100, activation='relu')(visible)
# define reconstruct decoder
decoder1 = RepeatVector(n_in)(encoder)
decoder1 = LSTM(100, activation='relu', return_sequences=True)(decoder1)
decoder1 = TimeDistributed(Dense(1))(decoder1)
# define predict decoder
decoder2 = RepeatVector(n_out)(encoder)
decoder2 = LSTM(100, activation='relu', return_sequences=True)(decoder2)
decoder2 = TimeDistributed(Dense(1))(decoder2)
# tie it together
model = Model(inputs=visible, outputs=[decoder1, decoder2])
model.compile(optimizer='adam', loss='mse')
plot_model(model, show_shapes=True, to_file='composite_lstm_autoencoder.png')
# fit model
model.fit(seq_in, [seq_in, seq_out], epochs=10, verbose=0)
# demonstrate prediction
yhat = model.predict(seq_in, verbose=0)
print(yhat)
assert yhat[0].shape == (1, n_in, 1) and yhat[1].shape == (1, n_out, 1)
