"""Model configs: Sequential and functional `get_config` as Keras 3 gives it, `from_config`, JSON, Keras 2 forms."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit.models import Model, Sequential, model_from_config, model_from_json  # noqa: E402
from lstmkit.models.config import keras_layer_order  # noqa: E402

RNG = np.random.default_rng(3)


def normal(config):
    """JSON form, without `shared_object_id`s and without the `training`/`mask` call defaults Keras
    records in inbound nodes (they do not change what the graph computes)."""
    def strip(d, key=None):
        if isinstance(d, dict):
            out = {k: strip(v, k) for k, v in d.items() if k != "shared_object_id"}
            if key == "kwargs":
                out = {k: v for k, v in out.items() if not (k in ("training", "mask") and v in (False, None))}
            return out
        if isinstance(d, list):
            return [strip(v) for v in d]
        return d
    return strip(json.loads(json.dumps(config)))


def branched(lib):
    """Two inputs, a merge, return_state, a shared-depth branch: Keras orders these layers by depth."""
    Lm = lib.layers
    a, b = lib.Input((4, 2), name="a"), lib.Input((4, 3), name="b")
    x = Lm.LSTM(3, return_sequences=True, name="l1")(a)
    y = Lm.GRU(3, return_sequences=True, name="g1")(b)
    z = Lm.Concatenate(name="cat")([x, y])
    seq, h, c = Lm.LSTM(2, return_state=True, return_sequences=True, name="l2")(z)
    d = Lm.TimeDistributed(Lm.Dense(1, name="dd"), name="td")(seq)
    e = Lm.Dense(2, name="e")(h)
    f = Lm.Add(name="add")([h, c])
    shallow = Lm.Dense(2, name="shallow")(x)  # first output, yet after the deeper layers in Keras's order
    return lib.Model([a, b], [shallow, d, e, f], name="m")


def encoder_decoder(lib):
    Lm = lib.layers
    enc_in = lib.Input((4, 2), name="enc_in")
    _, h, c = Lm.LSTM(3, return_state=True, name="enc")(enc_in)
    dec_in = lib.Input((5, 1), name="dec_in")
    seq = Lm.LSTM(3, return_sequences=True, name="dec")(dec_in, initial_state=[h, c])
    return lib.Model([enc_in, dec_in], Lm.TimeDistributed(Lm.Dense(1, name="d"), name="td")(seq), name="ed")


def stack(lib):
    Lm = lib.layers
    return lib.Sequential([
        lib.Input((5, 2), name="inp"), Lm.Masking(name="mask"), Lm.Bidirectional(Lm.LSTM(3, return_sequences=True, name="l"), name="bi"),
        Lm.Dropout(0.1, name="do"), Lm.SimpleRNN(2, name="srn"), Lm.RepeatVector(2, name="rv"),
        Lm.GRU(2, reset_after=False, return_sequences=True, name="gru"), Lm.Flatten(name="fl"),
        Lm.Reshape((2, 2), name="rs"), Lm.Activation("relu", name="act"), Lm.Dense(1, name="de")], name="s")


@pytest.fixture(scope="module")
def pairs():
    return {name: (fn(lstmkit), fn(keras)) for name, fn in
            (("branched", branched), ("encoder_decoder", encoder_decoder), ("stack", stack))}


@pytest.mark.parametrize("name", ["branched", "encoder_decoder", "stack"])
def test_model_config_equals_keras(pairs, name):
    ours, theirs = pairs[name]
    assert normal(ours.get_config()) == normal(theirs.get_config())
    from lstmkit.saving.model_object import serialize_model

    assert normal(serialize_model(ours)) == normal(keras.saving.serialize_keras_object(theirs))


def test_layer_order_is_keras_order(pairs):
    """Keras orders a functional model's layers by depth; `model.layers` and the weights follow that order."""
    ours, theirs = pairs["branched"]
    assert [l.name for l in ours.layers] == [l.name for l in keras_layer_order(ours)] == \
        [l.name for l in theirs.layers]
    theirs.set_weights(ours.get_weights())  # same order, same shapes
    x = [RNG.normal(size=(2, 4, 2)).astype("float32"), RNG.normal(size=(2, 4, 3)).astype("float32")]
    for a, b in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-5)


def _same_outputs(a, b, x):
    b.set_weights(a.get_weights())
    pa, pb = a.predict(x, verbose=0), b.predict(x, verbose=0)
    for u, v in zip(pa if isinstance(pa, list) else [pa], pb if isinstance(pb, list) else [pb]):
        np.testing.assert_allclose(u, v, atol=1e-6)


@pytest.mark.parametrize("name", ["branched", "encoder_decoder", "stack"])
def test_from_config_and_json_round_trip(pairs, name):
    ours, _ = pairs[name]
    x = [RNG.normal(size=(3,) + tuple(t.shape[1:])).astype("float32") for t in ours.inputs]
    x = x[0] if len(x) == 1 else x
    clone = type(ours).from_config(ours.get_config())
    assert normal(clone.get_config()) == normal(ours.get_config())
    _same_outputs(ours, clone, x)
    again = model_from_json(ours.to_json())
    assert type(again) is type(ours) and normal(again.get_config()) == normal(ours.get_config())
    _same_outputs(ours, again, x)


