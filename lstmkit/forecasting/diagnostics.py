"""Judging a model the way seed 001 does: repeated runs, time-series k-fold, then a final model.

An LSTM's result depends on its random start, so one run says little. `repeat_runs`
trains the same architecture `n` times (seeds ``seed, seed+1, ...``) and keeps every run's
train and validation loss curves (plot them with
`lstmkit.plot.plot_loss_curves`) and its score; `time_series_cv` does the same over
expanding-window folds; `train_final` then fits the chosen architecture on all the data.

`build_fn()` must return a new compiled lstmkit model each time it is called. The data are
windows already (``x``: (samples, timesteps, features)), in time order; scale them on
the training part first (`lstmkit.data`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lstmkit.data.splits import TimeSeriesSplit

__all__ = ["RunsResult", "repeat_runs", "time_series_cv", "train_final"]


@dataclass
class RunsResult:
    """Every run's loss curves and score.

    Attributes:
        histories: one ``History.history`` dict per run ('loss', 'val_loss', ...).
        scores: one score per run (the validation loss, or `score(y_true, y_pred)`).
        mean, std: the scores' mean and standard deviation (ddof=1; 0 for one run).
        models: the trained models, when ``keep_models=True``.
    """

    histories: list
    scores: np.ndarray
    models: list = field(default_factory=list)

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        return float(np.std(self.scores, ddof=1)) if len(self.scores) > 1 else 0.0

    def curves(self, key="loss"):
        """A DataFrame of one column per run (epochs down; shorter runs padded with NaN), as
        seed 001 collects ``history.history['loss']``."""
        import pandas as pd

        return pd.DataFrame({str(i): pd.Series(h[key]) for i, h in enumerate(self.histories) if key in h})

    def summary(self) -> str:
        return f"score over {len(self.scores)} runs: mean {self.mean:.6g}, std {self.std:.6g}, " \
               f"min {np.min(self.scores):.6g}, max {np.max(self.scores):.6g}"


def _check_build(model):
    from lstmkit.models import Model

    if not isinstance(model, Model) or not getattr(model, "compiled", False):
        raise ValueError(f"`build_fn()` must return a new compiled lstmkit Model; it returned {model!r}.")
    return model


def _run(build_fn, seed, x, y, val, epochs, batch_size, score, callbacks, shuffle, verbose):
    from lstmkit.utils import set_random_seed

    set_random_seed(seed)
    model = _check_build(build_fn())
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=val, shuffle=shuffle,
                        callbacks=list(callbacks or []), verbose=verbose)
    return model, dict(history.history), _score(model, val, score)


def _score(model, val, score):
    if score is None:
        result = model.evaluate(val[0], val[1], verbose=0)
        value = result[0] if isinstance(result, (list, tuple)) else result
    else:
        value = score(val[1], model.predict(val[0], verbose=0))
    return float(value)


def _check_n(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; received {value!r}.")


def repeat_runs(build_fn, x, y, n=10, *, validation_data=None, validation_split=0.0, epochs=100, batch_size=32,
                score=None, seed=0, callbacks=None, shuffle=True, keep_models=False, verbose=0) -> RunsResult:
    """Train `n` fresh models on the same data and validation set.

    The validation set is `validation_data` ``(x_val, y_val)``, or the last
    `validation_split` fraction of the windows (in time order; with multi-step targets,
    leave a gap yourself or pass `validation_data`). `score(y_true, y_pred)` (e.g.
    `lstmkit.forecasting.mae`) scores each run on it; None scores by the validation loss.
    """
    _check_n("n", n, 1)
    x, y = np.asarray(x), np.asarray(y)
    if validation_data is None:
        if not 0 < validation_split < 1:
            raise ValueError(f"repeat_runs needs `validation_data` or a `validation_split` in (0, 1); "
                             f"received validation_split={validation_split!r}.")
        cut = len(x) - max(1, int(round(validation_split * len(x))))
        if cut < 1:
            raise ValueError(f"validation_split={validation_split} leaves no training windows out of {len(x)}.")
        x, y, validation_data = x[:cut], y[:cut], (x[cut:], y[cut:])
    val = (np.asarray(validation_data[0]), np.asarray(validation_data[1]))
    together = _fit_together(build_fn, seed, n, epochs, batch_size, shuffle, callbacks, verbose, x=x, y=y,
                             validation_data=val)
    if together is not None:
        return _collect([(m, h, val) for m, h in zip(together.models, together.histories)], score, keep_models)
    histories, scores, models = [], [], []
    for i in range(n):
        model, history, value = _run(build_fn, seed + i, x, y, val, epochs, batch_size, score, callbacks, shuffle,
                                     verbose)
        histories.append(history)
        scores.append(value)
        if keep_models:
            models.append(model)
    return RunsResult(histories, np.array(scores), models)


def _fit_together(build_fn, seed, n, epochs, batch_size, shuffle, callbacks, verbose, **data):
    """The runs trained as one compiled program (`lstmkit.ensemble.fit_many`), or None when they cannot be
    (then they run one by one, with the same seeds and the same results)."""
    from lstmkit.training.many import CannotTrainTogether, fit_many

    if verbose:
        return None  # per-run progress output: one fit at a time
    if any(not type(c).__module__.startswith("lstmkit.") for c in callbacks or []):
        return None  # your callback instance sees every run in turn, as in a loop (fit_many would copy it)
    try:
        return fit_many(build_fn, n=n, epochs=epochs, batch_size=batch_size, shuffle=shuffle,
                        callbacks=list(callbacks or []), seed=seed, **data)
    except CannotTrainTogether:
        return None


def _collect(runs, score, keep_models):
    histories, scores, models = [], [], []
    for model, history, val in runs:
        histories.append(dict(history.history))
        scores.append(_score(model, val, score))
        if keep_models:
            models.append(model)
    return RunsResult(histories, np.array(scores), models)


def time_series_cv(build_fn, x, y, n_splits=5, *, gap=None, test_size=None, max_train_size=None, epochs=100,
                   batch_size=32, score=None, seed=0, callbacks=None, shuffle=True, keep_models=False,
                   verbose=0) -> RunsResult:
    """Expanding-window k-fold over the windows (`lstmkit.data.TimeSeriesSplit`): fold k trains on
    the windows before its test block and is scored on that block (which is its validation set).

    Consecutive windows of a multi-step target share target rows, so `gap` windows are left
    out before each test block; None: ``y.shape[1] - 1`` for 2-D or 3-D `y` (enough for
    multi-step targets; harmlessly conservative for several targets), else 0.
    """
    x, y = np.asarray(x), np.asarray(y)
    if gap is None:
        gap = y.shape[1] - 1 if y.ndim >= 2 else 0
    splitter = TimeSeriesSplit(n_splits, gap=gap, test_size=test_size, max_train_size=max_train_size)
    folds = list(splitter.split(len(x)))
    together = _fit_together(build_fn, seed, len(folds), epochs, batch_size, shuffle, callbacks, verbose,
                             datasets=[(x[train], y[train]) for train, _ in folds],
                             validation_data=[(x[test], y[test]) for _, test in folds])
    if together is not None:
        return _collect([(m, h, (x[test], y[test])) for m, h, (_, test) in
                         zip(together.models, together.histories, folds)], score, keep_models)
    histories, scores, models = [], [], []
    for k, (train, test) in enumerate(folds):
        model, history, value = _run(build_fn, seed + k, x[train], y[train], (x[test], y[test]), epochs, batch_size,
                                     score, callbacks, shuffle, verbose)
        histories.append(history)
        scores.append(value)
        if keep_models:
            models.append(model)
    return RunsResult(histories, np.array(scores), models)


def train_final(build_fn, x, y, *, epochs=100, batch_size=32, seed=0, callbacks=None, shuffle=True, verbose=0):
    """The final model (seed 001, section 12): the chosen architecture trained on all the data,
    with no held-out part. Returns ``(model, history_dict)``."""
    from lstmkit.utils import set_random_seed

    set_random_seed(seed)
    model = _check_build(build_fn())
    history = model.fit(np.asarray(x), np.asarray(y), epochs=epochs, batch_size=batch_size, shuffle=shuffle,
                        callbacks=list(callbacks or []), verbose=verbose)
    return model, dict(history.history)
