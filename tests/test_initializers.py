"""lstmkit.initializers: shapes, dtypes, seeding, Keras's fans/limits/statistics and configs."""

import math
import os

os.environ["KERAS_BACKEND"] = "jax"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras.src.initializers import ALL_OBJECTS_DICT as KERAS_INITIALIZERS  # noqa: E402
from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans  # noqa: E402

from lstmkit import initializers  # noqa: E402
from lstmkit.utils import set_random_seed  # noqa: E402

RANDOM_CLASSES = [
    "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal",
    "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal",
]
ALL_CLASSES = RANDOM_CLASSES + ["Zeros", "Ones", "Constant", "Identity"]
TRUNC = 0.87962566103423978


def _make(name, **kwargs):
    return getattr(initializers, name)(**kwargs)


@pytest.mark.parametrize("name", ALL_CLASSES)
def test_shape_and_dtype(name):
    init = _make(name)
    w = init((6, 4))
    assert isinstance(w, np.ndarray) and w.shape == (6, 4) and w.dtype == np.float32
    w64 = init((3, 5), dtype="float64")
    assert w64.shape == (3, 5) and w64.dtype == np.float64
    w16 = init((4, 4), dtype=np.float16)
    assert w16.dtype == np.float16


@pytest.mark.parametrize("name", [n for n in RANDOM_CLASSES if n != "Orthogonal"] + ["Zeros", "Ones", "Constant"])
def test_other_ranks(name):
    init = _make(name)
    assert init((7,)).shape == (7,)
    assert init((3, 2, 4, 5)).shape == (3, 2, 4, 5)
    assert init(5).shape == (5,)
    scalar = init(())
    assert isinstance(scalar, np.ndarray) and scalar.shape == () and scalar.dtype == np.float32


@pytest.mark.parametrize("name", RANDOM_CLASSES)
def test_seeded_is_deterministic_unseeded_is_not(name):
    a, b = _make(name, seed=42), _make(name, seed=42)
    np.testing.assert_array_equal(a((8, 6)), a((8, 6)))  # same values on every call, as Keras
    np.testing.assert_array_equal(a((8, 6)), b((8, 6)))
    assert not np.array_equal(a((8, 6)), _make(name, seed=43)((8, 6)))
    free = _make(name)
    assert not np.array_equal(free((8, 6)), free((8, 6)))


@pytest.mark.parametrize("name", RANDOM_CLASSES)
def test_set_random_seed_reproducibility(name):
    set_random_seed(123)
    first = [_make(name)((5, 7)) for _ in range(2)]
    set_random_seed(123)
    second = [_make(name)((5, 7)) for _ in range(2)]
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x, y)
    set_random_seed(124)
    assert not np.array_equal(_make(name)((5, 7)), first[0])


@pytest.mark.parametrize(
    "shape", [(), (5,), (5, 3), (3, 5), (2, 3, 4), (3, 3, 8, 16), (1, 2, 3, 4, 5)]
)
def test_compute_fans_matches_keras(shape):
    assert initializers.compute_fans(shape) == keras_compute_fans(shape)


def test_compute_fans_with_axes_matches_keras():
    shape = (4, 5, 6, 7)
    assert initializers.compute_fans(shape, (0, 1), (2, 3)) == keras_compute_fans(shape, (0, 1), (2, 3))
    init = initializers.VarianceScaling(mode="fan_in", distribution="uniform", input_axes=(0,), output_axes=(1,))
    assert np.abs(init(shape)).max() <= math.sqrt(3.0 / 4)


SHAPE = (200, 300)
FAN_IN, FAN_OUT = SHAPE


@pytest.mark.parametrize(
    "name, limit",
    [
        ("GlorotUniform", math.sqrt(6.0 / (FAN_IN + FAN_OUT))),
        ("HeUniform", math.sqrt(6.0 / FAN_IN)),
        ("LecunUniform", math.sqrt(3.0 / FAN_IN)),
    ],
)
def test_uniform_limits_and_variance(name, limit):
    w = _make(name, seed=1)(SHAPE)
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit
    np.testing.assert_allclose(w.var(), limit**2 / 3.0, rtol=0.03)
    assert abs(w.mean()) < 0.01 * limit


@pytest.mark.parametrize(
    "name, variance",
    [
        ("GlorotNormal", 2.0 / (FAN_IN + FAN_OUT)),
        ("HeNormal", 2.0 / FAN_IN),
        ("LecunNormal", 1.0 / FAN_IN),
    ],
)
def test_truncated_normal_variance_and_bound(name, variance):
    w = _make(name, seed=2)(SHAPE)
    raw_stddev = math.sqrt(variance) / TRUNC
    assert np.abs(w).max() <= 2.0 * raw_stddev * (1 + 1e-6)
    np.testing.assert_allclose(w.std(), math.sqrt(variance), rtol=0.03)


