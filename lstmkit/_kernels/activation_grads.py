"""Activation derivatives from the activation's output, for the hand-written backward passes.

The fused recurrent kernels (`lstmkit._kernels.fused`) keep each gate's output from
the forward pass; when the derivative can be written in terms of that output
(sigmoid: y(1 - y), tanh: 1 - y², relu: [y > 0], ...) nothing is recomputed in
the backward pass. Activations are registered here by identity; any other
function (a user's, gelu, ...) is differentiated from its input with
`jax.jvp` instead, which is always correct, only slower.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

_FROM_OUTPUT: dict = {}


def register(fn: Callable, derivative: Callable) -> None:
    """Declare `derivative(y)` = fn'(x) where y = fn(x), for every x (away from kinks)."""
    _FROM_OUTPUT[fn] = derivative


def _between(lo, hi, slope):
    return lambda y: jnp.where((y > lo) & (y < hi), jnp.asarray(slope, y.dtype), jnp.zeros((), y.dtype))


SIGMOID = lambda y: y * (1.0 - y)  # noqa: E731
TANH = lambda y: 1.0 - y * y  # noqa: E731
RELU = lambda y: (y > 0).astype(y.dtype)  # noqa: E731
LINEAR = lambda y: jnp.ones_like(y)  # noqa: E731
HARD_SIGMOID = _between(0.0, 1.0, 1.0 / 6.0)  # relu6(x + 3) / 6
HARD_SIGMOID_KERAS2 = _between(0.0, 1.0, 0.2)  # clip(0.2 x + 0.5, 0, 1)
HARD_TANH = _between(-1.0, 1.0, 1.0)
RELU6 = _between(0.0, 6.0, 1.0)
ELU = lambda y: jnp.where(y > 0, jnp.ones_like(y), y + 1.0)  # alpha = 1  # noqa: E731
SOFTPLUS = lambda y: -jnp.expm1(-y)  # sigmoid(x) = 1 - exp(-softplus(x))  # noqa: E731
SOFTSIGN = lambda y: jnp.square(1.0 - jnp.abs(y))  # noqa: E731
EXPONENTIAL = lambda y: y  # noqa: E731

register(jax.nn.sigmoid, SIGMOID)
register(jnp.tanh, TANH)
register(jax.nn.relu, RELU)
register(jax.nn.hard_sigmoid, HARD_SIGMOID)


class Differentiated:
    """An activation and its derivative for a hand-written backward pass.

    `save(x, y)` is what the forward pass keeps of y = fn(x): (y,) when the
    derivative is known from the output, else (x, y). `value(saved)` gives y
    back and `grad(saved)` is fn'(x).
    """

    def __init__(self, fn: Callable):
        self.fn = fn
        self._from_output = _FROM_OUTPUT.get(fn)

    def save(self, x, y) -> tuple:
        return (y,) if self._from_output is not None else (x, y)

    @staticmethod
    def value(saved):
        return saved[-1]

    def grad(self, saved):
        if self._from_output is not None:
            return self._from_output(saved[0])
        return jax.jvp(self.fn, (saved[0],), (jnp.ones_like(saved[0]),))[1]
