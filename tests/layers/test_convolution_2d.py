"""Conv2D, Conv3D, the separable / depthwise / transposed convolutions, the 2-D pooling and image shape layers
against Keras 3: same weights, same outputs and gradients, configs, errors, a video CNN-LSTM trained like Keras's,
`.keras` and `.h5` files both ways, summary parameter counts."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402
from lstmkit.layers.base import CallContext  # noqa: E402
from lstmkit.models import load_model  # noqa: E402

RNG = np.random.default_rng(11)

# (class name, constructor arguments, input shape without the batch)
CONV_CASES = [
    ("Conv2D", dict(filters=4, kernel_size=3), (7, 6, 3)),
    ("Conv2D", dict(filters=6, kernel_size=(3, 2), strides=2, padding="same", groups=3, activation="relu"), (7, 8, 3)),
    ("Conv2D", dict(filters=4, kernel_size=2, dilation_rate=(2, 1), data_format="channels_first", use_bias=False),
     (2, 7, 6)),
    ("Conv3D", dict(filters=3, kernel_size=(2, 3, 2), strides=(1, 2, 1), padding="same"), (4, 5, 4, 2)),
    ("SeparableConv1D", dict(filters=5, kernel_size=3, depth_multiplier=2, padding="same", strides=2), (9, 3)),
    ("SeparableConv1D", dict(filters=4, kernel_size=2, dilation_rate=2, data_format="channels_first",
                             activation="tanh"), (3, 9)),
    ("SeparableConv2D", dict(filters=4, kernel_size=3, depth_multiplier=3, use_bias=False), (6, 7, 2)),
    ("SeparableConv2D", dict(filters=3, kernel_size=2, strides=2, padding="same", data_format="channels_first"),
     (2, 7, 6)),
    ("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2, padding="same"), (8, 3)),
    ("DepthwiseConv2D", dict(kernel_size=(2, 3), depth_multiplier=2, strides=(2, 1), data_format="channels_first"),
     (3, 7, 6)),
    ("DepthwiseConv2D", dict(kernel_size=3, dilation_rate=2, activation="sigmoid"), (7, 7, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=3, strides=2), (5, 4)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=4, strides=3, padding="same", output_padding=1,
                             data_format="channels_first"), (4, 5)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=(3, 2), strides=(2, 1), padding="same"), (4, 5, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2, use_bias=False), (4, 4, 3)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=(1, 0), data_format="channels_first"),
     (3, 4, 5)),
]


def _ids(cases):
    return [f"{i}-{c[0]}" for i, c in enumerate(cases)]


@pytest.mark.parametrize("name,kwargs,shape", CONV_CASES, ids=_ids(CONV_CASES))
def test_conv_layers_same_outputs_gradients_and_configs_as_keras(name, kwargs, shape):
    x = RNG.normal(size=(2,) + shape).astype("float32")
    k = getattr(keras.layers, name)(name="c", **kwargs)
    ours = getattr(L, name)(name="c", **kwargs)
    k.build(x.shape)
    ours.build(x.shape)
    assert [v.name for v in ours.weights] == [v.name for v in k.weights]
    assert [tuple(v.shape) for v in ours.weights] == [tuple(v.shape) for v in k.weights]
    weights = [RNG.normal(size=v.shape).astype("float32") for v in k.weights]
    k.set_weights(weights)
    ours.set_weights(weights)
    y = np.asarray(ours(x))
    np.testing.assert_allclose(y, np.asarray(k(x)), rtol=1e-5, atol=1e-5)
    assert tuple(ours.compute_output_shape(x.shape)) == tuple(k.compute_output_shape(x.shape)) == y.shape
    assert tuple(getattr(L, name)(**kwargs)(lstmkit.Input(shape)).shape) == (None,) + y.shape[1:]
    assert ours.get_config() == k.get_config() and list(ours.get_config()) == list(k.get_config())
    assert getattr(L, name).from_config(ours.get_config()).get_config() == ours.get_config()
    assert ours.count_params() == k.count_params() == ours.checked_param_count_formula()[1]

    # gradients of a weighted sum, w.r.t. the inputs and every weight
    cotangent = RNG.normal(size=y.shape).astype("float32")
    keys = [v._param_name for v in ours.weights]

    def ours_loss(xx, ws):
        out, _ = ours.apply(dict(zip(keys, ws)), xx, CallContext())
        return (out * cotangent).sum()

    def keras_loss(xx, ws):
        out, _ = k.stateless_call(ws, [], xx)
        return (out * cotangent).sum()

    ws = [jax.numpy.asarray(w) for w in weights]
    got = jax.grad(ours_loss, argnums=(0, 1))(jax.numpy.asarray(x), ws)
    want = jax.grad(keras_loss, argnums=(0, 1))(jax.numpy.asarray(x), ws)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-4)


SHAPE_CASES = [
    ("MaxPooling2D", {}, (6, 7, 3)),
    ("MaxPooling2D", dict(pool_size=3, strides=(2, 1), padding="same", data_format="channels_first"), (3, 7, 6)),
    ("AveragePooling2D", dict(pool_size=(2, 3)), (6, 7, 3)),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (7, 6, 2)),
    ("GlobalMaxPooling2D", {}, (5, 4, 3)),
    ("GlobalMaxPooling2D", dict(keepdims=True, data_format="channels_first"), (3, 5, 4)),
    ("GlobalAveragePooling2D", dict(keepdims=True), (5, 4, 3)),
    ("GlobalAveragePooling2D", dict(data_format="channels_first"), (3, 5, 4)),
    ("UpSampling2D", dict(size=(2, 3)), (3, 4, 2)),
    ("UpSampling2D", dict(size=2, interpolation="bilinear", data_format="channels_first"), (2, 3, 4)),
    ("UpSampling2D", dict(size=(3, 2), interpolation="bicubic"), (3, 4, 2)),
    ("ZeroPadding2D", {}, (3, 4, 2)),
    ("ZeroPadding2D", dict(padding=((1, 2), (0, 3)), data_format="channels_first"), (2, 3, 4)),
    ("Cropping2D", dict(cropping=((1, 2), (0, 3))), (6, 7, 2)),
    ("Cropping2D", dict(cropping=1, data_format="channels_first"), (2, 5, 4)),
]


@pytest.mark.parametrize("name,kwargs,shape", SHAPE_CASES, ids=_ids(SHAPE_CASES))
def test_pooling_and_shape_layers_same_numbers_gradients_and_configs_as_keras(name, kwargs, shape):
    x = RNG.normal(size=(2,) + shape).astype("float32")
    k = getattr(keras.layers, name)(name="l", **kwargs)
    ours = getattr(L, name)(name="l", **kwargs)
    y = np.asarray(ours(x))
    np.testing.assert_allclose(y, np.asarray(k(x)), rtol=1e-5, atol=1e-6)
    assert tuple(ours.compute_output_shape((None,) + shape)) == tuple(k.compute_output_shape((None,) + shape))
    assert tuple(getattr(L, name)(**kwargs)(lstmkit.Input(shape)).shape) == (None,) + y.shape[1:]
    assert ours.get_config() == k.get_config() and list(ours.get_config()) == list(k.get_config())
    assert getattr(L, name).from_config(ours.get_config()).get_config() == ours.get_config()
    cotangent = RNG.normal(size=y.shape).astype("float32")
    got = jax.grad(lambda v: (ours.apply({}, v, CallContext())[0] * cotangent).sum())(jax.numpy.asarray(x))
    want = jax.grad(lambda v: (k.stateless_call([], [], v)[0] * cotangent).sum())(jax.numpy.asarray(x))
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)


def test_aliases_are_keras_names():
    assert L.Convolution2D is L.Conv2D and L.Convolution3D is L.Conv3D
    assert L.SeparableConvolution1D is L.SeparableConv1D and L.SeparableConvolution2D is L.SeparableConv2D
    assert L.Convolution1DTranspose is L.Conv1DTranspose and L.Convolution2DTranspose is L.Conv2DTranspose
    assert (L.MaxPool2D, L.AvgPool2D, L.GlobalMaxPool2D, L.GlobalAvgPool2D) == (
        L.MaxPooling2D, L.AveragePooling2D, L.GlobalMaxPooling2D, L.GlobalAveragePooling2D)
    for name in ["Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
                 "Conv1DTranspose", "Conv2DTranspose", "UpSampling2D", "ZeroPadding2D", "Cropping2D",
                 "GlobalAveragePooling2D"]:
        assert name in L.__all__
        assert getattr(keras.layers, name).__name__ == getattr(L, name).__name__


def test_default_names_are_keras_names():
    lstmkit.backend.clear_session()
    keras.backend.clear_session()
    for name, args in [("Conv2D", (2, 2)), ("SeparableConv1D", (2, 2)), ("DepthwiseConv2D", (2,)),
                       ("Conv2DTranspose", (2, 2)), ("MaxPooling2D", ()), ("GlobalAveragePooling2D", ()),
                       ("UpSampling2D", ()), ("Cropping2D", ())]:
        assert getattr(L, name)(*args).name == getattr(keras.layers, name)(*args).name


ERROR_CASES = [
    ("Conv2D", dict(filters=0, kernel_size=1)), ("Conv2D", dict(filters=2, kernel_size=(1, 0))),
    ("Conv2D", dict(filters=2, kernel_size=2, strides=(1, 0))),
    ("Conv2D", dict(filters=2, kernel_size=2, strides=2, dilation_rate=(2, 1))),
    ("Conv2D", dict(filters=5, kernel_size=2, groups=0)), ("Conv2D", dict(filters=5, kernel_size=2, groups=2)),
    ("Conv2D", dict(filters=2, kernel_size=(2, 2, 2))),
    ("Conv2D", dict(filters=2, kernel_size=2, data_format="nhwc")),
    ("SeparableConv1D", dict(filters=2, kernel_size=2, depth_multiplier=0)),
    ("SeparableConv2D", dict(filters=0, kernel_size=2)),
    ("DepthwiseConv2D", dict(kernel_size=2, depth_multiplier=0)),
    ("DepthwiseConv1D", dict(kernel_size=0)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=2, strides=2, dilation_rate=2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=2, output_padding=(0, -1))),
    ("MaxPooling2D", dict(pool_size=(2, 0))), ("AveragePooling2D", dict(pool_size=(1, 2, 3))),
    ("UpSampling2D", dict(size=(2, 0))), ("Cropping2D", dict(cropping=-1)), ("Cropping2D", dict(cropping=(1, 2, 3))),
    ("Cropping2D", dict(cropping=((1, 2), (1, 2, 3)))), ("ZeroPadding2D", dict(padding=(1, 2, 3))),
    ("ZeroPadding2D", dict(padding="same")),
]


@pytest.mark.parametrize("name,kwargs", ERROR_CASES, ids=[f"{n}-{kw}" for n, kw in ERROR_CASES])
def test_bad_arguments_raise_keras_errors(name, kwargs):
    with pytest.raises(ValueError) as theirs:
        getattr(keras.layers, name)(**kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(L, name)(**kwargs)
    assert str(ours.value).replace("'", "") == str(theirs.value).replace("'", "")


@pytest.mark.parametrize("make,message", [
    (lambda: L.Conv2D(2, 4)(lstmkit.Input((3, 5, 2))), "zero or negative"),
    (lambda: L.SeparableConv2D(2, 3, strides=2)(np.zeros((1, 2, 4, 3), "float32")), "zero or negative"),
    (lambda: L.Conv2D(2, 2)(lstmkit.Input((5, 2))), "min_ndim=4"),
    (lambda: L.MaxPooling2D(3)(lstmkit.Input((2, 5, 1))), "zero or negative"),
    (lambda: L.GlobalMaxPooling2D()(lstmkit.Input((5, 2))), "ndim=4"),
    (lambda: L.Cropping2D(((2, 2), (0, 0)))(lstmkit.Input((4, 5, 1))), "cropping"),
    (lambda: L.UpSampling2D(interpolation="cubic"), "interpolation"),
    (lambda: L.Conv2D(2, 2, padding="causal"), "padding"),
    (lambda: L.Conv2D(2, 2, groups=2)(lstmkit.Input((5, 5, 3))), "groups"),
])
def test_bad_inputs_raise_value_error_naming_them(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_built_layer_refuses_other_channel_counts():
    conv = L.Conv2D(2, 2)
    conv(np.zeros((1, 4, 4, 3), "float32"))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        conv(np.zeros((1, 4, 4, 2), "float32"))


def test_lora_rank_is_refused():
    with pytest.raises(NotImplementedError, match="lora_rank"):
        L.Conv2D(2, 2, lora_rank=2)


# ------------------------------------------------------------------------------------------- video CNN-LSTM
def _video_model(lib):
    ly = lib.layers
    inp = lib.Input((4, 8, 8, 2))
    x = ly.TimeDistributed(ly.Conv2D(4, 3, activation="relu", padding="same"))(inp)
    x = ly.TimeDistributed(ly.MaxPooling2D(2))(x)
    x = ly.TimeDistributed(ly.SeparableConv2D(3, 2, depth_multiplier=2))(x)
    x = ly.TimeDistributed(ly.Flatten())(x)
    x = ly.LSTM(5)(x)
    return lib.Model(inp, ly.Dense(1)(x))


def _video_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4, 8, 8, 2)).astype("float32")
    return x, x.mean(axis=(1, 2, 3, 4))[:, None]


def test_video_cnn_lstm_trains_one_step_like_keras_and_counts_params_as_keras():
    x, y = _video_data()
    k, ours = _video_model(keras), _video_model(lstmkit)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in k.get_weights()]
    assert ours.count_params() == k.count_params()
    assert [layer.count_params() for layer in ours.layers] == [layer.count_params() for layer in k.layers]
    ours.set_weights(k.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), k.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    k.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    ours.compile(optimizer=lstmkit.optimizers.SGD(0.1), loss="mse")
    hk = k.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history["loss"]
    ho = ours.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ho, hk, rtol=1e-5)
    for a, b in zip(ours.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    text = []
    ours.summary(print_fn=text.append)
    assert f"{k.count_params():,}" in "\n".join(text)


def _shape_model(lib):
    ly = lib.layers
    inp = lib.Input((6, 6, 2))
    x = ly.ZeroPadding2D(((1, 0), (0, 1)))(inp)
    x = ly.Conv2D(4, 3, groups=2, use_bias=False)(x)
    x = ly.DepthwiseConv2D(2, depth_multiplier=2, padding="same")(x)
    x = ly.AveragePooling2D(2, padding="same")(x)
    x = ly.UpSampling2D(2, interpolation="bilinear")(x)
    x = ly.Conv2DTranspose(3, 3, strides=2, padding="same")(x)
    x = ly.Cropping2D(((1, 1), (2, 0)))(x)
    x = ly.Reshape((-1, 3))(x)
    x = ly.Conv1DTranspose(2, 2, strides=2)(x)
    x = ly.SeparableConv1D(2, 3)(x)
    x = ly.DepthwiseConv1D(3, depth_multiplier=2)(x)
    out = ly.GlobalMaxPooling1D()(x)
    pooled = ly.GlobalAveragePooling2D()(ly.MaxPooling2D()(inp))
    return lib.Model(inp, ly.Concatenate()([out, pooled]))


def test_keras_files_both_ways(tmp_path):
    x = RNG.normal(size=(3, 6, 6, 2)).astype("float32")
    k = _shape_model(keras)
    k.set_weights([RNG.normal(size=w.shape).astype("float32") for w in k.get_weights()])
    k.save(tmp_path / "k.keras")
    mine = load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(mine.predict(x, verbose=0), k.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    mine.save(tmp_path / "o.keras")
    back = keras.saving.load_model(tmp_path / "o.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), k.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    assert [type(layer).__name__ for layer in back.layers] == [type(layer).__name__ for layer in k.layers]
    assert mine.count_params() == k.count_params()


def test_h5_files_both_ways(tmp_path):
    x, _ = _video_data()
    k = _video_model(keras)
    k.save(tmp_path / "k.h5")
    mine = load_model(tmp_path / "k.h5")
    np.testing.assert_allclose(mine.predict(x, verbose=0), k.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    mine.save(tmp_path / "o.h5")
    back = keras.saving.load_model(tmp_path / "o.h5")
    np.testing.assert_allclose(back.predict(x, verbose=0), k.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    again = load_model(tmp_path / "o.h5")
    np.testing.assert_allclose(again.predict(x, verbose=0), k.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_depthwise_legacy_h5_weights_have_keras2_names(tmp_path):
    import h5py

    model = lstmkit.Sequential([lstmkit.Input((5, 5, 2)), L.DepthwiseConv2D(2, name="dw")])
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["model_weights"]["dw"].attrs["weight_names"]]
    assert names == ["dw/depthwise_kernel:0", "dw/bias:0"]
    loaded = load_model(tmp_path / "m.h5")
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras2_configs_load():
    """tf.keras 2 configs (lists for tuples, `groups: 1` in the depthwise and transposed ones)."""
    init = {"class_name": "GlorotUniform", "config": {"seed": None}}
    zeros = {"class_name": "Zeros", "config": {}}
    base = {"trainable": True, "dtype": "float32"}
    none = dict(bias_regularizer=None, activity_regularizer=None, bias_constraint=None)
    conv = {**base, **none, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
            "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "relu", "use_bias": True,
            "bias_initializer": zeros}
    cfg = {"class_name": "Sequential", "keras_version": "2.12.0", "backend": "tensorflow", "config": {
        "name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8, 8, 2], "dtype": "float32",
                                                    "sparse": False, "ragged": False, "name": "in"}},
            {"class_name": "Conv2D", "config": {**conv, "name": "c", "filters": 4, "groups": 1,
                                                "kernel_initializer": init, "kernel_regularizer": None,
                                                "kernel_constraint": None}},
            {"class_name": "SeparableConv2D", "config": {
                **conv, "name": "sc", "filters": 4, "depth_multiplier": 1, "depthwise_initializer": init,
                "pointwise_initializer": init, "depthwise_regularizer": None, "pointwise_regularizer": None,
                "depthwise_constraint": None, "pointwise_constraint": None}},
            {"class_name": "DepthwiseConv2D", "config": {
                **conv, "name": "dw", "groups": 1, "depth_multiplier": 2, "depthwise_initializer": init,
                "depthwise_regularizer": None, "depthwise_constraint": None}},
            {"class_name": "Conv2DTranspose", "config": {
                **conv, "name": "ct", "filters": 2, "groups": 1, "output_padding": None, "kernel_initializer": init,
                "kernel_regularizer": None, "kernel_constraint": None}},
            {"class_name": "MaxPooling2D", "config": {**base, "name": "mp", "pool_size": [2, 2], "padding": "valid",
                                                      "strides": [2, 2], "data_format": "channels_last"}},
            {"class_name": "ZeroPadding2D", "config": {**base, "name": "zp", "padding": [[1, 1], [0, 0]],
                                                       "data_format": "channels_last"}},
            {"class_name": "Cropping2D", "config": {**base, "name": "cr", "cropping": [[1, 1], [0, 0]],
                                                    "data_format": "channels_last"}},
            {"class_name": "UpSampling2D", "config": {**base, "name": "up", "size": [2, 2],
                                                      "data_format": "channels_last", "interpolation": "nearest"}},
            {"class_name": "GlobalAveragePooling2D", "config": {**base, "name": "g", "data_format": "channels_last",
                                                                "keepdims": False}},
        ]}}
    model = lstmkit.models.model_from_json(json.dumps(cfg))
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "MaxPooling2D", "ZeroPadding2D",
        "Cropping2D", "UpSampling2D", "GlobalAveragePooling2D"]
    assert model.layers[0].kernel_size == (3, 3) and model.layers[5].padding == ((1, 1), (0, 0))
    assert model.predict(np.ones((2, 8, 8, 2), "float32"), verbose=0).shape == (2, 2)
    with pytest.raises(ValueError, match="groups"):
        L.SeparableConv2D.keras2_config({"groups": 2}, "layer 'sc'")
