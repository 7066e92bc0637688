"""GroupNormalization and UnitNormalization, with Keras 3's arguments, weights, numbers and configs.

Kept apart from normalization.py (BatchNormalization, LayerNormalization) only for the size of that file.
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import regularizers as regularizers_mod
from lstmkit.layers.base import Layer
from lstmkit.layers.normalization import _axis_error, _ser


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _out_of_range(axis, ndim):
    return axis >= ndim or axis < -ndim


class GroupNormalization(Layer):
    """Splits the channels (`axis`) into `groups` and normalizes each sample within each group, over the group's
    channels and every other non-batch axis: `gamma * (x - mean) / sqrt(var + epsilon) + beta`, with one gamma
    and beta per channel.

    `groups=1` is close to LayerNormalization over all axes; `groups=-1` (one group per channel) is instance
    normalization. Masks pass through unchanged (they do not enter the statistics, as in Keras).
    """

    supports_masking = True

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        if not _is_int(groups) or (groups <= 0 and groups != -1):
            raise ValueError("Received an invalid value for argument `groups`, expected a positive integer (or `-1` "
                             f"for instance normalization). Received: groups={groups}")
        super().__init__(**kwargs)
        if not _is_int(axis):
            # Keras documents a list too, but its build can only index the input shape with one int.
            raise TypeError(f"GroupNormalization: `axis` must be an integer, received {axis!r} "
                            f"(of type {type(axis).__name__}).")
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real):
            raise TypeError(f"GroupNormalization: `epsilon` must be a number, received {epsilon!r}.")
        self.groups = int(groups)
        self.axis = int(axis)
        self.epsilon = epsilon  # kept as given: Keras's config records it so
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers_mod.get(beta_initializer)
        self.gamma_initializer = initializers_mod.get(gamma_initializer)
        self.beta_regularizer = regularizers_mod.get(beta_regularizer)
        self.gamma_regularizer = regularizers_mod.get(gamma_regularizer)
        self.beta_constraint = constraints_mod.get(beta_constraint)
        self.gamma_constraint = constraints_mod.get(gamma_constraint)
        self.gamma = None
        self.beta = None

    def build(self, input_shape):
        if _out_of_range(self.axis, len(input_shape)):
            raise _axis_error(f"Axis {self.axis} is out of bounds for input shape {tuple(input_shape)}. "
                              f"Received: axis={self.axis}")
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension but the layer "
                             f"received an input with shape {tuple(input_shape)}.")
        if self.groups == -1:
            self.groups = dim  # Keras's config then says the number of channels
        if dim < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number of channels ({dim}).")
        if dim % self.groups != 0:
            raise ValueError(f"Number of groups ({self.groups}) must be a multiple of the number of channels ({dim}).")
        if self.scale:
            self.gamma = self.add_weight(shape=(dim,), name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=(dim,), name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self._build_ndim = len(input_shape)
        self._build_dim = dim
        self.built = True

    def _check_input_shape(self, shape):
        # Keras's InputSpec once built: the same rank, the same number of channels.
        ndim = self.__dict__.get("_build_ndim")
        if ndim is None or not isinstance(shape, tuple):
            return
        if len(shape) != ndim:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected ndim={ndim}, '
                             f"found ndim={len(shape)}. Full shape received: {tuple(shape)}")
        if shape[self.axis] is not None and shape[self.axis] != self._build_dim:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis '
                             f"{self.axis} of input shape to have value {self._build_dim}, but received input "
                             f"with shape {tuple(shape)}")

    def _grouped(self, shape):
        """`shape` with the channel axis split into (groups, channels // groups)."""
        out = list(shape)
        out[self.axis] = shape[self.axis] // self.groups
        out.insert(self.axis, self.groups)  # for a negative axis, insert() lands just before the channels too
        return out

    def call(self, params, inputs, ctx):
        x = jnp.asarray(inputs, jnp.float32)
        grouped = jnp.reshape(x, self._grouped(x.shape))
        group_axis = self.axis % x.ndim  # where `groups` sits in `grouped`
        axes = tuple(a for a in range(1, grouped.ndim) if a != group_axis)
        mean = jnp.mean(grouped, axis=axes, keepdims=True)
        variance = jnp.var(grouped, axis=axes, keepdims=True)
        weight_shape = [1] * x.ndim  # gamma and beta, grouped like the channels
        weight_shape[self.axis] = x.shape[self.axis] // self.groups
        weight_shape.insert(self.axis, self.groups)
        # Keras's order of operations: x * (rsqrt(var + eps) * gamma) + (beta - mean * that).
        inv = jax.lax.rsqrt(variance + self.epsilon)
        if self.scale:
            inv = inv * jnp.reshape(params["gamma"], weight_shape)
        res = -mean * inv
        if self.center:
            res = res + jnp.reshape(params["beta"], weight_shape)
        return jnp.reshape(grouped * inv + res, x.shape)

    def compute_output_shape(self, input_shape):
        if _out_of_range(self.axis, len(input_shape)):
            raise ValueError(f"Axis {self.axis} is out of bounds for input shape {tuple(input_shape)}. "
                             f"Received: axis={self.axis}")
        return input_shape

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers_mod.serialize(self.beta_initializer),
                "gamma_initializer": initializers_mod.serialize(self.gamma_initializer),
                "beta_regularizer": _ser(regularizers_mod, self.beta_regularizer),
                "gamma_regularizer": _ser(regularizers_mod, self.gamma_regularizer),
                "beta_constraint": _ser(constraints_mod, self.beta_constraint),
                "gamma_constraint": _ser(constraints_mod, self.gamma_constraint)}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    def param_count_formula(self):
        c = self.__dict__.get("_build_dim")
        if c is None:
            return None
        n = int(bool(self.scale)) + int(bool(self.center))
        return f"{c} × {n}", n * c, "channels × (gamma if scale, beta if center)"


class UnitNormalization(Layer):
    """Scales each sample to an L2 norm of 1 over `axis` (an int or a list): `x / sqrt(sum(x ** 2))`, the inverse
    norm capped at 1e12 so that an all-zero sample stays zero."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and all(_is_int(a) for a in axis):
            self.axis = [int(a) for a in axis]
        elif _is_int(axis):
            self.axis = int(axis)
        else:
            raise TypeError("Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
                            f"Received: axis={axis}")
        self._build_at_init()

    def _axes(self):
        return self.axis if isinstance(self.axis, list) else [self.axis]

    def _check_input_shape(self, shape):
        if isinstance(shape, tuple) and all(d is None or _is_int(d) for d in shape):
            self.compute_output_shape(shape)

    def call(self, params, inputs, ctx):
        x = jnp.asarray(inputs, jnp.float32)
        square_sum = jnp.sum(jnp.square(x), axis=tuple(self._axes()), keepdims=True)
        return x * jnp.minimum(jax.lax.rsqrt(square_sum), 1e12)  # Keras's ops.normalize(epsilon=1e-12)

    def compute_output_shape(self, input_shape):
        for axis in self._axes():
            if _out_of_range(axis, len(input_shape)):
                raise ValueError(f"Axis {self.axis} is out of bounds for input shape {tuple(input_shape)}.")
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_built_at_init = True  # Keras builds it in __init__, so its files hold no build_config
