"""PanelForecaster: many series, a model per series trained together ('local') or one for all ('global')."""

import numpy as np
import pandas as pd
import pytest

from lstmkit.forecasting import Forecaster, PanelForecaster

RNG = np.random.default_rng(0)
DATES = pd.date_range("2000-01-01", periods=60, freq="MS")
SETTINGS = dict(window=6, horizon=3, season=1, epochs=4, units=4, batch_size=8)


def _panel(short=True):
    parts = []
    for i in range(3):
        t = np.arange(60)
        v = 10 + i + np.sin(t / (2 + i)) + RNG.normal(0, 0.1, 60)
        parts.append(pd.DataFrame({"store": f"s{i}", "date": DATES, "sales": v}))
    if short:
        parts.append(pd.DataFrame({"store": "new", "date": DATES[:8], "sales": np.arange(8.0)}))
    return pd.concat(parts, ignore_index=True)


def test_local_models_equal_separate_forecaster_fits():
    frame = _panel()
    p = PanelForecaster(strategy="local", **SETTINGS).fit(frame, id="store", target="sales", time="date")
    assert p.strategy_ == "local"
    assert list(p.forecasters_) == ["s0", "s1", "s2"]
    assert "new" in p.skipped_ and "8 rows" in p.skipped_["new"]
    for key, f in p.forecasters_.items():
        series = frame[frame.store == key].set_index("date")["sales"].asfreq("MS")
        alone = Forecaster(**SETTINGS).fit(series)
        np.testing.assert_allclose(f.predict().to_numpy(), alone.predict().to_numpy(), rtol=1e-5)
    out = p.predict()
    assert list(out.columns) == ["store", "time", "forecast"] and len(out) == 9
    assert set(out.store) == {"s0", "s1", "s2"}


