"""A user's subclass of a built-in layer passing `training=` to `super().call(...)`: the flag reaches the
built-in (through its call context), as in Keras 3, whether or not the built-in's own call takes `training`."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402

X = np.ones((4, 6, 8), np.float32)


def _forcing(base, flag):
    """`class Forced(base)` whose call always runs `base` with training=flag."""

    class Forced(base):
        def call(self, inputs, training=None):
            return super().call(inputs, training=flag)

    return Forced


PAIRS = {"Dropout": (L.Dropout, keras.layers.Dropout), "SpatialDropout1D": (L.SpatialDropout1D, keras.layers.SpatialDropout1D),
         "GaussianNoise": (L.GaussianNoise, keras.layers.GaussianNoise)}


def _changed(y):
    return not np.allclose(np.asarray(y), X)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_forced_training_applies_noise_as_keras_does(name):
    ours_cls, keras_cls = PAIRS[name]
    ours, k = _forcing(ours_cls, True)(0.5), _forcing(keras_cls, True)(0.5)
    assert _changed(k(X)) and _changed(ours(X))  # called without training: noise all the same


def test_forced_dropout_in_a_compiled_inference_program():
    inp = lstmkit.Input(X.shape[1:])
    model = lstmkit.Model(inp, _forcing(L.Dropout, True)(0.5)(inp))
    assert _changed(model.predict(X, verbose=0))


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_forced_inference_applies_no_noise_as_keras_does(name):
    ours_cls, keras_cls = PAIRS[name]
    np.testing.assert_array_equal(np.asarray(_forcing(keras_cls, False)(0.5)(X, training=True)), X)
    np.testing.assert_array_equal(np.asarray(_forcing(ours_cls, False)(0.5)(X, training=True)), X)


def test_forced_dropout_values_are_keras_dropouts():
    y = np.asarray(_forcing(L.Dropout, True)(0.5)(X))
    assert set(np.unique(y)) == {0.0, 2.0}  # kept units scaled by 1 / (1 - rate), as Keras
    spatial = np.asarray(_forcing(L.SpatialDropout1D, True)(0.5)(X))
    assert set(np.unique(spatial)) == {0.0, 2.0}
    assert (spatial == spatial[:, :1, :]).all()  # whole channels: the same at every step


def test_subclassed_lstm_forced_to_train_uses_its_dropout():
    x = np.random.default_rng(0).normal(size=(3, 5, 4)).astype("float32")
    kwargs = dict(dropout=0.5, recurrent_dropout=0.5, seed=1)
    plain_k = keras.layers.LSTM(3, **kwargs)
    plain_k.build(x.shape)
    results = {}
    for flag in (True, False):
        ours, k = _forcing(L.LSTM, flag)(3, **kwargs), _forcing(keras.layers.LSTM, flag)(3, **kwargs)
        k.build(x.shape)
        ours.build(x.shape)
        k.set_weights(plain_k.get_weights())
        ours.set_weights(plain_k.get_weights())
        results[flag] = (np.asarray(ours(x, training=not flag)), np.asarray(k(x, training=not flag)))
    expected = np.asarray(plain_k(x))
    np.testing.assert_allclose(results[False][0], expected, atol=1e-5)  # forced off: Keras's numbers
    np.testing.assert_allclose(results[False][1], expected, atol=1e-5)
    assert not np.allclose(results[True][0], expected, atol=1e-3)  # forced on: dropped, as in Keras
    assert not np.allclose(results[True][1], expected, atol=1e-3)
