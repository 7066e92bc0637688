"""GaussianNoise, GaussianDropout, AlphaDropout and ActivityRegularization against Keras 3: configs, the identity in
inference (also passing masks on), the noise's statistics while training under fixed seeds, replayed noise inside
compiled `fit`, ActivityRegularization's loss in `layer.losses` and in `fit`'s loss, `.keras` / `.h5` files both
ways, and the argument errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402
from lstmkit.utils import set_random_seed  # noqa: E402

RNG = np.random.default_rng(11)
NOISE = [("GaussianNoise", dict(stddev=0.4)), ("GaussianDropout", dict(rate=0.3)),
         ("AlphaDropout", dict(rate=0.2)), ("AlphaDropout", dict(rate=0.4, noise_shape=[None, 1, None], seed=3)),
         ("GaussianNoise", dict(stddev=0.1, seed=7)), ("GaussianDropout", dict(rate=0.0))]
NOISE_IDS = ["gn", "gd", "ad", "ad_noise_shape", "gn_seed", "gd_zero"]


@pytest.mark.parametrize("name,kwargs", NOISE + [("ActivityRegularization", {}),
                                                 ("ActivityRegularization", dict(l1=0.1, l2=None))],
                         ids=NOISE_IDS + ["ar", "ar_none"])
def test_configs_equal_keras_and_round_trip(name, kwargs):
    ours = getattr(L, name)(name="n", **kwargs)
    theirs = getattr(keras.layers, name)(name="n", **kwargs)
    assert ours.get_config() == theirs.get_config() and list(ours.get_config()) == list(theirs.get_config())
    assert getattr(L, name).from_config(ours.get_config()).get_config() == ours.get_config()
    assert ours.built and ours.count_params() == 0


@pytest.mark.parametrize("name,kwargs", NOISE, ids=NOISE_IDS)
def test_noise_layers_are_the_identity_in_inference(name, kwargs):
    x = RNG.normal(size=(3, 4, 5)).astype("float32")
    layer = getattr(L, name)(**kwargs)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    if kwargs.get("rate", kwargs.get("stddev")):
        assert not np.allclose(np.asarray(layer(x, training=True)), x)  # and not while training


def test_a_model_of_noise_layers_predicts_and_evaluates_the_identity():
    x = RNG.normal(size=(3, 4, 5)).astype("float32")
    model = lstmkit.Sequential([lstmkit.Input((4, 5))] + [getattr(L, name)(**kwargs) for name, kwargs in NOISE])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    np.testing.assert_array_equal(np.asarray(model(x, training=False)), x)
    model.compile("sgd", "mse")
    assert model.evaluate(x, x, verbose=0) == 0.0
    assert not np.allclose(np.asarray(model(x, training=True)), x)


def test_gaussian_noise_statistics():
    set_random_seed(1)
    x = RNG.normal(size=(200, 100)).astype("float32")
    noise = np.asarray(L.GaussianNoise(0.5, seed=4)(x, training=True)) - x
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01
    assert abs(np.corrcoef(noise.ravel(), x.ravel())[0, 1]) < 0.02  # independent of the inputs


def test_gaussian_dropout_statistics():
    set_random_seed(2)
    x = np.full((200, 100), 2.0, "float32")
    factor = np.asarray(L.GaussianDropout(0.3)(x, training=True)) / 2.0
    assert abs(factor.mean() - 1.0) < 0.015 and abs(factor.std() - np.sqrt(0.3 / 0.7)) < 0.015


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_alpha_dropout_statistics(rate):
    """Standard-normal inputs keep mean 0 and variance 1; a fraction `rate` is set to one value, as Keras's."""
    set_random_seed(3)
    x = RNG.normal(size=(200, 100)).astype("float32")
    y = np.asarray(L.AlphaDropout(rate, seed=1)(x, training=True))
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02
    alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    dropped = np.isclose(y, a * alpha_p - a * alpha_p * rate)
    assert abs(dropped.mean() - rate) < 0.01
    np.testing.assert_allclose(y[~dropped], a * x[~dropped] - a * alpha_p * rate, rtol=1e-5, atol=1e-6)
    # Keras's layer on the same inputs: other random draws, the same values for kept and dropped entries.
    k = np.asarray(keras.layers.AlphaDropout(rate, seed=1)(x, training=True))
    k_dropped = np.isclose(k, a * alpha_p - a * alpha_p * rate)
    np.testing.assert_allclose(k[~k_dropped], a * x[~k_dropped] - a * alpha_p * rate, rtol=1e-5, atol=1e-6)


