"""Seed 001, section 13: save the final model to a single file and load it again (seed 001 §7.1's model)."""
from numpy import array

from lstmkit.models import Sequential
from lstmkit.layers import Dense
from lstmkit.layers import LSTM

# prepare sequence
length = 5
seq = array([i/float(length) for i in range(length)])
X = seq.reshape(len(seq), 1, 1)
y = seq.reshape(len(seq), 1)
n_neurons = length
n_batch = length
n_epoch = 1000
# create LSTM
model = Sequential()
model.add(LSTM(n_neurons, input_shape=(1, 1)))
model.add(Dense(1))
model.compile(loss='mean_squared_error', optimizer='adam')
# train LSTM
model.fit(X, y, epochs=n_epoch, batch_size=n_batch, verbose=0)

# save model to single file
model.save('lstm_model.h5')

from lstmkit.models import load_model
# load model from single file
model = load_model('lstm_model.h5')
# make predictions
yhat = model.predict(X, verbose=0)
print(yhat)
