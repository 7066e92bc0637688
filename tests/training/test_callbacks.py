"""Callbacks, driven by hand with a fake model (no JAX compiles); Keras 3's callbacks are the oracle."""

import io
import itertools
import sys

import numpy as np
import pytest

from lstmkit import callbacks as cb_mod
from lstmkit.callbacks import (
    CallbackList,
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgbarLogger,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from lstmkit.callbacks.progbar_logger import format_duration, format_value


# --------------------------------------------------------------------------- fakes and drivers
class FakeOptimizer:
    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate


class FakeModel:
    """The model interface callbacks rely on. `get_weights` returns the live arrays on purpose."""

    def __init__(self, learning_rate=0.01):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self._w = [np.zeros(2), np.zeros((2, 2))]
        self.saved = []

    def get_weights(self):
        return list(self._w)

    def set_weights(self, weights):
        self._w = [np.array(w) for w in weights]

    def save(self, path, overwrite=True):
        self.saved.append(("model", path, overwrite))
        with open(path, "w") as f:
            f.write("model")

    def save_weights(self, path, overwrite=True):
        self.saved.append(("weights", path, overwrite))
        with open(path, "w") as f:
            f.write("weights")


class CopyingModel(FakeModel):
    """Returns copies from get_weights (Keras's EarlyStopping stores what it gets without copying)."""

    def get_weights(self):
        return [w.copy() for w in self._w]


def drive(cbs, model, epoch_logs, batches=0, mutate_in_place=True):
    """Run a fake training loop the way lstmkit's engine does; returns the number of epochs run."""
    model.stop_training = False
    cbs.on_train_begin()
    last, ran = {}, 0
    for epoch, logs in enumerate(epoch_logs):
        cbs.on_epoch_begin(epoch)
        for b in range(batches):
            cbs.on_train_batch_begin(b)
            cbs.on_train_batch_end(b, {"loss": logs.get("loss", 0.0)})
        if mutate_in_place:
            model._w[0] += 1.0  # "training" changes the weights in place
        else:
            model._w = [model._w[0] + 1.0, model._w[1]]
        cbs.on_epoch_end(epoch, dict(logs))
        last, ran = logs, ran + 1
        if model.stop_training:
            break
    cbs.on_train_end(last)
    return ran


def keras_callbacks():
    return pytest.importorskip("keras").callbacks


def drive_keras(callback, model, epoch_logs, batches=0):
    kc = keras_callbacks()
    return drive(kc.CallbackList([callback], model=model), model, epoch_logs, batches, mutate_in_place=False)


def val_loss_logs(values):
    return [{"loss": 1.0, "val_loss": v} for v in values]


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = FakeClock()
    monkeypatch.setattr(ProgbarLogger, "_clock", staticmethod(c))
    return c


class TTYBuffer(io.StringIO):
    def isatty(self):
        return True


# --------------------------------------------------------------------------- EarlyStopping
SEQUENCES = {
    "bumpy": [1.0, 0.8, 0.79, 0.81, 0.78, 0.9, 0.95, 0.77, 0.99, 1.0, 1.1, 1.2],
    "flat": [1.0] * 8,
    "slow": [1.0, 0.99, 0.985, 0.98, 0.979, 0.978, 0.95, 0.949, 0.948],
    "nan": [1.0, float("nan"), 0.9, 0.95, 0.96, 0.97, 0.98],
}
GRID = list(itertools.product([0, 1, 3], [0, 0.02], [None, 0.85], [0, 2], [False, True]))


@pytest.mark.parametrize("name", sorted(SEQUENCES))
@pytest.mark.parametrize("mode", ["auto", "min"])
def test_early_stopping_matches_keras_min(name, mode):
    kc = keras_callbacks()
    logs = val_loss_logs(SEQUENCES[name])
    stops = 0
    for patience, min_delta, baseline, start, restore in GRID:
        kwargs = dict(monitor="val_loss", patience=patience, min_delta=min_delta, mode=mode, baseline=baseline,
                      start_from_epoch=start, restore_best_weights=restore)
        ours, theirs = EarlyStopping(**kwargs), kc.EarlyStopping(**kwargs)
        m1, m2 = FakeModel(), CopyingModel()
        n1 = drive(CallbackList([ours], model=m1), m1, logs)
        n2 = drive_keras(theirs, m2, logs)
        where = f"{name} {kwargs}"
        assert n1 == n2, where
        stops += n1 < len(logs)
        assert (ours.stopped_epoch, ours.best_epoch, ours.wait) == (theirs.stopped_epoch, theirs.best_epoch,
                                                                   theirs.wait), where
        assert (ours.best is None) == (theirs.best is None), where
        if ours.best is not None:
            np.testing.assert_equal(float(ours.best), float(theirs.best), err_msg=where)
        for a, b in zip(m1.get_weights(), m2.get_weights()):
            np.testing.assert_array_equal(a, b, err_msg=where)
    assert stops > 0


def test_early_stopping_matches_keras_max():
    kc = keras_callbacks()
    acc = [0.5, 0.6, 0.6, 0.65, 0.64, 0.7, 0.69, 0.68, 0.67, 0.66, 0.9]
    logs = [{"loss": 1.0, "val_accuracy": a} for a in acc]
    for patience, min_delta, baseline, start, restore in GRID:
        baseline = None if baseline is None else 0.62
        kwargs = dict(monitor="val_accuracy", patience=patience, min_delta=min_delta, mode="max",
                      baseline=baseline, start_from_epoch=start, restore_best_weights=restore)
        ours, theirs = EarlyStopping(**kwargs), kc.EarlyStopping(**kwargs)
        m1, m2 = FakeModel(), CopyingModel()
        assert drive(CallbackList([ours], model=m1), m1, logs) == drive_keras(theirs, m2, logs), kwargs
        assert (ours.stopped_epoch, ours.best_epoch, ours.best) == (theirs.stopped_epoch, theirs.best_epoch,
                                                                   theirs.best), kwargs
        for a, b in zip(m1.get_weights(), m2.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_early_stopping_hand_checked():
    # patience=2: best at epoch 1 (0.5); epochs 2, 3 do not improve -> stop after epoch 3 (index).
    es = EarlyStopping(monitor="val_loss", patience=2)
    m = FakeModel()
    assert drive(CallbackList([es], model=m), m, val_loss_logs([1.0, 0.5, 0.6, 0.7, 0.1])) == 4
    assert (es.stopped_epoch, es.best_epoch, es.best, es.wait) == (3, 1, 0.5, 2)
    assert m.stop_training
    # min_delta: 0.5 -> 0.45 is an improvement of less than 0.1, so it does not count.
    es = EarlyStopping(monitor="val_loss", patience=1, min_delta=0.1)
    m = FakeModel()
    assert drive(CallbackList([es], model=m), m, val_loss_logs([0.5, 0.45, 0.44, 0.2])) == 2
    assert (es.stopped_epoch, es.best) == (1, 0.5)
    es = EarlyStopping(monitor="val_loss", patience=1, min_delta=0.01)
    m = FakeModel()
    assert drive(CallbackList([es], model=m), m, val_loss_logs([0.5, 0.45, 0.44, 0.2])) == 3
    # start_from_epoch: nothing is monitored before epoch 3.
    es = EarlyStopping(monitor="val_loss", patience=0, start_from_epoch=3)
    m = FakeModel()
    assert drive(CallbackList([es], model=m), m, val_loss_logs([1, 2, 3, 4, 5, 6])) == 5
    # baseline: improvements that do not beat it do not reset the patience counter ...
    es = EarlyStopping(monitor="val_loss", patience=2, baseline=0.1)
    m = FakeModel()
    assert drive(CallbackList([es], model=m), m, val_loss_logs([0.5, 0.6, 0.7, 0.2])) == 2
    # ... but (as in Keras) an epoch that improves on the best never stops training.
    es = EarlyStopping(monitor="val_loss", patience=2, baseline=0.1)
    m = FakeModel()
    assert drive(CallbackList([es], model=m), m, val_loss_logs([0.5, 0.4, 0.3, 0.2])) == 4


def test_early_stopping_restores_copies_of_best_weights(capsys):
    es = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True, verbose=1)
    m = FakeModel()  # get_weights returns live arrays, which the fake then changes in place
    ran = drive(CallbackList([es], model=m), m, val_loss_logs([1.0, 0.5, 0.6, 0.7, 0.8]))
    assert ran == 4 and es.best_epoch == 1
    np.testing.assert_array_equal(m.get_weights()[0], [2.0, 2.0])  # the weights after epoch index 1
    assert capsys.readouterr().out == (
        "Epoch 4: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
    )


def test_early_stopping_messages_match_keras(capsys):
    kc = keras_callbacks()
    logs = val_loss_logs([1.0, 0.5, 0.6, 0.7, 0.8])
    kw = dict(monitor="val_loss", patience=2, restore_best_weights=True, verbose=1)
    m = FakeModel()
    drive(CallbackList([EarlyStopping(**kw)], model=m), m, logs)
    ours = capsys.readouterr().out
    m = CopyingModel()
    drive_keras(kc.EarlyStopping(**kw), m, logs)
    assert ours == capsys.readouterr().out


def test_early_stopping_missing_monitor_warns_with_available_keys():
    es = EarlyStopping(monitor="val_acc")
    m = FakeModel()
    with pytest.warns(UserWarning, match=r"Early stopping conditioned on metric `val_acc` which is not available. "
                                         r"Available metrics are: loss,val_loss"):
        drive(CallbackList([es], model=m), m, val_loss_logs([1.0, 0.5]))
    assert not m.stop_training


def test_early_stopping_reuse_resets_state():
    es = EarlyStopping(monitor="val_loss", patience=0)
    m = FakeModel()
    assert drive(CallbackList([es], model=m), m, val_loss_logs([1.0, 2.0, 3.0])) == 2
    assert drive(CallbackList([es], model=m), m, val_loss_logs([5.0, 4.0, 3.0])) == 3
    assert es.stopped_epoch == 0 and es.best == 3.0


def test_monitor_mode_auto_and_unknown():
    m = FakeModel()
    for monitor, op in [("val_loss", np.less), ("loss", np.less), ("val_accuracy", np.greater),
                        ("acc", np.greater), ("val_auc", np.greater), ("o1_mae", np.less),
                        ("val_mean_squared_error", np.less), ("precision_1", np.greater),
                        ("out_loss", np.less), ("val_sparse_categorical_accuracy", np.greater)]:
        es = EarlyStopping(monitor=monitor)
        es.set_model(m)
        es._set_monitor_op()
        assert es.monitor_op is op, monitor

    class Metric:
        def __init__(self, name, direction):
            self.name, self._direction = name, direction

    class Container:
        metrics = [Metric("score", "up")]

    model = FakeModel()
    model.metrics = [Container()]
    es = EarlyStopping(monitor="val_score")
    es.set_model(model)
    es._set_monitor_op()
    assert es.monitor_op is np.greater

    es = EarlyStopping(monitor="val_weird")
    es.set_model(m)
    with pytest.raises(ValueError, match="isn't able to automatically determine whether that metric should be "
                                         "maximized or minimized. Pass `mode='max'`"):
        es._set_monitor_op()
    with pytest.warns(UserWarning, match="EarlyStopping mode 'bogus' is unknown, fallback to auto mode."):
        assert EarlyStopping(mode="bogus").mode == "auto"


# --------------------------------------------------------------------------- ReduceLROnPlateau
@pytest.mark.parametrize("kwargs", [
    dict(factor=0.5, patience=1),
    dict(factor=0.5, patience=2, cooldown=2),
    dict(factor=0.1, patience=0, min_lr=0.0005),
    dict(factor=0.2, patience=1, min_delta=0.05, mode="min"),
    dict(factor=0.5, patience=1, monitor="val_accuracy", mode="max"),
])
def test_reduce_lr_on_plateau_matches_keras(kwargs, capsys):
    kc = keras_callbacks()
    values = [1.0, 0.9, 0.95, 0.96, 0.89, 0.97, 0.98, 0.99, 0.85, 0.86, 0.87, 0.88, 0.9]
    monitor = kwargs.get("monitor", "val_loss")
    logs = [{"loss": 1.0, monitor: v} for v in values]
    kwargs = dict(kwargs, verbose=1)

    def lrs(callback_list, model):
        seen = []
        tracker = LambdaCallback(on_epoch_end=lambda e, l: seen.append((model.optimizer.learning_rate,
                                                                        l.get("learning_rate"))))
        callback_list.append(tracker) if hasattr(callback_list, "append") else callback_list.callbacks.append(tracker)
        tracker.set_model(model)
        drive(callback_list, model, logs, mutate_in_place=False)
        return seen

    m1 = FakeModel(learning_rate=0.01)
    ours = lrs(CallbackList([ReduceLROnPlateau(**kwargs)], model=m1), m1)
    out1 = capsys.readouterr().out
    m2 = FakeModel(learning_rate=0.01)
    theirs = lrs(kc.CallbackList([kc.ReduceLROnPlateau(**kwargs)], model=m2), m2)
    out2 = capsys.readouterr().out
    assert ours == theirs
    assert out1 == out2
    assert len({lr for lr, _ in ours}) > 1  # the rate did change


def test_reduce_lr_on_plateau_hand_checked_and_errors():
    rl = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=0)
    m = FakeModel(learning_rate=1.0)
    h = History()
    drive(CallbackList([rl, h], model=m), m, [{"loss": v} for v in [1.0, 1.0, 1.0, 0.5, 0.5]])
    # lr is logged before the reduction of that epoch.
    assert h.history["learning_rate"] == [1.0, 1.0, 0.5, 0.25, 0.25]
    assert m.optimizer.learning_rate == 0.125
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau does not support a factor >= 1.0. Received factor=1.0"):
        ReduceLROnPlateau(factor=1.0)
    rl = ReduceLROnPlateau(monitor="val_loss")
    m = FakeModel()
    with pytest.warns(UserWarning, match="Learning rate reduction is conditioned on metric `val_loss` which is not "
                                         "available. Available metrics are: loss,learning_rate."):
        drive(CallbackList([rl], model=m), m, [{"loss": 1.0}])


