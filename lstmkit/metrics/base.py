"""The `Metric` base class, its dtype helpers, the weighted-mean reductions, `Sum`, `Mean`, `MeanMetricWrapper`."""

from __future__ import annotations

import functools
import inspect

import jax.numpy as jnp
import numpy as np

from lstmkit import losses as losses_mod
from lstmkit.losses import _divide_no_nan, squeeze_or_expand_to_same_rank
from lstmkit.losses.base import sparse_label_range
from lstmkit.metrics.functions import _F32, _FUNCTIONS
from lstmkit.optimizers._naming import auto_name

NEG_INF = -1e10


_MISSING = object()


def _check_dtype(dtype):
    if dtype not in (None, "float32") and getattr(dtype, "name", None) != "float32" and dtype is not jnp.float32:
        raise NotImplementedError(f"lstmkit metrics accumulate in float32; dtype={dtype!r} is not supported.")


def _f32(x):
    return jnp.asarray(x).astype(_F32)


# --------------------------------------------------------------------------- base
class Metric:
    """Base class of all metrics: a pure accumulator plus Keras's stateful API.

    Subclasses implement `initial_state()`, `update(state, y_true, y_pred, sample_weight=None)` and
    `result(state)`; `result()` without a state returns the stateful API's current result.
    Metrics whose state depends on the data's shape implement `_build(y_true_shape, y_pred_shape)`.
    """

    def __init__(self, name=None, dtype=None):
        _check_dtype(dtype)
        self.name = name or auto_name(type(self).__name__)
        self._state = None
        self._built = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        fn = cls.__dict__.get("result")
        if fn is not None and not getattr(fn, "_stateful_wrapped", False):
            if len(inspect.signature(fn).parameters) < 2:
                raise TypeError(
                    f"{cls.__name__}.result(self) takes no state: lstmkit metrics are pure accumulators. Implement "
                    "`initial_state()`, `update(state, y_true, y_pred, sample_weight=None)` and `result(state)` "
                    "(the stateful `update_state()`/`result()`/`reset_state()` come from the base class)."
                )
            @functools.wraps(fn)
            def result(self, state=_MISSING):
                if state is _MISSING:
                    state = self._current_state()
                return fn(self, state)

            result._stateful_wrapped = True
            cls.result = result

    # ---- shapes
    def build(self, y_true_shape=None, y_pred_shape=None):
        """Size the state for data of these shapes (only some metrics need it)."""
        self._build(None if y_true_shape is None else tuple(y_true_shape),
                    None if y_pred_shape is None else tuple(y_pred_shape))
        self._built = True

    def _build(self, y_true_shape, y_pred_shape):
        pass

    # ---- pure API
    def initial_state(self):
        raise NotImplementedError(f"Metric '{type(self).__name__}' must implement `initial_state()`.")

    def update(self, state, y_true, y_pred, sample_weight=None):
        raise NotImplementedError(f"Metric '{type(self).__name__}' must implement `update(state, y_true, y_pred, sample_weight=None)`.")

    def result(self, state=_MISSING):
        raise NotImplementedError(f"Metric '{type(self).__name__}' must implement `result(state)`.")

    # ---- stateful API
    def _current_state(self):
        if self._state is None:
            self._state = self.initial_state()
        return self._state

    def _ensure_state(self, y_true=None, y_pred=None):
        if self._state is None:
            if not self._built and y_pred is not None:
                self.build(None if y_true is None else np.shape(y_true), np.shape(y_pred))
            self._state = self.initial_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._ensure_state(y_true, y_pred)
        self._state = self.update(self._state, y_true, y_pred, sample_weight=sample_weight)

    def reset_state(self):
        self._state = None

    @property
    def variables(self) -> list:
        """The arrays of the metric's current state (Keras's metric variables, e.g. total and count)."""
        import jax

        return jax.tree_util.tree_leaves(self._current_state())

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    @property
    def dtype(self):
        return "float32"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


# --------------------------------------------------------------------------- reductions
def _reduce_to_samplewise(values, sample_weight, reduce_fn, mask=None):
    """Keras's reduce_to_samplewise_values: (per-sample values, per-sample weights or None)."""
    values = _f32(values)
    if sample_weight is not None:
        sample_weight = _f32(sample_weight)
        if mask is not None:
            sample_weight = losses_mod.apply_mask(sample_weight, mask, reduction="sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.ndim
        values_ndim = values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        sample_weight = jnp.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


def _mean_update(state, values, sample_weight=None, mask=None):
    total, count = state
    values, sample_weight = _reduce_to_samplewise(values, sample_weight, jnp.mean, mask)
    total = total + jnp.sum(values)
    if sample_weight is not None:
        n = jnp.sum(sample_weight)
    elif values.ndim >= 1:
        n = values.shape[0]
    else:
        n = 1
    return total, count + jnp.asarray(n).astype(_F32)


class Sum(Metric):
    """The (weighted) sum of the values given to `update_state(values, sample_weight=None)`."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def initial_state(self):
        return jnp.zeros((), _F32)

    def update(self, state, values, sample_weight=None):
        values, _ = _reduce_to_samplewise(values, sample_weight, jnp.sum)
        return state + jnp.sum(values)

    def update_state(self, values, sample_weight=None):
        self._ensure_state()
        self._state = self.update(self._state, values, sample_weight=sample_weight)

    def result(self, state):
        return state


class Mean(Metric):
    """The (weighted) mean of the values given to `update_state(values, sample_weight=None)`."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def initial_state(self):
        return (jnp.zeros((), _F32), jnp.zeros((), _F32))

    def update(self, state, values, sample_weight=None):
        return _mean_update(state, values, sample_weight)

    def update_state(self, values, sample_weight=None):
        self._ensure_state()
        self._state = self.update(self._state, values, sample_weight=sample_weight)

    def result(self, state):
        total, count = state
        return _divide_no_nan(total, count)


class MeanMetricWrapper(Metric):
    """The mean of `fn(y_true, y_pred, **kwargs)` (per-sample values) over everything fed to it."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        if not callable(fn):
            raise ValueError(f"MeanMetricWrapper needs a callable `fn`; received {fn!r}.")
        self._fn = fn
        self._fn_kwargs = kwargs

    def _values(self, y_true, y_pred):
        with_mask = getattr(self._fn, "_with_mask", None)
        if with_mask is not None:
            return with_mask(y_true, y_pred, **self._fn_kwargs)
        return self._fn(y_true, y_pred, **self._fn_kwargs), None

    def label_range(self, y_shape, pred_shape):
        """See `Loss.label_range`: the range of integer class labels this metric's function takes, or None."""
        return sparse_label_range(self._fn, self._fn_kwargs, pred_shape)

    def initial_state(self):
        return (jnp.zeros((), _F32), jnp.zeros((), _F32))

    def update(self, state, y_true, y_pred, sample_weight=None):
        values, mask = self._values(y_true, y_pred)
        return _mean_update(state, values, sample_weight, mask)

    def result(self, state):
        total, count = state
        return _divide_no_nan(total, count)

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "fn": losses_mod._serialize_function(self._fn)}
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn")
        if isinstance(fn, (dict, str)):
            name = fn["config"] if isinstance(fn, dict) else fn
            fn = _FUNCTIONS.get(name) or losses_mod._deserialize_function(fn)
        return cls(fn, **config)
