"""Static covariates and id inputs of panels (`panel_static`), and Forecaster.fit(frame, id=...)."""

import numpy as np
import pandas as pd
import pytest

from lstmkit.forecasting import Forecaster, PanelForecaster
from lstmkit.forecasting.backtest import series_values
from lstmkit.forecasting.panel_reading import read_panel
from lstmkit.forecasting.panel_static import encode_static, static_table

# Random walks with drift +1 ('up') or -1 ('down') under noise of sd 4: a window of 2 rows shows one noisy
# step, which says next to nothing about the drift; the series' static 'direction' (or its id) says it all.
DRIFT = dict(window=2, horizon=1, season=1, epochs=30, units=4, batch_size=16, scaler=None, learning_rate=0.01,
             early_stopping=False, validation_split=0)
SERIES = [("a", 1, "up", 3.0), ("b", -1, "down", 1.0), ("c", 1, "up", 2.0)]


def _drift_panel(n=80):
    rng = np.random.default_rng(0)
    parts = [pd.DataFrame({"store": key, "sales": 100 + np.cumsum(d + 4 * rng.standard_normal(n)),
                           "direction": direction, "size": size}) for key, d, direction, size in SERIES]
    return pd.concat(parts, ignore_index=True)


def _mean_step(p, frame):
    """{series: mean over every window of the forecast minus the window's last value}."""
    out = {}
    for key, f in p.forecasters_.items():
        part = frame[frame.store == key].reset_index(drop=True)
        values = series_values(f, part, "sales", None, 1)[0]
        origins = np.arange(2, len(part))
        out[key] = float(np.mean(f.forecast_at(values, origins)[:, 0] - values[origins - 1, 0]))
    return out


@pytest.fixture(scope="module")
def drift():
    frame = _drift_panel()
    fit = lambda p, **kw: p.fit(frame, id="store", target="sales", **kw)  # noqa: E731
    return frame, {
        "none": fit(PanelForecaster("global", **DRIFT)),
        "static": fit(PanelForecaster(**DRIFT), static=["direction", "size"]),
        "ids": fit(PanelForecaster(id_inputs=True, **DRIFT)),
    }


def test_a_global_model_tells_series_apart_only_with_static_or_id_inputs(drift):
    frame, fitted = drift
    # The reference: each series' mean step (its realized drift: 1.48, -1.35, 0.55) and their mean (0.23),
    # which is the best a model that cannot tell the series apart can forecast.
    drifts = {k: float(np.diff(frame[frame.store == k].sales.to_numpy()).mean()) for k in "abc"}
    pooled = np.mean(list(drifts.values()))
    assert min(abs(drifts["a"] - pooled), abs(drifts["b"] - pooled)) > 1
    none = _mean_step(fitted["none"], frame)
    assert all(abs(none[k] - pooled) < 0.3 for k in "abc"), none
    for name in ("static", "ids"):
        step = _mean_step(fitted[name], frame)
        assert all(abs(step[k] - drifts[k]) < 0.3 for k in "abc"), (name, step, drifts)


def test_static_inputs_reach_every_forecasting_path(drift):
    frame, fitted = drift
    p = fitted["static"]
    assert p.strategy_ == "global" and fitted["ids"].strategy_ == "global"  # 'auto' with static inputs
    assert p.static_.names == ["direction=up", "direction=down", "size"]
    assert fitted["ids"].static_.names == ["store=a", "store=b", "store=c"]
    f = p.forecasters_["b"]
    assert f.n_features_ == 4 and f.known_future_ == p.static_.names
    np.testing.assert_array_equal(f._tail[:, 1:], np.tile([0.0, 1.0, -np.sqrt(1.5)], (2, 1)))
    np.testing.assert_array_equal(f._transform(f._tail)[:, 1:], f._tail[:, 1:])  # not scaled again
    out = p.predict()
    assert list(out.columns) == ["store", "time", "forecast"] and len(out) == 3
    values = series_values(f, frame[frame.store == "b"].reset_index(drop=True), "sales", None, 1)[0]
    np.testing.assert_allclose(out.forecast.iloc[1], f.forecast_at(values, [80])[0, 0], rtol=1e-6)
    np.testing.assert_allclose(out.forecast.iloc[1], f.predict_windows(values[None, 78:80])[0, 0], rtol=1e-6)


def test_backtest_with_static_inputs_and_intervals():
    frame = _drift_panel(40)
    p = PanelForecaster(**dict(DRIFT, epochs=2))
    result = p.backtest(frame, id="store", target="sales", static=["direction"], folds=2, intervals=(80,))
    assert result.strategy == "global" and set(result.results) == {"a", "b", "c"}
    assert set(result.coverage) == {80.0} and 0 <= result.coverage[80.0] <= 1
    table = frame.groupby("store")[["direction"]].first()  # the same as a DataFrame indexed by id
    again = PanelForecaster(**dict(DRIFT, epochs=2)).backtest(frame, id="store", target="sales", static=table,
                                                              folds=2, intervals=(80,))
    pd.testing.assert_frame_equal(result.scores, again.scores)


