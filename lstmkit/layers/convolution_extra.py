"""The other convolutions of Keras 3: separable (SeparableConv1D/2D), depthwise (DepthwiseConv1D/2D) and
transposed (Conv1DTranspose/2DTranspose), with Keras's arguments, configs, weight layouts and numbers."""

from __future__ import annotations

import jax

from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import regularizers as regularizers_mod
from lstmkit.layers.conv_base import ConvBase, dimension_numbers, positive_int_arg, ser
from lstmkit.layers.convolution import int_tuple


def _depthwise(layer, x, kernel):
    """Each input channel convolved with its own `depth_multiplier` filters; output channel c * m + j."""
    channels = x.shape[layer._channel_axis()]
    kernel = kernel.reshape(kernel.shape[:-2] + (1, channels * kernel.shape[-1]))
    return jax.lax.conv_general_dilated(
        x, kernel, window_strides=layer.strides, padding=layer.padding.upper(), rhs_dilation=layer.dilation_rate,
        dimension_numbers=dimension_numbers(layer.rank, layer.data_format), feature_group_count=channels)


# ------------------------------------------------------------------------------------------- depthwise
class _DepthwiseConv(ConvBase):
    """Kernel (kernel_size..., channels, depth_multiplier); bias (channels * depth_multiplier,)."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None, dilation_rate=1,
                 activation=None, use_bias=True, depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = positive_int_arg(depth_multiplier, "depth_multiplier", "depth_multiplier")
        self.depthwise_initializer = initializers_mod.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers_mod.get(depthwise_regularizer)
        self.depthwise_constraint = constraints_mod.get(depthwise_constraint)

    def _out_channels(self, input_channels):
        return None if input_channels is None else self.depth_multiplier * input_channels

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(name="kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
                                      initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
                                      constraint=self.depthwise_constraint)
        self._add_bias(channels * self.depth_multiplier)
        self._in_channels = channels
        self.built = True

    def _conv(self, params, x):
        return _depthwise(self, x, params["kernel"])

    def get_config(self):
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier, **self._window_config(),
                **self._tail_config(),
                "depthwise_initializer": initializers_mod.serialize(self.depthwise_initializer),
                "bias_initializer": initializers_mod.serialize(self.bias_initializer),
                "depthwise_regularizer": ser(regularizers_mod, self.depthwise_regularizer),
                "bias_regularizer": ser(regularizers_mod, self.bias_regularizer),
                "activity_regularizer": ser(regularizers_mod, self.activity_regularizer),
                "depthwise_constraint": ser(constraints_mod, self.depthwise_constraint),
                "bias_constraint": ser(constraints_mod, self.bias_constraint)}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    def keras_legacy_weight_names(self, prefix):
        # tf.keras 2 called the depthwise kernel 'depthwise_kernel' (Keras 3: 'kernel').
        return {v.key: f"{prefix}/{'depthwise_kernel' if v.name == 'kernel' else v.name}:0" for v in self._vars}

    def param_count_formula(self):
        if not self.built:
            return None
        parts = [("kernel", self.kernel.shape)] + ([("bias", self.bias.shape)] if self.use_bias else [])
        return self._formula(parts, "kernel_size × channels × depth_multiplier + channels × depth_multiplier")


class DepthwiseConv1D(_DepthwiseConv):
    """Each channel of (batch, steps, channels) convolved on its own: (batch, new_steps, channels * multiplier)."""

    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """Each channel of an image convolved on its own: (batch, new_h, new_w, channels * depth_multiplier)."""

    rank = 2


# ------------------------------------------------------------------------------------------- separable
class _SeparableConv(ConvBase):
    """A depthwise convolution, then a 1x1 ('pointwise') one mixing its channels into `filters`."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = positive_int_arg(depth_multiplier, "depth_multiplier", "depth_multiplier")
        self.filters = positive_int_arg(filters, "filters", "filters")
        self.depthwise_initializer = initializers_mod.get(depthwise_initializer)
        self.pointwise_initializer = initializers_mod.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers_mod.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers_mod.get(pointwise_regularizer)
        self.depthwise_constraint = constraints_mod.get(depthwise_constraint)
        self.pointwise_constraint = constraints_mod.get(pointwise_constraint)

    def _out_channels(self, input_channels):
        return self.filters

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel", shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self._add_bias(self.filters)
        self._in_channels = channels
        self.built = True

    def _conv(self, params, x):
        y = _depthwise(self, x, params["depthwise_kernel"])
        return jax.lax.conv_general_dilated(y, params["pointwise_kernel"], window_strides=(1,) * self.rank,
                                            padding="VALID",
                                            dimension_numbers=dimension_numbers(self.rank, self.data_format))

    def get_config(self):
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier, "filters": self.filters,
                **self._window_config(), **self._tail_config(),
                "depthwise_initializer": initializers_mod.serialize(self.depthwise_initializer),
                "pointwise_initializer": initializers_mod.serialize(self.pointwise_initializer),
                "bias_initializer": initializers_mod.serialize(self.bias_initializer),
                "depthwise_regularizer": ser(regularizers_mod, self.depthwise_regularizer),
                "pointwise_regularizer": ser(regularizers_mod, self.pointwise_regularizer),
                "bias_regularizer": ser(regularizers_mod, self.bias_regularizer),
                "activity_regularizer": ser(regularizers_mod, self.activity_regularizer),
                "depthwise_constraint": ser(constraints_mod, self.depthwise_constraint),
                "pointwise_constraint": ser(constraints_mod, self.pointwise_constraint),
                "bias_constraint": ser(constraints_mod, self.bias_constraint)}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    def param_count_formula(self):
        if not self.built:
            return None
        parts = [("depthwise_kernel", self.depthwise_kernel.shape), ("pointwise_kernel", self.pointwise_kernel.shape)]
        parts += [("bias", self.bias.shape)] if self.use_bias else []
        return self._formula(parts, "kernel_size × channels × depth_multiplier (depthwise) + channels × "
                                    "depth_multiplier × filters (pointwise) + filters")


