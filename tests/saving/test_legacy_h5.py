"""The legacy .h5 writer: Keras 3's flavour by default, Keras 2's when the model computes with Keras 2 meanings."""

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

import lstmkit
from lstmkit import activations
from lstmkit.models import Sequential, load_model

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _version(path):
    with h5py.File(path, "r") as f:
        value = f.attrs["keras_version"]
    return value.decode() if isinstance(value, bytes) else value


def _attr_json(path, name):
    with h5py.File(path, "r") as f:
        return json.loads(f.attrs[name])


def _comparable(config):
    """A model config without what differs between Keras 2 releases (and between nested forms)."""
    def strip(d):
        if isinstance(d, dict):
            return {k: strip(v) for k, v in d.items() if k not in ("module", "registered_name", "build_config")
                    and not (k == "activity_regularizer" and v is None)}
        if isinstance(d, list):
            return [strip(v) for v in d]
        return d
    return strip(config)


def test_keras2_semantics_are_written_as_keras2_writes_them(tmp_path):
    """A model read from a Keras 2 file with hard_sigmoid saves back to .h5 as tf.keras 2 wrote it."""
    data = np.load(FIXTURES / "keras2" / "encoder_decoder.npz")
    x = [data["x_0"], data["x_1"]]
    model = load_model(FIXTURES / "keras2" / "encoder_decoder.h5")
    for name in ("encoder", "decoder"):
        model.get_layer(name).recurrent_activation = activations.hard_sigmoid_keras2
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / "k2.h5")
    model.save(path)
    assert _version(path).startswith("2.")
    ours = _attr_json(path, "model_config")
    theirs = _attr_json(FIXTURES / "keras2" / "encoder_decoder.h5", "model_config")  # written by tf_keras
    for layer in theirs["config"]["layers"]:
        if layer["class_name"] == "LSTM":
            layer["config"]["recurrent_activation"] = "hard_sigmoid"
    assert _comparable(ours) == _comparable(theirs)
    again = load_model(path)
    assert again.get_layer("decoder").recurrent_activation is activations.hard_sigmoid_keras2
    np.testing.assert_allclose(again.predict(x, verbose=0), expected, atol=1e-6)


def test_keras3_semantics_are_written_as_keras3(tmp_path):
    model = Sequential([lstmkit.Input((3, 1)), lstmkit.layers.LSTM(2, recurrent_activation="hard_sigmoid")])
    model.save(str(tmp_path / "k3.h5"))
    assert _version(tmp_path / "k3.h5").startswith("3.")
    assert load_model(tmp_path / "k3.h5").layers[0].recurrent_activation is activations.hard_sigmoid


def test_mixing_both_hard_sigmoids_cannot_be_a_keras2_file(tmp_path):
    model = Sequential([lstmkit.Input((3, 1)), lstmkit.layers.LSTM(2, recurrent_activation="hard_sigmoid",
                                                                   return_sequences=True),
                        lstmkit.layers.LSTM(2, recurrent_activation=activations.hard_sigmoid_keras2)])
    with pytest.raises(ValueError, match="save this model as '.keras'"):
        model.save(str(tmp_path / "mixed.h5"))
    assert not (tmp_path / "mixed.h5").exists()
    model.save(str(tmp_path / "mixed.keras"))  # the .keras format names each function apart
    layers = load_model(tmp_path / "mixed.keras").layers
    assert layers[0].recurrent_activation is activations.hard_sigmoid
    assert layers[1].recurrent_activation is activations.hard_sigmoid_keras2


def test_keras2_optimizer_weights_layout(tmp_path):
    """Optimizer weights in a Keras-2-flavour file follow tf.keras 2.11+: the step count, then the slots."""
    model = load_model(FIXTURES / "keras2" / "lstm.h5")
    model.layers[0].recurrent_activation = activations.hard_sigmoid_keras2
    model.save(str(tmp_path / "k2.h5"))

    def shapes(path):
        with h5py.File(path, "r") as f:
            group = f["optimizer_weights"]
            return [group[n].shape for n in group.attrs["weight_names"]]

    assert shapes(tmp_path / "k2.h5") == shapes(FIXTURES / "keras2" / "lstm.h5")
    assert load_model(tmp_path / "k2.h5").optimizer.iterations == 2