def test_alpha_dropout_noise_shape_shares_draws_over_time():
    x = RNG.normal(size=(8, 6, 5)).astype("float32")
    y = np.asarray(L.AlphaDropout(0.5, noise_shape=(None, 1, None))(x, training=True))
    # Which entries are kept is the same at every step: there (y - b) / a equals x.
    alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
    a = ((1 - 0.5) * (1 + 0.5 * alpha_p ** 2)) ** -0.5
    kept = np.isclose((y + a * alpha_p * 0.5) / a, x, atol=1e-5)
    assert (kept == kept[:, :1]).all() and 0 < kept.mean() < 1


@pytest.mark.parametrize("name,kwargs", NOISE[:3], ids=NOISE_IDS[:3])
def test_the_same_seed_replays_the_same_noise(name, kwargs):
    x = RNG.normal(size=(4, 6)).astype("float32")
    outs = []
    for seed in (5, 5, 6):
        set_random_seed(seed)
        layer = getattr(L, name)(**kwargs)
        outs.append((np.asarray(layer(x, training=True)), np.asarray(layer(x, training=True))))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])
    assert not np.allclose(outs[0][0], outs[0][1])  # each call draws afresh
    assert not np.allclose(outs[0][0], outs[2][0])  # another global seed, other noise
    set_random_seed(5)
    other_layer_seed = getattr(L, name)(**kwargs, seed=99)(x, training=True)
    assert not np.allclose(np.asarray(other_layer_seed), outs[0][0])  # the layer's seed enters the draw


@pytest.mark.parametrize("base", [L.GaussianNoise, L.GaussianDropout, L.AlphaDropout], ids=lambda c: c.__name__)
def test_a_subclass_passing_training_to_super_call_gets_it(base):
    x = np.ones((3, 4), "float32")

    class Always(base):
        def call(self, inputs, training=None):
            return super().call(inputs, training=True)

    class Never(base):
        def call(self, inputs, training=None):
            return super().call(inputs, training=False)

    assert not np.allclose(np.asarray(Always(0.5)(x)), x)
    np.testing.assert_array_equal(np.asarray(Never(0.5)(x, training=True)), x)


def _noisy_model(noise):
    return lstmkit.Sequential([lstmkit.Input((6,)), L.Dense(8, activation="selu")] + noise + [L.Dense(1)])


