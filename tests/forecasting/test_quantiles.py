"""Forecaster(quantiles=...): pinball heads, q columns, sorted quantiles, backtest and panel scores."""

import numpy as np
import pandas as pd
import pytest

from lstmkit.forecasting import Forecaster, PanelForecaster
from lstmkit.forecasting.quantiles import QuantileScores, column_name, parse_quantiles, quantile_pairs
from lstmkit.losses import Pinball

TINY = dict(window=6, horizon=2, units=6, epochs=40, season=1, relative=False, patience=5)


def noise(n, seed=0):
    rng = np.random.default_rng(seed)
    return pd.Series(10 + rng.normal(size=n), index=pd.date_range("2001-01-01", periods=n, freq="D"), name="v")


@pytest.fixture(scope="module")
def fitted():
    """Trained on the first 500 of 800 rows of Gaussian noise (sd 1); the rest is held out."""
    y = noise(800)
    f = Forecaster("lstm", quantiles=(0.9, 0.1), **TINY).fit(y.iloc[:500])
    return f, y


def held_out(f, y):
    values = y.to_numpy()
    origins = np.arange(500, len(y) - f.horizon_ + 1)
    actual = np.stack([values[o:o + f.horizon_] for o in origins])
    return origins, actual, f.quantiles_at(values[:, None], origins)


def test_levels_are_sorted_with_the_median_added():
    assert Forecaster(quantiles=[0.9, 0.1]).quantile_levels == (0.1, 0.5, 0.9)
    assert Forecaster(quantiles=(0.5,)).quantile_levels == (0.5,)
    assert Forecaster().quantile_levels is None and parse_quantiles(None) is None
    assert [column_name(q) for q in (0.025, 0.5, 0.975)] == ["q0.025", "q0.5", "q0.975"]
    assert quantile_pairs((0.025, 0.1, 0.5, 0.9, 0.975)) == [("95", 0.025, 0.975), ("80", 0.1, 0.9)]


@pytest.mark.parametrize("kwargs, message", [
    (dict(quantiles=[0.1, 1.5]), "`quantiles` must be numbers strictly between 0 and 1; received 1.5"),
    (dict(quantiles=[0.1, 0.1]), "`quantiles` must be distinct; 0.1 appears twice"),
    (dict(quantiles="abc"), "`quantiles` must be a sequence of numbers in \\(0, 1\\); received 'abc'"),
    (dict(quantiles=[]), "`quantiles` must hold at least one quantile"),
    (dict(quantiles=[0.1, 0.9], strategy="recursive"), "`quantiles` need strategy='direct'"),
])
def test_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Forecaster(**kwargs)


def test_built_network_has_a_quantile_head(fitted):
    f, _ = fitted
    assert f.model_.output_shape == (None, 2, 3)
    assert isinstance(f.model_.loss, Pinball) and f.model_.loss.quantiles == (0.1, 0.5, 0.9)
    ed = Forecaster("encoder_decoder", quantiles=[0.2], **dict(TINY, epochs=1)).fit(noise(60))
    assert ed.model_.output_shape == (None, 2, 2) and ed.model_.loss.quantiles == (0.2, 0.5)


def test_held_out_coverage_is_near_each_quantile(fitted):
    f, y = fitted
    _, actual, quant = held_out(f, y)
    below = (actual[..., None] < quant).mean(axis=(0, 1))
    assert 0.03 <= below[0] <= 0.25, below
    assert 0.35 <= below[1] <= 0.65, below
    assert 0.75 <= below[2] <= 0.97, below
    assert (np.diff(quant, axis=-1) >= 0).all()  # monotone


