"""Permute: reorders the axes of each sample (Keras 3's arguments, checks and config)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from lstmkit.layers.base import Layer


class Permute(Layer):
    """Reorders the non-batch axes: `dims` counts them from 1, so `Permute((2, 1))` turns (batch, steps, features)
    into (batch, features, steps)."""

    _passes_input_values = True  # its outputs are its input's values, moved: see LayerFacts

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(dims)
        except TypeError:
            raise TypeError(f"Permute: `dims` must be a tuple of integers counted from 1; received dims={dims!r}.") \
                from None
        if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) for d in dims) \
                or sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError("Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` "
                             f"must be consecutive and start from 1. Received dims={dims}")
        self.dims = tuple(int(d) for d in dims)

    def _check_input_shape(self, shape):
        # Keras's InputSpec(ndim=len(dims) + 1), checked on every call.
        if isinstance(shape, tuple) and all(d is None or isinstance(d, (int, np.integer)) for d in shape) \
                and len(shape) != len(self.dims) + 1:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                             f"ndim={len(self.dims) + 1}, found ndim={len(shape)}. Full shape received: {shape}")

    def call(self, params, inputs, ctx):
        return jnp.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        self._check_input_shape(tuple(input_shape))
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}