# --------------------------------------------------------------------------- LearningRateScheduler
def test_learning_rate_scheduler(capsys):
    m = FakeModel(learning_rate=0.1)
    seen = []
    sched = LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.5, verbose=1)
    probe = LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(m.optimizer.learning_rate))
    cbs = CallbackList([sched, probe], add_history=True, model=m)
    drive(cbs, m, [{"loss": 1.0}] * 4)
    assert seen == [0.1, 0.1, 0.05, 0.025]
    assert cbs.history.history["learning_rate"] == [0.1, 0.1, 0.05, 0.025]
    assert list(cbs.history.history) == ["loss", "learning_rate"]
    out = capsys.readouterr().out
    assert "\nEpoch 3: LearningRateScheduler setting learning rate to 0.05.\n" in out

    # The one-argument API, and NumPy/JAX-style 0-d results.
    m = FakeModel(learning_rate=0.1)
    drive(CallbackList([LearningRateScheduler(lambda epoch: np.float32(0.5) ** epoch)], model=m), m, [{}] * 3)
    assert m.optimizer.learning_rate == 0.25
    m = FakeModel()
    drive(CallbackList([LearningRateScheduler(lambda e, lr: np.asarray(lr * 2))], model=m), m, [{}] * 2)
    assert m.optimizer.learning_rate == pytest.approx(0.04)
    m = FakeModel()
    with pytest.raises(ValueError, match="The output of the `schedule` function should be a float. Got: oops"):
        drive(CallbackList([LearningRateScheduler(lambda e, lr: "oops")], model=m), m, [{}])


