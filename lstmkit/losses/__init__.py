"""Keras 3's losses in pure `jax.numpy`: the same names, arguments, values and reductions.

Functions (`mean_squared_error`, `binary_crossentropy`, ...) return per-sample
losses exactly as Keras 3 does (a mean over the last axis where Keras takes one).
Classes (`MeanSquaredError`, `BinaryCrossentropy`, ...) reduce them with Keras's
`reduction` ('sum_over_batch_size' by default) and `sample_weight`.

Everything is jittable. The training engine calls `loss.call(y_true, y_pred)` for
the unreduced values (and `loss.call_with_mask` for losses that mask entries,
such as `SparseCategoricalCrossentropy(ignore_class=...)`) and reduces them itself.

Write your own loss either as a function `f(y_true, y_pred)` (returning one loss
per sample) or as a `Loss` subclass implementing `call(y_true, y_pred)`.
"""

from __future__ import annotations

import inspect
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.optimizers._naming import auto_name, object_name, to_snake_case

from lstmkit.losses.base import (  # noqa: F401
    Loss, LossFunctionWrapper, _check_dtype, _REDUCTIONS, _simple_loss_class, apply_mask, reduce_values,
    reduce_weighted_values, standardize_reduction,
)
from lstmkit.losses.classes import (  # noqa: F401
    BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy, CategoricalFocalCrossentropy,
    CategoricalHinge, CosineSimilarity, Hinge, Huber, KLDivergence, LogCosh, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, Poisson,
    SparseCategoricalCrossentropy, SquaredHinge, _AutoCrossentropy, _crossentropy_for, _is_binary_or_sparse,
)
from lstmkit.losses.functions import (  # noqa: F401
    EPSILON, KLD, MAE, MAPE, MSE, MSLE, _FUNCTION_ALIASES, _FUNCTIONS, _bce_backend, _canonical_axis, _cast,
    _cce_backend, _check_axis, _deserialize_function, _divide_no_nan, _hinge_labels, _l2_normalize, _pred,
    _scce_with_mask, _serialize_function, binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, categorical_hinge, cosine_similarity, hinge, huber, kl_divergence, kld,
    kullback_leibler_divergence, log_cosh, logcosh, mae, mape, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_error, mean_squared_logarithmic_error, mse, msle, poisson,
    sparse_categorical_crossentropy, squared_hinge, squeeze_or_expand_to_same_rank,
)
from lstmkit.losses.quantile import Pinball, pinball_loss  # noqa: F401

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "CosineSimilarity", "Huber", "LogCosh", "Hinge", "SquaredHinge",
    "CategoricalHinge", "KLDivergence", "Poisson", "BinaryCrossentropy", "BinaryFocalCrossentropy",
    "CategoricalCrossentropy", "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy",
    "mean_squared_error", "mse", "MSE", "mean_absolute_error", "mae", "MAE", "mean_absolute_percentage_error",
    "mape", "MAPE", "mean_squared_logarithmic_error", "msle", "MSLE", "cosine_similarity", "huber", "log_cosh",
    "logcosh", "hinge", "squared_hinge", "categorical_hinge", "kl_divergence", "kld", "KLD",
    "kullback_leibler_divergence", "poisson", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_crossentropy", "categorical_focal_crossentropy", "sparse_categorical_crossentropy",
    "get", "serialize", "deserialize", "reduce_weighted_values", "squeeze_or_expand_to_same_rank",
    "Pinball", "pinball_loss",
]

# The classes keep `lstmkit.losses` as their home (`serialize` writes `cls.__module__` for non-built-in ones).
for _obj in list(globals().values()):
    if inspect.isclass(_obj) and _obj.__module__.startswith(__name__ + "."):
        _obj.__module__ = __name__
del _obj


# --------------------------------------------------------------------------- lookup
_CLASSES = {c.__name__: c for c in (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, Huber, LogCosh, Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
    CategoricalFocalCrossentropy, SparseCategoricalCrossentropy,
)}
# lstmkit's own losses (no Keras counterpart): loadable by name, serialized under lstmkit.losses.
ALL_OBJECTS_DICT = {**_CLASSES, **_FUNCTIONS, **_FUNCTION_ALIASES, "Pinball": Pinball}


