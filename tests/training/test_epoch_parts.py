"""In-epoch progress (issue 16 item 5, issue 18): long epochs run in parts between which the bar is drawn,
with the numbers of one call per epoch; compile time shown as such and kept out of the ETA."""

import io
import re
import sys

import numpy as np
import pytest

from lstmkit import layers, models
from lstmkit.callbacks import CallbackList
from lstmkit.callbacks.progbar_logger import ProgbarLogger
from lstmkit.training import epoch_parts

RNG = np.random.default_rng(0)
X = RNG.normal(size=(90, 5, 2)).astype("float32")
Y = RNG.normal(size=(90, 1)).astype("float32")


class TTY(io.StringIO):
    def isatty(self):
        return True


def build():
    from lstmkit import utils

    utils.set_random_seed(3)
    m = models.Sequential([layers.Input((5, 2)), layers.LSTM(5, dropout=0.2), layers.Dense(1)])
    m.compile("adam", "mse", metrics=["mae"])
    return m


def weights(model):
    return [np.asarray(w) for w in model.get_weights()]


def test_parts_of_epochs_give_the_numbers_of_whole_epochs(monkeypatch):
    fit = dict(epochs=2, batch_size=16, validation_split=0.2, shuffle=True)
    quiet = build()
    h0 = quiet.fit(X, Y, verbose=0, **fit)
    # Every epoch "long", every part one batch: 5 calls per epoch, the bar drawn after each.
    monkeypatch.setattr(epoch_parts.Pacer, "LONG_EPOCH", 0.0)
    monkeypatch.setattr(epoch_parts.Pacer, "PART_SECONDS", 0.0)
    out = TTY()
    monkeypatch.setattr(sys, "stdout", out)
    shown = build()
    h1 = shown.fit(X, Y, verbose=1, **fit)
    monkeypatch.undo()
    assert h1.history == h0.history
    assert all(np.array_equal(a, b) for a, b in zip(weights(shown), weights(quiet)))
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())  # Keras's colours
    frames = [f.strip() for f in text.replace("\n", "\r").split("\r") if "━" in f]
    counts = [f.split()[0] for f in frames]
    assert counts == ["1/5", "2/5", "3/5", "4/5", "5/5"] * 2, text
    assert "Epoch 1/2" in text and "Epoch 2/2\n" in text
    assert "val_loss" in frames[4] and "val_loss" not in frames[3]  # validation only when the epoch ends
    assert "ms/step" in frames[0] or "us/step" in frames[0] or "s/step" in frames[0]


def test_pacer_runs_whole_epochs_without_a_terminal_and_parts_for_long_ones():
    class Bar:
        verbose = 1

        def __init__(self, tty):
            self.tty = tty

        def shows_steps(self):
            return self.tty

    plain = epoch_parts.Pacer(100, Bar(False))
    assert plain.stop(0) == 100  # not a terminal: whole epochs, no probe
    pacer = epoch_parts.Pacer(100, Bar(True))
    assert pacer.stop(0) == 1  # the first call measures one batch
    pacer.per_batch = 0.05  # a 5 s epoch: parts of 0.25 s = 5 batches
    assert pacer.in_parts() and pacer.stop(10) == 15 and pacer.stop(98) == 100
    pacer.per_batch = 0.001  # a 0.1 s epoch: whole
    assert not pacer.in_parts() and pacer.stop(0) == 100


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        t = 0.0

        def __call__(self):
            return self.t

    c = Clock()
    monkeypatch.setattr(ProgbarLogger, "_clock", staticmethod(c))
    return c


def test_compile_time_is_shown_and_kept_out_of_the_eta(clock, monkeypatch):
    from lstmkit.callbacks.callback import _Console

    monkeypatch.setattr(_Console, "line_open", False)  # put back after: this test leaves its line open
    monkeypatch.setenv("COLUMNS", "200")  # lines are cut to the terminal's width, 80 where there is none
    out = TTY()
    monkeypatch.setattr(sys, "stdout", out)
    cbs = CallbackList([], add_progbar=True, verbose=1, epochs=10, steps=4)
    bar = cbs._progbar
    cbs.on_train_begin()
    bar._compiling(True)
    assert out.getvalue() == "\rEpoch 1/10 - compiling…"
    clock.t = 8.0
    bar._compiling(False)
    clock.t = 10.0  # one epoch in 2 s of running, after 8 s compiling: 9 more epochs take 18 s (not 90 s)
    cbs.on_epoch_end(0, {"loss": 0.5})
    last = out.getvalue().split("\r")[-1]
    assert "10.0s elapsed, 8.0s compiling" in last and "ETA 18.0s" in last, last
    # In-epoch bar: ETA and time per step from the run time only.
    bar._batch_progress(2, 1, 4, {"loss": 0.3}, 3.0)
    text = out.getvalue()
    assert "Epoch 3/10 - compiled in 8.0s\n" in text
    assert text.split("\r")[-1].startswith("\x1b[1m1/4\x1b[0m ")
    plain = bar._steps_line(1, 4, "9s", 3.0, {"loss": 0.3})[0]
    assert plain == "1/4 " + "━" * 20 + " 9s 3s/step - loss: 0.3000"
