"""Weight regularizers with Keras 3's classes, arguments and numerics (jax.numpy, jittable).

A regularizer is a callable `weights -> scalar penalty` added to the loss. Subclass
`Regularizer` and implement `__call__` (and `get_config` for saving) for your own.
`L2` is `l2 * sum(x ** 2)`, with no 1/2 factor, as in Keras.
"""

from __future__ import annotations

import math
import re

import jax.numpy as jnp
import numpy as np
from jax import lax
from lstmkit._registry import deserialize_object, serialize_object

_EPSILON = 1e-7  # keras.backend.epsilon()


def _validate_float_arg(value, name):
    if (
        isinstance(value, bool)
        or not isinstance(value, (float, int, np.floating, np.integer))
        or math.isinf(value)
        or math.isnan(value)
        or value < 0
    ):
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float."
            f"Received: {name}={value}"
        )
    return float(value)


class Regularizer:
    """Base class: `__call__(x)` returns a scalar penalty (0.0 here)."""

    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x ** 2)`; both default to 0."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _validate_float_arg(0.0 if l1 is None else l1, name="l1")
        self.l2 = _validate_float_arg(0.0 if l2 is None else l2, name="l2")

    def __call__(self, x):
        x = jnp.asarray(x)
        penalty = jnp.zeros((), dtype=x.dtype)
        if self.l1 != 0.0:
            penalty = penalty + jnp.asarray(self.l1, x.dtype) * jnp.sum(jnp.abs(x))
        if self.l2 != 0.0:
            penalty = penalty + jnp.asarray(self.l2, x.dtype) * jnp.sum(jnp.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """`l1 * sum(|x|)`."""

    def __init__(self, l1=0.01):
        self.l1 = _validate_float_arg(0.01 if l1 is None else l1, name="l1")

    def __call__(self, x):
        x = jnp.asarray(x)
        return jnp.asarray(self.l1, x.dtype) * jnp.sum(jnp.abs(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """`l2 * sum(x ** 2)`."""

    def __init__(self, l2=0.01):
        self.l2 = _validate_float_arg(0.01 if l2 is None else l2, name="l2")

    def __call__(self, x):
        x = jnp.asarray(x)
        return jnp.asarray(self.l2, x.dtype) * jnp.sum(jnp.square(x))

    def get_config(self):
        return {"l2": self.l2}


def _l2_normalize(x, axis):
    """`x / max(norm, epsilon)` along `axis`, as Keras's `ops.normalize` (via `rsqrt`)."""
    inv_norm = jnp.minimum(lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True)), 1.0 / _EPSILON)
    return x * inv_norm


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (`mode='rows'`) or columns (`'columns'`) of a 2-D weight to be orthonormal.

    `factor * 0.5 * sum(|off-diagonal of (normalized W)(normalized W)^T|) / (n (n - 1) / 2)`.
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _validate_float_arg(factor, name="factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                'Invalid value for argument `mode`. Expected one of {"rows", "columns"}. '
                f"Received: mode={mode}"
            )
        self.mode = mode

    def __call__(self, inputs):
        x = jnp.asarray(inputs)
        if x.ndim != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={x.shape}")
        if self.mode == "rows":
            x = _l2_normalize(x, axis=1)
            product = x @ x.T
            size = x.shape[0]
        else:
            x = _l2_normalize(x, axis=0)
            product = x.T @ x
            size = x.shape[1]
        off_diagonal = product * (1.0 - jnp.eye(size, dtype=x.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return jnp.asarray(self.factor, x.dtype) * 0.5 * jnp.sum(jnp.abs(off_diagonal)) / num_pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Keras's lowercase aliases (classes, as in Keras 3).
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer


# ----------------------------------------------------------------------------- registry
def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


_CLASSES = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)

#: Every regularizer name accepted (class names, snake_case names, aliases) -> class.
REGULARIZERS: dict = {cls.__name__: cls for cls in _CLASSES}
REGULARIZERS.update({_snake(cls.__name__): cls for cls in _CLASSES})
REGULARIZERS.update({"l1_l2": L1L2, "l1l2": L1L2})

_NAMES = sorted(k for k in REGULARIZERS if k == k.lower() and k != "regularizer")


def _unknown(identifier, argname=None):
    where = f" for argument `{argname}`" if argname else ""
    received = f"{argname}={identifier!r}" if argname else repr(identifier)
    return ValueError(
        f"Unknown regularizer{where}: {identifier!r}. Expected one of: {', '.join(_NAMES)} "
        "(or their class names, e.g. 'L2'), a config dict, a Regularizer instance or a callable "
        f"(received: {received})"
    )


def get(identifier, argname=None, custom_objects=None):
    """Resolves a regularizer identifier; None -> None.

    A name ('l1', 'l2', 'l1_l2', class names...), a config dict, a class (instantiated with
    defaults), an instance or any callable `weights -> scalar` -> itself.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier, custom_objects=custom_objects, argname=argname)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise _unknown(identifier, argname)


def serialize(regularizer):
    """Keras 3's config dict `{'module', 'class_name', 'config', 'registered_name'}`; None -> None."""
    return serialize_object(regularizer, REGULARIZERS, "keras.regularizers", "regularizer")


def deserialize(config, custom_objects=None, argname=None):
    """A regularizer from a name or a Keras 2/3 config dict (`{'class_name': ..., 'config': {...}}`)."""
    return deserialize_object(config, REGULARIZERS, custom_objects, lambda name: _unknown(name, argname), base=Regularizer)
