"""Keras 3's metrics as pure accumulators (jittable; the engine runs them inside `lax.scan`).

Every metric has a pure API:

```python
state = metric.initial_state()                      # a pytree of jnp arrays
state = metric.update(state, y_true, y_pred, sample_weight=None)
value = metric.result(state)
```

and Keras's stateful convenience API on top of it: `update_state(...)`,
`result()`, `reset_state()`, and `metric(y_true, y_pred)`.

Weighted averaging follows Keras 3 exactly (sum of weighted values over the sum
of weights; values averaged over the non-sample axes first), so feeding the same
batches gives Keras's result.

Write your own metric as a function `f(y_true, y_pred)` returning per-sample
values (it is averaged by `MeanMetricWrapper`), or subclass `Metric` and
implement `initial_state`, `update(state, y_true, y_pred, sample_weight=None)`
and `result(state)`.
"""

from __future__ import annotations

import functools
import inspect

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit import losses as losses_mod
from lstmkit.losses import EPSILON, _divide_no_nan, _l2_normalize, _pred, squeeze_or_expand_to_same_rank
from lstmkit.optimizers._naming import auto_name, to_snake_case

_F32 = jnp.float32
NEG_INF = -1e10

__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError", "LogCoshError",
    "CosineSimilarity", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "KLDivergence", "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge",
    "TruePositives", "TrueNegatives", "FalsePositives", "FalseNegatives", "Precision", "Recall", "AUC",
    "SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall", "RecallAtPrecision", "R2Score",
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "get", "serialize", "deserialize",
]

_MISSING = object()


def _check_dtype(dtype):
    if dtype not in (None, "float32") and getattr(dtype, "name", None) != "float32" and dtype is not jnp.float32:
        raise NotImplementedError(f"lstmkit metrics accumulate in float32; dtype={dtype!r} is not supported.")


def _f32(x):
    return jnp.asarray(x).astype(_F32)


# --------------------------------------------------------------------------- base
class Metric:
    """Base class of all metrics: a pure accumulator plus Keras's stateful API.

    Subclasses implement `initial_state()`, `update(state, y_true, y_pred, sample_weight=None)` and
    `result(state)`; `result()` without a state returns the stateful API's current result.
    Metrics whose state depends on the data's shape implement `_build(y_true_shape, y_pred_shape)`.
    """

    def __init__(self, name=None, dtype=None):
        _check_dtype(dtype)
        self.name = name or auto_name(type(self).__name__)
        self._state = None
        self._built = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        fn = cls.__dict__.get("result")
        if fn is not None and not getattr(fn, "_stateful_wrapped", False):
            if len(inspect.signature(fn).parameters) < 2:
                raise TypeError(
                    f"{cls.__name__}.result(self) takes no state: lstmkit metrics are pure accumulators. Implement "
                    "`initial_state()`, `update(state, y_true, y_pred, sample_weight=None)` and `result(state)` "
                    "(the stateful `update_state()`/`result()`/`reset_state()` come from the base class)."
                )
            @functools.wraps(fn)
            def result(self, state=_MISSING):
                if state is _MISSING:
                    state = self._current_state()
                return fn(self, state)

            result._stateful_wrapped = True
            cls.result = result

    # ---- shapes
    def build(self, y_true_shape=None, y_pred_shape=None):
        """Size the state for data of these shapes (only some metrics need it)."""
        self._build(None if y_true_shape is None else tuple(y_true_shape),
                    None if y_pred_shape is None else tuple(y_pred_shape))
        self._built = True

    def _build(self, y_true_shape, y_pred_shape):
        pass

    # ---- pure API
    def initial_state(self):
        raise NotImplementedError(f"Metric '{type(self).__name__}' must implement `initial_state()`.")

    def update(self, state, y_true, y_pred, sample_weight=None):
        raise NotImplementedError(f"Metric '{type(self).__name__}' must implement `update(state, y_true, y_pred, sample_weight=None)`.")

    def result(self, state=_MISSING):
        raise NotImplementedError(f"Metric '{type(self).__name__}' must implement `result(state)`.")

    # ---- stateful API
    def _current_state(self):
        if self._state is None:
            self._state = self.initial_state()
        return self._state

    def _ensure_state(self, y_true=None, y_pred=None):
        if self._state is None:
            if not self._built and y_pred is not None:
                self.build(None if y_true is None else np.shape(y_true), np.shape(y_pred))
            self._state = self.initial_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._ensure_state(y_true, y_pred)
        self._state = self.update(self._state, y_true, y_pred, sample_weight=sample_weight)

    def reset_state(self):
        self._state = None

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    @property
    def dtype(self):
        return "float32"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


