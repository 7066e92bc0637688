"""The built-in loss classes and the shape-resolved cross-entropy ('crossentropy'/'ce')."""

from __future__ import annotations

import jax.numpy as jnp

from lstmkit.losses.base import Loss, LossFunctionWrapper, _simple_loss_class, sparse_label_range
from lstmkit.losses.functions import (
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy, categorical_focal_crossentropy,
    categorical_hinge, cosine_similarity, hinge, huber, kl_divergence, log_cosh, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_error, mean_squared_logarithmic_error, poisson,
    sparse_categorical_crossentropy, squared_hinge, squeeze_or_expand_to_same_rank,
)


MeanSquaredError = _simple_loss_class("MeanSquaredError", mean_squared_error, "mean_squared_error",
                                      "Mean of squares of errors.")
MeanAbsoluteError = _simple_loss_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
                                       "Mean of absolute errors.")
MeanAbsolutePercentageError = _simple_loss_class("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                                 "mean_absolute_percentage_error", "Mean absolute percentage error.")
MeanSquaredLogarithmicError = _simple_loss_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                                 "mean_squared_logarithmic_error", "Mean squared logarithmic error.")
LogCosh = _simple_loss_class("LogCosh", log_cosh, "log_cosh", "Logarithm of the hyperbolic cosine of the error.")
Hinge = _simple_loss_class("Hinge", hinge, "hinge", "Hinge loss (labels -1/1 or 0/1).")
SquaredHinge = _simple_loss_class("SquaredHinge", squared_hinge, "squared_hinge", "Squared hinge loss.")
CategoricalHinge = _simple_loss_class("CategoricalHinge", categorical_hinge, "categorical_hinge",
                                      "Categorical hinge loss.")
KLDivergence = _simple_loss_class("KLDivergence", kl_divergence, "kl_divergence",
                                  "Kullback-Leibler divergence.")
Poisson = _simple_loss_class("Poisson", poisson, "poisson", "Poisson loss.")


class CosineSimilarity(LossFunctionWrapper):
    """Minus the cosine similarity between labels and predictions along `axis`."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "axis": self.axis}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic for |error| <= delta, linear beyond."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)
        self.delta = delta

    def get_config(self):
        return {**Loss.get_config(self), "delta": self.delta}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy (`from_logits`, `label_smoothing`, `axis`)."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Focal binary cross-entropy."""

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 axis=-1, reduction="sum_over_batch_size", name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis, "apply_class_balancing": self.apply_class_balancing, "alpha": self.alpha,
                "gamma": self.gamma}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy for one-hot labels (`from_logits`, `label_smoothing`, `axis`)."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Focal categorical cross-entropy."""

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy", dtype=None):
        super().__init__(categorical_focal_crossentropy, name=name, reduction=reduction, dtype=dtype, alpha=alpha,
                         gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis, "alpha": self.alpha, "gamma": self.gamma}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy for integer labels (`from_logits`, `ignore_class`, `axis`)."""

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "from_logits": self.from_logits, "ignore_class": self.ignore_class}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _is_binary_or_sparse(y_true_shape, y_pred_shape):
    """Keras's compile rule: binary if y_pred's last dim is 1; sparse if y_true has lower rank
    or a last dim of 1 while y_pred's is larger."""
    is_binary = y_pred_shape[-1] == 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1)
    return is_binary, is_sparse


def _crossentropy_for(y_true_shape, y_pred_shape):
    is_binary, is_sparse = _is_binary_or_sparse(y_true_shape, y_pred_shape)
    if is_binary:
        return binary_crossentropy
    if is_sparse:
        return sparse_categorical_crossentropy
    return categorical_crossentropy


class _AutoCrossentropy(LossFunctionWrapper):
    """compile(loss='crossentropy'/'ce'): binary, sparse or categorical from the data's shapes (Keras 3's rule)."""

    def __init__(self, name="crossentropy", reduction="sum_over_batch_size", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype)

    def call_with_mask(self, y_true, y_pred):
        y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
        fn = _crossentropy_for(y_true.shape, y_pred.shape)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return fn(y_true, y_pred), None

    def label_range(self, y_shape, pred_shape):
        if not pred_shape or pred_shape[-1] is None or not y_shape:
            return None
        fn = _crossentropy_for(tuple(y_shape), tuple(pred_shape))
        return sparse_label_range(fn, {}, pred_shape)

    def get_config(self):
        return Loss.get_config(self)

    @classmethod
    def from_config(cls, config):
        return cls(**config)
