"""Variable-length sequence classification with Masking, to_categorical labels and argmax.

Follows machinelearningmastery.com "Data Preparation for Variable Length Input Sequences"
(pad_sequences with padding='post', Masking(mask_value=0.)) and "Sequence Classification with
LSTM Recurrent Neural Networks" (to_categorical targets, softmax, argmax predictions), plus
Keras 2's `from keras.utils.np_utils import to_categorical` and model.predict_classes's
replacement np.argmax(model.predict(x), axis=-1).
"""
import numpy as np
from lstmkit.models import Sequential
from lstmkit.layers import LSTM, Dense, Masking
from lstmkit.preprocessing.sequence import pad_sequences
from lstmkit.utils.np_utils import to_categorical

np.random.seed(5)
n_classes = 3
sequences, labels = [], []
for i in range(36):
    length = np.random.randint(2, 7)
    cls = i % n_classes
    sequences.append(list(np.random.rand(length) + cls))
    labels.append(cls)

padded = pad_sequences(sequences, padding='post', dtype='float32', value=0.)
X = padded.reshape(len(sequences), padded.shape[1], 1)
y = to_categorical(labels)
print(X.shape, y.shape)

model = Sequential()
model.add(Masking(mask_value=0., input_shape=(X.shape[1], 1)))
model.add(LSTM(16))
model.add(Dense(n_classes, activation='softmax'))
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.summary()
model.fit(X, y, epochs=3, batch_size=6, verbose=2)
loss, accuracy = model.evaluate(X, y, verbose=0)
print('Accuracy: %f' % (accuracy * 100))
yhat = np.argmax(model.predict(X[:5]), axis=-1)
print('Expected:', labels[:5], 'Predicted', yhat)

# padding must not change the result of a masked LSTM
longer = np.concatenate([X[:2], np.zeros((2, 3, 1), dtype='float32')], axis=1)
m2 = Sequential([Masking(mask_value=0., input_shape=(None, 1)), model.layers[1], model.layers[2]])
np.testing.assert_allclose(m2.predict(longer, verbose=0), model.predict(X[:2], verbose=0), rtol=1e-5, atol=1e-6)
