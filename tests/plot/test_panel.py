"""The panel grid: the worst and best series by backtest score, each with its tail, folds, forecast and
bands, titled with its id and score; skipped series named; bad input refused before drawing."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

from lstmkit.forecasting.backtest import BacktestResult  # noqa: E402
from lstmkit.forecasting.panel import PanelBacktest  # noqa: E402
from lstmkit.plot import plot_panel, save_figure  # noqa: E402

H, FOLDS, N = 4, 2, 60


def _panel(n_series=8):
    """A long frame, PanelForecaster.predict's long forecast frame, and a PanelBacktest whose MASE
    for series k is k / 10 (so s7 is the worst, s0 the best)."""
    idx = pd.date_range("2010-01-01", periods=N, freq="MS")
    frames, forecasts, results, rows = [], [], {}, []
    for k in range(n_series):
        y = 10.0 * k + np.sin(np.arange(N) * 2 * np.pi / 12)
        frames.append(pd.DataFrame({"store": f"s{k}", "date": idx, "sales": y}))
        bt = [{"fold": f + 1, "time": idx[N - H * (FOLDS - f) + h], "lstmkit": y[N - H * (FOLDS - f) + h] + 0.5}
              for f in range(FOLDS) for h in range(H)]
        results[f"s{k}"] = BacktestResult(pd.DataFrame(bt), None, None, season=12)
        point = y[-1] + np.arange(1, H + 1)
        forecasts.append(pd.DataFrame({"store": f"s{k}", "time": pd.date_range(idx[-1], periods=H + 1, freq="MS")[1:],
                                       "forecast": point, "lower_80": point - 1, "upper_80": point + 1,
                                       "lower_95": point - 2, "upper_95": point + 2}))
        for name, mase in (("lstmkit", k / 10), ("naive", 1.0)):
            rows.append({"series": f"s{k}", "forecaster": name, "MAE": mase, "MASE": mase})
    scores = pd.DataFrame(rows).set_index(["series", "forecaster"])
    backtest = PanelBacktest(results, scores, scores.groupby(level="forecaster", sort=False).mean(), None,
                             skipped={"tiny": "5 rows; window 24, horizon 4 need at least 40"})
    return pd.concat(frames, ignore_index=True), pd.concat(forecasts, ignore_index=True), backtest


def test_the_worst_and_best_series_each_get_a_titled_view(tmp_path):
    frame, forecast, backtest = _panel()
    axes = plot_panel(frame, forecast, backtest, id="store", target="sales", time="date", units="units")
    assert axes.shape == (2, 3)
    assert [ax.get_title() for ax in axes.ravel()] == [
        "worst: s7  MASE 0.700", "worst: s6  MASE 0.600", "worst: s5  MASE 0.500",
        "best: s0  MASE 0.000", "best: s1  MASE 0.100", "best: s2  MASE 0.200"]
    for ax, key in zip(axes.ravel(), ["s7", "s6", "s5", "s0", "s1", "s2"]):
        labels = [l.get_label() for l in ax.get_lines()]
        assert labels.count("forecast") == 1 and "backtest fold 1" in labels and "backtest fold 2" in labels
        bands = [c.get_label() for c in ax.collections if isinstance(c, PolyCollection)]
        assert bands == ["95% interval", "80% interval"]
        observed = next(l for l in ax.get_lines() if l.get_label() == "observed")
        k = int(key[1:])
        assert observed.get_ydata()[0] == pytest.approx(10.0 * k)  # each view shows its own series
        # Zoomed: the folds and a season before them, not the whole history.
        assert ax.get_xlim()[0] > matplotlib.dates.date2num(pd.Timestamp("2012-01-01"))
    assert axes[0, 0].get_ylabel() == "sales (units)" and axes[0, 1].get_ylabel() == ""
    fig = axes[0, 0].figure
    title = fig.get_suptitle()
    assert "8 series: the 3 worst and 3 best by lstmkit's backtest MASE" in title
    assert "mean over series: lstmkit 0.350, naive 1.000" in title and "left out: tiny (5 rows" in title
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "observed", "backtest fold 1", "backtest fold 2", "forecast", "80% interval", "95% interval"]
    save_figure(fig, tmp_path / "panel.png")
    assert (tmp_path / "panel.png").read_bytes()[:4] == b"\x89PNG"


def test_few_series_are_all_shown_worst_first_and_scores_alone_need_no_folds():
    frame, forecast, _ = _panel(4)
    axes = plot_panel(frame, forecast, {"s0": 0.3, "s1": 0.9, "s2": 0.1, "s3": 0.5}, id="store", target="sales",
                      time="date", metric="MAE", worst=2, best=2)
    assert axes.shape == (2, 3)
    titles = [ax.get_title() for ax in axes.ravel() if ax.get_visible()]
    assert titles == ["s1  MAE 0.900", "s3  MAE 0.500", "s0  MAE 0.300", "s2  MAE 0.100"]
    assert [ax.get_visible() for ax in axes.ravel()] == [True] * 4 + [False] * 2
    assert not any(l.get_label().startswith("backtest") for l in axes[0, 0].get_lines())


def test_a_wide_frame_without_forecasts():
    frame, _, backtest = _panel(3)
    wide = frame.pivot(index="date", columns="store", values="sales")
    axes = plot_panel(wide, backtest=backtest, worst=1, best=1)
    assert axes.shape == (2, 1)
    assert [ax.get_title() for ax in axes.ravel()] == ["worst: s2  MASE 0.200", "best: s0  MASE 0.000"]
    assert [ax.get_ylabel() for ax in axes.ravel()] == ["value", "value"]


def test_bad_panels_are_refused_with_their_names():
    frame, forecast, backtest = _panel(3)
    kw = dict(id="store", target="sales", time="date")
    with pytest.raises(ValueError, match="needs `backtest`"):
        plot_panel(frame, forecast, **kw)
    with pytest.raises(ValueError, match="`metric` must be one of"):
        plot_panel(frame, forecast, backtest, metric="R2", **kw)
    with pytest.raises(ValueError, match="not among the backtest's forecasters"):
        plot_panel(frame, forecast, backtest, model_column="arima", **kw)
    with pytest.raises(ValueError, match=r"no column\(s\) \['sale'\]"):
        plot_panel(frame, forecast, backtest, id="store", target="sale", time="date")
    with pytest.raises(ValueError, match=r"scores series \['s2'\] that `data` does not hold"):
        plot_panel(frame[frame["store"] != "s2"], forecast, backtest, **kw)
    with pytest.raises(ValueError, match="`worst` and `best` are both 0"):
        plot_panel(frame, forecast, backtest, worst=0, best=0, **kw)
    with pytest.raises(ValueError, match="an id column"):
        plot_panel(frame, forecast.drop(columns="store"), backtest, **kw)


def test_scores_are_written_as_the_console_tables_write_them():
    # 3 decimals like the CLI's MASE table (1.196, never 1.2); thousands without decimals.
    from lstmkit.plot.panel import _score

    assert [_score(v) for v in (1.196, 0.5, 0.0, 12.3456, 999.9994, 12345.6)] == [
        "1.196", "0.500", "0.000", "12.346", "999.999", "12,346"]
