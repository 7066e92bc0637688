"""Baseline forecasts every model must beat: naive, seasonal naive and drift.

Each takes the history (1-D, oldest first) and a horizon and returns `horizon` values:

* naive: the last value, repeated.
* seasonal_naive(season=m): the value one season earlier, ``f[h] = y[T - m + (h mod m)]``
  (0-based h), i.e. the last observed season repeated.
* drift: the line through the first and last values, extended:
  ``f[h] = y[T-1] + (h + 1) * (y[T-1] - y[0]) / (T - 1)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BASELINES", "drift", "naive", "seasonal_naive"]


def _history(history, horizon, need=1):
    y = np.asarray(history, dtype=np.float64).reshape(-1)
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"`horizon` must be an integer >= 1; received {horizon!r}.")
    if y.size < need:
        raise ValueError(f"The history must have at least {need} values; received {y.size}.")
    return y


def naive(history, horizon, season=None) -> np.ndarray:
    y = _history(history, horizon)
    return np.full(horizon, y[-1])


def seasonal_naive(history, horizon, season) -> np.ndarray:
    season = int(season or 1)
    y = _history(history, horizon, need=season)
    last_season = y[-season:]
    return last_season[np.arange(horizon) % season]


def drift(history, horizon, season=None) -> np.ndarray:
    y = _history(history, horizon, need=2)
    slope = (y[-1] - y[0]) / (y.size - 1)
    return y[-1] + slope * np.arange(1, horizon + 1)


BASELINES = {"naive": naive, "seasonal_naive": seasonal_naive, "drift": drift}