def test_predict_returns_the_median_and_a_column_per_quantile(fitted):
    f, y = fitted
    frame = f.predict()
    assert list(frame.columns) == ["forecast", "q0.1", "q0.5", "q0.9"]
    assert list(frame.index) == list(pd.date_range(y.index[499] + pd.Timedelta(days=1), periods=2, freq="D"))
    np.testing.assert_array_equal(frame["forecast"], frame["q0.5"])
    assert (frame["q0.1"] <= frame["q0.5"]).all() and (frame["q0.5"] <= frame["q0.9"]).all()
    origins, _, quant = held_out(f, y)
    values = y.to_numpy()[:, None]
    np.testing.assert_allclose(f.forecast_at(values, origins), quant[..., 1])
    windows = np.stack([values[o - 6:o] for o in origins[:5]])
    np.testing.assert_allclose(f.predict_windows(windows), quant[:5, :, 1])
    np.testing.assert_allclose(f.predict(y.iloc[:520]).to_numpy(), np.c_[quant[20, :, 1], quant[20]])
    with pytest.raises(ValueError, match="needs a Forecaster made with quantiles"):
        Forecaster().predict_quantile_windows(windows)


def test_crossed_quantiles_are_sorted_per_step(fitted):
    f, y = fitted
    g = f.clone(epochs=1).fit(y.iloc[:100])
    dense = g.model_.layers[-2]
    kernel, bias = dense.get_weights()
    # the output then ignores its input and puts q0.1 above q0.9 (reshaped (step, quantile))
    dense.set_weights([np.zeros_like(kernel), np.tile([0.9, 0.5, 0.1], 2).astype(bias.dtype)])
    raw = g.model_.predict(np.zeros((1, 6, 1), "float32"), verbose=0)[0]
    assert (np.diff(raw, axis=-1) < 0).all()  # crossed as the network gives them
    frame = g.predict()
    expected = np.sort(g.scaler_.inverse_transform(raw.reshape(-1, 1)).reshape(2, 3), axis=-1)
    np.testing.assert_allclose(frame[["q0.1", "q0.5", "q0.9"]].to_numpy(), expected, rtol=1e-6)


def test_relative_windows_shift_every_quantile(fitted):
    f, y = fitted
    g = Forecaster("lstm", quantiles=(0.1, 0.9), **dict(TINY, relative=True, epochs=2)).fit(y.iloc[:80])
    x = g._transform(y.to_numpy()[74:80, None])
    raw = g.model_.predict((x - x[-1, 0])[None].astype("float32"), verbose=0)[0] + x[-1, 0]
    want = np.sort(g.scaler_.inverse_transform(raw.reshape(-1, 1)).reshape(2, 3), axis=-1)
    np.testing.assert_allclose(g.predict()[["q0.1", "q0.5", "q0.9"]].to_numpy(), want, rtol=1e-5)


def test_params_and_clone_keep_the_quantiles():
    from sklearn.base import clone

    f = Forecaster(quantiles=[0.1, 0.9], epochs=3)
    assert f.get_params()["quantiles"] == [0.1, 0.9]
    c = clone(f)
    assert c.quantiles == [0.1, 0.9] and c.quantile_levels == (0.1, 0.5, 0.9)
    assert f.clone(horizon=4).quantile_levels == (0.1, 0.5, 0.9)
    f.set_params(quantiles=None)
    assert f.quantile_levels is None
    with pytest.raises(ValueError, match="`quantiles` need strategy='direct'"):
        Forecaster(quantiles=[0.1]).set_params(strategy="recursive")


def test_a_given_model_must_have_a_quantile_output_and_loss():
    from lstmkit.layers import LSTM, Dense, Input, Reshape
    from lstmkit.models import Sequential

    def build(loss, out=(2, 3)):
        m = Sequential([Input((6, 1)), LSTM(4), Dense(int(np.prod(out))), Reshape(out)])
        m.compile(optimizer="adam", loss=loss)
        return m

    y = noise(80)
    with pytest.raises(ValueError, match="must return \\(batch, 2, 3\\): one output per step and quantile; it "
                                         "returns \\(None, 2, 2\\)"):
        Forecaster(lambda w, n, h: build(Pinball((0.1, 0.5)), (2, 2)), quantiles=[0.1, 0.9], **TINY).fit(y)
    with pytest.raises(ValueError, match="must be compiled with loss=lstmkit.losses.Pinball\\(\\[0.1, 0.5, 0.9\\]\\)"):
        Forecaster(build("mse"), quantiles=[0.1, 0.9], **dict(TINY, window=None)).fit(y)
    f = Forecaster(build(Pinball((0.1, 0.5, 0.9))), quantiles=[0.1, 0.9], **dict(TINY, window=None, epochs=1))
    assert list(f.fit(y).predict().columns) == ["forecast", "q0.1", "q0.5", "q0.9"]


