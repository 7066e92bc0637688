"""Keras 3's loss reductions and the `Loss` / `LossFunctionWrapper` base classes."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from lstmkit.losses.functions import (
    _deserialize_function, _divide_no_nan, _serialize_function, squeeze_or_expand_to_same_rank,
)
from lstmkit.optimizers._naming import auto_name


# --------------------------------------------------------------------------- reduction
_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction):
    if reduction == "auto":
        # Keras 2's default (saved in old configs): the mean over the batch.
        return "sum_over_batch_size"
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {set(_REDUCTIONS)}. "
            f"Received: reduction={reduction}"
        )
    return reduction


def apply_mask(sample_weight, mask, reduction):
    """Merge a 0/1 mask into the sample weights as Keras does (mean-type reductions rescale by total/valid)."""
    if mask is None:
        return sample_weight
    mask = jnp.asarray(mask)
    if reduction in ("mean", "sum_over_batch_size"):
        total = jnp.asarray(np.prod(mask.shape, dtype=np.int64), jnp.int32).astype(jnp.float32)
        valid = jnp.sum(mask.astype(jnp.float32))
        mask_weight = _divide_no_nan(total, valid)
        float_mask = jnp.where(mask.astype(bool), mask_weight, 0.0)
    else:
        float_mask = mask.astype(jnp.float32)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight).astype(jnp.float32)
        float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
        return sample_weight * float_mask
    return float_mask


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    if reduction is None or reduction == "none" or tuple(values.shape) in ((), (0,)):
        return values
    loss = jnp.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = jnp.sum(sample_weight).astype(loss.dtype)
        else:
            divisor = jnp.asarray(np.prod(values.shape, dtype=np.int64), jnp.int32).astype(loss.dtype)
        loss = _divide_no_nan(loss, divisor)
    return loss


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size"):
    """Keras 3's reduction of per-sample losses with optional sample weights and mask."""
    reduction = standardize_reduction(reduction)
    values = jnp.asarray(values).astype(jnp.float32)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight).astype(jnp.float32)
    sample_weight = apply_mask(sample_weight, mask, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


# --------------------------------------------------------------------------- classes
def _check_dtype(dtype):
    if dtype not in (None, "float32") and getattr(dtype, "name", None) != "float32" and dtype is not jnp.float32:
        raise NotImplementedError(f"lstmkit losses compute in float32; dtype={dtype!r} is not supported.")


class Loss:
    """Base class: subclass and implement `call(y_true, y_pred)` returning per-sample losses."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        _check_dtype(dtype)
        self.name = name or auto_name(self.__class__.__name__)
        self.reduction = standardize_reduction(reduction)

    @property
    def dtype(self):
        return "float32"

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = jnp.asarray(y_pred).astype(jnp.float32)
        y_true = jnp.asarray(y_true).astype(jnp.float32)
        values, mask = self.call_with_mask(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight=sample_weight, mask=mask, reduction=self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"Loss '{type(self).__name__}' must implement `call(y_true, y_pred)`.")

    def call_with_mask(self, y_true, y_pred):
        """(per-sample losses, mask or None): entries where the mask is False are left out of the mean."""
        return self.call(y_true, y_pred), None

    def label_range(self, y_shape, pred_shape):
        """(num_classes, ignore_class) when this loss takes integer class labels, which must lie in
        [0, num_classes) (or equal ignore_class, which may be None), for targets of `y_shape` against an
        output of `pred_shape`; None when it takes any values. Checked on the host before compiling."""
        return None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """A `Loss` from a function `fn(y_true, y_pred, **kwargs)` returning per-sample losses."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not callable(fn):
            raise ValueError(f"LossFunctionWrapper needs a callable `fn`; received {fn!r}.")
        self.fn = fn
        self._fn_kwargs = kwargs

    def call_with_mask(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(jnp.asarray(y_true), jnp.asarray(y_pred))
        with_mask = getattr(self.fn, "_with_mask", None)
        if with_mask is not None:
            return with_mask(y_true, y_pred, **self._fn_kwargs)
        return self.fn(y_true, y_pred, **self._fn_kwargs), None

    def call(self, y_true, y_pred):
        return self.call_with_mask(y_true, y_pred)[0]

    def label_range(self, y_shape, pred_shape):
        return sparse_label_range(self.fn, self._fn_kwargs, pred_shape)

    def get_config(self):
        config = super().get_config()
        config["fn"] = _serialize_function(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn")
        if isinstance(fn, (dict, str)):
            fn = _deserialize_function(fn)
        return cls(fn, **config)

    def __repr__(self):
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


def sparse_label_range(fn, fn_kwargs, pred_shape):
    """(num_classes, ignore_class) for a function marked `_sparse_labels` (integer class labels along
    `axis` of the output), called with `fn_kwargs`, against an output of `pred_shape`; else None."""
    if not getattr(fn, "_sparse_labels", False) or fn_kwargs.get("from_sorted_ids"):
        return None
    axis = fn_kwargs.get("axis", -1)
    if not isinstance(axis, int) or not -len(pred_shape) <= axis < len(pred_shape) or pred_shape[axis] is None:
        return None
    return int(pred_shape[axis]), fn_kwargs.get("ignore_class")


def _simple_loss_class(class_name, fn, default_name, doc):
    def __init__(self, reduction="sum_over_batch_size", name=default_name, dtype=None):
        LossFunctionWrapper.__init__(self, fn, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)

    return type(class_name, (LossFunctionWrapper,), {
        "__init__": __init__, "get_config": get_config, "__doc__": doc, "__module__": __name__,
        "from_config": classmethod(lambda cls, config: cls(**config)),
    })
