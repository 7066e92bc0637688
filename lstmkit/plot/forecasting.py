"""Forecasting pictures: every run's train and validation loss together (seed 001's figure),
and a forecast figure (history, backtest forecasts, the future forecast).

Each function draws on `ax` when given and otherwise on a new figure, and returns the Axes
(``ax.figure.savefig(...)`` or `save_figure` writes it). matplotlib is imported only when
a new figure is needed; without a display it uses the Agg backend.
"""

from __future__ import annotations

import os
import sys

import numpy as np

__all__ = ["plot_forecast", "plot_loss_curves", "save_figure"]

TRAIN_COLOR, VAL_COLOR = "tab:blue", "tab:orange"


def _new_axes(figsize):
    import matplotlib

    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless and "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize)
    return ax


def _histories(runs):
    """A list of history dicts from a list of dicts/History objects, or anything with `.histories`."""
    if hasattr(runs, "histories"):
        runs = runs.histories
    elif isinstance(runs, dict) or hasattr(runs, "history"):
        runs = [runs]
    out = []
    for i, run in enumerate(runs):
        hist = run.history if hasattr(run, "history") and isinstance(run.history, dict) else run
        if not isinstance(hist, dict) or "loss" not in hist:
            raise ValueError(f"Run {i} is not a training history with a 'loss' curve; received {run!r}.")
        out.append(hist)
    if not out:
        raise ValueError("plot_loss_curves needs at least one training history.")
    return out


def plot_loss_curves(runs, ax=None, title="model train vs validation loss", logy=False):
    """All runs' train (blue) and validation (orange) loss curves on one Axes.

    Args:
        runs: History objects, ``history.history`` dicts, or a result with ``.histories``
            (`repeat_runs`, `time_series_cv`, `backtest`).
        ax: the Axes to draw on; None: a new figure.
        logy: use a logarithmic loss axis.
    Each run's curves are drawn against epochs 1, 2, ...; the legend names 'train' and
    'validation' once.
    """
    histories = _histories(runs)
    ax = ax if ax is not None else _new_axes((8, 5))
    for i, hist in enumerate(histories):
        loss = np.asarray(hist["loss"], dtype=float)
        ax.plot(np.arange(1, loss.size + 1), loss, color=TRAIN_COLOR, alpha=0.8, label="train" if i == 0 else None)
    labelled = False
    for hist in histories:
        if "val_loss" in hist:
            val = np.asarray(hist["val_loss"], dtype=float)
            ax.plot(np.arange(1, val.size + 1), val, color=VAL_COLOR, alpha=0.8,
                    label=None if labelled else "validation")
            labelled = True
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


def plot_forecast(history, forecast=None, backtest=None, ax=None, title=None, model_column="lstmkit"):
    """The observed series, the backtest forecasts (one line per fold) and the future forecast.

    Args:
        history: the observed series (a pandas Series, or an array).
        forecast: the future forecast (a Series indexed by the future dates/steps), optional.
        backtest: a `BacktestResult` or its ``forecasts`` DataFrame (columns 'fold', 'time'
            and `model_column`), optional.
        ax: the Axes to draw on; None: a new figure.
    """
    import pandas as pd

    series = history if isinstance(history, pd.Series) else pd.Series(np.asarray(history, dtype=float))
    ax = ax if ax is not None else _new_axes((10, 5))
    ax.plot(series.index, series.to_numpy(dtype=float), color="black", linewidth=1.2, label="observed")
    if backtest is not None:
        frame = getattr(backtest, "forecasts", backtest)
        for i, (_, fold) in enumerate(frame.groupby("fold", sort=True)):
            ax.plot(fold["time"], fold[model_column].to_numpy(dtype=float), color=TRAIN_COLOR, linewidth=1.5,
                    label="backtest forecasts" if i == 0 else None)
    if forecast is not None:
        ax.plot(forecast.index, np.asarray(forecast, dtype=float), color="tab:red", linewidth=2, label="forecast")
    ax.set_title(title or (f"{series.name}" if series.name is not None else "forecast"))
    ax.set_xlabel(series.index.name or "time")
    ax.set_ylabel(str(series.name) if series.name is not None else "value")
    ax.legend()
    return ax


def save_figure(ax, path, dpi=100):
    """Write the figure of `ax` (an Axes or a Figure) to `path` and release it."""
    fig = getattr(ax, "figure", ax)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(fig)
    return path
