"""What every N-D convolution layer here shares (Conv2D, the separable, depthwise and transposed ones):
Keras 3's argument checks, output shapes, input checks, bias and activation.

Conv1D keeps its own file (`convolution.py`); these layers reuse its argument helpers.
"""

from __future__ import annotations

import jax
import numpy as np

from lstmkit import activations as activations_mod
from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import regularizers as regularizers_mod
from lstmkit.layers.base import Layer
from lstmkit.layers.convolution import _ser as ser  # noqa: F401  (re-exported for the convolution files)
from lstmkit.layers.convolution import check_ndim, data_format_arg, int_tuple, padding_arg


def positive_int_arg(value, argname, message):
    """`filters` / `depth_multiplier`: None (Keras allows it until build) or a strictly positive int."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0):
        raise ValueError(f"Invalid value for argument `{argname}`. Expected a strictly positive value. "
                         f"Received {message}={value}.")
    return None if value is None else int(value)


def dimension_numbers(rank, data_format):
    """lax's (lhs, rhs, out) specs: inputs (batch, channels, spatial...) by position; kernels
    (spatial..., in, out) as Keras stores them."""
    n = rank + 2
    spatial = tuple(range(1, n - 1)) if data_format == "channels_last" else tuple(range(2, n))
    lhs = (0, n - 1) + spatial if data_format == "channels_last" else (0, 1) + spatial
    rhs = (n - 1, n - 2) + tuple(range(rank))
    return jax.lax.ConvDimensionNumbers(lhs_spec=lhs, rhs_spec=rhs, out_spec=lhs)


def conv_spatial_output(sizes, kernel_size, strides, padding, dilation_rate):
    """Each spatial size after a convolution or pooling window (None stays None); Keras's rule."""
    out = []
    for n, k, s, d in zip(sizes, kernel_size, strides, dilation_rate):
        if n is None:
            out.append(None)
        elif padding == "valid":
            out.append((n - d * (k - 1) - 1) // s + 1)
        else:
            out.append((n - 1) // s + 1)
    return tuple(out)


class ConvBase(Layer):
    """The arguments and rules common to Keras's N-D convolutions (`rank` set by each class).

    Subclasses create their kernels in `build`, compute `_conv(params, x)` and name their channel count
    `_out_channels(input_channels)`.
    """

    rank = None
    _allow_causal = False
    _takes_groups = False  # only the plain convolutions take `groups`
    _keras_serializable = False  # a base class, never named by a file

    def __init__(self, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, bias_initializer="zeros", bias_regularizer=None, activity_regularizer=None,
                 bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.kernel_size = int_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = int_tuple(strides, self.rank, "strides")
        self.dilation_rate = int_tuple(dilation_rate, self.rank, "dilation_rate")
        self.padding = padding_arg(padding, allow_causal=self._allow_causal)
        self.data_format = data_format_arg(data_format)
        self.activation = activations_mod.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers_mod.get(bias_initializer)
        self.bias_regularizer = regularizers_mod.get(bias_regularizer)
        self.bias_constraint = constraints_mod.get(bias_constraint)

    def _check_strides_with_dilation(self):
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")

    # ------------------------------------------------------------------ shapes
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _spatial(self, shape):
        return tuple(shape[1:-1]) if self.data_format == "channels_last" else tuple(shape[2:])

    def _with_spatial(self, shape, spatial, channels):
        if self.data_format == "channels_last":
            return (shape[0],) + tuple(spatial) + (channels,)
        return (shape[0], channels) + tuple(spatial)

    def _input_channels(self, input_shape):
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(f"{type(self).__name__} layer '{self.name}' needs a known channel dimension; received "
                             f"input shape {tuple(input_shape)}.")
        return int(channels)

    def _built_channels(self):
        """The input channels the built layer takes (None before build)."""
        return self.__dict__.get("_in_channels")

    def _check_input_shape(self, shape):
        check_ndim(self, shape, self.rank + 2, exact=False)
        if not isinstance(shape, tuple) or len(shape) < self.rank + 2:
            return
        want = self._built_channels()
        c = shape[self._channel_axis()]
        if want is not None and c is not None and c != want:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: expected axis "
                             f"{self._channel_axis()} of input shape to have value {want}, but received input "
                             f"with shape {shape}")
        if len(shape) == self.rank + 2:
            self.compute_output_shape(shape)  # a built layer given inputs smaller than its kernel needs

    def _out_channels(self, input_channels):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) != self.rank + 2:
            raise ValueError(f"Kernel shape must have the same length as input, but received kernel of rank "
                             f"{self.rank + 2} and input of shape {shape}.")
        spatial = conv_spatial_output(self._spatial(shape), self.kernel_size, self.strides, self.padding,
                                      self.dilation_rate)
        if self.padding == "valid" and any(n is not None and n <= 0 for n in spatial):
            raise ValueError(f"Computed output size would be zero or negative. Received `inputs shape={shape}`, "
                             f"`kernel_size={self.kernel_size}`, `dilation_rate={self.dilation_rate}`, "
                             f"`strides={self.strides}`, `padding={self.padding}`.")
        return self._with_spatial(shape, spatial, self._out_channels(shape[self._channel_axis()]))

    # ------------------------------------------------------------------ weights and call
    def _add_bias(self, size):
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(size,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def _conv(self, params, x):
        raise NotImplementedError

    def call(self, params, inputs, ctx):
        y = self._conv(params, inputs.astype("float32"))
        if self.use_bias:
            b = params["bias"]
            y = y + (b if self.data_format == "channels_last" else b.reshape((-1,) + (1,) * self.rank))
        return y if self.activation is None else self.activation(y)

    # ------------------------------------------------------------------ config pieces
    def _window_config(self):
        return {"kernel_size": self.kernel_size, "strides": self.strides, "padding": self.padding,
                "data_format": self.data_format, "dilation_rate": self.dilation_rate}

    def _tail_config(self):
        return {"activation": activations_mod.serialize(self.activation), "use_bias": self.use_bias}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    def _formula(self, parts, legend):
        """(expression, count, legend) from [(name, shape)] weights, the bias last."""
        exprs, total = [], 0
        for _, shape in parts:
            exprs.append(" × ".join(str(d) for d in shape))
            total += int(np.prod(shape))
        if not self.use_bias:
            legend += ", no bias"
        return " + ".join(exprs), total, legend

    @classmethod
    def keras2_config(cls, config, where):
        # tf.keras 2's convolutions other than Conv write `groups: 1` too (they inherit Conv's config).
        if "groups" in config and not cls._takes_groups:
            groups = config.pop("groups")
            if groups not in (1, None):
                raise ValueError(f"{where}: {cls.__name__} takes no `groups` (received groups={groups}).")
        return config
