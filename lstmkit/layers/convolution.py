"""Conv1D and the 1-D shape layers Keras keeps beside it: SpatialDropout1D, UpSampling1D, ZeroPadding1D,
Cropping1D (Keras 3's arguments, configs, weights and numbers)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit import activations as activations_mod
from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import regularizers as regularizers_mod
from lstmkit.layers.base import Layer


# ------------------------------------------------------------ argument checks shared with pooling.py
def int_tuple(value, n, argname, allow_zero=False):
    """An int or n ints -> a tuple of n ints (Keras's `standardize_tuple`, with its ValueError wording)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        out = (int(value),) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            raise ValueError(f"The `{argname}` argument must be a tuple of {n} integers. "
                             f"Received {argname}={value!r}") from None
        if isinstance(value, str) or len(out) != n:
            raise ValueError(f"The `{argname}` argument must be a tuple of {n} integers. "
                             f"Received {argname}={value!r}")
        for v in out:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ValueError(f"The `{argname}` argument must be a tuple of {n} integers. Received "
                                 f"{argname}={value!r} including element {v!r} of type {type(v)}")
        out = tuple(int(v) for v in out)
    bad = {v for v in out if (v < 0 if allow_zero else v <= 0)}
    if bad:
        cond = "`value >= 0`" if allow_zero else "`value > 0`"
        raise ValueError(f"The `{argname}` argument must be a tuple of {n} integers. Received {argname}={value!r}, "
                         f"including values {bad} that do not satisfy {cond}")
    return out


def padding_arg(padding, allow_causal=False):
    allowed = {"valid", "same", "causal"} if allow_causal else {"valid", "same"}
    p = padding.lower() if isinstance(padding, str) else padding
    if p not in allowed:
        raise ValueError(f"The `padding` argument must be one of {allowed}. Received: padding={padding!r}")
    return p


def data_format_arg(data_format):
    if data_format is None:
        return "channels_last"  # Keras's image_data_format() default
    f = str(data_format).lower()
    if f not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                         f"Received: data_format={data_format!r}")
    return f


def check_ndim(layer, shape, ndim, exact=True):
    if not isinstance(shape, tuple) or (shape and not isinstance(shape[0], (int, type(None), np.integer))):
        return  # several inputs: the layer's own call reports it
    if (len(shape) != ndim) if exact else (len(shape) < ndim):
        want = f"ndim={ndim}" if exact else f"min_ndim={ndim}"
        raise ValueError(f"Input 0 of layer '{layer.name}' is incompatible with the layer: expected {want}, "
                         f"found ndim={len(shape)}. Full shape received: {tuple(shape)}")


def window_output_length(length, window, stride, padding, dilation=1):
    """Output length of a sliding window ('causal' pads the left so it is 'same' in length)."""
    if length is None:
        return None
    if padding == "valid":
        return (length - dilation * (window - 1) - 1) // stride + 1
    return (length + stride - 1) // stride


def _ser(mod, obj):
    return None if obj is None else mod.serialize(obj)


