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


def _keras_eager_predict(km, x, batch):
    """Keras 3's eager calls carry stateful state between batches (its JAX `predict()` does not)."""
    return np.concatenate([np.asarray(km(x[i:i + batch])) for i in range(0, len(x), batch)])


def test_predict_carries_state_until_reset():
    km, m = _pair()
    x = RNG.normal(size=(8, 2, 1)).astype("float32")
    for _ in range(2):  # the second pass starts from the state the first left behind
        np.testing.assert_allclose(m.predict(x, batch_size=4, verbose=0), _keras_eager_predict(km, x, 4), atol=1e-5)
    first = m.predict(x, batch_size=4, verbose=0)
    m.reset_states()
    km.layers[0].reset_states()
    again = m.predict(x, batch_size=4, verbose=0)
    np.testing.assert_allclose(again, _keras_eager_predict(km, x, 4), atol=1e-5)
    assert not np.allclose(first, again)


def test_fit_equals_train_on_batch_in_order_with_carried_state():
    _, m = _pair()
    _, ref = _pair()
    ref.set_weights(m.get_weights())
    km, _ = _pair()
    km.set_weights(m.get_weights())
    x = RNG.normal(size=(8, 2, 1)).astype("float32")
    y = RNG.normal(size=(8, 1)).astype("float32")
    m.compile("sgd", "mse")
    ref.compile("sgd", "mse")
    losses = []
    for _ in range(2):
        h = m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        batch_losses = [ref.train_on_batch(x[:4], y[:4]), ref.train_on_batch(x[4:], y[4:])]
        np.testing.assert_allclose(h.history["loss"], [np.mean(batch_losses)], rtol=1e-5)
        losses.append(batch_losses)
    for a, b in zip(m.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(m.layers[0]._states[1], ref.layers[0]._states[1], atol=1e-6)


def test_train_on_batch_state_is_the_forward_state_as_in_keras():
    km, m = _pair()
    x = RNG.normal(size=(4, 2, 1)).astype("float32")
    m.compile("sgd", "mse")
    km(x)  # Keras's eager forward pass with the same (pre-update) weights
    m.train_on_batch(x, np.zeros((4, 1), np.float32))
    for ours, theirs in zip(m.layers[0]._states, km.layers[0].states):
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


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
