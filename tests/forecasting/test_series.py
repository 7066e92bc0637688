"""Season inference, future dates and data-driven defaults."""

import numpy as np
import pandas as pd
import pytest

from lstmkit.forecasting.series import choose_defaults, future_index, infer_season, to_frame


def test_season_from_calendar_frequency():
    idx = pd.date_range("2000-01-01", periods=48, freq="MS")
    assert infer_season(idx, np.random.default_rng(0).normal(size=48))[0] == 12
    idx = pd.date_range("2000-01-01", periods=40, freq="QS")
    assert infer_season(idx, np.arange(40.0))[0] == 4
    # Daily data covering fewer than 3 weeks: the calendar season is not trusted.
    idx = pd.date_range("2000-01-01", periods=15, freq="D")
    assert infer_season(idx, np.random.default_rng(1).normal(size=15))[0] is None


def test_season_from_autocorrelation_without_calendar():
    t = np.arange(200)
    cycle = np.sin(2 * np.pi * t / 9) + 0.1 * np.random.default_rng(0).normal(size=200)
    season, reason = infer_season(pd.RangeIndex(200), cycle + 0.05 * t)
    assert season == 9 and "autocorrelation" in reason
    noise = np.random.default_rng(2).normal(size=200)
    assert infer_season(pd.RangeIndex(200), noise)[0] is None


def test_future_index():
    idx = pd.date_range("2000-01-01", periods=10, freq="MS")
    fut = future_index(idx, 3)
    assert list(fut.strftime("%Y-%m-%d")) == ["2000-11-01", "2000-12-01", "2001-01-01"]
    assert list(future_index(pd.Index([10, 12, 14]), 2)) == [16, 18]
    assert list(future_index(pd.Index(["a", "b"]), 2)) == [1, 2]


def test_choose_defaults():
    idx = pd.date_range("2000-01-01", periods=144, freq="MS")
    d = choose_defaults(idx, np.arange(144.0), folds=3)
    assert (d.season, d.window, d.horizon, d.folds) == (12, 24, 12, 3)
    # 60 months, 3 folds of 12: 24 rows before the first origin. Shorter windows first, then shorter
    # horizons, then fewer folds: (window 12, horizon 6, 3 folds) leaves 42 - 12 - 6 + 1 = 25 >= 20
    # training windows.
    d = choose_defaults(idx[:60], np.arange(60.0), folds=3)
    assert (d.window, d.horizon, d.folds) == (12, 6, 3) and "half a season" in d.reasons["horizon"]
    # 200 weeks: 3 folds of half a season (26), not one fold of a whole one
    weeks = pd.date_range("2020-01-05", periods=200, freq="W")
    d = choose_defaults(weeks, np.sin(np.arange(200.0) * 2 * np.pi / 52), folds=3)
    assert (d.season, d.window, d.horizon, d.folds) == (52, 52, 26, 3)
    # too short for 3 folds of anything with 20 training windows: fewer folds
    d = choose_defaults(idx[:36], np.arange(36.0), folds=3)
    assert (d.window, d.horizon, d.folds) == (6, 3, 2) and "reduced from 3" in d.reasons["folds"]
    # 36 months with Forecaster's own minimum (validation windows included): no setting reaches 20
    # training windows until the horizon is a quarter season, with 2 folds.
    from lstmkit.forecasting import Forecaster

    d = choose_defaults(idx[:36], np.arange(36.0), folds=3, min_rows=Forecaster().min_rows)
    assert (d.window, d.horizon, d.folds) == (6, 3, 2)
    assert "short" in d.reasons["window"] and "quarter season" in d.reasons["horizon"]
    d = choose_defaults(pd.RangeIndex(100), np.random.default_rng(0).normal(size=100))
    assert (d.season, d.window, d.horizon) == (None, 10, 5)
    d = choose_defaults(idx, np.arange(144.0), window=7, horizon=3)
    assert (d.window, d.horizon) == (7, 3) and d.reasons["window"] == "given"


