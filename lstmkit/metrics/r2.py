"""The `R2Score` metric (coefficient of determination)."""

from __future__ import annotations

import jax.numpy as jnp

from lstmkit.losses import squeeze_or_expand_to_same_rank
from lstmkit.metrics.base import Metric, _f32
from lstmkit.metrics.functions import _F32


class R2Score(Metric):
    """Coefficient of determination, per output then aggregated (`class_aggregation`)."""

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(
                f"Invalid value for argument `class_aggregation`. Expected one of {valid}. "
                f"Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(f"Invalid value for argument `num_regressors`. Expected a value >= 0. Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self._num_classes = None

    def _build(self, y_true_shape, y_pred_shape):
        if y_pred_shape is None:
            return
        if len(y_pred_shape) != 2 or (y_true_shape is not None and len(y_true_shape) != 2):
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input shapes: "
                f"y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        if y_pred_shape[-1] is None:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim), with output_dim defined.")
        self._num_classes = int(y_pred_shape[-1])

    def initial_state(self):
        if self._num_classes is None:
            raise ValueError("R2Score needs the output dimension: let compile() / update_state() size it from the data.")
        z = jnp.zeros((self._num_classes,), _F32)
        return {"num_samples": jnp.zeros((), _F32), "squared_sum": z, "sum": z, "total_mse": z, "count": z}

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_true, y_pred = squeeze_or_expand_to_same_rank(_f32(y_true), _f32(y_pred))
        sw = _f32(1.0 if sample_weight is None else sample_weight)
        if sw.ndim == 1:
            sw = jnp.expand_dims(sw, 1)
        sw = jnp.broadcast_to(sw, y_true.shape)
        weighted = y_true * sw
        return {
            "sum": state["sum"] + jnp.sum(weighted, axis=0),
            "squared_sum": state["squared_sum"] + jnp.sum(y_true * weighted, axis=0),
            "total_mse": state["total_mse"] + jnp.sum((y_true - y_pred) ** 2 * sw, axis=0),
            "count": state["count"] + jnp.sum(sw, axis=0),
            "num_samples": state["num_samples"] + jnp.asarray(y_true.size, _F32),
        }

    def result(self, state):
        mean = state["sum"] / state["count"]
        total = state["squared_sum"] - state["sum"] * mean
        raw = 1 - (state["total_mse"] / total)
        raw = jnp.where(jnp.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            r2 = jnp.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            r2 = jnp.sum(total * raw) / jnp.sum(total)
        else:
            r2 = raw
        if self.num_regressors != 0:
            n = state["num_samples"]
            p = jnp.asarray(self.num_regressors, _F32)
            adjusted = 1.0 - ((1.0 - r2) * (n - 1.0)) / ((n - p) - 1.0)
            # Keras falls back to the plain score when num_regressors >= num_samples - 1.
            r2 = jnp.where(p < n - 1, adjusted, r2)
        return r2

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
