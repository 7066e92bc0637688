"""Integer values that must lie in a range (embedding indices, class labels), checked before they are used.

JAX clamps (or fills with NaN) an index outside an array instead of failing, so an
Embedding index >= input_dim or a class label >= the number of classes gives a
wrong number with no error. These helpers find the first such value and name it.
They import nothing of lstmkit, so layers, losses, metrics, utils and training
all use them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


class ValueRangeError(ValueError, IndexError):
    """An index or class label outside its valid range. A ValueError (a bad argument value, the project's
    rule); also an IndexError, which NumPy (and so Keras's `to_categorical`) raises for the same mistake."""


def is_concrete(a) -> bool:
    """True for values the host can read now (NumPy arrays, eager jax arrays), False inside a trace."""
    return not isinstance(a, jax.core.Tracer)


def _as_index_values(a):
    """The integers a float array becomes when cast to int32 (truncation toward zero), as the layers cast."""
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return np.trunc(a)
    return a


def first_outside(values, low, high, skip=None):
    """(position tuple, value) of the first entry of `values` outside [low, high), or None.

    `values`: a NumPy array (floats count as their truncation); entries equal to `skip` are allowed.
    Only the min and max are computed unless something is out of range.
    """
    a = _as_index_values(values)
    if a.size == 0 or a.dtype.kind not in "iufb":
        return None
    lo, hi = a.min(), a.max()
    if lo >= low and hi < high:
        return None
    bad = (a < low) | (a >= high)
    if skip is not None:
        bad &= np.asarray(values) != skip
    if not bad.any():
        return None
    pos = tuple(int(i) for i in np.argwhere(bad)[0])
    value = np.asarray(values)[pos]
    return pos, (int(value) if float(value).is_integer() else float(value))


def first_outside_device(values, low, high, skip=None):
    """`first_outside` for an eager jax array: a cheap min/max on the device, the array fetched only when
    something is out of range; None inside a trace (the host cannot see the values there)."""
    if not is_concrete(values):
        return None
    if isinstance(values, np.ndarray) or not hasattr(values, "dtype"):
        return first_outside(np.asarray(values), low, high, skip)
    if values.size == 0:
        return None
    v = jnp.trunc(values) if jnp.issubdtype(values.dtype, jnp.floating) else values
    if skip is None:
        if bool(jnp.min(v) >= low) and bool(jnp.max(v) < high):
            return None
    elif not bool(jnp.any(((v < low) | (v >= high)) & (values != skip))):
        return None
    return first_outside(np.asarray(values), low, high, skip)


def describe_range(low, high) -> str:
    return f"[{low}, {high})" if high > low else f"[{low}, {high}) (an empty range)"
