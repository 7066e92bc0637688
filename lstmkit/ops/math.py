"""`keras.ops` math: top_k, logsumexp, erf, segment reductions and friends."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from lstmkit.ops._dispatch import check_int, keras_op, as_float as _float


@keras_op
def top_k(x, k, sorted=True):
    """`(values, indices)` of the `k` largest entries along the last axis (always sorted, as Keras on JAX)."""
    check_int(k, "k", "top_k", minimum=0)
    values, indices = jax.lax.top_k(jnp.asarray(x), int(k))
    return values, indices.astype(jnp.int32)


@keras_op
def in_top_k(targets, predictions, k):
    predictions = jnp.asarray(predictions)
    at_label = jnp.take_along_axis(predictions, jnp.asarray(targets)[..., None], axis=-1)
    at_label = jnp.where(jnp.isnan(at_label), -jnp.inf, at_label)  # NaN is never a top prediction
    rank = 1 + jnp.sum(predictions > at_label, axis=-1)
    return rank <= k


@keras_op
def logsumexp(x, axis=None, keepdims=False):
    return jax.scipy.special.logsumexp(_float(x), axis=axis, keepdims=keepdims)


@keras_op
def erf(x):
    return jax.scipy.special.erf(_float(x))


@keras_op
def erfc(x):
    return jax.scipy.special.erfc(_float(x))


@keras_op
def erfinv(x):
    return jax.scipy.special.erfinv(_float(x))


@keras_op
def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    return jax.ops.segment_sum(jnp.asarray(data), jnp.asarray(segment_ids), num_segments,
                               indices_are_sorted=sorted)


@keras_op
def segment_max(data, segment_ids, num_segments=None, sorted=False):
    return jax.ops.segment_max(jnp.asarray(data), jnp.asarray(segment_ids), num_segments,
                               indices_are_sorted=sorted)


@keras_op
def segment_min(data, segment_ids, num_segments=None, sorted=False):
    return jax.ops.segment_min(jnp.asarray(data), jnp.asarray(segment_ids), num_segments,
                               indices_are_sorted=sorted)


@keras_op
def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    return jax.ops.segment_prod(jnp.asarray(data), jnp.asarray(segment_ids), num_segments,
                                indices_are_sorted=sorted)


@keras_op
def rsqrt(x):
    return jax.lax.rsqrt(_float(x))


@keras_op
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` samples every `sequence_stride` along the last axis."""
    x = jnp.asarray(x)
    starts = range(0, x.shape[-1] - sequence_length + 1, sequence_stride)
    return jnp.stack([x[..., s:s + sequence_length] for s in starts], axis=-2)


@keras_op
def logdet(x):
    _, value = jnp.linalg.slogdet(_float(x))
    return value
