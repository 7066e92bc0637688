"""`keras.ops` numpy family, part 3: reductions (sum, mean, max, argmax, cumsum, ...)."""

from __future__ import annotations

import jax.numpy as jnp

from lstmkit.ops._dispatch import keras_op, as_array as _t, as_float as _float


# ------------------------------------------------------------------ reductions
@keras_op
def sum(x, axis=None, keepdims=False):
    return jnp.sum(_t(x), axis=axis, keepdims=keepdims)


@keras_op
def prod(x, axis=None, keepdims=False, dtype=None):
    return jnp.prod(_t(x), axis=axis, keepdims=keepdims, dtype=dtype)


@keras_op
def mean(x, axis=None, keepdims=False):
    return jnp.mean(_float(x), axis=axis, keepdims=keepdims)


@keras_op
def median(x, axis=None, keepdims=False):
    return jnp.median(_float(x), axis=axis, keepdims=keepdims)


@keras_op
def var(x, axis=None, keepdims=False):
    return jnp.var(_float(x), axis=axis, keepdims=keepdims)


@keras_op
def std(x, axis=None, keepdims=False):
    return jnp.std(_float(x), axis=axis, keepdims=keepdims)


@keras_op
def max(x, axis=None, keepdims=False, initial=None):
    return jnp.max(_t(x), axis=axis, keepdims=keepdims, initial=initial)


@keras_op
def min(x, axis=None, keepdims=False, initial=None):
    return jnp.min(_t(x), axis=axis, keepdims=keepdims, initial=initial)


@keras_op
def amax(x, axis=None, keepdims=False):
    return jnp.max(_t(x), axis=axis, keepdims=keepdims)


@keras_op
def amin(x, axis=None, keepdims=False):
    return jnp.min(_t(x), axis=axis, keepdims=keepdims)


@keras_op
def ptp(x, axis=None, keepdims=False):
    return jnp.ptp(_t(x), axis=axis, keepdims=keepdims)


@keras_op
def any(x, axis=None, keepdims=False):
    return jnp.any(_t(x), axis=axis, keepdims=keepdims)


@keras_op
def all(x, axis=None, keepdims=False):
    return jnp.all(_t(x), axis=axis, keepdims=keepdims)


@keras_op
def argmax(x, axis=None, keepdims=False):
    return jnp.argmax(_t(x), axis=axis, keepdims=keepdims).astype(jnp.int32)


@keras_op
def argmin(x, axis=None, keepdims=False):
    return jnp.argmin(_t(x), axis=axis, keepdims=keepdims).astype(jnp.int32)


@keras_op
def count_nonzero(x, axis=None):
    return jnp.count_nonzero(_t(x), axis=axis).astype(jnp.int32)


@keras_op
def cumsum(x, axis=None, dtype=None):
    return jnp.cumsum(_t(x), axis=axis, dtype=dtype)


@keras_op
def cumprod(x, axis=None, dtype=None):
    return jnp.cumprod(_t(x), axis=axis, dtype=dtype)


@keras_op
def average(x, axis=None, weights=None):
    return jnp.average(_float(x), axis=axis, weights=None if weights is None else _float(weights))


@keras_op
def diff(a, n=1, axis=-1):
    return jnp.diff(_t(a), n=n, axis=axis)
