"""`keras.ops` numpy family, part 5: products: matmul, dot, einsum, tensordot, outer, ..."""

from __future__ import annotations

import jax.numpy as jnp

from lstmkit.ops._dispatch import keras_op, as_array as _t


# ------------------------------------------------------------------ products
@keras_op
def matmul(x1, x2):
    return jnp.matmul(_t(x1), _t(x2))


@keras_op
def dot(x1, x2):
    return jnp.dot(_t(x1), _t(x2))


@keras_op
def tensordot(x1, x2, axes=2):
    return jnp.tensordot(_t(x1), _t(x2), axes=axes)


@keras_op
def einsum(subscripts, *operands, **kwargs):
    return jnp.einsum(subscripts, *[_t(x) for x in operands], **kwargs)


@keras_op
def outer(x1, x2):
    return jnp.outer(_t(x1), _t(x2))


@keras_op
def inner(x1, x2):
    return jnp.inner(_t(x1), _t(x2))


@keras_op
def vdot(x1, x2):
    return jnp.vdot(_t(x1), _t(x2))


@keras_op
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return jnp.cross(_t(x1), _t(x2), axisa=axisa, axisb=axisb, axisc=axisc, axis=axis)


@keras_op
def kron(x1, x2):
    return jnp.kron(_t(x1), _t(x2))


@keras_op
def slogdet(x):
    x = _t(x)
    return tuple(jnp.linalg.slogdet(x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(jnp.float32)))
