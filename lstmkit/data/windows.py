"""Turning series into the 3-D windows an LSTM takes: (samples, timesteps, features).

Window i covers rows ``s, ..., s + window - 1`` of the inputs, with ``s = i * stride``.
Its targets are ``horizon`` consecutive rows of the target columns, starting at

* ``align='next'`` (forecasting; seed 000's ``split_sequence``, the stock example's
  30-step windows): the row *after* the window, ``s + window``. ``[10, 20, 30] -> 40``.
* ``align='last'`` (seed 000's multiple-input ``split_sequences``): the window's own last
  row, ``s + window - 1``. The inputs are other series observed at the same time as the
  target, so ``[[10, 15], [20, 25], [30, 35]] -> 65`` (65 = 30 + 35, the third row).
  Use it only when the inputs at the target's time are known when predicting it.

Target layouts:

* ``layout='vector'`` (a ``Dense(n_out)`` head): ``y`` is ``(samples,)`` for one target one
  step ahead, ``(samples, horizon)`` for one target several steps ahead and
  ``(samples, n_targets)`` for several targets one step ahead.
* ``layout='sequence'`` (encoder-decoder with ``TimeDistributed(Dense(n_targets))``): ``y`` is
  always ``(samples, horizon, n_targets)``.

Inputs and targets may be NumPy arrays (1-D: one column; 2-D: rows x columns), pandas
Series or DataFrames. This module uses NumPy and pandas only.
"""

from __future__ import annotations

import copy

import numpy as np

__all__ = [
    "WindowedSeries",
    "as_columns",
    "covariate_windows",
    "make_windows",
    "n_windows",
    "parallel_windows",
    "univariate_windows",
]

ALIGNS = ("next", "last")
LAYOUTS = ("vector", "sequence")


