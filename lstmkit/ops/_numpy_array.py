"""`keras.ops` numpy family, part 2: creating arrays, shapes, joining and splitting, indexing and sorting."""

from __future__ import annotations

import jax.numpy as jnp

from lstmkit.ops._dispatch import keras_op, as_array as _t

_FLOATX = "float32"


def _seq(xs, fn_name):
    """A list or tuple of tensors (an array counts as the sequence of its rows, as in NumPy)."""
    if hasattr(xs, "shape") and len(xs.shape) > 0:
        return jnp.asarray(xs)
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"`{fn_name}` expects a list or tuple of tensors. Received: {type(xs).__name__}")
    return [jnp.asarray(x) for x in xs]


# ------------------------------------------------------------------ creation (dtype defaults to floatx)
def zeros(shape, dtype=None):
    return jnp.zeros(shape, dtype=dtype or _FLOATX)


def ones(shape, dtype=None):
    return jnp.ones(shape, dtype=dtype or _FLOATX)


def empty(shape, dtype=None):
    return jnp.zeros(shape, dtype=dtype or _FLOATX)


def full(shape, fill_value, dtype=None):
    return jnp.full(shape, fill_value, dtype=dtype or _FLOATX)


def eye(N, M=None, k=0, dtype=None):
    return jnp.eye(N, M=M, k=k, dtype=dtype or _FLOATX)


def identity(n, dtype=None):
    return jnp.identity(n, dtype=dtype or _FLOATX)


def tri(N, M=None, k=0, dtype=None):
    return jnp.tri(N, M=M, k=k, dtype=dtype or _FLOATX)


