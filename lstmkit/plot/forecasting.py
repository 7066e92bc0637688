"""Forecasting pictures: a forecast figure (history, backtest folds, the forecast and its intervals,
zoomed to the last few seasons with the whole history above), every run's train and validation
loss per fold (`lstmkit.plot.loss`), and a grid of a panel's worst and best series
(`lstmkit.plot.panel`).

Each function draws on `ax` when given and otherwise on a new figure, and returns the Axes
(``ax.figure.savefig(...)`` or `save_figure` writes it). matplotlib is imported only when
a function is called; without a display it uses the Agg backend.
"""

from __future__ import annotations

from lstmkit.plot._quantiles import draw_quantile_band
from lstmkit.plot._series import check_choice, draw_overview, draw_series, prepare, zoom_start
from lstmkit.plot._style import date_axis, pyplot, save_figure, value_label
from lstmkit.plot.loss import plot_loss_curves
from lstmkit.plot.panel import plot_panel

__all__ = ["plot_forecast", "plot_loss_curves", "plot_panel", "save_figure"]


def plot_forecast(history, forecast=None, backtest=None, ax=None, title=None, model_column="lstmkit", *,
                  intervals=None, units=None, season=None, seasons=2, zoom=None, overview=None):
    """The observed series, the backtest forecasts (a colour and marker per fold) and the future
    forecast with its interval bands, zoomed to the end of the series.

    Args:
        history: the observed series (a pandas Series, or a 1-D array); its name labels the y axis.
        forecast: the future forecast: a Series indexed by the future dates/steps (`Forecaster.predict()`),
            or the DataFrame of `Forecaster.predict(intervals=result)` (its bands are drawn). Optional. Its
            q<level> columns (`Forecaster(quantiles=...)`): the band between the lowest and highest is hatched.
        backtest: a `BacktestResult` or its ``forecasts`` DataFrame (columns 'fold', 'time'
            and `model_column`), optional. Each fold is joined to the observation at its origin.
        ax: the Axes to draw on; None: a new figure.
        title: the title (default: the series' name).
        model_column: the backtest column holding the model's forecasts.
        intervals: a DataFrame indexed like `forecast` with lower_<level>/upper_<level> columns (e.g.
            lower_80, upper_80, lower_95, upper_95, beside 'forecast', as `Forecaster.predict(intervals=...)`
            returns): one shaded band per level. Unbounded steps (too few backtest errors) are not drawn
            and the legend says so.
        units: the values' units, written after the name on the y axis ("Passengers (thousands)").
        season: the seasonal period in rows (or several, e.g. (24, 168): the longest counts); default:
            the backtest's, else the calendar's.
        seasons: how many seasons of history the zoomed view shows at least.
        zoom: None: show the backtest folds with a season before them (at least `seasons` seasons) and the
            forecast, when that is under 60 % of the history, else all of it; False: the whole history; an integer n: the last
            n rows.
        overview: draw the whole history small, the zoomed part shaded: on a new figure a short panel
            above the main one, on a given `ax` an inset. Default: on a new figure, when zoomed.
    Returns the main Axes (the overview, when drawn, is the figure's other Axes).
    """
    import pandas as pd

    p = prepare(history, forecast, intervals, backtest, model_column, season)
    seasons = check_choice("seasons", seasons, allow_none=False)
    if zoom is not None and not isinstance(zoom, bool):
        check_choice("zoom", zoom)
    if overview is not None and not isinstance(overview, bool):
        raise ValueError(f"`overview` must be True, False or None; received {overview!r}.")
    start = zoom_start(p, zoom, seasons)
    if overview is None:
        overview = ax is None and start > 0
    over_ax = None
    if ax is None:
        fig = pyplot().figure(figsize=(11, 6.4 if overview else 5.2), layout="constrained")
        if overview:
            grid = fig.add_gridspec(2, 1, height_ratios=(1, 4))
            over_ax, ax = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
        else:
            ax = fig.add_subplot()
    elif overview:
        over_ax = ax.inset_axes((0.01, 0.70, 0.30, 0.28))
    draw_series(ax, p, start)
    if isinstance(forecast, pd.DataFrame):
        draw_quantile_band(ax, p, forecast)
    if over_ax is not None:
        draw_overview(over_ax, p, start)
        if p.dates:
            date_axis(over_ax, max_ticks=6, small=True)
    if p.dates:
        date_axis(ax)
    shown = len(p.y) - start
    ax.set_title(title or (f"{p.name}" if p.name is not None else "forecast"))
    if p.positions:
        ax.set_xlabel("row (the dates are irregular)")
    else:
        index_name = getattr(getattr(history, "index", None), "name", None)
        ax.set_xlabel(index_name or ("date" if p.dates else "time"))
    ax.set_ylabel(value_label(p.name, units))
    if start > 0:
        ax.text(0.0, 1.0, f"last {shown} of {len(p.y)} rows", transform=ax.transAxes, fontsize=8, color="0.35",
                ha="left", va="bottom")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0.0)
    return ax