# --------------------------------------------------------------------------- reductions
def _reduce_to_samplewise(values, sample_weight, reduce_fn, mask=None):
    """Keras's reduce_to_samplewise_values: (per-sample values, per-sample weights or None)."""
    values = _f32(values)
    if sample_weight is not None:
        sample_weight = _f32(sample_weight)
        if mask is not None:
            sample_weight = losses_mod.apply_mask(sample_weight, mask, reduction="sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.ndim
        values_ndim = values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        sample_weight = jnp.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


def _mean_update(state, values, sample_weight=None, mask=None):
    total, count = state
    values, sample_weight = _reduce_to_samplewise(values, sample_weight, jnp.mean, mask)
    total = total + jnp.sum(values)
    if sample_weight is not None:
        n = jnp.sum(sample_weight)
    elif values.ndim >= 1:
        n = values.shape[0]
    else:
        n = 1
    return total, count + jnp.asarray(n).astype(_F32)


class Sum(Metric):
    """The (weighted) sum of the values given to `update_state(values, sample_weight=None)`."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def initial_state(self):
        return jnp.zeros((), _F32)

    def update(self, state, values, sample_weight=None):
        values, _ = _reduce_to_samplewise(values, sample_weight, jnp.sum)
        return state + jnp.sum(values)

    def update_state(self, values, sample_weight=None):
        self._ensure_state()
        self._state = self.update(self._state, values, sample_weight=sample_weight)

    def result(self, state):
        return state


class Mean(Metric):
    """The (weighted) mean of the values given to `update_state(values, sample_weight=None)`."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def initial_state(self):
        return (jnp.zeros((), _F32), jnp.zeros((), _F32))

    def update(self, state, values, sample_weight=None):
        return _mean_update(state, values, sample_weight)

    def update_state(self, values, sample_weight=None):
        self._ensure_state()
        self._state = self.update(self._state, values, sample_weight=sample_weight)

    def result(self, state):
        total, count = state
        return _divide_no_nan(total, count)


class MeanMetricWrapper(Metric):
    """The mean of `fn(y_true, y_pred, **kwargs)` (per-sample values) over everything fed to it."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        if not callable(fn):
            raise ValueError(f"MeanMetricWrapper needs a callable `fn`; received {fn!r}.")
        self._fn = fn
        self._fn_kwargs = kwargs

    def _values(self, y_true, y_pred):
        with_mask = getattr(self._fn, "_with_mask", None)
        if with_mask is not None:
            return with_mask(y_true, y_pred, **self._fn_kwargs)
        return self._fn(y_true, y_pred, **self._fn_kwargs), None

    def initial_state(self):
        return (jnp.zeros((), _F32), jnp.zeros((), _F32))

    def update(self, state, y_true, y_pred, sample_weight=None):
        values, mask = self._values(y_true, y_pred)
        return _mean_update(state, values, sample_weight, mask)

    def result(self, state):
        total, count = state
        return _divide_no_nan(total, count)

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "fn": losses_mod._serialize_function(self._fn)}
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn")
        if isinstance(fn, (dict, str)):
            name = fn["config"] if isinstance(fn, dict) else fn
            fn = _FUNCTIONS.get(name) or losses_mod._deserialize_function(fn)
        return cls(fn, **config)


# --------------------------------------------------------------------------- metric functions
def accuracy(y_true, y_pred):
    """1.0 where `y_true == y_pred` exactly."""
    y_pred = _pred(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).astype(_F32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where `(y_pred > threshold) == y_true`."""
    y_pred = _pred(y_pred)
    y_true = jnp.asarray(y_true)
    threshold = jnp.asarray(threshold, _F32) if isinstance(threshold, float) else jnp.asarray(threshold)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = (y_pred > threshold).astype(y_true.dtype)
    return (y_true == y_pred).astype(_F32)


def categorical_accuracy(y_true, y_pred):
    """1.0 where `argmax(y_true) == argmax(y_pred)` (one-hot labels)."""
    y_true = jnp.argmax(jnp.asarray(y_true), axis=-1)
    y_pred = _pred(y_pred)
    y_true = y_true.astype(y_pred.dtype)
    org_shape = y_true.shape
    reshape = False
    if y_true.ndim == y_pred.ndim:
        y_true = jnp.squeeze(y_true, -1)
        reshape = True
    y_pred = jnp.argmax(y_pred, axis=-1)
    if y_pred.dtype != y_true.dtype:
        y_pred = y_pred.astype(y_true.dtype)
    matches = (y_true == y_pred).astype(_F32)
    if reshape:
        matches = jnp.reshape(matches, org_shape)
    return matches


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label `y_true` equals `argmax(y_pred)`."""
    y_pred = _pred(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    org_shape = y_true.shape
    reshape = False
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)
        reshape = True
    y_pred = jnp.argmax(y_pred, axis=-1)
    if y_pred.dtype != y_true.dtype:
        y_pred = y_pred.astype(y_true.dtype)
    matches = (y_true == y_pred).astype(_F32)
    if reshape:
        matches = jnp.reshape(matches, org_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = jnp.squeeze(matches, -1)
    return matches


def _in_top_k(targets, predictions, k):
    at_label = jnp.take_along_axis(predictions, jnp.expand_dims(targets, -1), axis=-1)
    at_label = jnp.where(jnp.isnan(at_label), -jnp.inf, at_label)
    rank = 1 + jnp.sum(predictions > at_label, axis=-1)
    return rank <= k


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the `k` largest predictions."""
    y_pred = _pred(y_pred)
    y_true = jnp.argmax(jnp.asarray(y_true).astype(y_pred.dtype), axis=-1)
    org_shape = y_true.shape
    reshape = False
    if y_pred.ndim > 2:
        y_pred = jnp.reshape(y_pred, (-1, y_pred.shape[-1]))
    if y_true.ndim > 1:
        reshape = True
        y_true = jnp.reshape(y_true, (-1,))
    matches = _in_top_k(y_true.astype(jnp.int32), y_pred, k).astype(_F32)
    if reshape:
        matches = jnp.reshape(matches, org_shape)
    return matches


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the `k` largest predictions."""
    y_pred = _pred(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype if from_sorted_ids else jnp.int32)
    org_shape = y_true.shape
    reshape = False
    if y_pred.ndim > 2:
        y_pred = jnp.reshape(y_pred, (-1, y_pred.shape[-1]))
    if y_true.ndim > 1:
        reshape = True
        y_true = jnp.reshape(y_true, (-1,))
    if from_sorted_ids:
        matches = jnp.any(jnp.expand_dims(y_true, 1) == y_pred[:, :k], axis=1)
    else:
        matches = _in_top_k(y_true, y_pred, k)
    matches = matches.astype(_F32)
    if reshape:
        matches = jnp.reshape(matches, org_shape)
    return matches


def _cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine similarity (positive, unlike the loss)."""
    y_pred = _pred(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return jnp.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


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

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _AutoAccuracy(_ShapeResolved):
    _kind = "accuracy"


class _AutoCrossentropy(_ShapeResolved):
    _kind = "crossentropy"


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


class R2Score(Metric):
    """Coefficient of determination, per output then aggregated (`class_aggregation`)."""

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(
                f"Invalid value for argument `class_aggregation`. Expected one of {valid}. "
                f"Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(f"Invalid value for argument `num_regressors`. Expected a value >= 0. Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self._num_classes = None

    def _build(self, y_true_shape, y_pred_shape):
        if y_pred_shape is None:
            return
        if len(y_pred_shape) != 2 or (y_true_shape is not None and len(y_true_shape) != 2):
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input shapes: "
                f"y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        if y_pred_shape[-1] is None:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim), with output_dim defined.")
        self._num_classes = int(y_pred_shape[-1])

    def initial_state(self):
        if self._num_classes is None:
            raise ValueError("R2Score needs the output dimension: let compile() / update_state() size it from the data.")
        z = jnp.zeros((self._num_classes,), _F32)
        return {"num_samples": jnp.zeros((), _F32), "squared_sum": z, "sum": z, "total_mse": z, "count": z}

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_true, y_pred = squeeze_or_expand_to_same_rank(_f32(y_true), _f32(y_pred))
        sw = _f32(1.0 if sample_weight is None else sample_weight)
        if sw.ndim == 1:
            sw = jnp.expand_dims(sw, 1)
        sw = jnp.broadcast_to(sw, y_true.shape)
        weighted = y_true * sw
        return {
            "sum": state["sum"] + jnp.sum(weighted, axis=0),
            "squared_sum": state["squared_sum"] + jnp.sum(y_true * weighted, axis=0),
            "total_mse": state["total_mse"] + jnp.sum((y_true - y_pred) ** 2 * sw, axis=0),
            "count": state["count"] + jnp.sum(sw, axis=0),
            "num_samples": state["num_samples"] + jnp.asarray(y_true.size, _F32),
        }

    def result(self, state):
        mean = state["sum"] / state["count"]
        total = state["squared_sum"] - state["sum"] * mean
        raw = 1 - (state["total_mse"] / total)
        raw = jnp.where(jnp.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            r2 = jnp.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            r2 = jnp.sum(total * raw) / jnp.sum(total)
        else:
            r2 = raw
        if self.num_regressors != 0:
            n = state["num_samples"]
            p = jnp.asarray(self.num_regressors, _F32)
            adjusted = 1.0 - ((1.0 - r2) * (n - 1.0)) / ((n - p) - 1.0)
            # Keras falls back to the plain score when num_regressors >= num_samples - 1.
            r2 = jnp.where(p < n - 1, adjusted, r2)
        return r2

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


# --------------------------------------------------------------------------- lookup
_METRIC_CLASSES = (
    Mean, Sum, MeanMetricWrapper, MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score, AUC,
    FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall, RecallAtPrecision,
    SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives, TruePositives, Hinge, SquaredHinge,
    CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
)
ALL_OBJECTS_DICT = {c.__name__: c for c in _METRIC_CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(c.__name__): c for c in _METRIC_CLASSES})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError, "mape": MeanAbsolutePercentageError,
    "MAPE": MeanAbsolutePercentageError, "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    # Beyond Keras 3's table: common short names.
    "rmse": RootMeanSquaredError, "RMSE": RootMeanSquaredError, "logcosh": LogCoshError, "log_cosh": LogCoshError,
    "kld": KLDivergence, "KLD": KLDivergence, "kullback_leibler_divergence": KLDivergence,
    "top_k_accuracy": TopKCategoricalAccuracy, "sparse_top_k_accuracy": SparseTopKCategoricalAccuracy,
})
# Metric functions by name (for MeanMetricWrapper configs and Keras-function identifiers).
_FUNCTIONS = {f.__name__: f for f in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
)}
_FUNCTIONS["cosine_similarity"] = _cosine_similarity
_SPECIAL = ("accuracy", "acc", "crossentropy", "ce")
_NOT_BY_NAME = {"Mean", "Sum", "MeanMetricWrapper", "mean_metric_wrapper"}


