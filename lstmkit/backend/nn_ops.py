"""Keras 2's `K.` neural-network functions: activations (Keras 2's `hard_sigmoid` = clip(0.2 x + 0.5,
0, 1) and `relu(alpha, max_value, threshold)`), losses, normalization, dropout, bias_add."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from lstmkit.backend import config
from lstmkit.ops._dispatch import keras_op, as_array as _t, as_float as _float
# The same in Keras 2 as in Keras 3:
from lstmkit.ops._numpy_math import tanh  # noqa: F401
from lstmkit.ops.nn import elu, sigmoid, softmax, softplus, softsign  # noqa: F401


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


# ------------------------------------------------------------------ activations and losses


@keras_op
def hard_sigmoid(x):
    return jnp.clip(0.2 * _float(x) + 0.5, 0.0, 1.0)  # Keras 2's, not Keras 3's relu6(x + 3) / 6


@keras_op
def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """max(x, 0) by default; `alpha` slope below `threshold`, saturating at `max_value` (Keras 2)."""
    x = _float(x)
    out = jnp.where(x > threshold, x, 0.0) if threshold != 0 else jax.nn.relu(x)
    if max_value is not None:
        out = jnp.clip(out, 0.0, max_value)
    if alpha != 0:
        out = out - alpha * jax.nn.relu(threshold - x)
    return out


@keras_op
def l2_normalize(x, axis=None):
    """x / sqrt(max(sum(x**2), 1e-12)) along `axis` (tf.nn.l2_normalize)."""
    x = _float(x)
    return x * jax.lax.rsqrt(jnp.maximum(jnp.sum(jnp.square(x), axis=_axis(axis), keepdims=True), 1e-12))


@keras_op
def binary_crossentropy(target, output, from_logits=False):
    target, output = _float(target), _float(output)
    if from_logits:
        return jax.nn.softplus(output) - target * output
    eps = config.epsilon()
    output = jnp.clip(output, eps, 1.0 - eps)
    return -(target * jnp.log(output + eps) + (1.0 - target) * jnp.log(1.0 - output + eps))


@keras_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _float(target), _float(output)
    if from_logits:
        return -jnp.sum(target * jax.nn.log_softmax(output, axis=axis), axis=axis)
    output = output / jnp.sum(output, axis=axis, keepdims=True)
    eps = config.epsilon()
    return -jnp.sum(target * jnp.log(jnp.clip(output, eps, 1.0 - eps)), axis=axis)


@keras_op
def dropout(x, level, noise_shape=None, seed=None):
    from lstmkit.backend.variables import _key

    x = _float(x)
    keep = jax.random.bernoulli(_key(seed), 1.0 - level, x.shape if noise_shape is None else tuple(noise_shape))
    return jnp.where(keep, x / (1.0 - level), 0.0)


@keras_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = _float(output)
    axis = axis % output.ndim
    target = _t(target).astype(jnp.int32)
    if target.ndim == output.ndim:  # (batch, ..., 1) labels, as Keras 2 accepts
        target = jnp.squeeze(target, axis=axis)
    if from_logits:
        log_prob = jax.nn.log_softmax(output, axis=axis)
    else:
        eps = config.epsilon()
        log_prob = jnp.log(jnp.clip(output, eps, 1.0 - eps))
    picked = jnp.take_along_axis(log_prob, jnp.expand_dims(target, axis), axis=axis)
    return -jnp.squeeze(picked, axis=axis)


@keras_op
def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta, the statistics broadcast against x."""
    out = (_float(x) - _t(mean)) * jax.lax.rsqrt(_t(var) + epsilon)
    if gamma is not None:
        out = out * _t(gamma)
    return out if beta is None else out + _t(beta)


@keras_op
def bias_add(x, bias, data_format=None):
    """x + bias along the channels axis (the last unless data_format='channels_first')."""
    x, bias = _t(x), _t(bias)
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"Unknown data_format: {data_format!r}. Expected 'channels_last' or 'channels_first'.")
    if bias.ndim not in (1, x.ndim - 1):
        raise ValueError(f"Unexpected bias dimensions {bias.ndim}, expect to be 1 or {x.ndim - 1} dimensions")
    if data_format == "channels_first":
        if bias.ndim == 1:
            return x + bias.reshape((1, -1) + (1,) * (x.ndim - 2))
        return x + jnp.moveaxis(bias, -1, 0)[None]
    return x + (bias if bias.ndim == 1 else bias[None])


@keras_op
def in_top_k(predictions, targets, k):
    """Whether each sample's target class is among its `k` highest predictions (ties count in, as tf's)."""
    predictions = _float(predictions)
    at_target = jnp.take_along_axis(predictions, _t(targets).astype(jnp.int32)[:, None], axis=1)
    return jnp.sum(predictions > at_target, axis=1) < k
