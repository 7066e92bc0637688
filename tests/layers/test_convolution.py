"""Conv1D, the 1-D pooling layers and their neighbours against Keras 3: same weights, same numbers, configs, a
CNN-LSTM model's training and predictions, `.keras` files both ways."""

import itertools
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402
from lstmkit.models import Sequential, load_model  # noqa: E402

RNG = np.random.default_rng(5)

# (padding, strides, dilation_rate, groups, data_format, kernel_size)
CONV_CASES = [
    (p, s, d, g, f, k)
    for p, s, d, g, f, k in itertools.product(["valid", "same", "causal"], [1, 2], [1, 2], [1, 2],
                                              ["channels_last", "channels_first"], [1, 3])
    if not (s > 1 and d > 1)  # Keras refuses strides > 1 with dilation > 1
]


def _conv_pair(**kwargs):
    k = keras.layers.Conv1D(**kwargs)
    ours = L.Conv1D(**kwargs)
    return k, ours


@pytest.mark.parametrize("padding,strides,dilation,groups,data_format,kernel_size", CONV_CASES,
                         ids=["-".join(map(str, c)) for c in CONV_CASES])
def test_conv1d_same_numbers_as_keras(padding, strides, dilation, groups, data_format, kernel_size):
    x = RNG.normal(size=(2, 4, 9) if data_format == "channels_first" else (2, 9, 4)).astype("float32")
    kwargs = dict(filters=6, kernel_size=kernel_size, strides=strides, padding=padding, dilation_rate=dilation,
                  groups=groups, data_format=data_format, activation="tanh")
    k, ours = _conv_pair(**kwargs)
    k.build(x.shape)
    ours.build(x.shape)
    assert [v.name for v in k.weights] == [v.name for v in ours.weights] == ["kernel", "bias"]
    assert [tuple(v.shape) for v in k.weights] == [tuple(v.shape) for v in ours.weights]
    weights = [RNG.normal(size=w.shape).astype("float32") for w in k.weights]
    k.set_weights(weights)
    ours.set_weights(weights)
    y = np.asarray(ours(x))
    np.testing.assert_allclose(y, np.asarray(k(x)), rtol=1e-5, atol=1e-5)
    assert tuple(ours.compute_output_shape(x.shape)) == tuple(k.compute_output_shape(x.shape)) == y.shape
    symbolic = L.Conv1D(**kwargs)(lstmkit.Input(x.shape[1:]))
    assert tuple(symbolic.shape) == (None,) + y.shape[1:]
    assert ours.get_config() | {"name": None} == k.get_config() | {"name": None}


def test_conv1d_configs_equal_keras():
    for kwargs in [dict(filters=3, kernel_size=2),
                   dict(filters=4, kernel_size=(3,), strides=2, padding="same", use_bias=False, activation="relu",
                        kernel_regularizer="l2", bias_regularizer="l2", activity_regularizer="l2",
                        kernel_constraint="non_neg", kernel_initializer="he_normal")]:
        k = keras.layers.Conv1D(name="c", **kwargs).get_config()
        ours = L.Conv1D(name="c", **kwargs).get_config()
        assert ours == k and list(ours) == list(k)
        assert L.Conv1D.from_config(ours).get_config() == ours


@pytest.mark.parametrize("name,kwargs", [
    ("MaxPooling1D", {}), ("MaxPooling1D", dict(pool_size=3, strides=1, padding="same")),
    ("MaxPooling1D", dict(pool_size=2, padding="same", data_format="channels_first")),
    ("AveragePooling1D", dict(pool_size=2)), ("AveragePooling1D", dict(pool_size=3, strides=2, padding="same")),
    ("AveragePooling1D", dict(pool_size=3, strides=1, padding="valid", data_format="channels_first")),
    ("GlobalMaxPooling1D", {}), ("GlobalMaxPooling1D", dict(keepdims=True, data_format="channels_first")),
    ("GlobalAveragePooling1D", {}), ("GlobalAveragePooling1D", dict(keepdims=True, data_format="channels_first")),
    ("UpSampling1D", dict(size=3)), ("ZeroPadding1D", dict(padding=(1, 2))),
    ("ZeroPadding1D", dict(padding=2, data_format="channels_first")), ("Cropping1D", dict(cropping=(2, 1))),
    ("SpatialDropout1D", dict(rate=0.3)),
])
def test_shape_layers_same_numbers_and_configs_as_keras(name, kwargs):
    x = RNG.normal(size=(2, 7, 5)).astype("float32")
    k = getattr(keras.layers, name)(name="l", **kwargs)
    ours = getattr(L, name)(name="l", **kwargs)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(k(x)), rtol=1e-6, atol=1e-6)
    assert tuple(ours.compute_output_shape((None, 7, 5))) == tuple(k.compute_output_shape((None, 7, 5)))
    assert ours.get_config() == k.get_config()
    assert getattr(L, name).from_config(ours.get_config()).get_config() == ours.get_config()


