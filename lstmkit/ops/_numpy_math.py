"""`keras.ops` numpy family, part 1: element-wise math, arithmetic, comparisons and logic.

Thin wrappers over `jax.numpy` with Keras 3's names, arguments and defaults. Inputs may be JAX or
NumPy arrays, Python numbers or lists, lstmkit Variables, or symbolic KerasTensors (see `_dispatch`).
"""

from __future__ import annotations

import jax.numpy as jnp

from lstmkit.ops._dispatch import keras_op, as_array as _t, as_float as _float


# ------------------------------------------------------------------ element-wise, one argument
@keras_op
def abs(x):
    return jnp.abs(_t(x))


absolute = keras_op(abs._array_fn, name="absolute")


@keras_op
def negative(x):
    return jnp.negative(_t(x))


@keras_op
def square(x):
    return jnp.square(_t(x))


@keras_op
def sqrt(x):
    return jnp.sqrt(_float(x))


@keras_op
def exp(x):
    return jnp.exp(_float(x))


@keras_op
def exp2(x):
    return jnp.exp2(_float(x))


@keras_op
def expm1(x):
    return jnp.expm1(_float(x))


@keras_op
def log(x):
    return jnp.log(_float(x))


@keras_op
def log1p(x):
    return jnp.log1p(_float(x))


@keras_op
def log2(x):
    return jnp.log2(_float(x))


@keras_op
def log10(x):
    return jnp.log10(_float(x))


@keras_op
def reciprocal(x):
    return jnp.reciprocal(_float(x))


@keras_op
def sin(x):
    return jnp.sin(_float(x))


@keras_op
def cos(x):
    return jnp.cos(_float(x))


@keras_op
def tan(x):
    return jnp.tan(_float(x))


@keras_op
def arcsin(x):
    return jnp.arcsin(_float(x))


@keras_op
def arccos(x):
    return jnp.arccos(_float(x))


@keras_op
def arctan(x):
    return jnp.arctan(_float(x))


@keras_op
def sinh(x):
    return jnp.sinh(_float(x))


@keras_op
def cosh(x):
    return jnp.cosh(_float(x))


@keras_op
def tanh(x):
    return jnp.tanh(_float(x))


@keras_op
def arctanh(x):
    return jnp.arctanh(_float(x))


@keras_op
def arcsinh(x):
    return jnp.arcsinh(_float(x))


@keras_op
def floor(x):
    return jnp.floor(_float(x))


@keras_op
def ceil(x):
    return jnp.ceil(_float(x))


@keras_op
def trunc(x):
    x = _t(x)
    return x if not jnp.issubdtype(x.dtype, jnp.inexact) else jnp.trunc(x)


@keras_op
def round(x, decimals=0):
    x = _t(x)
    if decimals < 0 and not jnp.issubdtype(x.dtype, jnp.inexact):
        # jnp.round refuses negative decimals on ints; Keras rounds in float and casts back.
        factor = 10.0 ** decimals
        return (jnp.round(x.astype(jnp.float32) * factor) / factor).astype(x.dtype)
    return jnp.round(x, decimals=decimals)


@keras_op
def sign(x):
    return jnp.sign(_t(x))


@keras_op
def signbit(x):
    return jnp.signbit(_t(x))


@keras_op
def isnan(x):
    return jnp.isnan(_t(x))


@keras_op
def isinf(x):
    return jnp.isinf(_t(x))


@keras_op
def isfinite(x):
    return jnp.isfinite(_t(x))


@keras_op
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return jnp.nan_to_num(_t(x), nan=nan, posinf=posinf, neginf=neginf)


@keras_op
def logical_not(x):
    return jnp.logical_not(_t(x))


# ------------------------------------------------------------------ element-wise, two arguments
@keras_op
def add(x1, x2):
    return jnp.add(_t(x1), _t(x2))


@keras_op
def subtract(x1, x2):
    return jnp.subtract(_t(x1), _t(x2))


@keras_op
def multiply(x1, x2):
    return jnp.multiply(_t(x1), _t(x2))


@keras_op
def divide(x1, x2):
    return jnp.divide(_t(x1), _t(x2))


true_divide = keras_op(divide._array_fn, name="true_divide")


@keras_op
def divide_no_nan(x1, x2):
    x1, x2 = _t(x1), _t(x2)
    return jnp.where(x2 == 0, 0, jnp.divide(x1, jnp.where(x2 == 0, 1, x2)))


@keras_op
def floor_divide(x1, x2):
    return jnp.floor_divide(_t(x1), _t(x2))


@keras_op
def mod(x1, x2):
    return jnp.mod(_t(x1), _t(x2))


@keras_op
def power(x1, x2):
    return jnp.power(_t(x1), _t(x2))


@keras_op
def maximum(x1, x2):
    return jnp.maximum(_t(x1), _t(x2))


@keras_op
def minimum(x1, x2):
    return jnp.minimum(_t(x1), _t(x2))


@keras_op
def arctan2(x1, x2):
    return jnp.arctan2(_float(x1), _float(x2))


@keras_op
def hypot(x1, x2):
    return jnp.hypot(_float(x1), _float(x2))


@keras_op
def logaddexp(x1, x2):
    return jnp.logaddexp(_float(x1), _float(x2))


@keras_op
def equal(x1, x2):
    return jnp.equal(_t(x1), _t(x2))


@keras_op
def not_equal(x1, x2):
    return jnp.not_equal(_t(x1), _t(x2))


@keras_op
def greater(x1, x2):
    return jnp.greater(_t(x1), _t(x2))


@keras_op
def greater_equal(x1, x2):
    return jnp.greater_equal(_t(x1), _t(x2))


@keras_op
def less(x1, x2):
    return jnp.less(_t(x1), _t(x2))


@keras_op
def less_equal(x1, x2):
    return jnp.less_equal(_t(x1), _t(x2))


@keras_op
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return jnp.isclose(_t(x1), _t(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


@keras_op
def logical_and(x1, x2):
    return jnp.logical_and(_t(x1), _t(x2))


@keras_op
def logical_or(x1, x2):
    return jnp.logical_or(_t(x1), _t(x2))


@keras_op
def logical_xor(x1, x2):
    return jnp.logical_xor(_t(x1), _t(x2))


@keras_op
def clip(x, x_min, x_max):
    x = _t(x)
    if x.dtype == jnp.bool_:  # Keras clips booleans as int32
        x = x.astype(jnp.int32)
    return jnp.clip(x, x_min, x_max)
