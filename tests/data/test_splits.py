"""Temporal splits: order kept, no window's targets cross into an earlier part, sklearn's k-fold."""

import numpy as np
import pandas as pd
import pytest

from lstmkit.data import (
    MinMaxScaler,
    TimeSeriesSplit,
    fit_on_train,
    make_windows,
    split_points,
    train_val_test_split,
    window_indices,
)


def test_split_points_by_fraction_and_count():
    assert split_points(100, 0.15, 0.15) == (70, 85)
    assert split_points(100, 10, 5) == (85, 95)
    assert split_points(10, 0, 0) == (10, 10)
    with pytest.raises(ValueError, match="leave no training rows"):
        split_points(10, 5, 5)
    with pytest.raises(ValueError, match="`val` as a fraction must be in"):
        split_points(10, 1.5, 0)


def test_train_val_test_split_keeps_time_order_and_type():
    series = pd.Series(np.arange(20.0), index=pd.date_range("2020", periods=20, freq="D"))
    train, val, test = train_val_test_split(series, val=0.25, test=0.25)
    assert isinstance(train, pd.Series)
    assert (len(train), len(val), len(test)) == (10, 5, 5)
    assert train.index[-1] < val.index[0] and val.index[-1] < test.index[0]
    np.testing.assert_array_equal(pd.concat([train, val, test]).to_numpy(), series.to_numpy())


@pytest.mark.parametrize("align", ["next", "last"])
@pytest.mark.parametrize("window,horizon,stride", [(5, 1, 1), (4, 3, 1), (3, 2, 2)])
def test_window_indices_never_put_a_later_target_in_an_earlier_part(align, window, horizon, stride):
    length, boundaries = 40, (25, 33)
    series = np.arange(length, dtype=np.float64)  # value == row number, so targets name their rows
    X, y = make_windows(series, window=window, horizon=horizon, align=align, stride=stride, dtype=np.float64)
    y = y.reshape(len(y), -1)
    parts = window_indices(length, window, horizon, boundaries, align=align, stride=stride)
    edges = [0, *boundaries, length]
    assigned = set()
    for p, idx in enumerate(parts):
        lo, hi = edges[p], edges[p + 1]
        assert np.all(y[idx] >= lo) and np.all(y[idx] < hi)  # all targets inside the part
        assert np.all(X[idx] < y[idx].min(axis=1)[:, None, None] + (1 if align == "last" else 0))  # inputs look back
        assigned.update(idx.tolist())
    # Exactly the straddling windows are dropped.
    straddling = {i for i in range(len(y)) if any(y[i].min() < b <= y[i].max() for b in boundaries)}
    assert assigned == set(range(len(y))) - straddling
    assert all(np.all(np.diff(idx) > 0) for idx in parts)


def test_time_series_split_matches_sklearn_documentation():
    # sklearn.model_selection.TimeSeriesSplit docstring, X = 6 rows, n_splits=5.
    folds = list(TimeSeriesSplit(n_splits=5).split(np.zeros(6)))
    assert [(tr.tolist(), te.tolist()) for tr, te in folds] == [
        ([0], [1]), ([0, 1], [2]), ([0, 1, 2], [3]), ([0, 1, 2, 3], [4]), ([0, 1, 2, 3, 4], [5])]
    # ... and with 12 rows, n_splits=3, test_size=2, gap=2.
    folds = list(TimeSeriesSplit(n_splits=3, test_size=2, gap=2).split(np.zeros(12)))
    assert [(tr.tolist(), te.tolist()) for tr, te in folds] == [
        ([0, 1, 2, 3], [6, 7]), ([0, 1, 2, 3, 4, 5], [8, 9]), ([0, 1, 2, 3, 4, 5, 6, 7], [10, 11])]
    # max_train_size keeps the latest rows.
    folds = list(TimeSeriesSplit(n_splits=2, max_train_size=2).split(9))
    assert [(tr.tolist(), te.tolist()) for tr, te in folds] == [([1, 2], [3, 4, 5]), ([4, 5], [6, 7, 8])]
    with pytest.raises(ValueError, match="n_splits=5 folds with only 4 rows"):
        list(TimeSeriesSplit(5).split(4))
    with pytest.raises(ValueError, match="`n_splits` must be an integer >= 2"):
        TimeSeriesSplit(1)


def test_fit_on_train_ignores_later_rows():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(30, 2))
    changed = data.copy()
    changed[20:] *= 1000.0  # wildly different validation/test rows
    a, b = MinMaxScaler(), MinMaxScaler()
    out_a = fit_on_train(a, data, 20)
    fit_on_train(b, changed, 20)
    np.testing.assert_array_equal(a.data_min_, data[:20].min(axis=0))
    np.testing.assert_array_equal(a.data_max_, data[:20].max(axis=0))
    np.testing.assert_array_equal(a.scale_, b.scale_)
    np.testing.assert_array_equal(a.offset_, b.offset_)
    assert out_a.shape == data.shape and out_a[:20].min() == 0.0 and out_a[:20].max() == 1.0
