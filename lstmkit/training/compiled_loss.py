"""compile()'s loss, resolved per model output, and Keras 3's loss reduction over a batch's real rows
(padding rows of a last partial batch, or of data padded to a size bucket, have weight 0)."""

from __future__ import annotations

import jax.numpy as jnp


class CompiledLoss:
    """compile()'s `loss` and `loss_weights`, resolved per model output."""

    def __init__(self, model, loss, loss_weights):
        from lstmkit import losses as losses_mod

        names = model.output_names
        n = len(names)
        if isinstance(loss, dict):
            unknown = [k for k in loss if k not in names]
            if unknown:
                raise ValueError(f"compile(loss=...) has keys {unknown} that are not outputs of the model; outputs are {names}.")
            per_output = [loss.get(k) for k in names]
        elif isinstance(loss, (list, tuple)):
            if len(loss) != n:
                raise ValueError(f"compile(loss=...) got {len(loss)} losses for a model with {n} outputs ({names}).")
            per_output = list(loss)
        else:
            per_output = [loss] * n
        self.losses = [None if l is None else losses_mod.get(l) for l in per_output]
        if all(l is None for l in self.losses):
            raise ValueError("compile() needs a `loss`, e.g. compile(optimizer='adam', loss='mse').")
        if loss_weights is None:
            weights = [1.0] * n
        elif isinstance(loss_weights, dict):
            weights = [float(loss_weights.get(k, 1.0)) for k in names]
        else:
            loss_weights = list(loss_weights) if isinstance(loss_weights, (list, tuple)) else [loss_weights]
            if len(loss_weights) != n:
                raise ValueError(f"compile(loss_weights=...) got {len(loss_weights)} weights for a model with {n} outputs.")
            weights = [float(w) for w in loss_weights]
        self.weights = weights
        self.names = names

    def __call__(self, ys, preds, masks, sample_weight, valid):
        """Total weighted loss and the per-output losses, Keras's reductions, padding excluded."""
        total = 0.0
        per_output = []
        for loss, w, y, p, m in zip(self.losses, self.weights, ys, preds, masks):
            if loss is None:
                per_output.append(jnp.zeros(()))
                continue
            if _computes_itself(loss):
                # A user's Loss with its own __call__: it reduces, given the batch's weights (padding has 0).
                value = jnp.asarray(loss(y, p, sample_weight=sample_weight * valid), jnp.float32).reshape(())
                per_output.append(value)
                total = total + w * value
                continue
            if hasattr(loss, "call_with_mask"):
                # e.g. sparse crossentropy's ignore_class: left out of the mean like masked steps
                values, loss_mask = loss.call_with_mask(y, p)
            else:
                values, loss_mask = loss.call(y, p), None
            if loss_mask is not None:
                m = loss_mask if m is None else jnp.logical_and(_match_rank(m, loss_mask), loss_mask)
            value = reduce_loss(values, sample_weight, valid, m, getattr(loss, "reduction", "sum_over_batch_size"))
            per_output.append(value)
            total = total + w * value
        return total, per_output


def _computes_itself(loss) -> bool:
    """A `Loss` subclass that overrides `__call__` but not `call` (Keras runs `__call__` as it is)."""
    from lstmkit.losses.base import Loss

    cls = type(loss)
    return isinstance(loss, Loss) and cls.__call__ is not Loss.__call__ and cls.call is Loss.call


def warn_if_loss_sees_padding(compiled_loss, n, bs):
    """A loss with its own `__call__` gets the padding rows of a last partial batch, with weight 0."""
    if n % bs and any(l is not None and _computes_itself(l) for l in compiled_loss.losses):
        import warnings

        names = [type(l).__name__ for l in compiled_loss.losses if l is not None and _computes_itself(l)]
        warnings.warn(f"Loss {names[0]} defines __call__ itself: the last batch ({n % bs} samples) is padded to "
                      f"{bs} rows, which it receives with sample_weight 0. Use the sample_weight argument (or "
                      "implement `call(y_true, y_pred)` instead), or a batch size that divides the data, so the "
                      "padding does not count.", stacklevel=3)


def _match_rank(mask, like):
    """A model mask (batch, time) reshaped to broadcast against per-element loss values."""
    mask = mask.astype(bool)
    while mask.ndim > like.ndim:
        mask = mask[..., 0]
    while mask.ndim < like.ndim:
        mask = mask[..., None]
    return mask


def _expand_to(w, values):
    while w.ndim < values.ndim:
        w = w[..., None]
    return w


def reduce_loss(values, sample_weight, valid, mask, reduction):
    """Keras 3's loss reduction over the real (unpadded) rows of a batch."""
    values = jnp.asarray(values, jnp.float32)
    if values.ndim == 0:
        return values
    pad = _expand_to(valid, values) * jnp.ones_like(values)
    weight = _expand_to(sample_weight, values) * jnp.ones_like(values)
    n_real = jnp.sum(pad)
    if mask is not None:
        m = mask.astype(jnp.float32)
        while m.ndim > values.ndim:
            m = m[..., 0] if m.shape[-1] == 1 else m.reshape(m.shape[: values.ndim])
        m = _expand_to(m, values) * jnp.ones_like(values)
        if reduction in ("sum_over_batch_size", "mean"):
            n_valid = jnp.sum(m * pad)
            m = jnp.where(m > 0, jnp.where(n_valid > 0, n_real / jnp.maximum(n_valid, 1e-12), 0.0), 0.0)
        weight = weight * m
    weighted = values * weight * pad
    total = jnp.sum(weighted)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight":
        return total / jnp.maximum(jnp.sum(weight * pad), 1e-12)
    # 'sum_over_batch_size', 'mean', and 'none' (which Keras averages when training)
    return total / jnp.maximum(n_real, 1.0)
