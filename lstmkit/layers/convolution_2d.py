"""Conv2D and Conv3D (Keras 3's arguments, configs, weights and numbers), on the shared N-D base.

Inside `TimeDistributed` a Conv2D runs on every frame of a video: (batch, time, height, width, channels).
"""

from __future__ import annotations

import jax
import numpy as np

from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import regularizers as regularizers_mod
from lstmkit.layers.conv_base import ConvBase, dimension_numbers, positive_int_arg, ser


class _Conv(ConvBase):
    """A plain N-D convolution: kernel (kernel_size..., channels // groups, filters), optional bias."""

    _takes_groups = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, bias_constraint=bias_constraint, **kwargs)
        if lora_rank is not None:
            raise NotImplementedError(f"{type(self).__name__}(lora_rank=...) is not supported by lstmkit.")
        self.filters = positive_int_arg(filters, "filters", "filters")
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups <= 0:
            raise ValueError(f"The number of groups must be a positive integer. Received: groups={groups}.")
        self.groups = int(groups)
        if self.filters is not None and self.filters % self.groups != 0:
            raise ValueError("The number of filters must be evenly divisible by the number of groups. "
                             f"Received: groups={self.groups}, filters={self.filters}.")
        self._check_strides_with_dilation()
        self.kernel_initializer = initializers_mod.get(kernel_initializer)
        self.kernel_regularizer = regularizers_mod.get(kernel_regularizer)
        self.kernel_constraint = constraints_mod.get(kernel_constraint)

    def _out_channels(self, input_channels):
        return self.filters

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups != 0:
            raise ValueError("The number of input channels must be evenly divisible by the number of groups. "
                             f"Received groups={self.groups}, but the input has {channels} channels (full input "
                             f"shape is {tuple(input_shape)}).")
        self.compute_output_shape(input_shape)  # validates the sizes before weights exist, as Keras
        self.kernel = self.add_weight(name="kernel", shape=self.kernel_size + (channels // self.groups, self.filters),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self._add_bias(self.filters)
        self._in_channels = channels
        self.built = True

    def _conv(self, params, x):
        return jax.lax.conv_general_dilated(
            x, params["kernel"], window_strides=self.strides, padding=self.padding.upper(),
            rhs_dilation=self.dilation_rate, dimension_numbers=dimension_numbers(self.rank, self.data_format),
            feature_group_count=self.groups)

    def get_config(self):
        # Keras's key order; `activity_regularizer` stays where the base config put it when set.
        return {**super().get_config(), "filters": self.filters, **self._window_config(), "groups": self.groups,
                **self._tail_config(),
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
        return self._formula(parts, "kernel_size × channels/groups × filters + filters")


class Conv2D(_Conv):
    """2-D convolution over images: (batch, height, width, channels) -> (batch, new_h, new_w, filters)."""

    rank = 2


class Conv3D(_Conv):
    """3-D convolution over volumes (or stacked frames): (batch, d1, d2, d3, channels) -> (..., filters)."""

    rank = 3


# Keras 2's names, kept by Keras 3
Convolution2D = Conv2D
Convolution3D = Conv3D
