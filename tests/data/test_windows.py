"""Window/target alignment for every layout in the seeds, against the seeds' own functions."""

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from numpy import array, hstack

from lstmkit.data import (
    WindowedSeries,
    covariate_windows,
    make_windows,
    n_windows,
    parallel_windows,
    univariate_windows,
)


# ---- The seeds' functions, copied verbatim (seed 000, Q2; examples/seed000_*.py) ----------
def split_sequence(sequence, n_steps):  # seed000_univariate.py
    X, y = list(), list()
    for i in range(len(sequence)):
        end_ix = i + n_steps
        if end_ix > len(sequence) - 1:
            break
        seq_x, seq_y = sequence[i:end_ix], sequence[end_ix]
        X.append(seq_x)
        y.append(seq_y)
    return array(X), array(y)


def split_sequence_multi(sequence, n_steps_in, n_steps_out):  # seed000_multi_step.py / encoder_decoder.py
    X, y = list(), list()
    for i in range(len(sequence)):
        end_ix = i + n_steps_in
        out_end_ix = end_ix + n_steps_out
        if out_end_ix > len(sequence):
            break
        seq_x, seq_y = sequence[i:end_ix], sequence[end_ix:out_end_ix]
        X.append(seq_x)
        y.append(seq_y)
    return array(X), array(y)


def split_sequences(sequences, n_steps):  # seed000_multiple_input.py
    X, y = list(), list()
    for i in range(len(sequences)):
        end_ix = i + n_steps
        if end_ix > len(sequences):
            break
        seq_x, seq_y = sequences[i:end_ix, :-1], sequences[end_ix - 1, -1]
        X.append(seq_x)
        y.append(seq_y)
    return array(X), array(y)


def generate_data_by_n_days(series, n):
    """Seed 004's stock table: columns c0..c(n-1) are n consecutive closes, y the next one."""
    frame = pd.DataFrame({f"c{i}": series.shift(-i) for i in range(n)})
    frame["y"] = series.shift(-n)
    return frame.dropna()


RAW = [10, 20, 30, 40, 50, 60, 70, 80, 90]


def seed_dataset():
    in_seq1 = array([10, 20, 30, 40, 50, 60, 70, 80, 90])
    in_seq2 = array([15, 25, 35, 45, 55, 65, 75, 85, 95])
    out_seq = array([in_seq1[i] + in_seq2[i] for i in range(len(in_seq1))])
    return hstack((in_seq1.reshape(-1, 1), in_seq2.reshape(-1, 1), out_seq.reshape(-1, 1)))


def test_univariate_matches_split_sequence():
    X_ref, y_ref = split_sequence(RAW, 3)
    X, y = univariate_windows(RAW, 3)
    assert X.shape == (6, 3, 1) and y.shape == (6,)
    np.testing.assert_array_equal(X, X_ref.reshape(6, 3, 1))
    np.testing.assert_array_equal(y, y_ref)
    assert list(X[0, :, 0]) == [10, 20, 30] and y[0] == 40  # the seed's first row
    # pandas Series in, the same windows out
    X2, y2 = univariate_windows(pd.Series(RAW, index=pd.date_range("2000", periods=9, freq="MS")), 3)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


def test_multi_step_vector_matches_seed():
    X_ref, y_ref = split_sequence_multi(RAW, 3, 2)
    X, y = univariate_windows(RAW, 3, horizon=2)
    np.testing.assert_array_equal(X, X_ref.reshape(X_ref.shape[0], 3, 1))
    np.testing.assert_array_equal(y, y_ref)
    assert y.shape == (5, 2) and list(y[0]) == [40, 50]


def test_multi_step_sequence_matches_encoder_decoder_seed():
    X_ref, y_ref = split_sequence_multi(RAW, 3, 2)
    X, y = univariate_windows(RAW, 3, horizon=2, layout="sequence")
    np.testing.assert_array_equal(y, y_ref.reshape((y_ref.shape[0], y_ref.shape[1], 1)))
    np.testing.assert_array_equal(X, X_ref.reshape(X_ref.shape[0], 3, 1))


def test_multiple_input_matches_split_sequences_target_at_last_step():
    dataset = seed_dataset()
    X_ref, y_ref = split_sequences(dataset, 3)
    X, y = covariate_windows(dataset, target=-1, window=3)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
    assert X[0].tolist() == [[10, 15], [20, 25], [30, 35]] and y[0] == 65  # the seed's worked example
    frame = pd.DataFrame(dataset, columns=["in1", "in2", "out"])
    Xf, yf = covariate_windows(frame, target="out", covariates=["in1", "in2"], window=3)
    np.testing.assert_array_equal(Xf, X_ref)
    np.testing.assert_array_equal(yf, y_ref)


def test_covariates_forecasting_alignment_includes_target_history():
    frame = pd.DataFrame({"y": np.arange(10.0) * 10, "x": np.arange(10.0) + 0.5})
    X, y = covariate_windows(frame, target="y", covariates=["x"], window=3, horizon=2, align="next")
    n = 10 - 3 - 2 + 1
    assert X.shape == (n, 3, 2) and y.shape == (n, 2)
    for i in range(n):
        np.testing.assert_array_equal(X[i, :, 0], frame["y"].to_numpy()[i:i + 3])  # target's own past first
        np.testing.assert_array_equal(X[i, :, 1], frame["x"].to_numpy()[i:i + 3])
        np.testing.assert_array_equal(y[i], frame["y"].to_numpy()[i + 3:i + 5])  # strictly after the window


