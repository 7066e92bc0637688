"""Stateful RNNs: state carried across batches and calls until reset_states(), as in Keras 3."""

import keras
import numpy as np
import pytest

from lstmkit import layers as L
from lstmkit.models import Sequential

RNG = np.random.default_rng(3)


def _pair(units=3, batch=4, steps=2):
    km = keras.Sequential([keras.Input(batch_shape=(batch, steps, 1)), keras.layers.LSTM(units, stateful=True),
                           keras.layers.Dense(1)])
    m = Sequential([L.LSTM(units, stateful=True, batch_input_shape=(batch, steps, 1)), L.Dense(1)])
    m.set_weights(km.get_weights())
    return km, m


def test_predict_carries_state_until_reset():
    km, m = _pair()
    x = RNG.normal(size=(8, 2, 1)).astype("float32")
    for _ in range(2):  # second pass starts from the state the first left behind
        np.testing.assert_allclose(m.predict(x, batch_size=4, verbose=0), km.predict(x, batch_size=4, verbose=0),
                                   atol=1e-5)
    first = m.predict(x, batch_size=4, verbose=0)
    m.reset_states()
    km.reset_states()
    again = m.predict(x, batch_size=4, verbose=0)
    np.testing.assert_allclose(again, km.predict(x, batch_size=4, verbose=0), atol=1e-5)
    assert not np.allclose(first, again)


def test_fit_carries_state_through_batches_in_order():
    km, m = _pair()
    x = RNG.normal(size=(8, 2, 1)).astype("float32")
    y = RNG.normal(size=(8, 1)).astype("float32")
    km.compile("sgd", "mse")
    m.compile("sgd", "mse")
    for _ in range(3):
        kh = km.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        h = m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        np.testing.assert_allclose(h.history["loss"], kh.history["loss"], rtol=1e-5)
    for a, b in zip(m.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.layers[0]._states[0], km.layers[0].states[0], atol=1e-5)


def test_layer_reset_states_with_values():
    _, m = _pair(units=3, batch=4)
    lstm = m.layers[0]
    h = np.full((4, 3), 0.5, np.float32)
    c = np.full((4, 3), -0.5, np.float32)
    lstm.reset_states([h, c])
    np.testing.assert_array_equal(lstm._states[0], h)
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        lstm.reset_states([np.zeros((2, 3)), np.zeros((2, 3))])


def test_sample_count_not_divisible_is_clear_error():
    _, m = _pair(batch=4)
    m.compile("adam", "mse")
    with pytest.raises(ValueError, match=r"divisible by its batch size: fit\(\) got 10 samples and batch size 4"):
        m.fit(np.zeros((10, 2, 1)), np.zeros((10, 1)), shuffle=False, verbose=0)


def test_other_batch_size_at_predict_is_clear_error():
    _, m = _pair(batch=4)
    with pytest.raises(ValueError, match=r"built for batch size 4, but predict\(\) got batch_size=2"):
        m.predict(np.zeros((8, 2, 1)), batch_size=2)


def test_shuffle_with_stateful_warns():
    _, m = _pair(batch=4)
    m.compile("adam", "mse")
    with pytest.warns(UserWarning, match="shuffle=False"):
        m.fit(np.zeros((8, 2, 1)), np.zeros((8, 1)), verbose=0)
