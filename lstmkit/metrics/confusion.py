"""Confusion-matrix metrics: TP/TN/FP/FN counts, Precision, Recall and the sensitivity/specificity family."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.losses import EPSILON, _divide_no_nan, squeeze_or_expand_to_same_rank
from lstmkit.metrics.base import NEG_INF, Metric, _f32
from lstmkit.metrics.functions import _F32


# --------------------------------------------------------------------------- confusion-matrix metrics
def _parse_thresholds(thresholds, default):
    if thresholds is not None:
        as_list = thresholds if isinstance(thresholds, (list, tuple)) else [thresholds]
        bad = [t for t in as_list if t is None or t < 0 or t > 1]
        if bad:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    value = default if thresholds is None else thresholds
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _evenly_distributed(thresholds):
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _filter_top_k(x, k):
    _, idx = jax.lax.top_k(x, k)
    mask = jnp.sum(jax.nn.one_hot(idx, x.shape[-1], axis=-1, dtype=x.dtype), axis=-2)
    return x * mask + NEG_INF * (1 - mask)


def _confusion_update(state, y_true, y_pred, thresholds, evenly, sample_weight=None, top_k=None, class_id=None,
                      multi_label=False, label_weights=None):
    """Keras's update_confusion_matrix_variables on a dict state with keys among 'tp', 'fp', 'tn', 'fn'."""
    y_true = _f32(y_true)
    y_pred = _f32(y_pred)
    thresholds_np = np.asarray(thresholds, dtype=np.float64)
    with_epsilon = bool(thresholds_np[0] < 0.0 or thresholds_np[-1] > 1.0) if evenly else False
    thr = jnp.asarray(thresholds_np.astype(np.float32))
    n_thr = len(thresholds_np)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = jnp.expand_dims(_f32(sample_weight), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape (num_samples, num_classes), "
                f"found shape: {y_pred.shape}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]

    new = dict(state)
    if evenly:
        weights = 1.0
        if sample_weight is not None:
            weights = jnp.broadcast_to(sample_weight, y_pred.shape)
            if not multi_label:
                weights = jnp.reshape(weights, (-1,))
        lw = 1.0
        if label_weights is not None:
            lw = jnp.broadcast_to(jnp.expand_dims(label_weights, 0), y_pred.shape)
            if not multi_label:
                lw = jnp.reshape(lw, (-1,))
        weights = jnp.asarray(weights * lw, _F32)
        y_pred = jnp.clip(y_pred, 0.0, 1.0)
        y_true = (y_true != 0).astype(_F32)
        if not multi_label:
            y_true = jnp.reshape(y_true, (-1,))
            y_pred = jnp.reshape(y_pred, (-1,))
        true_labels = y_true * weights
        false_labels = (1.0 - y_true) * weights
        buckets = jnp.ceil(y_pred * (jnp.asarray(n_thr, _F32) - 1)) - 1
        if with_epsilon:
            buckets = jax.nn.relu(buckets)
        buckets = buckets.astype(jnp.int32)

        def seg(data, ids):
            return jax.ops.segment_sum(data, ids, num_segments=n_thr)

        if multi_label:
            true_labels = jnp.transpose(true_labels)
            false_labels = jnp.transpose(false_labels)
            buckets = jnp.transpose(buckets)
            tp_b = jax.vmap(seg)(true_labels, buckets)
            fp_b = jax.vmap(seg)(false_labels, buckets)
            tp = jnp.transpose(jnp.flip(jnp.cumsum(jnp.flip(tp_b), axis=1)))
            fp = jnp.transpose(jnp.flip(jnp.cumsum(jnp.flip(fp_b), axis=1)))
            total_true = jnp.sum(true_labels, axis=1)
            total_false = jnp.sum(false_labels, axis=1)
        else:
            tp = jnp.flip(jnp.cumsum(jnp.flip(seg(true_labels, buckets))))
            fp = jnp.flip(jnp.cumsum(jnp.flip(seg(false_labels, buckets))))
            total_true = jnp.sum(true_labels)
            total_false = jnp.sum(false_labels)
        if "tp" in new:
            new["tp"] = new["tp"] + tp
        if "fp" in new:
            new["fp"] = new["fp"] + fp
        if "tn" in new:
            new["tn"] = new["tn"] + (total_false - fp)
        if "fn" in new:
            new["fn"] = new["fn"] + (total_true - tp)
        return new

    if multi_label:
        preds = y_pred[None]  # (1, N, L)
        labels = y_true.astype(bool)[None]
        thresh = thr.reshape(n_thr, 1, 1)
    else:
        preds = jnp.reshape(y_pred, (1, -1))
        labels = jnp.reshape(y_true.astype(bool), (1, -1))
        thresh = thr.reshape(n_thr, 1)
    pred_pos = preds > thresh
    weights = None
    if sample_weight is not None:
        weights = jnp.broadcast_to(sample_weight, y_pred.shape)
        weights = weights[None] if multi_label else jnp.reshape(weights, (1, -1))
    if label_weights is not None and not multi_label:
        lw = jnp.reshape(jnp.broadcast_to(jnp.expand_dims(label_weights, 0), y_pred.shape), (1, -1))
        weights = lw if weights is None else weights * lw

    def count(label, pred):
        both = jnp.logical_and(label, pred)
        if weights is not None:
            return jnp.sum(jnp.where(both, weights, 0.0), axis=1)
        return jnp.sum(both.astype(_F32), axis=1)

    if "tp" in new:
        new["tp"] = new["tp"] + count(labels, pred_pos)
    if "fn" in new:
        new["fn"] = new["fn"] + count(labels, jnp.logical_not(pred_pos))
    if "fp" in new:
        new["fp"] = new["fp"] + count(jnp.logical_not(labels), pred_pos)
    if "tn" in new:
        new["tn"] = new["tn"] + count(jnp.logical_not(labels), jnp.logical_not(pred_pos))
    return new


class _ConfusionMatrixConditionCount(Metric):
    _key = "tp"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5)
        self._evenly = _evenly_distributed(self.thresholds)

    def initial_state(self):
        return {self._key: jnp.zeros((len(self.thresholds),), _F32)}

    def update(self, state, y_true, y_pred, sample_weight=None):
        return _confusion_update(state, y_true, y_pred, self.thresholds, self._evenly, sample_weight)

    def result(self, state):
        acc = state[self._key]
        return acc[0] if len(self.thresholds) == 1 else acc

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true positives."""
    _key = "tp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true negatives."""
    _key = "tn"


