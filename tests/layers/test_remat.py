"""RematScope (Keras 3's rematerialization) on jax.checkpoint: Keras's layer_test remat cases, ported
(Apache-2.0, Keras 3.15 keras/src/layers/layer_test.py), and the same numbers with and without it."""

from unittest import mock

import numpy as np
import pytest

import lstmkit
from lstmkit import Input, Model, RematScope, Sequential, layers, ops
from lstmkit.layers import remat as remat_mod


class MockRemat:
    """Counts what is rematerialized, running it unchanged (Keras's test helper)."""

    def __init__(self):
        self.rematted_functions = {}

    def __call__(self, func):
        if func not in self.rematted_functions:
            self.rematted_functions[func] = mock.Mock(wraps=func)
        return self.rematted_functions[func]


def test_layer_with_remat():
    mock_remat = MockRemat()
    with mock.patch.object(remat_mod, "remat", wraps=mock_remat):
        class SomeLayer(layers.Layer):
            def call(self, x):
                return x + 1

        x = np.ones((2, 3), np.float32)
        no_remat = SomeLayer()(x)
        with RematScope(mode="full"):
            layer = SomeLayer()
        with_remat = layer(x)
        np.testing.assert_allclose(np.asarray(no_remat), np.asarray(with_remat))
    assert len(mock_remat.rematted_functions) == 1
    next(iter(mock_remat.rematted_functions.values())).assert_called()


def test_rematerialized_call_none():
    layer = layers.Dense(4)
    assert layer.rematerialized_call(layer.call, np.ones((2, 3))) == layer.call


def test_functional_model_with_activation_remat():
    mock_remat = MockRemat()
    with mock.patch.object(remat_mod, "remat", wraps=mock_remat):
        inputs = Input(shape=(32, 32, 3))
        with RematScope(mode="activations"):
            output = layers.Dense(64, activation="relu")(layers.Flatten()(inputs))
        model = Model(inputs, output)
        model.compile("sgd", "mse")
        model.fit(np.random.rand(4, 32, 32, 3), np.random.rand(4, 64), epochs=1, verbose=0)
    assert len(mock_remat.rematted_functions) == 1
    next(iter(mock_remat.rematted_functions.values())).assert_called()


def test_remat_list_of_layers_and_larger_than():
    mock_remat = MockRemat()
    with mock.patch.object(remat_mod, "remat", wraps=mock_remat):
        class AddOne(layers.Layer):
            def call(self, x):
                return x + 1

        class Double(layers.Layer):
            def call(self, x):
                return x * 2

        x = np.ones((4, 4), np.float32)
        with RematScope(mode="list_of_layers", layer_names=["test_layer"]):
            add, double = AddOne(name="test_layer"), Double(name="other_layer")
        np.testing.assert_allclose(np.asarray(add(x)), x + 1)
        np.testing.assert_allclose(np.asarray(double(x)), x * 2)
        assert len(mock_remat.rematted_functions) == 1

        with RematScope(mode="larger_than", output_size_threshold=5000):
            big = AddOne()
        big(np.ones((10, 10), np.float32))  # 100 elements: not rematerialized
        assert len(mock_remat.rematted_functions) == 1
        big(np.ones((100, 100), np.float32))  # 10000 elements: rematerialized
        assert len(mock_remat.rematted_functions) == 2


def test_invalid_mode():
    with pytest.raises(ValueError, match="Invalid mode 'all'"):
        RematScope(mode="all")


def test_training_with_remat_gives_the_same_numbers_and_checkpoints_the_layers():
    x = np.random.default_rng(0).random((16, 5, 3)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None]

    def make():
        return Sequential([Input((5, 3)), layers.LSTM(8, dropout=0.2, return_sequences=True), layers.LSTM(4),
                           layers.Dense(4, activation="relu"), layers.Dropout(0.3), layers.Dense(1)])

    plain = make()
    with RematScope(mode="full"):
        rematted = make()
    rematted.set_weights(plain.get_weights())
    counted = MockRemat()
    histories = []
    for model in (plain, rematted):
        model.compile("adam", "mse")
        lstmkit.utils.set_random_seed(3)
        with mock.patch.object(remat_mod, "remat", wraps=counted):
            histories.append(model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history["loss"])
    np.testing.assert_allclose(histories[1], histories[0], rtol=1e-6)
    np.testing.assert_allclose(rematted.predict(x, verbose=0), plain.predict(x, verbose=0), rtol=1e-6)
    assert len(counted.rematted_functions) >= 5  # each layer of the rematerialized model, none of the plain one