def _valid_names():
    names = set(ALL_OBJECTS_DICT) - _NOT_BY_NAME | set(_SPECIAL) | {"mean", "sum"}
    names |= set(losses_mod._FUNCTIONS) | set(losses_mod._FUNCTION_ALIASES)
    return ", ".join(repr(n) for n in sorted(names))


def _unknown(identifier):
    return ValueError(f"Could not interpret metric identifier: {identifier!r}. Valid names are: {_valid_names()}.")


def serialize(metric):
    """Keras 3's serialized form of a metric (or a metric function)."""
    if isinstance(metric, _ShapeResolved):
        return metric.name
    if isinstance(metric, Metric):
        cls = type(metric)
        builtin = ALL_OBJECTS_DICT.get(cls.__name__) is cls
        return {
            "module": "keras.metrics" if builtin else cls.__module__,
            "class_name": cls.__name__,
            "config": metric.get_config(),
            "registered_name": None if builtin else cls.__name__,
        }
    if callable(metric):
        return losses_mod._serialize_function(metric)
    raise ValueError(f"Could not serialize metric: {metric!r}")


def deserialize(config, custom_objects=None):
    """A metric from `serialize`'s output (Keras 3 or Keras 2 dicts, or a name)."""
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise _unknown(config)
    name = config["class_name"]
    custom = dict(custom_objects or {})
    if name == "function":
        fname = config["config"]
        fn = custom.get(fname) or _FUNCTIONS.get(fname) or losses_mod._FUNCTIONS.get(fname)
        if fn is None:
            raise _unknown(fname)
        return fn
    cls = custom.get(name) or custom.get(config.get("registered_name") or "") or ALL_OBJECTS_DICT.get(name)
    if cls is None:
        raise _unknown(name)
    cfg = dict(config.get("config") or {})
    if cls is MeanMetricWrapper:
        return MeanMetricWrapper.from_config(cfg)
    return cls.from_config(cfg)