def test_encodings_exact_values():
    table = pd.DataFrame({"size": [1.0, 2.0, 6.0, 100.0], "region": ["n", "s", "n", "e"],
                          "open": [True, False, True, False], "same": [5, 5, 5, 5], "kind": ["x"] * 4},
                         index=["a", "b", "c", "gone"])
    enc = encode_static(table, ["a", "b", "c"], "store", id_inputs=True)
    assert enc.names == ["size", "region=n", "region=s", "open=True", "open=False", "store=a", "store=b", "store=c"]
    z = (np.array([1.0, 2.0, 6.0]) - 3.0) / np.sqrt(14 / 3)  # over the kept series only, population sd
    np.testing.assert_allclose([enc.values[k][0] for k in "abc"], z)
    assert enc.numeric == {"size": (3.0, pytest.approx(np.sqrt(14 / 3)))}
    np.testing.assert_array_equal(enc.values["b"][1:], [0, 1, 0, 1, 0, 1, 0])
    assert enc.categories == {"region": ["n", "s"], "open": [True, False], "store": ["a", "b", "c"]}
    assert enc.notes == ["static column 'same' is 5 for every series: it cannot tell them apart, left out",
                         "static column 'kind' is 'x' for every series: it cannot tell them apart, left out"]
    assert encode_static(table[["size"]], ["a"], id_inputs=True).notes[-1].startswith("id inputs left out")
    with pytest.raises(ValueError, match=r"`static` has no row for series \['zz'\]"):
        encode_static(table, ["a", "zz"])
    with pytest.raises(ValueError, match=r"Static column 'size' is empty for series \['b'\]"):
        encode_static(table.assign(size=[1.0, np.nan, 2.0, 3.0]), ["a", "b"])


def test_static_columns_must_be_constant_within_each_series():
    frame = _drift_panel(10)
    frame.loc[15, "direction"] = "sideways"
    with pytest.raises(ValueError, match="Static column 'direction' must be constant within every series; "
                                         "series 'b' has 'down' and 'sideways'."):
        PanelForecaster(**DRIFT).fit(frame, id="store", target="sales", static=["direction"])
    gaps = _drift_panel(10)
    gaps.loc[10, "size"] = np.nan  # an empty cell (a future row's, say) does not make a column vary
    table = static_table(gaps, "store", ["size", "direction"])
    assert list(table.index) == ["a", "b", "c"] and table["size"].dtype == np.float64
    assert table.loc["b"].tolist() == [1.0, "down"]
    with pytest.raises(ValueError, match=r"Static column\(s\) \['region'\] not found"):
        static_table(frame, "store", ["region"])
    with pytest.raises(ValueError, match=r"\['sales'\] cannot be static"):
        PanelForecaster(**DRIFT).fit(frame, id="store", target="sales", static=["sales"])
    with pytest.raises(ValueError, match="has more than one row"):
        static_table(frame, "store", pd.DataFrame({"size": [1, 2]}, index=["a", "a"]))
    with pytest.raises(ValueError, match=r"no row for series \['c'\]"):
        PanelForecaster(**DRIFT).fit(_drift_panel(10), id="store", target="sales",
                                     static=pd.DataFrame({"size": [1.0, 2.0]}, index=["a", "b"]))


def test_strategy_rules():
    frame = _drift_panel(10)
    with pytest.raises(ValueError, match=r"`static` covariates need strategy='global' \(or 'auto'\): they are "
                                         "constant within a series"):
        PanelForecaster("local", **DRIFT).fit(frame, id="store", target="sales", static=["size"])
    with pytest.raises(ValueError, match="id_inputs=True needs strategy='global'"):
        PanelForecaster("local", id_inputs=True)
    with pytest.raises(ValueError, match="`id_inputs` must be True or False; received 1"):
        PanelForecaster(id_inputs=1)
    with pytest.raises(ValueError, match="takes `strategy=`"):
        PanelForecaster(panel_strategy="global")
    assert "id_inputs=True" in repr(PanelForecaster(id_inputs=True))


