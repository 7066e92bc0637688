"""The `AUC` metric (ROC / PR / PRGAIN curves over confusion-matrix thresholds)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.losses import EPSILON, _divide_no_nan
from lstmkit.metrics.base import Metric
from lstmkit.metrics.confusion import _confusion_update, _evenly_distributed
from lstmkit.metrics.functions import _F32


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = {"interpolation": "interpolation", "majoring": "majoring", "minoring": "minoring"}


class AUC(Metric):
    """Area under the ROC (or PR) curve, approximated on `num_thresholds` thresholds as Keras does."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        curve_key = getattr(curve, "value", curve)
        if curve_key not in ("ROC", "roc", "PR", "pr", "PRGAIN", "prgain"):
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]')
        summation_key = getattr(summation_method, "value", summation_method)
        if summation_key not in ("interpolation", "Interpolation", "majoring", "Majoring", "minoring", "Minoring"):
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". '
                'Expected values are ["interpolation", "majoring", "minoring"]'
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
            self._evenly = _evenly_distributed(np.array([0.0] + thresholds + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = np.array([0.0 - EPSILON] + thresholds + [1.0 + EPSILON])
        self.curve = _CURVES[curve_key.lower()]
        self.summation_method = _SUMMATIONS[summation_key.lower()]
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else jnp.asarray(label_weights, _F32)
        self._label_weights_init = label_weights
        self._from_logits = from_logits
        self._num_labels = None
        if multi_label:
            if num_labels:
                self.build(None, (None, num_labels))
        elif num_labels:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, y_true_shape, y_pred_shape):
        if self.multi_label and y_pred_shape is not None:
            if len(y_pred_shape) != 2:
                raise ValueError(
                    f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {len(y_pred_shape)}. "
                    f"Full shape received for `y_pred`: {y_pred_shape}"
                )
            self._num_labels = y_pred_shape[1]

    def initial_state(self):
        if self.multi_label:
            if self._num_labels is None:
                raise ValueError(
                    "AUC(multi_label=True) needs the number of labels: pass `num_labels`, or let compile() / "
                    "update_state() size it from the data."
                )
            shape = (self.num_thresholds, self._num_labels)
        else:
            shape = (self.num_thresholds,)
        return {k: jnp.zeros(shape, _F32) for k in ("tp", "fp", "tn", "fn")}

    def update(self, state, y_true, y_pred, sample_weight=None):
        if self._from_logits:
            y_pred = jax.nn.sigmoid(jnp.asarray(y_pred))
        return _confusion_update(state, y_true, y_pred, self._thresholds, self._evenly, sample_weight,
                                 multi_label=self.multi_label,
                                 label_weights=None if self.multi_label else self.label_weights)

    def _average(self, by_label):
        if self.label_weights is None:
            return jnp.mean(by_label)
        return _divide_no_nan(jnp.sum(by_label * self.label_weights), jnp.sum(self.label_weights))

    def _interpolate_pr_auc(self, s):
        n = self.num_thresholds
        tp, fp, fn = s["tp"], s["fp"], s["fn"]
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = _divide_no_nan(dtp, jnp.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = jnp.where(
            jnp.logical_and(p[: n - 1] > 0, p[1:] > 0),
            _divide_no_nan(p[: n - 1], jnp.maximum(p[1:], 0)),
            jnp.ones_like(p[1:]),
        )
        increment = _divide_no_nan(prec_slope * (dtp + intercept * jnp.log(safe_p_ratio)),
                                   jnp.maximum(tp[1:] + fn[1:], 0))
        if self.multi_label:
            return self._average(jnp.sum(increment, axis=0))
        return jnp.sum(increment)

    def result(self, state):
        s = state
        n = self.num_thresholds
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(s)
        tp, fp, tn, fn = s["tp"], s["fp"], s["tn"], s["fn"]
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x = _divide_no_nan(fp, fp + tn)
            y = recall
        elif self.curve == "PR":
            x = recall
            y = _divide_no_nan(tp, tp + fp)
        else:
            scaling = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * _divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * _divide_no_nan(fp, tp)
            recall_gain = jnp.where(tp == 0.0, 0.0, recall_gain)
            precision_gain = jnp.where(tp == 0.0, 1.0, precision_gain)
            x = jnp.maximum(recall_gain, 0.0)
            y = precision_gain
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = jnp.minimum(y[: n - 1], y[1:])
        else:
            heights = jnp.maximum(y[: n - 1], y[1:])
        terms = (x[: n - 1] - x[1:]) * heights
        if self.multi_label:
            return self._average(jnp.sum(terms, axis=0))
        return jnp.sum(terms)

    def get_config(self):
        lw = self._label_weights_init
        config = {
            "name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds, "curve": self.curve,
            "summation_method": self.summation_method, "multi_label": self.multi_label,
            "num_labels": self.num_labels, "label_weights": None if lw is None else list(np.asarray(lw, float)),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self.thresholds[1:-1]]
        return config