def _resolve_shape_rule(kind, name, y_true_shape, y_pred_shape):
    """Keras 3's compile rule for 'accuracy'/'acc' and 'crossentropy'/'ce'."""
    if y_pred_shape is not None and y_true_shape is not None:
        is_binary, is_sparse = _is_binary_or_sparse(tuple(y_true_shape), tuple(y_pred_shape))
        if kind == "accuracy":
            cls = BinaryAccuracy if is_binary else SparseCategoricalAccuracy if is_sparse else CategoricalAccuracy
            return cls(name=name)
        fn = losses_mod.binary_crossentropy if is_binary else (
            losses_mod.sparse_categorical_crossentropy if is_sparse else losses_mod.categorical_crossentropy)
        return MeanMetricWrapper(fn, name=name)
    if y_pred_shape is not None and tuple(y_pred_shape)[-1] == 1:
        # Binary whatever y_true looks like.
        return BinaryAccuracy(name=name) if kind == "accuracy" else MeanMetricWrapper(losses_mod.binary_crossentropy, name=name)
    return (_AutoAccuracy if kind == "accuracy" else _AutoCrossentropy)(name=name)


def _from_keras_object(identifier):
    module = getattr(type(identifier), "__module__", "") or ""
    cls_name = type(identifier).__name__
    if module.startswith("keras") and cls_name in ALL_OBJECTS_DICT and hasattr(identifier, "get_config"):
        cls = ALL_OBJECTS_DICT[cls_name]
        if cls is MeanMetricWrapper:
            return None
        config = identifier.get_config()
        config.pop("dtype", None)
        return cls.from_config(config)
    return None


