"""Keras 2's `K.` math functions, with Keras 2's semantics where they differ from Keras 3's:
`dot` of n-d tensors, `batch_dot`'s `axes`, `argmax(axis=-1)`, `cumsum(axis=0)`, `sqrt` clipping
negatives to 0, `clip` with max < min, `switch`, `in_train_phase`.

Every function takes arrays, Variables and symbolic KerasTensors (recorded as graph nodes).
"""

from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.backend import config
from lstmkit.ops._dispatch import keras_op, as_array as _t, as_float as _float
# The same in Keras 2 as in Keras 3:
from lstmkit.ops._numpy_math import abs, cos, exp, log, sign, sin, square  # noqa: F401,A004


# ------------------------------------------------------------------ products
@keras_op
def dot(x, y):
    """`x` (..., n) times `y` (..., n, m): contracts x's last axis with y's second-to-last, giving
    x.shape[:-1] + y.shape[:-2] + y.shape[-1:] (Keras 2's n-d rule, which is NumPy's `dot`)."""
    return jnp.dot(_t(x), _t(y))


@keras_op
def batch_dot(x, y, axes=None):
    """Per-sample dot product of batched tensors along `axes` (Keras 2's rules).

    The result has x's dimensions (less batch and `axes[0]`) then y's (less batch and `axes[1]`),
    after the batch dimension; a result of rank 1 becomes (batch, 1).
    """
    x, y = _t(x), _t(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes "
                         f"{x.shape} and {y.shape}.")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"Cannot do batch_dot on inputs with different batch sizes. Received inputs with "
                         f"shapes {x.shape} and {y.shape}.")
    if isinstance(axes, int):
        axes = [axes, axes]
    if axes is None:
        axes = [x.ndim - 1, y.ndim - 1] if y.ndim == 2 else [x.ndim - 1, y.ndim - 2]
    if builtins.any(isinstance(a, (list, tuple)) for a in axes):
        raise ValueError(f"Multiple target dimensions are not supported. Expected: None, int, (int, int). "
                         f"Provided: {axes}")
    a0, a1 = (int(a) + (nd if int(a) < 0 else 0) for a, nd in zip(axes, (x.ndim, y.ndim)))
    if 0 in (a0, a1):
        raise ValueError("Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy "
                         "batch dimension to your inputs using K.expand_dims(x, 0)")
    if x.shape[a0] != y.shape[a1]:
        raise ValueError(f"Cannot do batch_dot on inputs with shapes {x.shape} and {y.shape} with "
                         f"axes={[a0, a1]}. x.shape[{a0}] != y.shape[{a1}] ({x.shape[a0]} != {y.shape[a1]}).")
    # Contract a0 with a1 per sample: move them to the end / front of the non-batch dims.
    xm = jnp.moveaxis(x, a0, -1)
    ym = jnp.moveaxis(y, a1, 1)
    x_rest, y_rest = xm.shape[1:-1], ym.shape[2:]
    out = jnp.einsum("bik,bkj->bij", xm.reshape(x.shape[0], -1, xm.shape[-1]),
                     ym.reshape(y.shape[0], ym.shape[1], -1))
    out = out.reshape((x.shape[0],) + x_rest + y_rest)
    return out[:, None] if out.ndim == 1 else out


# ------------------------------------------------------------------ element-wise


@keras_op
def sqrt(x):
    x = _float(x)
    return jnp.sqrt(jnp.maximum(x, 0.0))  # Keras 2 clips negatives to 0 rather than give NaN


@keras_op
def pow(x, a):  # noqa: A001  (Keras 2's name)
    return jnp.power(_t(x), a)


@keras_op
def round(x):  # noqa: A001
    return jnp.round(_t(x))  # half to even, as tf.round


@keras_op
def clip(x, min_value, max_value):
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)) and max_value < min_value:
        max_value = min_value
    return jnp.clip(_t(x), min_value, max_value)  # None: no bound on that side


@keras_op
def maximum(x, y):
    return jnp.maximum(_t(x), _t(y))


@keras_op
def minimum(x, y):
    return jnp.minimum(_t(x), _t(y))


@keras_op
def equal(x, y):
    return jnp.equal(_t(x), _t(y))


@keras_op
def not_equal(x, y):
    return jnp.not_equal(_t(x), _t(y))


@keras_op
def greater(x, y):
    return jnp.greater(_t(x), _t(y))


@keras_op
def greater_equal(x, y):
    return jnp.greater_equal(_t(x), _t(y))


@keras_op
def less(x, y):
    return jnp.less(_t(x), _t(y))