def test_keras_reads_our_json(pairs):
    ours, _ = pairs["encoder_decoder"]
    k = keras.models.model_from_json(ours.to_json())
    assert [l.name for l in k.layers] == [l.name for l in keras_layer_order(ours)]
    k.set_weights(ours.get_weights())
    x = [RNG.normal(size=(2, 4, 2)).astype("float32"), RNG.normal(size=(2, 5, 1)).astype("float32")]
    np.testing.assert_allclose(k.predict(x, verbose=0), ours.predict(x, verbose=0), atol=1e-5)


def test_json_keeps_compile_settings_as_keras3():
    model = Sequential([lstmkit.Input((3, 1)), lstmkit.layers.LSTM(2), lstmkit.layers.Dense(1)])
    model.compile(lstmkit.optimizers.RMSprop(0.005, momentum=0.5), "mae", metrics=["mse"])
    config = json.loads(model.to_json())
    assert config["compile_config"]["optimizer"]["class_name"] == "RMSprop"
    again = model_from_json(model.to_json())
    assert again.compiled and again.optimizer.momentum == 0.5 and again.optimizer.learning_rate == pytest.approx(0.005)
    assert again.loss == "mae" and again.metrics_names == ["loss", "mse"]


def test_to_yaml_points_to_json():
    with pytest.raises(RuntimeError, match=r"to_yaml\(\)` has been removed.*to_json\(\)"):
        Sequential([lstmkit.layers.Dense(1)]).to_yaml()


def test_keras2_functional_config_forms():
    """Keras 2: class name 'Model', list-style nodes with initial states as extra inputs, batch_input_shape,
    nested per-layer kwargs, output_layers as a list of lists."""
    dense = {"class_name": "Dense", "config": {"name": "d", "units": 1, "activation": "linear"}}
    config = {"class_name": "Model", "config": {
        "name": "old", "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4, 2], "name": "enc_in"},
             "name": "enc_in", "inbound_nodes": []},
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3, 1], "name": "dec_in"},
             "name": "dec_in", "inbound_nodes": []},
            {"class_name": "LSTM", "config": {"name": "enc", "units": 3, "return_state": True, "time_major": False,
                                               "implementation": 2, "recurrent_activation": "hard_sigmoid"},
             "name": "enc", "inbound_nodes": [[["enc_in", 0, 0, {}]]]},
            {"class_name": "LSTM", "config": {"name": "dec", "units": 3, "return_sequences": True},
             "name": "dec", "inbound_nodes": [[["dec_in", 0, 0, {}], ["enc", 0, 1, {}], ["enc", 0, 2, {}]]]},
            {"class_name": "TimeDistributed", "config": {"name": "td", "layer": dense},
             "name": "td", "inbound_nodes": [[["dec", 0, 0, {"training": False}]]]}],
        "input_layers": [["enc_in", 0, 0], ["dec_in", 0, 0]], "output_layers": [["td", 0, 0]]},
        "keras_version": "2.4.0", "backend": "tensorflow"}
    model = model_from_json(json.dumps(config))
    assert isinstance(model, Model) and model.name == "old"
    assert model.get_layer("enc").recurrent_activation is lstmkit.activations.hard_sigmoid_keras2
    dec_node = model.get_layer("dec")._inbound_nodes[0]
    assert [t._node.layer.name for t in dec_node.input_tensors] == ["dec_in", "enc", "enc"]
    assert model.predict([np.zeros((2, 4, 2)), np.zeros((2, 3, 1))], verbose=0).shape == (2, 3, 1)


def test_keras2_sequential_config_forms():
    layers = [{"class_name": "LSTM", "config": {"name": "l", "units": 2, "batch_input_shape": [None, 3, 1],
                                                "dtype": "float32", "recurrent_activation": "hard_sigmoid"}},
              {"class_name": "Dense", "config": {"name": "d", "units": 1}}]
    for config in ({"class_name": "Sequential", "config": layers},  # Keras 2.0/2.1: the list itself
                   {"class_name": "Sequential", "config": {"name": "seq", "layers": layers}}):
        model = model_from_config(config)
        assert model.input_shape == (None, 3, 1)
        assert model.layers[0].recurrent_activation is lstmkit.activations.hard_sigmoid_keras2
    # The same Sequential read as Keras 3 (a version that says so) keeps Keras 3's hard_sigmoid.
    model = model_from_json(json.dumps({**config, "keras_version": "3.3.0"}))
    assert model.layers[0].recurrent_activation is lstmkit.activations.hard_sigmoid


def test_non_model_configs_are_refused():
    with pytest.raises(ValueError, match="'LSTM' layer config, not a model"):
        model_from_json(json.dumps({"class_name": "LSTM", "config": {"units": 2}}))
    with pytest.raises(ValueError, match="not a model config"):
        model_from_json("[1, 2, 3]")
    with pytest.raises(ValueError, match="not valid JSON"):
        model_from_json("{'class_name': ")
    bad = {"class_name": "Functional", "config": {"name": "f", "layers": [
        {"class_name": "Dense", "config": {"name": "d", "units": 1}, "name": "d",
         "inbound_nodes": [[["missing", 0, 0, {}]]]}], "input_layers": [], "output_layers": [["d", 0, 0]]}}
    with pytest.raises(ValueError, match="layer 'missing'"):
        model_from_config(bad)