# ------------------------------------------------------------------------------------------- Conv1D
class Conv1D(Layer):
    """1-D convolution over the steps axis: (batch, steps, channels) -> (batch, new_steps, filters)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if lora_rank is not None:
            raise NotImplementedError("Conv1D(lora_rank=...) is not supported by lstmkit.")
        self.filters = filters
        self.groups = groups
        self.kernel_size = int_tuple(kernel_size, 1, "kernel_size")
        self.strides = int_tuple(strides, 1, "strides")
        self.dilation_rate = int_tuple(dilation_rate, 1, "dilation_rate")
        self.padding = padding_arg(padding, allow_causal=True)
        self.data_format = data_format_arg(data_format)
        self.activation = activations_mod.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers_mod.get(kernel_initializer)
        self.bias_initializer = initializers_mod.get(bias_initializer)
        self.kernel_regularizer = regularizers_mod.get(kernel_regularizer)
        self.bias_regularizer = regularizers_mod.get(bias_regularizer)
        self.kernel_constraint = constraints_mod.get(kernel_constraint)
        self.bias_constraint = constraints_mod.get(bias_constraint)
        if filters is not None and (isinstance(filters, bool) or not isinstance(filters, (int, np.integer))
                                    or filters <= 0):
            raise ValueError("Invalid value for argument `filters`. Expected a strictly positive value. "
                             f"Received filters={filters}.")
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups <= 0:
            raise ValueError(f"The number of groups must be a positive integer. Received: groups={groups}.")
        if filters is not None and filters % groups != 0:
            raise ValueError("The number of filters must be evenly divisible by the number of groups. "
                             f"Received: groups={groups}, filters={filters}.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _check_input_shape(self, shape):
        check_ndim(self, shape, 3, exact=False)
        kernel = self.__dict__.get("kernel")
        if kernel is not None and isinstance(shape, tuple) and len(shape) >= 3:
            c = shape[self._channel_axis()]
            if c is not None and c != kernel.shape[1] * self.groups:
                raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: expected axis "
                                 f"{self._channel_axis()} of input shape to have value "
                                 f"{kernel.shape[1] * self.groups}, but received input with shape {shape}")
        if isinstance(shape, tuple) and len(shape) == 3:
            self.compute_output_shape(shape)  # a built layer given shorter inputs than its kernel needs

    def build(self, input_shape):
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(f"Conv1D layer '{self.name}' needs a known channel dimension; received input shape "
                             f"{tuple(input_shape)}.")
        if channels % self.groups != 0:
            raise ValueError("The number of input channels must be evenly divisible by the number of groups. "
                             f"Received groups={self.groups}, but the input has {channels} channels (full input "
                             f"shape is {tuple(input_shape)}).")
        self.compute_output_shape(input_shape)  # validates the length before weights exist, as Keras
        self.kernel = self.add_weight(name="kernel", shape=self.kernel_size + (channels // self.groups, self.filters),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def call(self, params, inputs, ctx):
        x = inputs.astype(jnp.float32)
        lhs_spec = "NWC" if self.data_format == "channels_last" else "NCW"
        k, d = self.kernel_size[0], self.dilation_rate[0]
        if self.padding == "causal":
            pad = [(d * (k - 1), 0)]  # all the window on the past: output t sees inputs <= t
        elif self.padding == "same":
            pad = "SAME"
        else:
            pad = "VALID"
        y = jax.lax.conv_general_dilated(
            x, params["kernel"], window_strides=self.strides, padding=pad, rhs_dilation=self.dilation_rate,
            dimension_numbers=(lhs_spec, "WIO", lhs_spec), feature_group_count=self.groups)
        if self.use_bias:
            y = y + (params["bias"] if self.data_format == "channels_last" else params["bias"][:, None])
        return y if self.activation is None else self.activation(y)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        steps_axis = 1 if self.data_format == "channels_last" else 2
        length = shape[steps_axis]
        out = window_output_length(length, self.kernel_size[0], self.strides[0], self.padding,
                                   self.dilation_rate[0])
        if out is not None and out <= 0:
            raise ValueError(f"Computed output size would be zero or negative. Received `inputs shape={shape}`, "
                             f"`kernel_size={self.kernel_size}`, `dilation_rate={self.dilation_rate}`, "
                             f"`strides={self.strides}`, `padding={self.padding}`.")
        if self.data_format == "channels_last":
            return shape[:1] + (out, self.filters)
        return shape[:1] + (self.filters, out)

    def get_config(self):
        # Keras's order: `activity_regularizer` stays where the base config put it when set, else after
        # bias_regularizer.
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
                "groups": self.groups, "activation": activations_mod.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers_mod.serialize(self.kernel_initializer),
                "bias_initializer": initializers_mod.serialize(self.bias_initializer),
                "kernel_regularizer": _ser(regularizers_mod, self.kernel_regularizer),
                "bias_regularizer": _ser(regularizers_mod, self.bias_regularizer),
                "activity_regularizer": _ser(regularizers_mod, self.activity_regularizer),
                "kernel_constraint": _ser(constraints_mod, self.kernel_constraint),
                "bias_constraint": _ser(constraints_mod, self.bias_constraint)}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    def param_count_formula(self):
        kernel = next((v for v in self._vars if v.name == "kernel"), None)
        if kernel is None:
            return None
        k, i, o = kernel.shape
        if self.use_bias:
            return f"{k} × {i} × {o} + {o}", k * i * o + o, "kernel_size × channels/groups × filters + filters"
        return f"{k} × {i} × {o}", k * i * o, "kernel_size × channels/groups × filters, no bias"


Convolution1D = Conv1D  # Keras 2's name, kept by Keras 3


# ------------------------------------------------------------------------------------------- SpatialDropout1D
class SpatialDropout1D(Layer):
    """Dropout of whole channels: one keep/drop draw per (sample, channel), shared by every step."""

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating, np.integer)) or not 0 <= rate <= 1:
            raise ValueError("Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                             f"Received: rate={rate}")
        self.rate = float(rate)
        self.seed = seed
        self._build_at_init()

    def _check_input_shape(self, shape):
        check_ndim(self, shape, 3)

    def call(self, params, inputs, ctx):
        if not ctx.training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return jnp.zeros_like(inputs)
        key = ctx.next_rng()
        if self.seed is not None:
            key = jax.random.fold_in(key, self.seed)
        keep = jax.random.bernoulli(key, 1.0 - self.rate, (inputs.shape[0], 1, inputs.shape[2]))
        return jnp.where(keep, inputs / (1.0 - self.rate), 0.0).astype(inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        # Keras's SpatialDropout writes only these four keys (no `trainable`, a plain dtype name).
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": str(np.dtype(self.dtype))}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_built_at_init = True

    @classmethod
    def keras2_config(cls, config, where):
        # tf.keras 2 writes `noise_shape: None` (its Dropout base's argument); the shape is fixed here.
        if config.pop("noise_shape", None) is not None:
            raise ValueError(f"{where}: SpatialDropout1D takes no `noise_shape` (it drops whole channels).")
        return config


# ------------------------------------------------------------------------------------------- reshaping
class UpSampling1D(Layer):
    """Repeats each step `size` times: (batch, steps, features) -> (batch, steps * size, features)."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"Expected an integer value for `size`, got {type(size)}.")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: size={size}")
        self.size = int(size)
        self._build_at_init()

    def _check_input_shape(self, shape):
        check_ndim(self, shape, 3)

    def call(self, params, inputs, ctx):
        return jnp.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}

    _keras_built_at_init = True


