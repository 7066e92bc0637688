"""EinsumDense against Keras 3's: same weights, same numbers, configs, `.keras` files both ways, training."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402
from lstmkit.models import Model, Sequential  # noqa: E402

RNG = np.random.default_rng(11)

# (equation, output_shape, bias_axes, input shape with the batch axis)
CASES = [
    ("ab,bc->ac", 4, "c", (3, 5)),
    ("ab,bc->ac", (4,), None, (3, 5)),
    ("abc,cd->abd", (None, 4), "d", (2, 6, 5)),
    ("abc,cde->abde", (6, 3, 4), "de", (2, 6, 5)),
    ("abc,cde->abde", (6, 3, 4), "be", (2, 6, 5)),
    ("abcd,cde->abe", (6, 4), "e", (2, 6, 3, 5)),
    ("...b,bc->...c", (4,), "c", (2, 3, 7, 5)),
    ("bc...,cd->bd...", (4,), "d", (2, 5, 3)),
    ("BFNH,NHD->BFD", (6, 4), None, (2, 6, 2, 3)),
]
IDS = [f"{eq}|{bias}|{len(shape)}d" for eq, _, bias, shape in CASES]


def _pair(equation, output_shape, bias_axes, input_shape, activation=None):
    """A Keras layer and an lstmkit layer with the same (random) weights."""
    k = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation=activation)
    k.build(input_shape)
    ours = L.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation=activation)
    ours.build(input_shape)
    weights = [RNG.normal(size=w.shape).astype("float32") for w in k.weights]
    k.set_weights(weights)
    ours.set_weights(weights)
    return k, ours


@pytest.mark.parametrize("equation,output_shape,bias_axes,input_shape", CASES, ids=IDS)
def test_same_weights_same_numbers_as_keras(equation, output_shape, bias_axes, input_shape):
    k, ours = _pair(equation, output_shape, bias_axes, input_shape, activation="tanh")
    assert [v.path for v in k.weights] == [f"{ours.name}/{v.name}" for v in ours.weights] or \
        [v.name for v in k.weights] == [v.name for v in ours.weights]
    assert [tuple(v.shape) for v in k.weights] == [tuple(v.shape) for v in ours.weights]
    x = RNG.normal(size=input_shape).astype("float32")
    y = np.asarray(ours(x))
    np.testing.assert_allclose(y, np.asarray(k(x)), rtol=1e-5, atol=1e-5)
    symbolic_in = (None,) + tuple(input_shape[1:])
    ours_shape = ours.compute_output_shape(symbolic_in)
    assert tuple(L.EinsumDense(equation, output_shape, bias_axes=bias_axes)(lstmkit.Input(input_shape[1:])).shape) \
        == ours_shape
    # The symbolic shape is the real output's (unknown sizes aside).
    assert all(s is None or s == d for s, d in zip(ours_shape[1:], y.shape[1:])) and len(ours_shape) == y.ndim
    keras_shape = tuple(k.compute_output_shape(symbolic_in))
    if equation.startswith("...") and len(input_shape) > 3:
        # Keras 3.15 lists three or more leading elided axes in reverse order in its symbolic shape
        # ((None, 7, 3, 4) here, while its call gives (2, 3, 7, 4)); lstmkit gives the call's order.
        assert keras_shape == (None,) + tuple(reversed(ours_shape[1:len(input_shape) - 1])) + ours_shape[-1:]
    else:
        assert ours_shape == keras_shape


@pytest.mark.parametrize("equation,output_shape,bias_axes,input_shape", CASES, ids=IDS)
def test_config_equals_keras_and_round_trips(equation, output_shape, bias_axes, input_shape):
    kwargs = dict(bias_axes=bias_axes, activation="relu", kernel_initializer="he_normal",
                  kernel_regularizer="l2", bias_constraint="non_neg", name="ed")
    ours = L.EinsumDense(equation, output_shape, **kwargs)
    config = ours.get_config()
    assert config == keras.layers.EinsumDense(equation, output_shape, **kwargs).get_config()
    assert L.EinsumDense.from_config(config).get_config() == config
    defaults = dict(bias_axes=bias_axes, name="plain")  # activation None is written 'linear', as Keras does
    assert L.EinsumDense(equation, output_shape, **defaults).get_config() \
        == keras.layers.EinsumDense(equation, output_shape, **defaults).get_config()
    # A config read back from Keras's JSON (lists for tuples) gives the same layer.
    keras_json = keras.saving.serialize_keras_object(keras.layers.EinsumDense(equation, output_shape, **kwargs))
    assert L.EinsumDense.from_config(keras_json["config"]).get_config() == config


def test_kernel_initializer_uses_the_equations_fans():
    # (5, 3, 4) kernel of "abc,cde->abde": fan_in 5, fan_out 12 (not 3 and 4 from the last two axes).
    lstmkit.utils.set_random_seed(0)
    layer = L.EinsumDense("abc,cde->abde", (6, 3, 4), kernel_initializer="glorot_uniform")
    layer.build((None, 6, 5))
    limit = np.sqrt(6.0 / (5 + 12))
    kernel = np.asarray(layer.kernel.value)
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.8 * limit
    assert layer.get_config()["kernel_initializer"]["config"]["input_axes"] is None  # the config is as given


def test_errors_are_keras_types_and_name_the_argument():
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        L.EinsumDense("ab->b", 3).build((None, 2))
    with pytest.raises(ValueError, match="Bias dimension 'z'"):
        L.EinsumDense("ab,bc->ac", 3, bias_axes="z").build((None, 2))
    with pytest.raises(ValueError, match="Weight dimension 'x'"):
        L.EinsumDense("ab,bx->ab", (2,)).build((None, 2))
    with pytest.raises(ValueError, match="shared dimension 'b'"):
        L.EinsumDense("abc,cd->abd", (7, 4)).build((None, 6, 5))
    with pytest.raises(TypeError, match="output_shape"):
        L.EinsumDense("ab,bc->ac", "64")
    with pytest.raises(NotImplementedError, match="lora_rank"):
        L.EinsumDense("ab,bc->ac", 4, lora_rank=2)
    with pytest.raises(NotImplementedError, match="quantization_config"):
        L.EinsumDense("ab,bc->ac", 4, quantization_config={"mode": "int8"})
    layer = L.EinsumDense("ab,bc->ac", 4)
    with pytest.raises(AttributeError, match="build the layer"):
        layer.kernel
    layer(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        layer(np.zeros((2, 3, 3), "float32"))


def _model(lib):
    inp = lib.Input((6, 5))
    x = lib.layers.EinsumDense("abc,cde->abde", (6, 3, 4), bias_axes="de", activation="tanh", name="qkv")(inp)
    x = lib.layers.Reshape((6, 12))(x)
    out = lib.layers.EinsumDense("abc,cd->abd", (None, 2), bias_axes="d", name="proj")(x)
    return lib.Model(inp, out)


def test_keras_file_saved_by_lstmkit_loads_in_keras(tmp_path):
    model = _model(lstmkit)
    x = RNG.normal(size=(4, 6, 5)).astype("float32")
    path = str(tmp_path / "ours.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    assert restored.get_layer("qkv").get_config() == model.get_layer("qkv").get_config()


def test_keras_file_saved_by_keras_loads_in_lstmkit(tmp_path):
    model = _model(keras)
    x = RNG.normal(size=(4, 6, 5)).astype("float32")
    path = str(tmp_path / "keras.keras")
    model.save(path)
    restored = lstmkit.models.load_model(path)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    assert restored.get_layer("proj").get_config() == model.get_layer("proj").get_config()


def test_fits_in_a_small_model():
    lstmkit.utils.set_random_seed(3)
    x = RNG.normal(size=(64, 4, 3)).astype("float32")
    y = np.tanh(x.sum(axis=-1, keepdims=True) * 0.5).astype("float32")
    model = Sequential([lstmkit.Input((4, 3)), L.EinsumDense("abc,cd->abd", (None, 8), bias_axes="d",
                                                             activation="tanh"),
                        L.EinsumDense("abc,cd->abd", (None, 1), bias_axes="d")])
    model.compile(lstmkit.optimizers.Adam(0.02), "mse")
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * before
    assert model.predict(x, verbose=0).shape == (64, 4, 1)


def test_in_a_functional_model_trains_like_keras_one_step():
    """One SGD step from the same weights gives the same new weights as Keras's."""
    x = RNG.normal(size=(8, 6, 5)).astype("float32")
    y = RNG.normal(size=(8, 6, 2)).astype("float32")
    ours, k = _model(lstmkit), _model(keras)
    k.set_weights(ours.get_weights())
    ours.compile(lstmkit.optimizers.SGD(0.1), "mse")
    k.compile(keras.optimizers.SGD(0.1), "mse")
    ours.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    k.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