def test_read_panel_static_columns(tmp_path):
    frame = _drift_panel(5)
    frame.insert(1, "date", np.tile(pd.date_range("2001-01-01", periods=5, freq="D").strftime("%Y-%m-%d"), 3))
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False)
    data = read_panel(path, id_column="store", column="sales", static=["direction", "size"])
    assert data.target == "sales" and list(data.static.index) == ["a", "b", "c"]
    assert data.static.loc["c"].tolist() == ["up", 2.0]
    assert list(data.series["a"].columns) == ["sales"]
    from lstmkit.forecasting.reading import SeriesInputError

    frame.loc[3, "size"] = 9.0
    frame.to_csv(path, index=False)
    with pytest.raises(SeriesInputError, match="static column 'size' must be constant within every series; series "
                                               "'a' has 3.0 and 9.0"):
        read_panel(path, id_column="store", column="sales", static=["size"])
    with pytest.raises(SeriesInputError, match="need a long panel"):
        read_panel(path, wide=True, static=["size"])


# ---------------------------------------------------------------- Forecaster.fit(frame, id=...)
SMALL = dict(window=4, horizon=2, season=1, epochs=3, units=4, batch_size=8)


def _level_panel():
    rng = np.random.default_rng(1)
    t = np.arange(30)
    parts = [pd.DataFrame({"shop": k, "day": pd.date_range("2002-01-01", periods=30, freq="D"),
                           "sales": 10 * (i + 1) + np.sin(t / 2) + rng.normal(0, 0.1, 30), "region": r})
             for i, (k, r) in enumerate([("x", "n"), ("y", "s"), ("z", "n")])]
    return pd.concat(parts, ignore_index=True)


def test_forecaster_fit_with_an_id_is_the_panel_forecasters_result():
    frame = _level_panel()
    kw = dict(id="shop", target="sales", time="day", static=["region"])
    f = Forecaster(**SMALL, panel_strategy="global", id_inputs=True).fit(frame, **kw)
    p = PanelForecaster("global", id_inputs=True, **SMALL).fit(frame, **kw)
    assert isinstance(f.panel_, PanelForecaster) and f.panel_.strategy_ == "global"
    pd.testing.assert_frame_equal(f.predict(), p.predict(), check_exact=True)
    result = f.backtest(frame, folds=1, intervals=None, **kw)
    expected = PanelForecaster("global", id_inputs=True, **SMALL).backtest(frame, folds=1, intervals=None, **kw)
    pd.testing.assert_frame_equal(result.scores, expected.scores, check_exact=True)
    assert type(result).__name__ == "PanelBacktest"
    with pytest.raises(ValueError, match="fitted on a panel"):
        f.predict(frame)
    with pytest.raises(ValueError, match="needs `target=`"):
        Forecaster(**SMALL).fit(frame, id="shop")
    with pytest.raises(ValueError, match="takes no `callbacks`"):
        Forecaster(**SMALL).fit(frame, id="shop", target="sales", callbacks=[object()])


def test_forecaster_panel_fit_keeps_its_strategy_recursive_with_static_inputs():
    frame = _level_panel()
    f = Forecaster(**SMALL, strategy="recursive").fit(frame, id="shop", target="sales", time="day",
                                                      static=["region"])
    member = f.panel_.forecasters_["y"]
    assert member.strategy == "recursive" and member.known_future_ == ["region=n", "region=s"]
    out = f.predict()
    assert len(out) == 6 and np.isfinite(out.forecast).all()
    # the second step is forecast from the first, fed back with the same static inputs (region 's') after it
    y = frame[frame.shop == "y"].sales.to_numpy()
    window = np.column_stack([y[-4:], np.zeros(4), np.ones(4)])
    by_hand = member.predict_windows(window[None], future=np.array([[[0.0, 1.0]]]))[0]
    np.testing.assert_allclose(out[out.shop == "y"].forecast.to_numpy(), by_hand, rtol=1e-6)


def test_forecaster_panel_params_and_one_series_rules():
    clone = pytest.importorskip("sklearn.base").clone
    f = Forecaster(panel_strategy="local")
    assert f.get_params()["panel_strategy"] == "local" and f.get_params()["id_inputs"] is False
    g = clone(f)
    assert g.panel_strategy == "local" and g.get_params() == f.get_params()
    f.set_params(panel_strategy="global", id_inputs=True)
    assert (f.panel_strategy, f.id_inputs) == ("global", True) and f.clone().id_inputs is True
    with pytest.raises(ValueError, match="`panel_strategy` must be one of"):
        Forecaster(panel_strategy="both")
    with pytest.raises(ValueError, match="id_inputs=True needs panel_strategy='global'"):
        Forecaster(panel_strategy="local", id_inputs=True)
    series = pd.Series(np.sin(np.arange(30.0)))
    with pytest.raises(ValueError, match="id_inputs=True needs a panel"):
        Forecaster(**SMALL, id_inputs=True).fit(series)
    with pytest.raises(ValueError, match="`static=` is for panels"):
        Forecaster(**SMALL).fit(series, static=["region"])
