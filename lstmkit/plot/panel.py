"""A panel's forecasts at a glance: the series with the worst and the best backtest scores side by side,
each with its history's tail, backtest folds, forecast and interval bands, titled with its id and score.
"""

from __future__ import annotations

import numpy as np

from lstmkit.plot._quantiles import draw_quantile_band
from lstmkit.plot._series import check_choice, draw_series, prepare, zoom_start
from lstmkit.plot._style import date_axis, pyplot, value_label

__all__ = ["plot_panel"]

METRICS = ("MAE", "RMSE", "MAPE", "sMAPE", "MASE")  # all lower-is-better


def _split(data, id, target, time):
    """{series id: Series} from a long frame (id, time, target columns), a wide frame (a column per
    series) or a mapping."""
    import pandas as pd

    if isinstance(data, dict):
        return {k: v if isinstance(v, pd.Series) else pd.Series(np.asarray(v, float), name=target)
                for k, v in data.items()}
    if not isinstance(data, pd.DataFrame):
        raise ValueError("`data` must be a long DataFrame (id, time and value columns), a wide one (a column per "
                         f"series) or a dict of Series; received {type(data).__name__}.")
    if id is None:  # wide: one column per series
        if target is not None:
            raise ValueError("`target` names the value column of a long panel; give `id` too (the column naming "
                             "the series), or neither for a wide frame.")
        return {c: data[c].dropna().rename("value") for c in data.columns}
    if target is None:
        raise ValueError("A long panel needs `target`, the value column.")
    missing = [c for c in (id, target, time) if c is not None and c not in data.columns]
    if missing:
        raise ValueError(f"`data` has no column(s) {missing}; its columns are {list(data.columns)}.")
    out = {}
    for key, group in data.groupby(id, sort=False):
        s = group[target]
        if time is not None:
            s = s.set_axis(pd.DatetimeIndex(pd.to_datetime(group[time])), axis=0).sort_index()
            s.index.name = time
        else:
            s = s.reset_index(drop=True)
        out[key] = s.rename(target)
    return out


def _forecasts(forecast, id):
    """{series id: DataFrame indexed by time with 'forecast' (and bounds)} from a long frame or a mapping."""
    import pandas as pd

    if forecast is None:
        return {}
    if isinstance(forecast, dict):
        return forecast
    if not isinstance(forecast, pd.DataFrame) or id is None or id not in forecast.columns:
        raise ValueError("`forecast` must be the long DataFrame of PanelForecaster.predict (an id column, 'time', "
                         "'forecast' and any lower_/upper_ columns), with `id` naming its id column; received "
                         f"{type(forecast).__name__}" + (f" with columns {list(forecast.columns)}"
                                                         if isinstance(forecast, pd.DataFrame) else "") + ".")
    time = "time" if "time" in forecast.columns else None
    out = {}
    for key, group in forecast.groupby(id, sort=False):
        part = group.drop(columns=id)
        out[key] = part.set_index(time) if time else part.reset_index(drop=True)
    return out


def _scores(backtest, metric, model_column):
    """({series id: score}, {series id: BacktestResult}, skipped, mean scores frame or None)."""
    import pandas as pd

    if hasattr(backtest, "results") and hasattr(backtest, "scores"):  # a PanelBacktest
        table = backtest.scores
        if metric not in table.columns:
            raise ValueError(f"`metric` must be one of {list(table.columns)}; received {metric!r}.")
        try:
            column = table.xs(model_column, level="forecaster")[metric]
        except KeyError:
            have = list(table.index.get_level_values("forecaster").unique())
            raise ValueError(f"`model_column` {model_column!r} is not among the backtest's forecasters {have}.") from None
        return column.to_dict(), dict(backtest.results), dict(getattr(backtest, "skipped", {}) or {}), \
            getattr(backtest, "mean_scores", None)
    if isinstance(backtest, (dict, pd.Series)):
        return {k: float(v) for k, v in dict(backtest).items()}, {}, {}, None
    raise ValueError("`backtest` must be a PanelBacktest (PanelForecaster.backtest) or a score per series "
                     f"(a dict or Series); received {type(backtest).__name__}.")


def _pick(scores, worst, best):
    """[(role, id)], the worst first; all series when there are no more than worst + best."""
    ranked = sorted((k for k, v in scores.items() if np.isfinite(v)), key=lambda k: scores[k], reverse=True)
    if len(ranked) <= worst + best:
        return [("", k) for k in ranked]
    return [("worst", k) for k in ranked[:worst]] + [("best", k) for k in ranked[::-1][:best]]