def test_parallel_series_next_row_of_all():
    data = seed_dataset()
    X, y = parallel_windows(data, 3)
    assert X.shape == (6, 3, 3) and y.shape == (6, 3)
    for i in range(6):  # every series' value right after the window
        np.testing.assert_array_equal(X[i], data[i:i + 3])
        np.testing.assert_array_equal(y[i], data[i + 3])
    Xs, ys = parallel_windows(data, 3, horizon=2, layout="sequence")
    assert ys.shape == (5, 2, 3)
    for i in range(5):
        np.testing.assert_array_equal(ys[i], data[i + 3:i + 5])


def test_stock_example_thirty_step_windows():
    rng = np.random.default_rng(0)
    close = pd.Series(4000 + np.cumsum(rng.normal(0, 20, 120)).round(2))
    table = generate_data_by_n_days(close, 30)
    X, y = univariate_windows(close, 30, dtype=np.float64)
    assert X.shape == (len(table), 30, 1)
    np.testing.assert_array_equal(X[:, :, 0], table[[f"c{i}" for i in range(30)]].to_numpy())
    np.testing.assert_array_equal(y, table["y"].to_numpy())


def test_windowed_series_indexing_equals_materialised():
    series = np.arange(50.0) ** 1.5
    ws = WindowedSeries(series, window=7, horizon=3, stride=2)
    X, y = ws[:]
    assert len(ws) == n_windows(50, 7, 3, stride=2) == len(X) == 21
    assert ws.x_shape == (7, 1) and ws.y_shape == (3,)
    for i in range(len(ws)):
        np.testing.assert_array_equal(X[i, :, 0], series[2 * i:2 * i + 7].astype(np.float32))
        np.testing.assert_array_equal(y[i], series[2 * i + 7:2 * i + 10].astype(np.float32))
    x5, y5 = ws[5]
    np.testing.assert_array_equal(x5, X[5])
    np.testing.assert_array_equal(y5, y[5])
    xs, ys = ws[np.array([3, -1, 0])]
    np.testing.assert_array_equal(xs, X[[3, 20, 0]])
    np.testing.assert_array_equal(ys, y[[3, 20, 0]])
    with pytest.raises(IndexError):
        ws[21]


def test_window_range_streams_a_split_part():
    from lstmkit.data import window_indices

    series = np.arange(60.0)
    ws = WindowedSeries(series, window=5, horizon=2)
    train, val = window_indices(60, 5, 2, boundaries=[45])
    assert np.array_equal(train, np.arange(train[0], train[-1] + 1))  # consecutive
    part = ws.window_range(val[0], val[-1] + 1)
    assert len(part) == len(val) and part.arrays()[0] is ws.arrays()[0]  # shares the series
    X, Y = ws[:]
    np.testing.assert_array_equal(part[:][0], X[val])
    np.testing.assert_array_equal(part[:][1], Y[val])
    x, y = jax.jit(part.take)(tuple(jnp.asarray(a) for a in part.arrays()), jnp.arange(2, dtype=jnp.int32))
    np.testing.assert_array_equal(np.asarray(y), Y[val[:2]])
    assert Y[val].min() >= 45 and Y[train].max() < 45
    with pytest.raises(ValueError, match="window_range needs"):
        ws.window_range(3, 3)


def test_windowed_series_memory_is_the_series_only():
    series = np.random.default_rng(1).normal(size=(10_000, 3))
    ws = WindowedSeries(series, series[:, :1], window=200, horizon=10)
    held = sum(a.nbytes for a in ws.arrays())
    assert held == 10_000 * 4 * 4  # the float32 inputs (3 columns) and target (1 column), nothing per window
    assert len(ws) * 200 * 3 * 4 > 100 * held  # what materialising would cost


@pytest.mark.parametrize("layout,horizon,targets", [("vector", 1, None), ("vector", 4, "one"),
                                                    ("sequence", 4, "one"), ("vector", 1, "two")])
def test_take_under_jit_equals_materialised(layout, horizon, targets):
    data = np.random.default_rng(2).normal(size=(40, 3)).astype(np.float32)
    tgt = {None: None, "one": data[:, :1], "two": data[:, :2]}[targets]
    ws = WindowedSeries(data, tgt, window=5, horizon=horizon, layout=layout)
    idx = np.array([0, 7, 3, len(ws) - 1], dtype=np.int32)
    device_arrays = tuple(jnp.asarray(a) for a in ws.arrays())
    x, y = jax.jit(ws.take)(device_arrays, jnp.asarray(idx))
    X, Y = ws[:]
    np.testing.assert_array_equal(np.asarray(x), X[idx])
    np.testing.assert_array_equal(np.asarray(y), Y[idx])
    assert x.shape[1:] == ws.x_shape and y.shape[1:] == ws.y_shape


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="too short.*at least 5 rows"):
        make_windows(np.arange(4.0), window=3, horizon=2)
    with pytest.raises(ValueError, match="layout='sequence'"):
        make_windows(np.zeros((10, 2)), window=3, horizon=2)
    with pytest.raises(ValueError, match="`window` must be an integer >= 1; received 0"):
        make_windows(np.arange(10.0), window=0)
    with pytest.raises(ValueError, match="`align`"):
        make_windows(np.arange(10.0), window=2, align="previous")
    with pytest.raises(ValueError, match="same number of rows"):
        WindowedSeries(np.zeros(10), np.zeros(9), window=2)
    with pytest.raises(ValueError, match="not a column"):
        covariate_windows(pd.DataFrame({"a": [1.0] * 5}), target="b", window=2)
    with pytest.raises(ValueError, match="one series"):
        univariate_windows(np.zeros((10, 2)), 3)