def _valid_names():
    names = sorted(set(ALL_OBJECTS_DICT) - {"Loss", "LossFunctionWrapper"}) + ["crossentropy", "ce"]
    return ", ".join(repr(n) for n in names)


def _unknown(identifier):
    return ValueError(f"Could not interpret loss identifier: {identifier!r}. Valid names are: {_valid_names()}.")



def serialize(loss):
    """Keras 3's serialized form of a `Loss` instance or a loss function."""
    if isinstance(loss, Loss):
        cls = type(loss)
        builtin = _CLASSES.get(cls.__name__) is cls and cls is not LossFunctionWrapper
        if cls is _AutoCrossentropy:
            return loss.name
        return {
            "module": "keras.losses" if builtin else cls.__module__,
            "class_name": cls.__name__,
            "config": loss.get_config(),
            "registered_name": None if builtin else cls.__name__,
        }
    if callable(loss):
        return _serialize_function(loss)
    raise ValueError(f"Could not serialize loss: {loss!r}")


def deserialize(config, custom_objects=None):
    """A loss from `serialize`'s output (Keras 3 or Keras 2 dicts, or a name)."""
    if isinstance(config, str):
        return get(config) if custom_objects is None or config not in custom_objects else get(custom_objects[config])
    if not isinstance(config, dict) or "class_name" not in config:
        raise _unknown(config)
    name = config["class_name"]
    if name == "function":
        return _deserialize_function(config, custom_objects)
    custom = dict(custom_objects or {})
    obj = custom.get(name) or custom.get(config.get("registered_name") or "") or ALL_OBJECTS_DICT.get(name)
    if obj is None:
        raise _unknown(name)
    cfg = dict(config.get("config") or {})
    if inspect.isclass(obj):
        if issubclass(obj, LossFunctionWrapper) and obj is LossFunctionWrapper:
            if isinstance(cfg.get("fn"), (dict, str)):
                cfg["fn"] = _deserialize_function(cfg["fn"], custom_objects)
            return LossFunctionWrapper(**cfg)
        return obj.from_config(cfg)
    return obj


def _from_keras_object(identifier):
    """A Keras 3 loss object or function given to lstmkit: the equivalent lstmkit loss, or None."""
    module = getattr(type(identifier), "__module__", "") or ""
    if module.startswith("keras") and type(identifier).__name__ in _CLASSES and hasattr(identifier, "get_config"):
        return _CLASSES[type(identifier).__name__].from_config(identifier.get_config())
    fn_module = getattr(identifier, "__module__", "") or ""
    name = getattr(identifier, "__name__", None)
    if inspect.isfunction(identifier) and fn_module.startswith("keras") and name in _FUNCTIONS:
        return LossFunctionWrapper(_FUNCTIONS[name], name=name)
    return None


def get(identifier):
    """A `Loss` object from a name, class, config dict, instance or function.

    Strings follow Keras ('mse', 'binary_crossentropy', 'MeanSquaredError', ...); functions are
    wrapped in a `LossFunctionWrapper` named like Keras's compile names them.
    'crossentropy'/'ce' pick binary, sparse or categorical cross-entropy from the data's shapes.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() in ("crossentropy", "ce"):
            return _AutoCrossentropy(name=identifier)
        obj = ALL_OBJECTS_DICT.get(identifier)
        if obj is None:
            lowered = identifier.lower()
            obj = _FUNCTIONS.get(lowered) or _FUNCTION_ALIASES.get(lowered)
        if obj is None or obj in (Loss, LossFunctionWrapper):
            raise _unknown(identifier)
        if inspect.isclass(obj):
            return obj()
        return LossFunctionWrapper(obj, name=identifier)
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
        if isinstance(obj, Loss):
            return obj
        return LossFunctionWrapper(obj, name=object_name(obj))
    if inspect.isclass(identifier):
        if issubclass(identifier, Loss) and identifier not in (Loss, LossFunctionWrapper):
            return identifier()
        raise _unknown(identifier)
    converted = _from_keras_object(identifier)
    if converted is not None:
        return converted
    if callable(identifier):
        return LossFunctionWrapper(identifier, name=to_snake_case(getattr(identifier, "__name__", type(identifier).__name__)))
    raise _unknown(identifier)
