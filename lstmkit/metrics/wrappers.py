"""Metrics averaging a per-sample function (MSE, accuracies, ...), `RootMeanSquaredError`, shape-resolved metrics."""

from __future__ import annotations

import jax.numpy as jnp

from lstmkit import losses as losses_mod
from lstmkit.losses import _divide_no_nan, squeeze_or_expand_to_same_rank
from lstmkit.losses.base import sparse_label_range
from lstmkit.metrics.base import Mean, MeanMetricWrapper, Metric, _f32, _mean_update
from lstmkit.metrics.functions import (
    _cosine_similarity, accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy, top_k_categorical_accuracy,
)


# --------------------------------------------------------------------------- wrapper classes
def _wrapper_class(class_name, fn, default_name, doc, extra=()):
    """A MeanMetricWrapper subclass with Keras's constructor `(name, dtype, *extra)`."""
    extra_names = [e[0] for e in extra]

    def __init__(self, name=default_name, dtype=None, **kwargs):
        unknown = set(kwargs) - set(extra_names)
        if unknown:
            raise TypeError(f"{class_name}() got unexpected keyword arguments: {sorted(unknown)}")
        values = {k: kwargs.get(k, d) for k, d in extra}
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **values)
        for k, v in values.items():
            setattr(self, k, v)

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype}
        config.update({k: getattr(self, k) for k in extra_names})
        return config

    if extra:
        params = ", ".join(f"{k}={d!r}" for k, d in extra)
        doc = f"{doc}\n\n    Arguments: name='{default_name}', dtype=None, {params}."
    return type(class_name, (MeanMetricWrapper,), {
        "__init__": __init__, "get_config": get_config, "__doc__": doc, "__module__": __name__,
        "from_config": classmethod(lambda cls, config: cls(**config)),
    })


MeanSquaredError = _wrapper_class("MeanSquaredError", losses_mod.mean_squared_error, "mean_squared_error",
                                  "Mean of squared errors.")
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", losses_mod.mean_absolute_error, "mean_absolute_error",
                                   "Mean of absolute errors.")
MeanAbsolutePercentageError = _wrapper_class("MeanAbsolutePercentageError",
                                             losses_mod.mean_absolute_percentage_error,
                                             "mean_absolute_percentage_error", "Mean absolute percentage error.")
MeanSquaredLogarithmicError = _wrapper_class("MeanSquaredLogarithmicError",
                                             losses_mod.mean_squared_logarithmic_error,
                                             "mean_squared_logarithmic_error", "Mean squared logarithmic error.")
LogCoshError = _wrapper_class("LogCoshError", losses_mod.log_cosh, "logcosh", "Mean of log(cosh(error)).")
Accuracy = _wrapper_class("Accuracy", accuracy, "accuracy", "How often predictions equal labels exactly.")
CategoricalAccuracy = _wrapper_class("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy",
                                     "How often argmax(y_pred) matches the one-hot label.")
SparseCategoricalAccuracy = _wrapper_class("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                           "sparse_categorical_accuracy",
                                           "How often argmax(y_pred) matches the integer label.")
KLDivergence = _wrapper_class("KLDivergence", losses_mod.kl_divergence, "kl_divergence",
                              "Kullback-Leibler divergence.")
Poisson = _wrapper_class("Poisson", losses_mod.poisson, "poisson", "Poisson loss as a metric.")
Hinge = _wrapper_class("Hinge", losses_mod.hinge, "hinge", "Hinge loss as a metric.")
SquaredHinge = _wrapper_class("SquaredHinge", losses_mod.squared_hinge, "squared_hinge",
                              "Squared hinge loss as a metric.")
CategoricalHinge = _wrapper_class("CategoricalHinge", losses_mod.categorical_hinge, "categorical_hinge",
                                  "Categorical hinge loss as a metric.")


class BinaryAccuracy(MeanMetricWrapper):
    """How often `(y_pred > threshold)` equals the binary label."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the top `k` predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the top `k` predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity between labels and predictions along `axis`."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class BinaryCrossentropy(MeanMetricWrapper):
    """Mean binary cross-entropy."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(losses_mod.binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class CategoricalCrossentropy(MeanMetricWrapper):
    """Mean categorical cross-entropy (one-hot labels)."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0, axis=-1):
        super().__init__(losses_mod.categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Mean sparse categorical cross-entropy (integer labels)."""

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None,
                 axis=-1):
        super().__init__(losses_mod.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "ignore_class": self.ignore_class, "axis": self.axis}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class RootMeanSquaredError(Mean):
    """Square root of the (weighted) mean of squared errors."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_true, y_pred = squeeze_or_expand_to_same_rank(_f32(y_true), _f32(y_pred))
        return _mean_update(state, jnp.square(y_pred - y_true), sample_weight)

    def update_state(self, y_true, y_pred, sample_weight=None):
        Metric.update_state(self, y_true, y_pred, sample_weight=sample_weight)

    def result(self, state):
        total, count = state
        return jnp.sqrt(_divide_no_nan(total, count))


# --------------------------------------------------------------------------- shape-resolved metrics
def _is_binary_or_sparse(y_true_shape, y_pred_shape):
    return losses_mod._is_binary_or_sparse(y_true_shape, y_pred_shape)


def _accuracy_fn_for(y_true_shape, y_pred_shape):
    is_binary, is_sparse = _is_binary_or_sparse(y_true_shape, y_pred_shape)
    if is_binary:
        return binary_accuracy
    if is_sparse:
        return sparse_categorical_accuracy
    return categorical_accuracy


class _ShapeResolved(MeanMetricWrapper):
    """'accuracy'/'acc' or 'crossentropy'/'ce' given before the data's shapes are known: Keras 3's
    choice (binary, sparse or categorical) is made from the static shapes when the metric is traced."""

    _kind = "accuracy"

    def __init__(self, name=None, dtype=None):
        super().__init__(self._pick, name=name or self._kind, dtype=dtype)

    def _pick(self, y_true, y_pred):
        y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
        if self._kind == "accuracy":
            fn = _accuracy_fn_for(y_true.shape, y_pred.shape)
        else:
            fn = losses_mod._crossentropy_for(y_true.shape, y_pred.shape)
        return fn(y_true, y_pred)

    def label_range(self, y_shape, pred_shape):
        if not pred_shape or pred_shape[-1] is None or not y_shape:
            return None
        if self._kind == "accuracy":
            fn = _accuracy_fn_for(tuple(y_shape), tuple(pred_shape))
        else:
            fn = losses_mod._crossentropy_for(tuple(y_shape), tuple(pred_shape))
        return sparse_label_range(fn, {}, pred_shape)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _AutoAccuracy(_ShapeResolved):
    _kind = "accuracy"


class _AutoCrossentropy(_ShapeResolved):
    _kind = "crossentropy"