# --------------------------------------------------------------------------- ModelCheckpoint
def test_model_checkpoint_filenames_and_save_best_only(tmp_path):
    m = FakeModel()
    pattern = str(tmp_path / "sub" / "m-{epoch:02d}-{val_loss:.2f}.keras")
    drive(CallbackList([ModelCheckpoint(pattern)], model=m), m, val_loss_logs([0.5, 0.25, 0.75]))
    assert [p for _, p, _ in m.saved] == [str(tmp_path / "sub" / n) for n in
                                          ("m-01-0.50.keras", "m-02-0.25.keras", "m-03-0.75.keras")]
    assert all(kind == "model" and overwrite is True for kind, _, overwrite in m.saved)

    m = FakeModel()
    pattern = str(tmp_path / "best-{epoch}.weights.h5")
    ck = ModelCheckpoint(pattern, save_best_only=True, save_weights_only=True)
    drive(CallbackList([ck], model=m), m, val_loss_logs([0.5, 0.6, 0.4, 0.4, 0.3]))
    assert [(k, p) for k, p, _ in m.saved] == [("weights", str(tmp_path / f"best-{e}.weights.h5")) for e in (1, 3, 5)]
    assert ck.best == 0.3

    m = FakeModel()
    ck = ModelCheckpoint(str(tmp_path / "t.keras"), monitor="val_accuracy", mode="max", save_best_only=True,
                         initial_value_threshold=0.7)
    drive(CallbackList([ck], model=m), m, [{"val_accuracy": a} for a in (0.6, 0.8, 0.75, 0.9)])
    assert len(m.saved) == 2


