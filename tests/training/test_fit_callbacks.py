"""Callbacks inside fit: live epochs, the per-batch path, learning-rate changes without recompiling."""

import numpy as np

from lstmkit import callbacks as C
from lstmkit import layers as L
from lstmkit.models import Sequential
from lstmkit.training import programs

RNG = np.random.default_rng(5)
X = RNG.normal(size=(20, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype("float32")


def _model(seed_weights=None):
    m = Sequential([L.Dense(4, activation="tanh", input_shape=(3,)), L.Dense(1)])
    if seed_weights is not None:
        m.set_weights(seed_weights)
    m.compile("adam", "mse", metrics=["mae"])
    return m


def test_batch_hooks_path_gives_the_same_numbers_as_the_compiled_path():
    class CountBatches(C.Callback):
        def __init__(self):
            super().__init__()
            self.batches = 0

        def on_train_batch_end(self, batch, logs=None):
            self.batches += 1

    a = _model()
    b = _model(a.get_weights())
    counter = CountBatches()
    ha = a.fit(X, Y, batch_size=6, epochs=3, shuffle=False, verbose=0)
    hb = b.fit(X, Y, batch_size=6, epochs=3, shuffle=False, verbose=0, callbacks=[counter])
    assert counter.batches == 3 * 4
    for k in ha.history:
        np.testing.assert_allclose(ha.history[k], hb.history[k], rtol=1e-5)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-7)


def test_early_stopping_stops_and_restores_best_weights():
    m = _model()
    seen = []

    class Snapshot(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((logs["loss"], [w.copy() for w in self.model.get_weights()]))

    # lr so large that the loss blows up after the first epochs
    m.optimizer.learning_rate = 5.0
    stop = C.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    h = m.fit(X, Y, epochs=50, verbose=0, callbacks=[Snapshot(), stop])
    assert len(h.history["loss"]) < 50
    best = int(np.argmin([l for l, _ in seen]))
    for w, wb in zip(m.get_weights(), seen[best][1]):
        np.testing.assert_array_equal(w, wb)


def test_reduce_lr_on_plateau_changes_lr_without_recompiling():
    m = _model()
    cb = C.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=1e9)  # every epoch is a plateau
    h = m.fit(X, Y, epochs=4, verbose=0, callbacks=[cb])
    # Keras logs the rate, then reduces; the first epoch always counts as an improvement.
    np.testing.assert_allclose(h.history["learning_rate"], [0.001, 0.001, 0.0005, 0.00025], rtol=1e-6)
    np.testing.assert_allclose(float(m.optimizer.learning_rate), 0.001 / 8, rtol=1e-6)
    traced = programs.trace_count()
    m.fit(X, Y, epochs=1, verbose=0)  # the reduced rate reaches the compiled program's state
    np.testing.assert_allclose(m.optimizer.get_state_learning_rate(m._opt_state), 0.001 / 8, rtol=1e-6)
    assert programs.trace_count() == traced


def test_lambda_callback_runs_every_epoch_in_order():
    m = _model()
    epochs = []
    m.fit(X, Y, epochs=5, verbose=0, callbacks=[C.LambdaCallback(on_epoch_end=lambda e, logs: epochs.append(e))])
    assert epochs == [0, 1, 2, 3, 4]


def test_initial_epoch_and_history_length():
    m = _model()
    h = m.fit(X, Y, epochs=5, initial_epoch=2, verbose=0)
    assert h.epoch == [2, 3, 4] and len(h.history["loss"]) == 3


def test_terminate_on_nan_stops():
    m = _model()
    m.optimizer.learning_rate = 1e30
    h = m.fit(X * 1e6, Y, epochs=20, verbose=0, callbacks=[C.TerminateOnNaN()])
    assert len(h.history["loss"]) < 20


def test_predict_callbacks_run_with_batch_outputs():
    m = _model()
    events = []

    class Watch(C.Callback):
        def on_predict_begin(self, logs=None):
            events.append("begin")

        def on_predict_batch_end(self, batch, logs=None):
            events.append(logs["outputs"].shape)

        def on_predict_end(self, logs=None):
            events.append("end")

    out = m.predict(X, batch_size=8, verbose=0, callbacks=[Watch()])
    assert events == ["begin", (8, 1), (8, 1), (4, 1), "end"]
    np.testing.assert_allclose(out, m.predict(X, batch_size=8, verbose=0), atol=1e-6)


def test_compile_settings_that_change_nothing_warn():
    import pytest

    m = _model()
    with pytest.warns(UserWarning, match="jit_compile=False"):
        m.compile("adam", "mse", jit_compile=False)
    with pytest.warns(UserWarning, match="steps_per_execution=4"):
        m.compile("adam", "mse", steps_per_execution=4)
