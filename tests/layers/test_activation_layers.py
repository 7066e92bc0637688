"""LeakyReLU, PReLU, ELU, ReLU and Softmax against Keras 3: outputs and input gradients (edge values included),
PReLU's weight and its gradient, Softmax's masks, configs, masks passed on in a model, a compiled fit,
`.keras` / `.h5` files both ways, parameter counts and argument errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import warnings  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402

RNG = np.random.default_rng(11)
# Values at the kinks (0, the threshold 0.5, max_value 2) and around them.
EDGES = np.array([-3.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 0.7, 2.0, 2.5, 6.0], "float32")

CASES = [
    ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.05}), ("LeakyReLU", {"negative_slope": 0}),
    ("ELU", {}), ("ELU", {"alpha": 0.4}),
    ("ReLU", {}), ("ReLU", {"max_value": 2.0}), ("ReLU", {"max_value": 6}), ("ReLU", {"negative_slope": 0.1}),
    ("ReLU", {"threshold": 0.5}), ("ReLU", {"max_value": 2.0, "negative_slope": 0.2, "threshold": 0.5}),
    ("Softmax", {}), ("Softmax", {"axis": 1}), ("Softmax", {"axis": (1, 2)}), ("Softmax", {"axis": [2]}),
]


def _input_grad(layer, x, w, **kwargs):
    return jax.grad(lambda v: jnp.sum(jnp.asarray(layer(v, **kwargs)) * w))(jnp.asarray(x))


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_outputs_gradients_and_configs_equal_keras(name, kwargs):
    x = np.concatenate([EDGES, RNG.normal(size=14).astype("float32")]).reshape(2, 3, 4)
    w = RNG.normal(size=x.shape).astype("float32")
    k, ours = getattr(keras.layers, name)(name="a", **kwargs), getattr(L, name)(name="a", **kwargs)
    assert ours.built and k.built  # no weights: built when made, as Keras
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(k(x)), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.asarray(_input_grad(ours, x, w)), np.asarray(_input_grad(k, x, w)),
                               rtol=1e-6, atol=1e-7)
    assert ours.get_config() == k.get_config() and list(ours.get_config()) == list(k.get_config())
    assert getattr(L, name).from_config(ours.get_config()).get_config() == ours.get_config()
    assert ours.compute_output_shape((None, 3, 4)) == (None, 3, 4)


@pytest.mark.parametrize("kwargs,shape", [
    ({}, (2, 3, 4)), ({"shared_axes": 1}, (2, 3, 4)), ({"shared_axes": [1, 2]}, (2, 3, 4)),
    ({"alpha_initializer": "ones", "alpha_regularizer": "l2", "alpha_constraint": "non_neg"}, (2, 5)),
], ids=["plain", "shared1", "shared12", "options"])
def test_prelu_weight_outputs_and_gradients_equal_keras(kwargs, shape):
    x = RNG.normal(size=shape).astype("float32")
    x.flat[:3] = 0.0  # the kink
    w = RNG.normal(size=shape).astype("float32")
    k, ours = keras.layers.PReLU(name="p", **kwargs), L.PReLU(name="p", **kwargs)
    k.build(shape)
    ours.build(shape)
    assert [(v.name, tuple(v.shape)) for v in ours.weights] == [(v.name, tuple(v.shape)) for v in k.weights]
    np.testing.assert_array_equal(ours.get_weights()[0], np.asarray(k.get_weights()[0]))  # the initializer's
    alpha = RNG.normal(size=k.weights[0].shape).astype("float32")
    k.set_weights([alpha])
    ours.set_weights([alpha])
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(k(x)), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.asarray(_input_grad(ours, x, w)), np.asarray(_input_grad(k, x, w)), rtol=1e-6,
                               atol=1e-7)

    def keras_alpha_grad(a):
        out, _ = k.stateless_call([a], [], x)
        return jnp.sum(out * w)

    def our_alpha_grad(a):
        out, _ = ours.apply({"alpha": a}, jnp.asarray(x), lstmkit.layers.base.CallContext(training=False))
        return jnp.sum(out * w)

    np.testing.assert_allclose(np.asarray(jax.grad(our_alpha_grad)(jnp.asarray(alpha))),
                               np.asarray(jax.grad(keras_alpha_grad)(jnp.asarray(alpha))), rtol=1e-6, atol=1e-6)
    assert ours.get_config() == k.get_config()
    assert ours.count_params() == k.count_params()
    if "alpha_regularizer" in kwargs:
        np.testing.assert_allclose(float(ours.losses[0]), float(k.losses[0]), rtol=1e-6)


@pytest.mark.parametrize("mask", [
    np.array([[1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 1, 0]], bool),
    np.array([[0.9, 0.2, 0.6, 1.0], [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.7, 0.4]], "float32"),
    np.array([1, 0, 1, 1], "int32"),
], ids=["bool", "float", "broadcast_int"])
def test_softmax_masks_equal_keras(mask):
    x = RNG.normal(size=(3, 4)).astype("float32")
    w = RNG.normal(size=(3, 4)).astype("float32")
    for kwargs in ({}, {"axis": (0, 1)}):
        k, ours = keras.layers.Softmax(**kwargs), L.Softmax(**kwargs)
        np.testing.assert_allclose(np.asarray(ours(x, mask=mask)), np.asarray(k(x, mask=mask)), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(np.asarray(_input_grad(ours, x, w, mask=mask)),
                                   np.asarray(_input_grad(k, x, w, mask=mask)), rtol=1e-6, atol=1e-7)


def test_softmax_refuses_a_mask_that_does_not_broadcast():
    x = np.zeros((2, 3), "float32")
    with pytest.raises(ValueError, match="must not have more dimensions"):
        L.Softmax()(x, mask=np.ones((1, 2, 3), bool))
    with pytest.raises(ValueError, match="Each mask dimension must be 1"):
        L.Softmax()(x, mask=np.ones((2, 2), bool))


def test_softmax_attention_with_a_key_mask_in_a_functional_model_matches_keras():
    # Scores (batch, queries, keys) masked by a (batch, 1, keys) padding mask: the usual attention pattern.
    x = RNG.normal(size=(2, 3, 5)).astype("float32")
    keep = np.array([[[1, 1, 1, 0, 0]], [[1, 1, 1, 1, 1]]], bool)
    outs = []
    for lib in (keras, lstmkit):
        scores, m = lib.Input((3, 5)), lib.Input((1, 5), dtype="bool")
        model = lib.Model([scores, m], lib.layers.Softmax()(scores, mask=m))
        outs.append(np.asarray(model.predict([x, keep], verbose=0)))
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-6, atol=1e-7)
    assert (outs[1][0, :, 3:] == 0).all()


def test_softmax_refuses_a_sequence_mask_after_a_masked_lstm_as_keras():
    # Keras hands Softmax the (batch, steps) mask of (batch, steps, units) scores, and refuses it: so does lstmkit.
    ids = np.array([[1, 2, 0, 0, 0], [1, 2, 3, 4, 5]])
    for lib in (keras, lstmkit):
        model = lib.Sequential([lib.Input((5,), dtype="int32"), lib.layers.Embedding(7, 4, mask_zero=True),
                                lib.layers.LSTM(3, return_sequences=True), lib.layers.Softmax()])
        with pytest.raises(ValueError, match="Each mask dimension must be 1 or match"):
            model.predict(ids, verbose=0)


def _activations_model(lib):
    ly = lib.layers
    return lib.Sequential([lib.Input((5,), dtype="int32"), ly.Embedding(7, 4, mask_zero=True), ly.Dense(6),
                           ly.PReLU(shared_axes=[1], alpha_initializer="random_uniform"), ly.LeakyReLU(0.1),
                           ly.ELU(0.5), ly.ReLU(max_value=3.0, negative_slope=0.05, threshold=0.1),
                           ly.GlobalAveragePooling1D(), ly.Softmax()])


IDS = RNG.integers(1, 7, size=(16, 5))
IDS[::2, 3:] = 0  # padded: the Embedding's mask passes through every activation layer to the (masked) pooling
TARGET = np.eye(6, dtype="float32")[RNG.integers(0, 6, size=16)]


def test_masked_model_predicts_and_fits_as_keras():
    k, ours = _activations_model(keras), _activations_model(lstmkit)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in k.get_weights()]
    values = [RNG.normal(size=w.shape).astype("float32") for w in k.get_weights()]  # inputs of unit size
    k.set_weights(values)
    ours.set_weights(values)
    np.testing.assert_allclose(ours.predict(IDS, verbose=0), k.predict(IDS, verbose=0), rtol=1e-5, atol=1e-6)
    assert ours.count_params() == k.count_params()
    k.compile(keras.optimizers.SGD(0.5), "categorical_crossentropy")
    ours.compile(lstmkit.optimizers.SGD(0.5), "categorical_crossentropy")
    prelu_k = next(l for l in k.layers if type(l).__name__ == "PReLU")
    prelu_o = next(l for l in ours.layers if type(l).__name__ == "PReLU")
    before = prelu_o.get_weights()[0]
    hk = k.fit(IDS, TARGET, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    ho = ours.fit(IDS, TARGET, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ho, hk, rtol=1e-5)
    assert np.abs(prelu_o.get_weights()[0] - before).max() > 1e-3  # alpha trained
    np.testing.assert_allclose(prelu_o.get_weights()[0], np.asarray(prelu_k.get_weights()[0]), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("filename", ["m.keras", "m.h5"])
def test_files_both_ways(tmp_path, filename):
    k, ours = _activations_model(keras), _activations_model(lstmkit)
    ours.set_weights([np.asarray(w) for w in k.get_weights()])
    expected = np.asarray(k.predict(IDS, verbose=0))
    ours.save(tmp_path / f"ours_{filename}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's note that .h5 is a legacy format
        k.save(tmp_path / f"keras_{filename}")
        in_keras = keras.saving.load_model(tmp_path / f"ours_{filename}")
        keras_again = keras.saving.load_model(tmp_path / f"keras_{filename}")
    in_ours = lstmkit.saving.load_model(tmp_path / f"keras_{filename}")
    again = lstmkit.saving.load_model(tmp_path / f"ours_{filename}")
    for m in (in_keras, in_ours, again):
        np.testing.assert_allclose(np.asarray(m.predict(IDS, verbose=0)), expected, rtol=1e-5, atol=1e-6)
    for ours_reads, keras_reads in ((in_ours, keras_again), (again, in_keras)):
        assert [l.get_config() for l in ours_reads.layers] == [l.get_config() for l in keras_reads.layers]


def test_leaky_relu_takes_keras2_alpha():
    with pytest.warns(UserWarning, match="`alpha` is deprecated"):
        layer = L.LeakyReLU(alpha=0.2)
    assert layer.negative_slope == 0.2 and "alpha" not in layer.get_config()
    # A tf.keras 2 config names it `alpha`; read as Keras 2 wrote it.
    assert L.LeakyReLU.keras2_config({"name": "l", "alpha": 0.25}, "l") == {"name": "l", "negative_slope": 0.25}
    assert L.LeakyReLU.to_keras2_config({"name": "l", "negative_slope": 0.25}, "l", None)["alpha"] == 0.25


@pytest.mark.parametrize("make,error", [
    (lambda lib: lib.layers.LeakyReLU(-0.1), ValueError), (lambda lib: lib.layers.LeakyReLU(None), ValueError),
    (lambda lib: lib.layers.ReLU(max_value=-1), ValueError), (lambda lib: lib.layers.ReLU(negative_slope=-1), ValueError),
    (lambda lib: lib.layers.ReLU(threshold=-0.5), ValueError), (lambda lib: lib.layers.ReLU(threshold=None), ValueError),
    (lambda lib: lib.layers.ReLU(max_value="big"), TypeError),
], ids=["lrelu_neg", "lrelu_none", "max_neg", "slope_neg", "thr_neg", "thr_none", "max_str"])
def test_argument_errors_are_keras_errors(make, error):
    with pytest.raises(error) as theirs:
        make(keras)
    with pytest.raises(error) as ours:
        make(lstmkit)
    if error is ValueError:
        assert str(ours.value) == str(theirs.value)


def test_prelu_checks_inputs_once_built():
    layer = L.PReLU(shared_axes=1)
    layer(np.zeros((2, 3, 4), "float32"))
    layer(np.zeros((2, 7, 4), "float32"))  # the shared axis may change
    with pytest.raises(ValueError, match="expected axis 2 of input shape to have value 4"):
        layer(np.zeros((2, 3, 5), "float32"))
    with pytest.raises(ValueError, match="expected ndim=3"):
        layer(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match="shared_axes"):
        L.PReLU(shared_axes=0)
    with pytest.raises(ValueError, match="needs the sizes"):
        L.PReLU()(lstmkit.Input((None, 4)))


def test_a_keras2_model_config_reads_as_keras2_wrote_it():
    import json

    layer = lambda cls, **c: {"class_name": cls, "config": {"name": cls.lower(), "trainable": True, "dtype": "float32",
                                                            **c}}
    config = {"class_name": "Sequential", "keras_version": "2.12.0", "backend": "tensorflow", "config": {
        "name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "in"}},
            layer("LeakyReLU", alpha=0.25), layer("ELU", alpha=0.5), layer("Softmax", axis=-1),
            layer("PReLU", alpha_initializer={"class_name": "Constant", "config": {"value": 0.1}},
                  alpha_regularizer=None, alpha_constraint=None, shared_axes=None),
            layer("ReLU", max_value=None, negative_slope=0.0, threshold=0.0)]}}
    model = lstmkit.models.model_from_json(json.dumps(config))
    assert model.layers[0].negative_slope == 0.25
    x = np.array([[-2.0, 0.0, 1.0, 3.0]], "float32")
    expected = jax.nn.softmax(jax.nn.elu(jax.nn.leaky_relu(jnp.asarray(x), 0.25), 0.5))
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(expected), rtol=1e-6)
