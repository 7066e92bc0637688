"""fit_many: n models of one architecture trained as one compiled program give what n separate fits give."""

import numpy as np
import pytest

import lstmkit
from lstmkit import callbacks as C
from lstmkit import layers as L
from lstmkit.ensemble import CannotTrainTogether, fit_many
from lstmkit.forecasting import repeat_runs, time_series_cv
from lstmkit.models import Sequential
from lstmkit.training import programs

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 5, 2)).astype(np.float32)
Y = RNG.normal(size=(60, 1)).astype(np.float32)


def _build(dropout=0.0):
    def build():
        m = Sequential([L.Input((5, 2)), L.LSTM(4, dropout=dropout), L.Dense(1)])
        m.compile("adam", "mse", metrics=["mae"])
        return m
    return build


def _alone(build, seed, x, y, **fit):
    lstmkit.utils.set_random_seed(seed)
    m = build()
    h = m.fit(x, y, verbose=0, **fit)
    return m, h.history


def _same(model, history, ref_model, ref_history, tol=1e-5):
    assert history.keys() == ref_history.keys()
    for k in ref_history:
        np.testing.assert_allclose(history[k], ref_history[k], rtol=tol, atol=1e-7)
    for a, b in zip(model.get_weights(), ref_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=tol, atol=1e-6)


def test_shared_data_with_shuffle_dropout_and_validation_split_equals_separate_fits():
    build = _build(dropout=0.2)
    fit = dict(epochs=3, batch_size=8, validation_split=0.25)
    res = fit_many(build, X, Y, n=3, seed=10, **fit)
    assert len(res.models) == len(res.histories) == 3
    for i in range(3):
        ref, hist = _alone(build, 10 + i, X, Y, **fit)
        _same(res.models[i], res.histories[i].history, ref, hist)
    # the models differ from each other (own initial weights, orders and dropout keys)
    assert not np.allclose(res.models[0].get_weights()[0], res.models[1].get_weights()[0])


def test_per_model_data_of_different_sizes_sample_weights_and_early_stopping():
    build = _build()
    sizes = [20, 33, 47]
    ds = [(X[:k], Y[:k], RNG.uniform(size=k).astype(np.float32)) for k in sizes]
    vds = [(X[k:k + 9], Y[k:k + 9]) for k in sizes]
    es = C.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    res = fit_many(build, datasets=ds, epochs=25, batch_size=8, validation_data=vds, seed=3, callbacks=[es])
    lengths = []
    for i, (x, y, w) in enumerate(ds):
        ref, hist = _alone(build, 3 + i, x, y, sample_weight=w, epochs=25, batch_size=8, validation_data=vds[i],
                           callbacks=[C.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)])
        _same(res.models[i], res.histories[i].history, ref, hist)
        lengths.append(len(hist["loss"]))
    assert len(set(lengths)) > 1  # the models stopped at different epochs; the others went on
    assert es.model is None or es.model not in res.models  # each model had its own copy


def test_one_program_for_all_models():
    build = _build()
    fit_many(build, X, Y, n=2, epochs=1, batch_size=10)
    before = programs.trace_count()
    fit_many(build, X, Y, n=2, epochs=2, batch_size=10)
    assert programs.trace_count() == before


def test_learning_rate_callbacks_act_per_model():
    build = _build()
    cb = C.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=1e9)
    res = fit_many(build, X, Y, n=2, epochs=3, batch_size=20, seed=1, callbacks=[cb])
    for i in range(2):
        ref, hist = _alone(build, 1 + i, X, Y, epochs=3, batch_size=20,
                           callbacks=[C.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=1e9)])
        _same(res.models[i], res.histories[i].history, ref, hist)


