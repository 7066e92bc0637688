"""Rescaling and Normalization, the preprocessing layers time-series models use (Keras 3's arguments, configs,
weights and numbers).

Normalization keeps Keras's non-trainable weights `mean`, `variance` and `count` (in that order, `count` an
int32 scalar Keras keeps for older files), so a `.keras` file written by Keras 3 loads and predicts the same.
Its `call` reads the weights themselves, so `set_weights` or loading takes effect at once; `layer.mean` and
`layer.variance` are Keras's broadcast views of them.
"""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.backend import config as backend_config
from lstmkit.layers.base import Layer


# ------------------------------------------------------------------------------------------------- Rescaling
def _serialize_value(value):
    """A number, list or array as Keras's `serialize_keras_object` writes it in a config."""
    if isinstance(value, jax.Array):
        return {"class_name": "__tensor__", "config": {"value": np.asarray(value).tolist(),
                                                         "dtype": str(np.asarray(value).dtype)}}
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_serialize_value(v) for v in value]
    return value


def _deserialize_value(value):
    if isinstance(value, dict) and value.get("class_name") in ("__numpy__", "__tensor__"):
        inner = value.get("config") or {}
        return np.array(inner.get("value"), dtype=inner.get("dtype"))
    return value


def _check_numbers(value, argname):
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise TypeError(f"Rescaling: `{argname}` must be a number or an array of numbers; received "
                        f"{argname}={value!r}.") from None
    return array


class Rescaling(Layer):
    """`inputs * scale + offset`, in training and inference alike (`scale=1/255` maps [0, 255] to [0, 1]).

    `scale` and `offset` are numbers or arrays broadcast against the inputs' last axes (under channels_first,
    a vector `scale` applies to the channels axis). Integer inputs come out as float32.
    """

    supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        _check_numbers(scale, "scale")
        _check_numbers(offset, "offset")
        self.scale = scale
        self.offset = offset

    def call(self, params, inputs, ctx):
        scale = jnp.asarray(_check_numbers(self.scale, "scale"))
        offset = jnp.asarray(_check_numbers(self.offset, "offset"))
        if scale.ndim > 0 and backend_config.image_data_format() == "channels_first":
            scale = jnp.reshape(scale, scale.shape + (1,) * (3 - scale.ndim))
        return inputs.astype(jnp.float32) * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": _serialize_value(self.scale),
                "offset": _serialize_value(self.offset)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("scale", "offset"):
            if key in config:
                config[key] = _deserialize_value(config[key])
        return cls(**config)


# --------------------------------------------------------------------------------------------- Normalization
def _batch_inputs(batch):
    """The inputs of one batch: (x, y) and (x, y, sample_weight) batches give x."""
    return batch[0] if isinstance(batch, tuple) else batch


