"""Activation functions with Keras 3's names, arguments and numerics, written in jax.numpy.

Every function is differentiable by JAX and safe under `jax.jit`. `get()` turns the
identifiers Keras accepts (None, a name, a config dict, a callable) into a function;
`ACTIVATIONS` maps every known name (aliases included) to its function, so the
recurrent kernels can recognise a built-in activation.

`hard_sigmoid` is Keras 3's `relu6(x + 3) / 6`. Keras 2 meant `clip(0.2 x + 0.5, 0, 1)`
by the same name; that is `hard_sigmoid_keras2`, and `get('hard_sigmoid', keras2=True)`
returns it (for configs read from Keras 2 model files).
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp

from lstmkit._kernels import activation_grads


# ----------------------------------------------------------------------------- ReLU family
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """`max(x, 0)` by default; `negative_slope`, `max_value` and `threshold` as in Keras."""
    x = jnp.asarray(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return jax.nn.leaky_relu(x, negative_slope=negative_slope)
        negative_part = jax.nn.relu(threshold - x) if threshold != 0 else jax.nn.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        # Values at or below the threshold are zeroed.
        x = jnp.where(x > jnp.asarray(threshold, x.dtype), x, jnp.zeros((), x.dtype))
    elif max_value == 6:
        x = jax.nn.relu6(x)
        clip_max = False
    else:
        x = jax.nn.relu(x)
    if clip_max:
        x = jnp.clip(x, jnp.asarray(0, x.dtype), jnp.asarray(max_value, x.dtype))
    if negative_slope != 0.0:
        x = x - negative_slope * negative_part
    return x


def leaky_relu(x, negative_slope=0.2):
    """`x` for `x >= 0`, `negative_slope * x` otherwise."""
    return jax.nn.leaky_relu(jnp.asarray(x), negative_slope=negative_slope)


def relu6(x):
    """`min(max(x, 0), 6)`."""
    return jax.nn.relu6(jnp.asarray(x))


def elu(x, alpha=1.0):
    """`x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise."""
    return jax.nn.elu(jnp.asarray(x), alpha=alpha)


def selu(x):
    """Scaled ELU (`scale=1.05070098`, `alpha=1.67326324`)."""
    return jax.nn.selu(jnp.asarray(x))


def celu(x, alpha=1.0):
    """`x` for `x >= 0`, `alpha * (exp(x / alpha) - 1)` otherwise."""
    return jax.nn.celu(jnp.asarray(x), alpha=alpha)


def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, `default_value` elsewhere."""
    x = jnp.asarray(x)
    return jnp.where(x > threshold, x, default_value)


# ----------------------------------------------------------------------------- sigmoids
def sigmoid(x):
    """`1 / (1 + exp(-x))`."""
    return jax.nn.sigmoid(jnp.asarray(x))


def hard_sigmoid(x):
    """Keras 3's hard sigmoid: `relu6(x + 3) / 6` (0 below -3, 1 above 3)."""
    return jax.nn.hard_sigmoid(jnp.asarray(x))


def hard_sigmoid_keras2(x):
    """Keras 2's hard sigmoid: `clip(0.2 * x + 0.5, 0, 1)`."""
    x = jnp.asarray(x)
    return jnp.clip(0.2 * x + 0.5, 0.0, 1.0)


def sparse_sigmoid(x):
    """0 for `x <= -1`, `(x + 1) / 2` on (-1, 1), 1 for `x >= 1`."""
    return jax.nn.sparse_sigmoid(jnp.asarray(x))


def log_sigmoid(x):
    """`log(sigmoid(x))`, computed stably."""
    return jax.nn.log_sigmoid(jnp.asarray(x))


# ----------------------------------------------------------------------------- tanh family
def tanh(x):
    """Hyperbolic tangent."""
    return jnp.tanh(jnp.asarray(x))


def hard_tanh(x):
    """`clip(x, -1, 1)`."""
    return jax.nn.hard_tanh(jnp.asarray(x))


def tanh_shrink(x):
    """`x - tanh(x)`."""
    x = jnp.asarray(x)
    return x - jnp.tanh(x)


def soft_shrink(x, threshold=0.5):
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, 0 between."""
    x = jnp.asarray(x)
    zero = jnp.zeros((), x.dtype)
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, zero))


def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, 0 elsewhere."""
    x = jnp.asarray(x)
    return jnp.where(jnp.abs(x) > threshold, x, jnp.zeros((), x.dtype))


# ----------------------------------------------------------------------------- smooth units
def softplus(x):
    """`log(exp(x) + 1)`."""
    return jax.nn.softplus(jnp.asarray(x))


def softsign(x):
    """`x / (|x| + 1)`."""
    return jax.nn.soft_sign(jnp.asarray(x))


def sparse_plus(x):
    """0 for `x <= -1`, `(x + 1)^2 / 4` on (-1, 1), `x` for `x >= 1`."""
    return jax.nn.sparse_plus(jnp.asarray(x))


def squareplus(x, b=4):
    """`(x + sqrt(x^2 + b)) / 2`."""
    return jax.nn.squareplus(jnp.asarray(x), b=b)


def silu(x):
    """Swish / SiLU: `x * sigmoid(x)`."""
    return jax.nn.silu(jnp.asarray(x))


swish = silu


def hard_silu(x):
    """Hard swish: `x * relu6(x + 3) / 6`."""
    return jax.nn.hard_silu(jnp.asarray(x))


hard_swish = hard_silu


def gelu(x, approximate=False):
    """Gaussian error linear unit; exact (erf) by default, the tanh form with `approximate=True`."""
    return jax.nn.gelu(jnp.asarray(x), approximate=approximate)


def mish(x):
    """`x * tanh(softplus(x))`."""
    x = jnp.asarray(x)
    return x * jnp.tanh(jax.nn.softplus(x))


def exponential(x):
    """`exp(x)`."""
    return jnp.exp(jnp.asarray(x))


def linear(x):
    """The identity: returns `x` unmodified."""
    return x


def glu(x, axis=-1):
    """Gated linear unit: splits `axis` in halves `a, b` and returns `a * sigmoid(b)`."""
    return jax.nn.glu(jnp.asarray(x), axis=axis)


# ----------------------------------------------------------------------------- normalising
def _warn_size_one_axis(x, axis, what):
    if isinstance(axis, int) and -x.ndim <= axis < x.ndim and x.shape[axis] == 1:
        warnings.warn(
            f"You are using a {what} over axis {axis} of a tensor of shape {x.shape}. This axis "
            f"has size 1. The {what} operation will always return the value 1, which is likely "
            "not what you intended. Did you mean to use a sigmoid instead?",
            stacklevel=3,
        )


def softmax(x, axis=-1):
    """`exp(x) / sum(exp(x))` along `axis` (an int or a tuple of ints)."""
    x = jnp.asarray(x)
    _warn_size_one_axis(x, axis, "softmax")
    return jax.nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """`x - logsumexp(x)` along `axis`."""
    return jax.nn.log_softmax(jnp.asarray(x), axis=axis)


def sparsemax(x, axis=-1):
    """Euclidean projection of `x` onto the probability simplex along `axis` (sparse softmax)."""
    x = jnp.asarray(x)
    z = jnp.flip(jnp.sort(x, axis=axis), axis=axis)  # descending
    cumsum = jnp.cumsum(z, axis=axis)
    n = x.shape[axis]
    shape = [1] * x.ndim
    shape[axis] = n
    k = jnp.arange(1, n + 1, dtype=x.dtype).reshape(shape)
    support = z - (cumsum - 1) / k > 0
    k_z = jnp.sum(support, axis=axis, keepdims=True).astype(x.dtype)
    tau = (jnp.sum(jnp.where(support, cumsum, 0.0), axis=axis, keepdims=True) - 1) / k_z
    return jnp.maximum(x - tau, 0.0)


# ----------------------------------------------------------------------------- registry
_CANONICAL = (
    celu, elu, exponential, gelu, glu, hard_shrink, hard_sigmoid, hard_silu, hard_tanh, leaky_relu,
    linear, log_sigmoid, log_softmax, mish, relu, relu6, selu, sigmoid, silu, soft_shrink, softmax,
    softplus, softsign, sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh, tanh_shrink, threshold,
)

#: Every activation name Keras 3 knows (aliases included) -> our function.
ACTIVATIONS: dict = {fn.__name__: fn for fn in _CANONICAL}
ACTIVATIONS["swish"] = silu
ACTIVATIONS["hard_swish"] = hard_silu

#: Names that only lstmkit knows (accepted by `get`, not offered by Keras).
_LSTMKIT_ONLY = {"hard_sigmoid_keras2": hard_sigmoid_keras2}

# Our function -> the name `serialize` writes (Keras's name for it).
_NAMES: dict = {fn: fn.__name__ for fn in _CANONICAL}
_NAMES[hard_sigmoid_keras2] = "hard_sigmoid_keras2"


def _describe(identifier, argname):
    return f"{argname}={identifier!r}" if argname else repr(identifier)


def _unknown(identifier, argname=None):
    where = f" for argument `{argname}`" if argname else ""
    return ValueError(
        f"Unknown activation{where}: {identifier!r}. Expected a callable or one of: "
        f"{', '.join(sorted(ACTIVATIONS))} (received: {_describe(identifier, argname)})"
    )


def _lookup(name, keras2, custom_objects, argname):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if keras2 and name == "hard_sigmoid":
        return hard_sigmoid_keras2
    fn = ACTIVATIONS.get(name) or _LSTMKIT_ONLY.get(name)
    if fn is None:
        raise _unknown(name, argname)
    return fn


def get(identifier, keras2=False, argname=None, custom_objects=None):
    """Resolves an activation identifier to a function.

    `None` -> `linear`; a name (Keras's names and aliases); a config dict (Keras 3's
    `{'class_name': 'function', 'config': 'relu', ...}`, or `{'class_name': 'relu'}`);
    a callable -> itself. `keras2=True` reads names with Keras 2's meaning
    ('hard_sigmoid' -> `hard_sigmoid_keras2`). `argname` names the argument in errors;
    `custom_objects` maps extra names to callables.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return _lookup(identifier, keras2, custom_objects, argname)
    if isinstance(identifier, dict):
        return deserialize(identifier, keras2=keras2, argname=argname, custom_objects=custom_objects)
    if callable(identifier):
        return identifier
    raise _unknown(identifier, argname)


def serialize(activation):
    """Keras's name string for one of our activations; a user function's `__name__`.

    A callable object with `get_config` gives a Keras-style `{'class_name', 'config'}` dict.
    """
    if activation is None:
        return "linear"
    try:
        name = _NAMES.get(activation)
    except TypeError:  # unhashable callable object
        name = None
    if name is not None:
        return name
    if hasattr(activation, "__name__"):
        return activation.__name__
    if hasattr(activation, "get_config"):
        return {"module": type(activation).__module__, "class_name": type(activation).__name__,
                "config": activation.get_config(), "registered_name": type(activation).__name__}
    raise ValueError(f"Cannot serialize activation {activation!r}: it has no `__name__` and no `get_config()`.")


def deserialize(config, keras2=False, argname=None, custom_objects=None):
    """The function for a name or a Keras config dict (see `get`)."""
    if isinstance(config, str):
        return _lookup(config, keras2, custom_objects, argname)
    if isinstance(config, dict):
        class_name = config.get("class_name")
        inner = config.get("config")
        if class_name == "function" and isinstance(inner, str):
            name = inner
            if custom_objects and config.get("registered_name") in custom_objects:
                name = config["registered_name"]
            return _lookup(name, keras2, custom_objects, argname)
        if isinstance(class_name, str):
            if custom_objects and class_name in custom_objects:
                obj = custom_objects[class_name]
                if isinstance(obj, type):
                    obj = obj.from_config(inner or {}) if hasattr(obj, "from_config") else obj(**(inner or {}))
                return obj
            return _lookup(class_name, keras2, custom_objects, argname)
    raise _unknown(config, argname)


# The derivatives the fused recurrent kernels take from an activation's output.
for _fn, _derivative in ((sigmoid, activation_grads.SIGMOID), (tanh, activation_grads.TANH),
                         (relu, activation_grads.RELU), (linear, activation_grads.LINEAR),
                         (hard_sigmoid, activation_grads.HARD_SIGMOID),
                         (hard_sigmoid_keras2, activation_grads.HARD_SIGMOID_KERAS2),
                         (hard_tanh, activation_grads.HARD_TANH), (relu6, activation_grads.RELU6),
                         (elu, activation_grads.ELU), (softplus, activation_grads.SOFTPLUS),
                         (softsign, activation_grads.SOFTSIGN), (exponential, activation_grads.EXPONENTIAL)):
    activation_grads.register(_fn, _derivative)
del _fn, _derivative