@pytest.mark.parametrize("mode, n", [("fan_in", FAN_IN), ("fan_out", FAN_OUT), ("fan_avg", (FAN_IN + FAN_OUT) / 2)])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform", "normal"])
def test_variance_scaling(mode, n, distribution):
    w = initializers.VarianceScaling(scale=3.0, mode=mode, distribution=distribution, seed=3)(SHAPE)
    np.testing.assert_allclose(w.std(), math.sqrt(3.0 / n), rtol=0.03)
    if distribution == "uniform":
        assert np.abs(w).max() <= math.sqrt(9.0 / n)
    elif distribution in ("truncated_normal", "normal"):
        assert np.abs(w).max() <= 2 * math.sqrt(3.0 / n) / TRUNC * (1 + 1e-6)
    else:
        assert np.abs(w).max() > 2.5 * math.sqrt(3.0 / n)  # not truncated


@pytest.mark.parametrize("name", ["GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
                                  "LecunNormal", "TruncatedNormal", "RandomNormal", "RandomUniform", "Orthogonal"])
@pytest.mark.parametrize("shape", [(64, 96), (3, 16, 32)])
def test_statistics_match_keras(name, shape):
    ours = _make(name, seed=5)(shape)
    theirs = np.asarray(getattr(keras.initializers, name)(seed=5)(shape))
    np.testing.assert_allclose(ours.std(), theirs.std(), rtol=0.06)
    np.testing.assert_allclose(np.abs(ours).max(), np.abs(theirs).max(), rtol=0.25)
    assert abs(ours.mean()) < 0.05 * theirs.std()


def test_random_normal_uniform_truncated():
    w = initializers.RandomNormal(mean=1.0, stddev=0.5, seed=0)(SHAPE)
    np.testing.assert_allclose([w.mean(), w.std()], [1.0, 0.5], rtol=0.02)
    w = initializers.RandomUniform(minval=2.0, maxval=3.0, seed=0)(SHAPE)
    assert w.min() >= 2.0 and w.max() <= 3.0
    np.testing.assert_allclose(w.mean(), 2.5, rtol=0.01)
    w = initializers.TruncatedNormal(mean=-1.0, stddev=0.1, seed=0)(SHAPE)
    assert w.min() >= -1.2 - 1e-6 and w.max() <= -0.8 + 1e-6
    np.testing.assert_allclose(w.std(), 0.1 * TRUNC, rtol=0.02)