@keras_op
def less_equal(x, y):
    return jnp.less_equal(_t(x), _t(y))


# ------------------------------------------------------------------ reductions
def _bool_to_float(x):
    x = _t(x)
    return x.astype(jnp.float32) if x.dtype == jnp.bool_ else x


@keras_op
def sum(x, axis=None, keepdims=False):
    return jnp.sum(_t(x), axis=_axis(axis), keepdims=keepdims)


@keras_op
def prod(x, axis=None, keepdims=False):
    from lstmkit.backend.array_ops import static_ints

    if static_ints([x]):  # e.g. K.prod(K.shape(x)[1:]): static shape arithmetic stays static
        return np.prod(x, axis=_axis(axis), keepdims=keepdims)
    return jnp.prod(_t(x), axis=_axis(axis), keepdims=keepdims)


@keras_op
def mean(x, axis=None, keepdims=False):
    x = _bool_to_float(x)
    m = jnp.mean(x.astype(jnp.float32) if not jnp.issubdtype(x.dtype, jnp.inexact) else x,
                 axis=_axis(axis), keepdims=keepdims)
    # tf.reduce_mean keeps an integer dtype (truncating), and Keras 2 passes ints through.
    return m if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.trunc(m).astype(x.dtype)


@keras_op
def var(x, axis=None, keepdims=False):
    return jnp.var(_float(_bool_to_float(x)), axis=_axis(axis), keepdims=keepdims)


@keras_op
def std(x, axis=None, keepdims=False):
    return jnp.std(_float(_bool_to_float(x)), axis=_axis(axis), keepdims=keepdims)


@keras_op
def max(x, axis=None, keepdims=False):
    return jnp.max(_t(x), axis=_axis(axis), keepdims=keepdims)


@keras_op
def min(x, axis=None, keepdims=False):
    return jnp.min(_t(x), axis=_axis(axis), keepdims=keepdims)


@keras_op
def any(x, axis=None, keepdims=False):
    return jnp.any(_t(x).astype(bool), axis=_axis(axis), keepdims=keepdims)


@keras_op
def all(x, axis=None, keepdims=False):
    return jnp.all(_t(x).astype(bool), axis=_axis(axis), keepdims=keepdims)


@keras_op
def argmax(x, axis=-1):
    return jnp.argmax(_t(x), axis=axis)


@keras_op
def argmin(x, axis=-1):
    return jnp.argmin(_t(x), axis=axis)


@keras_op
def cumsum(x, axis=0):
    return jnp.cumsum(_t(x), axis=axis)


@keras_op
def cumprod(x, axis=0):
    return jnp.cumprod(_t(x), axis=axis)


@keras_op
def logsumexp(x, axis=None, keepdims=False):
    return jax.scipy.special.logsumexp(_float(x), axis=_axis(axis), keepdims=keepdims)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


# ------------------------------------------------------------------ conditionals
@keras_op
def switch(condition, then_expression, else_expression):
    """`then_expression` where `condition`, else `else_expression` (either may be a callable).

    A scalar condition picks one branch (lax.cond); a tensor condition selects element-wise, a
    condition of rank >= 2 and lower than the expressions' gaining trailing axes, as in Keras 2.
    """
    condition = _t(condition).astype(bool)
    if condition.ndim == 0:
        then_fn = then_expression if callable(then_expression) else (lambda: then_expression)
        else_fn = else_expression if callable(else_expression) else (lambda: else_expression)
        return jax.lax.cond(condition, lambda: _t(then_fn()), lambda: _t(else_fn()))
    then_value = _t(then_expression() if callable(then_expression) else then_expression)
    else_value = _t(else_expression() if callable(else_expression) else else_expression)
    if condition.ndim > then_value.ndim:
        raise ValueError(f"Rank of `condition` should be less than or equal to rank of `then_expression` and "
                         f"`else_expression`. ndim(condition)={condition.ndim}, "
                         f"ndim(then_expression)={then_value.ndim}")
    if condition.ndim > 1:
        condition = condition.reshape(condition.shape + (1,) * (then_value.ndim - condition.ndim))
    return jnp.where(condition, then_value, else_value)


def in_train_phase(x, alt, training=None):
    """`x` when training, else `alt` (callables are called); `training` defaults to K.learning_phase()."""
    if training is None:
        training = config.learning_phase()
    if isinstance(training, (bool, int, np.integer)) and training in (0, 1):
        branch = x if training else alt
        return branch() if callable(branch) else branch
    return switch(training, x, alt)  # a tensor flag: decided when the program runs


def in_test_phase(x, alt, training=None):
    return in_train_phase(alt, x, training=training)
