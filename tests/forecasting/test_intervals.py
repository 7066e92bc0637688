"""Conformal intervals from the backtest's out-of-sample errors (forecasting/intervals.py)."""

import numpy as np
import pandas as pd
import pytest

from lstmkit.forecasting import Forecaster
from lstmkit.forecasting.intervals import ConformalIntervals, conformal_halfwidths, parse_levels


def test_halfwidth_is_the_split_conformal_rank():
    scores = np.arange(1.0, 10.0)[:, None]  # 9 scores: 1..9
    w = conformal_halfwidths(scores, (80, 50))
    assert w[80][0] == 8.0  # ceil((9 + 1) * 0.8) = 8th smallest
    assert w[50][0] == 5.0
    # 95% needs at least 19 scores; with 9 the interval is unbounded, never a narrow band
    assert np.isinf(conformal_halfwidths(scores, (95,))[95][0])
    # NaN scores are ignored
    assert conformal_halfwidths(np.array([[1.0], [np.nan], [2.0], [3.0], [4.0]]), (50,))[50][0] == 3.0


def test_levels_are_checked():
    assert parse_levels([95, 80, 80]) == (80.0, 95.0)
    for bad in (0, 100, -5, "x", [50, 120]):
        with pytest.raises(ValueError, match="levels"):
            parse_levels(bad)


def test_coverage_is_measured_on_folds_the_intervals_were_not_calibrated_on():
    horizon = 2
    origins = [10, 12, 14]
    rng = np.random.default_rng(0)
    # fold j's calibration errors: origins from its own to the last one (16 - horizon + 1 rows)
    errors = [(np.arange(o, 15), rng.normal(size=(15 - o, horizon))) for o in origins]
    own = [np.array([0.0, 0.0]), np.array([100.0, 100.0]), np.array([0.0, 0.0])]
    ci = ConformalIntervals.from_errors(errors, origins, horizon, own, (50,))
    # fold 2's own errors (100) are outside any band calibrated on the others' N(0, 1) errors
    assert ci.coverage[50] == pytest.approx(4 / 6)
    assert ci.n_scores == sum(len(s) for s, _ in errors)


@pytest.fixture(scope="module")
def airline():
    from lstmkit.data import load_dataset

    return load_dataset("airline")


