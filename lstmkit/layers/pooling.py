"""1-D pooling layers (Keras 3's arguments, configs and numbers) and their Keras 2 names."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from lstmkit.layers.base import Layer
from lstmkit.layers.convolution import check_ndim, data_format_arg, int_tuple, padding_arg, window_output_length


class _Pooling1D(Layer):
    """Max or average over windows of `pool_size` steps, `strides` apart (default: `pool_size`)."""

    _reduce = None  # "max" or "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = int_tuple(pool_size, 1, "pool_size")
        self.strides = self.pool_size if strides is None else int_tuple(strides, 1, "strides")
        self.padding = padding_arg(padding)
        self.data_format = data_format_arg(data_format)
        self._build_at_init()

    def _check_input_shape(self, shape):
        check_ndim(self, shape, 3)
        if isinstance(shape, tuple) and len(shape) == 3:
            self.compute_output_shape(shape)  # inputs shorter than one window

    def _window(self, x, init, op):
        axis = 1 if self.data_format == "channels_last" else 2
        window = tuple(self.pool_size[0] if i == axis else 1 for i in range(3))
        strides = tuple(self.strides[0] if i == axis else 1 for i in range(3))
        return jax.lax.reduce_window(x, init, op, window, strides, self.padding.upper())

    def call(self, params, inputs, ctx):
        x = inputs.astype(jnp.float32)
        if self._reduce == "max":
            return self._window(x, -jnp.inf, jax.lax.max)
        summed = self._window(x, 0.0, jax.lax.add)
        if self.padding == "valid":
            return summed / math.prod(self.pool_size)
        # 'same': each window averages only the real steps it covers (the padding is not counted), as Keras.
        axis = 1 if self.data_format == "channels_last" else 2
        ones = jnp.ones(tuple(x.shape[i] if i == axis else 1 for i in range(3)), x.dtype)
        return summed / self._window(ones, 0.0, jax.lax.add)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        axis = 1 if self.data_format == "channels_last" else 2
        out = window_output_length(shape[axis], self.pool_size[0], self.strides[0], self.padding)
        if out is not None and out <= 0:
            raise ValueError(f"Computed output size would be zero or negative. Received: `inputs.shape={shape}`, "
                             f"`pool_size={self.pool_size}`, `strides={self.strides}`, `padding={self.padding}`.")
        return tuple(out if i == axis else d for i, d in enumerate(shape))

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_built_at_init = True


class MaxPooling1D(_Pooling1D):
    """The largest value of each window of steps."""

    _reduce = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides=strides, padding=padding, data_format=data_format, name=name, **kwargs)


class AveragePooling1D(_Pooling1D):
    """The mean of each window of steps ('same' padding: of the real steps in it)."""

    _reduce = "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides=strides, padding=padding, data_format=data_format, name=name, **kwargs)


class _GlobalPooling1D(Layer):
    """Reduces the steps axis away (or to size 1 with `keepdims=True`)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg(data_format)
        self.keepdims = keepdims
        self._build_at_init()

    def _check_input_shape(self, shape):
        check_ndim(self, shape, 3)

    def _steps_axis(self):
        return 1 if self.data_format == "channels_last" else 2

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        axis = self._steps_axis()
        if self.keepdims:
            shape[axis] = 1
            return tuple(shape)
        return tuple(d for i, d in enumerate(shape) if i != axis)

    def compute_mask(self, inputs, mask=None):
        return None  # the steps are gone

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}

    _keras_built_at_init = True


class GlobalMaxPooling1D(_GlobalPooling1D):
    """The largest value of each channel over all steps."""

    def call(self, params, inputs, ctx):
        return jnp.max(inputs, axis=self._steps_axis(), keepdims=self.keepdims)


class GlobalAveragePooling1D(_GlobalPooling1D):
    """The mean of each channel over the steps; with a (batch, steps) mask, over the unmasked steps only."""

    supports_masking = True

    def call(self, params, inputs, ctx, mask=None):
        axis = self._steps_axis()
        x = inputs.astype(jnp.float32)
        if mask is None:
            return jnp.mean(x, axis=axis, keepdims=self.keepdims)
        keep = jnp.expand_dims(mask.astype(bool), 2 if self.data_format == "channels_last" else 1)
        total = jnp.sum(jnp.where(keep, x, 0.0), axis=axis, keepdims=self.keepdims)
        # Keras divides by the unmasked count as is: an all-masked sample gives NaN there too.
        return total / jnp.sum(keep.astype(x.dtype), axis=axis, keepdims=self.keepdims)


# Keras 2's names, kept by Keras 3
MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalAvgPool1D = GlobalAveragePooling1D
