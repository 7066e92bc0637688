"""BatchNormalization and LayerNormalization, with Keras 3's arguments, weights, numbers and configs.

Both are written the Keras way (`build` with `add_weight`, `call(self, inputs, ...)` on `self.gamma` etc.),
so the moving statistics BatchNormalization assigns while training are carried through compiled epochs
by the layer contract (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import ops
from lstmkit import regularizers as regularizers_mod
from lstmkit.backend import config as backend_config
from lstmkit.layers.base import Layer


def _ser(mod, obj):
    return None if obj is None else mod.serialize(obj)


def _axis_error(message):
    # Keras raises IndexError (from `input_shape[axis]` in build) or ValueError (compute_output_shape)
    # for an axis out of range; NumPy's AxisError is both.
    return np.exceptions.AxisError(message)


def _as_int(value, argname, layer):
    if isinstance(value, bool):
        raise TypeError(f"{layer}: `{argname}` must be an integer, received {value!r}.")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)  # Keras takes int(axis)
    error = ValueError if isinstance(value, (str, float, np.floating)) else TypeError  # int()'s own types
    raise error(f"{layer}: `{argname}` must be an integer, received {value!r} "
                f"(of type {type(value).__name__}).")


def _as_float(value, argname, layer):
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        error = ValueError if isinstance(value, str) else TypeError  # as float() raises
        raise error(f"{layer}: `{argname}` must be a number, received {value!r} (of type {type(value).__name__}).")
    return float(value)


def _check_axes(axes, input_shape, axis_arg):
    ndim = len(input_shape)
    for axis in axes:
        if axis >= ndim or axis < -ndim:
            raise _axis_error(f"Axis {axis} is out of bounds for input shape {tuple(input_shape)}. "
                              f"Received: axis={axis_arg}")


def _sized(input_shape, axes, layer):
    dims = tuple(input_shape[a] for a in axes)
    if any(d is None for d in dims):
        raise ValueError(f"{type(layer).__name__} layer '{layer.name}' needs the size of axis {list(axes)} known; "
                         f"received input shape {tuple(input_shape)}.")
    return dims


def _clone(initializer):
    # A fresh copy per weight, as Keras does, so a seeded random initializer is not drawn from twice.
    if hasattr(initializer, "get_config") and hasattr(type(initializer), "from_config"):
        return type(initializer).from_config(initializer.get_config())
    return initializer


class BatchNormalization(Layer):
    """Normalizes each feature (`axis`) with the batch's moments while training and the moving ones otherwise.

    Training: `gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta`, and
    `moving = moving * momentum + batch * (1 - momentum)`. Inference (also when `trainable=False`,
    as in Keras): the moving mean and variance instead. A mask (one dimension less than the inputs)
    leaves masked positions out of the batch's moments. `renorm=True` is Batch Renormalization.
    """

    supports_masking = True

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = _as_int(axis, "axis", "BatchNormalization")
        if synchronized:  # lstmkit runs on JAX: Keras's answer for every backend but TensorFlow
            raise ValueError("Argument synchronized=True is only supported with the TensorFlow backend.")
        self.synchronized = synchronized
        self.momentum = _as_float(momentum, "momentum", "BatchNormalization")
        self.epsilon = _as_float(epsilon, "epsilon", "BatchNormalization")
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers_mod.get(beta_initializer)
        self.gamma_initializer = initializers_mod.get(gamma_initializer)
        self.moving_mean_initializer = initializers_mod.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers_mod.get(moving_variance_initializer)
        self.beta_regularizer = regularizers_mod.get(beta_regularizer)
        self.gamma_regularizer = regularizers_mod.get(gamma_regularizer)
        self.beta_constraint = constraints_mod.get(beta_constraint)
        self.gamma_constraint = constraints_mod.get(gamma_constraint)
        self.renorm = renorm
        if renorm:
            renorm_clipping = self._checked_clipping(renorm_clipping)
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.gamma = None
        self.beta = None
        self.moving_mean = None
        self.moving_variance = None
        self._reduction_axes = None

    @staticmethod
    def _checked_clipping(clipping):
        clipping = clipping or {}
        if not isinstance(clipping, dict):
            raise TypeError(f"BatchNormalization: `renorm_clipping` must be a dict with keys among 'rmax', 'rmin', "
                            f"'dmax', received {clipping!r}.")
        keys = ["rmax", "rmin", "dmax"]
        if set(clipping) - set(keys):
            raise ValueError(f"Received invalid keys for `renorm_clipping` argument: {clipping}. "
                             f"Supported values: {keys}.")
        rmax, rmin, dmax = clipping.get("rmax"), clipping.get("rmin"), clipping.get("dmax")
        if rmax is not None and rmin is not None and rmax < rmin:
            raise ValueError(f"rmax should be greater than rmin in the `renorm_clipping` argument. "
                             f"Received: rmax={rmax}, rmin={rmin}.")
        if dmax is not None and dmax < 0:
            raise ValueError(f"dmax should be non-negative in the `renorm_clipping` argument. Received: dmax={dmax}.")
        return clipping

    def build(self, input_shape):
        _check_axes([self.axis], input_shape, self.axis)
        shape = _sized(input_shape, [self.axis], self)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                                         trainable=True)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                                        trainable=True)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean", initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer, trainable=False)
        if self.renorm:
            # Renorm tracks standard deviations (as the paper): they start at sqrt(moving variance's start).
            def stddev_initializer(shape, dtype=None):
                return np.sqrt(np.asarray(_clone(self.moving_variance_initializer)(shape, dtype=dtype)))

            self.moving_stddev = self.add_weight(shape=shape, name="moving_stddev", initializer=stddev_initializer,
                                                 trainable=False)
            # The statistics r and d are measured against while training (not those used for inference).
            self.renorm_mean = self.add_weight(shape=shape, name="renorm_mean",
                                               initializer=_clone(self.moving_mean_initializer), trainable=False)
            self.renorm_stddev = self.add_weight(shape=shape, name="renorm_stddev", initializer=stddev_initializer,
                                                 trainable=False)
        self._build_ndim = len(input_shape)
        self._build_features = shape[0]
        axes = list(range(len(input_shape)))
        del axes[self.axis]
        self._reduction_axes = axes
        self.built = True

    def _check_input_shape(self, shape):
        # Keras's InputSpec once built: the same rank, the same size of `axis`.
        ndim = self.__dict__.get("_build_ndim")
        if ndim is None or not isinstance(shape, tuple):
            return
        if len(shape) != ndim:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected ndim={ndim}, '
                             f"found ndim={len(shape)}. Full shape received: {tuple(shape)}")
        if shape[self.axis] is not None and shape[self.axis] != self._build_features:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis '
                             f"{self.axis} of input shape to have value {self._build_features}, but received input "
                             f"with shape {tuple(shape)}")

    def compute_output_shape(self, input_shape):
        _check_axes([self.axis], input_shape, self.axis)
        return input_shape

    def call(self, inputs, training=None, mask=None):
        if mask is not None and len(mask.shape) != len(inputs.shape) - 1:
            raise ValueError("The mask provided should be one dimension less than the inputs. Received: "
                             f"mask.shape={tuple(mask.shape)}, inputs.shape={tuple(inputs.shape)}")
        inputs = ops.cast(inputs, "float32")
        moving_mean = ops.cast(self.moving_mean, "float32")
        moving_variance = ops.cast(self.moving_variance, "float32")
        gamma = ops.cast(self.gamma, "float32") if self.scale else None
        beta = ops.cast(self.beta, "float32") if self.center else None
        if training and self.trainable:  # a frozen BatchNormalization runs in inference mode, as Keras's
            mean, variance = self._moments(inputs, mask)
            if self.renorm:
                r, d = self._renorm_correction(mean, variance)
                # (x̂ r + d) γ + β = x̂ (r γ) + (d γ + β); r and d are constants to the gradient.
                r, d = ops.stop_gradient(r), ops.stop_gradient(d)
                gamma, beta = (r, d) if gamma is None else (r * gamma, d * gamma)
                if self.center:
                    beta = beta + ops.cast(self.beta, "float32")
                self._update_renorm_statistics(mean, variance)
            else:
                self.moving_mean.assign(moving_mean * self.momentum + mean * (1.0 - self.momentum))
                self.moving_variance.assign(moving_variance * self.momentum + variance * (1.0 - self.momentum))
        else:
            mean, variance = moving_mean, moving_variance
        return ops.batch_normalization(inputs, mean, variance, axis=self.axis, offset=beta, scale=gamma,
                                       epsilon=self.epsilon)

    def _moments(self, inputs, mask):
        axes = tuple(self._reduction_axes)
        if mask is None:  # jnp.mean / jnp.var, as Keras's JAX backend computes them
            return ops.mean(inputs, axis=axes), ops.var(inputs, axis=axes)
        # Masked positions count for nothing; backend.epsilon() keeps an all-masked batch at 0, not NaN.
        keep = ops.broadcast_to(ops.expand_dims(ops.cast(mask, "bool"), axis=-1), ops.shape(inputs))
        weight = ops.sum(ops.cast(keep, "float32"), axis=axes, keepdims=True) + backend_config.epsilon()
        mean = ops.sum(ops.where(keep, inputs, 0.0), axis=axes, keepdims=True) / weight
        variance = ops.sum(ops.square(ops.where(keep, inputs - mean, 0.0)), axis=axes, keepdims=True) / weight
        # Squeeze the reduced axes only (Keras squeezes all, which breaks a single feature).
        return ops.squeeze(mean, axis=axes), ops.squeeze(variance, axis=axes)

    def _renorm_correction(self, mean, variance):
        stddev = ops.sqrt(variance + self.epsilon)
        renorm_mean = ops.cast(self.renorm_mean, "float32")
        # At least sqrt(epsilon): no division by a zero stddev early in training.
        renorm_stddev = ops.maximum(ops.cast(self.renorm_stddev, "float32"), np.sqrt(np.float32(self.epsilon)))
        r = stddev / renorm_stddev
        d = (mean - renorm_mean) / renorm_stddev
        rmin, rmax, dmax = (self.renorm_clipping.get(k) for k in ("rmin", "rmax", "dmax"))
        if rmin is not None:
            r = ops.maximum(r, rmin)
        if rmax is not None:
            r = ops.minimum(r, rmax)
        if dmax is not None:
            d = ops.clip(d, -dmax, dmax)
        return r, d

    def _update_renorm_statistics(self, mean, variance):
        stddev = ops.sqrt(variance + self.epsilon)
        rm = self.renorm_momentum
        self.renorm_mean.assign(ops.cast(self.renorm_mean, "float32") * rm + mean * (1.0 - rm))
        self.renorm_stddev.assign(ops.cast(self.renorm_stddev, "float32") * rm + stddev * (1.0 - rm))
        self.moving_mean.assign(ops.cast(self.moving_mean, "float32") * self.momentum + mean * (1.0 - self.momentum))
        moving_stddev = ops.cast(self.moving_stddev, "float32") * self.momentum + stddev * (1.0 - self.momentum)
        self.moving_stddev.assign(moving_stddev)
        # The variance inference uses, from the stddev; relu against rounding below zero.
        self.moving_variance.assign(ops.relu(moving_stddev * moving_stddev - self.epsilon))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers_mod.serialize(self.beta_initializer),
                "gamma_initializer": initializers_mod.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers_mod.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers_mod.serialize(self.moving_variance_initializer),
                "beta_regularizer": _ser(regularizers_mod, self.beta_regularizer),
                "gamma_regularizer": _ser(regularizers_mod, self.gamma_regularizer),
                "beta_constraint": _ser(constraints_mod, self.beta_constraint),
                "gamma_constraint": _ser(constraints_mod, self.gamma_constraint),
                "synchronized": self.synchronized, "renorm": self.renorm, "renorm_clipping": self.renorm_clipping,
                "renorm_momentum": self.renorm_momentum}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    @classmethod
    def keras2_config(cls, config, where):
        # tf.keras 2 writes `axis` as a list ([3]) and arguments Keras 3 dropped.
        axis = config.get("axis")
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise NotImplementedError(f"{where}: BatchNormalization over several axes ({axis}) is not supported "
                                          "by Keras 3 or lstmkit.")
            config["axis"] = axis[0]
        config.pop("fused", None)
        for argname in ("virtual_batch_size", "adjustment"):
            if config.pop(argname, None) is not None:
                raise NotImplementedError(f"{where}: BatchNormalization({argname}=...) of Keras 2 is not supported "
                                          "by Keras 3 or lstmkit.")
        return config

    def param_count_formula(self):
        c = self.__dict__.get("_build_features")
        if c is None:
            return None
        learned = int(bool(self.scale)) + int(bool(self.center))
        stats = 5 if self.renorm else 2
        return (f"{learned + stats} × {c}", (learned + stats) * c,
                "features × (gamma, beta if used, and the non-trainable moving statistics)")


class LayerNormalization(Layer):
    """Normalizes each sample over `axis` (an int or a list): `gamma * (x - mean) / sqrt(var + epsilon) + beta`."""

    supports_masking = True

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, rms_scaling=False, **kwargs):
        if rms_scaling:
            warnings.warn("You passed `rms_scaling=True`, which is deprecated. This argument incorrectly scales the "
                          "input by the variance, not the root mean square. To correctly use RMS Normalization, "
                          "please use `keras.layers.RMSNormalization` instead.", stacklevel=2)
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                                                   for a in axis):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            self.axis = int(axis)
        else:
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: {axis!r}")
        if epsilon is not None and (isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real)):
            raise TypeError(f"LayerNormalization: `epsilon` must be a number, received {epsilon!r}.")
        self.epsilon = epsilon  # kept as given: Keras's config records it so
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers_mod.get(beta_initializer)
        self.gamma_initializer = initializers_mod.get(gamma_initializer)
        self.beta_regularizer = regularizers_mod.get(beta_regularizer)
        self.gamma_regularizer = regularizers_mod.get(gamma_regularizer)
        self.beta_constraint = constraints_mod.get(beta_constraint)
        self.gamma_constraint = constraints_mod.get(gamma_constraint)

    def build(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        _check_axes(axes, input_shape, self.axis)
        # Keras keeps the axes sorted (as written, negative before positive) and as a list once built,
        # and its config says so.
        self.axis = sorted(axes)
        shape = _sized(input_shape, self.axis, self)
        self.gamma = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(name="gamma", shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                                         trainable=True)
        self.beta = None
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                                        trainable=True)
        self.built = True

    def compute_output_shape(self, input_shape):
        _check_axes(self.axis if isinstance(self.axis, list) else [self.axis], input_shape, self.axis)
        return input_shape

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        ndim = len(x.shape)
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        epsilon = backend_config.epsilon() if self.epsilon is None else self.epsilon
        # The weights have the normalized axes' sizes; they broadcast against x in that shape, as Keras's
        # (a reshape, so a list mixing negative and positive axes gets Keras's numbers too).
        shape = [1] * ndim
        for a in axes:
            shape[a] = x.shape[a]

        def broadcast(v):
            if v is None:
                return None
            v = ops.cast(v, "float32")
            return ops.reshape(v, shape) if len(v.shape) != ndim and axes != [ndim - 1] else v

        gamma, beta = broadcast(self.gamma), broadcast(self.beta)
        variance = ops.var(x, axis=tuple(axes), keepdims=True)
        inv = ops.rsqrt(variance + epsilon)
        if self.rms_scaling:  # Keras's deprecated variant: x / sqrt(var + eps), no centering, no beta
            return x * inv if gamma is None else x * inv * gamma
        mean = ops.mean(x, axis=tuple(axes), keepdims=True)
        if gamma is not None:
            inv = inv * gamma
        res = -mean * inv
        if beta is not None:
            res = res + beta
        return x * inv + res

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "rms_scaling": self.rms_scaling,
                "beta_initializer": initializers_mod.serialize(self.beta_initializer),
                "gamma_initializer": initializers_mod.serialize(self.gamma_initializer),
                "beta_regularizer": _ser(regularizers_mod, self.beta_regularizer),
                "gamma_regularizer": _ser(regularizers_mod, self.gamma_regularizer),
                "beta_constraint": _ser(constraints_mod, self.beta_constraint),
                "gamma_constraint": _ser(constraints_mod, self.gamma_constraint)}
