"""Activation layers: LeakyReLU, PReLU, ELU, ReLU and Softmax, with Keras 3's arguments, configs, weights and
numbers (Keras 2's `keras.layers.advanced_activations`)."""

from __future__ import annotations

import numbers
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit import activations as activations_mod
from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import regularizers as regularizers_mod
from lstmkit.layers.base import Layer


def _ser(mod, obj):
    return None if obj is None else mod.serialize(obj)


def _number(value, argname, layer, allow_none=False):
    """A number argument; anything else is a TypeError naming it (Keras fails comparing it with 0)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"{layer}: `{argname}` must be a number; received {argname}={value!r} "
                        f"(of type {type(value).__name__}).")
    return value


class _Elementwise(Layer):
    """An activation with no weights: built at once, passes the mask on, output shape = input shape."""

    supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape

    # --- facts a layer owns: Keras builds these in __init__, so its files hold no build_config
    _keras_built_at_init = True


class LeakyReLU(_Elementwise):
    """`x` for `x >= 0`, `negative_slope * x` otherwise (Keras 2's `alpha` is the same argument)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # Keras 2's name; Keras 3 takes it with this warning
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or _number(negative_slope, "negative_slope", "LeakyReLU") < 0:
            raise ValueError("The negative_slope value of a Leaky ReLU layer cannot be None or negative value. "
                             f"Expected a float. Received: negative_slope={negative_slope}")
        self.negative_slope = negative_slope
        self._build_at_init()

    def call(self, params, inputs, ctx):
        return activations_mod.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}

    @classmethod
    def keras2_config(cls, config, where):
        # tf.keras 2 wrote the slope as `alpha`.
        if "alpha" in config:
            config["negative_slope"] = config.pop("alpha")
        return config

    @classmethod
    def to_keras2_config(cls, config, where, convert):
        config = dict(config)
        config["alpha"] = config.pop("negative_slope")
        return config


class ELU(_Elementwise):
    """`x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _number(alpha, "alpha", "ELU")
        self._build_at_init()

    def call(self, params, inputs, ctx):
        return activations_mod.elu(inputs, alpha=self.alpha)

    def get_config(self):
        # Keras's ELU has no get_config of its own: its automatic config puts `alpha` right after `name`.
        base = super().get_config()
        return {"name": base.pop("name"), "alpha": self.alpha, **base}


class ReLU(_Elementwise):
    """`max(x, 0)`, capped at `max_value`, zero up to `threshold`, and `negative_slope * (x - threshold)` below it."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and _number(max_value, "max_value", "ReLU") < 0.0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. Received: max_value={max_value}")
        if negative_slope is None or _number(negative_slope, "negative_slope", "ReLU") < 0.0:
            raise ValueError("negative_slope of a ReLU layer cannot be None or a negative value. "
                             f"Received: negative_slope={negative_slope}")
        if threshold is None or _number(threshold, "threshold", "ReLU") < 0.0:
            raise ValueError(f"threshold of a ReLU layer cannot be None or a negative value. Received: "
                             f"threshold={threshold}")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self._build_at_init()

    def call(self, params, inputs, ctx):
        return activations_mod.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                    threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


def _large_negative_number(dtype):
    # What masked logits become before the softmax (Keras's choice: -1e9, -3e4 in float16).
    return -3e4 if jnp.dtype(dtype) == jnp.float16 else -1e9


