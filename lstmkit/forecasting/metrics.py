"""Forecast accuracy: MAE, RMSE, MAPE, sMAPE and MASE.

All take the actual values and the forecasts (any matching shapes) and return a float.

* MAE  = mean |y - f|;  RMSE = sqrt(mean (y - f)^2).
* MAPE = 100 * mean |y - f| / |y|, in percent; NaN when an actual value is 0.
* sMAPE = 100 * mean 2|y - f| / (|y| + |f|), in percent (0..200); a term with
  y = f = 0 counts as 0.
* MASE = MAE / mean |y_t - y_(t-m)| over the *training* series (Hyndman & Koehler
  2006): the forecast's error relative to the in-sample one-step error of the seasonal
  naive forecast with period m (m=1: the naive forecast). Below 1 means better than that
  naive forecast did in sample. NaN when the training series gives a zero scale.
"""

from __future__ import annotations

import numpy as np

__all__ = ["METRICS", "mae", "mape", "mase", "rmse", "score_all", "smape"]


def _pair(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"`y_true` and `y_pred` must have the same number of values; received "
                             f"{y_true.size} and {y_pred.size}.")
    if y_true.size == 0:
        raise ValueError("Cannot score an empty forecast.")
    return y_true, y_pred


def mae(y_true, y_pred) -> float:
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def rmse(y_true, y_pred) -> float:
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mape(y_true, y_pred) -> float:
    y_true, y_pred = _pair(y_true, y_pred)
    if np.any(y_true == 0):
        return float("nan")
    return float(100.0 * np.mean(np.abs(y_true - y_pred) / np.abs(y_true)))


def smape(y_true, y_pred) -> float:
    y_true, y_pred = _pair(y_true, y_pred)
    denom = np.abs(y_true) + np.abs(y_pred)
    terms = np.divide(2.0 * np.abs(y_true - y_pred), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(100.0 * np.mean(terms))


def mase_scale(y_train, season=1) -> float:
    """In-sample MAE of the seasonal naive forecast: mean |y_t - y_(t-m)|."""
    y_train = np.asarray(y_train, dtype=np.float64).reshape(-1)
    season = int(season or 1)
    if season < 1:
        raise ValueError(f"`season` must be >= 1; received {season}.")
    if y_train.size <= season:
        raise ValueError(f"MASE needs more than season={season} training values; received {y_train.size}.")
    return float(np.mean(np.abs(y_train[season:] - y_train[:-season])))


def mase(y_true, y_pred, y_train, season=1) -> float:
    """MAE of the forecast over the in-sample MAE of the seasonal naive forecast (period `season`)."""
    scale = mase_scale(y_train, season)
    if scale == 0:
        return float("nan")
    return mae(y_true, y_pred) / scale


METRICS = {"MAE": mae, "RMSE": rmse, "MAPE": mape, "sMAPE": smape, "MASE": mase}


def score_all(y_true, y_pred, y_train, season=1) -> dict:
    """Every metric above as ``{'MAE': ..., 'RMSE': ..., 'MAPE': ..., 'sMAPE': ..., 'MASE': ...}``."""
    out = {name: fn(y_true, y_pred) for name, fn in METRICS.items() if name != "MASE"}
    out["MASE"] = mase(y_true, y_pred, y_train, season)
    return out
