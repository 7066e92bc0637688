"""Baseline forecasts every model must beat: naive, seasonal naive and drift, and with the
optional extra ``pip install 'lstmkit[baselines]'`` (statsforecast) AutoETS and AutoARIMA.

Each takes the history (1-D, oldest first) and a horizon and returns `horizon` values:

* naive: the last value, repeated.
* seasonal_naive(season=m): the value one season earlier, ``f[h] = y[T - m + (h mod m)]``
  (0-based h), i.e. the last observed season repeated.
* drift: the line through the first and last values, extended:
  ``f[h] = y[T-1] + (h + 1) * (y[T-1] - y[0]) / (T - 1)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BASELINES", "STATISTICAL", "baseline_forecasts", "drift", "naive", "seasonal_naive", "skipped_note",
           "statistical_available"]


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


# statsforecast's models, as the backtest table names them. Both are fitted on each fold's history.
STATISTICAL = ("auto_ets", "auto_arima")
# AutoARIMA's order search grows quickly with the history and the season (480 hourly rows with a season
# of 24: about a minute a fit), so the statistical models see at most this many of the latest rows ...
STATISTICAL_ROWS = 200
# ... and AutoARIMA searches seasonal orders only for seasons up to this; a longer one gets a non-seasonal
# search (AutoETS takes any season).
ARIMA_MAX_SEASON = 24


def statistical_available() -> bool:
    """Whether statsforecast (the [baselines] extra) can be imported."""
    import importlib.util

    return importlib.util.find_spec("statsforecast") is not None


def skipped_note():
    """The line the backtest table prints when the statistical baselines are not there, else None."""
    if statistical_available():
        return None
    return (f"{', '.join(STATISTICAL)}: skipped (they need statsforecast: pip install 'lstmkit[baselines]')")


def _statistical(history, horizon, season):
    import warnings

    from statsforecast.models import AutoARIMA, AutoETS

    y = np.asarray(history, dtype=np.float64).reshape(-1)[-STATISTICAL_ROWS:]
    season = int(season or 1)
    models = {"auto_ets": AutoETS(season_length=season if y.size >= 2 * season else 1),
              "auto_arima": AutoARIMA(season_length=season if season <= ARIMA_MAX_SEASON and y.size >= 2 * season
                                      else 1)}
    out = {}
    for name, model in models.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[name] = np.asarray(model.forecast(y=y, h=horizon)["mean"], dtype=np.float64)
    return out


def baseline_forecasts(history, horizon, season=1, statistical=None) -> dict:
    """``{name: forecast}`` of every baseline for one history: naive, seasonal_naive (only with a
    season > 1: without one it is naive), drift, and with `statistical` (None: when statsforecast is
    installed) auto_ets and auto_arima, fitted on the latest `STATISTICAL_ROWS` rows."""
    season = int(season or 1)
    out = {}
    for name, fn in BASELINES.items():
        if name == "seasonal_naive" and season == 1:
            continue
        out[name] = fn(history, horizon, season)
    if statistical is None:
        statistical = statistical_available()
    if statistical:
        out.update(_statistical(history, horizon, season))
    return out