def test_quantile_scores_exact():
    actual = np.array([0.0, 1.0, 2.0, 3.0])
    pred = np.array([[0.5, 1.0, 2.0], [0.5, 1.0, 2.0], [0.5, 1.0, 2.5], [0.5, 1.0, 2.0]])
    s = QuantileScores.from_forecasts(actual, pred, (0.1, 0.5, 0.9))
    assert s.coverage == {0.1: 0.25, 0.5: 0.25, 0.9: 0.75}
    assert s.interval_coverage == {"80": 0.5}
    q = np.array([0.1, 0.5, 0.9])
    e = actual[:, None] - pred
    assert s.pinball == pytest.approx(np.mean(np.maximum(q * e, (q - 1) * e)))
    assert s.to_dict()["quantile_coverage"] == {"0.1": 0.25, "0.5": 0.25, "0.9": 0.75}
    m = QuantileScores.mean([s, QuantileScores.from_forecasts(actual, pred + 10, (0.1, 0.5, 0.9))])
    assert m.coverage[0.9] == pytest.approx(0.875) and m.interval_coverage["80"] == pytest.approx(0.25)


def test_backtest_reports_the_quantiles(fitted):
    f, y = fitted
    result = f.clone(epochs=3).backtest(y.iloc[:120], folds=2, intervals=(80,))
    scores = result.quantiles
    assert scores.levels == (0.1, 0.5, 0.9) and scores.count == 4
    out = result.to_dict()
    assert set(out["quantile_coverage"]) == {"0.1", "0.5", "0.9"} and set(out["quantile_interval_coverage"]) == {"80"}
    assert out["coverage"] is not None and out["pinball"] > 0
    assert all(v in (0.0, 0.25, 0.5, 0.75, 1.0) for v in out["quantile_coverage"].values())
    assert "quantile_coverage" not in Forecaster(**dict(TINY, epochs=1)).backtest(y.iloc[:60], folds=1).to_dict()


def test_panel_quantiles_are_the_mean_over_series(monkeypatch):
    frame = pd.concat([noise(60, seed).to_frame().assign(s=f"s{seed}").rename_axis("t").reset_index()
                       for seed in (1, 2)])
    p = PanelForecaster("local", quantiles=(0.25, 0.75), **dict(TINY, epochs=2))
    result = p.backtest(frame, id="s", target="v", time="t", folds=2, intervals=None)
    per = [r.quantiles for r in result.results.values()]
    assert result.quantiles.coverage[0.75] == pytest.approx(np.mean([s.coverage[0.75] for s in per]))
    assert result.quantiles.pinball == pytest.approx(np.mean([s.pinball for s in per]))
    assert set(result.to_dict()["quantile_interval_coverage"]) == {"50"}
    # trained together by fit_many (its fallback, one Forecaster.fit per series, is not taken)
    monkeypatch.setattr(Forecaster, "fit", lambda *a, **k: pytest.fail("fitted one by one"))
    fitted = p.fit(frame, id="s", target="v", time="t")
    for f in fitted.forecasters_.values():  # the settings reached the models trained together
        assert f.model_.output_shape == (None, 2, 3) and f.model_.loss.quantiles == (0.25, 0.5, 0.75)
    forecast = fitted.predict()
    assert list(forecast.columns) == ["s", "time", "forecast", "q0.25", "q0.5", "q0.75"] and len(forecast) == 4
