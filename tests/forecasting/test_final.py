"""The final model's rule, shared by the command line and Python (forecasting/final.py)."""

import pytest

from lstmkit.forecasting import Forecaster
from lstmkit.forecasting.backtest import BacktestResult
from lstmkit.forecasting.final import final_epochs, final_forecaster


def result(best):
    return BacktestResult(None, None, None, best_epochs=best, season=12, window=24, horizon=6)


def test_the_final_forecaster_trains_on_every_row_for_the_median_best_epoch():
    f = final_forecaster(Forecaster(units=4, seed=2), result([3, 9, 5]), verbose=1)
    assert (f.window, f.horizon, f.season, f.epochs) == (24, 6, 12, 5)
    assert (f.early_stopping, f.validation_split, f.units, f.seed, f.verbose) == (False, 0.0, 4, 2, 1)
    assert final_epochs(result([4, 5])) == 4
    with pytest.raises(ValueError, match="needs a BacktestResult with best epochs"):
        final_forecaster(Forecaster(), result([]))
