"""BatchNormalization and LayerNormalization against Keras 3: fit (loss history, moving statistics), predict,
`.keras` files both ways, the numbers of LayerNormalization, and the argument errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import warnings  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers  # noqa: E402

RNG = np.random.default_rng(7)
VOCAB, T = 9, 6
IDS = RNG.integers(1, VOCAB, size=(32, T))
IDS[::3, 4:] = 0  # padded tails: the mask reaches BatchNormalization through the LSTM
IDS[1::4, 2:] = 0
SEQ_Y = RNG.normal(size=(32, T, 2)).astype("float32")
X = RNG.normal(2.0, 3.0, size=(32, T, 3)).astype("float32")
Y = RNG.normal(size=(32, 1)).astype("float32")


def _masked_model(lib, **bn):
    return lib.Sequential([lib.Input((T,), dtype="int32"), lib.layers.Embedding(VOCAB, 4, mask_zero=True),
                           lib.layers.LSTM(5, return_sequences=True), lib.layers.BatchNormalization(**bn),
                           lib.layers.Dense(2)])


def _plain_model(lib, **bn):
    return lib.Sequential([lib.Input((T, 3)), lib.layers.LSTM(5), lib.layers.BatchNormalization(**bn),
                           lib.layers.Dense(1)])


def _fit_both(make, x, y, optimizer="adam", **bn):
    k, ours = make(keras, **bn), make(lstmkit, **bn)
    ours.set_weights([np.asarray(w) for w in k.get_weights()])
    k.compile(keras.optimizers.get(optimizer), "mse")
    ours.compile(optimizer, "mse")
    hk = k.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]
    ho = ours.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]
    return k, ours, hk, ho


def _bn(model):
    return next(l for l in model.layers if type(l).__name__ == "BatchNormalization")


def _assert_same_stats(k, ours):
    kb, ob = _bn(k), _bn(ours)
    assert [v.name for v in ob.weights] == [v.name for v in kb.weights]
    for a, b in zip(ob.weights, kb.weights):
        np.testing.assert_allclose(np.asarray(a.value), np.asarray(b.value), rtol=2e-5, atol=2e-6, err_msg=a.name)


@pytest.mark.parametrize("bn", [{}, {"momentum": 0.5}, {"renorm": True, "momentum": 0.6, "renorm_momentum": 0.7},
                                {"center": False, "scale": False, "epsilon": 1e-2}],
                         ids=["default", "momentum", "renorm", "no_center_scale"])
def test_fit_and_predict_with_a_masked_embedding_match_keras(bn):
    k, ours, hk, ho = _fit_both(_masked_model, IDS, SEQ_Y, **bn)
    np.testing.assert_allclose(ho, hk, rtol=2e-5)
    _assert_same_stats(k, ours)
    moved = np.abs(np.asarray(_bn(ours).moving_mean.value)).max()
    assert moved > 1e-4  # the statistics were actually updated by fit (12 steps)
    np.testing.assert_allclose(ours.predict(IDS, verbose=0), np.asarray(k.predict(IDS, verbose=0)),
                               rtol=2e-5, atol=2e-5)


def test_fit_and_predict_without_a_mask_match_keras():
    k, ours, hk, ho = _fit_both(_plain_model, X, Y, optimizer="sgd", momentum=0.9)
    np.testing.assert_allclose(ho, hk, rtol=2e-5)
    _assert_same_stats(k, ours)
    np.testing.assert_allclose(ours.predict(X, verbose=0), np.asarray(k.predict(X, verbose=0)), rtol=2e-5, atol=2e-5)


def test_frozen_batch_normalization_runs_in_inference_mode_and_keeps_its_statistics():
    k, ours = _plain_model(keras), _plain_model(lstmkit)
    ours.set_weights([np.asarray(w) for w in k.get_weights()])
    _bn(k).trainable = False
    _bn(ours).trainable = False
    assert len(_bn(ours).trainable_weights) == 0 and len(_bn(ours).non_trainable_weights) == 4
    before = [np.asarray(w.value).copy() for w in _bn(ours).weights]
    for m in (k, ours):
        m.compile("sgd", "mse")
    hk = k.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]
    ho = ours.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ho, hk, rtol=2e-5)
    for b, w in zip(before, _bn(ours).weights):
        np.testing.assert_array_equal(np.asarray(w.value), b)


@pytest.mark.parametrize("bn", [{}, {"renorm": True, "renorm_clipping": {"rmax": 2.0}}], ids=["plain", "renorm"])
def test_keras_files_both_ways(tmp_path, bn):
    k, ours, _, _ = _fit_both(_masked_model, IDS, SEQ_Y, **bn)
    ours.save(tmp_path / "ours.keras")
    k.save(tmp_path / "keras.keras")
    in_keras = keras.saving.load_model(tmp_path / "ours.keras")
    in_ours = lstmkit.saving.load_model(tmp_path / "keras.keras")
    expected = np.asarray(k.predict(IDS, verbose=0))
    np.testing.assert_allclose(np.asarray(in_keras.predict(IDS, verbose=0)), expected, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(in_ours.predict(IDS, verbose=0), expected, rtol=2e-5, atol=2e-5)
    assert _bn(in_ours).get_config() == _bn(k).get_config()
    assert _bn(in_keras).get_config() == _bn(ours).get_config()
    for a, b in zip(_bn(in_ours).weights, _bn(k).weights):
        np.testing.assert_array_equal(np.asarray(a.value), np.asarray(b.value))


@pytest.mark.parametrize("ln", [{}, {"axis": [1, 2]}, {"axis": (-1, -2)}, {"axis": [1, -1]}, {"axis": 1},
                                {"center": False}, {"scale": False, "epsilon": 0.1}, {"rms_scaling": True},
                                {"epsilon": None}],
                         ids=["default", "axes", "unsorted", "mixed_signs", "middle", "no_center", "no_scale", "rms",
                              "epsilon_none"])
def test_layer_normalization_matches_keras(ln):
    x = RNG.normal(1.0, 4.0, size=(4, 3, 5)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rms_scaling's deprecation warning, Keras's and ours
        k, ours = keras.layers.LayerNormalization(name="ln", **ln), layers.LayerNormalization(name="ln", **ln)
    assert ours.get_config() == k.get_config()
    k.build(x.shape)
    ours.build(x.shape)
    values = [RNG.normal(size=w.shape).astype("float32") for w in k.get_weights()]
    k.set_weights(values)
    ours.set_weights(values)
    assert [v.name for v in ours.weights] == [v.name for v in k.weights]
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(k(x)), rtol=1e-6, atol=1e-6)
    assert ours.get_config() == k.get_config()  # the axis is a sorted list once built, in both


def test_layer_normalization_trains_in_a_model_as_keras():
    make = lambda lib: lib.Sequential([lib.Input((T, 3)), lib.layers.LSTM(5, return_sequences=True),
                                       lib.layers.LayerNormalization(), lib.layers.LSTM(3), lib.layers.Dense(1)])
    k, ours = make(keras), make(lstmkit)
    ours.set_weights([np.asarray(w) for w in k.get_weights()])
    k.compile("adam", "mse")
    ours.compile("adam", "mse")
    hk = k.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]
    ho = ours.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ho, hk, rtol=2e-5)


def test_batch_normalization_config_equals_keras():
    for kw in [{}, {"renorm": True}, {"renorm": True, "renorm_clipping": {"rmin": 0.5, "dmax": 1.0}},
               {"axis": 1, "momentum": 0.9, "epsilon": 1e-5, "gamma_regularizer": "l2", "beta_constraint": "non_neg",
                "moving_variance_initializer": "zeros"}]:
        kw["name"] = "bn"  # automatic names count each library's layers
        assert layers.BatchNormalization(**kw).get_config() == keras.layers.BatchNormalization(**kw).get_config()


def test_batch_normalization_bad_arguments():
    with pytest.raises(ValueError, match="synchronized=True is only supported with the TensorFlow backend"):
        layers.BatchNormalization(synchronized=True)
    with pytest.raises(ValueError, match="`axis`.*received 'a'"):
        layers.BatchNormalization(axis="a")
    with pytest.raises(TypeError, match="`axis`.*received \\[1\\]"):
        layers.BatchNormalization(axis=[1])
    with pytest.raises(ValueError, match="`momentum`.*received 'x'"):
        layers.BatchNormalization(momentum="x")
    with pytest.raises(ValueError, match="Received invalid keys for `renorm_clipping`"):
        layers.BatchNormalization(renorm=True, renorm_clipping={"r": 1.0})
    with pytest.raises(ValueError, match="rmax=0.5, rmin=1.0"):
        layers.BatchNormalization(renorm=True, renorm_clipping={"rmax": 0.5, "rmin": 1.0})
    with pytest.raises((IndexError, ValueError), match="Axis 3 is out of bounds"):
        layers.BatchNormalization(axis=3)(np.ones((2, 3), np.float32))
    layer = layers.BatchNormalization()
    with pytest.raises(ValueError, match="one dimension less than the inputs"):
        layer(np.ones((2, 3), np.float32), mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        layer(np.ones((2, 2, 3), np.float32))
    with pytest.raises(TypeError, match="Expected an int or a list/tuple of ints for the argument 'axis'"):
        layers.LayerNormalization(axis=1.5)
    with pytest.raises((IndexError, ValueError), match="Axis -4 is out of bounds"):
        layers.LayerNormalization(axis=[-1, -4])(np.ones((2, 3, 4), np.float32))


def test_keras2_configs_read_as_keras2_wrote_them():
    """tf.keras 2 writes BatchNormalization's axis as a list of positive axes ([2]) once built."""
    from lstmkit.layers.serialization import load_context
    from lstmkit.saving import deserialize_layer

    config = {"name": "bn", "trainable": True, "dtype": "float32", "axis": [2], "momentum": 0.9, "epsilon": 0.001,
              "center": True, "scale": False, "fused": None}
    with load_context(keras2_semantics=True):
        bn = deserialize_layer({"class_name": "BatchNormalization", "config": dict(config)})
        assert bn.axis == 2 and bn.momentum == 0.9 and bn.scale is False
        with pytest.raises(NotImplementedError, match="virtual_batch_size"):
            deserialize_layer({"class_name": "BatchNormalization", "config": {**config, "virtual_batch_size": 4}})
        with pytest.raises(NotImplementedError, match="several axes"):
            deserialize_layer({"class_name": "BatchNormalization", "config": {**config, "axis": [1, 2]}})
        ln = deserialize_layer({"class_name": "LayerNormalization", "config": {"axis": [2], "epsilon": 1e-3}})
        assert ln.axis == [2]