@pytest.mark.filterwarnings("ignore:Can save best model only")  # batch logs hold no val_loss
def test_model_checkpoint_matches_keras(tmp_path, capsys):
    kc = keras_callbacks()
    logs = val_loss_logs([0.5, 0.6, 0.4, 0.4, 0.3])
    for kwargs in [dict(), dict(save_best_only=True), dict(save_freq=3), dict(save_freq=2, save_best_only=True),
                   dict(monitor="loss", save_best_only=True, mode="max", initial_value_threshold=0.5)]:
        name = "c-{epoch:02d}" + ("-{batch}" if "save_freq" in kwargs else "") + ".keras"
        m1, m2 = FakeModel(), FakeModel()
        drive(CallbackList([ModelCheckpoint(str(tmp_path / "a" / name), verbose=1, **kwargs)], model=m1), m1, logs,
              batches=4)
        out1 = capsys.readouterr().out.replace(str(tmp_path / "a"), "<dir>")
        drive_keras(kc.ModelCheckpoint(str(tmp_path / "b" / name), verbose=1, **kwargs), m2, logs, batches=4)
        out2 = capsys.readouterr().out.replace(str(tmp_path / "b"), "<dir>")
        assert [p.replace(str(tmp_path / "a"), "") for _, p, _ in m1.saved] == \
               [p.replace(str(tmp_path / "b"), "") for _, p, _ in m2.saved], kwargs
        assert out1 == out2, kwargs
        assert m1.saved, kwargs


def test_model_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match=r"When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                                         r"provided must end in `.weights.h5` \(Keras weights format\). Received: "
                                         r"filepath=w.keras"):
        ModelCheckpoint("w.keras", save_weights_only=True)
    with pytest.raises(ValueError, match=r"The filepath provided must end in `.keras` \(Keras model format\). "
                                         r"Received: filepath=model.ckpt"):
        ModelCheckpoint("model.ckpt")
    with pytest.raises(ValueError, match="Unrecognized save_freq: batch. Expected save_freq are 'epoch' or integer"):
        ModelCheckpoint("m.keras", save_freq="batch")
    ModelCheckpoint(tmp_path / "pathlike.keras")  # os.PathLike is fine; '.h5' too, as in Keras
    ModelCheckpoint("legacy.h5")
    m = FakeModel()
    with pytest.raises(KeyError, match='Failed to format this callback filepath: "m-{nope}.keras"'):
        drive(CallbackList([ModelCheckpoint("m-{nope}.keras")], model=m), m, val_loss_logs([1.0]))
    m = FakeModel()
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available."):
        drive(CallbackList([ModelCheckpoint(str(tmp_path / "x.keras"), save_best_only=True)], model=m), m,
              [{"loss": 1.0}])
    assert len(m.saved) == 1