def get(identifier, y_true_shape=None, y_pred_shape=None, loss=None):
    """A `Metric` from a name, alias, class, config dict, instance or function (Keras 3's compile rules).

    'accuracy'/'acc' (and 'crossentropy'/'ce') become binary, sparse-categorical or categorical
    from the shapes of y_true and y_pred: binary if y_pred's last dimension is 1; sparse if y_true
    has a lower rank than y_pred, or a last dimension of 1 while y_pred's is larger; otherwise
    categorical. Shapes not given here are read from the data when the metric first runs.
    String identifiers name the metric (so History keys are 'acc', 'mae', ...). `loss` is
    accepted for signature compatibility; as in Keras 3 it does not influence the choice.
    """
    if identifier is None:
        raise ValueError("Expected metric, received `None`")
    metric = None
    if isinstance(identifier, str):
        lowered = identifier.lower()
        if lowered in ("accuracy", "acc"):
            metric = _resolve_shape_rule("accuracy", identifier, y_true_shape, y_pred_shape)
        elif lowered in ("crossentropy", "ce"):
            metric = _resolve_shape_rule("crossentropy", identifier, y_true_shape, y_pred_shape)
        else:
            obj = ALL_OBJECTS_DICT.get(identifier)
            if obj is None and identifier not in _NOT_BY_NAME:
                obj = ALL_OBJECTS_DICT.get(lowered)
            if obj is not None and identifier not in _NOT_BY_NAME:
                metric = obj()
            else:
                fn = losses_mod._FUNCTIONS.get(identifier) or losses_mod._FUNCTION_ALIASES.get(identifier)
                if fn is None:
                    raise _unknown(identifier)
                metric = MeanMetricWrapper(fn, name=identifier)
            metric.name = identifier
    elif isinstance(identifier, Metric):
        metric = identifier
    elif isinstance(identifier, dict):
        obj = deserialize(identifier)
        metric = obj if isinstance(obj, Metric) else MeanMetricWrapper(obj, name=to_snake_case(obj.__name__))
    elif inspect.isclass(identifier):
        if not issubclass(identifier, Metric) or identifier in (Metric, MeanMetricWrapper):
            raise _unknown(identifier)
        metric = identifier()
    else:
        metric = _from_keras_object(identifier)
        if metric is None and isinstance(identifier, losses_mod.Loss):
            metric = MeanMetricWrapper(identifier.call, name=identifier.name)
        if metric is None and callable(identifier):
            name = to_snake_case(getattr(identifier, "__name__", type(identifier).__name__))
            fn = identifier
            fn_module = getattr(identifier, "__module__", "") or ""
            if fn_module.startswith("keras"):
                fn = _FUNCTIONS.get(identifier.__name__) or losses_mod._FUNCTIONS.get(identifier.__name__) or fn
            metric = MeanMetricWrapper(fn, name=name)
        if metric is None:
            raise _unknown(identifier)
    if y_pred_shape is not None and not getattr(metric, "_built", True) and getattr(metric, "_state", None) is None:
        metric.build(y_true_shape, y_pred_shape)
    return metric
