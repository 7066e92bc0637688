"""Layers that merge a list of tensors: Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, Dot."""

from __future__ import annotations

import functools

import jax
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


# ------------------------------------------------------------------------------------------------------ Dot
def _dot_axes(axes, shape1, shape2):
    """Keras's reading of `axes` against two shapes: an int is the same axis of both (a negative one counted
    from each input's end); a pair is taken as written."""
    if isinstance(axes, int):
        return [axes % len(shape1), axes % len(shape2)] if axes < 0 else [axes, axes]
    return list(axes)


def _l2_normalize(x, axis):
    # Keras's `normalize` (order 2): x * min(rsqrt(sum(x²)), 1 / epsilon), so a zero vector stays zero.
    from lstmkit.backend import config as backend_config

    inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    return x * jnp.minimum(inv_norm, 1.0 / backend_config.epsilon())


def batch_dot(x, y, axes):
    """Per-sample dot product of `x` and `y` over `x`'s axis `axes[0]` and `y`'s `axes[1]` (neither the batch
    axis): x's other axes, then y's other non-batch axes; a result of rank 1 becomes (batch, 1)."""
    a0, a1 = axes[0] % x.ndim, axes[1] % y.ndim
    out = jax.lax.dot_general(x, y, (((a0,), (a1,)), ((0,), (0,))))
    return out[:, None] if out.ndim == 1 else out


class Dot(_Merge):
    """Dot product of two inputs sample by sample, over `axes` (one int for both, or (axis of the first, axis of
    the second); not the batch axis). `normalize=True` L2-normalizes both first: the cosine similarity."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Invalid type for argument `axes`: it should be a list or an int. Received: "
                                f"axes={axes}")
            if len(axes) != 2:
                raise ValueError(f"Invalid format for argument `axes`: it should contain two elements. Received: "
                                 f"axes={axes}")
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError(f"Invalid format for argument `axes`: list elements should be integers. Received: "
                                 f"axes={axes}")
        self.axes = axes
        self.normalize = normalize

    def _check_pair(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 \
                or not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Received: "
                             f"input_shape={input_shape}")

    def build(self, input_shape):
        self._check_pair(input_shape)
        shape1, shape2 = input_shape
        axes = _dot_axes(self.axes, shape1, shape2)
        for shape, axis in ((shape1, axes[0]), (shape2, axes[1])):
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"Dot layer '{self.name}': axis {axis} is out of range for an input of shape "
                                 f"{tuple(shape)}; received axes={self.axes}")
            if axis % len(shape) == 0:
                raise ValueError("Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy "
                                 "batch dimension to your inputs using keras.ops.expand_dims(x, 0)")
        # As Keras: the two sizes must be equal (an unknown size next to a known one is refused too).
        if shape1[axes[0]] != shape2[axes[1]]:
            raise ValueError(f"Incompatible input shapes: axis values {shape1[axes[0]]} (at axis {axes[0]}) != "
                             f"{shape2[axes[1]]} (at axis {axes[1]}). Full input shapes: {tuple(shape1)}, "
                             f"{tuple(shape2)}")
        self.built = True

    def call(self, params, inputs, ctx, mask=None):
        if len(inputs) != 2:
            raise ValueError(f"A `Dot` layer should be called on exactly 2 inputs. Received: inputs={inputs}")
        x1, x2 = (jnp.asarray(x) for x in inputs)
        axes = [a % x.ndim for a, x in zip(_dot_axes(self.axes, x1.shape, x2.shape), (x1, x2))]
        if self.normalize:
            x1, x2 = _l2_normalize(x1, axes[0]), _l2_normalize(x2, axes[1])
        return batch_dot(x1, x2, axes)

    def compute_output_shape(self, input_shape):
        self._check_pair(input_shape)
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        axes = _dot_axes(self.axes, shape1, shape2)
        shape1.pop(axes[0])
        shape2.pop(axes[1])
        shape2.pop(0)
        out = shape1 + shape2
        return tuple(out + [1] if len(out) == 1 else out)

    def compute_mask(self, inputs, mask=None):
        return None  # Keras's Dot passes no mask on

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs, axes=-1, **kwargs):
    """Functional form of `Dot`: `dot([x1, x2], axes=-1, normalize=False)`."""
    return Dot(axes=axes, **kwargs)(inputs)