def test_to_frame_checks_columns_and_values():
    frame = pd.DataFrame({"y": [1.0, 2.0, np.nan], "x": [1.0, 2.0, 3.0], "s": ["a", "b", "c"]})
    with pytest.raises(ValueError, match="Column 'y' has 1 missing or infinite value\\(s\\), the first at 2"):
        to_frame(frame, "y", ["x"])
    with pytest.raises(ValueError, match="Column 's' must be numeric"):
        to_frame(frame.fillna(0), "y", ["s"])
    with pytest.raises(ValueError, match="\\['z'\\] not found"):
        to_frame(frame, "z")
    values, _, columns = to_frame(frame.fillna(0), "x", ["y"])
    assert columns == ["x", "y"] and values[:, 0].tolist() == [1.0, 2.0, 3.0]


def test_the_autocorrelation_by_fft_is_the_direct_sum():
    from lstmkit.forecasting.series import _autocovariance

    rng = np.random.default_rng(3)
    for n in (5, 17, 100, 1021):
        x = rng.normal(size=n)
        max_lag = n // 3 + 1
        direct = [np.dot(x, x)] + [np.dot(x[k:], x[:-k]) for k in range(1, max_lag + 1)]
        np.testing.assert_allclose(_autocovariance(x, max_lag), direct, rtol=1e-10, atol=1e-10 * np.dot(x, x))


def test_season_search_is_quick_on_a_million_rows():
    """The issue's 7.9 M-row file hung here: the search was a Python loop over n / 3 lags."""
    import time

    from lstmkit.forecasting.series import MAX_SEASON

    n = 1_000_000
    rng = np.random.default_rng(0)
    daily = np.tile(rng.normal(size=1440), n // 1440 + 1)[:n]  # a minutely series with a daily profile
    start = time.perf_counter()
    season, reason = infer_season(pd.RangeIndex(n), daily + 0.1 * rng.normal(size=n))
    assert season == 1440 and "autocorrelation" in reason
    assert time.perf_counter() - start < 20  # about a second; the loop needed hours
    # Seasons are looked for up to MAX_SEASON steps, however long the series.
    longer = np.tile(rng.normal(size=MAX_SEASON + 500), 100)
    assert MAX_SEASON >= 1440 * 2 and infer_season(pd.RangeIndex(longer.size), longer)[0] is None


def test_hourly_data_over_three_weeks_gets_a_window_of_one_week():
    """Two seasons (issue 16): daily 24 and weekly 168; the window covers the longer one."""
    n = 24 * 7 * 6
    idx = pd.date_range("2020-01-06", periods=n, freq="h")
    values = np.sin(2 * np.pi * np.arange(n) / 24) + np.random.default_rng(0).normal(size=n) * 0.1
    d = choose_defaults(idx, values, folds=3)
    assert (d.season, d.window, d.horizon) == (24, 168, 24)
    assert d.reasons["window"] == "one longer season of 168 (the data has a season of 24 and one of 168)"
    # Shorter than three weeks, or the season given: two daily seasons, as before.
    assert choose_defaults(idx[:400], values[:400], folds=3).window == 48
    assert choose_defaults(idx, values, season=24, folds=3).window == 48


def test_season_of_smooth_and_noisy_cycles_and_none_for_wandering_series():
    """Differencing buries a noisy smooth cycle (the noise's differences dominate); the detrended view finds
    it, at its period and not a multiple. Random walks, AR(1) and white noise get no season."""
    def ar1(e, phi=0.9):
        out = np.zeros_like(e)
        for i in range(e.size):
            out[i] = phi * out[i - 1] + e[i] if i else e[i]
        return out

    t = np.arange(300)
    rng = np.random.default_rng(0)
    assert infer_season(None, np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.3, 300))[0] == 24
    assert infer_season(None, np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.7, 300))[0] == 24
    assert infer_season(None, 0.05 * t + np.sin(2 * np.pi * t / 12))[0] == 12
    assert infer_season(None, np.sin(2 * np.pi * t / 50))[0] == 50  # not 49: the per-lag normalisation
    for k in range(40):
        e = np.random.default_rng(100 + k).normal(size=300)
        for y in (e, np.cumsum(e), ar1(e)):
            assert infer_season(None, y)[0] is None
