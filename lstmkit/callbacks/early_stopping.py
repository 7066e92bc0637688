"""`EarlyStopping`, with Keras 3's exact rules."""

import warnings

import numpy as np

from lstmkit.callbacks.callback import print_msg
from lstmkit.callbacks.monitor_callback import MonitorCallback

__all__ = ["EarlyStopping"]


def copy_weights(weights):
    """Host copies of a list of weight arrays (so later training cannot change them)."""
    return [np.array(w, copy=True) for w in weights]


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored quantity has stopped improving.

    At the end of every epoch (from `start_from_epoch` on) the monitored value is compared
    with the best so far: it improves when it beats the best by more than `min_delta` in the
    direction of `mode`. After `patience` epochs without improvement `model.stop_training`
    is set and `fit` ends after that epoch.

    Args:
        monitor: the log key to watch. Defaults to 'val_loss'.
        min_delta: minimum change that counts as an improvement. Defaults to 0.
        patience: epochs without improvement before stopping. Defaults to 0.
        verbose: 0 silent; 1 prints a message when training stops and when weights are restored.
        mode: 'auto', 'min' or 'max' ('auto': 'loss' is minimized; metric names such as
            'accuracy' or 'auc' are maximized, 'mae' or 'mse' minimized).
        baseline: training stops if the model does not beat this value (improvements that do
            not beat it do not reset the patience counter).
        restore_best_weights: at the end of training, restore the weights of the best epoch
            (even when training was not stopped early).
        start_from_epoch: epochs to wait before monitoring starts.

    Attributes: `stopped_epoch` (0 when training was not stopped), `best_epoch`, `best`, `wait`,
    `best_weights`.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        # The same instance may be used for several fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Nothing recorded yet: the current weights are the best.
            self.best_weights = self._current_weights()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._current_weights()
            # Patience restarts only when the baseline is beaten too.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return

        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def _current_weights(self):
        # The engine replaces this while it replays epochs it ran with the rule on the device
        # (training/early_stop.py): the best weights are then copied there.
        return copy_weights(self.model.get_weights())

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(list(logs.keys()))}",
                stacklevel=2,
            )
        return value
