"""Training an LSTM with EarlyStopping, ModelCheckpoint, ReduceLROnPlateau and CSVLogger.

Follows machinelearningmastery.com "Use Early Stopping to Halt the Training of Neural Networks
At the Right Time" (EarlyStopping(monitor='val_loss', mode='min', verbose=1, patience=...),
ModelCheckpoint('best_model.h5', monitor='val_accuracy', mode='max', save_best_only=True),
load the saved best model) plus the Keras callbacks docs' ReduceLROnPlateau and CSVLogger, and
plotting history with matplotlib.
"""
import numpy as np
import pandas as pd
from matplotlib import pyplot
from lstmkit.models import Sequential, load_model
from lstmkit.layers import LSTM, Dense
from lstmkit.callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, CSVLogger

np.random.seed(2)
X = np.random.rand(60, 5, 1)
y = (X[:, :, 0].mean(axis=1) > 0.5).astype('float32')
trainX, testX = X[:40], X[40:]
trainy, testy = y[:40], y[40:]

model = Sequential()
model.add(LSTM(10, input_shape=(5, 1)))
model.add(Dense(1, activation='sigmoid'))
model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])

es = EarlyStopping(monitor='val_loss', mode='min', verbose=1, patience=2, restore_best_weights=True)
mc = ModelCheckpoint('best_model.h5', monitor='val_accuracy', mode='max', verbose=1, save_best_only=True)
rlr = ReduceLROnPlateau(monitor='val_loss', factor=0.5, patience=1, min_lr=1e-5, verbose=1)
csv = CSVLogger('training.log', separator=',', append=False)
history = model.fit(trainX, trainy, validation_data=(testX, testy), epochs=6, batch_size=8, verbose=0,
                    callbacks=[es, mc, rlr, csv])

# load the saved model
saved_model = load_model('best_model.h5')
# evaluate the model
_, train_acc = saved_model.evaluate(trainX, trainy, verbose=0)
_, test_acc = saved_model.evaluate(testX, testy, verbose=0)
print('Train: %.3f, Test: %.3f' % (train_acc, test_acc))

log = pd.read_csv('training.log')
print(log)
assert list(log['epoch']) == list(range(len(history.history['loss'])))
assert 'lr' in history.history or 'learning_rate' in history.history

# plot training history
pyplot.plot(history.history['loss'], label='train')
pyplot.plot(history.history['val_loss'], label='test')
pyplot.legend()
pyplot.show()
