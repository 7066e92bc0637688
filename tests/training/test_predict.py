"""predict's one-batch path (one small NumPy array, verbose=0): same numbers as Keras and as the general path."""

import keras
import numpy as np
import pytest

from lstmkit import layers as L
from lstmkit.models import Sequential
from lstmkit.training import trainer
from lstmkit.training import programs


def _lstm_pair(units=6, activation="relu"):
    km = keras.Sequential([keras.Input((3, 1)), keras.layers.LSTM(units, activation=activation), keras.layers.Dense(1)])
    m = Sequential([L.LSTM(units, activation=activation, input_shape=(3, 1)), L.Dense(1)])
    m.set_weights(km.get_weights())
    return km, m


X1 = np.array([70, 80, 90], np.float32).reshape(1, 3, 1) / 100


def test_one_sample_matches_keras_and_the_general_path():
    km, m = _lstm_pair()
    fast = m.predict(X1, verbose=0)
    general = m.predict(X1, verbose=1)  # a progress line: not the one-batch path
    np.testing.assert_allclose(fast, km.predict(X1, verbose=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(fast, general)
    assert fast.shape == (1, 1) and fast.dtype == np.float32


def test_integer_and_float64_inputs_are_converted_as_in_the_general_path():
    _, m = _lstm_pair()
    ints = np.array([[[1], [2], [3]]])
    np.testing.assert_allclose(m.predict(ints, verbose=0), m.predict(ints.astype(np.float32), verbose=0), rtol=1e-6)
    np.testing.assert_allclose(m.predict(X1.astype(np.float64), verbose=0), m.predict(X1, verbose=0), rtol=1e-6)


def test_new_weights_are_used_at_once():
    km, m = _lstm_pair()
    before = m.predict(X1, verbose=0)
    m.set_weights([w * 0.5 for w in km.get_weights()])
    after = m.predict(X1, verbose=0)
    km.set_weights([w * 0.5 for w in km.get_weights()])
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, km.predict(X1, verbose=0), rtol=1e-5, atol=1e-6)


def test_after_fit_the_trained_weights_are_used():
    _, m = _lstm_pair()
    m.compile("adam", "mse")
    x = np.random.default_rng(0).normal(size=(8, 3, 1)).astype(np.float32)
    m.predict(X1, verbose=0)
    m.fit(x, x[:, -1], epochs=2, verbose=0)
    expected = m.predict(np.concatenate([X1, x]), verbose=0)[:1]  # general path (9 samples)
    np.testing.assert_allclose(m.predict(X1, verbose=0), expected, rtol=1e-6)


def test_repeated_calls_compile_once():
    _, m = _lstm_pair()
    traced = []
    for _ in range(3):
        m.predict(X1, verbose=0)
        m.predict(np.ones((4, 3, 1), np.float32), verbose=0)
        traced.append(programs.trace_count("flat_predict"))
    assert traced[0] == traced[1] == traced[2]


def test_bad_input_gets_the_same_clear_errors():
    _, m = _lstm_pair()
    m.predict(X1, verbose=0)
    with pytest.raises(ValueError, match=r"contains NaN or inf values \(first at index \(0, 1, 0\)\)"):
        m.predict(np.array([[[1.0], [np.nan], [2.0]]], np.float32), verbose=0)
    with pytest.raises(ValueError, match=r"expects arrays of shape \(None, 3, 1\).*received `x` with shape \(1, 3\)"):
        m.predict(np.ones((1, 3), np.float32), verbose=0)


def test_stateful_model_carries_state_like_keras_eager_calls():
    km = keras.Sequential([keras.Input(batch_shape=(1, 2, 1)), keras.layers.LSTM(4, stateful=True),
                           keras.layers.Dense(1)])
    m = Sequential([L.LSTM(4, stateful=True, batch_input_shape=(1, 2, 1)), L.Dense(1)])
    m.set_weights(km.get_weights())
    xs = [np.full((1, 2, 1), v, np.float32) for v in (0.1, 0.5, -0.3)]
    # Keras 3's predict does not carry state between calls; its eager call does (Keras 2's predict did).
    expected = [np.asarray(km(x)) for x in xs]
    got = [m.predict(x, verbose=0) for x in xs]
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    m.reset_states()
    np.testing.assert_allclose(m.predict(xs[0], verbose=0), expected[0], rtol=1e-5, atol=1e-6)


def test_large_models_pass_weights_unflattened(monkeypatch):
    monkeypatch.setattr(trainer, "FLAT_WEIGHTS_MAX", 10)
    km, m = _lstm_pair()
    np.testing.assert_allclose(m.predict(X1, verbose=0), km.predict(X1, verbose=0), rtol=1e-5, atol=1e-6)
    assert m._inference["weights"][2] is None


def test_predict_on_batch_of_a_fresh_stateful_model_starts_from_zeros():
    km = keras.Sequential([keras.Input(batch_shape=(2, 2, 1)), keras.layers.LSTM(3, stateful=True)])
    m = Sequential([L.LSTM(3, stateful=True, batch_input_shape=(2, 2, 1))])
    m.set_weights(km.get_weights())
    x = np.arange(4, dtype=np.float32).reshape(2, 2, 1) / 4
    np.testing.assert_allclose(m.predict_on_batch(x), np.asarray(km(x)), rtol=1e-5, atol=1e-6)


def test_changing_the_layers_drops_the_cached_checks():
    m = Sequential([L.LSTM(3, input_shape=(4, 1)), L.Dense(1)])
    x = np.ones((1, 4, 1), np.float32)
    assert m.predict(x, verbose=0).shape == (1, 1)
    m.pop()
    m.add(L.Dense(2))
    out = m.predict(x, verbose=0)
    assert out.shape == (1, 2)
    np.testing.assert_allclose(out, m.predict_on_batch(x), rtol=1e-6)


def test_reset_states_between_fast_predicts_starts_again_from_zeros():
    m = Sequential([L.Input(batch_shape=(1, 2, 1)), L.LSTM(3, stateful=True), L.Dense(1)])
    x = np.ones((1, 2, 1), np.float32)
    first = m.predict(x, verbose=0)
    assert not np.allclose(m.predict(x, verbose=0), first)  # the state carried over
    m.reset_states()
    np.testing.assert_allclose(m.predict(x, verbose=0), first, rtol=1e-6)
    m.layers[0].reset_states([np.full((1, 3), 0.5, np.float32), np.zeros((1, 3), np.float32)])
    assert not np.allclose(m.predict(x, verbose=0), first)
