"""The library's global randomness.

Two streams come from one global seed:

* `numpy_rng()`: a NumPy `Generator` on the host. Initializers draw initial weights
  from it (no XLA compile per weight shape) and the trainer draws shuffling orders.
* `next_key()`: a fresh JAX PRNG key per call (dropout masks, noise, ...), derived
  from the seed and a call counter, so the same seed replays the same run.

`set_seed(n)` (what `lstmkit.utils.set_random_seed(n)` calls) reseeds both. Without
it the seed comes from OS entropy at import, so runs differ, as they do in Keras.
"""

from __future__ import annotations

import os
import threading
from typing import Optional

import jax
import numpy as np

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15

_lock = threading.Lock()
# One Generator object for the life of the process: `set_seed` reseeds it in place,
# so a reference someone kept to `numpy_rng()` follows the new seed too.
_np_rng = np.random.Generator(np.random.PCG64())
_key_base = 0  # 64-bit base of the JAX key stream
_counter = 0  # keys handed out since the last seeding
_seed: Optional[int] = None  # the explicit seed, None while seeded from OS entropy


def _validate(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(
            f"Expected `seed` argument to be an integer. Received: seed={seed!r} (of type {type(seed)})"
        )
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"Expected `seed` argument to be a non-negative integer. Received: seed={seed}")
    return seed


def _mix64(z: int) -> int:
    """SplitMix64's finalizer: a bijection on 64-bit integers that scrambles all bits."""
    z &= _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _reseed(seed: Optional[int]) -> None:
    global _key_base, _counter, _seed
    with _lock:
        if seed is None:
            entropy = int.from_bytes(os.urandom(16), "little")
            _np_rng.bit_generator.state = np.random.PCG64(entropy).state
            _key_base = _mix64(entropy >> 64)
        else:
            _np_rng.bit_generator.state = np.random.PCG64(seed).state
            _key_base = _mix64(seed ^ 0x5DEECE66D)
        _counter = 0
        _seed = seed


def set_seed(seed: int) -> None:
    """Seeds the global NumPy Generator and the JAX key stream (the counter restarts at 0)."""
    _reseed(_validate(seed))


def get_seed() -> Optional[int]:
    """The seed given to the last `set_seed`, or None while seeded from OS entropy."""
    return _seed


def numpy_rng() -> np.random.Generator:
    """The global host Generator (initial weights, shuffling)."""
    return _np_rng


def _next_word() -> int:
    global _counter
    with _lock:
        n = _counter
        _counter += 1
        base = _key_base
    return _mix64(base + (n + 1) * _GOLDEN)


def next_key():
    """A new JAX PRNG key: a function of the global seed and the number of keys drawn since.

    With JAX's default threefry implementation this is a raw `uint32[2]` key (the
    layout `jax.random.PRNGKey` returns) built in Python, so a call runs no JAX op.
    Any `jax.random` function, and any jitted function, accepts it.
    """
    word = _next_word()
    if str(jax.config.jax_default_prng_impl) in ("threefry2x32", "threefry"):
        return np.array([word >> 32, word & 0xFFFFFFFF], dtype=np.uint32)
    return jax.random.PRNGKey(word & 0x7FFFFFFF)


_reseed(None)
