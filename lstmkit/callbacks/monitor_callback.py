"""Shared logic of callbacks that watch one logged quantity (`EarlyStopping`, `ReduceLROnPlateau`,
`ModelCheckpoint`): the direction of improvement and the `min_delta` comparison, as Keras 3."""

import re
import warnings

import numpy as np

from lstmkit.callbacks.callback import Callback

__all__ = ["MonitorCallback", "infer_direction"]

# Suffixes of Keras's built-in metric names, by direction (after 'val_' and any '_<n>' are removed).
_UP_SUFFIXES = (
    "acc", "accuracy", "auc", "prc", "precision", "recall", "f1_score", "fbeta_score", "r2_score", "iou",
    "cosine_similarity", "correlation", "true_positives", "true_negatives", "specificity", "sensitivity",
)
_DOWN_SUFFIXES = (
    "loss", "error", "mse", "mae", "mape", "msle", "rmse", "crossentropy", "hinge", "divergence", "kld",
    "poisson", "logcosh", "log_cosh", "false_positives", "false_negatives",
)


def _direction_from_model(name, model):
    """'max'/'min' from a metric object of `model.metrics` called `name` that declares a direction."""
    try:
        pending = list(getattr(model, "metrics", None) or [])
    except Exception:  # a model not built yet may refuse to list its metrics
        return None
    seen = 0
    while pending and seen < 10_000:
        seen += 1
        metric = pending.pop(0)
        if getattr(metric, "name", None) == name:
            direction = getattr(metric, "_direction", None) or getattr(metric, "direction", None)
            if direction == "up":
                return "max"
            if direction == "down":
                return "min"
        nested = getattr(metric, "metrics", None)
        if isinstance(nested, (list, tuple)):
            pending.extend(nested)
    return None


def _direction_from_name(name):
    name = re.sub(r"_\d+$", "", name.lower())
    if name.endswith("loss"):
        return "min"
    if name.endswith(_UP_SUFFIXES):
        return "max"
    if name.endswith(_DOWN_SUFFIXES):
        return "min"
    return None


def infer_direction(monitor, model=None):
    """'min', 'max' or None for `mode='auto'`.

    Like Keras 3: 'loss' (and 'val_loss') is minimized, and a metric object in `model.metrics`
    with that name and a declared direction decides. Beyond Keras, the names of Keras's
    built-in metrics are recognised too ('accuracy', 'auc', 'precision', ... are maximized;
    'mae', 'mse', '..._crossentropy', ... minimized), with or without an output-name prefix.
    """
    name = monitor[len("val_"):] if monitor.startswith("val_") else monitor
    if name == "loss":
        return "min"
    return _direction_from_model(name, model) or _direction_from_name(name)


class MonitorCallback(Callback):
    """Base class for callbacks that monitor a quantity and judge improvements (Keras 3 semantics).

    Args:
        monitor: the log key to watch.
        mode: 'auto', 'min' or 'max'; an unknown mode warns and falls back to 'auto'.
        baseline: initial "best" value; None: the first value seen.
        min_delta: the smallest change that counts as an improvement (its sign is ignored).
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{self.__class__.__name__} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            direction = "min"
        elif self.mode == "max":
            direction = "max"
        else:
            direction = infer_direction(self.monitor, self.model)
            if direction is None:
                raise ValueError(
                    f"{self.__class__.__name__} callback received monitor={self.monitor}, but lstmkit isn't able "
                    "to automatically determine whether that metric should be maximized or minimized. Pass "
                    "`mode='max'` in order to monitor based on the highest metric value, or pass `mode='min'` "
                    "in order to use the lowest value."
                )
        self.monitor_op = np.less if direction == "min" else np.greater
        if self.monitor_op is np.less:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
