"""Training that survives being killed (issue 15): `BackupAndRestore`, and `ModelCheckpoint` + `load_model` +
`fit(initial_epoch=k)`, resume with bitwise the weights, optimizer state and random state of an uninterrupted run.

One model shape for all (LSTM(4) with dropout, BatchNormalization, Dropout, Dense on 64 x 5 x 2), so the
compiled programs are shared. The kill test runs two subprocesses (a fit killed with SIGKILL at a seeded
epoch, and the same fit started again); the uninterrupted run is made here, in this process.
"""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import jax
import numpy as np
import pytest

from lstmkit import _random, callbacks, saving
from lstmkit.training.fit_state import FitState

# Shared by this process and the subprocesses of the kill test.
MODEL_CODE = textwrap.dedent('''
    import numpy as np
    from lstmkit import layers, models, utils

    def data():
        rng = np.random.default_rng(0)
        return rng.normal(size=(64, 5, 2)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")

    def build(seed=15):
        utils.set_random_seed(seed)
        model = models.Sequential([layers.Input((5, 2)), layers.LSTM(4, dropout=0.2), layers.BatchNormalization(),
                                   layers.Dropout(0.3), layers.Dense(1)])
        model.compile("adam", "mse")
        return model

    def state(model):
        """Every weight (non-trainable ones too) and every leaf of the optimizer state, as NumPy arrays."""
        import jax
        return [np.asarray(w) for w in model.get_weights()] + [np.asarray(a) for a in jax.tree_util.tree_leaves(model._opt_state)]
''')
_ns = {}
exec(MODEL_CODE, _ns)
data, build, model_state = _ns["data"], _ns["build"], _ns["state"]
X, Y = data()
VAL = (X[:8], Y[:8])
FIT = dict(batch_size=16, verbose=0)  # 4 batches per epoch


def assert_bitwise(a, b):
    assert len(a) == len(b)
    for i, (p, q) in enumerate(zip(a, b)):
        assert p.shape == q.shape and p.dtype == q.dtype, i
        assert np.array_equal(p, q), f"array {i} differs by up to {np.max(np.abs(p.astype(float) - q)):.3g}"


def after_fit_draws():
    """What code after fit() draws from the global random state."""
    return _random.numpy_rng().random(3), np.asarray(_random.next_key())