def test_global_average_pooling_mask_as_keras():
    x = RNG.normal(size=(3, 5, 4)).astype("float32")
    mask = np.array([[1, 1, 0, 0, 1], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool)
    np.testing.assert_allclose(np.asarray(L.GlobalAveragePooling1D()(x, mask=mask)),
                               np.asarray(keras.layers.GlobalAveragePooling1D()(x, mask=mask)), rtol=1e-6)
    # An Embedding's mask reaches it in a model.
    ids = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    emb_w = RNG.normal(size=(5, 3)).astype("float32")
    outs = []
    for lib in (keras, lstmkit):
        inp = lib.Input((4,))
        e = lib.layers.Embedding(5, 3, mask_zero=True)
        model = lib.Model(inp, lib.layers.GlobalAveragePooling1D()(e(inp)))
        e.set_weights([emb_w])
        outs.append(np.asarray(model.predict(ids, verbose=0)))
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6)


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((4, 6, 8), "float32")
    layer = L.SpatialDropout1D(0.5)
    y = np.asarray(layer(x, training=True))
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert (y == y[:, :1, :]).all()  # one draw per (sample, channel), shared over steps
    assert 0 < (y == 0).mean() < 1
    np.testing.assert_array_equal(np.asarray(layer(x)), x)


@pytest.mark.parametrize("make,message", [
    (lambda: L.Conv1D(1, 4)(lstmkit.Input((3, 2))), "zero or negative"),
    (lambda: L.Conv1D(0, 2), "filters"),
    (lambda: L.Conv1D(2, 0), "kernel_size"),
    (lambda: L.Conv1D(2, (2, 2)), "kernel_size"),
    (lambda: L.Conv1D(2, 2, padding="full"), "padding"),
    (lambda: L.Conv1D(2, 2, data_format="nhwc"), "data_format"),
    (lambda: L.Conv1D(3, 2, groups=2), "groups"),
    (lambda: L.Conv1D(2, 2, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda: L.Conv1D(2, 2, groups=2)(lstmkit.Input((5, 3))), "groups"),
    (lambda: L.Conv1D(2, 2)(lstmkit.Input((5,))), "min_ndim=3"),
    (lambda: L.MaxPooling1D(4)(lstmkit.Input((3, 2))), "zero or negative"),
    (lambda: L.MaxPooling1D(2, padding="causal"), "padding"),
    (lambda: L.AveragePooling1D(2)(lstmkit.Input((3,))), "ndim=3"),
    (lambda: L.Cropping1D((2, 2))(lstmkit.Input((3, 2))), "cropping"),
    (lambda: L.ZeroPadding1D((1, 2, 3)), "padding"),
    (lambda: L.SpatialDropout1D(1.5), "rate"),
    (lambda: L.UpSampling1D(0), "size"),
])
def test_bad_arguments_raise_value_error_naming_them(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_lora_rank_is_refused():
    with pytest.raises(NotImplementedError, match="lora_rank"):
        L.Conv1D(2, 2, lora_rank=2)


def test_aliases_and_legacy_paths():
    assert L.Convolution1D is L.Conv1D and L.MaxPool1D is L.MaxPooling1D and L.AvgPool1D is L.AveragePooling1D
    assert L.GlobalMaxPool1D is L.GlobalMaxPooling1D and L.GlobalAvgPool1D is L.GlobalAveragePooling1D
    from lstmkit.layers.convolutional import Conv1D, Convolution1D, Cropping1D, UpSampling1D, ZeroPadding1D
    from lstmkit.layers.pooling import AvgPool1D, GlobalAveragePooling1D, MaxPooling1D
    assert (Conv1D, Convolution1D, Cropping1D, UpSampling1D, ZeroPadding1D) == (
        L.Conv1D, L.Conv1D, L.Cropping1D, L.UpSampling1D, L.ZeroPadding1D)
    assert (AvgPool1D, GlobalAveragePooling1D, MaxPooling1D) == (
        L.AveragePooling1D, L.GlobalAveragePooling1D, L.MaxPooling1D)


# ------------------------------------------------------------------------------------------- CNN-LSTM
def _cnn_lstm(lib, seq=(6, 8, 2)):
    layers = lib.layers
    return lib.Sequential([
        lib.Input(seq),
        layers.TimeDistributed(layers.Conv1D(4, 3, activation="relu", padding="causal")),
        layers.TimeDistributed(layers.MaxPooling1D(2)),
        layers.TimeDistributed(layers.Flatten()),
        layers.LSTM(5),
        layers.Dense(1),
    ])


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6, 8, 2)).astype("float32")
    y = x.mean(axis=(1, 2, 3))[:, None].astype("float32")
    return x, y


