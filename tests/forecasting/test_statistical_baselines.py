"""The statsforecast baselines (the [baselines] extra): in the baseline table when installed, named as
skipped when not. Their own tests are skipped without statsforecast and tiny with it."""

import numpy as np
import pytest

from lstmkit.forecasting import baselines
from lstmkit.forecasting.baselines import baseline_forecasts, skipped_note, statistical_available


def test_without_statsforecast_the_table_says_they_are_skipped(monkeypatch):
    monkeypatch.setattr(baselines, "statistical_available", lambda: False)
    assert skipped_note() == ("auto_ets, auto_arima: skipped (they need statsforecast: "
                              "pip install 'lstmkit[baselines]')")
    y = np.arange(30.0)
    assert set(baseline_forecasts(y, 3, season=4)) == {"naive", "seasonal_naive", "drift"}
    assert set(baseline_forecasts(y, 3, season=1)) == {"naive", "drift"}  # no season: seasonal naive is naive


def test_auto_ets_and_auto_arima_forecast_a_seasonal_series():
    pytest.importorskip("statsforecast")
    assert statistical_available() and skipped_note() is None
    t = np.arange(60)
    y = 10 + 0.1 * t + np.sin(2 * np.pi * t / 12)
    preds = baseline_forecasts(y[:48], 12, season=12)
    assert set(preds) == {"naive", "seasonal_naive", "drift", "auto_ets", "auto_arima"}
    for name in ("auto_ets", "auto_arima"):
        assert preds[name].shape == (12,)
        # A clean trend plus season: both beat the seasonal naive forecast.
        assert np.abs(preds[name] - y[48:]).mean() < np.abs(preds["seasonal_naive"] - y[48:]).mean(), name
