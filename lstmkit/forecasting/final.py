"""The final model: one rule for `lstmkit forecast` and for Python.

After a backtest, the model that forecasts the future is the backtest's settings (window, horizon,
season as the folds used them) trained on every row, with no held-out part and no early stopping,
for the median of the folds' best epochs. The folds chose how long to train on data they had not
seen; the final fit then learns from the latest rows too, which a validation split would hold back.

    result = Forecaster().backtest(data, target)
    forecast = final_forecaster(Forecaster(), result).fit(data, target).predict()

is what the command line prints and writes. `Forecaster().fit(data).predict()` alone (no backtest)
stops early on its last `validation_split` windows instead: it has no folds to take the epochs from.
"""

from __future__ import annotations

import numpy as np

__all__ = ["final_epochs", "final_forecaster"]


def final_epochs(result) -> int:
    """The median of a `BacktestResult`'s best epochs (at least 1)."""
    best = list(getattr(result, "best_epochs", []) or [])
    if not best:
        raise ValueError("final_forecaster needs a BacktestResult with best epochs (backtest(...) returns one); "
                         f"received {type(result).__name__} without any.")
    return max(1, int(np.median(best)))


def final_forecaster(forecaster, result, **changes):
    """An unfitted copy of `forecaster` for the final fit after the backtest `result` (see the module
    docstring); `changes` are further settings (e.g. ``verbose=1``)."""
    settings = dict(window=result.window, horizon=result.horizon, season=result.season,
                    early_stopping=False, validation_split=0.0, epochs=final_epochs(result))
    return forecaster.clone(**{**settings, **changes})
