"""lstmkit._random (global seeding, host generator, JAX key stream) and utils.set_random_seed."""

import random
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lstmkit import _random
from lstmkit.utils import get_random_seed, set_random_seed


def _draw():
    return _random.numpy_rng().standard_normal(5), [np.asarray(_random.next_key()) for _ in range(3)]


def test_set_seed_replays_both_streams():
    _random.set_seed(7)
    a_np, a_keys = _draw()
    _random.set_seed(7)
    b_np, b_keys = _draw()
    np.testing.assert_array_equal(a_np, b_np)
    for x, y in zip(a_keys, b_keys):
        np.testing.assert_array_equal(x, y)
    _random.set_seed(8)
    c_np, c_keys = _draw()
    assert not np.array_equal(a_np, c_np)
    assert not np.array_equal(a_keys[0], c_keys[0])


def test_keys_are_distinct_and_valid():
    _random.set_seed(0)
    keys = [np.asarray(_random.next_key()) for _ in range(200)]
    assert len({k.tobytes() for k in keys}) == 200
    key = _random.next_key()
    assert key.shape == jax.random.PRNGKey(0).shape and key.dtype == jax.random.PRNGKey(0).dtype
    u = jax.random.uniform(key, (1000,))
    assert 0.4 < float(u.mean()) < 0.6
    sub = jax.random.split(key)
    assert sub.shape == (2, 2)

    @jax.jit
    def dropout(k, x):
        return jnp.where(jax.random.bernoulli(k, 0.5, x.shape), x, 0.0)

    x = jnp.ones(64)
    assert not np.array_equal(dropout(_random.next_key(), x), dropout(_random.next_key(), x))


def test_next_key_is_cheap():
    _random.next_key()
    start = time.perf_counter()
    for _ in range(2000):
        _random.next_key()
    assert (time.perf_counter() - start) / 2000 < 100e-6


def test_numpy_rng_is_one_object_reseeded_in_place():
    rng = _random.numpy_rng()
    _random.set_seed(3)
    first = rng.random(4)
    _random.set_seed(3)
    np.testing.assert_array_equal(_random.numpy_rng().random(4), first)
    assert _random.numpy_rng() is rng


def test_entropy_seeding_differs():
    saved = _random.get_seed()
    _random._reseed(None)
    a = _draw()
    _random._reseed(None)
    b = _draw()
    assert not np.array_equal(a[0], b[0])
    assert not np.array_equal(a[1][0], b[1][0])
    assert _random.get_seed() is None
    if saved is not None:
        _random.set_seed(saved)


def test_set_random_seed_seeds_python_numpy_and_lstmkit():
    set_random_seed(1234)
    first = (random.random(), np.random.rand(), _random.numpy_rng().random(), np.asarray(_random.next_key()))
    assert get_random_seed() == 1234 and _random.get_seed() == 1234
    set_random_seed(1234)
    second = (random.random(), np.random.rand(), _random.numpy_rng().random(), np.asarray(_random.next_key()))
    assert first[:3] == second[:3]
    np.testing.assert_array_equal(first[3], second[3])
    set_random_seed(np.int64(5))
    assert get_random_seed() == 5


@pytest.mark.parametrize("bad", [1.5, "3", None, True])
def test_seed_must_be_an_integer(bad):
    with pytest.raises(ValueError, match="Expected `seed` argument to be an integer"):
        set_random_seed(bad)
    with pytest.raises(ValueError, match="Expected `seed` argument to be an integer"):
        _random.set_seed(bad)


def test_negative_seed_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        _random.set_seed(-1)
