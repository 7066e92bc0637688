"""`LSTM(...).cell`, `GRU(...).cell`, `SimpleRNN(...).cell`: Keras 3's stock cell of a recurrent layer,
holding the layer's own weights, and adding nothing to the layer's weights, config or files."""

import io
import os
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402

RNG = np.random.default_rng(7)
SHAPE = (2, 4, 5)
CASES = {
    "LSTM": (L.LSTM, keras.layers.LSTM, {}),
    "GRU": (L.GRU, keras.layers.GRU, {}),
    "GRU-reset-before": (L.GRU, keras.layers.GRU, {"reset_after": False}),
    "SimpleRNN": (L.SimpleRNN, keras.layers.SimpleRNN, {"activation": "relu"}),
}


def _pair(case):
    ours_cls, keras_cls, kwargs = CASES[case]
    k, ours = keras_cls(3, **kwargs), ours_cls(3, **kwargs)
    k.build(SHAPE)
    ours.build(SHAPE)
    ours.set_weights(k.get_weights())
    return k, ours


@pytest.mark.parametrize("case", sorted(CASES))
def test_cell_is_keras_cell_with_the_layers_own_weights(case):
    k, ours = _pair(case)
    cell = ours.cell
    assert type(cell).__name__ == type(k.cell).__name__ and cell.name == k.cell.name
    assert cell.state_size == k.cell.state_size and cell.output_size == k.cell.output_size
    assert cell.units == 3 and cell.activation is ours.activation and cell.built
    assert cell.kernel is ours.kernel and cell.recurrent_kernel is ours.recurrent_kernel and cell.bias is ours.bias
    assert cell.weights == ours.weights and cell is ours.cell
    for name in ("kernel", "recurrent_kernel", "bias"):
        np.testing.assert_array_equal(np.asarray(getattr(cell, name).value),
                                      np.asarray(getattr(k.cell, name).value))
    if hasattr(k.cell, "reset_after"):
        assert cell.reset_after == k.cell.reset_after


@pytest.mark.parametrize("case", sorted(CASES))
def test_cell_step_matches_keras_cell(case):
    k, ours = _pair(case)
    x = RNG.normal(size=(2, 5)).astype("float32")
    states = [RNG.normal(size=(2, 3)).astype("float32") for _ in np.atleast_1d(k.cell.state_size)]
    expected_out, expected_states = k.cell(x, states)
    out, new_states = ours.cell(x, states)
    np.testing.assert_allclose(np.asarray(out), np.asarray(expected_out), atol=1e-5)
    for e, g in zip(expected_states, new_states):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), atol=1e-5)


def test_cell_follows_the_layer():
    layer = L.LSTM(3)
    cell = layer.cell
    assert not cell.built and cell.state_size == [3, 3]
    with pytest.raises(AttributeError):
        cell.kernel  # noqa: B018  (as Keras: no weights before the layer is built)
    layer.build(SHAPE)
    assert layer.cell is cell and cell.kernel is layer.kernel
    layer.set_weights([np.ones(w.shape, np.float32) for w in layer.get_weights()])
    np.testing.assert_array_equal(np.asarray(cell.kernel.value), np.ones((5, 12)))


def _weight_paths(path):
    with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as f:
        names = []
        f.visit(names.append)
    return sorted(n for n in names if "/vars/" in n)


def test_reading_the_cell_changes_no_weights_config_or_files(tmp_path):
    def model():
        inp = lstmkit.Input(SHAPE[1:], name="x")
        hidden = L.LSTM(3, name="lstm", return_sequences=True)(inp)
        return lstmkit.Model(inp, L.Bidirectional(L.GRU(3, name="gru"), name="bi")(hidden), name="m")

    plain, read = model(), model()
    for layer in (read.get_layer("lstm"), read.get_layer("bi").forward_layer, read.get_layer("bi").backward_layer):
        assert layer.cell.kernel is layer.kernel
    assert read.get_config() == plain.get_config()
    assert [w.shape for w in read.weights] == [w.shape for w in plain.weights]
    assert read.count_params() == plain.count_params()
    read.save(tmp_path / "read.keras")
    plain.save(tmp_path / "plain.keras")
    assert _weight_paths(tmp_path / "read.keras") == _weight_paths(tmp_path / "plain.keras")
    again = keras.saving.load_model(tmp_path / "read.keras")
    x = RNG.normal(size=SHAPE).astype("float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), read.predict(x, verbose=0), atol=1e-5)