def test_what_cannot_be_trained_together_says_so():
    with pytest.raises(CannotTrainTogether, match="one architecture"):
        units = iter([3, 4])

        def build():
            m = Sequential([L.Input((5, 2)), L.LSTM(next(units)), L.Dense(1)])
            m.compile("adam", "mse")
            return m

        fit_many(build, X, Y, n=2)
    with pytest.raises(CannotTrainTogether, match="batch_size"):
        fit_many(_build(), datasets=[(X[:5], Y[:5]), (X, Y)], batch_size=8)
    with pytest.raises(ValueError, match="compiled lstmkit Model"):
        fit_many(lambda: None, X, Y, n=2)
    with pytest.raises(ValueError, match="n=..."):
        fit_many(_build(), X, Y, n=0)
    with pytest.raises(ValueError, match="not both"):
        fit_many(_build(), X, Y, datasets=[(X, Y)])


def test_repeat_runs_and_time_series_cv_train_together_with_the_same_results():
    build = _build()
    val = (X[40:], Y[40:])
    together = repeat_runs(build, X[:40], Y[:40], n=3, validation_data=val, epochs=2, batch_size=8, seed=5,
                           keep_models=True)
    one_by_one = repeat_runs(build, X[:40], Y[:40], n=3, validation_data=val, epochs=2, batch_size=8, seed=5,
                             verbose=2, keep_models=True)  # verbose output runs the fits one at a time
    np.testing.assert_allclose(together.scores, one_by_one.scores, rtol=1e-5)
    for a, b in zip(together.histories, one_by_one.histories):
        np.testing.assert_allclose(a["val_loss"], b["val_loss"], rtol=1e-5)
    cv = time_series_cv(build, X, Y, n_splits=3, epochs=2, batch_size=8, seed=2, keep_models=True)
    from lstmkit.data.splits import TimeSeriesSplit

    for k, (train, test) in enumerate(TimeSeriesSplit(3, gap=0).split(len(X))):
        ref, hist = _alone(build, 2 + k, X[train], Y[train], epochs=2, batch_size=8,
                           validation_data=(X[test], Y[test]))
        _same(cv.models[k], cv.histories[k], ref, hist)


def _counting_runs(monkeypatch):
    """Count the compiled calls fit_many makes."""
    from lstmkit.training import engine as engine_mod

    calls = []
    original = engine_mod.Engine.run_many_fn

    def run_many_fn(self, *args, **kwargs):
        fn = original(self, *args, **kwargs)

        def counted(*a):
            calls.append(1)
            return fn(*a)
        return counted

    monkeypatch.setattr(engine_mod.Engine, "run_many_fn", run_many_fn)
    return calls


ES_CASES = {
    "restore": dict(monitor="val_loss", patience=2, restore_best_weights=True),
    "min_delta_and_baseline": dict(monitor="val_loss", patience=1, min_delta=1e-3, baseline=2.0),
    "max_metric_from_epoch": dict(monitor="val_mae", mode="max", patience=1, start_from_epoch=2,
                                  restore_best_weights=True),
    "never_stops": dict(monitor="loss", patience=100),
}


@pytest.mark.parametrize("case", sorted(ES_CASES))
def test_early_stopping_runs_inside_the_program_with_the_callbacks_rule(case, monkeypatch):
    build = _build()
    settings = ES_CASES[case]
    calls = _counting_runs(monkeypatch)
    cbs = [C.EarlyStopping(**settings)]
    res = fit_many(build, X[:40], Y[:40], n=2, epochs=12, batch_size=10, validation_data=(X[40:], Y[40:]),
                   seed=4, callbacks=cbs)
    monkeypatch.undo()
    # Far fewer calls than epochs: the rule ran on the device (an undecided comparison costs one more).
    assert len(calls) <= 3, len(calls)
    for i in range(2):
        ref_cb = C.EarlyStopping(**settings)
        ref, hist = _alone(build, 4 + i, X[:40], Y[:40], epochs=12, batch_size=10,
                           validation_data=(X[40:], Y[40:]), callbacks=[ref_cb])
        _same(res.models[i], res.histories[i].history, ref, hist, tol=0)
        mine = res.histories[i].model  # the model's own callback copy is reached through its History
        assert mine is res.models[i]
    # The callback copies end in the state the callback reaches alone.
    if case == "never_stops":
        assert all(len(h.history["loss"]) == 12 for h in res.histories)


