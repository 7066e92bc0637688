"""Model files with `RNN(cell)` layers, both ways between Keras 3 and lstmkit: `.keras` and `.weights.h5`
(Keras's paths `layers/rnn/cell/vars`, `layers/rnn_1/cell/cells/gru_cell/vars`, ...)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402

from lstmkit import ops as lops  # noqa: E402


def minimal_cell_class(base, ops):
    """The Keras docs' MinimalRNNCell, on `base` / `ops` (Keras's or lstmkit's)."""

    class MinimalRNNCell(base):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                    name="recurrent_kernel")

        def call(self, inputs, states):
            output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
            return output, [output]

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return MinimalRNNCell


Minimal, KMinimal = minimal_cell_class(L.Layer, lops), minimal_cell_class(keras.layers.Layer, keras.ops)

RNG = np.random.default_rng(8)
X = RNG.normal(size=(2, 3, 2)).astype("float32")


def _model(m, Input, Model):
    inp = Input((3, 2))
    h = m.RNN(m.LSTMCell(4), return_sequences=True)(inp)
    h = m.RNN([m.GRUCell(3), m.SimpleRNNCell(2)], return_sequences=True, go_backwards=True)(h)
    h = m.RNN(m.StackedRNNCells([m.LSTMCell(2), m.GRUCell(2, reset_after=False)]))(h)
    return Model(inp, m.Dense(1)(h))


def keras_model():
    return _model(keras.layers, keras.Input, keras.Model)


def our_model():
    return _model(L, lstmkit.Input, lstmkit.Model)


def _randomize(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-0.5, 0.5, size=np.shape(w)).astype("float32") for w in model.get_weights()])


def _h5_layout(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, tuple(obj.shape)) if isinstance(obj, h5py.Dataset)
                     else None)
    return out


