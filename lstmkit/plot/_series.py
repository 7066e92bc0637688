"""One series on one Axes, as a forecaster wants to see it: the observations, the backtest folds
(a colour and a marker each, joined to the observation at their origin), the forecast joined to the
last observation with its interval bands, and the view zoomed to the last few seasons.

`plot_forecast` and `plot_panel` both draw through `draw_series`; the checks here turn the
arguments into plain arrays first, so bad input fails with one clear message before anything is drawn.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np

from lstmkit.plot._style import FORECAST_COLOR, OBSERVED_COLOR, fold_color, fold_marker

_BOUND = re.compile(r"^(lower|upper)_(.+)$")
BAND_ALPHAS = (0.32, 0.16, 0.08)  # the narrowest level darkest
# The calendar's season by the leading letters of a pandas frequency, as lstmkit.forecasting.series
# chooses it (not imported from there: that would load the whole forecasting package, JAX included).
CALENDAR_SEASONS = {"MS": 12, "ME": 12, "M": 12, "BMS": 12, "BME": 12, "BM": 12, "QS": 4, "QE": 4, "Q": 4,
                    "BQS": 4, "BQE": 4, "BQ": 4, "W": 52, "D": 7, "B": 5, "C": 5, "h": 24, "H": 24, "bh": 24}
ZOOM_UNLESS_SHOWING = 0.6  # zoom only when the view would show less than this share of the history
OVERVIEW_BIN_ABOVE = 1500  # longer histories are drawn in the overview as a min-max band per bin


@dataclass
class Prepared:
    """Everything `draw_series` needs, checked: x values are dates (datetime64) or numbers."""

    name: object
    x: np.ndarray
    y: np.ndarray
    dates: bool
    folds: list  # [(fold number, x (the origin's first), y (likewise), origin time or None, origin row)]
    fx: np.ndarray | None  # forecast x, the last observation first
    fy: np.ndarray | None
    bands: list  # [(level name, lower, upper)], widest first, each with the last observation first
    season: int | None
    horizon: int
    positions: bool = False  # the history's dates are irregular: x is the row number


def as_series(history, what="history"):
    import pandas as pd

    if isinstance(history, pd.DataFrame):
        if history.shape[1] != 1:
            raise ValueError(f"`{what}` must be one series (a pandas Series or a 1-D array); received a DataFrame "
                             f"with columns {list(history.columns)}: pass the one to draw, e.g. frame[{history.columns[0]!r}].")
        history = history.iloc[:, 0]
    if not isinstance(history, pd.Series):
        values = np.asarray(history)
        if values.ndim != 1:
            raise ValueError(f"`{what}` must be one series (a pandas Series or a 1-D array); received shape {values.shape}.")
        history = pd.Series(values)
    if len(history) == 0:
        raise ValueError(f"`{what}` is empty: there is nothing to draw.")
    try:
        history = history.astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"`{what}` must hold numbers; received values of dtype {history.dtype}.") from None
    if isinstance(history.index, pd.DatetimeIndex) and not history.index.is_monotonic_increasing:
        history = history.sort_index()
    return history


def forecast_frame(forecast, intervals):
    """A DataFrame indexed by the future times with 'forecast' and any lower_/upper_ columns, or None."""
    import pandas as pd

    frame = None
    if forecast is not None:
        if isinstance(forecast, pd.DataFrame):
            if "forecast" not in forecast.columns:
                raise ValueError("`forecast` as a DataFrame must have a 'forecast' column (as Forecaster.predict("
                                 f"intervals=...) returns); received columns {list(forecast.columns)}.")
            frame = forecast.copy()
        elif isinstance(forecast, pd.Series):
            frame = forecast.rename("forecast").to_frame()
        else:
            raise ValueError("`forecast` must be a pandas Series (or DataFrame) indexed by the future times, as "
                             f"Forecaster.predict returns; received {type(forecast).__name__}.")
    if intervals is not None:
        if not isinstance(intervals, pd.DataFrame):
            raise ValueError("`intervals` must be a DataFrame with lower_<level>/upper_<level> columns, as "
                             f"Forecaster.predict(intervals=result) returns; received {type(intervals).__name__}.")
        if frame is None:
            if "forecast" not in intervals.columns:
                raise ValueError("`intervals` needs a 'forecast' column when no `forecast` is given; received "
                                 f"columns {list(intervals.columns)}.")
            frame = intervals.copy()
        else:
            if len(intervals) != len(frame) or not intervals.index.equals(frame.index):
                raise ValueError(f"`intervals` must be indexed by the forecast's {len(frame)} times "
                                 f"({frame.index[0]} .. {frame.index[-1]}); received {len(intervals)} rows "
                                 f"({intervals.index[0] if len(intervals) else '-'} .. "
                                 f"{intervals.index[-1] if len(intervals) else '-'}).")
            if "forecast" in intervals.columns and not np.allclose(
                    intervals["forecast"].to_numpy(float), frame["forecast"].to_numpy(float), equal_nan=True):
                raise ValueError("`intervals` holds a 'forecast' column that differs from `forecast`: its bands "
                                 "belong to another forecast.")
            bounds = [c for c in intervals.columns if isinstance(c, str) and _BOUND.match(c)]
            if bounds and any(isinstance(c, str) and _BOUND.match(c) for c in frame.columns):
                raise ValueError("Both `forecast` and `intervals` hold lower_/upper_ columns: give the bands once.")
            frame = frame.join(intervals[bounds]) if bounds else frame
    if frame is None:
        return None
    if len(frame) == 0:
        raise ValueError("`forecast` is empty: there is nothing to draw.")
    return frame


def interval_levels(frame):
    """[(level name, lower, upper)] from the lower_<L>/upper_<L> columns, widest first; checked."""
    found = {}
    for c in frame.columns:
        m = _BOUND.match(c) if isinstance(c, str) else None
        if m:
            found.setdefault(m.group(2), {})[m.group(1)] = c
    out = []
    for level, sides in found.items():
        if set(sides) != {"lower", "upper"}:
            have = next(iter(sides.values()))
            raise ValueError(f"Interval column {have!r} has no partner: bands need both lower_{level} and "
                             f"upper_{level}.")
        lo = frame[sides["lower"]].to_numpy(float)
        hi = frame[sides["upper"]].to_numpy(float)
        bad = np.flatnonzero(lo > hi)
        if bad.size:
            raise ValueError(f"Interval {level}: lower_{level} is above upper_{level} at row {int(bad[0])} "
                             f"({lo[bad[0]]:g} > {hi[bad[0]]:g}).")
        out.append((level, lo, hi))

    def width(item):
        finite = np.isfinite(item[1]) & np.isfinite(item[2])
        return (int((~finite).sum()), float(np.nansum(np.where(finite, item[2] - item[1], 0.0))))

    return sorted(out, key=width, reverse=True)


def fold_frames(backtest, model_column):
    """[(fold number, DataFrame with 'time' and the model's forecasts)] from a BacktestResult or its frame."""
    import pandas as pd

    if backtest is None:
        return []
    frame = getattr(backtest, "forecasts", backtest)
    if not isinstance(frame, pd.DataFrame):
        raise ValueError("`backtest` must be a BacktestResult or its `forecasts` DataFrame; received "
                         f"{type(backtest).__name__}.")
    missing = [c for c in ("fold", "time", model_column) if c not in frame.columns]
    if missing:
        raise ValueError(f"`backtest` has no column(s) {missing} (model_column={model_column!r}); its columns are "
                         f"{list(frame.columns)}.")
    return [(fold, part.sort_values("time")) for fold, part in frame.groupby("fold", sort=True)]


def check_choice(name, value, minimum=1, allow_none=True):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}{' or None' if allow_none else ''}; "
                         f"received {value!r}.")
    return int(value)


