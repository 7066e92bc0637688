"""The forecast picture's structure (not its pixels): zoomed view and overview, folds told apart and
joined to their origins, the forecast joined to the last observation, interval bands, labels; bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lstmkit.plot import plot_forecast, save_figure  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _series(n=120, freq="MS", name="sales"):
    idx = pd.date_range("2000-01-01", periods=n, freq=freq, name="month")
    return pd.Series(100 + np.arange(n) + 10 * np.sin(np.arange(n) * 2 * np.pi / 12), index=idx, name=name)


def _backtest(y, horizon=6, folds=3):
    """A backtest frame as `backtest` writes it: fold, origin, time, step, actual, lstmkit."""
    rows = []
    for k in range(folds):
        origin = len(y) - horizon * (folds - k)
        for h in range(horizon):
            rows.append({"fold": k + 1, "origin": y.index[origin - 1], "time": y.index[origin + h], "step": h + 1,
                         "actual": y.iloc[origin + h], "lstmkit": y.iloc[origin + h] + k + 1.0})
    return pd.DataFrame(rows)


def _predicted(y, horizon=6, unbounded_from=None):
    """What Forecaster.predict(intervals=...) returns: forecast and nested 80/95 bounds."""
    idx = pd.date_range(y.index[-1], periods=horizon + 1, freq=y.index.freq)[1:]
    point = y.iloc[-1] + np.arange(1, horizon + 1, dtype=float)
    w80, w95 = np.linspace(2, 6, horizon), np.linspace(4, 12, horizon)
    if unbounded_from is not None:
        w95[unbounded_from:] = np.inf
    return pd.DataFrame({"forecast": point, "lower_80": point - w80, "upper_80": point + w80,
                         "lower_95": point - w95, "upper_95": point + w95}, index=idx)


def _named_lines(ax):
    return {l.get_label(): l for l in ax.get_lines() if not l.get_label().startswith("_")}


def _bands(ax):
    return {c.get_label(): c for c in ax.collections if isinstance(c, PolyCollection)}


def test_a_long_history_is_zoomed_with_the_whole_history_above(tmp_path):
    y, pred = _series(), None
    pred = _predicted(y)
    ax = plot_forecast(y, forecast=pred["forecast"], backtest=_backtest(y), intervals=pred, title="t")
    fig = ax.figure
    assert len(fig.axes) == 2  # the overview panel and the main one
    overview = next(a for a in fig.axes if a is not ax)
    # Main view: the folds (18 rows) and one season before them, up to the last forecast date.
    left, right = ax.get_xlim()
    first_shown = mdates.date2num(y.index[len(y) - 18 - 1 - 12])
    assert left == pytest.approx(first_shown, abs=40) and left > mdates.date2num(y.index[60])
    assert right >= mdates.date2num(pred.index[-1])
    # y limits follow what is shown, not the whole (rising) history.
    shown = y.iloc[len(y) - 31:]
    assert ax.get_ylim()[0] > y.min() + 50 and ax.get_ylim()[0] <= shown.min()
    assert ax.get_ylim()[1] >= pred["upper_95"].max()
    # The overview covers every row and shades the zoomed part.
    o_left, o_right = overview.get_xlim()
    assert o_left <= mdates.date2num(y.index[0]) and o_right >= mdates.date2num(pred.index[-1])
    assert len(overview.patches) == 1
    assert "last 31 of 120 rows" in [t.get_text() for t in ax.texts]
    with open(save_figure(ax, tmp_path / "forecast.png"), "rb") as fh:
        assert fh.read(8) == PNG_MAGIC


def test_folds_are_told_apart_and_joined_to_their_origins():
    y = _series()
    frame = _backtest(y)
    ax = plot_forecast(y, backtest=frame)
    lines = _named_lines(ax)
    folds = [lines[k] for k in lines if k.startswith("backtest fold")]
    assert [l.get_label() for l in folds] == [f"backtest fold {k} (origin {y.index[len(y) - 6 * (4 - k) - 1].date()})"
                                              for k in (1, 2, 3)]
    assert len({matplotlib.colors.to_hex(l.get_color()) for l in folds}) == 3
    assert len({l.get_marker() for l in folds}) == 3
    for k, line in enumerate(folds, 1):
        part = frame[frame["fold"] == k]
        origin = len(y) - 6 * (4 - k) - 1
        # The first point is the observation at the fold's origin; the rest are the fold's forecasts.
        assert line.get_ydata()[0] == y.iloc[origin]
        np.testing.assert_array_equal(line.get_ydata()[1:], part["lstmkit"].to_numpy())
        assert line.get_markevery() == slice(1, None, 1)  # the joining point is not marked
    np.testing.assert_array_equal(lines["observed"].get_ydata(), y.to_numpy())


def test_the_forecast_starts_at_the_last_observation_and_has_its_bands():
    y = _series()
    pred = _predicted(y)
    ax = plot_forecast(y, forecast=pred)  # the DataFrame of predict(intervals=...) alone: bands included
    line = _named_lines(ax)["forecast"]
    assert line.get_ydata()[0] == y.iloc[-1] and list(line.get_ydata()[1:]) == pred["forecast"].tolist()
    assert pd.Timestamp(line.get_xdata()[0]) == y.index[-1]
    bands = _bands(ax)
    assert list(bands) == ["95% interval", "80% interval"]  # the widest drawn first, under the narrower
    assert bands["95% interval"].get_alpha() < bands["80% interval"].get_alpha()
    for level in ("80", "95"):
        verts = bands[f"{level}% interval"].get_paths()[0].vertices[:, 1]
        assert verts.min() == pytest.approx(min(y.iloc[-1], pred[f"lower_{level}"].min()))
        assert verts.max() == pytest.approx(max(y.iloc[-1], pred[f"upper_{level}"].max()))


def test_unbounded_steps_are_left_undrawn_and_said_so():
    y = _series()
    pred = _predicted(y, unbounded_from=3)
    ax = plot_forecast(y, forecast=pred["forecast"], intervals=pred)
    bands = _bands(ax)
    assert set(bands) == {"80% interval", "95% interval (unbounded steps not drawn)"}
    assert np.isfinite(ax.get_ylim()).all() and ax.get_ylim()[1] < 1e6


def test_labels_units_and_readable_dates():
    y = _series()
    ax = plot_forecast(y, forecast=_predicted(y)["forecast"], units="units")
    assert ax.get_ylabel() == "sales (units)" and ax.get_xlabel() == "month"
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)


def test_zoom_false_and_a_given_axes_draw_the_whole_history_alone():
    y = _series()
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_forecast(y, backtest=_backtest(y), ax=ax, zoom=False) is ax
    assert len(fig.axes) == 1
    assert ax.get_xlim()[0] <= mdates.date2num(y.index[0])
    ax = plot_forecast(y, zoom=24)
    assert len(ax.figure.axes) == 2 and ax.get_xlim()[0] == pytest.approx(mdates.date2num(y.index[-24]), abs=30)


def test_a_short_series_is_shown_whole_and_steps_work_without_dates():
    y = pd.Series(np.arange(24.0), name="sales")  # no dates: the x axis counts rows
    frame = pd.DataFrame({"fold": [1, 1, 2, 2], "time": [20, 21, 22, 23], "lstmkit": [20.5, 21.5, 22.5, 23.5]})
    forecast = pd.Series([24.0, 25.0, 26.0], index=[24, 25, 26])
    ax = plot_forecast(y, forecast=forecast, backtest=frame)
    assert len(ax.figure.axes) == 1  # too short to zoom
    lines = _named_lines(ax)
    assert [l.get_ydata().tolist() for k, l in lines.items() if k.startswith("backtest")] == \
        [[19.0, 20.5, 21.5], [21.0, 22.5, 23.5]]
    assert lines["forecast"].get_xdata().tolist() == [23, 24, 25, 26]
    assert ax.get_xlabel() == "time" and ax.get_ylabel() == "sales"


def test_irregular_dates_are_drawn_by_row():
    idx = pd.DatetimeIndex(["2020-01-01", "2020-01-03", "2020-01-04", "2020-01-09", "2020-01-10"])
    y = pd.Series([1.0, 2.0, 3.0, 2.0, 1.0], index=idx, name="v")
    forecast = pd.Series([1.5, 2.5], index=pd.RangeIndex(1, 3, name="step"))  # what predict gives there
    ax = plot_forecast(y, forecast=forecast)
    assert _named_lines(ax)["forecast"].get_xdata().tolist() == [4.0, 5.0, 6.0]
    assert ax.get_xlabel() == "row (the dates are irregular)"


@pytest.mark.parametrize("kwargs, message", [
    (dict(intervals="wide"), "`intervals` must be a DataFrame"),
    (dict(units=3), "`units` must be a string"),
    (dict(zoom=0), "`zoom` must be an integer >= 1"),
    (dict(seasons=0), "`seasons` must be an integer >= 1"),
    (dict(season=-2), "`season` must be an integer >= 1"),
    (dict(overview="yes"), "`overview` must be True, False or None"),
    (dict(backtest=pd.DataFrame({"fold": [1], "time": [0]})), r"no column\(s\) \['lstmkit'\]"),
])
def test_bad_arguments_are_named(kwargs, message):
    y = _series()
    with pytest.raises((ValueError, TypeError), match=message):
        plot_forecast(y, forecast=_predicted(y)["forecast"], **kwargs)


def test_bad_forecasts_and_bands_are_refused_before_drawing():
    y = _series()
    pred = _predicted(y)
    with pytest.raises(ValueError, match="indexed by the forecast's 6 times"):
        plot_forecast(y, forecast=pred["forecast"], intervals=pred.iloc[:4])
    with pytest.raises(ValueError, match="no partner"):
        plot_forecast(y, forecast=pred.drop(columns="upper_80"))
    with pytest.raises(ValueError, match="lower_80 is above upper_80 at row 0"):
        plot_forecast(y, forecast=pred.assign(lower_80=pred["upper_80"] + 1))
    with pytest.raises(ValueError, match="differs from `forecast`"):
        plot_forecast(y, forecast=pred["forecast"] + 1, intervals=pred)
    with pytest.raises(ValueError, match="needs a 'forecast' column"):
        plot_forecast(y, intervals=pred.drop(columns="forecast"))
    with pytest.raises(ValueError, match="must be a pandas Series"):
        plot_forecast(y, forecast=np.ones(6))
    with pytest.raises(ValueError, match="one series"):
        plot_forecast(pd.DataFrame({"a": y, "b": y}))
    with pytest.raises(ValueError, match="is not in `history`'s index"):
        plot_forecast(y.iloc[:60], backtest=_backtest(y))


def test_bands_unbounded_at_every_step_are_named_and_not_drawn():
    y = _series()
    pred = _predicted(y)
    pred[["lower_95", "upper_95"]] = np.nan  # how the command line passes unbounded bounds
    ax = plot_forecast(y, forecast=pred["forecast"], intervals=pred)
    bands = _bands(ax)
    assert set(bands) == {"80% interval", "95% interval (unbounded, not drawn)"}
    assert ax.get_ylim()[1] < pred["upper_80"].max() + 10
