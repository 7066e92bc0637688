"""`LearningRateScheduler`: set the learning rate at the start of each epoch."""

import numbers

import numpy as np

from lstmkit.callbacks.callback import Callback, print_msg
from lstmkit.callbacks.reduce_lr_on_plateau import _lr_logs, _optimizers

__all__ = ["LearningRateScheduler"]


def _as_float(value):
    """`value` as a float if it is a real number or a 0-d numeric array (a NumPy/JAX scalar), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    try:
        arr = np.asarray(value)
    except Exception:
        return None
    if arr.ndim == 0 and arr.dtype.kind in "fiu":
        return float(arr)
    return None


class LearningRateScheduler(Callback):
    """Learning rate scheduler.

    At the beginning of every epoch, `schedule(epoch, lr)` (epoch 0-based, lr the current rate
    as a float) gives the new learning rate, which is set on `model.optimizer.learning_rate`.
    A one-argument `schedule(epoch)` works too. Adds 'learning_rate' to the epoch logs.

    Args:
        schedule: function (epoch, lr) -> new learning rate (a float).
        verbose: 0 quiet, 1 prints the rate set at each epoch.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _update_optimizer_lr(self, optimizer, epoch):
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            learning_rate = self.schedule(epoch, float(np.asarray(optimizer.learning_rate)))
        except TypeError:  # the old one-argument API
            learning_rate = self.schedule(epoch)
        value = _as_float(learning_rate)
        if value is None:
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {learning_rate}")
        optimizer.learning_rate = value
        return value

    def on_epoch_begin(self, epoch, logs=None):
        for name, opt in _optimizers(self.model.optimizer):
            learning_rate = self._update_optimizer_lr(opt, epoch)
            if self.verbose > 0:
                which = f"{name} learning rate" if name else "learning rate"
                print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting {which} to {learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            _lr_logs(self.model, logs)