def test_cnn_lstm_fit_and_predict_match_keras():
    x, y = _data()
    k, ours = _cnn_lstm(keras), _cnn_lstm(lstmkit)
    assert [w.shape for w in k.get_weights()] == [w.shape for w in ours.get_weights()]
    ours.set_weights(k.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), k.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    k.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    ours.compile(optimizer=lstmkit.optimizers.Adam(0.01), loss="mse")
    hk = k.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    ho = ours.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ho, hk, rtol=1e-4)
    np.testing.assert_allclose(ours.predict(x, verbose=0), k.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_conv1d_before_lstm_with_pooling_and_padding_matches_keras():
    x = RNG.normal(size=(4, 12, 3)).astype("float32")
    models = []
    for lib in (keras, lstmkit):
        ly = lib.layers
        models.append(lib.Sequential([lib.Input((12, 3)), ly.ZeroPadding1D(1), ly.Conv1D(4, 3, dilation_rate=2),
                                      ly.SpatialDropout1D(0.2), ly.AveragePooling1D(2, padding="same"),
                                      ly.UpSampling1D(2), ly.Cropping1D((1, 0)), ly.LSTM(3, return_sequences=True),
                                      ly.GlobalMaxPooling1D()]))
    models[1].set_weights(models[0].get_weights())
    np.testing.assert_allclose(models[1].predict(x, verbose=0), models[0].predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_keras_files_both_ways(tmp_path):
    x, _ = _data()
    k = _cnn_lstm(keras)
    k.save(tmp_path / "k.keras")
    ours = load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(ours.predict(x, verbose=0), k.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    ours2 = _cnn_lstm(lstmkit)
    ours2.save(tmp_path / "o.keras")
    k2 = keras.saving.load_model(tmp_path / "o.keras")
    np.testing.assert_allclose(k2.predict(x, verbose=0), ours2.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert [type(a.layer if hasattr(a, "layer") else a).__name__ for a in k2.layers] == \
        ["Conv1D", "MaxPooling1D", "Flatten", "LSTM", "Dense"]


def test_shape_layers_in_keras_files_both_ways(tmp_path):
    x = RNG.normal(size=(3, 10, 4)).astype("float32")

    def build(lib):
        ly = lib.layers
        return lib.Sequential([lib.Input((10, 4)), ly.Conv1D(4, 2, padding="same", groups=2, use_bias=False),
                               ly.ZeroPadding1D((0, 2)), ly.Cropping1D(1), ly.UpSampling1D(2),
                               ly.SpatialDropout1D(0.1), ly.AveragePooling1D(3, strides=2),
                               ly.GlobalAveragePooling1D(keepdims=True)])
    k = build(keras)
    k.save(tmp_path / "k.keras")
    np.testing.assert_allclose(load_model(tmp_path / "k.keras").predict(x, verbose=0), k.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    ours = build(lstmkit)
    ours.save(tmp_path / "o.keras")
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "o.keras").predict(x, verbose=0),
                               ours.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_summary_explains_conv_params():
    model = Sequential([lstmkit.Input((8, 4)), L.Conv1D(6, 3, groups=2)])
    assert model.layers[0].checked_param_count_formula()[1] == 3 * 2 * 6 + 6 == model.count_params()


def test_built_layers_refuse_inputs_shorter_than_a_window():
    conv = L.Conv1D(2, 4)
    conv(np.zeros((1, 6, 3), "float32"))
    with pytest.raises(ValueError, match="zero or negative"):
        conv(np.zeros((1, 3, 3), "float32"))
    with pytest.raises(ValueError, match="zero or negative"):
        L.MaxPooling1D(3)(np.zeros((1, 2, 3), "float32"))


def test_unknown_steps_and_time_in_a_functional_cnn_lstm():
    inp = lstmkit.Input((None, 8, 2))
    x = L.TimeDistributed(L.Conv1D(3, 3, padding="same"))(inp)
    x = L.TimeDistributed(L.GlobalMaxPooling1D())(x)
    out = L.LSTM(2)(x)
    assert tuple(x.shape) == (None, None, 3)
    model = lstmkit.Model(inp, out)
    assert model.predict(np.zeros((2, 5, 8, 2), "float32"), verbose=0).shape == (2, 2)


def test_spatial_dropout_trains_in_compiled_fit():
    x = RNG.normal(size=(16, 10, 3)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None]
    model = Sequential([lstmkit.Input((10, 3)), L.Conv1D(4, 3), L.SpatialDropout1D(0.3), L.LSTM(4), L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    losses = model.fit(x, y, epochs=2, batch_size=8, verbose=0).history["loss"]
    assert np.isfinite(losses).all()


def test_keras2_configs_load():
    """A tf.keras 2 model config (lists for tuples, SpatialDropout1D's `noise_shape`) rebuilds the same layers."""
    import json

    init = {"class_name": "GlorotUniform", "config": {"seed": None}}
    zeros = {"class_name": "Zeros", "config": {}}
    base = {"trainable": True, "dtype": "float32"}
    cfg = {"class_name": "Sequential", "keras_version": "2.12.0", "backend": "tensorflow", "config": {
        "name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 10, 3], "dtype": "float32",
                                                    "sparse": False, "ragged": False, "name": "in"}},
            {"class_name": "Conv1D", "config": {
                **base, "name": "c", "filters": 4, "kernel_size": [3], "strides": [1], "padding": "causal",
                "data_format": "channels_last", "dilation_rate": [1], "groups": 1, "activation": "relu",
                "use_bias": True, "kernel_initializer": init, "bias_initializer": zeros, "kernel_regularizer": None,
                "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
                "bias_constraint": None}},
            {"class_name": "SpatialDropout1D", "config": {**base, "name": "sd", "rate": 0.2, "noise_shape": None,
                                                          "seed": None}},
            {"class_name": "MaxPooling1D", "config": {**base, "name": "mp", "strides": [2], "pool_size": [2],
                                                      "padding": "valid", "data_format": "channels_last"}},
            {"class_name": "UpSampling1D", "config": {**base, "name": "up", "size": 2}},
            {"class_name": "ZeroPadding1D", "config": {**base, "name": "zp", "padding": [1, 1]}},
            {"class_name": "Cropping1D", "config": {**base, "name": "cr", "cropping": [1, 1]}},
            {"class_name": "GlobalAveragePooling1D", "config": {**base, "name": "g", "data_format": "channels_last",
                                                                "keepdims": False}},
        ]}}
    model = lstmkit.models.model_from_json(json.dumps(cfg))
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv1D", "SpatialDropout1D", "MaxPooling1D", "UpSampling1D", "ZeroPadding1D", "Cropping1D",
        "GlobalAveragePooling1D"]
    assert model.layers[0].kernel_size == (3,) and model.layers[2].pool_size == (2,)
    assert model.predict(np.ones((2, 10, 3), "float32"), verbose=0).shape == (2, 4)


@pytest.mark.parametrize("kwargs", [
    dict(filters=0, kernel_size=1), dict(filters=2, kernel_size=0), dict(filters=2, kernel_size=2, strides=0),
    dict(filters=2, kernel_size=2, strides=2, dilation_rate=2), dict(filters=5, kernel_size=2, groups=0),
    dict(filters=5, kernel_size=2, groups=2), dict(filters=2, kernel_size=(2, 2)),
    dict(filters=2, kernel_size=2, data_format="nhwc"),
], ids=str)
def test_conv1d_argument_errors_are_keras_messages(kwargs):
    with pytest.raises(ValueError) as theirs:
        keras.layers.Conv1D(**kwargs)
    with pytest.raises(ValueError) as ours:
        L.Conv1D(**kwargs)
    assert str(ours.value).replace("'", "") == str(theirs.value).replace("'", "")