def test_global_model_and_panel_backtest_with_intervals():
    frame = _panel()
    p = PanelForecaster(strategy="global", **SETTINGS)
    result = p.backtest(frame, id="store", target="sales", time="date", folds=2)
    assert result.strategy == "global" and set(result.results) == {"s0", "s1", "s2"}
    assert "new" in result.skipped
    assert result.scores.index.names == ["series", "forecaster"]
    assert set(result.mean_scores.index) >= {"lstmkit", "naive"}
    np.testing.assert_allclose(result.mean_scores.loc["lstmkit", "MASE"],
                               result.scores.xs("lstmkit", level="forecaster")["MASE"].mean())
    assert set(result.coverage) == {80.0, 95.0}
    # the intervals are calibrated on the 3 series' scaled errors together (intervals.pooled_intervals)
    assert all(r.intervals.pooled == 3 for r in result.results.values())
    assert "pooled over 3 series" in result.to_dict()["series"]["s0"]["intervals"]["method"]
    p.fit(frame, id="store", target="sales", time="date")
    models = {id(f.model_) for f in p.forecasters_.values()}
    assert len(models) == 1  # one model for every series
    out = p.predict(intervals=result)
    assert list(out.columns) == ["store", "time", "forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
    assert (out.lower_95 <= out.lower_80).all() and (out.upper_80 <= out.upper_95).all()
    assert result.to_dict()["skipped"]["new"].startswith("too short: 8 rows")


def test_auto_strategy_wide_format_and_errors():
    wide = pd.DataFrame({"a": np.sin(np.arange(40.0)), "b": np.cos(np.arange(40.0))},
                        index=pd.date_range("2001-01-01", periods=40, freq="D"))
    long = PanelForecaster.from_wide(wide, id_name="sensor", value_name="reading", time_name="day")
    assert list(long.columns) == ["day", "sensor", "reading"] and len(long) == 80
    p = PanelForecaster(**SETTINGS).fit(long, id="sensor", target="reading", time="day")
    assert p.strategy_ == "global"  # few training windows per series
    with pytest.raises(ValueError, match="strategy"):
        PanelForecaster(strategy="both")
    with pytest.raises(ValueError, match=r"\['shop'\] not found"):
        PanelForecaster(**SETTINGS).fit(long, id="shop", target="reading")
    dup = pd.concat([long, long.iloc[:1]])
    with pytest.raises(ValueError, match="appears twice"):
        PanelForecaster(**SETTINGS).fit(dup, id="sensor", target="reading", time="day")
    with pytest.raises(ValueError, match="too short"):
        PanelForecaster(**SETTINGS).fit(long[long.day < "2001-01-05"], id="sensor", target="reading", time="day")
    with pytest.raises(ValueError, match="not fitted"):
        PanelForecaster().predict()


@pytest.mark.parametrize("series, rows, chosen", [(3, 508, "local"), (3, 507, "global"), (20, 508, "global"),
                                                   (19, 508, "local")])
def test_auto_takes_local_only_for_few_long_series(series, rows, chosen):
    """508 rows with window 6 and horizon 3 are 500 training windows: 'local' from 500 windows per series
    (LOCAL_FROM_WINDOWS) and under 20 series (GLOBAL_FROM_SERIES), else 'global'."""
    dates = pd.date_range("2000-01-01", periods=rows, freq="D")
    frame = pd.concat([pd.DataFrame({"store": f"s{i}", "date": dates, "sales": RNG.normal(size=rows)})
                       for i in range(series)], ignore_index=True)
    p = PanelForecaster(**SETTINGS)
    from lstmkit.forecasting.panel import split_panel

    panel = split_panel(frame, "store", "sales", "date")
    *_, strategy = p._plan(panel, 0, "sales", None)
    assert strategy == chosen


def test_panel_with_known_future_inputs_and_a_dict_of_series():
    """Each series' history ends where its target does; the rows after it give only the known inputs."""
    rng = np.random.default_rng(1)
    series = {}
    for i, n in enumerate((50, 56)):
        promo = (rng.random(n + 3) < 0.5).astype(float)
        sales = 10 + i + 2 * promo + rng.normal(0, 0.1, n + 3)
        sales[n:] = np.nan
        series[f"s{i}"] = pd.DataFrame({"sales": sales, "promo": promo},
                                       index=pd.date_range("2000-01-01", periods=n + 3, freq="D"))
    p = PanelForecaster(strategy="local", future_covariates=["promo"], calendar=True, **dict(SETTINGS, horizon=3))
    result = p.backtest(series, id="store", target="sales", folds=2)
    # the folds end at each series' last target value, not at its last (future) row
    assert result.results["s1"].forecasts["time"].max() == series["s1"].index[55]
    p.fit(series, id="store", target="sales")
    out = p.predict(intervals=result)
    assert list(out[out.store == "s0"].time) == list(series["s0"].index[50:])
    assert p.forecasters_["s0"].model_.input_shape == (None, 6, 1 + 1 + 4)


def test_a_constant_series_is_left_out_and_named_and_the_settings_fit_the_shorter_half():
    from lstmkit.forecasting.panel import typical_series

    # the shortest series at least half as long as the median: 60 (median 100), not 100
    assert typical_series({"a": 20, "b": 60, "c": 100, "d": 110, "e": 120}) == "b"
    assert typical_series({"a": 50}) == "a"
    frame = pd.concat([_panel(short=False),
                       pd.DataFrame({"store": "flat", "date": DATES, "sales": np.r_[np.full(51, 42.0), np.arange(9.0)]})],
                      ignore_index=True)
    p = PanelForecaster(strategy="local", **SETTINGS)
    result = p.backtest(frame, id="store", target="sales", time="date", folds=3)
    assert set(result.results) == {"s0", "s1", "s2"}
    # constant over the 51 rows its first fold would train on, though not over all 60
    assert result.skipped["flat"] == "constant: 'sales' is 42 over the 51 rows before its first backtest fold, nothing to learn"
    only = frame[frame.store == "flat"].assign(sales=42.0)
    with pytest.raises(ValueError, match="No series can be forecast.*constant: 'sales' is 42 over all its 60 rows"):
        p.fit(only, id="store", target="sales", time="date")


def test_ids_that_look_like_numbers_stay_as_written(tmp_path):
    from lstmkit.forecasting.panel_reading import read_panel

    frame = pd.concat([pd.DataFrame({"series": sid, "date": DATES.strftime("%Y-%m-%d"), "value": np.arange(60.0) + k})
                       for k, sid in enumerate(["007", "07", "7", "1e3"])])
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    data = read_panel(str(path), id_column="series")
    assert list(data.series) == ["007", "07", "7", "1e3"]
