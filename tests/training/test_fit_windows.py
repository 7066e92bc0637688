"""fit / evaluate / predict on a `WindowedSeries`: the same numbers as on the materialised windows,
with only the series on the device, and clear errors."""

import jax
import numpy as np
import pytest

import lstmkit
from lstmkit import callbacks
from lstmkit import layers as L
from lstmkit.data import WindowedSeries, covariate_windows
from lstmkit.models import Sequential
from lstmkit.training import data as data_mod

SERIES = np.sin(np.arange(300) * 0.1).astype(np.float32) + np.linspace(0, 1, 300, dtype=np.float32)


def _model(window=6, features=1, out=1, seed=0):
    lstmkit.utils.set_random_seed(seed)
    m = Sequential([L.LSTM(4, input_shape=(window, features)), L.Dense(out)])
    m.compile("adam", "mse", metrics=["mae"])
    return m


def _twins(ws, **fit_kwargs):
    """The same model trained on the WindowedSeries and on its materialised arrays."""
    x, y = ws[:]
    shape = (ws.window, ws.x_shape[1], int(np.prod(ws.y_shape)))
    a = _model(*shape)  # each model re-seeds, so both fits draw the same shuffles
    ha = a.fit(ws, verbose=0, **fit_kwargs)
    b = _model(*shape)
    hb = b.fit(x, y, verbose=0, **fit_kwargs)
    return a, b, ha, hb


def test_fit_on_windows_equals_fit_on_arrays():
    ws = WindowedSeries(SERIES, window=6, horizon=1)
    a, b, ha, hb = _twins(ws, epochs=2, batch_size=32, shuffle=True, validation_split=0.2)
    assert list(ha.history) == ["loss", "mae", "val_loss", "val_mae"]
    for k in hb.history:
        np.testing.assert_allclose(ha.history[k], hb.history[k], rtol=1e-5)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-7)
    x, y = ws[:]
    np.testing.assert_allclose(a.evaluate(ws, verbose=0), b.evaluate(x, y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(a.predict(ws, verbose=0), b.predict(x, verbose=0), rtol=1e-5, atol=1e-7)


def test_multi_step_vector_targets_stride_and_sample_weight():
    ws = WindowedSeries(SERIES, window=5, horizon=3, stride=2)
    sw = np.linspace(0.5, 1.5, len(ws)).astype(np.float32)
    x, y = ws[:]
    assert y.shape == (len(ws), 3)
    a, b = _model(5, 1, 3), _model(5, 1, 3)
    ha = a.fit(ws, epochs=2, batch_size=16, shuffle=False, verbose=0, sample_weight=sw)
    hb = b.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0, sample_weight=sw)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-5)


def test_covariate_windows_and_separate_validation_series():
    rng = np.random.default_rng(0)
    data = np.stack([SERIES, rng.normal(size=SERIES.shape).astype(np.float32)], axis=1)
    ws = WindowedSeries(data[:, 1:], data[:, :1], window=4, horizon=1, align="last")
    x, y = ws[:]
    np.testing.assert_array_equal(x, covariate_windows(data, 0, window=4)[0])
    train, val = ws.window_range(0, 200), ws.window_range(200, len(ws))
    a, b = _model(4), _model(4)
    ha = a.fit(train, validation_data=val, epochs=2, batch_size=25, shuffle=False, verbose=0)
    hb = b.fit(x[:200], y[:200], validation_data=(x[200:], y[200:]), epochs=2, batch_size=25, shuffle=False,
               verbose=0)
    for k in hb.history:
        np.testing.assert_allclose(ha.history[k], hb.history[k], rtol=1e-5)


def test_sequence_layout_encoder_decoder():
    ws = WindowedSeries(SERIES, window=5, horizon=2, layout="sequence")
    x, y = ws[:]
    assert y.shape == (len(ws), 2, 1)

    def build():
        lstmkit.utils.set_random_seed(1)
        m = Sequential([L.LSTM(4, input_shape=(5, 1)), L.RepeatVector(2), L.LSTM(4, return_sequences=True),
                        L.TimeDistributed(L.Dense(1))])
        m.compile("adam", "mse")
        return m

    ha = build().fit(ws, epochs=1, batch_size=64, verbose=0)  # shuffled: same seed, same orders
    hb = build().fit(x, y, epochs=1, batch_size=64, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-5)


