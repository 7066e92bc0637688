"""compile / fit / evaluate / predict: same numbers as Keras 3, clear errors, no recompiles."""

import keras
import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit.models import Sequential
from lstmkit.training import programs


def _pair(n_in=3, hidden=4, n_out=2, activation="tanh"):
    km = keras.Sequential([keras.Input((n_in,)), keras.layers.Dense(hidden, activation=activation),
                           keras.layers.Dense(n_out)])
    m = Sequential([L.Dense(hidden, activation=activation, input_shape=(n_in,)), L.Dense(n_out)])
    m.set_weights(km.get_weights())
    return km, m


def _data(n=13, n_in=3, n_out=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)).astype(np.float32), rng.normal(size=(n, n_out)).astype(np.float32)


@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop"])
def test_fit_matches_keras_with_partial_last_batch(opt):
    km, m = _pair()
    x, y = _data()
    km.compile(optimizer=opt, loss="mse", metrics=["mae"])
    m.compile(optimizer=opt, loss="mse", metrics=["mae"])
    kh = km.fit(x, y, batch_size=5, epochs=3, shuffle=False, verbose=0, validation_split=0.25)
    h = m.fit(x, y, batch_size=5, epochs=3, shuffle=False, verbose=0, validation_split=0.25)
    assert list(h.history) == ["loss", "mae", "val_loss", "val_mae"]
    for k in kh.history:
        np.testing.assert_allclose(h.history[k], kh.history[k], rtol=1e-5, atol=1e-6)
    for a, b in zip(m.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_sample_weight_and_validation_data_match_keras():
    km, m = _pair()
    x, y = _data(12)
    vx, vy = _data(6, seed=1)
    sw = np.linspace(0.1, 2.0, 12).astype(np.float32)
    km.compile("sgd", "mae")
    m.compile("sgd", "mae")
    kh = km.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, sample_weight=sw, validation_data=(vx, vy))
    h = m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, sample_weight=sw, validation_data=(vx, vy))
    for k in kh.history:
        np.testing.assert_allclose(h.history[k], kh.history[k], rtol=1e-5)


def test_evaluate_returns_like_keras():
    km, m = _pair()
    x, y = _data()
    km.compile("sgd", "mse", metrics=["mae"])
    m.compile("sgd", "mse", metrics=["mae"])
    np.testing.assert_allclose(m.evaluate(x, y, verbose=0), km.evaluate(x, y, verbose=0), rtol=1e-5)
    m2 = Sequential([L.Dense(2, input_shape=(3,))])
    m2.compile("sgd", "mse")
    assert isinstance(m2.evaluate(x, y, verbose=0), float)
    d = m.evaluate(x, y, verbose=0, return_dict=True)
    assert set(d) == {"loss", "mae"}


def test_accuracy_resolves_like_keras():
    m = Sequential([L.Dense(3, activation="softmax", input_shape=(4,))])
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
    y = np.arange(10) % 3
    h = m.fit(x, y, epochs=1, verbose=0)
    assert list(h.history) == ["accuracy", "loss"]  # Keras 3's (alphabetical) order
    km = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    km.set_weights(m.get_weights())
    km.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    np.testing.assert_allclose(m.evaluate(x, y, verbose=0), km.evaluate(x, y, verbose=0), rtol=1e-5)


def test_no_recompilation_for_repeated_calls():
    _, m = _pair()
    x, y = _data(16)
    m.compile("adam", "mse")
    traced = []
    for _ in range(3):
        m.fit(x, y, epochs=2, batch_size=4, verbose=0)
        m.evaluate(x, y, verbose=0)
        m.predict(x, verbose=0)
        traced.append(programs.trace_count())
    assert traced[0] == traced[1] == traced[2]


def test_predict_pads_instead_of_new_shapes():
    _, m = _pair()
    m.compile("adam", "mse")
    a = m.predict(np.ones((40, 3), np.float32), batch_size=8, verbose=0)
    b = m.predict(np.ones((37, 3), np.float32), batch_size=8, verbose=0)
    assert a.shape == (40, 2) and b.shape == (37, 2)
    np.testing.assert_allclose(a[:37], b, atol=1e-6)