# --------------------------------------------------------------------------- CSVLogger
def test_csv_logger_matches_keras_byte_for_byte(tmp_path):
    kc = keras_callbacks()
    cases = [
        ([{"loss": 0.5, "mae": 0.25}, {"loss": 0.125, "mae": np.float32(0.1)}], {}),
        ([{"val_loss": 0.5, "loss": 0.4, "accuracy": 0.75}, {"val_loss": 0.3, "loss": 0.2, "accuracy": 1.0}],
         {"separator": ";"}),
        ([{"loss": 1.0, "vec": np.array([1, 2])}, {"loss": float("nan")}], {}),
    ]
    for i, (logs, kwargs) in enumerate(cases):
        ours, theirs = tmp_path / f"ours{i}.csv", tmp_path / f"theirs{i}.csv"
        m = FakeModel()
        drive(CallbackList([CSVLogger(ours, **kwargs)], model=m), m, logs)
        drive_keras(kc.CSVLogger(str(theirs), **kwargs), FakeModel(), logs)
        assert ours.read_bytes() == theirs.read_bytes(), i
    assert (tmp_path / "ours0.csv").read_bytes() == (
        b"epoch,loss,mae,val_loss,val_mae\r\n0,0.5,0.25,NA,NA\r\n1,0.125,0.10000000149011612,NA,NA\r\n"
    )


def test_csv_logger_append_flush_and_close(tmp_path):
    path = tmp_path / "log.csv"
    m = FakeModel()
    logger = CSVLogger(path)
    cbs = CallbackList([logger], model=m)
    cbs.on_train_begin()
    cbs.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
    assert path.read_bytes() == b"epoch,loss,val_loss\r\n0,0.5,0.75\r\n"  # flushed at once
    cbs.on_train_end()
    assert logger.csv_file.closed
    appender = CSVLogger(path, append=True)
    drive(CallbackList([appender], model=m), m, [{"loss": 0.25, "val_loss": 0.5}])
    assert path.read_bytes() == b"epoch,loss,val_loss\r\n0,0.5,0.75\r\n0,0.25,0.5\r\n"


# --------------------------------------------------------------------------- LambdaCallback / TerminateOnNaN
def test_lambda_callback_calls_and_hook_detection():
    calls = []
    lc = LambdaCallback(on_epoch_begin=lambda e, logs: calls.append(("begin", e)),
                        on_epoch_end=lambda e, logs: calls.append(("end", e, logs["loss"])),
                        on_train_end=lambda logs: calls.append(("train_end", logs["loss"])))
    m = FakeModel()
    cbs = CallbackList([lc], model=m)
    assert not cbs.needs_batch_hooks() and cbs.needs_live_epochs()
    drive(cbs, m, [{"loss": 1.0}, {"loss": 2.0}])
    assert calls == [("begin", 0), ("end", 0, 1.0), ("begin", 1), ("end", 1, 2.0), ("train_end", 2.0)]

    only_end = LambdaCallback(on_train_end=lambda logs: None)
    assert not CallbackList([only_end]).needs_live_epochs()
    assert not CallbackList([only_end]).needs_batch_hooks()

    batches = []
    lb = LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append((batch, logs["loss"])))
    assert CallbackList([lb]).needs_batch_hooks() and CallbackList([lb]).needs_batch_hooks("train")
    assert not CallbackList([lb]).needs_batch_hooks("test")
    drive(CallbackList([lb], model=m), m, [{"loss": 3.0}], batches=2)
    assert batches == [(0, 3.0), (1, 3.0)]

    tested = LambdaCallback(on_test_batch_end=lambda batch, logs: None)
    assert CallbackList([tested]).needs_batch_hooks("test") and not CallbackList([tested]).needs_batch_hooks("train")
    legacy = LambdaCallback(on_batch_end=lambda batch, logs: batches.append(("legacy", batch)))
    assert CallbackList([legacy]).needs_batch_hooks("train")
    CallbackList([legacy]).on_train_batch_end(7, {})
    assert batches[-1] == ("legacy", 7)
    with pytest.warns(UserWarning, match="not callback hooks"):
        LambdaCallback(on_epoch_ends=lambda e, logs: None)