def as_columns(data, name="data", dtype=np.float32) -> np.ndarray:
    """`data` (array, list, pandas Series or DataFrame) as a 2-D (rows, columns) array."""
    values = data.to_numpy() if hasattr(data, "to_numpy") else np.asarray(data)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(f"`{name}` must be 1-D (one series) or 2-D (rows, columns); received shape {values.shape}.")
    try:
        return values.astype(dtype, copy=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{name}` must hold numbers; received dtype {values.dtype} ({error}).") from None


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; received {value!r}.")
    return int(value)


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {choices}; received {value!r}.")
    return value


def n_windows(length, window, horizon=1, align="next", stride=1) -> int:
    """How many windows a series of `length` rows gives (0 when it is too short)."""
    span = window + horizon - (1 if align == "last" else 0)
    return max(0, (length - span) // stride + 1) if length >= span else 0


def _target_offset(window, align):
    return window - 1 if align == "last" else window


class WindowedSeries:
    """Windows over a series, cut on demand: memory stays O(series length).

    Holds the input columns (and the target columns when they differ) once; window ``i`` is
    built only when asked for. The same alignment and layouts as `make_windows`, which
    returns exactly ``ws[:]``.

    Args:
        inputs: the input series, (rows,) or (rows, features); scale it before (see
            `lstmkit.data.scalers`) -- windows are cut from the values as given.
        targets: the target series, (rows,) or (rows, n_targets), the same number of rows;
            None: the inputs are also the targets (univariate or parallel series).
        window: timesteps per input window.
        horizon: target steps per window.
        align: 'next' (targets start after the window) or 'last' (at its last row).
        layout: 'vector' or 'sequence' (see the module docstring).
        stride: rows between the starts of consecutive windows.
        dtype: the dtype of the stored series and of the batches.

    Protocol used by a training loop that cuts batches on the device:
        ``arrays()`` is the tuple of underlying arrays, and ``take(arrays, idx)`` returns
        ``(x, y)`` for the int vector of window indices ``idx`` using only indexing, ``+``
        and ``reshape``, so it runs unchanged on NumPy arrays or inside ``jax.jit`` on
        device arrays.
    """

    def __init__(self, inputs, targets=None, *, window, horizon=1, align="next", layout="vector", stride=1,
                 dtype=np.float32):
        self.window = _check_int("window", window, 1)
        self.horizon = _check_int("horizon", horizon, 1)
        self.stride = _check_int("stride", stride, 1)
        self.align = _check_choice("align", align, ALIGNS)
        self.layout = _check_choice("layout", layout, LAYOUTS)
        self._inputs = as_columns(inputs, "inputs", dtype)
        self._targets = None if targets is None else as_columns(targets, "targets", dtype)
        rows = self._inputs.shape[0]
        if self._targets is not None and self._targets.shape[0] != rows:
            raise ValueError(f"`inputs` and `targets` must have the same number of rows; received {rows} "
                             f"and {self._targets.shape[0]}.")
        n_targets = (self._targets if self._targets is not None else self._inputs).shape[1]
        if self.layout == "vector" and self.horizon > 1 and n_targets > 1:
            raise ValueError(f"layout='vector' takes several steps of one target or one step of several targets; "
                             f"received horizon={self.horizon} with {n_targets} target columns. "
                             "Use layout='sequence' for y of shape (samples, horizon, targets).")
        self._n = n_windows(rows, self.window, self.horizon, self.align, self.stride)
        if self._n == 0:
            need = self.window + self.horizon - (1 if self.align == "last" else 0)
            raise ValueError(f"A series of {rows} rows is too short for window={self.window} and "
                             f"horizon={self.horizon} (align={self.align!r}): it needs at least {need} rows.")
        self._n_targets = n_targets
        self._first = 0  # index of window 0 among all the series' windows (see `window_range`)
        # Constant offsets, built once; numpy constants also work inside jax.jit.
        self._x_offsets = np.arange(self.window, dtype=np.int32)
        self._y_offsets = np.arange(self.horizon, dtype=np.int32) + _target_offset(self.window, self.align)

    def __len__(self):
        return self._n

    def window_range(self, start, stop):
        """Windows ``start .. stop-1`` as a `WindowedSeries` of their own, sharing this one's arrays
        (e.g. the training or validation part given by `lstmkit.data.splits.window_indices`)."""
        if not 0 <= start < stop <= self._n:
            raise ValueError(f"window_range needs 0 <= start < stop <= {self._n}; received ({start}, {stop}).")
        part = copy.copy(self)
        part._first, part._n = self._first + int(start), int(stop - start)
        return part

    @property
    def x_shape(self) -> tuple:
        """Shape of one input sample: (window, features)."""
        return (self.window, self._inputs.shape[1])

    @property
    def y_shape(self) -> tuple:
        """Shape of one target sample (see the layouts in the module docstring)."""
        if self.layout == "sequence":
            return (self.horizon, self._n_targets)
        if self.horizon == 1 and self._n_targets == 1:
            return ()
        return (max(self.horizon, self._n_targets),)

    @property
    def signature(self) -> tuple:
        """What `take` depends on besides the arrays: equal signatures cut equal batches."""
        return (self.window, self.horizon, self.stride, self.align, self.layout, self._first,
                self._targets is None, self._n_targets)

    def compact(self) -> "WindowedSeries":
        """The same windows over copies of only the rows they use, window 0 first.

        A training loop puts these arrays on the device, so a validation range does not
        carry the whole series, and every range with the same settings cuts its batches
        with the same code (equal `signature`).
        """
        span = int(max(self._x_offsets[-1], self._y_offsets[-1])) + 1
        start = self._first * self.stride
        stop = (self._first + self._n - 1) * self.stride + span
        part = copy.copy(self)
        part._inputs = np.ascontiguousarray(self._inputs[start:stop])
        part._targets = None if self._targets is None else np.ascontiguousarray(self._targets[start:stop])
        part._first = 0
        return part

    def arrays(self) -> tuple:
        """The underlying series: (inputs,) or (inputs, targets)."""
        return (self._inputs,) if self._targets is None else (self._inputs, self._targets)

    def take(self, arrays, idx):
        """``(x, y)`` for window indices `idx` (an int vector), cut from `arrays` (see `arrays()`)."""
        inputs = arrays[0]
        targets = arrays[1] if len(arrays) > 1 else arrays[0]
        starts = (idx + self._first) * self.stride
        x = inputs[starts[:, None] + self._x_offsets[None, :]]  # (b, window, features)
        y = targets[starts[:, None] + self._y_offsets[None, :]]  # (b, horizon, targets)
        batch = idx.shape[0]
        return x, y.reshape((batch,) + self.y_shape)

    def __getitem__(self, key):
        """``(x, y)`` NumPy batches for an int, a slice or an array of window indices."""
        if isinstance(key, slice):
            idx = np.arange(self._n, dtype=np.int64)[key]
        else:
            idx = np.asarray(key)
            scalar = idx.ndim == 0
            if not np.issubdtype(idx.dtype, np.integer) or idx.ndim > 1:
                raise TypeError(f"WindowedSeries indices must be an int, a slice or a 1-D int array; received {key!r}.")
            idx = np.atleast_1d(idx).astype(np.int64)
            if idx.size and (idx.max() >= self._n or idx.min() < -self._n):
                raise IndexError(f"window index out of range for {self._n} windows: {key!r}.")
            idx = np.where(idx < 0, idx + self._n, idx)
            if scalar:
                x, y = self.take(self.arrays(), idx)
                return x[0], y[0]
        return self.take(self.arrays(), idx)

    def __repr__(self):
        return (f"WindowedSeries({self._n} windows, x_shape={self.x_shape}, y_shape={self.y_shape}, "
                f"align={self.align!r}, layout={self.layout!r})")


def make_windows(inputs, targets=None, *, window, horizon=1, align="next", layout="vector", stride=1,
                 dtype=np.float32):
    """All windows at once: ``(X, y)`` with X of shape (samples, window, features).

    The arguments are `WindowedSeries`'s; see the module docstring for the alignment and
    the shapes of `y`.
    """
    return WindowedSeries(inputs, targets, window=window, horizon=horizon, align=align, layout=layout,
                          stride=stride, dtype=dtype)[:]


def univariate_windows(series, window, horizon=1, layout="vector", dtype=np.float32):
    """One series -> its next `horizon` values (seed 000's ``split_sequence``).

    ``[10, 20, ..., 90]`` with window 3: X[0] = [[10], [20], [30]], y[0] = 40; with
    horizon 2, y[0] = [40, 50] (or [[40], [50]] with layout='sequence').
    """
    values = as_columns(series, "series", dtype)
    if values.shape[1] != 1:
        raise ValueError(f"univariate_windows takes one series; received {values.shape[1]} columns. "
                         "Use parallel_windows or covariate_windows for several.")
    return make_windows(values, window=window, horizon=horizon, layout=layout, dtype=dtype)


def parallel_windows(data, window, horizon=1, layout="vector", dtype=np.float32):
    """Several parallel series -> the next row of all of them (y: (samples, series)).

    With ``horizon > 1`` use layout='sequence': y is (samples, horizon, series).
    """
    return make_windows(data, window=window, horizon=horizon, layout=layout, dtype=dtype)


def covariate_windows(data, target, covariates=None, *, window, horizon=1, align="last", include_target=None,
                      layout="vector", dtype=np.float32):
    """Several input series (covariates) -> one target.

    Args:
        data: a DataFrame (then `target`/`covariates` are column names), or a 2-D array
            (then they are column positions).
        target: the target column.
        covariates: the input columns; None: every column except the target.
        align: 'last' (default, seed 000's ``split_sequences``: y is the target at the
            window's last row) or 'next' (y is the target after the window).
        include_target: also feed the target's own past as an input column (first column).
            Defaults to False for align='last' (the target is what is predicted at that
            row) and True for align='next'.
    """
    _check_choice("align", align, ALIGNS)
    if include_target is None:
        include_target = align == "next"
    if include_target and align == "last":
        raise ValueError("include_target=True with align='last' would put the target itself in the inputs.")
    if hasattr(data, "columns"):
        names = list(data.columns)
        if target not in names:
            raise ValueError(f"`target` {target!r} is not a column of `data`; columns: {names}.")
        covariates = [c for c in names if c != target] if covariates is None else list(covariates)
        missing = [c for c in covariates if c not in names]
        if missing:
            raise ValueError(f"`covariates` {missing} are not columns of `data`; columns: {names}.")
        values = as_columns(data[names], "data", dtype)
        pos = {c: i for i, c in enumerate(names)}
        t_col, cov_cols = pos[target], [pos[c] for c in covariates]
    else:
        values = as_columns(data, "data", dtype)
        width = values.shape[1]
        if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not -width <= target < width:
            raise ValueError(f"`target` must be a column position of the {width}-column array; received {target!r}.")
        t_col = int(target) % width
        cov_cols = [c for c in range(width) if c != t_col] if covariates is None else [int(c) % width for c in covariates]
    if t_col in cov_cols:
        raise ValueError("`covariates` must not contain the target column; use include_target=True instead.")
    if not cov_cols and not include_target:
        raise ValueError("covariate_windows needs at least one covariate column.")
    cols = ([t_col] if include_target else []) + cov_cols
    return make_windows(values[:, cols], values[:, [t_col]], window=window, horizon=horizon, align=align,
                        layout=layout, dtype=dtype)
