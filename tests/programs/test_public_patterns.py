"""Patterns from public Keras LSTM programs, written as their authors wrote them, against Keras 3.

The attention layer is the Keras 2 idiom (`K.dot`, `K.tanh`, `K.softmax`, `add_weight(name=..., shape=...)`,
`compute_output_shape`, `get_config`); Keras 3 runs the same layer written with `keras.ops`.
"""

import numpy as np
import pytest

import keras
import lstmkit
from lstmkit import backend as K

RNG = np.random.default_rng(7)
X = RNG.normal(size=(32, 6, 3)).astype("float32")
Y = (X[:, :, 0].mean(axis=1, keepdims=True) > 0).astype("float32")


class Attention(lstmkit.layers.Layer):
    def __init__(self, **kwargs):
        super(Attention, self).__init__(**kwargs)

    def build(self, input_shape):
        self.W = self.add_weight(name="att_weight", shape=(input_shape[-1], 1), initializer="normal")
        self.b = self.add_weight(name="att_bias", shape=(input_shape[1], 1), initializer="zeros")
        super(Attention, self).build(input_shape)

    def call(self, x):
        et = K.squeeze(K.tanh(K.dot(x, self.W) + self.b), axis=-1)
        at = K.softmax(et)
        at = K.expand_dims(at, axis=-1)
        output = x * at
        return K.sum(output, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return super(Attention, self).get_config()


class KerasAttention(keras.layers.Layer):
    def build(self, input_shape):
        self.W = self.add_weight(name="att_weight", shape=(input_shape[-1], 1), initializer="normal")
        self.b = self.add_weight(name="att_bias", shape=(input_shape[1], 1), initializer="zeros")

    def call(self, x):
        ops = keras.ops
        et = ops.squeeze(ops.tanh(ops.matmul(x, self.W) + self.b), axis=-1)
        at = ops.expand_dims(ops.softmax(et, axis=-1), axis=-1)
        return ops.sum(x * at, axis=1)


def _attention_models():
    km = keras.Sequential([keras.Input((6, 3)), keras.layers.LSTM(8, return_sequences=True), KerasAttention(),
                           keras.layers.Dense(1, activation="sigmoid")])
    m = lstmkit.models.Sequential([lstmkit.layers.LSTM(8, return_sequences=True, input_shape=(6, 3)), Attention(),
                                   lstmkit.layers.Dense(1, activation="sigmoid")])
    m.set_weights(km.get_weights())
    return km, m


def test_a_keras2_attention_layer_trains_like_keras():
    km, m = _attention_models()
    assert [tuple(w.shape) for w in m.weights] == [tuple(w.shape) for w in km.weights]
    for model, lib in ((km, keras), (m, lstmkit)):
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    hk = km.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0).history
    h = m.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h["loss"], hk["loss"], rtol=1e-4)
    np.testing.assert_allclose(h["accuracy"], hk["accuracy"])
    np.testing.assert_allclose(m.predict(X, verbose=0), km.predict(X, verbose=0), rtol=1e-4, atol=1e-5)


def test_the_attention_model_saves_and_loads_with_custom_objects(tmp_path):
    _, m = _attention_models()
    path = tmp_path / "attention.h5"
    m.save(path)
    with pytest.raises(ValueError, match="Attention"):
        lstmkit.models.load_model(path)
    loaded = lstmkit.models.load_model(path, custom_objects={"Attention": Attention})
    np.testing.assert_allclose(loaded.predict(X, verbose=0), m.predict(X, verbose=0), rtol=1e-6)


def test_a_subclassed_classifier_with_embedding_masks_like_keras():
    ids = RNG.integers(1, 20, size=(16, 7))
    ids[:, 5:] = 0  # padding, masked by the embedding

    def make(lib):
        class Classifier(lib.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.embedding = lib.layers.Embedding(20, 4, mask_zero=True)
                self.lstm = lib.layers.LSTM(5)
                self.out = lib.layers.Dense(1, activation="sigmoid")

            def call(self, inputs, training=None):
                return self.out(self.lstm(self.embedding(inputs)))

        return Classifier()

    km, m = make(keras), make(lstmkit)
    km(ids[:1])
    m(ids[:1])
    m.set_weights(km.get_weights())
    labels = (ids[:, 0] > 10).astype("float32")[:, None]
    for model, lib in ((km, keras), (m, lstmkit)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="binary_crossentropy")
    hk = km.fit(ids, labels, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"]
    h = m.fit(ids, labels, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h, hk, rtol=1e-4)
    np.testing.assert_allclose(m.predict(ids, verbose=0), km.predict(ids, verbose=0), rtol=1e-4, atol=1e-5)
