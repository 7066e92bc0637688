"""`ReduceLROnPlateau`, with Keras 3's exact rules."""

import warnings

import numpy as np

from lstmkit.callbacks.callback import print_msg
from lstmkit.callbacks.monitor_callback import MonitorCallback

__all__ = ["ReduceLROnPlateau"]


def _optimizers(optimizer):
    """(name, optimizer) pairs: one per inner optimizer for wrappers that list `optimizers`."""
    inner = getattr(optimizer, "optimizers", None)
    if inner:
        return [(getattr(opt, "name", str(i)), opt) for i, opt in enumerate(inner)]
    return [(None, optimizer)]


def _lr_logs(model, logs):
    for name, opt in _optimizers(model.optimizer):
        logs["learning_rate" if name is None else f"learning_rate_{name}"] = float(np.asarray(opt.learning_rate))


class ReduceLROnPlateau(MonitorCallback):
    """Reduce the learning rate when a monitored quantity has stopped improving.

    After `patience` epochs without an improvement of more than `min_delta`, the optimizer's
    learning rate becomes `max(lr * factor, min_lr)`; then `cooldown` epochs pass before
    normal operation resumes. Adds 'learning_rate' (the rate used for the epoch) to the logs.

    Args:
        monitor: the log key to watch. Defaults to 'val_loss'.
        factor: factor by which the learning rate is multiplied (< 1). Defaults to 0.1.
        patience: epochs without improvement before the rate is reduced. Defaults to 10.
        verbose: 0 quiet, 1 prints a message at each reduction.
        mode: 'auto', 'min' or 'max'.
        min_delta: threshold for an improvement. Defaults to 1e-4.
        cooldown: epochs to wait after a reduction before counting again. Defaults to 0.
        min_lr: lower bound on the learning rate. Defaults to 0.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        if kwargs:
            warnings.warn(f"ReduceLROnPlateau ignores the unknown arguments {sorted(kwargs)}.", stacklevel=2)
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def _reduce_optimizer_lr(self, optimizer, epoch, name=None):
        old_lr = float(np.asarray(optimizer.learning_rate))
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                name_str = f" {name}" if name else ""
                print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{name_str} learning rate to {new_lr}.")
            return True
        return False

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        _lr_logs(self.model, logs)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(list(logs.keys()))}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                reduced = False
                for name, opt in _optimizers(self.model.optimizer):
                    if self._reduce_optimizer_lr(opt, epoch, name):
                        reduced = True
                if reduced:
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0
