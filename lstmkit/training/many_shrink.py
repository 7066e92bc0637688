"""`fit_many` goes on with fewer models once most have stopped.

With an `EarlyStopping` inside the program, the models stop at different epochs, but a stopped
model's slot still computes (its carry is masked, not skipped), so a stack of 27 models where two
train on costs 27 models an epoch to the end. The program therefore also ends when no more than a
quarter of its models still train; the host then restacks those (padded to a power of two, so the
few sizes that occur share their compiled programs across fits and processes) and goes on. It only
does so when the epochs it expects to save outweigh compiling the smaller program: each model still
training has at least `patience - wait` epochs to go, and we count one more patience on top.

The numbers do not change: each model's slice of the program is the same computation at any stack size.
"""

from __future__ import annotations

import jax
import numpy as np

__all__ = ["Plan", "Stack", "bucket"]


def bucket(k: int) -> int:
    """The stack size for k models: the next power of two."""
    return 1 << max(int(k) - 1, 0).bit_length()


def _threshold(size: int) -> int:
    """Programs of `size` models end when this many or fewer still train (0: only when all stopped)."""
    return size // 4 if size >= 4 else 0


def _take(tree, index):
    return jax.tree_util.tree_map(lambda x: x[index], tree)


def _host(tree):
    return jax.tree_util.tree_map(np.asarray, tree)


class Stack:
    """What the program holds per position: the model there (`where`, -1 for padding, which never
    trains), whether it still trains, its carry, data, keys and sizes; `done` keeps, per model, its final
    (carry, best-weights snapshot) slices in program keys once it leaves the stack."""

    def __init__(self, n, carry, data, val_data, data_host, val_host, keys, n_real, n_val):
        self.where = np.arange(n)
        self.active = np.ones((n,), bool)
        self.carry, self.data, self.val_data = carry, data, val_data
        self.data_host, self.val_host = data_host, val_host  # stacked per model; None when shared
        self.keys, self.n_real, self.n_val = keys, n_real, n_val
        self.done = {}

    def still_training(self, n) -> np.ndarray:
        """Per model (not position): whether it still trains."""
        out = np.zeros((n,), bool)
        out[self.where[self.active & (self.where >= 0)]] = True
        return out

    def _retire(self, binding, snapshot, which):
        prog = _host(binding.program(self.carry))
        snap = _host(binding.program(snapshot)) if snapshot is not None else None
        for p, i in enumerate(self.where):
            if i >= 0 and which[p]:
                self.done[int(i)] = (_take(prog, p), _take(snap, p) if snap is not None else None)
        return prog, snap

    def shrink(self, size, binding, snapshot):
        """Keep only the models still training, padded to `size` positions; returns the new snapshot."""
        prog, snap = self._retire(binding, snapshot, ~self.active)
        keep = np.flatnonzero(self.active)
        index = np.concatenate([keep, np.full(size - keep.size, keep[0])])
        models = self.where[index]
        self.where = np.concatenate([self.where[keep], np.full(size - keep.size, -1)])
        self.active = np.arange(size) < keep.size
        self.carry = binding.model(jax.device_put(_take(prog, index)))
        self.keys, self.n_real, self.n_val = self.keys[index], self.n_real[index], self.n_val[index]
        if self.data_host is not None:
            self.data = jax.device_put(_take(self.data_host, models))
        if self.val_host is not None:
            self.val_data = jax.device_put(_take(self.val_host, models))
        return binding.model(jax.device_put(_take(snap, index))) if snap is not None else None

    def finish(self, binding, snapshot):
        """Every model still in the stack into `done`."""
        self._retire(binding, snapshot, self.where >= 0)


class Plan:
    """When to end a program early and restack (see the module docstring)."""

    def __init__(self, n):
        self.at = _threshold(n)
        self.compile_seconds = 0.0
        self.model_epoch_seconds = None

    def after_call(self, size, training, epochs_left, run_seconds, ran, compiling):
        """The new stack size after a call, or None to go on as is. `training`: the EarlyStopping
        callbacks of the models still training; `run_seconds`: the call's time less its compiling."""
        if compiling > 0:
            self.compile_seconds = compiling
        if ran:
            self.model_epoch_seconds = max(run_seconds, 0.0) / (ran * size)
        live = len(training)
        if not 0 < live <= self.at or self.model_epoch_seconds is None:
            return None
        new = bucket(live)
        at_least = max(cb.patience - cb.wait for cb in training)
        expected = min(epochs_left, at_least + max(cb.patience for cb in training))
        if not self.worth_it((size - new) * expected):
            self.at = 0  # not worth it now; fewer models later leave even fewer epochs to save
            return None
        self.at = _threshold(new)
        return new

    def worth_it(self, model_epochs_saved) -> bool:
        """Whether not computing `model_epochs_saved` model-epochs outweighs compiling a smaller program."""
        return model_epochs_saved * self.model_epoch_seconds > self.compile_seconds
