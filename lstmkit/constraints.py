"""Weight constraints with Keras 3's classes, arguments and numerics (jax.numpy, jittable).

A constraint is a callable `w -> projected w` applied after each optimizer update.
Norms are taken along `axis` (0 by default: each column of a Dense kernel
`(input_dim, units)`, i.e. each unit's incoming weights); the epsilon (1e-7) is added
to the norm in the denominator, as Keras does.
"""

from __future__ import annotations

import re

import jax.numpy as jnp
from lstmkit._registry import deserialize_object, serialize_object

_EPSILON = 1e-7  # keras.backend.epsilon()


def _norms(w, axis):
    return jnp.sqrt(jnp.sum(jnp.square(w), axis=axis, keepdims=True))


def _as_float(w):
    w = jnp.asarray(w)
    return w if jnp.issubdtype(w.dtype, jnp.floating) else w.astype(jnp.float32)


class Constraint:
    """Base class: `__call__(w)` returns the constrained weights (`w` unchanged here)."""

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescales slices along `axis` whose L2 norm exceeds `max_value` down to `max_value`."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = _as_float(w)
        norms = _norms(w, self.axis)
        desired = jnp.clip(norms, 0, self.max_value)
        return w * (desired / (_EPSILON + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        w = jnp.asarray(w)
        return jnp.maximum(w, jnp.zeros((), w.dtype))


class UnitNorm(Constraint):
    """Divides slices along `axis` by their L2 norm (plus epsilon)."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _as_float(w)
        return w / (_EPSILON + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves slice norms toward `[min_value, max_value]`: `rate * clipped + (1 - rate) * norm`."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = _as_float(w)
        norms = _norms(w, self.axis)
        desired = self.rate * jnp.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (_EPSILON + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


# Keras's lowercase aliases (Keras 3), and Keras 2's older spellings.
max_norm = maxnorm = MaxNorm
non_neg = nonneg = NonNeg
unit_norm = unitnorm = UnitNorm
min_max_norm = MinMaxNorm


# ----------------------------------------------------------------------------- registry
def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


_CLASSES = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)

#: Every constraint name accepted (class names, snake_case names, Keras 2 aliases) -> class.
CONSTRAINTS: dict = {cls.__name__: cls for cls in _CLASSES}
CONSTRAINTS.update({_snake(cls.__name__): cls for cls in _CLASSES})
CONSTRAINTS.update({"maxnorm": MaxNorm, "nonneg": NonNeg, "unitnorm": UnitNorm})

_NAMES = sorted(k for k in CONSTRAINTS if k == k.lower() and k != "constraint")


def _unknown(identifier, argname=None):
    where = f" for argument `{argname}`" if argname else ""
    received = f"{argname}={identifier!r}" if argname else repr(identifier)
    return ValueError(
        f"Unknown constraint{where}: {identifier!r}. Expected one of: {', '.join(_NAMES)} "
        "(or their class names, e.g. 'MaxNorm'), a config dict, a Constraint instance or a callable "
        f"(received: {received})"
    )


def get(identifier, argname=None, custom_objects=None):
    """Resolves a constraint identifier; None -> None.

    A name ('max_norm', 'non_neg', 'unit_norm', 'min_max_norm', class names, Keras 2's
    'maxnorm'/'nonneg'/'unitnorm'), a config dict, a class (instantiated with defaults),
    an instance or any callable `w -> w` -> itself.
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


def serialize(constraint):
    """Keras 3's config dict `{'module', 'class_name', 'config', 'registered_name'}`; None -> None."""
    return serialize_object(constraint, CONSTRAINTS, "keras.constraints", "constraint")


def deserialize(config, custom_objects=None, argname=None):
    """A constraint from a name or a Keras 2/3 config dict (`{'class_name': ..., 'config': {...}}`)."""
    return deserialize_object(config, CONSTRAINTS, custom_objects, lambda name: _unknown(name, argname), base=None)
