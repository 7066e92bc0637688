"""Forecasting: `Forecaster`, rolling-origin backtests against baselines, metrics and diagnostics.

The names below are loaded on first use, so that `lstmkit.forecasting.reading` (pandas only) can be
imported without JAX: the CLI reads and checks a CSV before it loads the rest.
"""

import importlib

_WHERE = {
    "BacktestResult": "backtest", "backtest": "backtest", "fold_origins": "backtest",
    "BASELINES": "baselines", "drift": "baselines", "naive": "baselines", "seasonal_naive": "baselines",
    "RunsResult": "diagnostics", "repeat_runs": "diagnostics", "time_series_cv": "diagnostics",
    "train_final": "diagnostics",
    "Forecaster": "forecaster", "final_forecaster": "final",
    "PanelBacktest": "panel", "PanelForecaster": "panel", "QuantileScores": "quantiles",
    "METRICS": "metrics", "mae": "metrics", "mape": "metrics", "mase": "metrics", "rmse": "metrics",
    "score_all": "metrics", "smape": "metrics",
    "choose_defaults": "series", "infer_season": "series",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'lstmkit.forecasting' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"lstmkit.forecasting.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
