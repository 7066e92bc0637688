"""GaussianNoise, GaussianDropout, AlphaDropout and ActivityRegularization (Keras 3's arguments, configs and numbers).

The three noise layers act only while training (`ctx.training`) and are the identity otherwise. Like `Dropout`,
they draw their randomness from the call context's key stream (`ctx.next_rng()`), with `seed` folded in: so they
run inside the compiled training epoch, and `lstmkit.utils.set_random_seed(n)` replays the same noise. They keep
no SeedGenerator of their own (Keras's do), hence no seed state among their variables.
"""

from __future__ import annotations

import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit import regularizers as regularizers_mod
from lstmkit.layers.base import Layer
from lstmkit.layers.convolution import SpatialDropout1D  # noqa: F401  (Keras 2.9+'s `keras.layers.regularization`
from lstmkit.layers.core import Dropout  # noqa: F401  held these too, so old imports from it find them here)

# SELU's constants (Klambauer et al., 2017), as Keras's AlphaDropout writes them.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _unit_interval(value, argname):
    """Keras's check of `rate` / `stddev`: a number in [0, 1], else its ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"Invalid value received for argument `{argname}`. Expected a float value between 0 and 1. "
                         f"Received: {argname}={value}")
    return value


def _noise_shape_arg(noise_shape):
    """None, or a tuple/list of positive ints and Nones (the input's size); Keras's Dropout messages."""
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str):
        raise ValueError("Invalid value received for argument `noise_shape`. Expected a tuple or list of integers. "
                         f"Received: noise_shape={noise_shape}")
    if not isinstance(noise_shape, (list, tuple)):
        try:
            noise_shape = tuple(noise_shape)
        except TypeError:
            raise ValueError("Invalid value received for argument `noise_shape`. Expected an iterable of integers "
                             f"(e.g., a tuple or list). Received: noise_shape={noise_shape}") from None
    for i, dim in enumerate(noise_shape):
        if dim is None:
            continue
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise ValueError("Invalid value received for argument `noise_shape`. Expected all elements to be "
                             f"integers or None. Received element at index {i}: {dim} (type: {type(dim).__name__})")
        if dim <= 0:
            raise ValueError("Invalid value received for argument `noise_shape`. Expected all dimensions to be "
                             f"positive integers or None. Received negative or zero value at index {i}: {dim}")
    return noise_shape


def _training(ctx, training):
    # `training` given to the call itself (a user's subclass calling `super().call(x, training=True)`) wins.
    return ctx.training if training is None else bool(training)


def _key(layer, ctx):
    key = ctx.next_rng()
    return key if layer.seed is None else jax.random.fold_in(key, layer.seed)


def _infinite_noise(layer):
    # Keras divides by zero here (ZeroDivisionError in the call); say what is wrong instead.
    return ValueError(f"{type(layer).__name__} '{layer.name}' has rate=1: its noise would be infinite, so it cannot "
                      "be applied while training. Use a rate below 1.")


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` while training."""

    supports_masking = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = _unit_interval(stddev, "stddev")
        self.seed = seed
        self._build_at_init()

    def call(self, params, inputs, ctx, training=None):
        if not _training(ctx, training) or self.stddev == 0:
            return inputs
        x = jnp.asarray(inputs, jnp.float32)
        return x + self.stddev * jax.random.normal(_key(self, ctx), x.shape, jnp.float32)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_built_at_init = True  # Keras builds it in __init__, so its files hold no build_config


class GaussianDropout(Layer):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation `sqrt(rate / (1 - rate))` while
    training."""

    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _unit_interval(rate, "rate")
        self.seed = seed
        self._build_at_init()

    def call(self, params, inputs, ctx, training=None):
        if not _training(ctx, training) or self.rate == 0:
            return inputs
        if self.rate == 1:
            raise _infinite_noise(self)
        x = jnp.asarray(inputs, jnp.float32)
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return x * (1.0 + stddev * jax.random.normal(_key(self, ctx), x.shape, jnp.float32))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_built_at_init = True


class AlphaDropout(Layer):
    """Dropout for SELU networks: dropped inputs are set to SELU's negative saturation value, and an affine
    correction keeps the mean and variance of the inputs (while training)."""

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _unit_interval(rate, "rate")
        self.noise_shape = _noise_shape_arg(noise_shape)
        self.seed = seed
        self._build_at_init()

    def call(self, params, inputs, ctx, training=None):
        if not _training(ctx, training) or self.rate == 0:
            return inputs
        if self.rate == 1:
            raise _infinite_noise(self)
        x = jnp.asarray(inputs, jnp.float32)
        shape = x.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(x.shape, self.noise_shape))
            if len(self.noise_shape) != x.ndim or any(n not in (1, s) for n, s in zip(shape, x.shape)):
                raise ValueError(f"AlphaDropout '{self.name}': noise_shape={self.noise_shape} does not fit inputs of "
                                 f"shape {x.shape}: it needs one entry per axis, each None, 1 or the axis's size.")
        kept = (jax.random.uniform(_key(self, ctx), shape, jnp.float32) >= self.rate).astype(jnp.float32)
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (x * kept + alpha_p * (1 - kept)) + b

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_built_at_init = True


class ActivityRegularization(Layer):
    """Returns its inputs and adds `l1 * sum(|x|) + l2 * sum(x ** 2)`, divided by the batch size, to the loss.

    It is the layer's `activity_regularizer` (an `L1L2`), so the term reaches `layer.losses` and `fit`'s loss
    the way every layer's activity regularization does.
    """

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers_mod.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1  # as given (None stays None), as Keras's config records them
        self.l2 = l2
        self._build_at_init()

    def call(self, params, inputs, ctx):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        base = super().get_config()
        base.pop("activity_regularizer", None)  # l1 and l2 stand for it
        return {**base, "l1": self.l1, "l2": self.l2}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_built_at_init = True