class Interrupt(callbacks.Callback):
    """Raises at the end of epoch `epoch`, or after `batches` training batches. `live=False`: it lets fit
    run several epochs per compiled call (and raises while they are replayed)."""

    def __init__(self, epoch=None, batches=None, live=True):
        super().__init__()
        self.epoch, self.batches, self.seen = epoch, batches, 0
        if not live:
            self._live_epochs = False
        if batches is not None:
            self.on_train_batch_end = self._count

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("interrupted")

    def _count(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.batches:
            raise RuntimeError("interrupted")


class CountCalls:
    """Counts the compiled multi-epoch calls of fit, and the epochs each held."""

    def __init__(self, monkeypatch):
        from lstmkit.training.engine import Engine

        self.epochs = []
        original = Engine.run_epochs_fn
        counter = self

        def run_epochs_fn(engine, *args, **kwargs):
            run = original(engine, *args, **kwargs)

            def counted(*a):
                counter.epochs.append(int(a[6]))
                return run(*a)
            return counted

        monkeypatch.setattr(Engine, "run_epochs_fn", run_epochs_fn)


def reference(epochs=6, shuffle=True, callbacks_=None, validation=True):
    """The uninterrupted run: its final state, history and the draws after it."""
    model = build()
    hist = model.fit(X, Y, epochs=epochs, shuffle=shuffle, validation_data=VAL if validation else None,
                     callbacks=callbacks_, **FIT)
    return model_state(model), hist.history, after_fit_draws()


def interrupted_then_resumed(backup_dir, interrupt, epochs=6, shuffle=True, save_freq="epoch", validation=True):
    model = build()
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(X, Y, epochs=epochs, shuffle=shuffle, validation_data=VAL if validation else None,
                  callbacks=[callbacks.BackupAndRestore(backup_dir, save_freq=save_freq), interrupt], **FIT)
    assert os.path.exists(os.path.join(backup_dir, "latest.weights.h5"))
    _random.set_seed(99)  # whatever the random state in between: the backup brings back the run's own
    model = build(seed=7)  # other initial weights too: the backup replaces them
    hist = model.fit(X, Y, epochs=epochs, shuffle=shuffle, validation_data=VAL if validation else None,
                     callbacks=[callbacks.BackupAndRestore(backup_dir, save_freq=save_freq)], **FIT)
    assert not os.path.exists(backup_dir)  # delete_checkpoint=True
    return model_state(model), hist, after_fit_draws()


# --------------------------------------------------------------------------- in-process interruptions
@pytest.mark.parametrize("shuffle", [True, False])
def test_resume_after_an_epoch_is_bitwise_the_uninterrupted_run(tmp_path, shuffle, monkeypatch):
    # The reference has no callback: after a first epoch alone (timed), lstmkit runs the other 5 in one call.
    calls = CountCalls(monkeypatch)
    want, want_hist, want_draws = reference(shuffle=shuffle)
    assert calls.epochs == [1, 5]
    got, hist, draws = interrupted_then_resumed(str(tmp_path / "backup"), Interrupt(epoch=2), shuffle=shuffle)
    assert_bitwise(got, want)
    assert hist.epoch == [3, 4, 5]
    assert hist.history["loss"] == want_hist["loss"][3:] and hist.history["val_loss"] == want_hist["val_loss"][3:]
    assert_bitwise(list(draws), list(want_draws))


def test_integer_save_freq_of_whole_epochs_runs_epochs_between_backups_in_one_call(tmp_path, monkeypatch):
    calls = CountCalls(monkeypatch)
    want, _, want_draws = reference()
    # 8 batches = 2 epochs between backups: two epochs per compiled call, backups after epochs 1, 3, 5.
    cb = callbacks.BackupAndRestore(str(tmp_path / "full"), save_freq=8, delete_checkpoint=False)
    model = build()
    model.fit(X, Y, epochs=6, validation_data=VAL, callbacks=[cb], **FIT)
    assert calls.epochs == [1, 5, 1, 1, 2, 2]  # the reference; then epoch 0 alone (timed), 1, 2-3, 4-5
    assert_bitwise(model_state(model), want)
    calls.epochs.clear()
    got, hist, draws = interrupted_then_resumed(str(tmp_path / "backup"), Interrupt(epoch=4, live=False),
                                                save_freq=8)
    # interrupted while epochs 4-5 were replayed; resumed from the backup of epoch 3 (4 alone, timed; then 5)
    assert calls.epochs == [1, 1, 2, 2, 1, 1]
    assert hist.epoch == [4, 5]
    assert_bitwise(got, want)
    assert_bitwise(list(draws), list(want_draws))


def test_integer_save_freq_inside_epochs_resumes_in_the_middle_of_an_epoch(tmp_path):
    # save_freq=3 with 4 batches per epoch: batch by batch; the interruption after batch 7 (epoch 1,
    # batch 2) leaves the backup after batch 6, and the resumed fit starts at epoch 1's batch 2.
    want, want_hist, want_draws = reference(callbacks_=[callbacks.BackupAndRestore(str(tmp_path / "ref"),
                                                                                  save_freq=3)])
    got, hist, draws = interrupted_then_resumed(str(tmp_path / "backup"), Interrupt(batches=7), save_freq=3)
    assert_bitwise(got, want)
    assert hist.epoch == [1, 2, 3, 4, 5]
    assert hist.history["loss"] == want_hist["loss"][1:]  # epoch 1's average includes the batches before the kill
    assert_bitwise(list(draws), list(want_draws))


def test_a_save_interrupted_midway_leaves_the_previous_backup(tmp_path, monkeypatch):
    import h5py

    from lstmkit.callbacks import backup_and_restore as bar

    want, _, _ = reference()
    backup = str(tmp_path / "backup")
    write = bar._write_backup
    saves = []

    def dies_on_the_third_save(path, model, state):
        saves.append(path)
        if len(saves) == 3:
            with open(path, "wb") as f:
                f.write(b"\x89HDF\r\n\x1a\n half a file")
            raise KeyboardInterrupt  # as a kill would stop it: after some bytes, before the rename
        write(path, model, state)

    monkeypatch.setattr(bar, "_write_backup", dies_on_the_third_save)
    with pytest.raises(KeyboardInterrupt):
        build().fit(X, Y, epochs=6, validation_data=VAL, callbacks=[callbacks.BackupAndRestore(backup)], **FIT)
    monkeypatch.setattr(bar, "_write_backup", write)
    assert sorted(os.listdir(backup)) == ["latest.weights.h5", "training_metadata.json"]  # no temporary file
    with h5py.File(os.path.join(backup, "latest.weights.h5"), "r") as f:
        assert FitState.from_json(f["lstmkit_training_state"].attrs["state"], "").epoch == 2
    model = build()
    hist = model.fit(X, Y, epochs=6, validation_data=VAL, callbacks=[callbacks.BackupAndRestore(backup)], **FIT)
    assert hist.epoch == [2, 3, 4, 5]
    assert_bitwise(model_state(model), want)


def test_a_backup_of_another_model_is_refused_and_changes_nothing(tmp_path):
    from lstmkit import layers, models

    backup = str(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="interrupted"):
        build().fit(X, Y, epochs=3, callbacks=[callbacks.BackupAndRestore(backup), Interrupt(epoch=0)], **FIT)
    other = models.Sequential([layers.Input((5, 2)), layers.LSTM(3), layers.Dense(1)])
    other.compile("adam", "mse")
    before = [np.asarray(w) for w in other.get_weights()]
    with pytest.raises(ValueError, match="latest.weights.h5"):
        other.fit(X, Y, epochs=3, callbacks=[callbacks.BackupAndRestore(backup)], **FIT)
    assert_bitwise([np.asarray(w) for w in other.get_weights()], before)


def test_a_tampered_training_state_is_a_clear_error(tmp_path):
    import h5py

    backup = str(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="interrupted"):
        build().fit(X, Y, epochs=3, callbacks=[callbacks.BackupAndRestore(backup), Interrupt(epoch=0)], **FIT)
    path = os.path.join(backup, "latest.weights.h5")
    with h5py.File(path, "r+") as f:
        f["lstmkit_training_state"].attrs["state"] = '{"epoch": -1, "base_key": [1, 2]}'
    with pytest.raises(ValueError, match=r"latest\.weights\.h5.*'epoch' must be a non-negative integer"):
        build().fit(X, Y, epochs=3, callbacks=[callbacks.BackupAndRestore(backup)], **FIT)


def test_a_generator_fit_is_refused():
    def batches():
        while True:
            yield X[:16], Y[:16]

    with pytest.raises(ValueError, match="generator or Sequence"):
        build().fit(batches(), steps_per_epoch=2, epochs=1, verbose=0,
                    callbacks=[callbacks.BackupAndRestore("unused_backup_dir")])


@pytest.mark.parametrize("bad", [False, 0, -2, 1.5, "batch"])
def test_save_freq_must_be_epoch_or_a_positive_integer(bad):
    with pytest.raises(ValueError, match="Invalid value for argument `save_freq`"):
        callbacks.BackupAndRestore("d", save_freq=bad)


# --------------------------------------------------------------------------- ModelCheckpoint + load_model
def test_model_checkpoint_load_model_and_initial_epoch_resume_bitwise(tmp_path):
    want, want_hist, _ = reference(shuffle=True)
    path = str(tmp_path / "ckpt.keras")
    model = build()
    model.fit(X, Y, epochs=3, validation_data=VAL, callbacks=[callbacks.ModelCheckpoint(path)], **FIT)
    _random.set_seed(123)
    loaded = saving.load_model(path)
    hist = loaded.fit(X, Y, epochs=6, initial_epoch=3, validation_data=VAL, **FIT)
    assert_bitwise(model_state(loaded), want)
    assert hist.history["loss"] == want_hist["loss"][3:]
    # Without the state (a file from elsewhere), the continued run draws new orders and keys.
    loaded = saving.load_model(path)
    loaded._fit_state = None
    loaded.fit(X, Y, epochs=6, initial_epoch=3, validation_data=VAL, **FIT)
    assert not np.array_equal(model_state(loaded)[0], want[0])


def test_keras_loads_a_file_carrying_the_training_state(tmp_path):
    import json
    import zipfile

    keras = pytest.importorskip("keras")
    path = str(tmp_path / "m.keras")
    model = build()
    model.fit(X, Y, epochs=1, **FIT)
    model.save(path)
    meta = json.loads(zipfile.ZipFile(path).read("metadata.json"))
    assert meta["lstmkit_training_state"]["epoch"] == 1
    theirs = keras.saving.load_model(path)
    for a, b in zip(theirs.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


# --------------------------------------------------------------------------- killed with SIGKILL
CHILD = MODEL_CODE + textwrap.dedent('''
    import os, sys, time
    import jax
    from lstmkit import _random, callbacks

    backup, marks, out = sys.argv[1:4]

    class Marker(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):  # after the backup of this epoch (listed first)
            open(os.path.join(marks, str(epoch)), "w").close()
            time.sleep(0.01)  # room for the parent to act before the run ends

    x, y = data()
    model = build()
    hist = model.fit(x, y, epochs=30, batch_size=16, verbose=0, shuffle=True, validation_data=(x[:8], y[:8]),
                     callbacks=[callbacks.BackupAndRestore(backup), Marker()])
    arrays = state(model) + [_random.numpy_rng().random(3), np.asarray(_random.next_key())]
    np.savez(out, first_epoch=hist.epoch[0], *arrays)
''')


def test_a_fit_killed_with_sigkill_resumes_bitwise(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    backup, marks = tmp_path / "backup", tmp_path / "marks"
    marks.mkdir()
    chance = random.Random(15)
    kill_after, delay = chance.randint(3, 24), chance.uniform(0.0, 0.03)
    # The children import the lstmkit this process runs (not another copy found on their own path).
    import lstmkit

    root = os.path.dirname(os.path.dirname(os.path.abspath(lstmkit.__file__)))
    env = dict(os.environ, JAX_PLATFORMS="cpu",
               PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    args = [sys.executable, str(script), str(backup), str(marks)]

    first = subprocess.Popen(args + [str(tmp_path / "first.npz")], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not (marks / str(kill_after)).exists():
        assert first.poll() is None, first.stdout.read().decode()[-3000:]
        assert time.monotonic() < deadline, "the first run never reached its epoch"
        time.sleep(0.002)
    time.sleep(delay)
    first.send_signal(signal.SIGKILL)
    assert first.wait() == -signal.SIGKILL
    assert not (marks / "29").exists() and backup.exists()  # killed before the end, with a backup

    second = subprocess.run(args + [str(tmp_path / "second.npz")], env=env, capture_output=True, timeout=180)
    assert second.returncode == 0, second.stderr.decode()[-3000:]
    result = np.load(tmp_path / "second.npz")
    assert int(result["first_epoch"]) > kill_after  # it resumed: it did not start again from epoch 0
    got = [result[f"arr_{i}"] for i in range(len(result.files) - 1)]

    model = build()
    model.fit(X, Y, epochs=30, shuffle=True, validation_data=VAL, **FIT)  # uninterrupted, in one compiled call
    want = model_state(model) + list(after_fit_draws())
    assert_bitwise(got, want)