class Softmax(_Elementwise):
    """`exp(x) / sum(exp(x))` along `axis` (an int or a list of ints); masked positions get 0.

    `mask` (1 keeps, 0 masks; float masks keep values > 0.5) must broadcast to the inputs.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis  # kept as given (an int, or a tuple / list), as Keras's config records it
        self._build_at_init()

    def call(self, params, inputs, ctx, mask=None):
        if mask is not None:
            mask = jnp.asarray(mask)
            if mask.ndim > inputs.ndim:
                raise ValueError("The `mask` must be broadcastable to `inputs` and must not have more dimensions. "
                                 f"Received: inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}")
            for m_dim, i_dim in zip(mask.shape[::-1], inputs.shape[::-1]):
                if m_dim != 1 and m_dim != i_dim:
                    raise ValueError("The `mask` must be broadcastable to `inputs`. Each mask dimension must be 1 "
                                     "or match the corresponding input dimension. Received: "
                                     f"inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}")
            if mask.dtype != jnp.bool_:
                mask = mask > jnp.asarray(0.5, mask.dtype)
            inputs = jnp.where(mask, inputs, _large_negative_number(inputs.dtype))
        if isinstance(self.axis, (tuple, list)) and len(self.axis) > 1:
            axes = tuple(self.axis)
            outputs = jnp.exp(inputs - jax.scipy.special.logsumexp(inputs, axis=axes, keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, (tuple, list)) else self.axis
            outputs = activations_mod.softmax(inputs, axis=axis)
        if mask is not None:
            # A wholly masked axis would come out uniform: zeroed instead, as Keras does.
            outputs = jnp.where(mask, outputs, 0.0)
        return outputs

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class PReLU(Layer):
    """`x` for `x >= 0`, `alpha * x` otherwise, with `alpha` a learned weight of the input's shape (less the batch
    axis), of size 1 along each of `shared_axes`."""

    supports_masking = True

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers_mod.get(alpha_initializer)
        self.alpha_regularizer = regularizers_mod.get(alpha_regularizer)
        self.alpha_constraint = constraints_mod.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)
        for a in self.shared_axes or ():
            if isinstance(a, bool) or not isinstance(a, (int, np.integer)) or a < 1:
                raise ValueError("PReLU: `shared_axes` must be axes of the input counted from 1 (the batch axis, 0, "
                                 f"cannot be shared); received shared_axes={shared_axes!r}.")

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        param_shape = list(input_shape[1:])
        for a in self.shared_axes or ():
            if a >= len(input_shape):
                raise ValueError(f"PReLU layer '{self.name}': shared axis {a} is out of range for inputs of shape "
                                 f"{input_shape}.")
            param_shape[a - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f"PReLU layer '{self.name}' needs the sizes of the axes it does not share known; "
                             f"received input shape {input_shape} with shared_axes={self.shared_axes}.")
        self.alpha = self.add_weight(shape=param_shape, name="alpha", initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        self._build_ndim = len(input_shape)
        # Keras's InputSpec once built: the same rank and the same sizes on the axes not shared.
        self._build_axes = {i: input_shape[i] for i in range(1, len(input_shape))
                            if self.shared_axes and i not in self.shared_axes}
        self.built = True

    def _check_input_shape(self, shape):
        ndim = self.__dict__.get("_build_ndim")
        if ndim is None or not isinstance(shape, tuple):
            return
        if len(shape) != ndim:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected ndim={ndim}, '
                             f"found ndim={len(shape)}. Full shape received: {shape}")
        for axis, size in self._build_axes.items():
            if shape[axis] is not None and shape[axis] != size:
                raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis '
                                 f"{axis} of input shape to have value {size}, but received input with shape {shape}")

    def call(self, params, inputs, ctx):
        # Keras's form, relu(x) - alpha * relu(-x), so the gradients at 0 are Keras's too.
        return jax.nn.relu(inputs) - params["alpha"] * jax.nn.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers_mod.serialize(self.alpha_initializer),
                "alpha_regularizer": _ser(regularizers_mod, self.alpha_regularizer),
                "alpha_constraint": _ser(constraints_mod, self.alpha_constraint), "shared_axes": self.shared_axes}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    def param_count_formula(self):
        alpha = next((v for v in self._vars if v.name == "alpha"), None)
        if alpha is None:
            return None
        n = int(np.prod(alpha.shape))
        return " × ".join(str(d) for d in alpha.shape) or "1", n, "one slope per input position (shared axes: 1)"