def prepare(history, forecast=None, intervals=None, backtest=None, model_column="lstmkit", season=None):
    import pandas as pd

    series = as_series(history)
    frame = forecast_frame(forecast, intervals)
    folds_in = fold_frames(backtest, model_column)
    if season is None and getattr(backtest, "season", None):
        season = backtest.season
    elif isinstance(season, (tuple, list)):  # several seasons (daily and weekly): the view shows the longest
        season = max(check_choice("season", s) for s in season) if season else None
    season = check_choice("season", season)
    index = series.index
    dates = isinstance(index, pd.DatetimeIndex)
    if season is None and dates:
        season = calendar_season(index)
    y = series.to_numpy(float)
    positions = False
    if frame is not None and dates and not isinstance(frame.index, pd.DatetimeIndex):
        # Irregular dates: the forecaster numbers the future steps 1..horizon; draw everything by row.
        steps = np.asarray(frame.index)
        if not (pd.api.types.is_integer_dtype(frame.index) and np.array_equal(steps, np.arange(1, len(steps) + 1))):
            raise ValueError("`forecast` must be indexed by dates after the history's last date, or by steps "
                             f"1..horizon; received index {list(frame.index[:3])}...")
        positions = True
    elif frame is not None and not dates and isinstance(frame.index, pd.DatetimeIndex):
        raise ValueError("`forecast` is indexed by dates but `history` is not: give the history its dates "
                         "(a Series indexed by a DatetimeIndex).")
    x = np.arange(len(y), dtype=float) if positions else index.to_numpy()
    if positions:
        dates = False

    def at(times):
        """x of backtest times; rows found by position in the history (they are its rows)."""
        times = pd.Index(times)
        pos = index.get_indexer(times)
        if (pos < 0).any():
            raise ValueError(f"`backtest` time {times[pos < 0][0]} is not in `history`'s index: draw the backtest "
                             "over the series it was run on.")
        return pos

    folds = []
    for fold, part in folds_in:
        pos = at(part["time"])
        origin = pos[0] - 1
        values = part[model_column].to_numpy(float)
        fx, fy = x[pos], values
        if origin >= 0:  # joined to the observation at the fold's origin
            fx, fy = np.concatenate([x[origin:origin + 1], fx]), np.concatenate([[y[origin]], fy])
        label = index[origin] if origin >= 0 else None
        folds.append((fold, fx, fy, label, origin))
    fx = fy = None
    bands = []
    horizon = 0
    if frame is not None:
        horizon = len(frame)
        future = (len(y) - 1 + np.arange(1, horizon + 1, dtype=float)) if positions else frame.index.to_numpy()
        fx = np.concatenate([x[-1:], future])
        fy = np.concatenate([y[-1:], frame["forecast"].to_numpy(float)])
        for level, lo, hi in interval_levels(frame):
            bands.append((level, np.concatenate([y[-1:], lo]), np.concatenate([y[-1:], hi])))
    elif folds:
        horizon = max(len(f[1]) - 1 for f in folds)
    return Prepared(series.name, x, y, dates, folds, fx, fy, bands, season, horizon, positions)


