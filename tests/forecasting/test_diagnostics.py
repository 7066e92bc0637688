"""Repeated runs, time-series k-fold and the final model: every run's curves kept, scores honest."""

import numpy as np
import pytest

from lstmkit.data import TimeSeriesSplit, univariate_windows
from lstmkit.forecasting import mae, repeat_runs, time_series_cv, train_final
from lstmkit.layers import LSTM, Dense, Input
from lstmkit.models import Sequential

X, Y = univariate_windows(np.sin(np.arange(80) / 4.0), 6)


def build():
    model = Sequential([Input((6, 1)), LSTM(3), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.fixture(scope="module")
def runs():
    return repeat_runs(build, X, Y, n=3, validation_split=0.2, epochs=4, batch_size=16, keep_models=True)


def test_repeat_runs_keeps_every_curve_and_scores_by_validation_loss(runs):
    assert len(runs.histories) == 3 and len(runs.models) == 3
    for h in runs.histories:
        assert len(h["loss"]) == 4 and len(h["val_loss"]) == 4
    cut = len(X) - round(0.2 * len(X))  # the latest windows validate
    for model, score in zip(runs.models, runs.scores):
        assert score == pytest.approx(float(model.evaluate(X[cut:], Y[cut:], verbose=0)), rel=1e-5)
    assert runs.mean == pytest.approx(np.mean(runs.scores))
    assert runs.std == pytest.approx(np.std(runs.scores, ddof=1))
    assert len(set(np.round(runs.scores, 8))) == 3  # different seeds, different runs
    curves = runs.curves("val_loss")
    assert list(curves.columns) == ["0", "1", "2"] and curves.shape == (4, 3)


def test_repeat_runs_reproducible_with_a_score_function(runs):
    cut = len(X) - round(0.2 * len(X))
    again = repeat_runs(build, X[:cut], Y[:cut], n=1, validation_data=(X[cut:], Y[cut:]), epochs=4, batch_size=16,
                        score=mae)
    np.testing.assert_allclose(again.histories[0]["loss"], runs.histories[0]["loss"], rtol=1e-6)
    pred = runs.models[0].predict(X[cut:], verbose=0)
    assert again.scores[0] == pytest.approx(mae(Y[cut:], pred), rel=1e-5)


def test_time_series_cv_folds_follow_time_series_split():
    from lstmkit.callbacks import Callback

    class TrainSize(Callback):
        sizes = []

        def on_train_begin(self, logs=None):
            TrainSize.sizes.append(self.params["steps"])  # batch_size=1: steps == training windows

    y2 = np.stack([Y, Y], axis=1)  # two-step targets: consecutive windows share a row -> gap 1 by default
    result = time_series_cv(_two_step, X, y2, n_splits=2, epochs=1, batch_size=1, callbacks=[TrainSize()],
                            keep_models=True)
    folds = list(TimeSeriesSplit(2, gap=1).split(len(X)))
    assert TrainSize.sizes == [len(train) for train, _ in folds] == [len(X) - 2 * (len(X) // 3) - 1,
                                                                      len(X) - len(X) // 3 - 1]
    for (train, test), model, score in zip(folds, result.models, result.scores):
        assert score == pytest.approx(float(model.evaluate(X[test], y2[test], verbose=0)), rel=1e-5)
    assert [len(h["loss"]) for h in result.histories] == [1, 1]


def _two_step():
    model = Sequential([Input((6, 1)), LSTM(3), Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_train_final_uses_all_data_and_errors():
    model, history = train_final(build, X, Y, epochs=2, batch_size=len(X))
    assert len(history["loss"]) == 2 and "val_loss" not in history
    with pytest.raises(ValueError, match="needs `validation_data` or a `validation_split`"):
        repeat_runs(build, X, Y, n=1)
    with pytest.raises(ValueError, match="must return a new compiled lstmkit Model"):
        repeat_runs(lambda: Sequential([Input((6, 1)), Dense(1)]), X, Y, n=1, validation_split=0.2)
