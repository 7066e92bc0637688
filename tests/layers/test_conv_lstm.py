"""ConvLSTM1D / ConvLSTM2D / ConvLSTM3D against Keras 3: same weights, same numbers (every option), gradients,
a ConvLSTM2D -> BatchNormalization -> Flatten -> Dense model's fit, files both ways, configs, errors."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402
from lstmkit.layers.conv_lstm import ConvLSTMCell, conv, gate_conv  # noqa: E402
from lstmkit.models import load_model  # noqa: E402

RNG = np.random.default_rng(7)

# (class, input shape (batch, time, ...), arguments)
CASES = [
    ("ConvLSTM2D", (2, 3, 6, 6, 2), dict(filters=3, kernel_size=3)),
    ("ConvLSTM2D", (2, 3, 7, 6, 2), dict(filters=3, kernel_size=2, padding="same", strides=2, return_sequences=True)),
    ("ConvLSTM2D", (2, 3, 2, 7, 6), dict(filters=3, kernel_size=2, dilation_rate=2, data_format="channels_first",
                                         return_state=True)),
    ("ConvLSTM2D", (2, 3, 2, 7, 6), dict(filters=3, kernel_size=(3, 2), padding="same", strides=(1, 2),
                                         data_format="channels_first", go_backwards=True, return_sequences=True,
                                         return_state=True)),
    ("ConvLSTM2D", (2, 3, 6, 6, 2), dict(filters=3, kernel_size=3, unroll=True, return_sequences=True, use_bias=False,
                                         unit_forget_bias=False, activation="relu",
                                         recurrent_activation="hard_sigmoid")),
    ("ConvLSTM1D", (2, 4, 9, 2), dict(filters=3, kernel_size=3, strides=2, go_backwards=True, return_state=True)),
    ("ConvLSTM1D", (2, 4, 2, 9), dict(filters=2, kernel_size=2, padding="same", data_format="channels_first",
                                      return_sequences=True)),
    ("ConvLSTM3D", (2, 2, 4, 5, 4, 2), dict(filters=2, kernel_size=2, padding="same", return_sequences=True)),
]
IDS = [f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)]


def _pair(cls, shape, **kwargs):
    kwargs = {"name": "convlstm", **kwargs}
    k, ours = getattr(keras.layers, cls)(**kwargs), getattr(L, cls)(**kwargs)
    k.build(shape)
    ours.build(shape)
    weights = [(RNG.normal(size=w.shape) * 0.3).astype("float32") for w in k.get_weights()]
    k.set_weights(weights)
    ours.set_weights(weights)
    return k, ours


def _listed(y):
    return [np.asarray(a) for a in (y if isinstance(y, (list, tuple)) else [y])]


@pytest.mark.parametrize("cls,shape,kwargs", CASES, ids=IDS)
def test_same_numbers_shapes_and_config_as_keras(cls, shape, kwargs):
    k, ours = _pair(cls, shape, **kwargs)
    assert [v.path.split("/")[-2:] for v in k.weights] == [["conv_lstm_cell", v.name] for v in ours.weights] == [
        ["conv_lstm_cell", n] for n in (["kernel", "recurrent_kernel", "bias"][:3 if kwargs.get("use_bias", 1) else 2])]
    x = RNG.normal(size=shape).astype("float32")
    yk, yo = _listed(k(x)), _listed(ours(x))
    assert [a.shape for a in yo] == [a.shape for a in yk]
    for a, b in zip(yo, yk):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    expected = k.compute_output_shape(shape)
    expected = [tuple(s) for s in expected] if kwargs.get("return_state") else tuple(expected)
    got = ours.compute_output_shape(shape)
    assert (got if not kwargs.get("return_state") else [tuple(s) for s in got]) == expected
    symbolic = getattr(L, cls)(**kwargs)(lstmkit.Input(shape[1:]))
    symbolic = symbolic if isinstance(symbolic, list) else [symbolic]
    assert [tuple(s.shape) for s in symbolic] == [(None,) + a.shape[1:] for a in yo]
    ck, co = k.get_config(), ours.get_config()
    assert co == ck and list(co) == list(ck)
    assert type(ours).from_config(co).get_config() == co


def test_configs_with_every_argument_equal_keras():
    kwargs = dict(filters=4, kernel_size=(2, 3), strides=(2, 1), padding="SAME", data_format="channels_first",
                  activation="relu", recurrent_activation="hard_sigmoid", use_bias=False,
                  kernel_initializer="he_normal", recurrent_initializer="glorot_uniform", bias_initializer="ones",
                  unit_forget_bias=False, kernel_regularizer="l2", recurrent_regularizer="l2",
                  bias_regularizer="l2", activity_regularizer="l2", kernel_constraint="non_neg",
                  recurrent_constraint="unit_norm", bias_constraint="max_norm", dropout=0.1, recurrent_dropout=0.2,
                  seed=3, return_sequences=True, return_state=True, go_backwards=True, stateful=True, unroll=True,
                  zero_output_for_mask=True, name="c")
    for cls in ("ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"):
        args = dict(kwargs, kernel_size=kwargs["kernel_size"][:1] * int(cls[-2]),
                    strides=kwargs["strides"][:1] * int(cls[-2]))
        ck, co = getattr(keras.layers, cls)(**args).get_config(), getattr(L, cls)(**args).get_config()
        assert co == ck and list(co) == list(ck)
    ours = L.ConvLSTM2D(**kwargs)
    assert (ours.filters, ours.kernel_size, ours.padding, ours.dropout, ours.seed) == (4, (2, 3), "same", 0.1, 3)
    assert ours.cell.name == "conv_lstm_cell" and ours.cell.recurrent_dropout == 0.2


def test_masks_hold_the_states_as_keras_unrolled_loop():
    """Keras 3.15 on JAX handles a mask on a ConvLSTM only in its unrolled loop (its scan fails to broadcast the
    mask); lstmkit's scan gives the same numbers (the RNN's rule: a masked step holds h and c)."""
    mask = np.array([[1, 0, 1], [0, 1, 1]], bool)
    x = RNG.normal(size=(2, 3, 6, 6, 2)).astype("float32")
    base = dict(filters=3, kernel_size=3, return_sequences=True, return_state=True)
    for extra in ({}, {"go_backwards": True}):
        k, _ = _pair("ConvLSTM2D", x.shape, unroll=True, **base, **extra)
        for ours_unroll in (True, False):
            ours = L.ConvLSTM2D(unroll=ours_unroll, **base, **extra)
            ours.build(x.shape)
            ours.set_weights(k.get_weights())
            for a, b in zip(_listed(ours(x, mask=mask)), _listed(k(x, mask=mask))):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert L.ConvLSTM2D(**base).supports_masking
    # A masked last step leaves the output of the steps before it.
    layer = L.ConvLSTM2D(2, 3, padding="same")
    ends = np.array([[1, 1, 0], [1, 1, 0]], bool)
    np.testing.assert_allclose(layer(x, mask=ends), layer(x[:, :2]), rtol=1e-5, atol=1e-6)


def test_initial_state_and_stateful_as_keras():
    x = RNG.normal(size=(2, 3, 5, 5, 2)).astype("float32")
    kwargs = dict(filters=3, kernel_size=3, padding="same", return_state=True)
    k, ours = _pair("ConvLSTM2D", x.shape, **kwargs)
    s0 = [RNG.normal(size=(2, 5, 5, 3)).astype("float32") for _ in range(2)]
    for a, b in zip(_listed(ours(x, initial_state=s0)), _listed(k(x, initial_state=s0))):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    k2, ours2 = _pair("ConvLSTM2D", x.shape, stateful=True, **kwargs)
    first = _listed(ours2(x))
    np.testing.assert_allclose(first[0], _listed(k2(x))[0], rtol=1e-5, atol=1e-5)
    yk, yo = _listed(k2(x)), _listed(ours2(x))  # the second call starts from the first one's states
    assert not np.allclose(yo[0], first[0])
    for a, b in zip(yo, yk):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert [s.shape for s in ours2.states] == [(2, 5, 5, 3)] * 2
    ours2.reset_states()
    np.testing.assert_allclose(_listed(ours2(x))[0], first[0], rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="should have shape"):
        ours(x, initial_state=[s0[0][:, :4], s0[1]])


def test_gradients_equal_keras():
    x = RNG.normal(size=(2, 3, 2, 6, 5)).astype("float32")
    kwargs = dict(filters=3, kernel_size=3, padding="same", strides=(1, 2), data_format="channels_first",
                  return_sequences=True, go_backwards=True)
    k, ours = _pair("ConvLSTM2D", x.shape, **kwargs)
    w = [jnp.asarray(v) for v in k.get_weights()]
    probe = jnp.asarray(RNG.normal(size=k.compute_output_shape(x.shape)).astype("float32"))

    def loss(layer):
        def fn(weights, inputs):
            out, _ = layer.stateless_call(weights, [v.value for v in layer.non_trainable_variables], inputs)
            return jnp.sum(jnp.asarray(out) * probe)
        return fn

    gk = jax.grad(loss(k), argnums=(0, 1))(w, jnp.asarray(x))
    go = jax.grad(loss(ours), argnums=(0, 1))(w, jnp.asarray(x))
    for a, b in zip(jax.tree_util.tree_leaves(go), jax.tree_util.tree_leaves(gk)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


def _model(lib, seed=0):
    layers = lib.layers
    return lib.Sequential([lib.Input((3, 6, 6, 2)), layers.ConvLSTM2D(4, 3, padding="same"),
                           layers.BatchNormalization(), layers.Flatten(), layers.Dense(1)])


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3, 6, 6, 2)).astype("float32")
    return x, x.mean(axis=(1, 2, 3, 4))[:, None].astype("float32")


def test_convlstm_batchnorm_dense_fit_matches_keras():
    x, y = _data()
    k, ours = _model(keras), _model(lstmkit)
    ours.set_weights(k.get_weights())
    k.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    ours.compile(optimizer=lstmkit.optimizers.Adam(0.01), loss="mse")
    hk = k.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history["loss"]
    ho = ours.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ho, hk, rtol=1e-4)
    np.testing.assert_allclose(ours.predict(x, verbose=0), k.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
    assert ours.count_params() == k.count_params() == 4 * (9 * (2 + 4) * 4 + 4) + 4 * 4 + 6 * 6 * 4 + 1
    formula = ours.layers[0].checked_param_count_formula()
    assert formula[1] == ours.layers[0].count_params() == k.layers[0].count_params()
    assert formula[0] == "4 × (3 × 3 × (2 + 4) × 4 + 4)"


def test_keras_files_both_ways(tmp_path):
    x, _ = _data()
    k = _model(keras)
    k.save(tmp_path / "k.keras")
    ours = load_model(tmp_path / "k.keras")
    assert [v.name for v in ours.layers[0].cell.weights] == ["kernel", "recurrent_kernel", "bias"]
    np.testing.assert_allclose(ours.predict(x, verbose=0), k.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    ours.save(tmp_path / "o.keras")
    k2 = keras.saving.load_model(tmp_path / "o.keras")
    np.testing.assert_allclose(k2.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    k.save(tmp_path / "k.h5")
    np.testing.assert_allclose(load_model(tmp_path / "k.h5").predict(x, verbose=0), k.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    ours.save(tmp_path / "o.h5")
    again = load_model(tmp_path / "o.h5")
    assert type(again.layers[0]) is L.ConvLSTM2D
    np.testing.assert_allclose(again.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "o.h5").predict(x, verbose=0),
                               ours.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_keras2_h5_file_round_trip(tmp_path):
    """Keras 2's hard_sigmoid makes lstmkit write a tf.keras 2 style .h5 (time_major, no seed); it reads back."""
    model = lstmkit.Sequential([lstmkit.Input((2, 5, 5, 1)),
                                L.ConvLSTM2D(2, 3, padding="same", recurrent_activation="hard_sigmoid_keras2")])
    model.save(tmp_path / "k2.h5")
    again = load_model(tmp_path / "k2.h5")
    x = RNG.normal(size=(2, 2, 5, 5, 1)).astype("float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="no `seed`"):
        lstmkit.Sequential([lstmkit.Input((2, 5, 5, 1)), L.ConvLSTM2D(
            2, 3, seed=1, recurrent_activation="hard_sigmoid_keras2")]).save(tmp_path / "seed.h5")


def test_dropout_masks_per_gate_and_training_only():
    """Keras's cell: four input masks and four recurrent ones (one per gate), the same at every step."""
    x = jnp.asarray(RNG.normal(size=(2, 5, 5, 3)).astype("float32"))
    kernel = jnp.asarray(RNG.normal(size=(3, 3, 3, 8)).astype("float32"))
    masks = jnp.asarray(RNG.integers(0, 2, size=(4, 2, 5, 5, 3)).astype("float32"))
    blocks = jnp.split(kernel, 4, axis=-1)
    separate = jnp.concatenate([conv(x * m, b, (1, 1), "same") for m, b in zip(masks, blocks)], axis=-1)
    np.testing.assert_allclose(gate_conv(x, kernel, masks, (1, 1), "same"), separate, rtol=1e-5, atol=1e-5)
    seq = RNG.normal(size=(2, 3, 5, 5, 3)).astype("float32")
    layer = L.ConvLSTM2D(2, 3, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    plain = L.ConvLSTM2D(2, 3, return_sequences=True)
    plain.build(seq.shape)
    layer.build(seq.shape)
    layer.set_weights(plain.get_weights())
    np.testing.assert_allclose(layer(seq), plain(seq), rtol=1e-6)
    trained = np.asarray(layer(seq, training=True))
    assert trained.shape == (2, 3, 3, 3, 2) and not np.allclose(trained, plain(seq))
    model = lstmkit.Sequential([lstmkit.Input((3, 5, 5, 3)), layer, L.Flatten(), L.Dense(1)])
    model.compile("sgd", "mse")
    assert np.isfinite(model.fit(seq, np.zeros((2, 1), "float32"), epochs=2, verbose=0).history["loss"]).all()


def test_cell_alone_and_in_rnn():
    x = RNG.normal(size=(2, 3, 5, 5, 2)).astype("float32")
    layer = L.ConvLSTM2D(3, 3, padding="same", return_sequences=True)
    y = np.asarray(layer(x))
    cell = ConvLSTMCell(rank=2, filters=3, kernel_size=3, padding="same")
    rnn = L.RNN(cell, return_sequences=True)
    rnn(x)
    rnn.set_weights(layer.get_weights())
    np.testing.assert_allclose(rnn(x), y, rtol=1e-5, atol=1e-6)
    h, (h2, c) = layer.cell(x[:, 0], layer.cell.get_initial_state(2))
    np.testing.assert_allclose(h, y[:, 0], rtol=1e-5, atol=1e-6)
    assert cell.get_config()["rank"] == 2 and ConvLSTMCell.from_config(cell.get_config()).kernel_size == (3, 3)


def test_keras2_config_loads():
    init = {"class_name": "GlorotUniform", "config": {"seed": None}}
    cfg = {"class_name": "Sequential", "keras_version": "2.12.0", "backend": "tensorflow", "config": {
        "name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2, 5, 5, 1], "dtype": "float32",
                                                    "sparse": False, "ragged": False, "name": "in"}},
            {"class_name": "ConvLSTM2D", "config": {
                "name": "c", "trainable": True, "dtype": "float32", "return_sequences": False,
                "return_state": False, "go_backwards": False, "stateful": False, "unroll": False,
                "time_major": False, "filters": 2, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "tanh",
                "recurrent_activation": "hard_sigmoid", "use_bias": True, "kernel_initializer": init,
                "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
                "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": True,
                "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
                "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
                "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0}}]}}
    model = lstmkit.models.model_from_json(json.dumps(cfg))
    layer = model.layers[0]
    assert type(layer) is L.ConvLSTM2D and layer.kernel_size == (3, 3)
    assert model.predict(np.ones((2, 2, 5, 5, 1), "float32"), verbose=0).shape == (2, 5, 5, 2)


@pytest.mark.parametrize("kwargs,message", [
    (dict(filters=1, kernel_size=1, strides=2, dilation_rate=3), "Specifying `strides > 1` is not compatible"),
    (dict(filters=2, kernel_size=2, padding="causal"), "`padding` argument"),
    (dict(filters=2, kernel_size=2, data_format="nhwc"), "`data_format` argument"),
    (dict(filters=0, kernel_size=2), "`filters`"),
    (dict(filters=2, kernel_size=(2, 2, 2)), "`kernel_size` argument must be a tuple of 2 integers"),
    (dict(filters=2, kernel_size=2, strides=0), "`strides`"),
    (dict(filters=2, kernel_size=2, dropout=1.5), "`dropout`"),
], ids=str)
def test_bad_arguments_raise_value_error_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        L.ConvLSTM2D(**kwargs)


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match="expected ndim=5, found ndim=4"):
        L.ConvLSTM2D(2, 2)(lstmkit.Input((3, 4, 2)))
    with pytest.raises(ValueError, match="static input shapes for the spatial dimension"):
        L.ConvLSTM2D(2, 2)(lstmkit.Input((3, None, 4, 2)))
    with pytest.raises(ValueError, match="zero or negative"):
        L.ConvLSTM1D(2, 5)(lstmkit.Input((3, 4, 2)))
    layer = L.ConvLSTM1D(2, 2)
    layer(np.zeros((1, 2, 6, 3), "float32"))
    with pytest.raises(ValueError, match="expected shape"):
        layer(np.zeros((1, 2, 7, 3), "float32"))
    with pytest.raises(ValueError, match="Rank 4 convolutions"):
        ConvLSTMCell(rank=4, filters=2, kernel_size=2)


def test_keras2_module_path():
    from lstmkit.layers.convolutional_recurrent import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D

    assert (ConvLSTM1D, ConvLSTM2D, ConvLSTM3D) == (L.ConvLSTM1D, L.ConvLSTM2D, L.ConvLSTM3D)
