"""Layers that merge a list of tensors: Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum."""

from __future__ import annotations

import functools

import jax.numpy as jnp

from lstmkit.layers.base import Layer


class _Merge(Layer):
    supports_masking = True

    def _check_inputs(self, shapes):
        if not isinstance(shapes, (list, tuple)) or len(shapes) < 2 or not all(isinstance(s, tuple) for s in shapes):
            raise ValueError(f"A `{type(self).__name__}` layer should be called on a list of at least 2 inputs; received: {shapes!r}")

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self.built = True

    def compute_mask(self, inputs, mask=None):
        if mask is None or not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        ms = [jnp.ones(x.shape[:-1], bool) if m is None else m for x, m in zip(inputs, mask)]
        return functools.reduce(jnp.logical_and, ms)


class _ElementwiseMerge(_Merge):
    def build(self, input_shape):
        self._check_inputs(input_shape)
        ranks = {len(s) for s in input_shape}
        if len(ranks) != 1:
            raise ValueError(f"Inputs of `{type(self).__name__}` must have the same rank; received shapes {list(input_shape)}.")
        for dims in zip(*[s[1:] for s in input_shape]):
            known = {d for d in dims if d is not None and d != 1}
            if len(known) > 1:
                raise ValueError(f"Inputs of `{type(self).__name__}` must have compatible shapes; received {list(input_shape)}.")
        self.built = True

    def compute_output_shape(self, input_shape):
        """Broadcast the inputs' shapes: a size other than 1 wins; unknown stays unknown."""
        out = []
        for dims in zip(*input_shape):
            sizes = [d for d in dims if d is not None and d != 1]
            if sizes:
                out.append(sizes[0])
            else:
                out.append(1 if None not in dims else None)
        return tuple(out)

    def call(self, params, inputs, ctx, mask=None):
        return self._merge(list(inputs))


class Add(_ElementwiseMerge):
    def _merge(self, xs):
        return functools.reduce(jnp.add, xs)


class Subtract(_ElementwiseMerge):
    def _check_inputs(self, shapes):
        if not isinstance(shapes, (list, tuple)) or len(shapes) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs; received: {shapes!r}")

    def _merge(self, xs):
        return xs[0] - xs[1]


class Multiply(_ElementwiseMerge):
    def _merge(self, xs):
        return functools.reduce(jnp.multiply, xs)


class Average(_ElementwiseMerge):
    def _merge(self, xs):
        return functools.reduce(jnp.add, xs) / len(xs)


class Maximum(_ElementwiseMerge):
    def _merge(self, xs):
        return functools.reduce(jnp.maximum, xs)


class Minimum(_ElementwiseMerge):
    def _merge(self, xs):
        return functools.reduce(jnp.minimum, xs)


class Concatenate(_Merge):
    """Joins tensors along `axis` (default the last one)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def build(self, input_shape):
        self._check_inputs(input_shape)
        rank = len(input_shape[0])
        ax = self.axis % rank
        for s in input_shape:
            if len(s) != rank or any(a is not None and b is not None and a != b
                                     for i, (a, b) in enumerate(zip(s, input_shape[0])) if i != ax):
                raise ValueError(
                    "A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
                    f"axis. Received: input_shape={list(input_shape)}"
                )
        self.built = True

    def compute_output_shape(self, input_shape):
        rank = len(input_shape[0])
        ax = self.axis % rank
        out = list(input_shape[0])
        sizes = [s[ax] for s in input_shape]
        out[ax] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(out)

    def call(self, params, inputs, ctx, mask=None):
        return jnp.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        rank = inputs[0].ndim
        if self.axis % rank == rank - 1:
            return super().compute_mask(inputs, mask)
        ms = [jnp.ones(x.shape[:-1], bool) if m is None else m for x, m in zip(inputs, mask)]
        return jnp.concatenate(ms, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def add(inputs, **kwargs):
    """Functional form of `Add`."""
    return Add(**kwargs)(inputs)
