"""Reuters newswire topic classification: MLP on Tokenizer bag-of-words, then an LSTM.

Follows the Keras 2 example `examples/reuters_mlp.py` (reuters.load_data(num_words=...,
test_split=0.2), Tokenizer.sequences_to_matrix(mode='binary'), np_utils.to_categorical,
Dense/Activation/Dropout) and the common "Reuters with LSTM" blog variant (pad_sequences,
Embedding, LSTM, softmax over 46 topics). (Tiny fake reuters.npz from the test.)
"""
from __future__ import print_function

import numpy as np
from lstmkit.datasets import reuters
from lstmkit.models import Sequential
from lstmkit.layers import Dense, Dropout, Activation, Embedding, LSTM
from lstmkit.preprocessing.text import Tokenizer
from lstmkit.preprocessing.sequence import pad_sequences
from lstmkit.utils import np_utils

max_words = 100
batch_size = 8
epochs = 2

print('Loading data...')
(x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=max_words,
                                                         test_split=0.2)
print(len(x_train), 'train sequences')
print(len(x_test), 'test sequences')

num_classes = np.max(y_train) + 1
print(num_classes, 'classes')

print('Vectorizing sequence data...')
tokenizer = Tokenizer(num_words=max_words)
x_train_m = tokenizer.sequences_to_matrix(x_train, mode='binary')
x_test_m = tokenizer.sequences_to_matrix(x_test, mode='binary')
print('x_train shape:', x_train_m.shape)
print('x_test shape:', x_test_m.shape)

print('Convert class vector to binary class matrix '
      '(for use with categorical_crossentropy)')
y_train_c = np_utils.to_categorical(y_train, num_classes)
y_test_c = np_utils.to_categorical(y_test, num_classes)
print('y_train shape:', y_train_c.shape)
print('y_test shape:', y_test_c.shape)

print('Building model...')
model = Sequential()
model.add(Dense(32, input_shape=(max_words,)))
model.add(Activation('relu'))
model.add(Dropout(0.5))
model.add(Dense(num_classes))
model.add(Activation('softmax'))

model.compile(loss='categorical_crossentropy',
              optimizer='adam',
              metrics=['accuracy'])

history = model.fit(x_train_m, y_train_c,
                    batch_size=batch_size,
                    epochs=epochs,
                    verbose=1,
                    validation_split=0.1)
score = model.evaluate(x_test_m, y_test_c,
                       batch_size=batch_size, verbose=1)
print('Test score:', score[0])
print('Test accuracy:', score[1])

# the LSTM variant
x_train_p = pad_sequences(x_train, maxlen=10)
x_test_p = pad_sequences(x_test, maxlen=10)
model = Sequential()
model.add(Embedding(max_words, 16, input_length=10))
model.add(LSTM(16))
model.add(Dense(46, activation='softmax'))
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['acc'])
model.fit(x_train_p, y_train, epochs=epochs, batch_size=batch_size)
print(model.evaluate(x_test_p, y_test, verbose=0))
