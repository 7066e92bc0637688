"""Keras 2's variables, constants and facts about tensors: variable, constant, zeros, get_value,
set_value, int_shape, shape, ndim, dtype, count_params, is_keras_tensor, random_uniform, ..."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.ops._dispatch import _kt_class, _var_class, is_keras_tensor as _is_kt, keras_op

_names = itertools.count()


def _dtype(dtype):
    from lstmkit.ops.core import standardize_dtype

    return standardize_dtype(dtype)  # None means floatx, as in Keras 2


def _new_variable(value, dtype=None, name=None, constraint=None):
    from lstmkit import constraints

    value = np.asarray(value, dtype=_dtype(dtype))
    n = next(_names)
    return _var_class()(value, name=name or ("Variable" if n == 0 else f"Variable_{n}"),
                        constraint=constraints.get(constraint))


def variable(value, dtype=None, name=None, constraint=None):
    """A new Variable holding `value` (dtype floatx unless given)."""
    return _new_variable(value, dtype, name, constraint)


def constant(value, dtype=None, shape=None, name=None):
    """A constant tensor; with `shape`, a scalar `value` fills that shape (as tf.constant does)."""
    value = np.asarray(value, dtype=_dtype(dtype))
    if shape is not None:
        shape = tuple(shape)
        if value.size == 1:
            value = np.full(shape, value.reshape(()), dtype=value.dtype)
        elif value.size == int(np.prod(shape)):
            value = value.reshape(shape)
        else:
            raise TypeError(f"constant(): {value.size} values cannot fill `shape`={shape}.")
    return jnp.asarray(value)


def zeros(shape, dtype=None, name=None):
    """An all-zeros *variable*, as Keras 2's K.zeros."""
    return _new_variable(np.zeros(shape), dtype, name)


def ones(shape, dtype=None, name=None):
    """An all-ones *variable*, as Keras 2's K.ones."""
    return _new_variable(np.ones(shape), dtype, name)


def eye(size, dtype=None, name=None):
    """An identity-matrix *variable*; `size` is n or (rows, columns)."""
    rows, cols = (size, size) if isinstance(size, int) else tuple(size)
    return _new_variable(np.eye(rows, cols), dtype, name)


@keras_op
def zeros_like(x, dtype=None, name=None):
    return jnp.zeros_like(jnp.asarray(x), dtype=dtype)


@keras_op
def ones_like(x, dtype=None, name=None):
    return jnp.ones_like(jnp.asarray(x), dtype=dtype)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return jax.random.uniform(_key(seed), tuple(shape), _dtype(dtype), minval, maxval)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return mean + stddev * jax.random.normal(_key(seed), tuple(shape), _dtype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return mean + stddev * jax.random.truncated_normal(_key(seed), -2.0, 2.0, tuple(shape), _dtype(dtype))


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    return jax.random.bernoulli(_key(seed), p, tuple(shape)).astype(_dtype(dtype))


random_binomial = random_bernoulli


def _key(seed):
    """Keras 2's seeds: inside a layer's call every draw is new (the step's key), also with a seed, which
    then only makes the stream reproducible; outside, None is the global stream and a seed a fixed key."""
    from lstmkit import random as random_mod
    from lstmkit.layers.variables import current_scope

    scope = current_scope()
    if scope is not None:
        key = scope.ctx.next_rng()
        return key if seed is None else jax.random.fold_in(key, int(seed))
    return random_mod.draw_key(None if seed is None else int(seed))


# ------------------------------------------------------------------ reading and writing values
def _require_variable(x, fn_name):
    if not isinstance(x, _var_class()):
        raise TypeError(f"`{fn_name}` expects an lstmkit Variable (e.g. a layer weight or K.variable(...)). "
                        f"Received: {type(x).__name__}")
    return x


def get_value(x):
    """The value of a variable or tensor as a NumPy array."""
    if _is_kt(x):
        raise ValueError("get_value(): a KerasTensor is symbolic and has no value.")
    return np.array(x.value if isinstance(x, _var_class()) else x)


def batch_get_value(tensors):
    return [get_value(x) for x in tensors]


def set_value(x, value):
    var = _require_variable(x, "set_value")
    var.assign(np.asarray(value, dtype=var.dtype))


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def eval(x):  # noqa: A001  (Keras 2's name)
    return get_value(x)


# ------------------------------------------------------------------ facts about tensors
def int_shape(x):
    """The static shape as a tuple of ints (None where unknown), or None if `x` has no shape."""
    try:
        return tuple(None if d is None else int(d) for d in x.shape)
    except (AttributeError, TypeError):
        return None


def shape(x):
    """The shape as an int32 array. It is a NumPy array (static under jit), so `K.shape(x)[0]` can size
    `K.reshape` and `K.tile` inside compiled code."""
    if _is_kt(x):
        raise ValueError(f"shape(): the shape of a symbolic tensor is not known before it runs; use "
                         f"K.int_shape(x) for the static shape {tuple(x.shape)}.")
    return np.asarray(jnp.shape(x.value if isinstance(x, _var_class()) else x), dtype=np.int32)


def ndim(x):
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def dtype(x):
    from lstmkit.ops.core import dtype as ops_dtype

    return ops_dtype(x)


def count_params(x):
    """Number of scalars in `x`, e.g. a weight."""
    return int(np.prod(int_shape(x)))


def is_keras_tensor(x):
    """True for a symbolic tensor of the functional API; a ValueError for something not a tensor (Keras 2)."""
    if _is_kt(x):
        return True
    if isinstance(x, (jax.Array, np.ndarray, _var_class())):
        return False
    raise ValueError(f"Unexpectedly found an instance of type `{type(x)}`. Expected a symbolic tensor instance.")


def is_tensor(x):
    return isinstance(x, (jax.Array, _var_class(), _kt_class()))


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None, ragged=False):
    raise NotImplementedError(
        "K.placeholder() is TensorFlow-1 graph code, which lstmkit does not run. Declare a model input with "
        "`lstmkit.Input(shape=...)` (the shape of one sample) instead.")


