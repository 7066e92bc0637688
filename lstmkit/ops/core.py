"""`keras.ops` core: conversion and dtypes, shapes, slicing, gradients and control flow.

Keras-specific behaviour written out here: `shape` is a tuple (with None for a KerasTensor's
unknown dimensions), `cast` takes dtype strings, `slice(x, start_indices, shape)` takes -1 for
"to the end", and `while_loop` passes its loop variables unpacked to `cond` and `body`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.ops._dispatch import is_keras_tensor, keras_op, unwrap

# Keras's dtype spellings beyond NumPy's names.
_DTYPE_ALIASES = {"float": "float32", "int": "int32", "uint": "uint32", "double": "float64", "bool_": "bool"}


def standardize_dtype(dtype) -> str:
    """A dtype (string, NumPy/JAX dtype or Python type) as Keras's canonical name, e.g. 'float32'."""
    if dtype is None:
        return "float32"
    if dtype is float:
        return "float32"
    if dtype is int:
        return "int32"
    if dtype is bool:
        return "bool"
    name = getattr(dtype, "name", dtype)
    if isinstance(name, str):
        name = _DTYPE_ALIASES.get(name, name)
    try:
        return np.dtype(jnp.dtype(name)).name
    except TypeError:
        raise ValueError(f"Invalid dtype: {dtype!r}") from None


def shape(x):
    """The shape as a tuple of ints (None for a KerasTensor's unknown dimensions)."""
    if is_keras_tensor(x):
        return tuple(x.shape)
    return tuple(jnp.shape(unwrap(x)))


def dtype(x):
    return standardize_dtype(x.dtype if hasattr(x, "dtype") else jnp.asarray(x).dtype)


def is_tensor(x):
    return isinstance(x, jax.Array)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    if sparse:
        raise ValueError("`convert_to_tensor(sparse=True)`: lstmkit has no sparse tensors.")
    if ragged:
        raise ValueError("`convert_to_tensor(ragged=True)`: lstmkit has no ragged tensors.")
    if is_keras_tensor(x):
        return x if dtype is None else cast(x, dtype)
    x = unwrap(x)
    return jnp.asarray(x, dtype=None if dtype is None else standardize_dtype(dtype))


def convert_to_numpy(x):
    if is_keras_tensor(x):
        raise ValueError(
            "A KerasTensor is symbolic: it is a placeholder for a shape and a dtype and has no value. "
            "You cannot convert it to a NumPy array.")
    return np.array(unwrap(x))


@keras_op
def cast(x, dtype):
    return jnp.asarray(x).astype(standardize_dtype(dtype))


@keras_op
def saturate_cast(x, dtype):
    dtype = standardize_dtype(dtype)
    x = jnp.asarray(x)
    if jnp.issubdtype(jnp.dtype(dtype), jnp.integer):
        info = jnp.iinfo(dtype)
        x = jnp.clip(x, info.min, info.max)
        if jnp.issubdtype(x.dtype, jnp.inexact):
            x = jnp.where(jnp.isnan(x), 0, x)
    return x.astype(dtype)


@keras_op
def stop_gradient(variable):
    return jax.lax.stop_gradient(jnp.asarray(variable))


@keras_op
def slice(inputs, start_indices, shape):
    inputs = jnp.asarray(inputs)
    # -1 in `shape` means "everything from the start index on", as in Keras.
    sizes = tuple(int(inputs.shape[i]) - int(start_indices[i]) if s == -1 else int(s) for i, s in enumerate(shape))
    return jax.lax.dynamic_slice(inputs, start_indices, sizes)


@keras_op
def slice_update(inputs, start_indices, updates):
    inputs = jnp.asarray(inputs)
    return jax.lax.dynamic_update_slice(inputs, jnp.asarray(updates).astype(inputs.dtype), start_indices)


@keras_op
def scatter(indices, values, shape):
    values = jnp.asarray(values)
    key = tuple(jnp.moveaxis(jnp.asarray(indices), -1, 0))
    return jnp.zeros(shape, values.dtype).at[key].add(values)


@keras_op
def scatter_update(inputs, indices, updates, reduction=None):
    at = jnp.asarray(inputs).at[tuple(jnp.transpose(jnp.asarray(indices)))]
    methods = {None: at.set, "add": at.add, "max": at.max, "min": at.min, "mul": at.multiply}
    if reduction not in methods:
        raise ValueError(f"`scatter_update`: `reduction` must be one of {list(methods)}. Received: reduction={reduction!r}")
    return methods[reduction](updates)


@keras_op
def unstack(x, num=None, axis=0):
    x = jnp.asarray(x)
    return [jax.lax.index_in_dim(x, i, axis, keepdims=False) for i in range(x.shape[axis])]


@keras_op
def get_item(x, key):
    return jnp.asarray(x)[key]


# ------------------------------------------------------------------ control flow
@keras_op
def cond(pred, true_fn, false_fn):
    return jax.lax.cond(pred, true_fn, false_fn)


@keras_op
def switch(index, branches, *operands):
    return jax.lax.switch(index, branches, *operands)


@keras_op
def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"`unroll` must be a positive integer or boolean. Received: unroll={unroll}")
    return jax.lax.scan(f, init, xs, length=length, reverse=reverse, unroll=unroll)


@keras_op
def associative_scan(f, elems, reverse=False, axis=0):
    return jax.lax.associative_scan(f, elems, reverse=reverse, axis=axis)


@keras_op
def map(f, xs):
    return jax.lax.map(f, xs)


@keras_op
def fori_loop(lower, upper, body_fun, init_val):
    return jax.lax.fori_loop(lower, upper, body_fun, init_val)


@keras_op
def while_loop(cond, body, loop_vars, maximum_iterations=None):
    # Keras passes a tuple/list of loop variables unpacked to `cond` and `body`.
    is_seq = isinstance(loop_vars, (tuple, list))
    state = tuple(loop_vars) if is_seq else (loop_vars,)

    def as_tuple(out):
        return tuple(out) if is_seq else (out,)

    if maximum_iterations is None:
        out = jax.lax.while_loop(lambda s: cond(*s), lambda s: as_tuple(body(*s)), state)
    else:
        out = jax.lax.while_loop(lambda s: jnp.logical_and(cond(*s[:-1]), s[-1] < maximum_iterations),
                                 lambda s: as_tuple(body(*s[:-1])) + (s[-1] + 1,), state + (0,))[:-1]
    return out if is_seq else out[0]


def vectorized_map(function, elements):
    return jax.vmap(function)(elements)


def custom_gradient(f):
    """`f(*args)` returns `(output, grad_fn)`; as Keras's `ops.custom_gradient` on JAX."""
    g = jax.custom_gradient(f)

    def wrapper(*args, **kwargs):
        return g(*[unwrap(a) for a in args], **{k: unwrap(v) for k, v in kwargs.items()})

    return wrapper