def plot_panel(data, forecast=None, backtest=None, *, id=None, target=None, time=None, metric="MASE",
               model_column="lstmkit", worst=3, best=3, units=None, seasons=2, title=None):
    """A grid of the series with the worst and the best backtest scores: each with its history's tail,
    backtest folds, forecast and interval bands, titled with its id and score.

    Args:
        data: the panel: a long DataFrame (`id`, `time` and `target` columns, as given to
            `PanelForecaster`), a wide one (a column per series, the index as time; leave `id` and
            `target` None) or a dict {id: Series}.
        forecast: `PanelForecaster.predict(...)`'s long DataFrame (the id column, 'time', 'forecast' and
            lower_/upper_ columns), or a dict {id: DataFrame or Series}. Optional.
        backtest: `PanelForecaster.backtest(...)`'s `PanelBacktest` (scores, folds and skipped series), or a
            score per series (a dict or Series; then no folds are drawn).
        id, target, time: the columns of `data` (and `id` of `forecast`).
        metric: which score ranks the series (lower is better): MAE, RMSE, MAPE, sMAPE or MASE.
        model_column: the forecaster whose scores rank the series.
        worst, best: how many of each to show; all series when there are no more than worst + best.
        units: the values' units, for the y axis.
        seasons: how many seasons of history each view shows at least (as `plot_forecast`).
        title: the figure's title (default: the count, the metric and the mean scores).
    Returns the array of Axes, (rows, columns); unused cells are hidden.
    """
    if backtest is None:
        raise ValueError("plot_panel needs `backtest` (a PanelBacktest or a score per series) to choose the worst "
                         "and best series.")
    if metric not in METRICS:
        raise ValueError(f"`metric` must be one of {METRICS}; received {metric!r}.")
    worst = check_choice("worst", worst, minimum=0, allow_none=False)
    best = check_choice("best", best, minimum=0, allow_none=False)
    if worst + best == 0:
        raise ValueError("`worst` and `best` are both 0: there is no series to draw.")
    seasons = check_choice("seasons", seasons, allow_none=False)
    series = _split(data, id, target, time)
    forecasts = _forecasts(forecast, id)
    scores, results, skipped, mean_scores = _scores(backtest, metric, model_column)
    unknown = [k for k in scores if k not in series]
    if unknown:
        raise ValueError(f"`backtest` scores series {unknown[:5]} that `data` does not hold; `data` holds "
                         f"{list(series)[:10]}.")
    chosen = _pick(scores, worst, best)
    if not chosen:
        raise ValueError(f"No series has a finite {metric} score to rank by.")
    # Each view is prepared before anything is drawn, so a bad series fails before a figure exists.
    views = [(role, key, prepare(series[key], forecasts.get(key), None,
                                 results.get(key), model_column, None)) for role, key in chosen]
    roles = [r for r, _, _ in views]
    if roles[0]:
        cols = max(worst, best)
        cells = [(0, i) for i in range(worst)] + [(1, i) for i in range(best)]
        rows = 2 if worst and best else 1
        if not worst:
            cells = [(0, i) for i in range(best)]
    else:
        cols = min(3, len(views))
        rows = -(-len(views) // cols)
        cells = [(i // cols, i % cols) for i in range(len(views))]
    fig = pyplot().figure(figsize=(4.3 * cols + 0.4, 3.1 * rows + 1.1), layout="constrained")
    axes = np.array(fig.subplots(rows, cols, squeeze=False))
    used = set()
    for (role, key, p), (r, c) in zip(views, cells):
        ax = axes[r, c]
        used.add((r, c))
        draw_series(ax, p, zoom_start(p, None, seasons), compact=True)
        if key in forecasts:
            draw_quantile_band(ax, p, forecasts[key], compact=True)
        if p.dates:
            date_axis(ax, max_ticks=5, small=True)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_title(f"{role + ': ' if role else ''}{key}  {metric} {_score(scores[key])}", fontsize=10)
        if c == 0:
            ax.set_ylabel(value_label(p.name, units), fontsize=9)
    for r in range(rows):
        for c in range(cols):
            if (r, c) not in used:
                axes[r, c].set_visible(False)
    handles, labels = _legend_entries(axes, used)
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 7), fontsize=8, frameon=False)
    text = title or _title(scores, metric, model_column, mean_scores, roles, worst, best)
    if skipped:
        names = ", ".join(f"{k} ({why})" for k, why in list(skipped.items())[:3])
        more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        text += f"\nleft out: {names}{more}"
    fig.suptitle(text, fontsize=10)
    return axes


def _legend_entries(axes, used):
    """One legend entry per kind of line (folds by number), from all the views drawn."""
    seen = {}
    for r, c in sorted(used):
        for handle, label in zip(*axes[r, c].get_legend_handles_labels()):
            seen.setdefault(label, handle)
    order = lambda label: (0 if label == "observed" else 2 if label.startswith("backtest") else  # noqa: E731
                           3 if label == "forecast" else 4, label)
    labels = sorted(seen, key=order)
    return [seen[k] for k in labels], labels


def _score(value):
    """A score as the CLI's tables print it (3 decimals), so the picture and the console agree
    (1.196, not 1.2); large scale-dependent scores (MAE of sales in the thousands) without them."""
    return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"


def _title(scores, metric, model_column, mean_scores, roles, worst, best):
    n = len(scores)
    which = f"the {worst} worst and {best} best" if roles[0] else "all"
    text = f"{n} series: {which} by {model_column}'s backtest {metric}"
    if mean_scores is not None and metric in getattr(mean_scores, "columns", ()):
        means = mean_scores[metric]
        parts = [f"{name} {_score(value)}" for name, value in means.items() if np.isfinite(value)]
        text += "\nmean over series: " + ", ".join(parts)
    return text
