"""Permute and Dot (and `dot`) against Keras 3: outputs and gradients, output shapes, configs, a model's fit,
`.keras` / `.h5` files both ways, and Keras's argument errors."""

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

RNG = np.random.default_rng(21)


@pytest.mark.parametrize("dims,shape", [((2, 1), (2, 3, 4)), ((1, 2), (2, 3, 4)), ((3, 1, 2), (2, 3, 4, 5)),
                                        ((1,), (2, 3))], ids=["swap", "same", "rotate", "rank2"])
def test_permute_matches_keras(dims, shape):
    x = RNG.normal(size=shape).astype("float32")
    k, ours = keras.layers.Permute(dims, name="p"), L.Permute(dims, name="p")
    np.testing.assert_array_equal(np.asarray(ours(x)), np.asarray(k(x)))
    symbolic = (None,) + shape[1:]
    assert ours.compute_output_shape(symbolic) == k.compute_output_shape(symbolic)
    assert L.Permute(dims)(lstmkit.Input(shape[1:])).shape == keras.layers.Permute(dims)(keras.Input(shape[1:])).shape
    assert ours.get_config() == k.get_config()
    assert L.Permute.from_config(ours.get_config()).get_config() == ours.get_config()


def test_permute_errors_are_keras_errors():
    for dims in [(0, 1), (1, 3), (2, 2), (1, 2.0)]:
        with pytest.raises(ValueError, match="Invalid permutation argument `dims`"):
            L.Permute(dims)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        L.Permute((2, 1))(lstmkit.Input((2, 3, 4)))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        L.Permute((2, 1))(np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError, match="dims"):
        L.Permute(2)


DOT_CASES = [
    ((2, 4), (2, 4), -1, False), ((2, 4), (2, 4), 1, True), ((2, 3, 4), (2, 5, 4), -1, False),
    ((2, 3, 4), (2, 5, 4), (2, 2), True), ((2, 3, 4), (2, 3, 5), 1, False), ((2, 3, 4), (2, 4), (2, 1), False),
    ((2, 4), (2, 4, 5), (1, 1), True), ((2, 3, 2), (2, 1, 2, 3), (-2, -1), False), ((2, 3, 4), (2, 4, 3), (1, 2), True),
]


@pytest.mark.parametrize("shape1,shape2,axes,normalize", DOT_CASES, ids=[str(i) for i in range(len(DOT_CASES))])
def test_dot_outputs_and_gradients_match_keras(shape1, shape2, axes, normalize):
    a = RNG.normal(size=shape1).astype("float32")
    b = RNG.normal(size=shape2).astype("float32")
    if normalize:
        a[0] = 0.0  # a zero vector: Keras's normalize keeps it at zero
    k, ours = keras.layers.Dot(axes, normalize=normalize, name="d"), L.Dot(axes, normalize=normalize, name="d")
    expected = np.asarray(k([a, b]))
    got = np.asarray(ours([a, b]))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    w = RNG.normal(size=expected.shape).astype("float32")
    grads = [jax.grad(lambda u, v: jnp.sum(jnp.asarray(layer([u, v])) * w), argnums=(0, 1))(a, b)
             for layer in (k, ours)]
    for theirs, mine in zip(*grads):
        np.testing.assert_allclose(np.asarray(mine), np.asarray(theirs), rtol=1e-5, atol=1e-6)
    s1, s2 = (None,) + shape1[1:], (None,) + shape2[1:]
    assert ours.compute_output_shape([s1, s2]) == k.compute_output_shape([s1, s2])
    sym = L.Dot(axes, normalize=normalize)([lstmkit.Input(shape1[1:]), lstmkit.Input(shape2[1:])])
    assert sym.shape == keras.layers.Dot(axes, normalize=normalize)([keras.Input(shape1[1:]),
                                                                     keras.Input(shape2[1:])]).shape
    assert ours.get_config() == k.get_config()
    assert L.Dot.from_config(ours.get_config()).get_config() == ours.get_config()


def test_functional_dot_and_masks():
    a, b = lstmkit.Input((3, 4)), lstmkit.Input((5, 4))
    out = L.dot([a, b], axes=-1, normalize=True, name="cos")
    assert out.shape == (None, 3, 5)
    model = lstmkit.Model([a, b], out)
    assert model.layers[-1].name == "cos" and model.layers[-1].normalize
    assert L.Dot(1).compute_mask([a, b], [np.ones((2, 3), bool), None]) is None


