"""The pinball (quantile) loss: one output per quantile, trained so that a share q of the targets
falls below output q. Keras has none; this one follows lstmkit's `Loss` conventions (reduction,
get_config / from_config, loadable by name from a saved model).

For quantile q and error e = y_true - y_pred the loss is ``max(q * e, (q - 1) * e)``: under-forecasts
cost q per unit, over-forecasts 1 - q, so the minimiser is the q-quantile of the target's distribution.
"""

from __future__ import annotations

import numbers

import jax.numpy as jnp

from lstmkit.losses.base import Loss

__all__ = ["Pinball", "pinball_loss", "check_quantiles"]


def check_quantiles(quantiles, name="quantiles") -> tuple:
    """`quantiles` as a tuple of floats, each in (0, 1), distinct; a ValueError naming `name` otherwise.
    The order is kept (a loss's outputs follow it)."""
    if isinstance(quantiles, (str, bytes)) or not hasattr(quantiles, "__iter__"):
        raise ValueError(f"`{name}` must be a sequence of numbers in (0, 1); received {quantiles!r}.")
    values = list(quantiles)
    if not values:
        raise ValueError(f"`{name}` must hold at least one quantile; received {quantiles!r}.")
    out = []
    for q in values:
        if isinstance(q, bool) or not isinstance(q, numbers.Real) or not 0 < float(q) < 1:
            raise ValueError(f"`{name}` must be numbers strictly between 0 and 1; received {q!r} in {quantiles!r}.")
        out.append(float(q))
    if len(set(out)) != len(out):
        twice = next(q for q in out if out.count(q) > 1)
        raise ValueError(f"`{name}` must be distinct; {twice:g} appears twice in {quantiles!r}.")
    return tuple(out)


def _align(y_true, y_pred, n):
    """y_true broadcast against y_pred (..., n): a (...,) target gains the quantile axis; a (..., 1) one keeps it."""
    if y_pred.ndim == 0 or y_pred.shape[-1] != n:
        raise ValueError(f"pinball loss: y_pred must end in an axis of {n} quantile(s); received shape "
                         f"{tuple(y_pred.shape)}.")
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    elif y_true.ndim != y_pred.ndim or y_true.shape[-1] != 1:
        raise ValueError(f"pinball loss: y_true must have shape {tuple(y_pred.shape[:-1])} or "
                         f"{tuple(y_pred.shape[:-1]) + (1,)} against y_pred {tuple(y_pred.shape)}; received "
                         f"{tuple(y_true.shape)}.")
    return y_true


def pinball_loss(y_true, y_pred, quantiles=(0.1, 0.5, 0.9)):
    """Pinball losses averaged over the quantile axis: y_pred (..., Q) holds one output per quantile,
    y_true (...,) or (..., 1); returns shape (...,) (as Keras's loss functions return one value per
    sample, here one per target element). `Pinball` reduces these to their mean."""
    qs = check_quantiles(quantiles)
    y_pred = jnp.asarray(y_pred)
    y_true = _align(jnp.asarray(y_true).astype(y_pred.dtype), y_pred, len(qs))
    q = jnp.asarray(qs, dtype=y_pred.dtype)
    error = y_true - y_pred
    return jnp.mean(jnp.maximum(q * error, (q - 1.0) * error), axis=-1)


class Pinball(Loss):
    """Quantile (pinball) loss for a model with one output per quantile on its last axis.

    Args:
        quantiles: the quantile of each output, in order, each in (0, 1), distinct.
        reduction: as Keras's losses ('sum_over_batch_size': the mean over quantiles and elements).
        name: the loss's name.

    ``model.compile(loss=Pinball((0.1, 0.5, 0.9)))`` for an output (batch, ..., 3) and targets
    (batch, ...) or (batch, ..., 1).
    """

    def __init__(self, quantiles=(0.1, 0.5, 0.9), reduction="sum_over_batch_size", name="pinball", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.quantiles = check_quantiles(quantiles)

    def __call__(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            # One weight per sample (or per leading axes) applies to all of its elements, as in training
            # (the engine expands weights to the losses' rank).
            w = jnp.asarray(sample_weight, jnp.float32)
            rank = jnp.ndim(y_pred) - 1
            sample_weight = w.reshape(w.shape + (1,) * max(rank - w.ndim, 0))
        return super().__call__(y_true, y_pred, sample_weight)

    def call(self, y_true, y_pred):
        return pinball_loss(y_true, y_pred, self.quantiles)

    def get_config(self):
        return {**super().get_config(), "quantiles": list(self.quantiles)}

    def __repr__(self):
        return f"<Pinball name={self.name} quantiles={list(self.quantiles)}>"
