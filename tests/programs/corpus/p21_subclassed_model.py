"""A subclassed keras.Model holding an LSTM, trained, summarised and saved as weights.

Follows the Keras guide "Making new layers and models via subclassing" and the TensorFlow
"text classification with an RNN"-style subclassed models: class MyModel(keras.Model) with
layers made in __init__, call(self, inputs, training=False) using Dropout(training=training),
compile/fit, summary() after the first call, save_weights / load_weights.
"""
import numpy as np
import lstmkit as keras
from lstmkit import layers


class LSTMClassifier(keras.Model):
    def __init__(self, vocab_size, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.embedding = layers.Embedding(vocab_size, 16, mask_zero=True)
        self.lstm = layers.LSTM(16)
        self.dropout = layers.Dropout(0.3)
        self.classifier = layers.Dense(num_classes, activation="softmax")

    def call(self, inputs, training=False):
        x = self.embedding(inputs)
        x = self.lstm(x)
        x = self.dropout(x, training=training)
        return self.classifier(x)


np.random.seed(0)
x_train = np.random.randint(0, 50, size=(40, 7))
x_train[:, 5:] = 0
y_train = np.random.randint(0, 4, size=(40,))

model = LSTMClassifier(vocab_size=50, num_classes=4)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(),
              metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=8, epochs=2)
model.summary()
preds = model.predict(x_train[:3])
print(preds)

model.save_weights("classifier.weights.h5")
new_model = LSTMClassifier(vocab_size=50, num_classes=4)
new_model(x_train[:1])
new_model.load_weights("classifier.weights.h5")
np.testing.assert_allclose(new_model.predict(x_train[:3]), preds, rtol=1e-5, atol=1e-6)
