"""Epochs run in parts: the compiled program `fit` uses on arrays, and how the host splits the work.

One compiled call runs a *window* of training: from batch `start` of its first epoch, whole epochs
after it, up to batch `stop` of its last one. A call that runs whole epochs (start 0, stop = the
batch count) is the usual many-epochs-per-call run; a call over part of one long epoch lets the host
draw an in-epoch progress bar between calls. The running epoch's metric sums (`acc`) go out of one
call and into the next, and each batch takes the key and rows it would take in one call, so the
numbers do not depend on how the work was split (every fit on arrays runs this one program, whatever
its `verbose`).

`Pacer` decides the windows: whole epochs when nothing shows in-epoch progress; otherwise a first
call of one batch measures the run time per batch (compile time left out), and epochs expected to
take longer than `LONG_EPOCH` run in parts of about `PART_SECONDS` each.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp

from lstmkit.distribution import placement
from lstmkit.training import programs


def run_windowed(eng, bs, shuffle, val_bs, batches, val_batches, log_rows, carry, data, val_data, orders, base_key,
                 epoch0, n, n_real, n_val_real, acc, start, stop):
    """Traced: epochs epoch0 .. epoch0+n-1, the first from batch `start` (its sums so far in `acc`), the last
    up to batch `stop` -> (carry, logs[log_rows, n_logs], acc, running row).

    A finished epoch's row (training logs, then validation's) is in `logs`, and its sums start again from
    zero; an unfinished epoch leaves NaNs there and its sums in the returned `acc`; the running row is the
    training logs of those sums (what a progress bar shows mid-epoch). A call that does not finish its epoch
    must have n == 1 (the host's rule).
    """
    n_train = len(eng.log_names)
    n_logs = n_train * (2 if val_bs else 1)
    logs = jnp.full((log_rows, n_logs), jnp.nan, jnp.float32)
    steps = (n_real + bs - 1) // bs

    def epoch(i, c):
        carry, acc, logs = c
        order, valid, _ = eng._padded_order(batches.size(data), bs, orders[i] if shuffle else None, n_real)
        epoch_key = lambda: jax.random.fold_in(base_key, epoch0 + i)  # noqa: E731 - made only where dropout asks

        # The whole epoch's batches, gathered as the one-call epoch gathers them (`Engine._epoch`): gathering
        # only a part's rows costs less but changes XLA's code for the step, and so the last bits of the numbers.
        items, valid = placement.constrain_batch((batches.scanned(data, order, bs), valid), axis=1)  # [scale out]

        def body(b, c):
            item = jax.tree_util.tree_map(lambda a: jax.lax.dynamic_index_in_dim(a, b, keepdims=False), items)
            xb, yb, wb = batches.batch(data, item)
            return eng._train_step(c, (xb, yb, wb, valid[b]), lambda: jax.random.fold_in(epoch_key(), b))

        lo = jnp.where(i == 0, start, 0)
        hi = jnp.where(i == n - 1, stop, steps)
        tv, ntv, opt_state, states, acc = jax.lax.fori_loop(lo, hi, body, (*carry, acc))
        carry = (tv, ntv, opt_state, states)

        def finish(c):
            (tv, ntv, opt_state, states), acc = c
            row = eng.metric_results(acc)
            if val_bs:
                states, val_logs = eng._eval_scan(tv, ntv, states, val_data, val_batches, val_bs, n_val_real)
                row = jnp.concatenate([row, val_logs])
            return (tv, ntv, opt_state, states), row, eng.init_metric_state()

        def keep(c):
            carry, acc = c
            return carry, jnp.full((n_logs,), jnp.nan, jnp.float32), acc

        carry, row, acc = jax.lax.cond(hi >= steps, finish, keep, (carry, acc))
        return carry, acc, logs.at[i].set(row)

    carry, acc, logs = jax.lax.fori_loop(0, n, epoch, (carry, acc, logs))
    return carry, logs, acc, eng.metric_results(acc)


class Pacer:
    """How much of the fit each compiled call runs, and the in-epoch progress between calls.

    Args:
        steps: batches per epoch.
        bar: fit's `ProgbarLogger` with verbose=1, or None. On a terminal (`bar.shows_steps()`) long epochs
            run in parts and it draws their progress; elsewhere every call runs whole epochs, as many as the
            caller allows. It hears of compiles during the calls either way (their time is no part of an ETA).
    """

    LONG_EPOCH = 1.0  # seconds: epochs expected to run longer show progress inside them
    PART_SECONDS = 0.25  # seconds of running per call while showing in-epoch progress
    _clock = staticmethod(time.perf_counter)

    def __init__(self, steps, bar=None):
        self.steps = int(steps)
        self.bar = bar
        self.parts = bar is not None and bar.shows_steps()
        self._in_call = False
        self.per_batch = None  # measured run seconds per batch (None until a call has run)
        self.epoch_seconds = 0.0  # run seconds of the epoch in progress, so far
        self._t0 = self._compile0 = None

    def in_parts(self):
        """Whether the next epoch runs in parts (known once a call has been measured)."""
        return self.per_batch is not None and self.per_batch * self.steps > self.LONG_EPOCH

    def stop(self, batch):
        """Where the next call stops in the epoch now at `batch` (`steps`: the epoch's end)."""
        if not self.parts or self.steps <= 1:
            return self.steps
        if self.per_batch is None:  # the fit's first call: one batch, to measure
            return 1
        if not self.in_parts():
            return self.steps
        part = max(1, int(self.PART_SECONDS / max(self.per_batch, 1e-9)))
        return min(self.steps, batch + part)

    def watching_compiles(self):
        """Within: the bar hears when a program starts and ends compiling (it shows "compiling…")."""
        def watch(started):
            if self._in_call:  # not a compile of something a callback runs between epochs
                self.bar._compiling(started)

        return _Watching(watch if self.bar is not None else None)

    def begin_call(self, epoch):
        if self.bar is not None:
            self.bar._upcoming_epoch = epoch
        self._t0 = self._clock()
        self._compile0 = programs.compile_seconds()
        self._in_call = True

    def end_call(self, batches_run):
        """Record a call that ran `batches_run` batches; returns its run seconds (compiling left out)."""
        self._in_call = False
        seconds = self._clock() - self._t0
        seconds = max(0.0, seconds - (programs.compile_seconds() - self._compile0))
        if batches_run > 0:
            self.per_batch = seconds / batches_run
        return seconds

    def show(self, epoch, batch, logs, seconds):
        """After a call that left `epoch` unfinished at `batch`: the epoch's progress so far."""
        self.epoch_seconds += seconds
        if self.parts:
            self.bar._batch_progress(epoch, batch, self.steps, logs, self.epoch_seconds)

    def epochs_done(self, n_run, seconds):
        """A call of `seconds` ended `n_run` epochs: tell the bar their run time each, and start afresh."""
        if self.bar is not None:
            self.bar._set_run_time((self.epoch_seconds + seconds) / max(n_run, 1))
        self.epoch_seconds = 0.0


class _Watching:
    def __init__(self, watch):
        self.watch = watch

    def __enter__(self):
        if self.watch is not None:
            programs.COMPILE_WATCHERS.append(self.watch)
        return self

    def __exit__(self, *exc):
        if self.watch is not None:
            programs.COMPILE_WATCHERS.remove(self.watch)


def progress_bar(cbs):
    """The callback list's `ProgbarLogger` if it is one of ours with verbose=1 (else None)."""
    bar = getattr(cbs, "_progbar", None)
    return bar if bar is not None and hasattr(bar, "shows_steps") and bar.verbose == 1 else None