def test_set_random_seed_gives_identical_runs():
    def run():
        lstmkit.utils.set_random_seed(7)
        m = Sequential([L.Dense(4, activation="relu", input_shape=(3,)), L.Dropout(0.3), L.Dense(1)])
        m.compile("adam", "mse")
        x, y = _data(20, n_out=1)
        m.fit(x, y, epochs=3, batch_size=5, verbose=0)
        return m.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_verbose_2_prints_one_line_per_epoch(capsys):
    _, m = _pair()
    m.compile("sgd", "mse")
    m.fit(*_data(), epochs=3, verbose=2)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.strip()]
    assert len(lines) == 3 and lines[0].startswith("Epoch 1/3") and "loss:" in lines[0]


# ---------------------------------------------------------------- errors
def test_fit_before_compile():
    _, m = _pair()
    with pytest.raises(ValueError, match=r"must call `compile\(\)` before using the model"):
        m.fit(*_data())


def test_wrong_input_rank_message():
    m = Sequential([L.Dense(1, input_shape=(3,))])
    m.compile("adam", "mse")
    with pytest.raises(ValueError, match=r"expects arrays of shape \(None, 3\).*received `x` with shape \(4, 3, 1\)"):
        m.fit(np.ones((4, 3, 1)), np.ones((4, 1)), verbose=0)


def test_wrong_feature_size_message():
    m = Sequential([L.Dense(1, input_shape=(3,))])
    with pytest.raises(ValueError, match=r"expects arrays of shape \(None, 3\), but received `x` with shape \(4, 5\)"):
        m.predict(np.ones((4, 5)))


def test_cardinality_mismatch():
    _, m = _pair()
    m.compile("adam", "mse")
    with pytest.raises(ValueError, match="'x' sizes: 5 'y' sizes: 4"):
        m.fit(np.ones((5, 3)), np.ones((4, 2)), verbose=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_rejected(bad):
    _, m = _pair()
    m.compile("adam", "mse")
    x, y = _data()
    x[2, 1] = bad
    with pytest.raises(ValueError, match=r"`x` contains NaN or inf values \(first at index \(2, 1\)\)"):
        m.fit(x, y, verbose=0)
    x, y = _data()
    y[0, 0] = bad
    with pytest.raises(ValueError, match="`y` contains NaN or inf"):
        m.fit(x, y, verbose=0)


def test_unknown_names_fail_at_compile():
    _, m = _pair()
    with pytest.raises(ValueError, match="adamm"):
        m.compile("adamm", "mse")
    with pytest.raises(ValueError, match="msee"):
        m.compile("adam", "msee")


def test_fit_rejects_batch_input_shape_with_a_hint():
    _, m = _pair()
    m.compile("adam", "mse")
    with pytest.raises(TypeError, match="batch_input_shape.*first layer"):
        m.fit(*_data(), epochs=1, batch_input_shape=(10, 5, 1))


def test_target_shape_mismatch():
    _, m = _pair()
    m.compile("adam", "mse")
    with pytest.raises(ValueError, match=r"Target `y` has shape \(13, 3\).*\(None, 2\)"):
        m.fit(_data()[0], np.ones((13, 3)), verbose=0)


def test_metrics_ignore_sample_weight_but_weighted_metrics_use_it_like_keras():
    km, m = _pair()
    x, y = _data(12)
    sw = np.linspace(0.1, 3.0, 12).astype(np.float32)
    km.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mse"])
    m.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mse"])
    kh = km.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0, sample_weight=sw)
    h = m.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0, sample_weight=sw)
    assert list(h.history) == list(kh.history)
    for k in kh.history:
        np.testing.assert_allclose(h.history[k], kh.history[k], rtol=1e-5)


def test_fit_builds_a_sequential_without_input_shape_from_its_data():
    m = Sequential([L.LSTM(4), L.Dense(1)])
    m.compile("adam", "mse")
    h = m.fit(np.ones((6, 3, 1), np.float32), np.ones((6, 1), np.float32), epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2 and m.count_params() == 4 * ((1 + 4) * 4 + 4) + 5