class ZeroPadding1D(Layer):
    """Adds zeros at the start and end of the steps axis: `padding` = n or (left, right)."""

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg(data_format)
        self.padding = int_tuple(padding, 2, "padding", allow_zero=True)
        self._build_at_init()

    def _check_input_shape(self, shape):
        check_ndim(self, shape, 3)

    def call(self, params, inputs, ctx):
        axis = 2 if self.data_format == "channels_first" else 1
        widths = [(0, 0)] * 3
        widths[axis] = self.padding
        return jnp.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        axis = 2 if self.data_format == "channels_first" else 1
        if out[axis] is not None:
            out[axis] += sum(self.padding)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}

    _keras_built_at_init = True


class Cropping1D(Layer):
    """Removes `cropping` = n or (start, end) steps from the steps axis."""

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = int_tuple(cropping, 2, "cropping", allow_zero=True)
        self._build_at_init()

    def _check_input_shape(self, shape):
        check_ndim(self, shape, 3)

    def call(self, params, inputs, ctx):
        if sum(self.cropping) >= inputs.shape[1]:
            raise ValueError("`cropping` parameter of `Cropping1D` layer must be smaller than the input length. "
                             f"Received: inputs.shape={tuple(inputs.shape)}, cropping={self.cropping}")
        return inputs[:, self.cropping[0]:inputs.shape[1] - self.cropping[1], :]

    def compute_output_shape(self, input_shape):
        length = None
        if input_shape[1] is not None:
            length = input_shape[1] - sum(self.cropping)
            if length <= 0:
                raise ValueError("`cropping` parameter of `Cropping1D` layer must be smaller than the input length. "
                                 f"Received: input_shape={tuple(input_shape)}, cropping={self.cropping}")
        return (input_shape[0], length, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}

    _keras_built_at_init = True