def function(inputs, outputs, updates=None, name=None, **kwargs):
    raise NotImplementedError(
        "K.function() builds a TensorFlow-1 graph function, which lstmkit does not run. Build "
        "`lstmkit.Model(inputs, outputs)` and call `model.predict(x)` (or `model(x)`) instead.")


def rnn(*args, **kwargs):
    raise NotImplementedError(
        "K.rnn() is not provided by lstmkit. Use layers.RNN(cell) or the LSTM / GRU / SimpleRNN layers.")


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    return _new_variable(np.asarray(random_uniform(shape, low, high, dtype, seed)), dtype, name)


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    return _new_variable(np.asarray(random_normal(shape, mean, scale, dtype, seed)), dtype, name)


def cast_to_floatx(x):
    """`x` as a float32 NumPy array (a tensor: cast to float32)."""
    if isinstance(x, (jax.Array, _var_class())):
        return jnp.asarray(x.value if isinstance(x, _var_class()) else x, jnp.float32)
    return np.asarray(x, dtype=np.float32)


def is_sparse(x):
    return False  # lstmkit has no sparse tensors


def to_dense(x):
    return x


# ------------------------------------------------------------------ updating variables
def update(x, new_x):
    """Assign `new_x` to the variable `x` (inside a traced layer call, the update is carried through)."""
    _require_variable(x, "update").assign(new_x)
    return x


def update_add(x, increment):
    _require_variable(x, "update_add").assign(x.value + jnp.asarray(increment))
    return x


def update_sub(x, decrement):
    _require_variable(x, "update_sub").assign(x.value - jnp.asarray(decrement))
    return x


def moving_average_update(x, value, momentum):
    """x <- x * momentum + value * (1 - momentum), as Keras 2 on TF2 (no zero-debiasing)."""
    var = _require_variable(x, "moving_average_update")
    var.assign(var.value * momentum + jnp.asarray(value) * (1.0 - momentum))
    return x


# ------------------------------------------------------------------ names and sessions
def get_uid(prefix=""):
    """1, 2, 3, ... per prefix. As in Keras, the count is the one automatic layer names use: after one
    `Dense()`, `get_uid("dense")` is 2 and the next Dense is named "dense_2"."""
    from lstmkit.layers.base import unique_name

    name = unique_name(prefix)
    return 1 if name == prefix else int(name[len(prefix) + 1:]) + 1


def reset_uids():
    from lstmkit.layers import base

    base.reset_uids()


def get_session(*args, **kwargs):
    raise NotImplementedError("K.get_session() returns a TensorFlow-1 session; lstmkit runs on JAX and has none.")


def set_session(*args, **kwargs):
    raise NotImplementedError("K.set_session() sets a TensorFlow-1 session; lstmkit runs on JAX and has none.")