def test_noise_trains_in_compiled_fit_and_replays_under_a_seed():
    x = RNG.normal(size=(32, 6)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    set_random_seed(0)
    weights = _noisy_model([]).get_weights()
    make = lambda: [L.GaussianNoise(0.3, seed=1), L.GaussianDropout(0.4), L.AlphaDropout(0.3)]
    histories = []
    for seed, noise in ((8, make()), (8, make()), (9, make()), (8, [])):
        set_random_seed(seed)
        model = _noisy_model(noise)
        model.set_weights(weights)
        model.compile("sgd", "mse")
        histories.append(model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history["loss"])
    assert histories[0] == histories[1]  # the same seed: the same noise in every step
    assert histories[0] != histories[2]  # another seed: other noise
    assert histories[0] != histories[3]  # the noise was applied while training
    assert np.isfinite(histories[0]).all()


def test_masks_pass_through_the_noise_layers_as_in_keras():
    ids = np.array([[1, 2, 3, 0, 0], [4, 0, 0, 0, 0], [1, 1, 2, 2, 3]])

    def make(lib):
        ly = lib.layers
        return lib.Sequential([lib.Input((5,), dtype="int32"), ly.Embedding(6, 4, mask_zero=True),
                               ly.GaussianNoise(0.2), ly.GaussianDropout(0.2), ly.AlphaDropout(0.2),
                               ly.ActivityRegularization(0.01), ly.LSTM(3)])
    k, ours = make(keras), make(lstmkit)
    ours.set_weights(k.get_weights())
    np.testing.assert_allclose(ours.predict(ids, verbose=0), np.asarray(k.predict(ids, verbose=0)), rtol=1e-5,
                               atol=1e-6)
    mask = ids != 0
    for layer in ours.layers[1:5]:
        np.testing.assert_array_equal(np.asarray(layer.compute_mask(None, mask)), mask)


# ------------------------------------------------------------------------------------------ ActivityRegularization
@pytest.mark.parametrize("kwargs", [dict(l1=0.2, l2=0.3), dict(l1=0.05), dict(l2=0.5), {}], ids=str)
def test_activity_regularization_loss_equals_keras(kwargs):
    x = RNG.normal(size=(4, 3, 5)).astype("float32")
    ours, theirs = L.ActivityRegularization(**kwargs), keras.layers.ActivityRegularization(**kwargs)
    np.testing.assert_array_equal(np.asarray(ours(x)), x)
    theirs(x)
    assert len(ours.losses) == len(theirs.losses) == 1
    np.testing.assert_allclose(np.asarray(ours.losses[0]), np.asarray(theirs.losses[0]), rtol=1e-6)
    l1, l2 = kwargs.get("l1", 0.0), kwargs.get("l2", 0.0)
    np.testing.assert_allclose(np.asarray(ours.losses[0]), (l1 * np.abs(x).sum() + l2 * (x ** 2).sum()) / 4,
                               rtol=1e-5)


def _regularized_model(lib):
    ly = lib.layers
    return lib.Sequential([lib.Input((4,)), ly.Dense(5, activation="tanh"), ly.ActivityRegularization(l1=0.02, l2=0.1),
                           ly.Dense(1)])


def test_activity_regularization_enters_fits_loss_as_in_keras():
    x = RNG.normal(size=(16, 4)).astype("float32")
    y = RNG.normal(size=(16, 1)).astype("float32")
    k, ours = _regularized_model(keras), _regularized_model(lstmkit)
    ours.set_weights(k.get_weights())
    hidden = np.tanh(x @ k.get_weights()[0] + k.get_weights()[1])
    mse = float(np.mean((ours.predict(x, verbose=0) - y) ** 2))
    penalty = (0.02 * np.abs(hidden).sum() + 0.1 * (hidden ** 2).sum()) / len(x)
    for m, lib in ((k, keras), (ours, lstmkit)):
        m.compile(lib.optimizers.SGD(0.05), "mse")
    # One batch: the first (and only) step's loss is the mse plus the penalty, at the initial weights.
    first_k = k.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0).history["loss"]
    first_ours = ours.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(first_ours, first_k, rtol=1e-5)
    np.testing.assert_allclose(first_ours[0], mse + penalty, rtol=1e-5)
    assert penalty > 0.1 * mse  # large enough that leaving it out would fail the comparison
    # Further epochs of several batches: the penalty's gradient moved the weights as Keras's did.
    hk = k.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    ho = ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ho, hk, rtol=1e-5)
    for a, b in zip(ours.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), k.evaluate(x, y, verbose=0), rtol=1e-5)


# ------------------------------------------------------------------------------------------ files
def _all_layers_model(lib):
    ly = lib.layers
    return lib.Sequential([lib.Input((5, 3)), ly.GaussianNoise(0.2, seed=1), ly.Dense(4),
                           ly.GaussianDropout(0.1), ly.AlphaDropout(0.1, noise_shape=(None, 1, None)),
                           ly.ActivityRegularization(l1=0.01, l2=0.02), ly.LSTM(2)])


@pytest.mark.parametrize("filename", ["m.keras", "m.h5"])
def test_files_both_ways(tmp_path, filename):
    import warnings

    x = RNG.normal(size=(3, 5, 3)).astype("float32")
    k, ours = _all_layers_model(keras), _all_layers_model(lstmkit)
    ours.set_weights(k.get_weights())
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
        np.testing.assert_allclose(np.asarray(m.predict(x, verbose=0)), expected, rtol=1e-5, atol=1e-6)
    # Each library reads the other's file as it reads its own: the same layers with the same configs.
    for ours_reads, keras_reads in ((in_ours, keras_again), (again, in_keras)):
        assert [l.get_config() for l in ours_reads.layers] == [l.get_config() for l in keras_reads.layers]


# ------------------------------------------------------------------------------------------ arguments
@pytest.mark.parametrize("make", [
    lambda lib: lib.layers.GaussianNoise(-0.1), lambda lib: lib.layers.GaussianNoise(1.5),
    lambda lib: lib.layers.GaussianDropout(-1), lambda lib: lib.layers.GaussianDropout(2.0),
    lambda lib: lib.layers.AlphaDropout(1.01), lambda lib: lib.layers.AlphaDropout(-0.5),
    lambda lib: lib.layers.ActivityRegularization(l1=-1.0), lambda lib: lib.layers.ActivityRegularization(l2=-0.1),
], ids=["gn_neg", "gn_big", "gd_neg", "gd_big", "ad_big", "ad_neg", "ar_l1", "ar_l2"])
def test_argument_errors_are_keras_messages(make):
    with pytest.raises(ValueError) as theirs:
        make(keras)
    with pytest.raises(ValueError) as ours:
        make(lstmkit)
    assert str(ours.value) == str(theirs.value)


