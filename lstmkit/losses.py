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

EPSILON = 1e-7  # Keras's backend.epsilon()

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
]


# --------------------------------------------------------------------------- helpers
def _pred(y_pred):
    """Keras's convert_to_tensor(y_pred): floats stay float (float32 here)."""
    y_pred = jnp.asarray(y_pred)
    if y_pred.dtype == jnp.float64:
        y_pred = y_pred.astype(jnp.float32)
    return y_pred


def _cast(y_true, dtype):
    return jnp.asarray(y_true).astype(dtype)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rule: squeeze a trailing 1 (or expand a rank-1 array) so both ranks match."""
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = jnp.expand_dims(x2, -1)
        else:
            x1 = jnp.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = jnp.expand_dims(x1, -1)
        else:
            x2 = jnp.squeeze(x2, -1)
    return x1, x2


def _divide_no_nan(a, b):
    safe = jnp.where(b == 0, jnp.ones_like(b), b)
    return jnp.where(b == 0, jnp.zeros_like(a / safe), a / safe)


def _l2_normalize(x, axis=-1):
    """Keras's ops.normalize(order=2): x * min(rsqrt(sum(x^2)), 1/epsilon)."""
    x = jnp.asarray(x)
    if x.ndim == 0:
        x = jnp.expand_dims(x, 0)
    inv = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    return x * jnp.minimum(inv, 1.0 / EPSILON)


# --------------------------------------------------------------------------- loss functions
def mean_squared_error(y_true, y_pred):
    """`mean(square(y_true - y_pred), axis=-1)`."""
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return jnp.mean(jnp.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """`mean(abs(y_true - y_pred), axis=-1)`."""
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)`."""
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    eps = jnp.asarray(EPSILON, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), eps))
    return 100.0 * jnp.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)`."""
    eps = jnp.asarray(EPSILON, jnp.float32)
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    first = jnp.log(jnp.maximum(y_pred, eps) + 1.0)
    second = jnp.log(jnp.maximum(y_true, eps) + 1.0)
    return jnp.mean(jnp.square(first - second), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Minus the cosine similarity of the L2-normalized vectors (a loss: -1 is best)."""
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return -jnp.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for |error| <= delta, linear beyond; mean over the last axis."""
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    delta = jnp.asarray(delta, y_pred.dtype)
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    half = jnp.asarray(0.5, abs_error.dtype)
    return jnp.mean(
        jnp.where(abs_error <= delta, half * jnp.square(error), delta * abs_error - half * jnp.square(delta)),
        axis=-1,
    )


def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed stably."""
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    log2 = jnp.log(jnp.asarray(2.0, jnp.float32)).astype(y_pred.dtype)
    x = y_pred - y_true
    return jnp.mean(x + jax.nn.softplus(x * -2.0) - log2, axis=-1)


