"""A keras.utils.Sequence subclass feeding fit, evaluate and predict.

Follows the Stanford "A detailed example of how to use data generators with Keras"
(DataGenerator(keras.utils.Sequence) with __init__, __len__, __getitem__, on_epoch_end,
shuffling indexes) blog post, used with an LSTM classifier, written as Keras 2 users do
(no super().__init__ call) and Keras 3 users do (super().__init__(**kwargs)).
"""
import numpy as np
import lstmkit as keras
from lstmkit.utils import Sequence, to_categorical


class DataGenerator(keras.utils.Sequence):
    'Generates data for Keras'
    def __init__(self, list_IDs, labels, batch_size=8, dim=(5, 3), n_classes=3, shuffle=True):
        'Initialization'
        self.dim = dim
        self.batch_size = batch_size
        self.labels = labels
        self.list_IDs = list_IDs
        self.n_classes = n_classes
        self.shuffle = shuffle
        self.on_epoch_end()

    def __len__(self):
        'Denotes the number of batches per epoch'
        return int(np.floor(len(self.list_IDs) / self.batch_size))

    def __getitem__(self, index):
        'Generate one batch of data'
        # Generate indexes of the batch
        indexes = self.indexes[index*self.batch_size:(index+1)*self.batch_size]
        # Find list of IDs
        list_IDs_temp = [self.list_IDs[k] for k in indexes]
        # Generate data
        X, y = self.__data_generation(list_IDs_temp)
        return X, y

    def on_epoch_end(self):
        'Updates indexes after each epoch'
        self.indexes = np.arange(len(self.list_IDs))
        if self.shuffle == True:
            np.random.shuffle(self.indexes)

    def __data_generation(self, list_IDs_temp):
        'Generates data containing batch_size samples'
        X = np.empty((self.batch_size, *self.dim))
        y = np.empty((self.batch_size), dtype=int)
        for i, ID in enumerate(list_IDs_temp):
            rng = np.random.RandomState(ID)
            X[i, ] = rng.normal(size=self.dim)
            y[i] = self.labels[ID]
        return X, keras.utils.to_categorical(y, num_classes=self.n_classes)


class WindowSequence(Sequence):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x, y
        self.batch_size = batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch_x = self.x[idx * self.batch_size:(idx + 1) * self.batch_size]
        batch_y = self.y[idx * self.batch_size:(idx + 1) * self.batch_size]
        return np.array(batch_x), np.array(batch_y)


partition = {'train': list(range(32)), 'validation': list(range(32, 48))}
labels = {i: i % 3 for i in range(48)}
params = {'dim': (5, 3), 'batch_size': 8, 'n_classes': 3, 'shuffle': True}
training_generator = DataGenerator(partition['train'], labels, **params)
validation_generator = DataGenerator(partition['validation'], labels, **params)

model = keras.Sequential([
    keras.layers.LSTM(16, input_shape=(5, 3)),
    keras.layers.Dense(3, activation='softmax'),
])
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
model.fit(training_generator, validation_data=validation_generator, epochs=2)

x = np.random.rand(20, 5, 3)
y = to_categorical(np.random.randint(0, 3, 20), 3)
seq = WindowSequence(x, y, batch_size=6)
model.fit(seq, epochs=1, verbose=0)
print(model.evaluate(seq, verbose=0))
print(model.predict(WindowSequence(x, y, 6), verbose=0).shape)
