"""Keras 3's metric functions (accuracies, cosine similarity) and their table by name."""

from __future__ import annotations

import jax.numpy as jnp

from lstmkit.losses import _l2_normalize, _pred, squeeze_or_expand_to_same_rank
from lstmkit.losses.functions import check_labels_eager

_F32 = jnp.float32


# --------------------------------------------------------------------------- metric functions
def accuracy(y_true, y_pred):
    """1.0 where `y_true == y_pred` exactly."""
    y_pred = _pred(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).astype(_F32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where `(y_pred > threshold) == y_true`."""
    y_pred = _pred(y_pred)
    y_true = jnp.asarray(y_true)
    threshold = jnp.asarray(threshold, _F32) if isinstance(threshold, float) else jnp.asarray(threshold)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = (y_pred > threshold).astype(y_true.dtype)
    return (y_true == y_pred).astype(_F32)


def categorical_accuracy(y_true, y_pred):
    """1.0 where `argmax(y_true) == argmax(y_pred)` (one-hot labels)."""
    y_true = jnp.argmax(jnp.asarray(y_true), axis=-1)
    y_pred = _pred(y_pred)
    y_true = y_true.astype(y_pred.dtype)
    org_shape = y_true.shape
    reshape = False
    if y_true.ndim == y_pred.ndim:
        y_true = jnp.squeeze(y_true, -1)
        reshape = True
    y_pred = jnp.argmax(y_pred, axis=-1)
    if y_pred.dtype != y_true.dtype:
        y_pred = y_pred.astype(y_true.dtype)
    matches = (y_true == y_pred).astype(_F32)
    if reshape:
        matches = jnp.reshape(matches, org_shape)
    return matches


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label `y_true` equals `argmax(y_pred)`."""
    y_pred = _pred(y_pred)
    if y_pred.ndim:
        check_labels_eager(y_true, y_pred.shape[-1], None, "sparse_categorical_accuracy")
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    org_shape = y_true.shape
    reshape = False
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)
        reshape = True
    y_pred = jnp.argmax(y_pred, axis=-1)
    if y_pred.dtype != y_true.dtype:
        y_pred = y_pred.astype(y_true.dtype)
    matches = (y_true == y_pred).astype(_F32)
    if reshape:
        matches = jnp.reshape(matches, org_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = jnp.squeeze(matches, -1)
    return matches


def _in_top_k(targets, predictions, k):
    at_label = jnp.take_along_axis(predictions, jnp.expand_dims(targets, -1), axis=-1)
    at_label = jnp.where(jnp.isnan(at_label), -jnp.inf, at_label)
    rank = 1 + jnp.sum(predictions > at_label, axis=-1)
    return rank <= k


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the `k` largest predictions."""
    y_pred = _pred(y_pred)
    y_true = jnp.argmax(jnp.asarray(y_true).astype(y_pred.dtype), axis=-1)
    org_shape = y_true.shape
    reshape = False
    if y_pred.ndim > 2:
        y_pred = jnp.reshape(y_pred, (-1, y_pred.shape[-1]))
    if y_true.ndim > 1:
        reshape = True
        y_true = jnp.reshape(y_true, (-1,))
    matches = _in_top_k(y_true.astype(jnp.int32), y_pred, k).astype(_F32)
    if reshape:
        matches = jnp.reshape(matches, org_shape)
    return matches


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the `k` largest predictions."""
    y_pred = _pred(y_pred)
    if y_pred.ndim and not from_sorted_ids:
        check_labels_eager(y_true, y_pred.shape[-1], None, "sparse_top_k_categorical_accuracy")
    y_true = jnp.asarray(y_true).astype(y_pred.dtype if from_sorted_ids else jnp.int32)
    org_shape = y_true.shape
    reshape = False
    if y_pred.ndim > 2:
        y_pred = jnp.reshape(y_pred, (-1, y_pred.shape[-1]))
    if y_true.ndim > 1:
        reshape = True
        y_true = jnp.reshape(y_true, (-1,))
    if from_sorted_ids:
        matches = jnp.any(jnp.expand_dims(y_true, 1) == y_pred[:, :k], axis=1)
    else:
        matches = _in_top_k(y_true, y_pred, k)
    matches = matches.astype(_F32)
    if reshape:
        matches = jnp.reshape(matches, org_shape)
    return matches


def _cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine similarity (positive, unlike the loss)."""
    y_pred = _pred(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return jnp.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)



sparse_categorical_accuracy._sparse_labels = True  # see losses.base.sparse_label_range
sparse_top_k_categorical_accuracy._sparse_labels = True


# Metric functions by name (for MeanMetricWrapper configs and Keras-function identifiers).
_FUNCTIONS = {f.__name__: f for f in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
)}
_FUNCTIONS["cosine_similarity"] = _cosine_similarity
