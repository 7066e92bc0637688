"""GroupNormalization and UnitNormalization against Keras 3: the same weights give the same outputs and gradients,
configs (also after `groups=-1` is resolved), parameter counts, masks passed on, training in a model, `.keras` /
`.h5` files both ways, and the argument errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import warnings  # noqa: E402

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402

RNG = np.random.default_rng(3)

GN_CASES = [
    ((3, 4, 6), dict(groups=2)), ((2, 6, 5), dict(groups=3, axis=1)), ((2, 3, 4, 5), dict(groups=-1, axis=-2)),
    ((2, 8), dict(groups=1, center=False)), ((2, 3, 4, 5), dict(groups=2, axis=2, epsilon=0.1, scale=False)),
    ((2, 5, 4), dict(groups=4, gamma_regularizer="l2", beta_constraint="non_neg", gamma_initializer="he_normal")),
]
GN_IDS = ["groups2", "axis1", "instance_axis-2", "one_group_no_center", "axis2_no_scale", "regularized"]


@pytest.mark.parametrize("shape,kwargs", GN_CASES, ids=GN_IDS)
def test_group_normalization_matches_keras(shape, kwargs):
    x = RNG.normal(2.0, 3.0, size=shape).astype("float32")
    k, ours = keras.layers.GroupNormalization(name="g", **kwargs), L.GroupNormalization(name="g", **kwargs)
    assert ours.get_config() == k.get_config() and list(ours.get_config()) == list(k.get_config())
    k.build(shape)
    ours.build(shape)
    assert ours.get_config() == k.get_config()  # groups=-1 is the number of channels once built, in both
    assert [(v.name, tuple(v.shape)) for v in ours.weights] == [(v.name, tuple(v.shape)) for v in k.weights]
    assert ours.count_params() == k.count_params()
    values = [RNG.normal(size=w.shape).astype("float32") for w in k.get_weights()]
    k.set_weights(values)
    ours.set_weights(values)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(k(x)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sum(np.asarray(l) for l in ours.losses), sum(np.asarray(l) for l in k.losses) or 0.0,
                               rtol=1e-6)


@pytest.mark.parametrize("shape,kwargs", [GN_CASES[1], GN_CASES[2]], ids=[GN_IDS[1], GN_IDS[2]])
def test_group_normalization_gradients_match_keras(shape, kwargs):
    """Gradients of a weighted sum of the outputs with respect to the inputs and to gamma / beta."""
    x = RNG.normal(2.0, 3.0, size=shape).astype("float32")
    k, ours = keras.layers.GroupNormalization(**kwargs), L.GroupNormalization(**kwargs)
    k.build(shape)
    ours.build(shape)
    values = [RNG.normal(size=w.shape).astype("float32") for w in k.get_weights()]
    cotangent = RNG.normal(size=shape).astype("float32")
    names = [v.name for v in ours.weights]

    def ours_loss(x, weights):
        out, _ = ours.apply(dict(zip(names, weights)), x, lstmkit.layers.base.CallContext())
        return (out * cotangent).sum()

    def keras_loss(x, weights):
        out, _ = k.stateless_call(weights, [], x)
        return (out * cotangent).sum()

    weights = [jax.numpy.asarray(v) for v in values]
    got = jax.grad(ours_loss, argnums=(0, 1))(x, weights)
    want = jax.grad(keras_loss, argnums=(0, 1))(x, weights)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("axis", [-1, 1, (1, 2), [-1, 1]], ids=str)
def test_unit_normalization_matches_keras(axis):
    x = RNG.normal(size=(3, 4, 5)).astype("float32")
    x[0] = 0.0  # an all-zero sample stays zero (the inverse norm is capped), in both
    k, ours = keras.layers.UnitNormalization(axis=axis, name="u"), L.UnitNormalization(axis=axis, name="u")
    assert ours.get_config() == k.get_config()
    assert ours.built and ours.count_params() == 0
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(k(x)), rtol=1e-6, atol=1e-6)
    cot = RNG.normal(size=x.shape).astype("float32")
    got = jax.grad(lambda v: (ours(v) * cot).sum())(x + 0.5)
    want = jax.grad(lambda v: (k(v) * cot).sum())(x + 0.5)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)


def _model(lib):
    ly = lib.layers
    return lib.Sequential([lib.Input((6, 4)), ly.Dense(8), ly.GroupNormalization(groups=4, gamma_regularizer="l2"),
                           ly.Dense(6, activation="tanh"), ly.UnitNormalization(), ly.GroupNormalization(3, axis=1),
                           ly.Dense(1)])


def test_a_model_trains_as_in_keras_and_counts_the_same_parameters():
    x = RNG.normal(size=(16, 6, 4)).astype("float32")
    y = RNG.normal(size=(16, 6, 1)).astype("float32")
    k, ours = _model(keras), _model(lstmkit)
    assert ours.count_params() == k.count_params()
    assert [l.count_params() for l in ours.layers] == [l.count_params() for l in k.layers]
    assert ours.layers[1].checked_param_count_formula()[1] == 16
    ours.set_weights(k.get_weights())
    for m, lib in ((k, keras), (ours, lstmkit)):
        m.compile(lib.optimizers.Adam(0.01), "mse")
    hk = k.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    ho = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ho, hk, rtol=2e-5)
    for a, b in zip(ours.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)
    assert np.abs(ours.get_weights()[2] - 1.0).max() > 1e-3  # gamma moved: the gradients reached it


def test_masks_pass_through_as_in_keras():
    ids = np.array([[1, 2, 3, 0, 0], [4, 0, 0, 0, 0], [1, 1, 2, 2, 3]])

    def make(lib):
        ly = lib.layers
        return lib.Sequential([lib.Input((5,), dtype="int32"), ly.Embedding(6, 4, mask_zero=True),
                               ly.GroupNormalization(2), ly.UnitNormalization(), ly.LSTM(3)])
    k, ours = make(keras), make(lstmkit)
    ours.set_weights(k.get_weights())
    np.testing.assert_allclose(ours.predict(ids, verbose=0), np.asarray(k.predict(ids, verbose=0)), rtol=1e-5,
                               atol=1e-6)
    mask = ids != 0
    for layer in ours.layers[1:3]:
        np.testing.assert_array_equal(np.asarray(layer.compute_mask(None, mask)), mask)


@pytest.mark.parametrize("filename", ["m.keras", "m.h5"])
def test_files_both_ways(tmp_path, filename):
    x = RNG.normal(size=(3, 6, 4)).astype("float32")
    k, ours = _model(keras), _model(lstmkit)
    ours.set_weights([RNG.normal(size=w.shape).astype("float32") for w in k.get_weights()])
    k.set_weights(ours.get_weights())
    expected = np.asarray(k.predict(x, verbose=0))
    ours.save(tmp_path / f"ours_{filename}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's note that .h5 is a legacy format
        k.save(tmp_path / f"keras_{filename}")
        in_keras = keras.saving.load_model(tmp_path / f"ours_{filename}")
        keras_again = keras.saving.load_model(tmp_path / f"keras_{filename}")
    in_ours = lstmkit.saving.load_model(tmp_path / f"keras_{filename}")
    again = lstmkit.saving.load_model(tmp_path / f"ours_{filename}")
    for m in (in_keras, in_ours, again):
        np.testing.assert_allclose(np.asarray(m.predict(x, verbose=0)), expected, rtol=1e-5, atol=1e-5)
    for ours_reads, keras_reads in ((in_ours, keras_again), (again, in_keras)):
        assert [l.get_config() for l in ours_reads.layers] == [l.get_config() for l in keras_reads.layers]
        for a, b in zip(ours_reads.get_weights(), keras_reads.get_weights()):
            np.testing.assert_array_equal(a, np.asarray(b))


# ------------------------------------------------------------------------------------------ arguments
@pytest.mark.parametrize("make", [
    lambda lib: lib.layers.GroupNormalization(groups=0), lambda lib: lib.layers.GroupNormalization(groups=2.0),
    lambda lib: lib.layers.GroupNormalization(groups=-3),
    lambda lib: lib.layers.GroupNormalization(groups=5)(np.ones((2, 4), "float32")),
    lambda lib: lib.layers.GroupNormalization(groups=3)(np.ones((2, 4), "float32")),
    lambda lib: lib.layers.GroupNormalization(groups=2)(lib.Input((3, None))),
    lambda lib: lib.layers.GroupNormalization(groups=2, axis=3).compute_output_shape((2, 4, 6)),
    lambda lib: lib.layers.UnitNormalization(axis=2).compute_output_shape((2, 4)),
], ids=["zero", "float", "minus3", "too_many", "not_a_multiple", "unknown_channels", "axis_range", "unit_axis"])
def test_argument_errors_are_keras_messages(make):
    with pytest.raises(ValueError) as theirs:
        make(keras)
    with pytest.raises(ValueError) as ours:
        make(lstmkit)
    assert str(ours.value) == str(theirs.value)


def test_more_argument_errors():
    with pytest.raises(TypeError, match="Invalid value for `axis` argument"):
        L.UnitNormalization(axis="last")
    with pytest.raises(TypeError, match="Invalid value for `axis` argument"):
        L.UnitNormalization(axis=[1, 1.5])
    with pytest.raises(TypeError, match="GroupNormalization: `axis` must be an integer, received \\[1, 2\\]"):
        L.GroupNormalization(axis=[1, 2])
    with pytest.raises(TypeError, match="`epsilon` must be a number"):
        L.GroupNormalization(epsilon="small")
    with pytest.raises(ValueError, match="argument `groups`"):
        L.GroupNormalization(groups=True)
    with pytest.raises((IndexError, ValueError), match="Axis 3 is out of bounds"):
        L.GroupNormalization(2, axis=3)(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match="Axis 2 is out of bounds"):
        L.UnitNormalization(axis=2)(np.ones((2, 4), "float32"))
    layer = L.GroupNormalization(2)
    layer(np.ones((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        layer(np.ones((2, 3, 6), "float32"))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        layer(np.ones((2, 4), "float32"))
