"""2-D pooling and image shape layers (Keras 3's arguments, configs and numbers): MaxPooling2D,
AveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling2D, UpSampling2D, ZeroPadding2D, Cropping2D.

In CNN-LSTM programs they run inside `TimeDistributed` on each frame of (batch, time, h, w, channels).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.layers.base import Layer
from lstmkit.layers.conv_base import conv_spatial_output
from lstmkit.layers.convolution import check_ndim, data_format_arg, int_tuple, padding_arg


def _spatial_axes(data_format, rank=2):
    return tuple(range(1, rank + 1)) if data_format == "channels_last" else tuple(range(2, rank + 2))


# ------------------------------------------------------------------------------------------- windows
class _Pooling2D(Layer):
    """Max or average over `pool_size` windows, `strides` apart (default: `pool_size`)."""

    _reduce = None  # "max" or "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = int_tuple(pool_size, 2, "pool_size")
        # Keras lets a stride be 0 here (allow_zero); lax would then fail, so 0 is refused with its message.
        self.strides = self.pool_size if strides is None else int_tuple(strides, 2, "strides")
        self.padding = padding_arg(padding)
        self.data_format = data_format_arg(data_format)
        self._build_at_init()

    def _check_input_shape(self, shape):
        check_ndim(self, shape, 4)
        if isinstance(shape, tuple) and len(shape) == 4:
            self.compute_output_shape(shape)  # inputs smaller than one window

    def _window(self, x, init, op):
        axes = _spatial_axes(self.data_format)
        window = [1] * 4
        strides = [1] * 4
        for i, axis in enumerate(axes):
            window[axis], strides[axis] = self.pool_size[i], self.strides[i]
        return jax.lax.reduce_window(x, init, op, tuple(window), tuple(strides), self.padding.upper())

    def call(self, params, inputs, ctx):
        x = inputs.astype(jnp.float32)
        if self._reduce == "max":
            return self._window(x, -jnp.inf, jax.lax.max)
        summed = self._window(x, 0.0, jax.lax.add)
        if self.padding == "valid":
            return summed / math.prod(self.pool_size)
        # 'same': each window averages only the real pixels it covers (padding not counted), as Keras.
        axes = _spatial_axes(self.data_format)
        ones = jnp.ones(tuple(x.shape[i] if i in axes else 1 for i in range(4)), x.dtype)
        return summed / self._window(ones, 0.0, jax.lax.add)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        axes = _spatial_axes(self.data_format)
        out = conv_spatial_output([shape[a] for a in axes], self.pool_size, self.strides, self.padding, (1, 1))
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(f"Computed output size would be zero or negative. Received: `inputs.shape={shape}`, "
                             f"`pool_size={self.pool_size}`, `strides={self.strides}`, `padding={self.padding}`.")
        result = list(shape)
        for a, n in zip(axes, out):
            result[a] = n
        return tuple(result)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_built_at_init = True


class MaxPooling2D(_Pooling2D):
    """The largest value of each window: (batch, h, w, channels) -> (batch, new_h, new_w, channels)."""

    _reduce = "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides=strides, padding=padding, data_format=data_format, name=name, **kwargs)


class AveragePooling2D(_Pooling2D):
    """The mean of each window ('same' padding: of the real pixels in it)."""

    _reduce = "average"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides=strides, padding=padding, data_format=data_format, name=name, **kwargs)


# ------------------------------------------------------------------------------------------- global
class _GlobalPooling2D(Layer):
    """Reduces both spatial axes away (or to size 1 with `keepdims=True`)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg(data_format)
        self.keepdims = keepdims
        self._build_at_init()

    def _check_input_shape(self, shape):
        check_ndim(self, shape, 4)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        axes = _spatial_axes(self.data_format)
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(shape))
        return tuple(d for i, d in enumerate(shape) if i not in axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}

    _keras_built_at_init = True


class GlobalMaxPooling2D(_GlobalPooling2D):
    """The largest value of each channel over the image: (batch, channels)."""

    def call(self, params, inputs, ctx):
        return jnp.max(inputs, axis=_spatial_axes(self.data_format), keepdims=self.keepdims)


class GlobalAveragePooling2D(_GlobalPooling2D):
    """The mean of each channel over the image: (batch, channels)."""

    def call(self, params, inputs, ctx):
        return jnp.mean(inputs.astype(jnp.float32), axis=_spatial_axes(self.data_format), keepdims=self.keepdims)