@pytest.mark.parametrize("shape", [(32, 32), (64, 16), (16, 64), (3, 4, 20), (12, 48)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal(shape, gain):
    w = initializers.Orthogonal(gain=gain, seed=7)(shape).astype(np.float64)
    assert w.shape == shape
    flat = w.reshape(-1, shape[-1]) / gain
    rows, cols = flat.shape
    if rows >= cols:
        np.testing.assert_allclose(flat.T @ flat, np.eye(cols), atol=1e-5)
    else:
        np.testing.assert_allclose(flat @ flat.T, np.eye(rows), atol=1e-5)


def test_orthogonal_rejects_1d():
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((5,))


def test_constants_and_identity():
    np.testing.assert_array_equal(initializers.Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.Ones()((2, 3)), np.ones((2, 3)))
    np.testing.assert_array_equal(initializers.Constant(1.5)((2, 3)), np.full((2, 3), 1.5))
    np.testing.assert_array_equal(initializers.Identity(gain=2.0)((3, 3)), 2.0 * np.eye(3))
    np.testing.assert_array_equal(initializers.IdentityInitializer()((2, 4)), np.eye(2, 4))
    np.testing.assert_array_equal(initializers.Identity()((2, 4)), np.asarray(keras.initializers.Identity()((2, 4))))
    with pytest.raises(ValueError, match="only be used for 2D matrices"):
        initializers.Identity()((2, 3, 4))
    assert initializers.Zeros()((2,), dtype="int32").dtype == np.int32


CONFIG_CASES = [
    ("Zeros", {}), ("Ones", {}), ("Constant", {}), ("Constant", {"value": 3.0}),
    ("RandomNormal", {}), ("RandomNormal", {"mean": 1.0, "stddev": 0.2, "seed": 3}),
    ("RandomUniform", {}), ("RandomUniform", {"minval": -1.0, "maxval": 2.0, "seed": 4}),
    ("TruncatedNormal", {}), ("TruncatedNormal", {"mean": 0.5, "stddev": 1.0, "seed": 5}),
    ("VarianceScaling", {}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 1}),
    ("VarianceScaling", {"distribution": "normal"}),
    ("GlorotUniform", {}), ("GlorotUniform", {"seed": 9}), ("GlorotNormal", {}), ("HeUniform", {}),
    ("HeNormal", {"seed": 2}), ("LecunUniform", {}), ("LecunNormal", {}),
    ("Orthogonal", {}), ("Orthogonal", {"gain": 0.5, "seed": 8}),
]


@pytest.mark.parametrize("name, kwargs", CONFIG_CASES)
def test_config_and_serialize_match_keras(name, kwargs):
    ours, theirs = _make(name, **kwargs), getattr(keras.initializers, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert initializers.serialize(ours) == keras.initializers.serialize(theirs)
    again = initializers.deserialize(initializers.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours.get_config()
    assert initializers.get(keras.initializers.serialize(theirs)).get_config() == ours.get_config()
    clone = ours.clone()
    assert type(clone) is type(ours) and clone.get_config() == ours.get_config()


def test_identity_config_keeps_gain():
    init = initializers.get({"class_name": "Identity", "config": {"gain": 3.0}})
    assert init.get_config() == {"gain": 3.0}
    assert initializers.get("IdentityInitializer").gain == 1.0


KERAS_NAMES = sorted(n for n in KERAS_INITIALIZERS if "stft" not in n.lower() and n.lower() != "initializer")


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_every_keras_name_resolves_to_the_same_class(name):
    # (Keras's own get('Constant') fails on its empty config, so compare with its name table.)
    assert type(initializers.get(name)).__name__ == KERAS_INITIALIZERS[name].__name__


def test_keras2_configs():
    init = initializers.get({"class_name": "VarianceScaling",
                             "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}})
    assert isinstance(init, initializers.VarianceScaling)
    assert np.abs(init((10, 20))).max() <= math.sqrt(6 / 30)
    init = initializers.get({"class_name": "GlorotUniform", "config": {"seed": None, "dtype": "float32"}})
    assert isinstance(init, initializers.GlorotUniform)
    init = initializers.get({"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}})
    assert isinstance(init, initializers.Orthogonal)
    init = initializers.get({"class_name": "Zeros", "config": {"dtype": "float32"}})
    assert isinstance(init, initializers.Zeros)
    seed_gen = {"module": "keras.random", "class_name": "SeedGenerator", "config": {"seed": 17}}
    assert initializers.get({"class_name": "RandomNormal", "config": {"seed": seed_gen}}).seed == 17


def test_get_identifiers():
    assert initializers.get(None) is None
    inst = initializers.HeNormal()
    assert initializers.get(inst) is inst
    assert isinstance(initializers.get(initializers.Ones), initializers.Ones)

    def my_init(shape, dtype=None):
        return np.full(shape, 7.0, dtype or "float32")

    assert initializers.get(my_init) is my_init
    value = np.arange(6.0).reshape(2, 3)
    from_array = initializers.get(value)
    np.testing.assert_array_equal(from_array((2, 3)), value)
    with pytest.raises(ValueError, match="Expected `shape` to be"):
        from_array((3, 2))
    assert isinstance(initializers.get("uniform"), initializers.RandomUniform)
    assert isinstance(initializers.get("normal"), initializers.RandomNormal)
    assert initializers.glorot_uniform is initializers.GlorotUniform
    assert initializers.get("MyInit", custom_objects={"MyInit": my_init}) is my_init


def test_unknown_name_message():
    with pytest.raises(ValueError) as info:
        initializers.get("glorot_unifrom")
    msg = str(info.value)
    assert msg.startswith("Unknown initializer: 'glorot_unifrom'. Expected one of: constant, glorot_normal, ")
    assert "orthogonal" in msg and "zeros" in msg and msg.endswith("(received: 'glorot_unifrom')")
    with pytest.raises(ValueError, match=r"^Unknown initializer for argument `kernel_initializer`: 'x'"):
        initializers.get("x", argname="kernel_initializer")
    with pytest.raises(ValueError, match="Unknown initializer: 'Nope'"):
        initializers.get({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="Unknown initializer: 3"):
        initializers.get(3)


def test_argument_validation():
    with pytest.raises(ValueError, match="Argument `scale` must be positive"):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="Invalid `mode` argument"):
        initializers.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="Invalid `distribution` argument"):
        initializers.VarianceScaling(distribution="cauchy")
    with pytest.raises(ValueError, match="`seed` argument should be an integer"):
        initializers.GlorotUniform(seed="a")
