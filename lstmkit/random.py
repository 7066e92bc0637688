"""Keras 3's `keras.random`: random numbers for users' layers, and `SeedGenerator`.

Where a draw's key comes from (`seed=`):

- None: inside a layer's call, the call's own key stream (the training loop hands each
  step a fresh key, so a compiled epoch draws new numbers every batch); outside, lstmkit's
  global stream (`lstmkit.utils.set_random_seed` replays it).
- an int: that key every time (Keras 3's stateless seeded draws).
- a `SeedGenerator`: a new key per draw, reproducible from the generator's seed; inside a
  call it is folded with the call's key, so compiled steps still differ.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit import _random
from lstmkit.layers.variables import Variable, current_scope, tracing


class SeedGenerator:
    """A stream of random keys: `SeedGenerator(seed=1337)`, then `random.normal(shape, seed=gen)`.

    Its state (seed, draws so far) is a non-trainable variable, counted in a layer's
    `non_trainable_variables` as in Keras (not in its `weights`, nor in files).
    """

    def __init__(self, seed=None, name=None, **kwargs):
        kwargs.pop("backend", None)
        if kwargs:
            raise TypeError(f"SeedGenerator() got unexpected keyword arguments: {sorted(kwargs)}")
        if seed is None:
            seed = int(_random.numpy_rng().integers(0, 2**31))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"SeedGenerator(seed=...) must be an integer or None; received seed={seed!r} "
                             f"(of type {type(seed).__name__}).")
        self.seed = int(seed)
        self.name = name or "seed_generator"
        self.state = Variable(np.array([self.seed, 0], np.uint32), name="seed_generator_state", trainable=False)

    def next(self, ordered=True):
        """The next key of this stream."""
        base = jax.random.PRNGKey(self.seed)
        scope = current_scope()
        if scope is not None and tracing():  # in a compiled step: from the step's key, so each step differs
            return jax.random.fold_in(scope.ctx.next_rng(), self.seed)
        count = int(np.asarray(self.state.value)[1])
        self.state.assign(np.array([self.seed, count + 1], np.uint32))
        return jax.random.fold_in(base, count)

    def get_config(self):
        return {"seed": self.seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator seed={self.seed}>"


def draw_key(seed=None):
    """The JAX key for one draw, from `seed` as the functions of this module take it."""
    if seed is None:
        scope = current_scope()
        return scope.ctx.next_rng() if scope is not None else _random.next_key()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return jax.random.PRNGKey(int(seed))
    if isinstance(seed, (jax.Array, np.ndarray)) and tuple(np.shape(seed)) == (2,):
        return jnp.asarray(seed, jnp.uint32)
    raise ValueError(f"`seed` must be None, an integer, a SeedGenerator or a key of shape (2,); received "
                     f"seed={seed!r} (of type {type(seed).__name__}).")


def _float(dtype):
    name = "float32" if dtype is None else np.dtype(getattr(dtype, "name", dtype)).name
    if not np.issubdtype(np.dtype(name), np.floating):
        raise ValueError(f"`dtype` must be a floating-point type; received dtype={dtype!r}.")
    return jnp.dtype(name)


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        return tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"`shape` must be a tuple of integers; received shape={shape!r}.") from None


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return mean + stddev * jax.random.normal(draw_key(seed), _shape(shape), _float(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return jax.random.uniform(draw_key(seed), _shape(shape), _float(dtype), minval, maxval)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values more than two standard deviations from the mean are drawn again (as Keras's)."""
    return mean + stddev * jax.random.truncated_normal(draw_key(seed), -2.0, 2.0, _shape(shape), _float(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    if not np.issubdtype(np.dtype(dtype), np.integer):
        raise ValueError(f"randint(dtype=...) must be an integer type; received dtype={dtype!r}.")
    return jax.random.randint(draw_key(seed), _shape(shape), minval, maxval, jnp.dtype(dtype))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """`num_samples` class indices per row of `logits` (batch, classes): shape (batch, num_samples)."""
    logits = jnp.asarray(logits)
    if logits.ndim != 2:
        raise ValueError(f"categorical(logits=...) must have shape (batch_size, num_classes); received shape "
                         f"{tuple(logits.shape)}.")
    out = jax.random.categorical(draw_key(seed), logits[:, None, :], axis=-1,
                                 shape=(logits.shape[0], int(num_samples)))
    return out.astype(dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each entry with probability `rate`, scaling the rest by 1 / (1 - rate)."""
    if not 0 <= rate < 1:
        raise ValueError(f"dropout(rate=...) must be in [0, 1); received rate={rate!r}.")
    x = jnp.asarray(inputs)
    shape = x.shape if noise_shape is None else tuple(d if d is not None else s for d, s in zip(noise_shape, x.shape))
    keep = jax.random.bernoulli(draw_key(seed), 1.0 - rate, shape)
    return jnp.where(keep, x / (1.0 - rate), jnp.zeros_like(x))


def shuffle(x, axis=0, seed=None):
    return jax.random.permutation(draw_key(seed), jnp.asarray(x), axis=axis, independent=False)


def gamma(shape, alpha, dtype=None, seed=None):
    return jax.random.gamma(draw_key(seed), alpha, _shape(shape), _float(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    return jax.random.binomial(draw_key(seed), counts, probabilities, _shape(shape), _float(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):
    return jax.random.beta(draw_key(seed), alpha, beta, _shape(shape), _float(dtype))