def test_more_argument_errors():
    with pytest.raises(ValueError, match="argument `rate`.*Received: rate=0.5"):
        L.GaussianDropout("0.5")
    with pytest.raises(ValueError, match="argument `stddev`.*Received: stddev=True"):
        L.GaussianNoise(True)
    with pytest.raises(ValueError, match="`noise_shape`. Expected a tuple or list of integers"):
        L.AlphaDropout(0.1, noise_shape="abc")
    with pytest.raises(ValueError, match="`noise_shape`.*index 1: 1.5"):
        L.AlphaDropout(0.1, noise_shape=(None, 1.5))
    with pytest.raises(ValueError, match="`noise_shape`.*zero value at index 0: 0"):
        L.AlphaDropout(0.1, noise_shape=(0, None))
    with pytest.raises(ValueError, match=r"noise_shape=\(None, 1\) does not fit inputs of shape \(2, 3, 4\)"):
        L.AlphaDropout(0.1, noise_shape=(None, 1))(np.ones((2, 3, 4)), training=True)
    with pytest.raises(ValueError, match=r"noise_shape=\(2, 2, 4\) does not fit"):
        L.AlphaDropout(0.1, noise_shape=(2, 2, 4))(np.ones((2, 3, 4)), training=True)
    for layer in (L.GaussianDropout(1.0), L.AlphaDropout(1.0)):
        np.testing.assert_array_equal(np.asarray(layer(np.ones((2, 3)))), np.ones((2, 3)))  # inference: fine
        with pytest.raises(ValueError, match="rate=1: its noise would be infinite"):
            layer(np.ones((2, 3)), training=True)



def test_keras2_configs_load():
    """A tf.keras 2 model config (plain dtype names, Keras 2's keys) of all six layers rebuilds them."""
    import json

    base = {"trainable": True, "dtype": "float32"}
    init = lambda name: {"class_name": name, "config": {}}
    cfg = {"class_name": "Sequential", "keras_version": "2.12.0", "backend": "tensorflow", "config": {
        "name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 5, 4], "dtype": "float32",
                                                    "sparse": False, "ragged": False, "name": "in"}},
            {"class_name": "GaussianNoise", "config": {**base, "name": "gn", "stddev": 0.1, "seed": None}},
            {"class_name": "GaussianDropout", "config": {**base, "name": "gd", "rate": 0.1, "seed": None}},
            {"class_name": "AlphaDropout", "config": {**base, "name": "ad", "rate": 0.1, "noise_shape": None,
                                                      "seed": None}},
            {"class_name": "ActivityRegularization", "config": {**base, "name": "ar", "l1": 0.01, "l2": 0.0}},
            {"class_name": "GroupNormalization", "config": {
                **base, "name": "g", "groups": 2, "axis": -1, "epsilon": 0.001, "center": True, "scale": True,
                "beta_initializer": init("Zeros"), "gamma_initializer": init("Ones"), "beta_regularizer": None,
                "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None}},
            {"class_name": "UnitNormalization", "config": {**base, "name": "u", "axis": [1, 2]}},
        ]}}
    model = lstmkit.models.model_from_json(json.dumps(cfg))
    assert [type(layer).__name__ for layer in model.layers] == [
        "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization", "GroupNormalization",
        "UnitNormalization"]
    x = RNG.normal(size=(2, 5, 4)).astype("float32")
    expected = np.asarray(keras.layers.UnitNormalization(axis=[1, 2])(keras.layers.GroupNormalization(2)(x)))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_keras2_module_path_of_the_regularization_layers():
    from lstmkit.layers.regularization import (ActivityRegularization, AlphaDropout, Dropout, GaussianDropout,
                                               GaussianNoise, SpatialDropout1D)
    assert (ActivityRegularization, AlphaDropout, Dropout, GaussianDropout, GaussianNoise, SpatialDropout1D) == (
        L.ActivityRegularization, L.AlphaDropout, L.Dropout, L.GaussianDropout, L.GaussianNoise, L.SpatialDropout1D)
