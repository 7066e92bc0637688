"""Per-column scalers with scikit-learn's interface: fit, transform, fit_transform, inverse_transform.

Fit them on the training part only (`lstmkit.data.splits.fit_on_train`; the Forecaster
does it for you). A 1-D input is one column and comes back 1-D; pandas input comes back as
a NumPy array, as in scikit-learn. A constant column is not divided by zero: its scale
is taken as 1 (so min-max maps it to the range's lower end, standard scaling to 0).

Wherever lstmkit takes a scaler, any object with ``fit``, ``transform`` and
``inverse_transform`` works, scikit-learn's included; `get_scaler` resolves names.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["MinMaxScaler", "StandardScaler", "get_scaler"]


def _as_2d(data, name):
    values = data.to_numpy() if hasattr(data, "to_numpy") else np.asarray(data)
    if values.ndim not in (1, 2):
        raise ValueError(f"`{name}` must be 1-D or 2-D (rows, columns); received shape {values.shape}.")
    try:
        values = values.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must hold numbers; received dtype {values.dtype}.") from None
    return values.reshape(-1, 1) if values.ndim == 1 else values, values.ndim == 1


class _ColumnScaler:
    """Shared machinery: ``transform(x) = (x - offset_) / scale_`` per column."""

    offset_ = None
    scale_ = None

    def _fit_columns(self, values):
        raise NotImplementedError

    def fit(self, data, y=None):
        values, _ = _as_2d(data, "data")
        if values.shape[0] == 0:
            raise ValueError("Cannot fit a scaler on 0 rows.")
        if not np.isfinite(values).all():
            raise ValueError("Cannot fit a scaler on data with NaN or infinite values.")
        self.n_features_in_ = values.shape[1]
        self._fit_columns(values)
        return self

    def _check(self, values, method):
        if self.scale_ is None:
            raise ValueError(f"{type(self).__name__}.{method}() called before fit().")
        if values.shape[1] != self.n_features_in_:
            raise ValueError(f"{type(self).__name__} was fitted on {self.n_features_in_} columns; "
                             f"{method}() received {values.shape[1]}.")

    def transform(self, data):
        values, flat = _as_2d(data, "data")
        self._check(values, "transform")
        out = (values - self.offset_) / self.scale_
        return out[:, 0] if flat else out

    def inverse_transform(self, data):
        values, flat = _as_2d(data, "data")
        self._check(values, "inverse_transform")
        out = values * self.scale_ + self.offset_
        return out[:, 0] if flat else out

    def fit_transform(self, data, y=None):
        return self.fit(data).transform(data)


def _safe_scale(scale):
    # A constant column has no spread; leave its values unscaled (sklearn does the same).
    return np.where(scale > 0, scale, 1.0)


class MinMaxScaler(_ColumnScaler):
    """Maps each column's training min..max onto `feature_range` (default (0, 1)).

    Attributes after fit: ``data_min_``, ``data_max_``, ``offset_``, ``scale_``.
    """

    def __init__(self, feature_range=(0, 1)):
        if (not isinstance(feature_range, (tuple, list)) or len(feature_range) != 2
                or not all(isinstance(v, numbers.Real) for v in feature_range) or feature_range[0] >= feature_range[1]):
            raise ValueError(f"`feature_range` must be (min, max) with min < max; received {feature_range!r}.")
        self.feature_range = tuple(float(v) for v in feature_range)

    def _fit_columns(self, values):
        low, high = self.feature_range
        self.data_min_, self.data_max_ = values.min(axis=0), values.max(axis=0)
        # x' = low + (x - min) * (high - low) / (max - min), written as (x - offset) / scale.
        self.scale_ = _safe_scale(self.data_max_ - self.data_min_) / (high - low)
        self.offset_ = self.data_min_ - low * self.scale_

    def __repr__(self):
        return f"MinMaxScaler(feature_range={self.feature_range})"


class StandardScaler(_ColumnScaler):
    """Subtracts each column's training mean and divides by its (population) standard deviation.

    Attributes after fit: ``mean_``, ``scale_`` (= ``offset_`` and the standard deviation).
    """

    def _fit_columns(self, values):
        self.mean_ = values.mean(axis=0)
        self.offset_ = self.mean_
        self.scale_ = _safe_scale(values.std(axis=0))

    def __repr__(self):
        return "StandardScaler()"


SCALERS = {"minmax": MinMaxScaler, "standard": StandardScaler}


def get_scaler(scaler):
    """A scaler from a name ('minmax', 'standard'), None (no scaling) or an object with
    fit/transform/inverse_transform (returned as is)."""
    if scaler is None:
        return None
    if isinstance(scaler, str):
        if scaler not in SCALERS:
            raise ValueError(f"`scaler` must be one of {sorted(SCALERS)}, None, or an object with fit/transform/"
                             f"inverse_transform; received {scaler!r}.")
        return SCALERS[scaler]()
    missing = [m for m in ("fit", "transform", "inverse_transform") if not callable(getattr(scaler, m, None))]
    if missing:
        raise ValueError(f"`scaler` must have fit, transform and inverse_transform methods; {scaler!r} "
                         f"(of type {type(scaler).__name__}) lacks {', '.join(missing)}.")
    return scaler
