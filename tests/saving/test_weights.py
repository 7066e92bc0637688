"""save_weights / load_weights: Keras 3's '.weights.h5' layout and the legacy '.h5' layout."""

from pathlib import Path

import h5py
import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit.models import Sequential

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
X = np.random.default_rng(9).normal(size=(3, 5, 2)).astype("float32")


def _model(dense=1, name="bi"):
    return Sequential([lstmkit.Input((5, 2)), L.Bidirectional(L.LSTM(4, return_sequences=True), name=name),
                       L.TimeDistributed(L.Dense(dense), name="td")])


@pytest.fixture(scope="module")
def source():
    lstmkit.utils.set_random_seed(3)
    return _model()


@pytest.mark.parametrize("filename", ["w.weights.h5", "w.h5"])
def test_round_trip(source, tmp_path, filename):
    source.save_weights(str(tmp_path / filename))
    target = _model()
    target.load_weights(str(tmp_path / filename))
    for a, b in zip(target.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_file_layouts_are_keras_layouts(source, tmp_path):
    source.save_weights(str(tmp_path / "w.weights.h5"))
    with h5py.File(tmp_path / "w.weights.h5", "r") as f:
        assert f["layers/bidirectional/forward_layer/cell/vars/0"].shape == (2, 16)
        assert f["layers/bidirectional/vars"].attrs["name"] == "bi"
        assert f["layers/bidirectional/backward_layer/cell/vars/2"].shape == (16,)
        assert f["layers/time_distributed/layer/vars/0"].shape == (8, 1)
    source.save_weights(str(tmp_path / "w.h5"))
    with h5py.File(tmp_path / "w.h5", "r") as f:
        names = [n.decode() for n in f.attrs["layer_names"]]
        assert names == [l.name for l in source.layers]
        group = f[names[0]]
        weight_names = [n.decode() for n in group.attrs["weight_names"]]
        assert weight_names[0] == f"bi/{source.layers[0].forward_layer.name}/lstm_cell/kernel:0"
        assert group[weight_names[0]].shape == (2, 16)


def test_weights_from_keras_files():
    """Keras 3's archive and Keras 2's legacy file give the weights Keras saved."""
    from lstmkit.models import load_model

    reference = load_model(FIXTURES / "keras3" / "stacked_lstm.keras")
    model = Sequential([lstmkit.Input((5, 2)), L.LSTM(4, return_sequences=True), L.LSTM(3), L.Dense(1)])
    model.load_weights(FIXTURES / "keras3" / "stacked_lstm.keras")
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.load_weights(FIXTURES / "keras2" / "stacked_lstm.h5")  # a whole-model .h5: its model_weights
    reference = load_model(FIXTURES / "keras2" / "stacked_lstm.h5")
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_by_name_and_mismatches(source, tmp_path):
    source.save_weights(str(tmp_path / "w.h5"))
    source.save_weights(str(tmp_path / "w.weights.h5"))
    other = _model(dense=2)
    with pytest.raises(ValueError, match=r"w\.h5.*weights do not fit.*shape"):
        other.load_weights(str(tmp_path / "w.h5"))
    with pytest.raises(ValueError, match=r"w\.weights\.h5.*weights do not fit.*shape"):
        other.load_weights(str(tmp_path / "w.weights.h5"))
    before = other.get_weights()
    with pytest.warns(UserWarning, match="skipped loading weights"):
        other.load_weights(str(tmp_path / "w.h5"), skip_mismatch=True)
    for a, b in zip(other.get_weights()[:6], source.get_weights()[:6]):  # the LSTMs fit: loaded
        np.testing.assert_array_equal(a, b)
    for a, b in zip(other.get_weights()[6:], before[6:]):  # the Dense does not: left as it was
        np.testing.assert_array_equal(a, b)
    renamed = _model(name="other_name")
    untouched = renamed.get_weights()[0]
    renamed.load_weights(str(tmp_path / "w.h5"), by_name=True)  # only 'td' matches by name
    np.testing.assert_array_equal(renamed.get_weights()[6], source.get_weights()[6])
    np.testing.assert_array_equal(renamed.get_weights()[0], untouched)
    with pytest.raises(ValueError, match="by_name"):
        renamed.load_weights(str(tmp_path / "w.weights.h5"), by_name=True)
    with pytest.raises(ValueError, match="layer count mismatch"):
        Sequential([lstmkit.Input((5, 2)), L.LSTM(2)]).load_weights(str(tmp_path / "w.h5"))
