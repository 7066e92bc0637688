"""A custom attention Layer with add_weight over LSTM(return_sequences=True), saved and reloaded.

Follows the widely copied Keras 2 blog/Kaggle "custom attention layer" (e.g. the
machinelearningmastery / analyticsvidhya / stackoverflow "class attention(Layer)" versions):
build() with self.add_weight(name=..., shape=..., initializer=...), call() with K.dot,
K.tanh, K.softmax, K.sum, get_config; functional model, fit, .h5 save, load_model with
custom_objects.
"""
import numpy as np
import lstmkit.backend as K
from lstmkit.layers import Layer, Input, LSTM, Dense, Embedding
from lstmkit.models import Model, load_model


class attention(Layer):
    def __init__(self, **kwargs):
        super(attention, self).__init__(**kwargs)

    def build(self, input_shape):
        self.W = self.add_weight(name='attention_weight', shape=(input_shape[-1], 1),
                                 initializer='random_normal', trainable=True)
        self.b = self.add_weight(name='attention_bias', shape=(input_shape[1], 1),
                                 initializer='zeros', trainable=True)
        super(attention, self).build(input_shape)

    def call(self, x):
        # Alignment scores. Pass them through tanh function
        e = K.tanh(K.dot(x, self.W) + self.b)
        # Remove dimension of size 1
        e = K.squeeze(e, axis=-1)
        # Compute the weights
        alpha = K.softmax(e)
        # Reshape to tensorFlow format
        alpha = K.expand_dims(alpha, axis=-1)
        # Compute the context vector
        context = x * alpha
        context = K.sum(context, axis=1)
        return context

    def get_config(self):
        return super(attention, self).get_config()


np.random.seed(1)
vocab_size, maxlen = 30, 8
X = np.random.randint(1, vocab_size, size=(40, maxlen))
y = (X[:, 0] > vocab_size // 2).astype('float32')

inputs = Input(shape=(maxlen,))
x = Embedding(vocab_size, 8)(inputs)
x = LSTM(16, return_sequences=True)(x)
x = attention()(x)
outputs = Dense(1, activation='sigmoid')(x)
model = Model(inputs, outputs)
model.summary()
model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(X, y, epochs=2, batch_size=8, verbose=0)
before = model.predict(X[:4], verbose=0)

model.save('attention_model.h5')
loaded = load_model('attention_model.h5', custom_objects={'attention': attention})
after = loaded.predict(X[:4], verbose=0)
print(np.abs(before - after).max())
assert np.allclose(before, after, atol=1e-6)