def test_backtest_intervals_and_forecast_bounds(airline):
    f = Forecaster(epochs=30, units=8)
    result = f.backtest(airline, folds=3)
    ci = result.intervals
    assert ci.levels == (80.0, 95.0)
    assert set(ci.coverage) == {80.0, 95.0} and all(0 <= v <= 1 for v in ci.coverage.values())
    assert ci.n_scores == (2 * 12 + 1) + (12 + 1) + 1  # each fold's model forecasts every later origin
    assert result.to_dict()["coverage"] == {"80": ci.coverage[80.0], "95": ci.coverage[95.0]}
    final = Forecaster(epochs=30, units=8, early_stopping=False, validation_split=0.0).fit(airline)
    frame = final.predict(intervals=result)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == [
        "forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
    assert len(frame) == 12
    assert (frame.lower_95 <= frame.lower_80).all() and (frame.lower_80 <= frame.forecast).all()
    assert (frame.forecast <= frame.upper_80).all() and (frame.upper_80 <= frame.upper_95).all()
    np.testing.assert_allclose(frame.forecast, final.predict().to_numpy())
    with pytest.raises(ValueError, match="BacktestResult"):
        final.predict(intervals="80")
    assert f.backtest(airline, folds=2, intervals=None).intervals is None


def test_unbounded_held_out_intervals_are_reported_beside_the_coverage():
    """95 % needs 19 errors per step: with fewer held out, the interval is unbounded, covers, and `bounded` says so."""
    horizon, origins = 1, [10, 11, 12]
    rng = np.random.default_rng(1)
    errors = [(np.arange(o, 13), rng.normal(size=(13 - o, horizon))) for o in origins]
    own = [np.array([50.0])] * 3  # far outside any bounded band
    ci = ConformalIntervals.from_errors(errors, origins, horizon, own, (50, 95))
    assert ci.coverage[95] == 1.0 and ci.bounded[95] == 0.0  # trivially covered, and said so
    assert ci.coverage[50] == 0.0 and ci.bounded[50] == 1.0
    assert ci.to_dict()["coverage_bounded_share"] == {"50": 1.0, "95": 0.0}


def _series_calibration(rng, sigma, origins, horizon, own=None):
    """A series' ConformalIntervals.from_errors as a backtest makes it: fold j's model forecasts every
    origin from its own to the last one (rows = origins[-1] + horizon)."""
    last = origins[-1]
    errors = [(np.arange(o, last + 1), rng.normal(0, sigma, size=(last + 1 - o, horizon))) for o in origins]
    own = rng.normal(0, sigma, size=(len(origins), horizon)) if own is None else np.asarray(own, float)
    return ConformalIntervals.from_errors(errors, origins, horizon, own, (80, 95))


def test_pooled_halfwidths_are_the_pooled_scaled_quantile_times_the_series_scale():
    from lstmkit.forecasting.intervals import pooled_intervals

    rng = np.random.default_rng(1)
    origins, horizon = [20, 22, 24], 2
    parts = {"a": _series_calibration(rng, 1.0, origins, horizon), "b": _series_calibration(rng, 50.0, origins, horizon)}
    out = pooled_intervals(parts, (80, 95))
    # Reference, written out: divide each series' absolute errors by their mean, pool, take the rank.
    scaled, means = [], {}
    for key, part in parts.items():
        errs = np.abs(np.concatenate([e for _, e in part.calibration.errors]))
        means[key] = errs.mean()
        scaled.append(errs / means[key])
    pooled = np.concatenate(scaled)
    for level in (80, 95):
        for step in range(horizon):
            col = np.sort(pooled[:, step])
            rank = int(np.ceil((col.size + 1) * level / 100))
            q = col[rank - 1] if rank <= col.size else np.inf  # 18 scores: 95 % needs 19
            for key in parts:
                np.testing.assert_allclose(out[key].halfwidths[level][step], q * means[key], rtol=1e-12)
    assert np.isinf(out["a"].halfwidths[95][0]) and np.isfinite(out["a"].halfwidths[80]).all()
    assert out["a"].pooled == out["b"].pooled == 2 and out["a"].n_scores == pooled.shape[0]
    # the 50x noisier series gets ~50x wider intervals
    assert 20 < out["b"].halfwidths[80].mean() / out["a"].halfwidths[80].mean() < 125
    assert "pooled over 2 series" in out["a"].to_dict()["method"]


def test_pooling_bounds_the_95_interval_that_three_folds_of_one_series_cannot_measure():
    from lstmkit.forecasting.intervals import pooled_intervals

    rng = np.random.default_rng(2)
    origins, horizon = [100, 112, 124], 12
    parts = {k: _series_calibration(rng, sigma, origins, horizon)
             for k, sigma in enumerate(rng.uniform(0.5, 20, size=40))}
    assert all(p.bounded[95.0] == 0.0 for p in parts.values())  # alone: never bounded on held-out folds
    out = pooled_intervals(parts, (80, 95))
    assert all(p.bounded[95.0] == 1.0 and p.bounded[80.0] == 1.0 for p in out.values())
    # i.i.d. errors of 40 series of different sizes: the held-out coverage is near nominal
    cov = {lv: np.mean([p.coverage[lv] for p in out.values()]) for lv in (80.0, 95.0)}
    assert 0.72 < cov[80.0] < 0.88 and 0.9 < cov[95.0] <= 0.99
    assert all(np.isfinite(p.halfwidths[95.0]).all() for p in out.values())


def test_pooled_coverage_never_uses_the_fold_it_measures():
    from lstmkit.forecasting.intervals import pooled_intervals

    rng = np.random.default_rng(3)
    origins, horizon = [20, 22, 24], 2
    # Series 'a': fold 1's own errors are 1000x its other errors; it must count as outside.
    parts = {"a": _series_calibration(rng, 1.0, origins, horizon, own=[[0, 0], [1000, 1000], [0, 0]]),
             **{k: _series_calibration(rng, 1.0, origins, horizon) for k in "bcdefghij"}}
    # as in a real backtest, fold 1's own forecast is also its model's first calibration error
    parts["a"].calibration.errors[1][1][0] = 1000.0
    out = pooled_intervals(parts, (80, 95))
    assert out["a"].bounded[95.0] == 1.0
    assert out["a"].coverage[80.0] == pytest.approx(4 / 6) and out["a"].coverage[95.0] == pytest.approx(4 / 6)
    # one series alone is returned as it was
    assert pooled_intervals({"a": parts["a"]}, (80, 95))["a"] is parts["a"]