def arange(start, stop=None, step=None, dtype=None):
    if step is None:
        step = 1
    return jnp.arange(start, stop, step, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    return jnp.linspace(start, stop, num=num, endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis)


def array(x, dtype=None):
    return jnp.array(x, dtype=dtype)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return jnp.logspace(start, stop, num=num, endpoint=endpoint, base=base, dtype=dtype, axis=axis)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    return jnp.geomspace(start, stop, num=num, endpoint=endpoint, dtype=dtype, axis=axis)


@keras_op
def empty_like(x, dtype=None):
    return jnp.zeros_like(_t(x), dtype=dtype)


@keras_op
def vander(x, N=None, increasing=False):
    return jnp.vander(_t(x), N=N, increasing=increasing)


@keras_op
def zeros_like(x, dtype=None):
    return jnp.zeros_like(_t(x), dtype=dtype)


@keras_op
def ones_like(x, dtype=None):
    return jnp.ones_like(_t(x), dtype=dtype)


@keras_op
def full_like(x, fill_value, dtype=None):
    return jnp.full_like(_t(x), fill_value, dtype=dtype)


@keras_op
def copy(x):
    return jnp.array(_t(x), copy=True)


@keras_op
def meshgrid(*x, indexing="xy"):
    return jnp.meshgrid(*[_t(a) for a in x], indexing=indexing)


# ------------------------------------------------------------------ shapes
@keras_op
def reshape(x, newshape):
    return jnp.reshape(_t(x), newshape)


@keras_op
def transpose(x, axes=None):
    return jnp.transpose(_t(x), axes)


@keras_op
def swapaxes(x, axis1, axis2):
    return jnp.swapaxes(_t(x), axis1, axis2)


@keras_op
def moveaxis(x, source, destination):
    return jnp.moveaxis(_t(x), source, destination)


@keras_op
def expand_dims(x, axis):
    return jnp.expand_dims(_t(x), axis)


@keras_op
def squeeze(x, axis=None):
    return jnp.squeeze(_t(x), axis=axis)


@keras_op
def ravel(x):
    return jnp.ravel(_t(x))


@keras_op
def broadcast_to(x, shape):
    return jnp.broadcast_to(_t(x), shape)


@keras_op
def tile(x, repeats):
    return jnp.tile(_t(x), repeats)


@keras_op
def repeat(x, repeats, axis=None):
    return jnp.repeat(_t(x), repeats, axis=axis)


@keras_op
def flip(x, axis=None):
    return jnp.flip(_t(x), axis=axis)


@keras_op
def fliplr(x):
    return jnp.fliplr(_t(x))


@keras_op
def flipud(x):
    return jnp.flipud(_t(x))


@keras_op
def roll(x, shift, axis=None):
    return jnp.roll(_t(x), shift, axis=axis)


@keras_op
def rot90(array, k=1, axes=(0, 1)):
    return jnp.rot90(_t(array), k=k, axes=axes)


@keras_op
def pad(x, pad_width, mode="constant", constant_values=None):
    if constant_values is not None:
        if mode != "constant":
            raise ValueError(
                f"Argument `constant_values` can only be provided when `mode == 'constant'`. Received: mode={mode}")
        return jnp.pad(_t(x), pad_width, mode=mode, constant_values=constant_values)
    return jnp.pad(_t(x), pad_width, mode=mode)


@keras_op
def triu(x, k=0):
    return jnp.triu(_t(x), k=k)


@keras_op
def tril(x, k=0):
    return jnp.tril(_t(x), k=k)


@keras_op
def diag(x, k=0):
    return jnp.diag(_t(x), k=k)


@keras_op
def diagflat(x, k=0):
    return jnp.diagflat(_t(x), k=k)


@keras_op
def diagonal(x, offset=0, axis1=0, axis2=1):
    return jnp.diagonal(_t(x), offset=offset, axis1=axis1, axis2=axis2)


@keras_op
def trace(x, offset=0, axis1=0, axis2=1):
    return jnp.trace(_t(x), offset=offset, axis1=axis1, axis2=axis2)


# ------------------------------------------------------------------ joining and splitting
@keras_op
def concatenate(xs, axis=0):
    return jnp.concatenate(_seq(xs, "concatenate"), axis=axis)


@keras_op
def stack(x, axis=0):
    return jnp.stack(_seq(x, "stack"), axis=axis)


@keras_op
def hstack(xs):
    return jnp.hstack(_seq(xs, "hstack"))


@keras_op
def vstack(xs):
    return jnp.vstack(_seq(xs, "vstack"))


@keras_op
def dstack(xs):
    return jnp.dstack(_seq(xs, "dstack"))


@keras_op
def append(x1, x2, axis=None):
    return jnp.append(_t(x1), _t(x2), axis=axis)


@keras_op
def split(x, indices_or_sections, axis=0):
    return jnp.split(_t(x), indices_or_sections, axis=axis)


@keras_op
def hsplit(x, indices_or_sections):
    return jnp.hsplit(_t(x), indices_or_sections)


@keras_op
def vsplit(x, indices_or_sections):
    return jnp.vsplit(_t(x), indices_or_sections)


@keras_op
def dsplit(x, indices_or_sections):
    return jnp.dsplit(_t(x), indices_or_sections)


@keras_op
def array_split(x, indices_or_sections, axis=0):
    return jnp.array_split(_t(x), indices_or_sections, axis=axis)


# ------------------------------------------------------------------ indexing, selecting, sorting
@keras_op
def where(condition, x1=None, x2=None):
    if (x1 is None) != (x2 is None):
        raise ValueError("`where`: pass both `x1` and `x2`, or neither (then it returns the indices of "
                         f"the true elements). Received: x1={x1!r:.40}, x2={x2!r:.40}")
    if x1 is None:
        return jnp.nonzero(_t(condition))
    return jnp.where(_t(condition), _t(x1), _t(x2))


@keras_op
def nonzero(x):
    return jnp.nonzero(_t(x))


@keras_op
def take(x, indices, axis=None):
    return jnp.take(_t(x), _t(indices), axis=axis)


@keras_op
def take_along_axis(x, indices, axis=None):
    return jnp.take_along_axis(_t(x), _t(indices), axis=axis)


@keras_op
def select(condlist, choicelist, default=0):
    return jnp.select([_t(c) for c in condlist], [_t(c) for c in choicelist], default)


@keras_op
def sort(x, axis=-1):
    return jnp.sort(_t(x), axis=axis)


@keras_op
def argsort(x, axis=-1):
    x = _t(x)
    return jnp.argsort(x, axis=None if x.ndim == 0 else axis).astype(jnp.int32)


@keras_op
def argpartition(x, kth, axis=-1):
    return jnp.argpartition(_t(x), kth, axis=axis).astype(jnp.int32)


@keras_op
def unravel_index(indices, shape):
    indices = _t(indices)
    return tuple(i.astype(indices.dtype) for i in jnp.unravel_index(indices, shape))  # Keras keeps the dtype


@keras_op
def searchsorted(sorted_sequence, values, side="left"):
    return jnp.searchsorted(_t(sorted_sequence), _t(values), side=side).astype(jnp.int32)


@keras_op
def digitize(x, bins):
    return jnp.digitize(_t(x), _t(bins)).astype(jnp.int32)


# ------------------------------------------------------------------ facts about a tensor
def ndim(x):
    """Rank of `x` (a KerasTensor's too), as Keras returns it: a Python int."""
    return len(x.shape) if hasattr(x, "shape") else jnp.ndim(x)


def size(x):
    shape = x.shape if hasattr(x, "shape") else jnp.shape(x)
    if any(d is None for d in shape):
        return None
    n = 1
    for d in shape:
        n *= int(d)
    return n
