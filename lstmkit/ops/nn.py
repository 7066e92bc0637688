"""`keras.ops.nn`: activations, softmax, one-hot encodings, normalization and losses as functions.

Thin wrappers over `jax.nn` with Keras 3's names, arguments and defaults (all also exported flat
from `lstmkit.ops`, as Keras does).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from lstmkit.ops._dispatch import check_int, keras_op, as_float as _float


def _epsilon():
    """Keras's `backend.epsilon()`, read when used so `lstmkit.backend.set_epsilon` applies, as in Keras."""
    from lstmkit.backend.config import epsilon

    return epsilon()


# ------------------------------------------------------------------ activations
@keras_op
def relu(x):
    return jax.nn.relu(jnp.asarray(x))  # ints stay ints, as in Keras


@keras_op
def relu6(x):
    return jax.nn.relu6(jnp.asarray(x))


@keras_op
def sigmoid(x):
    return jax.nn.sigmoid(_float(x))


@keras_op
def softplus(x):
    return jax.nn.softplus(_float(x))


@keras_op
def softsign(x):
    return jax.nn.soft_sign(_float(x))


@keras_op
def silu(x):
    return jax.nn.silu(_float(x))


swish = keras_op(silu._array_fn, name="swish")


@keras_op
def log_sigmoid(x):
    return jax.nn.log_sigmoid(_float(x))


@keras_op
def leaky_relu(x, negative_slope=0.2):
    return jax.nn.leaky_relu(jnp.asarray(x), negative_slope=negative_slope)


@keras_op
def hard_sigmoid(x):
    return jax.nn.hard_sigmoid(_float(x))  # Keras 3's relu6(x + 3) / 6


@keras_op
def hard_silu(x):
    return jax.nn.hard_silu(_float(x))


hard_swish = keras_op(hard_silu._array_fn, name="hard_swish")


@keras_op
def hard_tanh(x):
    return jax.nn.hard_tanh(jnp.asarray(x))


@keras_op
def elu(x, alpha=1.0):
    return jax.nn.elu(_float(x), alpha=alpha)


@keras_op
def selu(x):
    return jax.nn.selu(_float(x))


@keras_op
def celu(x, alpha=1.0):
    return jax.nn.celu(_float(x), alpha=alpha)


@keras_op
def gelu(x, approximate=True):
    return jax.nn.gelu(_float(x), approximate=approximate)


@keras_op
def glu(x, axis=-1):
    return jax.nn.glu(_float(x), axis=axis)


@keras_op
def squareplus(x, b=4):
    return jax.nn.squareplus(_float(x), b=b)


@keras_op
def tanh_shrink(x):
    x = _float(x)
    return x - jnp.tanh(x)


@keras_op
def hard_shrink(x, threshold=0.5):
    x = _float(x)
    return jnp.where(jnp.abs(x) > threshold, x, 0.0)


@keras_op
def soft_shrink(x, threshold=0.5):
    x = _float(x)
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, 0.0))


@keras_op
def threshold(x, threshold, default_value):
    x = _float(x)
    return jnp.where(x > threshold, x, default_value)


@keras_op
def sparse_plus(x):
    return jax.nn.sparse_plus(_float(x))


@keras_op
def sparse_sigmoid(x):
    return jax.nn.sparse_sigmoid(_float(x))


@keras_op
def sparsemax(x, axis=-1):
    """Euclidean projection onto the simplex (Martins & Astudillo, 2016): a softmax with exact zeros."""
    z = _float(x)
    z_sorted = -jnp.sort(-z, axis=axis)
    shape = [1] * z.ndim
    shape[axis] = z.shape[axis]
    k = jnp.arange(1, z.shape[axis] + 1, dtype=z.dtype).reshape(shape)
    cumulative = jnp.cumsum(z_sorted, axis=axis)
    k_z = jnp.sum(1 + k * z_sorted > cumulative, axis=axis, keepdims=True)  # size of the support
    tau = (jnp.take_along_axis(cumulative, k_z - 1, axis=axis) - 1) / k_z.astype(z.dtype)
    return jnp.maximum(z - tau, 0.0)


@keras_op
def softmax(x, axis=-1):
    return jax.nn.softmax(_float(x), axis=axis)


@keras_op
def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(_float(x), axis=axis)


# ------------------------------------------------------------------ encodings
@keras_op
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    if sparse:
        raise ValueError("`one_hot(sparse=True)`: lstmkit has no sparse tensors; pass sparse=False.")
    check_int(num_classes, "num_classes", "one_hot", minimum=1)
    # Negative and too-large indices give all-zero rows, as in Keras.
    return jax.nn.one_hot(jnp.asarray(x), num_classes, axis=axis, dtype=dtype or "float32")