# ------------------------------------------------------------------------------------------- reshaping
_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")


class UpSampling2D(Layer):
    """Enlarges each image by `size` = (rows, cols): 'nearest' repeats pixels, the others resize."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg(data_format)
        self.size = int_tuple(size, 2, "size")
        method = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if method not in _INTERPOLATIONS:
            # Keras finds this only when called (in its resize op); same wording, raised at once here.
            raise ValueError(f"Invalid value for argument `interpolation`. Expected of one {_INTERPOLATIONS}. "
                             f"Received: interpolation={interpolation}")
        self.interpolation = method

    def _check_input_shape(self, shape):
        check_ndim(self, shape, 4)

    def call(self, params, inputs, ctx):
        x = inputs if self.data_format == "channels_last" else jnp.transpose(inputs, (0, 2, 3, 1))
        if self.interpolation == "nearest":
            x = jnp.repeat(jnp.repeat(x, self.size[0], axis=1), self.size[1], axis=2)
        else:
            b, h, w, c = x.shape
            method = "linear" if self.interpolation == "bilinear" else \
                "cubic" if self.interpolation == "bicubic" else self.interpolation
            x = jax.image.resize(x.astype(jnp.float32), (b, h * self.size[0], w * self.size[1], c), method=method,
                                 antialias=False)
        return x if self.data_format == "channels_last" else jnp.transpose(x, (0, 3, 1, 2))

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for i, a in enumerate(_spatial_axes(self.data_format)):
            out[a] = None if out[a] is None else out[a] * self.size[i]
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


def _pairs(value, argname, kind):
    """An int, (sym_h, sym_w) or ((top, bottom), (left, right)) -> ((top, bottom), (left, right))."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"`{argname}` cannot be negative. Received: {argname}={value}.")
        return ((int(value),) * 2,) * 2
    if hasattr(value, "__len__"):
        if len(value) != 2:
            raise ValueError(f"`{argname}` should have two elements. Received: {argname}={value}.")
        return (int_tuple(value[0], 2, f"1st entry of {argname}", allow_zero=True),
                int_tuple(value[1], 2, f"2nd entry of {argname}", allow_zero=True))
    raise ValueError(f"`{argname}` should be either an int, a tuple of 2 ints (symmetric_height_{kind}, "
                     f"symmetric_width_{kind}), or a tuple of 2 tuples of 2 ints ((top_{kind}, bottom_{kind}), "
                     f"(left_{kind}, right_{kind})). Received: {argname}={value}.")


class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around each image: `padding` = n, (rows, cols) or ((t, b), (l, r))."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg(data_format)
        self.padding = _pairs(padding, "padding", "crop")  # Keras's message says "crop" here too

    def _check_input_shape(self, shape):
        check_ndim(self, shape, 4)

    def call(self, params, inputs, ctx):
        widths = [(0, 0)] * 4
        for i, a in enumerate(_spatial_axes(self.data_format)):
            widths[a] = self.padding[i]
        return jnp.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for i, a in enumerate(_spatial_axes(self.data_format)):
            if out[a] is not None:
                out[a] += sum(self.padding[i])
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class Cropping2D(Layer):
    """Removes rows and columns at the edges of each image: `cropping` = n, (rows, cols) or ((t, b), (l, r))."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg(data_format)
        self.cropping = _pairs(cropping, "cropping", "crop")

    def _check_input_shape(self, shape):
        check_ndim(self, shape, 4)
        if isinstance(shape, tuple) and len(shape) == 4:
            self.compute_output_shape(shape)

    def call(self, params, inputs, ctx):
        self.compute_output_shape(tuple(inputs.shape))
        index = [slice(None)] * 4
        for i, a in enumerate(_spatial_axes(self.data_format)):
            start, end = self.cropping[i]
            index[a] = slice(start, inputs.shape[a] - end)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        out = list(shape)
        for i, a in enumerate(_spatial_axes(self.data_format)):
            if out[a] is not None:
                if sum(self.cropping[i]) >= out[a]:
                    raise ValueError("Values in `cropping` argument should be smaller than the corresponding spatial "
                                     f"dimension of the input. Received: input_shape={shape}, "
                                     f"cropping={self.cropping}")
                out[a] -= sum(self.cropping[i])
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


# Keras 2's names, kept by Keras 3
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