def test_terminate_on_nan(capsys):
    for bad in (float("nan"), float("inf"), -float("inf")):
        m = FakeModel()
        ran = drive(CallbackList([TerminateOnNaN()], model=m), m, [{"loss": 1.0}, {"loss": bad}, {"loss": 1.0}])
        assert ran == 2 and m.stop_training
        assert capsys.readouterr().out == "Epoch 2: Invalid loss, terminating training\n"
    m = FakeModel()
    assert drive(CallbackList([TerminateOnNaN()], model=m), m, [{"loss": 1.0}] * 3) == 3
    m = FakeModel()
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at epoch 1"):
        drive(CallbackList([TerminateOnNaN(raise_error=True)], model=m), m, [{"loss": float("nan")}])
    cbs = CallbackList([TerminateOnNaN()])
    assert cbs.needs_live_epochs() and not cbs.needs_batch_hooks()


# --------------------------------------------------------------------------- engine queries
def test_needs_batch_hooks_and_live_epochs_detection(tmp_path):
    def query(*callbacks, **kw):
        cbs = CallbackList(list(callbacks), add_history=True, add_progbar=True, verbose=1, epochs=1, steps=1)
        return cbs.needs_batch_hooks(), cbs.needs_live_epochs()

    assert query() == (False, False)  # History + ProgbarLogger only
    for live in [EarlyStopping(), ReduceLROnPlateau(), TerminateOnNaN(), CSVLogger(tmp_path / "l.csv"),
                 LearningRateScheduler(lambda e, lr: lr), ModelCheckpoint("m.keras")]:
        assert query(live) == (False, True), type(live).__name__
    assert query(ModelCheckpoint("m.keras", save_freq=5)) == (True, True)

    class EpochUser(Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    class EndOnly(Callback):
        def on_train_end(self, logs=None):
            pass

    class BatchUser(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            pass

    class LegacyBatchUser(Callback):
        def on_batch_end(self, batch, logs=None):
            pass

    class PredictBatchUser(Callback):
        def on_predict_batch_end(self, batch, logs=None):
            pass

    class LiveHistory(History):
        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)

    class ForcedLive(Callback):
        _live_epochs = True

    class CheckpointEveryBatch(ModelCheckpoint):
        def on_train_batch_begin(self, batch, logs=None):
            pass

    class QuietHistory(History):
        pass

    assert query(EpochUser()) == (False, True)
    assert query(EndOnly()) == (False, False)  # nothing of it runs between epochs
    assert query(Callback()) == (False, False)
    assert query(BatchUser()) == (True, False)
    assert query(LegacyBatchUser()) == (True, False)
    assert query(PredictBatchUser()) == (True, False)
    assert CallbackList([PredictBatchUser()]).needs_batch_hooks("predict")
    assert not CallbackList([PredictBatchUser()]).needs_batch_hooks("train")
    assert query(LiveHistory()) == (False, True)
    assert query(QuietHistory()) == (False, False)
    assert query(ForcedLive()) == (False, True)
    assert query(CheckpointEveryBatch("m.keras")) == (True, True)
    with pytest.raises(ValueError, match="needs_batch_hooks"):
        CallbackList([]).needs_batch_hooks("fit")


def test_hook_detection_understands_keras_callbacks():
    kc = keras_callbacks()
    assert CallbackList([kc.EarlyStopping()]).needs_batch_hooks() is False
    assert CallbackList([kc.EarlyStopping()]).needs_live_epochs() is True
    assert CallbackList([kc.LambdaCallback(on_epoch_end=lambda e, logs: None)]).needs_batch_hooks() is False
    assert CallbackList([kc.LambdaCallback(on_train_batch_end=lambda b, logs: None)]).needs_batch_hooks() is True
    assert CallbackList([kc.TerminateOnNaN()]).needs_batch_hooks("train") is True  # Keras checks every batch


def test_callback_list_defaults_params_and_logs():
    m = FakeModel()
    mine = History()
    cbs = CallbackList([mine], add_history=True, add_progbar=True, model=m, verbose=2, epochs=3, steps=5)
    assert cbs.history is mine and sum(isinstance(c, History) for c in cbs.callbacks) == 1
    assert isinstance(cbs.callbacks[-1], ProgbarLogger) and cbs.callbacks[-1].verbose == 2
    assert m.history is mine
    assert cbs.params == {"verbose": 2, "epochs": 3, "steps": 5} and mine.params == cbs.params
    assert mine.model is m and cbs.callbacks[-1].model is m
    assert CallbackList(None, add_history=False).history is None

    received = []
    probe = LambdaCallback(on_epoch_end=lambda e, logs: received.append(logs))
    CallbackList([probe]).on_epoch_end(0, {"loss": np.float32(0.5), "nested": {"a": np.array(2.0)}, "s": "x"})
    assert received == [{"loss": 0.5, "a": 2.0, "s": "x"}] and type(received[0]["loss"]) is float
    begin_logs = []
    CallbackList([LambdaCallback(on_epoch_begin=lambda e, logs: begin_logs.append(logs))]).on_epoch_begin(0)
    assert begin_logs == [{}]


def test_history_contents():
    m = FakeModel()
    cbs = CallbackList([], add_history=True, model=m, verbose=0, epochs=3, steps=2)
    logs = [{"loss": np.float32(0.5), "mae": 0.4, "val_loss": 0.6, "val_mae": 0.5},
            {"loss": 0.25, "mae": 0.2, "val_loss": 0.3, "val_mae": 0.25}]
    drive(cbs, m, logs)
    h = cbs.history
    assert list(h.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert h.history == {"loss": [0.5, 0.25], "mae": [0.4, 0.2], "val_loss": [0.6, 0.3], "val_mae": [0.5, 0.25]}
    assert all(type(v) is float for vs in h.history.values() for v in vs)
    assert h.epoch == [0, 1]
    assert h.params == {"verbose": 0, "epochs": 3, "steps": 2}
    assert h.model is m and m.history is h


# --------------------------------------------------------------------------- ProgbarLogger
def test_format_value_like_keras_progbar():
    assert format_value(0.12344) == "0.1234"
    assert format_value(12.5) == "12.5000"
    assert format_value(0.0005) == "5.0000e-04"
    assert format_value(0.001) == "1.0000e-03"
    assert format_value(0.0) == "0.0000e+00"
    assert format_value(-0.5, verbose=1) == "-0.5000"
    assert format_value(-0.5, verbose=2) == "-5.0000e-01"  # Keras's verbose=2 compares the signed value
    assert format_value(float("nan")) == "nan"
    assert format_duration(0.84) == "0.8s" and format_duration(125) == "2m05s"
    assert format_duration(3723) == "1h02m03s"


def test_format_value_against_keras_progbar_verbose2(capsys):
    pytest.importorskip("keras")
    from keras.utils import Progbar

    values = [("a", 0.12344), ("b", 0.0005), ("c", 12.5), ("d", -0.5), ("e", 1e-7)]
    bar = Progbar(1, verbose=2, stateful_metrics=[k for k, _ in values])
    bar.update(1, values, finalize=True)
    keras_line = capsys.readouterr().out
    assert keras_line.rstrip("\n").endswith(" - " + " - ".join(f"{k}: {format_value(v, 2)}" for k, v in values))


def test_progbar_verbose2_one_line_per_epoch(clock, capsys):
    m = FakeModel()
    cbs = CallbackList([], add_history=True, add_progbar=True, model=m, verbose=2, epochs=3, steps=4)
    cbs.on_train_begin()
    for epoch, (t, logs) in enumerate([(0.5, {"loss": 0.12344, "val_loss": 0.2}), (0.51, {"loss": 0.0005}),
                                       (2.0, {"loss": -0.5})]):
        cbs.on_epoch_begin(epoch)
        clock.t = t
        cbs.on_epoch_end(epoch, logs)
    cbs.on_train_end()
    assert capsys.readouterr().out.splitlines() == [
        "Epoch 1/3 - 0.50s - loss: 0.1234 - val_loss: 0.2000",
        "Epoch 2/3 - 0.01s - loss: 5.0000e-04",
        "Epoch 3/3 - 1.49s - loss: -5.0000e-01",
    ]


def test_progbar_verbose2_uses_engine_epoch_time(clock, capsys):
    cbs = CallbackList([], add_progbar=True, verbose=2, epochs=3, steps=1)
    cbs.on_train_begin()
    clock.t = 3.0  # three epochs ran in one compiled call, then are replayed at once
    cbs.set_epoch_time(1.0)
    for epoch in range(3):
        cbs.on_epoch_begin(epoch)
        cbs.on_epoch_end(epoch, {"loss": 1.0})
    cbs.on_train_end()
    assert capsys.readouterr().out.splitlines() == [f"Epoch {e}/3 - 1.00s - loss: 1.0000" for e in (1, 2, 3)]


def test_progbar_verbose1_plain_lines_are_throttled(clock, capsys):
    m = FakeModel()
    cbs = CallbackList([], add_history=True, add_progbar=True, model=m, verbose=1, epochs=1000, steps=4)
    cbs.on_train_begin()
    for epoch in range(1000):
        cbs.on_epoch_begin(epoch)
        clock.t = (epoch + 1) * 0.001  # fast epochs: the 10% rule decides
        cbs.on_epoch_end(epoch, {"loss": 0.12344, "val_loss": 0.5})
    cbs.on_train_end()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10
    assert lines[0] == ("Epoch 100/1000 [=>..................] 10% - 0.1s elapsed - ETA 0.9s - loss: 0.1234 - "
                        "val_loss: 0.5000")
    assert lines[4].startswith("Epoch 500/1000 [=========>..........] 50% - 0.5s elapsed - ETA 0.5s - loss:")
    assert lines[-1] == "Epoch 1000/1000 [====================] 100% - 1.0s elapsed - loss: 0.1234 - val_loss: 0.5000"


def test_progbar_verbose1_plain_lines_every_two_seconds(clock, capsys):
    cbs = CallbackList([], add_progbar=True, verbose=1, epochs=100, steps=1)
    cbs.on_train_begin()
    for epoch in range(100):
        clock.t = (epoch + 1) * 0.5  # slow epochs: a line 2 s after the last one (4 epochs) or at each 10%
        cbs.on_epoch_end(epoch, {"loss": 1.0})
    cbs.on_train_end()
    lines = capsys.readouterr().out.splitlines()
    printed = [int(line.split()[1].split("/")[0]) for line in lines]
    assert printed == [d + k for d in range(0, 100, 10) for k in (4, 8, 10)]


def test_progbar_verbose1_plain_final_line_after_early_stop(clock, capsys):
    m = FakeModel()
    es = EarlyStopping(monitor="loss", patience=0, verbose=1)
    cbs = CallbackList([es], add_progbar=True, model=m, verbose=1, epochs=100, steps=1)
    cbs.on_train_begin()
    for epoch, loss in enumerate([1.0, 0.5, 0.7, 0.1]):
        clock.t = (epoch + 1) * 0.01
        cbs.on_epoch_end(epoch, {"loss": loss})
        if m.stop_training:
            break
    cbs.on_train_end({"loss": 0.7})
    assert capsys.readouterr().out.splitlines() == [
        "Epoch 3: early stopping",
        "Epoch 3/100 [....................] 3% - 0.0s elapsed - loss: 0.7000",
    ]


def test_progbar_verbose1_tty_redraws_in_place(clock, monkeypatch):
    out = TTYBuffer()
    monkeypatch.setattr(sys, "stdout", out)
    cbs = CallbackList([], add_progbar=True, verbose=1, epochs=10, steps=1)
    cbs.on_train_begin()
    for epoch in range(10):
        clock.t = (epoch + 1) / 16  # 16 epochs a second: redraws at most every 0.1 s
        cbs.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
    cbs.on_train_end()
    text = out.getvalue()
    frames = text.split("\r")[1:]
    assert [f.split()[1] for f in frames] == ["1/10", "3/10", "5/10", "7/10", "9/10", "10/10"]
    assert frames[0] == "Epoch 1/10 [=>..................] 10% - 0.1s elapsed - ETA 0.6s - loss: 1.0000"
    # The final state, padded with blanks over the longer previous frame, then the closing newline.
    assert frames[-1].endswith(" \n") and len(frames[-1]) == len(frames[-2]) + 1
    assert frames[-1].rstrip() == "Epoch 10/10 [====================] 100% - 0.6s elapsed - loss: 0.1000"
    assert "\n" not in "".join(frames[:-1])


def test_progbar_verbose1_tty_message_and_final_state(clock, monkeypatch):
    out = TTYBuffer()
    monkeypatch.setattr(sys, "stdout", out)
    m = FakeModel()
    cbs = CallbackList([EarlyStopping(monitor="loss", patience=0, verbose=1)], add_progbar=True, model=m,
                       verbose=1, epochs=10, steps=1)
    cbs.on_train_begin()
    for epoch, loss in enumerate([1.0, 0.5, 0.7]):
        clock.t = (epoch + 1) / 64
        cbs.on_epoch_end(epoch, {"loss": loss})
    cbs.on_train_end()
    # Epoch 1 drawn; epochs 2-3 throttled; the message closes the open line; the final state follows.
    assert out.getvalue() == (
        "\rEpoch 1/10 [=>..................] 10% - 0.0s elapsed - ETA 0.1s - loss: 1.0000\n"
        "Epoch 3: early stopping\n"
        "\rEpoch 3/10 [=====>..............] 30% - 0.0s elapsed - loss: 0.7000\n"
    )


def test_progbar_evaluate_and_predict_lines(clock, capsys):
    cbs = CallbackList([], add_progbar=True, verbose=1, epochs=1, steps=4)
    cbs.on_test_begin()
    clock.t = 0.25
    cbs.on_test_end({"loss": 0.5, "mae": 0.00012})
    cbs.on_predict_begin()
    clock.t = 0.5
    cbs.on_predict_end()
    assert capsys.readouterr().out.splitlines() == ["4/4 - 0.25s - loss: 0.5000 - mae: 1.2000e-04", "4/4 - 0.25s"]
    cbs = CallbackList([], add_progbar=True, verbose=2, epochs=1, steps=2)
    cbs.on_predict_begin()
    cbs.on_predict_end()
    assert capsys.readouterr().out == ""
    cbs = CallbackList([], add_progbar=False, verbose=0, epochs=1, steps=2)
    cbs.on_test_begin()
    cbs.on_test_end({"loss": 1.0})
    assert capsys.readouterr().out == ""


def test_progbar_verbose0_and_no_epochs_print_nothing(clock, capsys):
    m = FakeModel()
    drive(CallbackList([ProgbarLogger()], model=m, verbose=0, epochs=3, steps=1), m, [{"loss": 1.0}] * 3)
    drive(CallbackList([], add_progbar=True, model=m, verbose=1, epochs=0, steps=1), m, [])
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="ProgbarLogger"):
        ProgbarLogger(verbose=3)


def test_public_api():
    assert set(cb_mod.__all__) == {
        "BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
        "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau", "TensorBoard",
        "TerminateOnNaN",
    }
