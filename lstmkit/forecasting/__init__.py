"""Forecasting: `Forecaster`, rolling-origin backtests against baselines, metrics and diagnostics."""

from lstmkit.forecasting.backtest import BacktestResult, backtest, fold_origins
from lstmkit.forecasting.baselines import BASELINES, drift, naive, seasonal_naive
from lstmkit.forecasting.diagnostics import RunsResult, repeat_runs, time_series_cv, train_final
from lstmkit.forecasting.forecaster import Forecaster
from lstmkit.forecasting.panel import PanelBacktest, PanelForecaster
from lstmkit.forecasting.metrics import METRICS, mae, mape, mase, rmse, score_all, smape
from lstmkit.forecasting.series import choose_defaults, infer_season

__all__ = [
    "BASELINES", "BacktestResult", "Forecaster", "PanelBacktest", "PanelForecaster", "METRICS", "backtest", "choose_defaults", "drift", "fold_origins",
    "infer_season", "mae", "mape", "mase", "naive", "repeat_runs", "rmse", "RunsResult", "score_all",
    "seasonal_naive", "smape", "time_series_cv", "train_final",
]
