"""`keras.ops` numpy family, part 4: the less common functions: angles, complex parts, bitwise and
floating-point manipulation, set membership, NaN-aware reductions and quantiles."""

from __future__ import annotations

import jax.numpy as jnp

from lstmkit.ops._dispatch import keras_op, as_array as _t, as_float as _float


@keras_op
def arccosh(x):
    return jnp.arccosh(_float(x))


@keras_op
def cbrt(x):
    return jnp.cbrt(_float(x))


@keras_op
def deg2rad(x):
    return jnp.deg2rad(_float(x))


@keras_op
def rad2deg(x):
    return jnp.rad2deg(_float(x))


@keras_op
def sinc(x):
    return jnp.sinc(_float(x))


@keras_op
def fabs(x):
    return jnp.fabs(_float(x))


@keras_op
def fmod(x1, x2):
    return jnp.fmod(_t(x1), _t(x2))


@keras_op
def fmax(x1, x2):
    return jnp.fmax(_t(x1), _t(x2))


@keras_op
def fmin(x1, x2):
    return jnp.fmin(_t(x1), _t(x2))


@keras_op
def heaviside(x1, x2):
    return jnp.heaviside(_t(x1), _t(x2))


@keras_op
def logaddexp2(x1, x2):
    return jnp.logaddexp2(_float(x1), _float(x2))


@keras_op
def nextafter(x1, x2):
    return jnp.nextafter(_float(x1), _float(x2))


@keras_op
def ldexp(x1, x2):
    return jnp.ldexp(_float(x1), _t(x2))


@keras_op
def gcd(x1, x2):
    return jnp.gcd(_t(x1), _t(x2))


@keras_op
def lcm(x1, x2):
    return jnp.lcm(_t(x1), _t(x2))


@keras_op
def isneginf(x):
    return jnp.isneginf(_t(x))


@keras_op
def isposinf(x):
    return jnp.isposinf(_t(x))


@keras_op
def isreal(x):
    return jnp.isreal(_t(x))


@keras_op
def isin(x1, x2, assume_unique=False, invert=False):
    return jnp.isin(_t(x1), _t(x2), assume_unique=assume_unique, invert=invert)


@keras_op
def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    return jnp.allclose(_t(x1), _t(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


# ------------------------------------------------------------------ complex parts
@keras_op
def real(x):
    return jnp.real(_t(x))


@keras_op
def imag(x):
    return jnp.imag(_t(x))


@keras_op
def conj(x):
    return jnp.conj(_t(x))


conjugate = keras_op(conj._array_fn, name="conjugate")


@keras_op
def angle(x):
    return jnp.angle(_float(x))


# ------------------------------------------------------------------ bitwise
@keras_op
def bitwise_and(x, y):
    return jnp.bitwise_and(_t(x), _t(y))


@keras_op
def bitwise_or(x, y):
    return jnp.bitwise_or(_t(x), _t(y))


@keras_op
def bitwise_xor(x, y):
    return jnp.bitwise_xor(_t(x), _t(y))


@keras_op
def bitwise_invert(x):
    return jnp.invert(_t(x))


bitwise_not = keras_op(bitwise_invert._array_fn, name="bitwise_not")


@keras_op
def bitwise_left_shift(x, y):
    return jnp.left_shift(_t(x), _t(y))


left_shift = keras_op(bitwise_left_shift._array_fn, name="left_shift")


@keras_op
def bitwise_right_shift(x, y):
    return jnp.right_shift(_t(x), _t(y))


right_shift = keras_op(bitwise_right_shift._array_fn, name="right_shift")


# ------------------------------------------------------------------ NaN-aware reductions, quantiles
@keras_op
def nansum(x, axis=None, keepdims=False):
    return jnp.nansum(_t(x), axis=axis, keepdims=keepdims)


@keras_op
def nanprod(x, axis=None, keepdims=False):
    return jnp.nanprod(_t(x), axis=axis, keepdims=keepdims)


@keras_op
def nanmean(x, axis=None, keepdims=False):
    return jnp.nanmean(_float(x), axis=axis, keepdims=keepdims)


@keras_op
def nanmedian(x, axis=None, keepdims=False):
    return jnp.nanmedian(_float(x), axis=axis, keepdims=keepdims)


@keras_op
def nanvar(x, axis=None, keepdims=False):
    return jnp.nanvar(_float(x), axis=axis, keepdims=keepdims)


@keras_op
def nanstd(x, axis=None, keepdims=False):
    return jnp.nanstd(_float(x), axis=axis, keepdims=keepdims)


@keras_op
def nanmax(x, axis=None, keepdims=False):
    return jnp.nanmax(_t(x), axis=axis, keepdims=keepdims)


@keras_op
def nanmin(x, axis=None, keepdims=False):
    return jnp.nanmin(_t(x), axis=axis, keepdims=keepdims)


@keras_op
def nanargmax(x, axis=None, keepdims=False):
    return jnp.nanargmax(_t(x), axis=axis, keepdims=keepdims).astype(jnp.int32)


@keras_op
def nanargmin(x, axis=None, keepdims=False):
    return jnp.nanargmin(_t(x), axis=axis, keepdims=keepdims).astype(jnp.int32)


@keras_op
def nancumsum(x, axis=None, dtype=None):
    return jnp.nancumsum(_t(x), axis=axis, dtype=dtype)


@keras_op
def nancumprod(x, axis=None, dtype=None):
    return jnp.nancumprod(_t(x), axis=axis, dtype=dtype)


@keras_op
def quantile(x, q, axis=None, method="linear", keepdims=False):
    return jnp.quantile(_float(x), _t(q), axis=axis, method=method, keepdims=keepdims)


@keras_op
def percentile(x, q, axis=None, method="linear", keepdims=False):
    return jnp.percentile(_float(x), _t(q), axis=axis, method=method, keepdims=keepdims)


@keras_op
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    return jnp.nanquantile(_float(x), _t(q), axis=axis, method=method, keepdims=keepdims)


@keras_op
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return jnp.nanpercentile(_float(x), _t(q), axis=axis, method=method, keepdims=keepdims)


@keras_op
def trapezoid(y, x=None, dx=1.0, axis=-1):
    return jnp.trapezoid(_float(y), None if x is None else _float(x), dx=dx, axis=axis)


@keras_op
def corrcoef(x):
    return jnp.corrcoef(_float(x))
