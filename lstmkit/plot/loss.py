"""Loss curves of repeated runs or backtest folds, paired: each run's train (solid) and validation
(dashed) curves share one colour, and the epoch whose weights were kept is marked.
"""

from __future__ import annotations

import numpy as np

from lstmkit.plot._style import fold_color, new_axes

__all__ = ["plot_loss_curves"]

MAX_NAMED_RUNS = 10  # past this, the legend names the line styles only


def _histories(runs):
    """(history dicts, default labels, best epochs or None, colour groups or None) from dicts/History
    objects, a result with `.histories` (its `.best_epochs` too), or a panel backtest with `.results`
    (coloured by fold, since a colour per series and fold would repeat)."""
    best = None
    kind = "run"
    if hasattr(runs, "results") and isinstance(runs.results, dict) and getattr(runs, "strategy", None) == "global":
        # one model per fold, shared by every series: its curves once per fold
        hists, _, best, _ = _histories(next(iter(runs.results.values())))
        n = len(runs.results)
        return hists, [f"fold {k + 1} (one model, {n} series)" for k in range(len(hists))], best, None
    if hasattr(runs, "results") and isinstance(runs.results, dict):  # a PanelBacktest: every series' folds
        hists, labels, best, groups = [], [], [], []
        for key, result in runs.results.items():
            sub, _, sub_best, _ = _histories(result)
            hists += sub
            labels += [f"{key} fold {k + 1}" for k in range(len(sub))]
            best += sub_best if sub_best is not None else [None] * len(sub)
            groups += list(range(len(sub)))
        return hists, labels, best, groups
    if hasattr(runs, "histories"):
        if hasattr(runs, "forecasts"):  # a BacktestResult: one fit per fold
            kind = "fold"
        best = list(getattr(runs, "best_epochs", None) or []) or None
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
    if best is not None and len(best) != len(out):
        best = None
    return out, [f"{kind} {i + 1}" for i in range(len(out))], best, None


def plot_loss_curves(runs, ax=None, title="model train vs validation loss", logy=False, *, labels=None,
                     best_epochs=None):
    """Every run's train loss (solid) and validation loss (dashed) on one Axes, a colour per run.

    Args:
        runs: History objects, ``history.history`` dicts, a result with ``.histories``
            (`repeat_runs`, `time_series_cv`, `backtest`: then its folds' kept epochs are marked),
            or a `PanelBacktest` (every series' folds, a colour per fold; a global model's folds once each).
        ax: the Axes to draw on; None: a new figure.
        title: the title.
        logy: use a logarithmic loss axis.
        labels: one name per run for the legend (default 'fold 1', ... for a backtest, else 'run 1', ...).
        best_epochs: the epoch (1-based) whose weights each run kept, marked with a dot on its
            validation curve (default: the backtest's ``best_epochs``; without them, each run's lowest
            validation loss is marked as such).
    Each run's curves are drawn against epochs 1, 2, ...; a curve's end is where its training stopped.
    """
    from matplotlib.lines import Line2D

    histories, default_labels, given_best, groups = _histories(runs)
    n = len(histories)
    if labels is None:
        labels = default_labels
    else:
        groups = None  # the runs named one by one: a colour each
        labels = [str(v) for v in labels]
        if len(labels) != n:
            raise ValueError(f"`labels` must name each of the {n} runs; received {len(labels)}.")
    kept = "epoch kept (early stopping)"
    if best_epochs is not None:
        best_epochs = list(best_epochs)
        if len(best_epochs) != n:
            raise ValueError(f"`best_epochs` must give one epoch per run ({n}); received {len(best_epochs)}.")
    elif given_best is not None:
        best_epochs = given_best
    else:
        best_epochs = [int(np.nanargmin(h["val_loss"])) + 1 if _finite(h.get("val_loss")) else None
                       for h in histories]
        kept = "lowest validation loss"
    ax = ax if ax is not None else new_axes((9, 5.2))
    marked = False
    named = set()
    for i, hist in enumerate(histories):
        color = fold_color(i if groups is None else groups[i])
        if groups is not None:  # one legend entry per fold, whatever the number of series
            label = None if groups[i] in named else f"fold {groups[i] + 1} ({groups.count(groups[i])} series)"
            named.add(groups[i])
        else:
            label = labels[i] if n <= MAX_NAMED_RUNS else None
        loss = np.asarray(hist["loss"], dtype=float)
        ax.plot(np.arange(1, loss.size + 1), loss, color=color, alpha=0.9 if groups is None else 0.6, linewidth=1.4,
                label=label)
        curve = loss
        if "val_loss" in hist:
            val = np.asarray(hist["val_loss"], dtype=float)
            ax.plot(np.arange(1, val.size + 1), val, color=color, alpha=0.9 if groups is None else 0.6, linewidth=1.4,
                    linestyle="--")
            curve = val
        epoch = best_epochs[i]
        if epoch is not None:
            epoch = int(epoch)
            if not 1 <= epoch <= curve.size:
                raise ValueError(f"Best epoch {epoch} of {labels[i]} is outside its {curve.size} epochs.")
            ax.plot([epoch], [curve[epoch - 1]], linestyle="none", marker="o", markersize=7, color=color,
                    markeredgecolor="black", zorder=5)
            marked = True
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.grid(True, color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)
    handles, names = ax.get_legend_handles_labels()
    if n > MAX_NAMED_RUNS and groups is None:
        handles, names = [Line2D([], [], color="none")], [f"{n} runs, a colour each"]
    style = [(Line2D([], [], color="0.3", linewidth=1.4), "train (solid)")]
    if any("val_loss" in h for h in histories):
        style.append((Line2D([], [], color="0.3", linewidth=1.4, linestyle="--"), "validation (dashed)"))
    if marked:
        style.append((Line2D([], [], linestyle="none", marker="o", markersize=7, color="0.6",
                             markeredgecolor="black"), kept))
    ax.legend(handles + [h for h, _ in style], names + [s for _, s in style], fontsize=8,
              ncol=2 if len(handles) + len(style) > 6 else 1)
    return ax


def _finite(values):
    return values is not None and np.isfinite(np.asarray(values, dtype=float)).any()