def calendar_season(index):
    """The calendar's season of a DatetimeIndex (12 for monthly data, 24 for hourly, ...), or None."""
    import pandas as pd

    freq = index.freq
    if freq is None and len(index) >= 3:
        with warnings.catch_warnings():
            # pandas 3 announces that infer_freq will return an offset; either works with to_offset.
            warnings.filterwarnings("ignore", message=".*infer_freq.*")
            try:
                freq = pd.infer_freq(index)
            except (TypeError, ValueError):
                freq = None
    if freq is None:
        return None
    offset = pd.tseries.frequencies.to_offset(freq)
    if offset.n != 1:  # every 2 hours, every 3 days, ...: no simple calendar season
        return None
    return CALENDAR_SEASONS.get(str(offset.rule_code).split("-")[0])


def zoom_start(p, zoom, seasons):
    """The first history row the main view shows (0: all of it)."""
    n = len(p.y)
    if zoom is False:
        return 0
    if zoom is not None and zoom is not True:
        return max(n - check_choice("zoom", zoom), 0)
    period = p.season if p.season and p.season > 1 else max(p.horizon, 10)
    backtest_rows = n - min(f[4] for f in p.folds) if p.folds else 0
    context = max(seasons * period, backtest_rows + period, 3 * p.horizon)
    return 0 if context >= ZOOM_UNLESS_SHOWING * n else n - context


def _limits(lo, hi, pad):
    span = hi - lo
    span = span if span > 0 else (abs(hi) or 1.0)
    return lo - pad * span, hi + pad * span


