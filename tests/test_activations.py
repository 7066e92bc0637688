"""lstmkit.activations against Keras 3 (the oracle)."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras.src import activations as keras_activations_src  # noqa: E402

from lstmkit import activations  # noqa: E402

KERAS_NAMES = sorted(keras_activations_src.ALL_OBJECTS_DICT)
ONE_ARG_NAMES = [n for n in KERAS_NAMES if n != "threshold"]  # threshold needs two more arguments

ATOL = RTOL = 1e-6


def _x(shape=(3, 5, 8), scale=3.0, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype("float32")


def _close(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=RTOL, atol=ATOL)


def test_every_keras_name_is_known():
    assert set(KERAS_NAMES) <= set(activations.ACTIVATIONS)


@pytest.mark.parametrize("name", ONE_ARG_NAMES)
def test_matches_keras_by_name(name):
    x = _x()
    _close(activations.get(name)(x), keras.activations.get(name)(x))


@pytest.mark.parametrize("name", ONE_ARG_NAMES)
def test_module_attribute_matches_keras(name):
    x = _x(seed=1)
    _close(getattr(activations, name)(x), getattr(keras.activations, name)(x))


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("relu", {"negative_slope": 0.1}),
        ("relu", {"max_value": 6.0}),
        ("relu", {"max_value": 2.5}),
        ("relu", {"threshold": 0.7}),
        ("relu", {"threshold": -0.5, "max_value": 2.0}),
        ("relu", {"negative_slope": 0.3, "max_value": 4.0}),
        ("relu", {"negative_slope": 0.3, "threshold": 1.0}),
        ("relu", {"negative_slope": 0.2, "max_value": 6, "threshold": 0.5}),
        ("leaky_relu", {"negative_slope": 0.05}),
        ("elu", {"alpha": 0.5}),
        ("celu", {"alpha": 2.0}),
        ("gelu", {"approximate": True}),
        ("gelu", {"approximate": False}),
        ("softmax", {"axis": 1}),
        ("softmax", {"axis": (1, 2)}),
        ("log_softmax", {"axis": 0}),
        ("glu", {"axis": 2}),
        ("soft_shrink", {"threshold": 1.2}),
        ("hard_shrink", {"threshold": 1.2}),
        ("squareplus", {"b": 2}),
        ("sparsemax", {"axis": 1}),
        ("threshold", {"threshold": 0.3, "default_value": -1.0}),
    ],
)
def test_arguments_match_keras(name, kwargs):
    x = _x(seed=2)
    _close(getattr(activations, name)(x, **kwargs), getattr(keras.activations, name)(x, **kwargs))


def test_hard_sigmoid_keras3_and_keras2():
    x = _x(seed=3)
    _close(activations.hard_sigmoid(x), np.clip(x + 3.0, 0.0, 6.0) / 6.0)
    _close(activations.hard_sigmoid_keras2(x), np.clip(0.2 * x + 0.5, 0.0, 1.0))
    assert activations.get("hard_sigmoid") is activations.hard_sigmoid
    assert activations.get("hard_sigmoid", keras2=True) is activations.hard_sigmoid_keras2
    assert activations.get("sigmoid", keras2=True) is activations.sigmoid
    assert activations.get("hard_sigmoid_keras2") is activations.hard_sigmoid_keras2
    assert activations.serialize(activations.hard_sigmoid_keras2) == "hard_sigmoid_keras2"


@pytest.mark.parametrize("name", ONE_ARG_NAMES)
def test_jit_and_grad(name):
    fn = activations.get(name)
    x = _x(shape=(4, 6), seed=4)
    _close(jax.jit(fn)(x), fn(x))
    g = jax.grad(lambda v: jnp.sum(fn(v)))(jnp.asarray(x))
    assert g.shape == x.shape and bool(jnp.all(jnp.isfinite(g)))


def test_get_identifiers():
    assert activations.get(None) is activations.linear
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu

    def mine(x):
        return 2 * x

    assert activations.get(mine) is mine
    keras_style = {"module": "keras.activations", "class_name": "function", "config": "tanh",
                   "registered_name": None}
    assert activations.get(keras_style) is activations.tanh
    assert activations.get({"class_name": "relu", "config": {}}) is activations.relu
    custom = {"module": "builtins", "class_name": "function", "config": "mine", "registered_name": "function"}
    assert activations.get(custom, custom_objects={"mine": mine}) is mine
    assert activations.get("mine", custom_objects={"mine": mine}) is mine


@pytest.mark.parametrize("name", sorted(keras_activations_src.ALL_OBJECTS_DICT))
def test_serialize_matches_keras(name):
    ours = activations.serialize(activations.get(name))
    assert ours == keras.activations.serialize(keras.activations.get(name))
    assert activations.deserialize(ours) is activations.get(name)


def test_serialize_user_function():
    def my_act(x):
        return x

    assert activations.serialize(my_act) == "my_act"
    assert activations.serialize(None) == "linear"


def test_unknown_name_message():
    names = ", ".join(sorted(activations.ACTIVATIONS))
    with pytest.raises(ValueError) as info:
        activations.get("foo")
    assert str(info.value) == (
        f"Unknown activation: 'foo'. Expected a callable or one of: {names} (received: 'foo')"
    )
    assert str(info.value).startswith("Unknown activation: 'foo'. Expected a callable or one of: celu, elu, ")


def test_unknown_name_message_names_argument():
    with pytest.raises(ValueError) as info:
        activations.get("tanhh", argname="recurrent_activation")
    msg = str(info.value)
    assert msg.startswith("Unknown activation for argument `recurrent_activation`: 'tanhh'. Expected a callable")
    assert msg.endswith("(received: recurrent_activation='tanhh')")


def test_non_callable_identifier_rejected():
    with pytest.raises(ValueError, match=r"Unknown activation: 3\. Expected a callable"):
        activations.get(3)
    with pytest.raises(ValueError, match="Unknown activation: 'nope'"):
        activations.deserialize({"class_name": "function", "config": "nope"})


def test_softmax_size_one_axis_warns():
    with pytest.warns(UserWarning, match="Did you mean to use a sigmoid"):
        activations.softmax(np.zeros((2, 1), "float32"))


def test_linear_is_identity_and_numpy_input():
    x = _x(seed=5)
    assert activations.linear(x) is x
    assert isinstance(activations.relu(x), jax.Array)
