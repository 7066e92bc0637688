"""lstmkit.regularizers against Keras 3 (the oracle)."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras.src.regularizers import ALL_OBJECTS_DICT as KERAS_REGULARIZERS  # noqa: E402

from lstmkit import regularizers  # noqa: E402


def _w(shape=(7, 5), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


CASES = [
    ("L1", {}), ("L1", {"l1": 0.3}),
    ("L2", {}), ("L2", {"l2": 0.25}),
    ("L1L2", {}), ("L1L2", {"l1": 0.1}), ("L1L2", {"l2": 0.2}), ("L1L2", {"l1": 0.05, "l2": 0.4}),
    ("OrthogonalRegularizer", {}), ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"}),
    ("OrthogonalRegularizer", {"factor": 0.2, "mode": "rows"}),
]


@pytest.mark.parametrize("name, kwargs", CASES)
def test_values_match_keras(name, kwargs):
    shape = (7, 5)
    w = _w(shape)
    ours = getattr(regularizers, name)(**kwargs)
    theirs = getattr(keras.regularizers, name)(**kwargs)
    np.testing.assert_allclose(float(ours(w)), float(theirs(jnp.asarray(w))), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(float(jax.jit(ours)(w)), float(ours(w)), rtol=1e-6, atol=1e-6)
    g = jax.grad(lambda v: ours(v))(jnp.asarray(w))
    assert g.shape == shape and bool(jnp.all(jnp.isfinite(g)))


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_wide_matches_keras(mode):
    w = _w((4, 9), seed=1)
    ours = regularizers.OrthogonalRegularizer(factor=0.3, mode=mode)(w)
    theirs = keras.regularizers.OrthogonalRegularizer(factor=0.3, mode=mode)(jnp.asarray(w))
    np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-6, atol=1e-6)


def test_higher_rank_weights():
    w = _w((3, 4, 5))
    for name in ("L1", "L2", "L1L2"):
        ours, theirs = getattr(regularizers, name)(0.1), getattr(keras.regularizers, name)(0.1)
        np.testing.assert_allclose(float(ours(w)), float(theirs(jnp.asarray(w))), rtol=1e-6)


def test_l2_has_no_half_factor():
    w = np.array([1.0, 2.0, -3.0], "float32")
    assert float(regularizers.L2(0.5)(w)) == pytest.approx(0.5 * 14.0)
    assert float(regularizers.L1(0.5)(w)) == pytest.approx(0.5 * 6.0)
    assert float(regularizers.L1L2()(w)) == 0.0


def test_orthogonal_regularizer_zero_for_orthogonal_rows():
    w = np.eye(4, 6, dtype="float32") * 3.0
    assert float(regularizers.OrthogonalRegularizer(factor=1.0)(w)) == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError, match="must have rank 2"):
        regularizers.OrthogonalRegularizer()(np.ones((2, 2, 2), "float32"))


@pytest.mark.parametrize("name, kwargs", CASES)
def test_config_and_serialize_match_keras(name, kwargs):
    ours = getattr(regularizers, name)(**kwargs)
    theirs = getattr(keras.regularizers, name)(**kwargs)
    # Keras stores L1's and OrthogonalRegularizer's factor as a float32 tensor: compare approximately.
    assert ours.get_config().keys() == theirs.get_config().keys()
    for key, value in theirs.get_config().items():
        assert ours.get_config()[key] == (pytest.approx(value, rel=1e-7) if isinstance(value, float) else value)
    ser = regularizers.serialize(ours)
    kser = keras.regularizers.serialize(theirs)
    assert {k: v for k, v in ser.items() if k != "config"} == {k: v for k, v in kser.items() if k != "config"}
    again = regularizers.deserialize(ser)
    assert type(again) is type(ours) and again.get_config() == ours.get_config()
    from_keras = regularizers.get(kser)
    assert type(from_keras) is type(ours)


@pytest.mark.parametrize("name", sorted(n for n in KERAS_REGULARIZERS if n.lower() != "regularizer"))
def test_every_keras_name_resolves(name):
    assert type(regularizers.get(name)).__name__ == KERAS_REGULARIZERS[name].__name__


def test_names_and_aliases():
    assert isinstance(regularizers.get("l1"), regularizers.L1)
    assert isinstance(regularizers.get("l2"), regularizers.L2)
    assert isinstance(regularizers.get("l1_l2"), regularizers.L1L2)
    assert regularizers.l1 is regularizers.L1 and regularizers.l2 is regularizers.L2
    assert regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.get("l2").l2 == 0.01 and regularizers.get("l1").l1 == 0.01
    assert regularizers.l1_l2(l1=0.1).get_config() == {"l1": 0.1, "l2": 0.0}
    assert regularizers.get(None) is None
    inst = regularizers.L2(0.3)
    assert regularizers.get(inst) is inst
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)
    keras2 = {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.009999999776482582}}
    assert regularizers.get(keras2).l2 == pytest.approx(0.01)


def test_user_subclass_and_callable():
    class Mine(regularizers.Regularizer):
        def __init__(self, k=1.0):
            self.k = k

        def __call__(self, x):
            return self.k * jnp.sum(x)

        def get_config(self):
            return {"k": self.k}

    mine = Mine(2.0)
    assert regularizers.get(mine) is mine
    assert float(jax.jit(mine)(np.ones(3, "float32"))) == 6.0
    ser = regularizers.serialize(mine)
    assert ser["class_name"] == "Mine" and ser["config"] == {"k": 2.0}
    again = regularizers.deserialize(ser, custom_objects={"Mine": Mine})
    assert isinstance(again, Mine) and again.k == 2.0

    def fn(x):
        return jnp.sum(x)

    assert regularizers.get(fn) is fn
    assert regularizers.serialize(fn) == "fn"
    assert float(regularizers.Regularizer()(np.ones(3))) == 0.0
    with pytest.raises(NotImplementedError):
        regularizers.Regularizer().get_config()


def test_argument_validation():
    with pytest.raises(ValueError, match="Invalid value for argument l1: expected a non-negative float"):
        regularizers.L1(-1.0)
    with pytest.raises(ValueError, match="Invalid value for argument l2"):
        regularizers.L2(float("nan"))
    with pytest.raises(ValueError, match="Invalid value for argument `mode`"):
        regularizers.OrthogonalRegularizer(mode="diag")
    assert regularizers.L1(None).l1 == 0.01 and regularizers.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}


def test_unknown_name_message():
    with pytest.raises(ValueError) as info:
        regularizers.get("l3")
    assert str(info.value) == (
        "Unknown regularizer: 'l3'. Expected one of: l1, l1_l2, l1l2, l2, orthogonal_regularizer "
        "(or their class names, e.g. 'L2'), a config dict, a Regularizer instance or a callable "
        "(received: 'l3')"
    )
    with pytest.raises(ValueError, match=r"^Unknown regularizer for argument `kernel_regularizer`: 'l3'"):
        regularizers.get("l3", argname="kernel_regularizer")
    with pytest.raises(ValueError, match="Unknown regularizer: 0.1"):
        regularizers.get(0.1)
