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

from lstmkit.metrics.auc import _CURVES, _SUMMATIONS, AUC  # noqa: F401
from lstmkit.metrics.base import (  # noqa: F401
    NEG_INF, _MISSING, Mean, MeanMetricWrapper, Metric, Sum, _check_dtype, _f32, _mean_update,
    _reduce_to_samplewise,
)
from lstmkit.metrics.confusion import (  # noqa: F401
    FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall, RecallAtPrecision,
    SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives, TruePositives,
    _ConfusionMatrixConditionCount, _PrecisionRecall, _SensitivitySpecificityBase, _confusion_update,
    _evenly_distributed, _filter_top_k, _parse_thresholds,
)
from lstmkit.metrics.functions import (  # noqa: F401
    _F32, _FUNCTIONS, _cosine_similarity, _in_top_k, accuracy, binary_accuracy, categorical_accuracy,
    sparse_categorical_accuracy, sparse_top_k_categorical_accuracy, top_k_categorical_accuracy,
)
from lstmkit.metrics.r2 import R2Score  # noqa: F401
from lstmkit.metrics.wrappers import (  # noqa: F401
    Accuracy, BinaryAccuracy, BinaryCrossentropy, CategoricalAccuracy, CategoricalCrossentropy, CategoricalHinge,
    CosineSimilarity, Hinge, KLDivergence, LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredError, MeanSquaredLogarithmicError, Poisson, RootMeanSquaredError, SparseCategoricalAccuracy,
    SparseCategoricalCrossentropy, SparseTopKCategoricalAccuracy, SquaredHinge, TopKCategoricalAccuracy,
    _accuracy_fn_for, _AutoAccuracy, _AutoCrossentropy, _is_binary_or_sparse, _ShapeResolved, _wrapper_class,
)

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

# The classes keep `lstmkit.metrics` as their home (`serialize` writes `cls.__module__` for non-built-in ones).
for _obj in list(globals().values()):
    if inspect.isclass(_obj) and _obj.__module__.startswith(__name__ + "."):
        _obj.__module__ = __name__
del _obj


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