def test_per_batch_callbacks_path_and_sequential_built_from_windows():
    seen = []
    ws = WindowedSeries(SERIES[:60], window=6)
    cb = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    x, y = ws[:]
    a = Sequential([L.LSTM(3), L.Dense(1)])  # no input shape: built from the windows
    a.compile("sgd", "mse")
    lstmkit.utils.set_random_seed(2)
    a.build((None, 6, 1))
    b = Sequential([L.LSTM(3, input_shape=(6, 1)), L.Dense(1)])
    b.compile("sgd", "mse")
    b.set_weights(a.get_weights())
    ha = a.fit(ws, epochs=2, batch_size=16, shuffle=False, verbose=0, callbacks=[cb], validation_split=0.25)
    hb = b.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0, validation_split=0.25)
    assert len(seen) == 2 * 3  # 54 windows: 40 to train in batches of 16, 14 to validate
    for k in ("loss", "val_loss"):
        np.testing.assert_allclose(ha.history[k], hb.history[k], rtol=1e-5)

    c = Sequential([L.LSTM(3), L.Dense(1)])
    c.compile("sgd", "mse")
    c.fit(ws, epochs=1, verbose=0)
    assert c.input_shape == (None, 6, 1)


def test_only_the_series_goes_to_the_device():
    """The compiled epoch keeps O(series) memory: far less than all windows would take."""
    rows, window = 20000, 200
    ws = WindowedSeries(np.zeros(rows, np.float32), window=window)
    all_windows_bytes = len(ws) * window * 4
    m = _model(window)

    engine = m._require_compiled("training")
    tv, ntv = engine.split_values()
    carry = (tv, ntv, m._opt_state_for(engine, tv), {})

    def device_bytes(data):
        run = engine.run_epochs_fn(32, False, 0, data.batches)
        compiled = run.lower(carry, data.device_arrays(), (), np.zeros((0,), np.int32), jax.random.key(0),
                             np.int32(0), np.int32(1), np.int32(data.n), np.int32(0)).compile()
        stats = compiled.memory_analysis()
        return stats.temp_size_in_bytes + stats.argument_size_in_bytes

    ones = np.ones(len(ws), np.float32)
    windowed = data_mod.WindowData(ws, ones)
    assert sum(a.nbytes for a in jax.tree_util.tree_leaves(windowed.device_arrays())) == rows * 4 + len(ws) * 4
    streamed = device_bytes(windowed)
    materialised = device_bytes(data_mod.ArrayData(*[[a] for a in ws[:]], ones))
    assert materialised > all_windows_bytes  # the windows, then their shuffled batches
    # What remains is the step's own working memory (per-step gate values of one batch).
    assert streamed < all_windows_bytes / 5


def test_errors_name_what_is_wrong():
    ws = WindowedSeries(SERIES, window=6)
    m = _model(6)
    with pytest.raises(ValueError, match=r"^`y` must be None when `x` is a WindowedSeries"):
        m.fit(ws, ws[:][1], verbose=0)
    with pytest.raises(ValueError, match=r"^`class_weight` is not supported with a WindowedSeries"):
        m.fit(ws, class_weight={0: 1.0}, verbose=0)
    with pytest.raises(ValueError, match=r"^`sample_weight` must have one weight per window: shape \(294,\); "
                                         r"received shape \(3,\)\.$"):
        m.fit(ws, sample_weight=np.ones(3), verbose=0)
    with pytest.raises(ValueError, match=r"expects arrays of shape \(None, 8, 1\), but received `x` with shape "
                                         r"\(292, 6, 1\)"):
        _model(8).fit(WindowedSeries(SERIES, window=6, horizon=3, layout="sequence"), verbose=0)
    with pytest.raises(ValueError, match=r"^Target `y` has shape \(292, 3\), which does not match output 0"):
        _model(6, 1, 2).fit(WindowedSeries(SERIES, window=6, horizon=3), verbose=0)
    with pytest.raises(ValueError, match=r"^`x` is a WindowedSeries, which fit, evaluate and predict take"):
        m.train_on_batch(ws)
    bad = SERIES.copy()
    bad[10] = np.nan
    with pytest.raises(ValueError, match=r"^`x` contains NaN or inf values \(first at index \(10, 0\)\)"):
        m.fit(WindowedSeries(bad, window=6), verbose=0)