class Normalization(Layer):
    """`(x - mean) / sqrt(variance)` with a mean and variance per index of `axis` (`invert=True`: the inverse).

    `axis` (an int, a tuple, or None for one scalar mean and variance) names the axes that keep their own
    statistics; the others are reduced. Give `mean` and `variance` (broadcast to the kept axes), or learn them
    with `adapt(data)` from a NumPy or JAX array, or an iterable of batches (a list, a generator, a
    `Sequence` / `PyDataset`; (x, y) batches use x).
    """

    supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axis = (int(axis),)
        else:
            try:
                axis = tuple(axis)
            except TypeError:
                raise TypeError(f"Normalization: `axis` must be an int, a tuple of ints or None; received "
                                f"axis={axis!r}.") from None
            if any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in axis):
                raise TypeError(f"Normalization: `axis` must be an int, a tuple of ints or None; received "
                                f"axis={axis!r}.")
            axis = tuple(int(a) for a in axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self._build_input_shape = None
        if (mean is not None) != (variance is not None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be set. Received: "
                             f"mean={mean} and variance={variance}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError("When setting values directly, `mean` and `variance` must have the same shape. "
                                 f"Received: mean shape {np.shape(mean)} and variance shape {np.shape(variance)}")
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError("The rank of `mean` must be less than or equal to the number of axes "
                                 f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis {self.axis}")

    # ------------------------------------------------------------------ building
    def build(self, input_shape):
        if input_shape is None:
            return
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError("All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                             f"ndim={ndim}, while axis={self.axis}")
        self._build_input_shape = input_shape
        self._build_shape = input_shape  # Keras's build_config records this shape
        # Kept axes as non-negative and sorted (no transposing needed).
        self._keep_axis = tuple(sorted(a if a >= 0 else a + ndim for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(f"All `axis` values to be kept must have a known shape. Received axis={self.axis}, "
                                 f"inputs.shape={input_shape}, with unknown axis at index {d}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1 for d in range(ndim))
        self._mean_and_var_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._mean_and_var_shape, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=self._mean_and_var_shape,
                                                  initializer="ones", trainable=False)
            # Keras keeps this for older files; adapt leaves it at 0.
            self.count = self.add_weight(name="count", shape=(), dtype="int32", initializer="zeros",
                                         trainable=False)
        else:
            self._fixed_mean = self._broadcast_given(self.input_mean, "mean")
            self._fixed_variance = self._broadcast_given(self.input_variance, "variance")
        self.built = True

    def _broadcast_given(self, value, argname):
        """A given mean / variance, its axes matched to the kept axes from the right, broadcast to the input's rank."""
        value = np.asarray(value, dtype=np.float32)
        expanded = [1] * len(self._broadcast_shape)
        for i in range(1, value.ndim + 1):
            expanded[self._keep_axis[-i]] = value.shape[-i]
        try:
            return np.broadcast_to(value.reshape(expanded), self._broadcast_shape)
        except ValueError:
            raise ValueError(f"Normalization layer '{self.name}': `{argname}` of shape {value.shape} does not broadcast "
                             f"to the kept axes {self._keep_axis} of inputs of shape {self._build_input_shape} "
                             f"(expected a shape ending like {self._mean_and_var_shape}).") from None

    # ------------------------------------------------------------------ Keras's views of the statistics
    @property
    def mean(self):
        """The mean in the inputs' broadcast shape (None before the layer is built)."""
        return self._statistic("_fixed_mean", "adapt_mean")

    @property
    def variance(self):
        """The variance in the inputs' broadcast shape (None before the layer is built)."""
        return self._statistic("_fixed_variance", "adapt_variance")

    def _statistic(self, fixed, weight):
        if fixed in self.__dict__:
            return jnp.asarray(self.__dict__[fixed])
        var = self.__dict__.get(weight)
        return None if var is None else jnp.reshape(jnp.asarray(var.value, jnp.float32), self._broadcast_shape)

    def finalize_state(self):
        """Keras's hook after the statistics change; `mean` and `variance` here always read the weights, so there
        is nothing left to update."""

    # ------------------------------------------------------------------ adapt
    def adapt(self, data):
        """Compute the mean and variance of `data` over the reduced axes and store them in the weights.

        `data`: a NumPy or JAX array (the whole data set), or an iterable of batches — a list, a generator, an
        iterator, a `Sequence` / `PyDataset` — each an array or an (x, y[, sample_weight]) tuple. Batches are
        combined as Keras does (running mean and the lack-of-fit sum of squares).
        """
        from lstmkit.utils.py_dataset import Sequence

        if isinstance(data, (np.ndarray, jax.Array)):
            input_shape = tuple(data.shape)
            batches = None
        else:
            if isinstance(data, Sequence):
                sequence = data
                data = (sequence[i] for i in range(len(sequence)))
            elif not hasattr(data, "__iter__") or isinstance(data, (str, bytes, dict)):
                raise TypeError(f"Unsupported data type: {type(data)}. `adapt` supports `np.ndarray`, JAX arrays, "
                                "`Sequence` / `PyDataset`, and iterables of batches (e.g. list, generator).")
            iterator = iter(data)
            first = next(iterator, None)
            if first is None:
                raise ValueError("adapt() received an empty iterable (no batches). Expected at least one batch. "
                                 "Pass a non-empty iterable of arrays or tensors, e.g. layer.adapt([x]) or "
                                 "layer.adapt(list_of_batches).")
            first = _batch_inputs(first)
            shape = getattr(first, "shape", None)
            if shape is None:
                raise TypeError("adapt() expects an iterable that yields arrays or tensors with a `.shape` attribute "
                                "(e.g. numpy arrays or backend tensors). Got an element of type "
                                f"{type(first).__name__}. Ensure each yielded element is array-like with a `.shape` "
                                "attribute.")
            input_shape = tuple(shape)
            batches = itertools.chain([first], iterator)
        if self.built and self.input_mean is not None:
            raise ValueError(f"Normalization layer '{self.name}' was given `mean` and `variance`; it has no "
                             "statistics for adapt() to learn. Create it without them to adapt it.")
        if not self.built:
            self._maybe_build(input_shape)
            if self.input_mean is not None:
                raise ValueError(f"Normalization layer '{self.name}' was given `mean` and `variance`; it has no "
                                 "statistics for adapt() to learn. Create it without them to adapt it.")
        else:
            for d in self._keep_axis:
                if d >= len(input_shape) or input_shape[d] != self._build_input_shape[d]:
                    raise ValueError(f"The layer was built with input_shape={self._build_input_shape}, but adapt() is "
                                     f"being called with data with an incompatible shape, data.shape={input_shape}")
        if batches is None:
            # The whole array at once: NumPy's numbers for NumPy data (float64 inside), float32 for JAX arrays.
            xp = np if isinstance(data, np.ndarray) else jnp
            total_mean = xp.mean(data, axis=self._reduce_axis)
            total_var = xp.var(data, axis=self._reduce_axis)
        else:
            total_mean, total_var = self._combine_batches(batches)
        self.adapt_mean.assign(np.asarray(total_mean, np.float32))
        self.adapt_variance.assign(np.asarray(total_var, np.float32))

    def _combine_batches(self, batches):
        total_mean = jnp.zeros(self._mean_and_var_shape, jnp.float32)
        total_var = jnp.zeros(self._mean_and_var_shape, jnp.float32)
        total_count = 0
        for batch in batches:
            batch = jnp.asarray(_batch_inputs(batch), jnp.float32)
            for d in self._keep_axis:
                if d >= batch.ndim or batch.shape[d] != self._build_input_shape[d]:
                    raise ValueError(f"adapt() yielded a batch with incompatible shape. Expected "
                                     f"{self._build_input_shape}, got {tuple(batch.shape)}.")
            batch_mean = jnp.mean(batch, axis=self._reduce_axis)
            batch_var = jnp.var(batch, axis=self._reduce_axis)
            batch_count = math.prod(batch.shape[d] for d in self._reduce_axis) if self._reduce_axis else 1
            total_count += batch_count
            batch_weight = float(batch_count) / total_count
            existing_weight = 1.0 - batch_weight
            new_mean = total_mean * existing_weight + batch_mean * batch_weight
            # The lack-of-fit sum of squares: each part's variance plus its mean's distance to the new mean.
            total_var = ((total_var + (total_mean - new_mean) ** 2) * existing_weight
                         + (batch_var + (batch_mean - new_mean) ** 2) * batch_weight)
            total_mean = new_mean
        return total_mean, total_var

    # ------------------------------------------------------------------ calling
    def call(self, params, inputs, ctx):
        x = inputs.astype(jnp.float32)
        if "_fixed_mean" in self.__dict__:
            mean, variance = jnp.asarray(self._fixed_mean), jnp.asarray(self._fixed_variance)
        else:
            mean = jnp.reshape(params["mean"], self._broadcast_shape)
            variance = jnp.reshape(params["variance"], self._broadcast_shape)
        std = jnp.maximum(jnp.sqrt(variance), backend_config.epsilon())
        return mean + x * std if self.invert else (x - mean) / std

    def _check_input_shape(self, shape):
        # Keras has no InputSpec here: inputs only need to broadcast against the statistics' shape.
        if self.__dict__.get("_broadcast_shape") is None or not isinstance(shape, tuple) \
                or not all(d is None or isinstance(d, int) for d in shape):
            return
        try:
            np.broadcast_shapes(tuple(1 if d is None else d for d in shape), self._broadcast_shape)
        except ValueError:
            raise ValueError(f"Normalization layer '{self.name}' was built for inputs of shape "
                             f"{self._build_input_shape} (axis={self.axis}, statistics of shape "
                             f"{self._mean_and_var_shape}); received inputs of shape {shape}.") from None

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(), "variance": np.array(self.input_variance).tolist()}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    @classmethod
    def keras2_config(cls, config, where):
        # tf.keras 2 may write `axis` as a list and, before 2.9, no `invert`.
        if isinstance(config.get("axis"), list):
            config["axis"] = tuple(config["axis"])
        return config

    def param_count_formula(self):
        if "adapt_mean" not in self.__dict__:
            return None
        n = int(np.prod(self._mean_and_var_shape))
        return f"2 × {n} + 1", 2 * n + 1, "mean and variance per kept index (non-trainable), and the count"