def _attention_model(lib):
    # Dot-product attention over encoded steps: scores = Dot(h_t, h_last), weights = softmax, context = Dot.
    ly = lib.layers
    x = lib.Input((6, 3))
    seq = ly.Dense(4, activation="tanh")(x)
    last = ly.Lambda(lambda s: s[:, -1, :])(seq)
    scores = ly.Dot(axes=(2, 1))([seq, last])
    weights = ly.Activation("softmax")(scores)
    context = ly.Dot(axes=(1, 1))([weights, seq])
    steps_first = ly.Permute((2, 1))(seq)
    pooled = ly.GlobalAveragePooling1D()(steps_first)
    out = ly.Dense(1)(ly.Concatenate()([context, pooled]))
    return lib.Model(x, out)


X = RNG.normal(size=(16, 6, 3)).astype("float32")
Y = RNG.normal(size=(16, 1)).astype("float32")


def test_attention_model_with_dot_and_permute_fits_as_keras():
    k, ours = _attention_model(keras), _attention_model(lstmkit)
    ours.set_weights([np.asarray(w) for w in k.get_weights()])
    np.testing.assert_allclose(ours.predict(X, verbose=0), k.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    assert ours.count_params() == k.count_params()
    k.compile(keras.optimizers.Adam(0.01), "mse")
    ours.compile(lstmkit.optimizers.Adam(0.01), "mse")
    hk = k.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    ho = ours.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ho, hk, rtol=1e-5)
    for a, b in zip(ours.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-6)


def _plain_model(lib):
    ly = lib.layers
    a, b = lib.Input((4, 3)), lib.Input((5, 3))
    scores = ly.Dot(axes=-1, normalize=True)([ly.Dense(3)(a), b])
    return lib.Model([a, b], ly.Dense(2)(ly.Permute((2, 1))(scores)))


@pytest.mark.parametrize("filename", ["m.keras", "m.h5"])
def test_files_both_ways(tmp_path, filename):
    xs = [RNG.normal(size=(3, 4, 3)).astype("float32"), RNG.normal(size=(3, 5, 3)).astype("float32")]
    k, ours = _plain_model(keras), _plain_model(lstmkit)
    ours.set_weights([np.asarray(w) for w in k.get_weights()])
    expected = np.asarray(k.predict(xs, verbose=0))
    ours.save(tmp_path / f"ours_{filename}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's note that .h5 is a legacy format
        k.save(tmp_path / f"keras_{filename}")
        in_keras = keras.saving.load_model(tmp_path / f"ours_{filename}")
    in_ours = lstmkit.saving.load_model(tmp_path / f"keras_{filename}")
    again = lstmkit.saving.load_model(tmp_path / f"ours_{filename}")
    for m in (in_keras, in_ours, again):
        np.testing.assert_allclose(np.asarray(m.predict(xs, verbose=0)), expected, rtol=1e-5, atol=1e-6)
    mine = [l.get_config() for l in in_ours.layers if type(l).__name__ in ("Dot", "Permute")]
    theirs = [l.get_config() for l in k.layers if type(l).__name__ in ("Dot", "Permute")]
    assert mine == theirs and len(mine) == 2


@pytest.mark.parametrize("make,error", [
    (lambda lib: lib.layers.Dot(axes="last"), TypeError), (lambda lib: lib.layers.Dot(axes=(1, 2, 3)), ValueError),
    (lambda lib: lib.layers.Dot(axes=(1, 2.0)), ValueError),
    (lambda lib: lib.layers.Dot(axes=1)([lib.Input((3,)), lib.Input((4,))]), ValueError),
    (lambda lib: lib.layers.Dot(axes=1)([lib.Input((3,)), lib.Input((3,)), lib.Input((3,))]), ValueError),
], ids=["type", "three", "float", "sizes", "three_inputs"])
def test_dot_argument_errors_are_keras_errors(make, error):
    with pytest.raises(error) as theirs:
        make(keras)
    with pytest.raises(error) as ours:
        make(lstmkit)
    first_words = str(theirs.value).split(":")[0]
    assert first_words in str(ours.value)


def test_dot_refuses_the_batch_axis():
    with pytest.raises(ValueError, match="batch_dot over axis 0"):
        L.Dot(axes=0)([np.ones((2, 3), "float32"), np.ones((2, 3), "float32")])