class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false positives."""
    _key = "fp"


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false negatives."""
    _key = "fn"


class _PrecisionRecall(Metric):
    _keys = ("tp", "fp")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = _evenly_distributed(self.thresholds)

    def initial_state(self):
        return {k: jnp.zeros((len(self.thresholds),), _F32) for k in self._keys}

    def update(self, state, y_true, y_pred, sample_weight=None):
        return _confusion_update(state, y_true, y_pred, self.thresholds, self._evenly, sample_weight,
                                 top_k=self.top_k, class_id=self.class_id)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """tp / (tp + fp) at `thresholds` (default 0.5), optionally for the `top_k` classes or `class_id`."""
    _keys = ("tp", "fp")

    def result(self, state):
        r = _divide_no_nan(state["tp"], state["tp"] + state["fp"])
        return r[0] if len(self.thresholds) == 1 else r


class Recall(_PrecisionRecall):
    """tp / (tp + fn) at `thresholds` (default 0.5), optionally for the `top_k` classes or `class_id`."""
    _keys = ("tp", "fn")

    def result(self, state):
        r = _divide_no_nan(state["tp"], state["tp"] + state["fn"])
        return r[0] if len(self.thresholds) == 1 else r


class _SensitivitySpecificityBase(Metric):
    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: num_thresholds={num_thresholds}")
        self.value = value
        self.class_id = class_id
        self.num_thresholds = num_thresholds
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._evenly = True

    def initial_state(self):
        return {k: jnp.zeros((len(self.thresholds),), _F32) for k in ("tp", "fp", "tn", "fn")}

    def update(self, state, y_true, y_pred, sample_weight=None):
        return _confusion_update(state, y_true, y_pred, self.thresholds, self._evenly, sample_weight,
                                 class_id=self.class_id)

    def _rates(self, s):
        sens = _divide_no_nan(s["tp"], s["tp"] + s["fn"])
        spec = _divide_no_nan(s["tn"], s["tn"] + s["fp"])
        prec = _divide_no_nan(s["tp"], s["tp"] + s["fp"])
        return sens, spec, prec

    def _max_under(self, constrained, dependent):
        feasible = constrained >= self.value
        return jnp.max(jnp.where(feasible, dependent, 0.0), initial=0.0)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "class_id": self.class_id,
                "num_thresholds": self.num_thresholds}


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """Best sensitivity among thresholds whose specificity is >= `specificity`."""

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        if specificity < 0 or specificity > 1:
            raise ValueError(f"Argument `specificity` must be in the range [0, 1]. Received: specificity={specificity}")
        self.specificity = specificity
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self, state):
        sens, spec, _ = self._rates(state)
        return self._max_under(spec, sens)

    def get_config(self):
        return {**super().get_config(), "specificity": self.specificity}


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """Best specificity among thresholds whose sensitivity is >= `sensitivity`."""

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        if sensitivity < 0 or sensitivity > 1:
            raise ValueError(f"Argument `sensitivity` must be in the range [0, 1]. Received: sensitivity={sensitivity}")
        self.sensitivity = sensitivity
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self, state):
        sens, spec, _ = self._rates(state)
        return self._max_under(sens, spec)

    def get_config(self):
        return {**super().get_config(), "sensitivity": self.sensitivity}


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """Best precision among thresholds whose recall is >= `recall`."""

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        if recall < 0 or recall > 1:
            raise ValueError(f"Argument `recall` must be in the range [0, 1]. Received: recall={recall}")
        self.recall = recall
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self, state):
        rec, _, prec = self._rates(state)
        return self._max_under(rec, prec)

    def get_config(self):
        return {**super().get_config(), "recall": self.recall}


class RecallAtPrecision(_SensitivitySpecificityBase):
    """Best recall among thresholds whose precision is >= `precision`."""

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        if precision < 0 or precision > 1:
            raise ValueError(f"Argument `precision` must be in the range [0, 1]. Received: precision={precision}")
        self.precision = precision
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self, state):
        rec, _, prec = self._rates(state)
        return self._max_under(prec, rec)

    def get_config(self):
        return {**super().get_config(), "precision": self.precision}