class SeparableConv1D(_SeparableConv):
    """Depthwise then pointwise 1-D convolution: (batch, steps, channels) -> (batch, new_steps, filters)."""

    rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise then pointwise 2-D convolution: (batch, h, w, channels) -> (batch, new_h, new_w, filters)."""

    rank = 2


# ------------------------------------------------------------------------------------------- transposed
def transpose_padding(kernel, stride, dilation, padding, output_padding):
    """(left, right) padding of lax.conv_transpose giving Keras's output size for one spatial axis."""
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return k - 1, k - 1 + extra
    # 'same': size input * stride, or (input - 1) * stride + k % 2 + output_padding
    total = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, k - 1)
    return left, total - left


def transpose_output_size(n, kernel, stride, dilation, padding, output_padding):
    if n is None:
        return None
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return (n - 1) * stride + k + extra
    return n * stride if output_padding is None else (n - 1) * stride + k % 2 + output_padding


class _ConvTranspose(ConvBase):
    """The gradient of a convolution as a layer (upsampling): kernel (kernel_size..., filters, channels)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, bias_constraint=bias_constraint, **kwargs)
        self.filters = positive_int_arg(filters, "filters", "filters")
        self.output_padding = None if output_padding is None else \
            int_tuple(output_padding, self.rank, "output_padding", allow_zero=True)
        if self.output_padding is not None:
            for i, (op, s) in enumerate(zip(self.output_padding, self.strides)):
                if op >= s:
                    raise ValueError("`output_padding` must be strictly less than `strides` for all dimensions. "
                                     f"At dimension {i}, `output_padding` is {op} but `strides` is {s}. Received: "
                                     f"output_padding={self.output_padding}, strides={self.strides}")
        self._check_strides_with_dilation()
        self.kernel_initializer = initializers_mod.get(kernel_initializer)
        self.kernel_regularizer = regularizers_mod.get(kernel_regularizer)
        self.kernel_constraint = constraints_mod.get(kernel_constraint)

    def _out_channels(self, input_channels):
        return self.filters

    def _output_padding(self, i):
        return None if self.output_padding is None else self.output_padding[i]

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        spatial = tuple(transpose_output_size(n, self.kernel_size[i], self.strides[i], self.dilation_rate[i],
                                              self.padding, self._output_padding(i))
                        for i, n in enumerate(self._spatial(shape)))
        return self._with_spatial(shape, spatial, self.filters)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(name="kernel", shape=self.kernel_size + (self.filters, channels),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self._add_bias(self.filters)
        self._in_channels = channels
        self.built = True

    def _conv(self, params, x):
        pads = [transpose_padding(self.kernel_size[i], self.strides[i], self.dilation_rate[i], self.padding,
                                  self._output_padding(i)) for i in range(self.rank)]
        return jax.lax.conv_transpose(x, params["kernel"], self.strides, padding=pads,
                                      rhs_dilation=self.dilation_rate,
                                      dimension_numbers=dimension_numbers(self.rank, self.data_format),
                                      transpose_kernel=True)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "output_padding": self.output_padding,
                "data_format": self.data_format, "dilation_rate": self.dilation_rate, **self._tail_config(),
                "kernel_initializer": initializers_mod.serialize(self.kernel_initializer),
                "bias_initializer": initializers_mod.serialize(self.bias_initializer),
                "kernel_regularizer": ser(regularizers_mod, self.kernel_regularizer),
                "bias_regularizer": ser(regularizers_mod, self.bias_regularizer),
                "activity_regularizer": ser(regularizers_mod, self.activity_regularizer),
                "kernel_constraint": ser(constraints_mod, self.kernel_constraint),
                "bias_constraint": ser(constraints_mod, self.bias_constraint)}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    def param_count_formula(self):
        if not self.built:
            return None
        parts = [("kernel", self.kernel.shape)] + ([("bias", self.bias.shape)] if self.use_bias else [])
        return self._formula(parts, "kernel_size × filters × channels + filters")


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution: (batch, steps, channels) -> (batch, longer_steps, filters)."""

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution: (batch, h, w, channels) -> (batch, larger_h, larger_w, filters)."""

    rank = 2


# Keras 2's names, kept by Keras 3
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
