"""Per-sample loss functions (Keras 3's values), their aliases and shared array helpers."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp

from lstmkit import _value_ranges

EPSILON = 1e-7  # Keras's backend.epsilon()


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


def check_labels_eager(y_true, num_classes, ignore_class, what):
    """A clear error for a concrete integer label outside [0, num_classes) (JAX's one_hot / gather would give a
    wrong number silently); nothing inside a trace, where the host checks the data before compiling."""
    bad = _value_ranges.first_outside_device(y_true, 0, num_classes, skip=ignore_class)
    if bad is not None:
        ignored = "" if ignore_class is None else f" (or ignore_class={ignore_class})"
        raise _value_ranges.ValueRangeError(
            f"{what}: `y_true` holds the class label {bad[1]} at position {bad[0]}, but `y_pred` has "
            f"{num_classes} classes, so labels must be in [0, {num_classes}){ignored}.")


def _canonical_axis(axis, ndim):
    return axis + ndim if axis < 0 else axis


def _scce_with_mask(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Sparse categorical cross-entropy and, with `ignore_class`, the mask of the kept entries."""
    y_true = jnp.asarray(y_true)
    y_pred = _pred(y_pred)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[axis] == 1:
        y_true = jnp.squeeze(y_true, axis=axis)
    if y_pred.ndim:
        check_labels_eager(y_true, y_pred.shape[axis], ignore_class, "sparse_categorical_crossentropy")
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
sparse_categorical_crossentropy._sparse_labels = True  # see losses.base.sparse_label_range


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


# --------------------------------------------------------------------------- by name
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