@keras_op
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    if num_classes is None:  # Keras 2's name for it
        num_classes = kwargs.pop("num_tokens", None)
    if kwargs:
        raise TypeError(f"`multi_hot` got unexpected keyword arguments: {sorted(kwargs)}")
    if sparse:
        raise ValueError("`multi_hot(sparse=True)`: lstmkit has no sparse tensors; pass sparse=False.")
    x = jnp.asarray(inputs).astype(jnp.int32)
    reduction_axis = 1 if x.ndim > 1 else 0
    return jnp.max(jax.nn.one_hot(x, num_classes, axis=axis, dtype=dtype or "float32"), axis=reduction_axis)


# ------------------------------------------------------------------ normalization
@keras_op
def normalize(x, axis=-1, order=2, epsilon=None):
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    x = _float(x)
    if x.ndim == 0:
        x = x[None]
    epsilon = _epsilon() if epsilon is None else epsilon
    if order == 2:
        # x / max(||x||, eps), written with rsqrt as Keras does
        inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
        return x * jnp.minimum(inv_norm, 1.0 / epsilon)
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, epsilon)


@keras_op
def moments(x, axes, keepdims=False, synchronized=False):
    x = _float(x)
    mean = jnp.mean(x, axis=axes, keepdims=True)
    variance = jnp.mean(jnp.square(x - jax.lax.stop_gradient(mean)), axis=axes, keepdims=True)
    variance = jnp.maximum(variance, 0.0)
    if not keepdims:
        mean, variance = jnp.squeeze(mean, axes), jnp.squeeze(variance, axes)
    return mean, variance


@keras_op
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    x = _float(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    inv = jax.lax.rsqrt(jnp.reshape(jnp.asarray(variance), shape) + epsilon)
    if scale is not None:
        inv = inv * jnp.reshape(jnp.asarray(scale), shape)
    res = -jnp.reshape(jnp.asarray(mean), shape) * inv
    if offset is not None:
        res = res + jnp.reshape(jnp.asarray(offset), shape)
    return x * inv + res


@keras_op
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    x = _float(x)
    epsilon = _epsilon() if epsilon is None else epsilon
    axes = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    mean = jnp.mean(x, axis=axes, keepdims=True)
    var = jnp.var(x, axis=axes, keepdims=True)
    out = (x - mean) * jax.lax.rsqrt(var + epsilon)
    if gamma is not None:
        out = out * jnp.asarray(gamma)
    if beta is not None:
        out = out + jnp.asarray(beta)
    return out


@keras_op
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    x = _float(x)
    epsilon = _epsilon() if epsilon is None else epsilon
    out = x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=axis, keepdims=True) + epsilon)
    return out if scale is None else out * jnp.asarray(scale)


# ------------------------------------------------------------------ losses
@keras_op
def binary_crossentropy(target, output, from_logits=False):
    target, output = _float(target), _float(output)
    if from_logits:
        return jax.nn.softplus(output) - target * output  # log(1 + e^x) - t x, stable
    eps = _epsilon()
    output = jnp.clip(output, eps, 1.0 - eps)
    return -(target * jnp.log(output) + (1.0 - target) * jnp.log(1.0 - output))


@keras_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _float(target), _float(output)
    if from_logits:
        return -jnp.sum(target * jax.nn.log_softmax(output, axis=axis), axis=axis)
    output = output / jnp.sum(output, axis=axis, keepdims=True)
    eps = _epsilon()
    output = jnp.clip(output, eps, 1.0 - eps)
    return -jnp.sum(target * jnp.log(output), axis=axis)


@keras_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target = jnp.asarray(target).astype(jnp.int32)
    output = _float(output)
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = jnp.squeeze(target, axis=-1)
    if from_logits:
        log_prob = jax.nn.log_softmax(output, axis=axis)
    else:
        output = output / jnp.sum(output, axis=axis, keepdims=True)
        eps = _epsilon()
        log_prob = jnp.log(jnp.clip(output, eps, 1.0 - eps))
    onehot = jax.nn.one_hot(target, output.shape[axis], axis=axis, dtype=log_prob.dtype)
    return -jnp.sum(onehot * log_prob, axis=axis)


# ------------------------------------------------------------------ attention
@keras_op
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention on (batch, seq, heads, head_dim) tensors, as Keras's."""
    if flash_attention:
        raise ValueError("`dot_product_attention(flash_attention=True)` is not supported by lstmkit.")
    if attn_logits_soft_cap is not None:
        raise ValueError("`dot_product_attention(attn_logits_soft_cap=...)` is not supported by lstmkit.")
    return jax.nn.dot_product_attention(
        _float(query), _float(key), _float(value), bias=None if bias is None else jnp.asarray(bias),
        mask=None if mask is None else jnp.asarray(mask).astype(bool), scale=scale, is_causal=is_causal)
