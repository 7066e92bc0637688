"""Keras 2's `K.` shape and indexing functions: concatenate, stack, expand_dims, squeeze, reshape,
permute_dimensions, repeat, repeat_elements, tile, flatten, batch_flatten, transpose, gather,
one_hot, cast, stop_gradient, ..."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.ops._dispatch import keras_op, as_array as _t


def static_ints(values) -> bool:
    """True when every value is a NumPy or Python integer: shape arithmetic such as
    `K.stack([K.shape(x)[0], -1])`, which stays in NumPy so it is still static inside compiled code."""
    values = list(values)
    return bool(values) and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool)
        or isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.integer) for v in values)


@keras_op
def cast(x, dtype):
    from lstmkit.ops.core import standardize_dtype

    return _t(x).astype(standardize_dtype(dtype))


@keras_op
def concatenate(tensors, axis=-1):
    xp = np if static_ints(tensors) else jnp
    tensors = [xp.asarray(x) for x in tensors]
    return xp.concatenate(tensors, axis=axis if tensors[0].ndim else 0)


@keras_op
def stack(x, axis=0):
    xp = np if static_ints(x) else jnp
    return xp.stack([xp.asarray(a) for a in x], axis=axis)


@keras_op
def expand_dims(x, axis=-1):
    return jnp.expand_dims(_t(x), axis)


@keras_op
def squeeze(x, axis):
    return jnp.squeeze(_t(x), axis)


@keras_op
def reshape(x, shape):
    return jnp.reshape(_t(x), tuple(int(d) for d in np.asarray(shape).reshape(-1)))


@keras_op
def permute_dimensions(x, pattern):
    return jnp.transpose(_t(x), tuple(pattern))


@keras_op
def transpose(x):
    return jnp.transpose(_t(x))  # all axes reversed, as tf.transpose


@keras_op
def repeat(x, n):
    """(samples, dim) -> (samples, n, dim)."""
    x = _t(x)
    if x.ndim != 2:
        raise ValueError(f"K.repeat() expects a 2D tensor (samples, dim). Received a tensor of shape {x.shape}.")
    return jnp.repeat(x[:, None, :], n, axis=1)


@keras_op
def repeat_elements(x, rep, axis):
    """Each slice along `axis` repeated `rep` times, like np.repeat."""
    return jnp.repeat(_t(x), rep, axis=axis)


@keras_op
def tile(x, n):
    return jnp.tile(_t(x), [n] if isinstance(n, int) else tuple(n))


@keras_op
def flatten(x):
    return jnp.reshape(_t(x), (-1,))


@keras_op
def batch_flatten(x):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""
    x = _t(x)
    return jnp.reshape(x, (-1, int(np.prod(x.shape[1:]))))


@keras_op
def reverse(x, axes):
    return jnp.flip(_t(x), axis=(axes,) if isinstance(axes, int) else tuple(axes))


@keras_op
def gather(reference, indices):
    """Rows of `reference` (along axis 0) at `indices`."""
    return jnp.take(_t(reference), _t(indices), axis=0)


@keras_op
def one_hot(indices, num_classes):
    return jax.nn.one_hot(_t(indices), num_classes, dtype=jnp.float32)


@keras_op
def stop_gradient(variables):
    if isinstance(variables, (list, tuple)):
        return type(variables)(jax.lax.stop_gradient(_t(v)) for v in variables)
    return jax.lax.stop_gradient(_t(variables))


@keras_op
def arange(start, stop=None, step=1, dtype="int32"):
    if stop is None and start < 0:
        start = 0  # Keras 2: a negative single argument gives an empty range
    return jnp.arange(start, stop, step, dtype=dtype)


@keras_op
def temporal_padding(x, padding=(1, 1)):
    return jnp.pad(_t(x), [(0, 0), tuple(padding), (0, 0)])


@keras_op
def identity(x, name=None):
    return jnp.array(_t(x), copy=True)


@keras_op
def slice(x, start, size):  # noqa: A001  (Keras 2's name)
    """`size[i]` elements from `start[i]` on (-1: to the end), as tf.slice."""
    x = _t(x)
    sizes = tuple(int(x.shape[i]) - int(start[i]) if s == -1 else int(s) for i, s in enumerate(size))
    return jax.lax.dynamic_slice(x, tuple(start), sizes)


@keras_op
def print_tensor(x, message="", summarize=3):
    """Print `x` (also from compiled code, when it runs) and return it."""
    jax.debug.print(message + "{x}", x=_t(x))
    return x


def map_fn(fn, elems, name=None, dtype=None):
    return jax.lax.map(fn, elems)


def foldl(fn, elems, initializer=None, name=None):
    """fn(acc, x) over `elems` from the first; the first element starts the fold without an initializer."""
    elems = _t(elems)
    if initializer is None:
        initializer, elems = elems[0], elems[1:]
    return jax.lax.scan(lambda acc, x: (fn(acc, x), None), initializer, elems)[0]


def foldr(fn, elems, initializer=None, name=None):
    """fn(acc, x) over `elems` from the last."""
    elems = _t(elems)
    if initializer is None:
        initializer, elems = elems[-1], elems[:-1]
    return jax.lax.scan(lambda acc, x: (fn(acc, x), None), initializer, elems, reverse=True)[0]
