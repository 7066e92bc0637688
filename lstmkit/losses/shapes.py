"""Whether a loss takes targets of one shape against outputs of another, decided as Keras 3 decides it.

Keras 3 has no separate shape check: a target is accepted exactly when the loss
computes on it. Each loss first drops (or, for rank 1, adds) a trailing axis of
size 1 so the ranks match (`squeeze_or_expand_to_same_rank`), then either
broadcasts (mse, mae, huber, ...) or insists on equal shapes (the cross-entropies).
So `check_target` runs the loss itself on shapes only (`jax.eval_shape`, nothing is
computed or compiled): an error there is Keras's error, and a success is a
shape Keras trains on, with the same numbers, since the losses are Keras's.

Broadcasting that almost never is what the user meant (a (32, 3) target against
a (None, 1) output averaged over a (32, 3) grid; a (None, 5, 1) output whose time
axis a categorical loss takes as its classes) still trains, as in Keras, and gets a
warning text here.
"""

from __future__ import annotations

import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.losses.base import Loss, LossFunctionWrapper
from lstmkit.losses.classes import _AutoCrossentropy, _crossentropy_for
from lstmkit.losses.functions import (
    _FUNCTIONS, categorical_crossentropy, categorical_focal_crossentropy, categorical_hinge, cosine_similarity,
    kl_divergence, sparse_categorical_crossentropy, squeeze_or_expand_to_same_rank,
)

# Losses whose last axis is the classes (or the vector): dropping the output's trailing 1 moves it.
_CLASS_AXIS = (categorical_crossentropy, categorical_focal_crossentropy, sparse_categorical_crossentropy,
               categorical_hinge, kl_divergence, cosine_similarity)
_BUILTIN = tuple(_FUNCTIONS.values())


def probe_batch(n, dims):
    """The batch size to check with: the data's own, unless it equals another axis (or is 1), where
    broadcasting would succeed by coincidence and fail for other batch sizes."""
    if n > 1 and n not in dims:
        return n
    b = 2
    while b in dims:
        b += 1
    return b


def _computes_itself(loss):
    cls = type(loss)
    return isinstance(loss, Loss) and cls.__call__ is not Loss.__call__ and cls.call is Loss.call


def _values(loss):
    """What the training step evaluates for this loss (see `compiled_loss.CompiledLoss`), as a function of (y, pred)."""
    if _computes_itself(loss):
        return lambda t, p: loss(t, p, sample_weight=jnp.ones((t.shape[0],), jnp.float32))
    if hasattr(loss, "call_with_mask"):
        return lambda t, p: loss.call_with_mask(t, p)[0]
    return loss.call


def _builtin_fn(loss, y_shape, pred_shape):
    """The Keras loss function behind `loss`, or None for the user's own losses."""
    if isinstance(loss, _AutoCrossentropy):
        return _crossentropy_for(y_shape, pred_shape)
    fn = getattr(loss, "fn", None) if isinstance(loss, LossFunctionWrapper) else None
    return fn if any(fn is f for f in _BUILTIN) else None


_CACHE = weakref.WeakKeyDictionary()  # loss -> {(y shape, dtype, output shape): result}; train_on_batch loops


def check_target(loss, y_shape, y_dtype, pred_shape):
    """(error, warning) for targets of `y_shape` (with samples) against an output of `pred_shape`
    (batch None) under `loss`: each None or a sentence. The error is Keras's own, from the loss."""
    key = (tuple(y_shape), np.dtype(y_dtype).name, tuple(pred_shape))
    try:
        seen = _CACHE.setdefault(loss, {})
    except TypeError:  # not weakly referenceable
        seen = {}
    if key not in seen:
        if len(seen) > 64:
            seen.clear()
        seen[key] = _check_target(loss, *key)
    return seen[key]


def _check_target(loss, y_shape, y_dtype, pred_shape):
    n = y_shape[0]
    dims = set(y_shape[1:]) | {d for d in pred_shape[1:] if d is not None}
    b = probe_batch(n, dims)
    # An output axis of unknown length (variable-length sequences) takes the target's, or 1: both broadcast.
    p_tail = tuple(d if d is not None else (y_shape[j + 1] if j + 1 < len(y_shape) else 1)
                   for j, d in enumerate(pred_shape[1:]))
    t = jax.ShapeDtypeStruct((b,) + y_shape[1:], y_dtype)
    p = jax.ShapeDtypeStruct((b,) + p_tail, jnp.float32)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. categorical_crossentropy's one-class warning, given when training
            jax.eval_shape(_values(loss), t, p)
    except jax.errors.JAXTypeError:
        return None, None  # the loss is not traceable as written: the training step reports it
    except (ValueError, TypeError) as exc:
        reason = str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else type(exc).__name__
        if b != n:
            reason = f"{reason} (checked with batches of {b} samples)"
        return reason + _hint(loss, y_shape, pred_shape), None
    return None, _warning(loss, t, p, n)


def _hint(loss, y_shape, pred_shape):
    fn = _builtin_fn(loss, y_shape, pred_shape)
    sparse_like = len(y_shape) < len(pred_shape) or (y_shape[-1:] == (1,) and (pred_shape[-1] or 0) > 1)
    if fn is categorical_crossentropy and sparse_like:
        return ". For integer class labels use loss='sparse_categorical_crossentropy'."
    if fn is sparse_categorical_crossentropy and len(y_shape) == len(pred_shape) and y_shape[-1] == pred_shape[-1]:
        return ". For one-hot labels use loss='categorical_crossentropy'."
    return "."


def _warning(loss, t, p, n):
    fn = _builtin_fn(loss, t.shape, p.shape)
    if fn is None:
        return None  # the user's own loss: its broadcasting may be meant
    ts, ps = jax.eval_shape(lambda a, b: squeeze_or_expand_to_same_rank(*squeeze_or_expand_to_same_rank(a, b)), t, p)
    ts, ps = tuple(ts.shape), tuple(ps.shape)
    name = getattr(loss, "name", None) or fn.__name__
    if any(fn is f for f in _CLASS_AXIS) and ps != tuple(p.shape):
        return (f"loss '{name}' drops the output's last axis of size 1 (as Keras does) and takes its axis of "
                f"size {ps[-1]} as the classes")
    if fn is not sparse_categorical_crossentropy and ts != ps:
        try:
            grid = np.broadcast_shapes((n,) + ts[1:], (n,) + ps[1:])
        except ValueError:
            grid = np.broadcast_shapes(ts, ps)
        return f"loss '{name}' broadcasts them to shape {tuple(int(d) for d in grid)} and averages over it (as Keras does)"
    return None