def _hinge_labels(y_true):
    """Labels in {0, 1} become {-1, 1}; other labels are left unchanged (decided on the whole batch)."""
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """`mean(max(1 - y_true * y_pred, 0), axis=-1)`, labels -1/1 (or 0/1)."""
    y_pred = _pred(y_pred)
    y_true = _hinge_labels(_cast(y_true, y_pred.dtype))
    return jnp.mean(jnp.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """`mean(square(max(1 - y_true * y_pred, 0)), axis=-1)`."""
    y_pred = _pred(y_pred)
    y_true = _hinge_labels(_cast(y_true, y_pred.dtype))
    return jnp.mean(jnp.square(jnp.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """`max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`."""
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    pos = jnp.sum(y_true * y_pred, axis=-1)
    neg = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(neg - pos + 1.0, jnp.asarray(0.0, y_pred.dtype))


def kl_divergence(y_true, y_pred):
    """`sum(y_true * log(y_true / y_pred), axis=-1)`, both clipped to [epsilon, 1]."""
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    y_true = jnp.clip(y_true, EPSILON, 1)
    y_pred = jnp.clip(y_pred, EPSILON, 1)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)`."""
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    eps = jnp.asarray(EPSILON, y_pred.dtype)
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + eps), axis=-1)


def _check_axis(axis):
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")


def _cce_backend(target, output, from_logits, axis):
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={target.shape}, output.shape={output.shape}"
        )
    if len(target.shape) < 1:
        raise ValueError(
            "Arguments `target` and `output` must be at least rank 1. "
            f"Received: target.shape={target.shape}, output.shape={output.shape}"
        )
    if from_logits:
        log_prob = jax.nn.log_softmax(output, axis=axis)
    else:
        output = output / jnp.sum(output, axis, keepdims=True)
        output = jnp.clip(output, EPSILON, 1.0 - EPSILON)
        log_prob = jnp.log(output)
    return -jnp.sum(target * log_prob, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy of one-hot `y_true` against probabilities (or logits) `y_pred`."""
    _check_axis(axis)
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    if y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={y_pred.shape}. Consider using 'binary_crossentropy' if you "
            "only have 2 classes.", SyntaxWarning, stacklevel=2,
        )
    if label_smoothing:
        num_classes = jnp.asarray(y_true.shape[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + (label_smoothing / num_classes)
    return _cce_backend(y_true, y_pred, from_logits, axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                                   axis=-1):
    """Focal cross-entropy for one-hot labels."""
    _check_axis(axis)
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    if y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_focal_crossentropy, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={y_pred.shape}. Consider using 'binary_crossentropy' if you "
            "only have 2 classes.", SyntaxWarning, stacklevel=2,
        )
    if label_smoothing:
        num_classes = jnp.asarray(y_true.shape[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + (label_smoothing / num_classes)
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    output = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    output = jnp.clip(output, EPSILON, 1.0 - EPSILON)
    cce = -y_true * jnp.log(output)
    weighting = jnp.power(1.0 - output, gamma) * alpha
    return jnp.sum(weighting * cce, axis=axis)


def _canonical_axis(axis, ndim):
    return axis + ndim if axis < 0 else axis


def _scce_with_mask(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Sparse categorical cross-entropy and, with `ignore_class`, the mask of the kept entries."""
    y_true = jnp.asarray(y_true)
    y_pred = _pred(y_pred)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[axis] == 1:
        y_true = jnp.squeeze(y_true, axis=axis)
    valid = None
    if ignore_class is not None:
        class_axis = _canonical_axis(axis, len(y_pred.shape))
        res_shape = tuple(d for i, d in enumerate(y_pred.shape) if i != class_axis)
        valid = y_true != jnp.asarray(ignore_class, y_pred.dtype)
        y_true = jnp.where(valid, y_true, 0)
        y_pred = jnp.where(jnp.expand_dims(valid, axis), y_pred, 0)
    target = y_true.astype(jnp.int32)
    output = y_pred
    if len(target.shape) == len(output.shape) and target.shape[-1] == 1:
        target = jnp.squeeze(target, axis=-1)
    if len(output.shape) < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: output.shape={output.shape}")
    if target.shape != output.shape[:-1]:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the last dimension: "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )
    if from_logits:
        log_prob = jax.nn.log_softmax(output, axis=axis)
    else:
        output = output / jnp.sum(output, axis, keepdims=True)
        output = jnp.clip(output, EPSILON, 1.0 - EPSILON)
        log_prob = jnp.log(output)
    onehot = jax.nn.one_hot(target, output.shape[axis], axis=axis, dtype=log_prob.dtype)
    res = -jnp.sum(onehot * log_prob, axis=axis)
    mask = None
    if ignore_class is not None:
        valid = jnp.reshape(valid, res_shape)
        res = jnp.where(valid, res, 0.0)
        mask = valid
    return res, mask


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Cross-entropy of integer labels `y_true` against probabilities (or logits) `y_pred`.

    With `ignore_class`, entries of that label give 0 (and the `Loss` class leaves them out of the mean).
    """
    return _scce_with_mask(y_true, y_pred, from_logits=from_logits, ignore_class=ignore_class, axis=axis)[0]


sparse_categorical_crossentropy._with_mask = _scce_with_mask


def _bce_backend(target, output, from_logits):
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={target.shape}, output.shape={output.shape}"
        )
    if from_logits:
        log_logits = jax.nn.log_sigmoid(output)
        log_neg_logits = jax.nn.log_sigmoid(-output)
        return -1.0 * target * log_logits - (1.0 - target) * log_neg_logits
    output = jnp.clip(output, EPSILON, 1.0 - EPSILON)
    bce = target * jnp.log(output)
    bce = bce + (1.0 - target) * jnp.log(1.0 - output)
    return -bce


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy, averaged over `axis` (the last)."""
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return jnp.mean(_bce_backend(y_true, y_pred, from_logits), axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Focal binary cross-entropy, averaged over `axis`."""
    y_pred = _pred(y_pred)
    y_true = _cast(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    bce = _bce_backend(y_true, y_pred, False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal = jnp.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal
    return jnp.mean(focal, axis=axis)


# Keras's aliases.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh


# --------------------------------------------------------------------------- reduction
_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction):
    if reduction == "auto":
        # Keras 2's default (saved in old configs): the mean over the batch.
        return "sum_over_batch_size"
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {set(_REDUCTIONS)}. "
            f"Received: reduction={reduction}"
        )
    return reduction


def apply_mask(sample_weight, mask, reduction):
    """Merge a 0/1 mask into the sample weights as Keras does (mean-type reductions rescale by total/valid)."""
    if mask is None:
        return sample_weight
    mask = jnp.asarray(mask)
    if reduction in ("mean", "sum_over_batch_size"):
        total = jnp.asarray(np.prod(mask.shape, dtype=np.int64), jnp.int32).astype(jnp.float32)
        valid = jnp.sum(mask.astype(jnp.float32))
        mask_weight = _divide_no_nan(total, valid)
        float_mask = jnp.where(mask.astype(bool), mask_weight, 0.0)
    else:
        float_mask = mask.astype(jnp.float32)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight).astype(jnp.float32)
        float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
        return sample_weight * float_mask
    return float_mask


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    if reduction is None or reduction == "none" or tuple(values.shape) in ((), (0,)):
        return values
    loss = jnp.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = jnp.sum(sample_weight).astype(loss.dtype)
        else:
            divisor = jnp.asarray(np.prod(values.shape, dtype=np.int64), jnp.int32).astype(loss.dtype)
        loss = _divide_no_nan(loss, divisor)
    return loss


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size"):
    """Keras 3's reduction of per-sample losses with optional sample weights and mask."""
    reduction = standardize_reduction(reduction)
    values = jnp.asarray(values).astype(jnp.float32)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight).astype(jnp.float32)
    sample_weight = apply_mask(sample_weight, mask, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


# --------------------------------------------------------------------------- classes
def _check_dtype(dtype):
    if dtype not in (None, "float32") and getattr(dtype, "name", None) != "float32" and dtype is not jnp.float32:
        raise NotImplementedError(f"lstmkit losses compute in float32; dtype={dtype!r} is not supported.")


class Loss:
    """Base class: subclass and implement `call(y_true, y_pred)` returning per-sample losses."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        _check_dtype(dtype)
        self.name = name or auto_name(self.__class__.__name__)
        self.reduction = standardize_reduction(reduction)

    @property
    def dtype(self):
        return "float32"

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = jnp.asarray(y_pred).astype(jnp.float32)
        y_true = jnp.asarray(y_true).astype(jnp.float32)
        values, mask = self.call_with_mask(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight=sample_weight, mask=mask, reduction=self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"Loss '{type(self).__name__}' must implement `call(y_true, y_pred)`.")

    def call_with_mask(self, y_true, y_pred):
        """(per-sample losses, mask or None): entries where the mask is False are left out of the mean."""
        return self.call(y_true, y_pred), None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """A `Loss` from a function `fn(y_true, y_pred, **kwargs)` returning per-sample losses."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not callable(fn):
            raise ValueError(f"LossFunctionWrapper needs a callable `fn`; received {fn!r}.")
        self.fn = fn
        self._fn_kwargs = kwargs

    def call_with_mask(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(jnp.asarray(y_true), jnp.asarray(y_pred))
        with_mask = getattr(self.fn, "_with_mask", None)
        if with_mask is not None:
            return with_mask(y_true, y_pred, **self._fn_kwargs)
        return self.fn(y_true, y_pred, **self._fn_kwargs), None

    def call(self, y_true, y_pred):
        return self.call_with_mask(y_true, y_pred)[0]

    def get_config(self):
        config = super().get_config()
        config["fn"] = _serialize_function(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn")
        if isinstance(fn, (dict, str)):
            fn = _deserialize_function(fn)
        return cls(fn, **config)

    def __repr__(self):
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


def _simple_loss_class(class_name, fn, default_name, doc):
    def __init__(self, reduction="sum_over_batch_size", name=default_name, dtype=None):
        LossFunctionWrapper.__init__(self, fn, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)

    return type(class_name, (LossFunctionWrapper,), {
        "__init__": __init__, "get_config": get_config, "__doc__": doc, "__module__": __name__,
        "from_config": classmethod(lambda cls, config: cls(**config)),
    })


MeanSquaredError = _simple_loss_class("MeanSquaredError", mean_squared_error, "mean_squared_error",
                                      "Mean of squares of errors.")
MeanAbsoluteError = _simple_loss_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
                                       "Mean of absolute errors.")
MeanAbsolutePercentageError = _simple_loss_class("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                                 "mean_absolute_percentage_error", "Mean absolute percentage error.")
MeanSquaredLogarithmicError = _simple_loss_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                                 "mean_squared_logarithmic_error", "Mean squared logarithmic error.")
LogCosh = _simple_loss_class("LogCosh", log_cosh, "log_cosh", "Logarithm of the hyperbolic cosine of the error.")
Hinge = _simple_loss_class("Hinge", hinge, "hinge", "Hinge loss (labels -1/1 or 0/1).")
SquaredHinge = _simple_loss_class("SquaredHinge", squared_hinge, "squared_hinge", "Squared hinge loss.")
CategoricalHinge = _simple_loss_class("CategoricalHinge", categorical_hinge, "categorical_hinge",
                                      "Categorical hinge loss.")
KLDivergence = _simple_loss_class("KLDivergence", kl_divergence, "kl_divergence",
                                  "Kullback-Leibler divergence.")
Poisson = _simple_loss_class("Poisson", poisson, "poisson", "Poisson loss.")


class CosineSimilarity(LossFunctionWrapper):
    """Minus the cosine similarity between labels and predictions along `axis`."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "axis": self.axis}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic for |error| <= delta, linear beyond."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)
        self.delta = delta

    def get_config(self):
        return {**Loss.get_config(self), "delta": self.delta}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy (`from_logits`, `label_smoothing`, `axis`)."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Focal binary cross-entropy."""

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 axis=-1, reduction="sum_over_batch_size", name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis, "apply_class_balancing": self.apply_class_balancing, "alpha": self.alpha,
                "gamma": self.gamma}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy for one-hot labels (`from_logits`, `label_smoothing`, `axis`)."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Focal categorical cross-entropy."""

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy", dtype=None):
        super().__init__(categorical_focal_crossentropy, name=name, reduction=reduction, dtype=dtype, alpha=alpha,
                         gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis, "alpha": self.alpha, "gamma": self.gamma}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy for integer labels (`from_logits`, `ignore_class`, `axis`)."""

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits, "ignore_class": self.ignore_class}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _is_binary_or_sparse(y_true_shape, y_pred_shape):
    """Keras's compile rule: binary if y_pred's last dim is 1; sparse if y_true has lower rank
    or a last dim of 1 while y_pred's is larger."""
    is_binary = y_pred_shape[-1] == 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1)
    return is_binary, is_sparse


def _crossentropy_for(y_true_shape, y_pred_shape):
    is_binary, is_sparse = _is_binary_or_sparse(y_true_shape, y_pred_shape)
    if is_binary:
        return binary_crossentropy
    if is_sparse:
        return sparse_categorical_crossentropy
    return categorical_crossentropy


class _AutoCrossentropy(LossFunctionWrapper):
    """compile(loss='crossentropy'/'ce'): binary, sparse or categorical from the data's shapes (Keras 3's rule)."""

    def __init__(self, name="crossentropy", reduction="sum_over_batch_size", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype)

    def call_with_mask(self, y_true, y_pred):
        y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
        fn = _crossentropy_for(y_true.shape, y_pred.shape)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return fn(y_true, y_pred), None

    def get_config(self):
        return Loss.get_config(self)

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# --------------------------------------------------------------------------- lookup
_FUNCTIONS = {f.__name__: f for f in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    cosine_similarity, huber, log_cosh, hinge, squared_hinge, categorical_hinge, kl_divergence, poisson,
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy, categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
)}
_FUNCTION_ALIASES = {
    "mse": mean_squared_error, "MSE": mean_squared_error, "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "kld": kl_divergence, "KLD": kl_divergence, "bce": binary_crossentropy, "BCE": binary_crossentropy,
    # Keras 2 names.
    "kullback_leibler_divergence": kl_divergence, "logcosh": log_cosh, "huber_loss": huber,
    "cosine_proximity": cosine_similarity, "cosine": cosine_similarity,
}
_CLASSES = {c.__name__: c for c in (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, Huber, LogCosh, Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
    CategoricalFocalCrossentropy, SparseCategoricalCrossentropy,
)}
ALL_OBJECTS_DICT = {**_CLASSES, **_FUNCTIONS, **_FUNCTION_ALIASES}


def _valid_names():
    names = sorted(set(ALL_OBJECTS_DICT) - {"Loss", "LossFunctionWrapper"}) + ["crossentropy", "ce"]
    return ", ".join(repr(n) for n in names)


def _unknown(identifier):
    return ValueError(f"Could not interpret loss identifier: {identifier!r}. Valid names are: {_valid_names()}.")


def _serialize_function(fn):
    name = getattr(fn, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize {fn!r}: it has no __name__.")
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def _deserialize_function(config, custom_objects=None):
    name = config["config"] if isinstance(config, dict) else config
    custom = custom_objects or {}
    fn = custom.get(name) or _FUNCTIONS.get(name) or _FUNCTION_ALIASES.get(name)
    if fn is None:
        raise ValueError(f"Unknown loss function: {name!r}. Pass your own functions in `custom_objects`.")
    return fn


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
