"""Training from a plain Python generator with steps_per_epoch and validation_steps.

Follows the widespread "fit with a data generator" pattern (the Keras 2 fit_generator docs'
`def generate_arrays_from_file(...): while True: ... yield (x, y)`, and the Kaggle time-series
notebooks' batch generators yielding random windows): an endless generator, model.fit(gen,
steps_per_epoch=..., epochs=..., validation_data=val_gen, validation_steps=...), evaluate and
predict with steps.
"""
import numpy as np
from lstmkit.models import Sequential
from lstmkit.layers import LSTM, Dense

np.random.seed(0)
series = np.sin(np.arange(200) * 0.1).astype('float32')
lookback = 10
batch_size = 16


def generator(data, lookback, min_index, max_index, batch_size=16, shuffle=False):
    i = min_index + lookback
    while True:
        if shuffle:
            rows = np.random.randint(min_index + lookback, max_index, size=batch_size)
        else:
            if i + batch_size >= max_index:
                i = min_index + lookback
            rows = np.arange(i, min(i + batch_size, max_index))
            i += len(rows)
        samples = np.zeros((len(rows), lookback, 1))
        targets = np.zeros((len(rows),))
        for j, row in enumerate(rows):
            samples[j] = data[row - lookback:row].reshape(-1, 1)
            targets[j] = data[row]
        yield samples, targets


train_gen = generator(series, lookback, 0, 150, batch_size=batch_size, shuffle=True)
val_gen = generator(series, lookback, 150, 200, batch_size=batch_size)
val_steps = (200 - 150 - lookback) // batch_size

model = Sequential()
model.add(LSTM(16, input_shape=(lookback, 1)))
model.add(Dense(1))
model.compile(optimizer='rmsprop', loss='mae')
history = model.fit(train_gen, steps_per_epoch=5, epochs=3, validation_data=val_gen,
                    validation_steps=val_steps)
print(history.history)
assert len(history.history['val_loss']) == 3
print(model.evaluate(val_gen, steps=val_steps))
print(model.predict(val_gen, steps=1).shape)