def test_the_stack_shrinks_to_the_models_still_training_with_the_same_numbers(monkeypatch):
    """8 models: 6 with zero sample weights (nothing to learn: their val_loss stops improving at once),
    2 learn a signal and go on. Once no more than 2 of 8 train, the program ends, and the 2 go on as a
    stack of 2, to the same numbers as separate fits."""
    from lstmkit.training import engine as engine_mod
    from lstmkit.training import many_shrink

    signal = np.tanh(X[:, :, :1].sum(axis=1))  # learnable from the windows
    sets = [(X[:45], signal[:45], np.full(45, 1.0 if i in (2, 5) else 0.0, np.float32)) for i in range(8)]
    vals = [(X[45:], signal[45:])] * 8
    sizes = []
    original = engine_mod.Engine.run_many_fn

    def run_many_fn(self, *args, **kwargs):
        fn = original(self, *args, **kwargs)

        def sized(*a):
            sizes.append(len(a[7]))  # `active`: one flag per position
            return fn(*a)
        return sized

    monkeypatch.setattr(engine_mod.Engine, "run_many_fn", run_many_fn)
    monkeypatch.setattr(many_shrink.Plan, "worth_it", lambda self, saved: True)  # whatever the timings
    es = dict(monitor="val_loss", patience=2, restore_best_weights=True)
    res = fit_many(_build(), datasets=sets, validation_data=vals, epochs=40, batch_size=9, seed=20,
                   callbacks=[C.EarlyStopping(**es)])
    monkeypatch.undo()
    assert sizes[0] == 8 and sizes[-1] == 2, sizes  # restacked: the last calls held the 2 models left
    lengths = []
    for i in range(8):
        x, y, w = sets[i]
        ref, hist = _alone(_build(), 20 + i, x, y, sample_weight=w, epochs=40, batch_size=9,
                           validation_data=vals[i], callbacks=[C.EarlyStopping(**es)])
        _same(res.models[i], res.histories[i].history, ref, hist, tol=0)
        lengths.append(len(hist["loss"]))
    assert max(lengths[i] for i in (2, 5)) > max(lengths[i] for i in (0, 1, 3, 4, 6, 7)), lengths


def test_the_stack_shrinks_only_when_the_saved_epochs_outweigh_compiling():
    from lstmkit.training.many_shrink import Plan, bucket

    assert [bucket(k) for k in (1, 2, 3, 4, 5, 8, 9)] == [1, 2, 4, 4, 8, 8, 16]

    class Cb:
        def __init__(self, patience, wait):
            self.patience, self.wait = patience, wait

    plan = Plan(27)
    assert plan.at == 6
    # first call: 2 s compiling, 10 epochs of 27 models in 1.35 s -> 5 ms a model-epoch
    assert plan.after_call(27, [Cb(20, 0)] * 10, 150, 1.35, 10, 2.0) is None  # 10 still train: above 6
    # 5 still train -> a stack of 8; saves (27 - 8) x min(100, 20 - 5 + 20) model-epochs x 5 ms = 3.3 s > 2 s
    assert plan.after_call(27, [Cb(20, 5)] * 5, 100, 1.35, 10, 0.0) == 8
    assert plan.at == 2
    plan = Plan(27)
    plan.after_call(27, [Cb(20, 0)] * 10, 150, 1.35, 10, 2.0)
    # only 3 epochs left: 19 x 3 x 5 ms < 2 s compiling; and never again in this fit
    assert plan.after_call(27, [Cb(20, 5)] * 5, 3, 1.35, 10, 0.0) is None and plan.at == 0
    assert Plan(3).at == 0  # 3 models (a one-series backtest) never shrink