def draw_series(ax, p, start=0, compact=False, legend_origin=True):
    """Draw prepared series `p` on `ax`, showing rows `start`.. of the history and everything after."""
    import matplotlib.dates as mdates

    lw = 0.9 if compact else 1.2
    ax.plot(p.x, p.y, color=OBSERVED_COLOR, linewidth=lw, label="observed", zorder=3)
    shown = [p.y[start:]]
    for i, (fold, fx, fy, origin, _) in enumerate(p.folds):
        first = 1 if origin is not None else 0  # the joining point at the origin gets no mark
        every = max(1, (len(fy) - first) // 12)  # a dozen marks per fold at most, so long horizons stay lines
        when = f" (origin {_fmt(origin)})" if legend_origin and origin is not None and not compact else ""
        ax.plot(fx, fy, color=fold_color(i), linewidth=1.1 if compact else 1.5, marker=fold_marker(i),
                markersize=2.5 if compact else 4, markevery=slice(first, None, every), label=f"backtest fold {fold}{when}",
                zorder=4)
        shown.append(fy)
    if p.fx is not None:
        for k, (level, lo, hi) in enumerate(p.bands):
            finite = np.isfinite(lo) & np.isfinite(hi)
            alpha = BAND_ALPHAS[min(len(p.bands) - 1 - k, len(BAND_ALPHAS) - 1)]
            # Unbounded (too few backtest errors for the level): said so, never drawn as a narrow band.
            note = "" if finite.all() else " (unbounded steps not drawn)" if finite[1:].any() else " (unbounded, not drawn)"
            ax.fill_between(p.fx, np.where(finite, lo, np.nan), np.where(finite, hi, np.nan), where=finite,
                            color=FORECAST_COLOR, alpha=alpha, linewidth=0, label=f"{level}% interval{note}",
                            zorder=2)
            shown += [lo[finite], hi[finite]]
        ax.plot(p.fx, p.fy, color=FORECAST_COLOR, linewidth=1.6 if compact else 2.0, label="forecast", zorder=5)
        shown.append(p.fy)
        ax.axvline(p.x[-1], color="0.55", linewidth=0.8, linestyle=":", zorder=1)
    # The view: the shown history rows and everything drawn after them, with a little room around.
    right = p.fx[-1] if p.fx is not None else (max(f[1][-1] for f in p.folds) if p.folds else p.x[-1])
    left = p.x[start]
    to_num = (lambda v: mdates.date2num(v)) if p.dates else float
    x0, x1 = _limits(to_num(left), to_num(right), 0.015)
    ax.set_xlim(x0, x1)
    values = np.concatenate([np.asarray(v, float).ravel() for v in shown])
    values = values[np.isfinite(values)]
    if values.size:
        ax.set_ylim(*_limits(values.min(), values.max(), 0.06))
    ax.grid(True, color="0.9", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)


def draw_overview(ax, p, start, compact=False):
    """The whole history, small: binned to a min-max band when long, the zoomed part shaded."""
    import matplotlib.dates as mdates

    n = len(p.y)
    if n > OVERVIEW_BIN_ABOVE:
        size = int(np.ceil(n / 500))
        m = n // size * size
        blocks = p.y[:m].reshape(-1, size)
        bx = p.x[:m:size]
        with warnings.catch_warnings():  # a bin of missing values only is a gap, not a problem
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi, mid = np.nanmin(blocks, 1), np.nanmax(blocks, 1), np.nanmean(blocks, 1)
        ax.fill_between(bx, lo, hi, color="0.75", linewidth=0, label=f"range per {size} rows")
        ax.plot(bx, mid, color=OBSERVED_COLOR, linewidth=0.7, label=f"mean per {size} rows")
        if m < n:
            ax.plot(p.x[m - 1:], p.y[m - 1:], color=OBSERVED_COLOR, linewidth=0.7)
    else:
        ax.plot(p.x, p.y, color=OBSERVED_COLOR, linewidth=0.8)
    if p.fx is not None:
        ax.plot(p.fx, p.fy, color=FORECAST_COLOR, linewidth=1.0)
    right = p.fx[-1] if p.fx is not None else p.x[-1]
    ax.axvspan(p.x[start], right, color="tab:blue", alpha=0.12, linewidth=0, label="shown below")
    to_num = (lambda v: mdates.date2num(v)) if p.dates else float
    ax.set_xlim(*_limits(to_num(p.x[0]), to_num(right), 0.01))
    ax.tick_params(labelsize=7)
    ax.set_yticks([])
    ax.set_title(f"whole history, {n} rows (the shaded part is shown below)", fontsize=8, loc="left")


def _fmt(when):
    text = str(when)
    return text[:10] if text.endswith("00:00:00") else text
