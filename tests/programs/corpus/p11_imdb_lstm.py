"""IMDB sentiment classification with Embedding + LSTM (Keras 2 example imdb_lstm.py).

Follows the Keras 2 example `examples/imdb_lstm.py`: imdb.load_data(num_words=max_features),
sequence.pad_sequences(maxlen=...), Embedding, LSTM(dropout=0.2, recurrent_dropout=0.2),
Dense(sigmoid), fit with validation_data, evaluate. (The test puts a tiny fake imdb.npz in a
temporary KERAS_HOME; sizes are shrunk.)
"""
from __future__ import print_function

from lstmkit.preprocessing import sequence
from lstmkit.models import Sequential
from lstmkit.layers import Dense, Embedding
from lstmkit.layers import LSTM
from lstmkit.datasets import imdb

max_features = 200
# cut texts after this number of words (among top max_features most common words)
maxlen = 12
batch_size = 8

print('Loading data...')
(x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=max_features)
print(len(x_train), 'train sequences')
print(len(x_test), 'test sequences')

print('Pad sequences (samples x time)')
x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
x_test = sequence.pad_sequences(x_test, maxlen=maxlen)
print('x_train shape:', x_train.shape)
print('x_test shape:', x_test.shape)

print('Build model...')
model = Sequential()
model.add(Embedding(max_features, 16))
model.add(LSTM(16, dropout=0.2, recurrent_dropout=0.2))
model.add(Dense(1, activation='sigmoid'))

# try using different optimizers and different optimizer configs
model.compile(loss='binary_crossentropy',
              optimizer='adam',
              metrics=['accuracy'])

print('Train...')
model.fit(x_train, y_train,
          batch_size=batch_size,
          epochs=2,
          validation_data=(x_test, y_test))
score, acc = model.evaluate(x_test, y_test,
                            batch_size=batch_size)
print('Test score:', score)
print('Test accuracy:', acc)
