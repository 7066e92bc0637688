"""Temporal splits: train/validation/test in time order, and time-series k-fold.

Nothing is shuffled: the training part always comes first.

**Windows and boundaries.** A window belongs to the part in which *all* of its targets
lie. Its inputs may reach back into earlier parts -- when a forecast is made, the past
is known -- but never forward. A window whose targets straddle a boundary is dropped, so
no target of a later part is ever a training target (`window_indices` applies the rule).
Fit scalers on the training part's rows only (`fit_on_train`).
"""

from __future__ import annotations

import numbers

import numpy as np

from lstmkit.data.windows import ALIGNS, n_windows

__all__ = ["TimeSeriesSplit", "fit_on_train", "split_points", "train_val_test_split", "window_indices"]


def _length(data):
    if isinstance(data, numbers.Integral) and not isinstance(data, bool):
        return int(data)
    return len(data)


def _count(name, value, n):
    """A part's size from a fraction in [0, 1) or a row count."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a fraction in [0, 1) or a number of rows; received {value!r}.")
    if isinstance(value, numbers.Integral):
        if value < 0:
            raise ValueError(f"`{name}` must be >= 0 rows; received {value}.")
        return int(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"`{name}` as a fraction must be in [0, 1); received {value}.")
    return int(round(value * n))


def split_points(n, val=0.15, test=0.15) -> tuple[int, int]:
    """Row positions ``(train_end, val_end)``: train is ``[:train_end]``, validation
    ``[train_end:val_end]``, test ``[val_end:]``. `val`/`test` are fractions or row counts."""
    n = _length(n)
    n_val, n_test = _count("val", val, n), _count("test", test, n)
    train_end = n - n_val - n_test
    if train_end < 1:
        raise ValueError(f"val={val!r} and test={test!r} leave no training rows out of {n}.")
    return train_end, n - n_test


def train_val_test_split(data, val=0.15, test=0.15):
    """``(train, val, test)`` slices of `data` (array, Series or DataFrame), in time order."""
    train_end, val_end = split_points(data, val, test)
    take = data.iloc if hasattr(data, "iloc") else data
    return take[:train_end], take[train_end:val_end], take[val_end:]


def window_indices(length, window, horizon=1, boundaries=(), align="next", stride=1) -> list[np.ndarray]:
    """Window indices (as `make_windows` numbers them) of each part of a split series.

    `boundaries` are the row positions where parts start (e.g. ``split_points(...)``); the
    result has one index array per part. A window goes to the part that holds all of its
    target rows; windows whose targets straddle a boundary go nowhere. Each part's indices
    are consecutive, so ``WindowedSeries.window_range(idx[0], idx[-1] + 1)`` streams a part.
    """
    if align not in ALIGNS:
        raise ValueError(f"`align` must be one of {ALIGNS}; received {align!r}.")
    count = n_windows(length, window, horizon, align, stride)
    starts = np.arange(count) * stride
    first = starts + (window - 1 if align == "last" else window)  # first target row
    last = first + horizon - 1
    edges = [0, *[int(b) for b in boundaries], length]
    if any(lo > hi for lo, hi in zip(edges[:-1], edges[1:])):
        raise ValueError(f"`boundaries` must be increasing positions within 0..{length}; received {tuple(boundaries)}.")
    return [np.flatnonzero((first >= lo) & (last < hi)) for lo, hi in zip(edges[:-1], edges[1:])]


def fit_on_train(scaler, data, train_end):
    """Fit `scaler` on rows ``[:train_end]`` only and transform all of `data` with it.

    Returns the transformed data; later rows never influence the scaler.
    """
    take = data.iloc if hasattr(data, "iloc") else data
    scaler.fit(take[:train_end])
    return scaler.transform(data)


class TimeSeriesSplit:
    """Expanding-window k-fold for time series (scikit-learn's ``TimeSeriesSplit``).

    Fold k trains on everything before its test block; test blocks are consecutive, of
    `test_size` rows (default ``n // (n_splits + 1)``), and end at the last row. `gap` rows
    between train and test are left out; `max_train_size` keeps only the latest rows.
    """

    def __init__(self, n_splits=5, *, max_train_size=None, test_size=None, gap=0):
        for name, value, low in (("n_splits", n_splits, 2), ("gap", gap, 0)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
                raise ValueError(f"`{name}` must be an integer >= {low}; received {value!r}.")
        for name, value in (("max_train_size", max_train_size), ("test_size", test_size)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1):
                raise ValueError(f"`{name}` must be None or an integer >= 1; received {value!r}.")
        self.n_splits, self.max_train_size, self.test_size, self.gap = int(n_splits), max_train_size, test_size, int(gap)

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Yields ``(train_indices, test_indices)`` for each fold, earliest first."""
        n = _length(X)
        test_size = self.test_size if self.test_size is not None else n // (self.n_splits + 1)
        if self.n_splits + 1 > n:
            raise ValueError(f"Cannot have n_splits={self.n_splits} folds with only {n} rows.")
        if test_size < 1 or n - self.gap - test_size * self.n_splits <= 0:
            raise ValueError(f"{n} rows are too few for n_splits={self.n_splits}, test_size={test_size} and "
                             f"gap={self.gap}: the first fold would have no training rows.")
        indices = np.arange(n)
        for start in range(n - self.n_splits * test_size, n, test_size):
            train_end = start - self.gap
            train_start = 0 if self.max_train_size is None else max(0, train_end - self.max_train_size)
            yield indices[train_start:train_end], indices[start:start + test_size]
