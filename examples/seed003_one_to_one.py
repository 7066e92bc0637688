"""Seed 003 (and 001 §7.1): one-to-one sequence prediction; summary shows 140 + 6 = 146 params."""
from lstmkit.models import Sequential
from lstmkit.layers import Dense
from lstmkit.layers import LSTM
from numpy import array
# prepare sequence
length = 5
seq = array([i/float(length) for i in range(length)])
X = seq.reshape(len(seq), 1, 1)
y = seq.reshape(len(seq), 1)
# define LSTM configuration
n_neurons = length
n_batch = length
n_epoch = 1000
# create LSTM
model = Sequential()
model.add(LSTM(n_neurons, input_shape=(1, 1)))
model.add(Dense(1))
model.compile(loss='mean_squared_error', optimizer='adam')
print(model.summary())
# train LSTM
model.fit(X, y, epochs=n_epoch, batch_size=n_batch, verbose=2)
# evaluate
result = model.predict(X, batch_size=n_batch, verbose=0)
for value in result:
	# NumPy 2.4 no longer turns a 1-element array into a float: the seed's '%.1f' % value needs value[0].
	print('%.1f' % value[0])
