"""Forecasting plots: the lines hold exactly the histories and series given; PNGs are real."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lstmkit.plot import plot_forecast, plot_loss_curves, save_figure  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

HISTORIES = [
    {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.7, 0.6]},
    {"loss": [0.8, 0.4], "val_loss": [0.95, 0.8]},
]


def _lines(ax, color):
    return [l for l in ax.get_lines() if matplotlib.colors.same_color(l.get_color(), color)]


def test_loss_curves_hold_every_run(tmp_path):
    ax = plot_loss_curves(HISTORIES)
    train, val = _lines(ax, "tab:blue"), _lines(ax, "tab:orange")
    assert len(train) == 2 and len(val) == 2
    for line, hist in zip(train, HISTORIES):
        np.testing.assert_array_equal(line.get_ydata(), hist["loss"])
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, len(hist["loss"]) + 1))
    for line, hist in zip(val, HISTORIES):
        np.testing.assert_array_equal(line.get_ydata(), hist["val_loss"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "validation"]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    with open(save_figure(ax, tmp_path / "loss.png"), "rb") as fh:
        data = fh.read()
    assert data[:8] == PNG_MAGIC and len(data) > 5000


def test_loss_curves_on_a_given_axes_and_from_history_objects():
    class FakeHistory:  # what Model.fit returns: an object with a .history dict
        history = {"loss": [3.0, 2.0]}

    fig = Figure()
    ax = fig.add_subplot()
    assert plot_loss_curves([FakeHistory()], ax=ax) is ax
    assert len(ax.get_lines()) == 1 and ax.get_lines()[0].get_ydata().tolist() == [3.0, 2.0]
    with pytest.raises(ValueError, match="Run 0 is not a training history"):
        plot_loss_curves([{"accuracy": [1.0]}])


def test_forecast_figure_lines(tmp_path):
    idx = pd.date_range("2000-01-01", periods=24, freq="MS")
    history = pd.Series(np.arange(24.0), index=idx, name="sales")
    backtest = pd.DataFrame({"fold": [1, 1, 2, 2], "time": idx[20:24], "lstmkit": [20.5, 21.5, 22.5, 23.5]})
    forecast = pd.Series([24.0, 25.0, 26.0], index=pd.date_range("2002-01-01", periods=3, freq="MS"))
    ax = plot_forecast(history, forecast=forecast, backtest=backtest)
    lines = {l.get_label(): l for l in ax.get_lines() if not l.get_label().startswith("_")}
    assert set(lines) == {"observed", "backtest forecasts", "forecast"}
    np.testing.assert_array_equal(lines["observed"].get_ydata(), history.to_numpy())
    np.testing.assert_array_equal(lines["forecast"].get_ydata(), forecast.to_numpy())
    folds = [l for l in ax.get_lines() if matplotlib.colors.same_color(l.get_color(), "tab:blue")]
    assert [l.get_ydata().tolist() for l in folds] == [[20.5, 21.5], [22.5, 23.5]]  # one line per fold
    with open(save_figure(ax, tmp_path / "forecast.png"), "rb") as fh:
        data = fh.read()
    assert data[:8] == PNG_MAGIC