def test_keras_file_loads_in_lstmkit_and_predicts_the_same(tmp_path):
    km = keras_model()
    _randomize(km, 1)
    km.save(tmp_path / "k.keras")
    model = lstmkit.models.load_model(str(tmp_path / "k.keras"))
    assert [type(l).__name__ for l in model.layers[1:4]] == ["RNN", "RNN", "RNN"]
    assert type(model.layers[3].cell).__name__ == "StackedRNNCells"
    assert model.layers[2].go_backwards and not model.layers[3].cell.cells[1].reset_after
    np.testing.assert_allclose(model.predict(X, verbose=0), km.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_lstmkit_file_loads_in_keras_and_predicts_the_same(tmp_path):
    model = our_model()
    _randomize(model, 2)
    model.save(str(tmp_path / "ours.keras"))
    km = keras.models.load_model(tmp_path / "ours.keras")
    assert [type(l).__name__ for l in km.layers[1:4]] == ["RNN", "RNN", "RNN"]
    assert [type(c).__name__ for c in km.layers[2].cell.cells] == ["GRUCell", "SimpleRNNCell"]
    np.testing.assert_allclose(km.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_weights_files_have_keras_layout_and_load_both_ways(tmp_path):
    km, model = keras_model(), our_model()
    _randomize(km, 3)
    _randomize(model, 4)
    km.save_weights(tmp_path / "k.weights.h5")
    model.save_weights(str(tmp_path / "ours.weights.h5"))
    layout = _h5_layout(tmp_path / "k.weights.h5")
    assert layout == _h5_layout(tmp_path / "ours.weights.h5")
    assert layout["layers/rnn/cell/vars/0"] == (2, 16)
    assert layout["layers/rnn_1/cell/cells/gru_cell/vars/2"] == (2, 9)
    assert layout["layers/rnn_2/cell/cells/gru_cell/vars/2"] == (6,)  # reset_after=False: one bias row
    ours_before = model.predict(X, verbose=0)
    model.load_weights(str(tmp_path / "k.weights.h5"))
    np.testing.assert_allclose(model.predict(X, verbose=0), km.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    km.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(km.predict(X, verbose=0), ours_before, rtol=1e-5, atol=1e-6)


def test_user_cell_files_load_both_ways_with_custom_objects(tmp_path):
    inp = keras.Input((3, 2))
    km = keras.Model(inp, keras.layers.RNN(KMinimal(3), return_sequences=True)(inp))
    _randomize(km, 5)
    km.save(tmp_path / "k.keras")
    with pytest.raises(ValueError, match="MinimalRNNCell"):
        lstmkit.models.load_model(str(tmp_path / "k.keras"))
    model = lstmkit.models.load_model(str(tmp_path / "k.keras"), custom_objects={"MinimalRNNCell": Minimal})
    assert isinstance(model.layers[1].cell, Minimal)
    np.testing.assert_allclose(model.predict(X, verbose=0), km.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    _randomize(model, 6)
    model.save(str(tmp_path / "ours.keras"))
    back = keras.models.load_model(tmp_path / "ours.keras", custom_objects={"MinimalRNNCell": KMinimal})
    np.testing.assert_allclose(back.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_bidirectional_rnn_files_load_both_ways(tmp_path):
    inp = keras.Input((3, 2))
    km = keras.Model(inp, keras.layers.Bidirectional(keras.layers.RNN([keras.layers.GRUCell(2),
                                                                       keras.layers.LSTMCell(2)]))(inp))
    _randomize(km, 7)
    km.save(tmp_path / "k.keras")
    model = lstmkit.models.load_model(str(tmp_path / "k.keras"))
    np.testing.assert_allclose(model.predict(X, verbose=0), km.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    _randomize(model, 8)
    model.save(str(tmp_path / "ours.keras"))
    back = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(back.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_encoder_decoder_with_cells_and_initial_state_files_both_ways(tmp_path):
    a, b = RNG.normal(size=(2, 4, 2)).astype("float32"), RNG.normal(size=(2, 3, 1)).astype("float32")

    def build(m, Input, Model):
        enc = Input((4, 2))
        _, h, c = m.RNN(m.LSTMCell(3), return_state=True)(enc)
        dec = Input((3, 1))
        seq = m.RNN(m.LSTMCell(3), return_sequences=True)(dec, initial_state=[h, c])
        return Model([enc, dec], m.Dense(1)(seq))

    ours = build(L, lstmkit.Input, lstmkit.Model)
    _randomize(ours, 9)
    ours.save(str(tmp_path / "ours.keras"))
    k = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(k.predict([a, b], verbose=0), ours.predict([a, b], verbose=0), rtol=1e-5, atol=1e-6)
    km = build(keras.layers, keras.Input, keras.Model)
    _randomize(km, 10)
    km.save(tmp_path / "k.keras")
    back = lstmkit.models.load_model(str(tmp_path / "k.keras"))
    np.testing.assert_allclose(back.predict([a, b], verbose=0), km.predict([a, b], verbose=0), rtol=1e-5, atol=1e-6)


def test_legacy_h5_files_both_ways(tmp_path):
    km, model = keras_model(), our_model()
    _randomize(km, 11)
    _randomize(model, 12)
    km.save(tmp_path / "k.h5")
    loaded = lstmkit.models.load_model(str(tmp_path / "k.h5"))
    np.testing.assert_allclose(loaded.predict(X, verbose=0), km.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    model.save(str(tmp_path / "ours.h5"))
    stack = model.layers[2]
    with h5py.File(tmp_path / "ours.h5", "r") as f:
        stored = f[f"model_weights/{stack.name}"].attrs["weight_names"]
        names = [n.decode() if isinstance(n, bytes) else n for n in stored]
    # Keras's legacy names: layer / stack / cell / weight
    assert names[0].startswith(f"{stack.name}/{stack.cell.name}/{stack.cell.cells[0].name}/kernel")
    back = keras.models.load_model(tmp_path / "ours.h5")
    np.testing.assert_allclose(back.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
