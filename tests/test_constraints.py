"""lstmkit.constraints against Keras 3 (the oracle)."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras.src.constraints import ALL_OBJECTS_DICT as KERAS_CONSTRAINTS  # noqa: E402

from lstmkit import constraints  # noqa: E402


def _w(shape=(6, 4), seed=0, scale=2.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype("float32")


CASES = [
    ("MaxNorm", {}), ("MaxNorm", {"max_value": 1.5, "axis": 1}), ("MaxNorm", {"max_value": 3, "axis": [0, 1]}),
    ("MaxNorm", {"max_value": 0.5, "axis": -1}),
    ("NonNeg", {}),
    ("UnitNorm", {}), ("UnitNorm", {"axis": 1}), ("UnitNorm", {"axis": [0, 1]}),
    ("MinMaxNorm", {}), ("MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "rate": 0.5, "axis": 1}),
    ("MinMaxNorm", {"min_value": 3.0, "max_value": 4.0, "rate": 1.0}),
]


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("shape", [(6, 4), (3, 5, 7)])
def test_values_match_keras(name, kwargs, shape):
    w = _w(shape)
    ours = getattr(constraints, name)(**kwargs)
    theirs = getattr(keras.constraints, name)(**kwargs)
    expected = np.asarray(theirs(jnp.asarray(w)))
    np.testing.assert_allclose(np.asarray(ours(w)), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(jax.jit(ours)(w)), expected, rtol=1e-6, atol=1e-6)


def test_zero_column_is_safe():
    w = np.zeros((4, 3), "float32")
    for c in (constraints.MaxNorm(), constraints.UnitNorm(), constraints.MinMaxNorm(min_value=1.0)):
        out = np.asarray(c(w))
        assert np.all(np.isfinite(out)) and np.all(out == 0)


def test_effects():
    w = _w((8, 5), scale=5.0)
    norms = np.linalg.norm(np.asarray(constraints.MaxNorm(1.0)(w)), axis=0)
    assert np.all(norms <= 1.0 + 1e-6)
    np.testing.assert_allclose(np.linalg.norm(np.asarray(constraints.UnitNorm()(w)), axis=0), 1.0, rtol=1e-5)
    assert np.all(np.asarray(constraints.NonNeg()(w)) >= 0)
    assert constraints.Constraint()(w) is w


@pytest.mark.parametrize("name, kwargs", CASES)
def test_config_and_serialize_match_keras(name, kwargs):
    ours = getattr(constraints, name)(**kwargs)
    theirs = getattr(keras.constraints, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert constraints.serialize(ours) == keras.constraints.serialize(theirs)
    again = constraints.deserialize(constraints.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours.get_config()
    assert constraints.get(keras.constraints.serialize(theirs)).get_config() == ours.get_config()


@pytest.mark.parametrize("name", sorted(KERAS_CONSTRAINTS))
def test_every_keras_name_resolves(name):
    assert type(constraints.get(name)).__name__ == KERAS_CONSTRAINTS[name].__name__


def test_names_and_aliases():
    for name, cls in [("max_norm", constraints.MaxNorm), ("non_neg", constraints.NonNeg),
                      ("unit_norm", constraints.UnitNorm), ("min_max_norm", constraints.MinMaxNorm),
                      ("maxnorm", constraints.MaxNorm), ("nonneg", constraints.NonNeg),
                      ("unitnorm", constraints.UnitNorm), ("MaxNorm", constraints.MaxNorm)]:
        assert isinstance(constraints.get(name), cls)
    assert constraints.max_norm is constraints.MaxNorm and constraints.non_neg is constraints.NonNeg
    assert constraints.get(None) is None
    inst = constraints.MaxNorm(3)
    assert constraints.get(inst) is inst
    assert isinstance(constraints.get(constraints.NonNeg), constraints.NonNeg)

    def clip(w):
        return jnp.clip(w, -1, 1)

    assert constraints.get(clip) is clip
    assert constraints.serialize(clip) == "clip"
    keras2 = {"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}}
    assert constraints.get(keras2).get_config() == {"max_value": 3, "axis": 0}


def test_unknown_name_message():
    with pytest.raises(ValueError) as info:
        constraints.get("maxx_norm")
    assert str(info.value) == (
        "Unknown constraint: 'maxx_norm'. Expected one of: max_norm, maxnorm, min_max_norm, non_neg, nonneg, "
        "unit_norm, unitnorm (or their class names, e.g. 'MaxNorm'), a config dict, a Constraint instance "
        "or a callable (received: 'maxx_norm')"
    )
    with pytest.raises(ValueError, match=r"^Unknown constraint for argument `kernel_constraint`: 'x'"):
        constraints.get("x", argname="kernel_constraint")
    with pytest.raises(ValueError, match="Unknown constraint: 'Foo'"):
        constraints.get({"class_name": "Foo", "config": {}})
