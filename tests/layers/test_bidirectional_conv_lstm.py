"""Bidirectional over ConvLSTM1D / ConvLSTM2D against Keras 3 (JAX backend): merge modes, sequences,
states, gradients, summary, files (a Keras 3 `.keras` file loads; lstmkit's loads in Keras), masks."""

import io
import os
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402

RNG = np.random.default_rng(11)
SHAPE_2D = (2, 3, 5, 5, 2)  # (batch, time, rows, cols, channels)
SHAPE_1D = (2, 3, 6, 2)  # (batch, time, steps, channels)


def _x(shape):
    return RNG.normal(size=shape).astype("float32")


def _pair(rank, merge_mode="concat", input_shape=SHAPE_2D, **kwargs):
    keras_cls = {1: keras.layers.ConvLSTM1D, 2: keras.layers.ConvLSTM2D}[rank]
    ours_cls = {1: L.ConvLSTM1D, 2: L.ConvLSTM2D}[rank]
    k = keras.layers.Bidirectional(keras_cls(2, 3, **kwargs), merge_mode=merge_mode)
    k.build(input_shape)
    ours = L.Bidirectional(ours_cls(2, 3, **kwargs), merge_mode=merge_mode)
    ours.build(input_shape)
    ours.set_weights(k.get_weights())
    return k, ours


def _weight_paths(path):
    """The datasets of a `.keras` file's weights, as the file names them."""
    with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as f:
        names = []
        f.visit(names.append)
    return sorted(n for n in names if "/vars/" in n)


def _as_list(y):
    return [np.asarray(a) for a in y] if isinstance(y, (list, tuple)) else [np.asarray(y)]


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_conv_lstm2d_outputs_match_keras(merge_mode, return_sequences):
    k, ours = _pair(2, merge_mode, return_sequences=return_sequences, padding="same")
    x = _x(SHAPE_2D)
    expected, got = _as_list(k(x)), _as_list(ours(x))
    assert [a.shape for a in got] == [a.shape for a in expected]
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, atol=1e-5)
    if return_sequences and merge_mode is None:  # the backward outputs are put back in input order
        assert not np.allclose(got[1], got[1][:, ::-1])


def test_conv_lstm1d_states_and_shapes_match_keras():
    k, ours = _pair(1, "concat", input_shape=SHAPE_1D, return_sequences=True, return_state=True)
    x = _x(SHAPE_1D)
    expected, got = _as_list(k(x)), _as_list(ours(x))
    assert len(got) == 5 and got[0].shape == (2, 3, 4, 4)
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, atol=1e-5)
    inp = lstmkit.Input(SHAPE_1D[1:])
    symbolic = L.Bidirectional(L.ConvLSTM1D(2, 3, return_sequences=True, return_state=True))(inp)
    assert [tuple(t.shape) for t in symbolic] == [(None,) + a.shape[1:] for a in expected]


def test_gradients_match_keras():
    k, ours = _pair(1, "sum", input_shape=SHAPE_1D, return_sequences=True)
    x = _x(SHAPE_1D)
    k_values = [v.value for v in k.trainable_variables]
    k_seeds = [v.value for v in k.non_trainable_variables]  # its SeedGenerators' states

    def keras_loss(values):
        y, _ = k.stateless_call(values, k_seeds, x)
        return jnp.sum(y ** 2)

    expected = jax.grad(keras_loss)(k_values)
    got = jax.grad(lambda p: jnp.sum(ours.stateless_call(p, [], x)[0] ** 2))(
        [v.value for v in ours.trainable_variables])
    for e, g in zip(expected, got):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), atol=1e-4)


def test_masked_final_output_is_the_truncated_sequence():
    # Keras 3 (JAX) cannot run a masked ConvLSTM ((batch, 1) masks against 4-D states); lstmkit holds the
    # states at masked steps as for any RNN, so a masked tail equals the sequence cut before it.
    _, ours = _pair(2, "concat")
    x = _x(SHAPE_2D)
    mask = np.array([[True, True, False], [True, True, True]])
    masked = np.asarray(ours(x, mask=mask))
    np.testing.assert_allclose(masked[:1], np.asarray(ours(x[:1, :2])), atol=1e-5)
    np.testing.assert_allclose(masked[1:], np.asarray(ours(x[1:])), atol=1e-5)


def test_summary_param_count_matches_keras():
    inp_k, inp = keras.Input(SHAPE_2D[1:]), lstmkit.Input(SHAPE_2D[1:])
    km = keras.Model(inp_k, keras.layers.Bidirectional(keras.layers.ConvLSTM2D(2, 3))(inp_k))
    model = lstmkit.Model(inp, L.Bidirectional(L.ConvLSTM2D(2, 3))(inp))
    assert model.count_params() == km.count_params() == 2 * 4 * (9 * (2 + 2) * 2 + 2)


def test_keras_file_loads_and_lstmkit_file_loads_in_keras(tmp_path):
    inp = keras.Input(SHAPE_1D[1:])
    km = keras.Model(inp, keras.layers.Bidirectional(keras.layers.ConvLSTM1D(2, 3, return_sequences=True),
                                                     merge_mode="ave")(inp))
    x = _x(SHAPE_1D)
    km.save(tmp_path / "keras.keras")
    ours = lstmkit.saving.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(ours.predict(x, verbose=0), km.predict(x, verbose=0), atol=1e-5)
    ours.save(tmp_path / "ours.keras")
    written = _weight_paths(tmp_path / "ours.keras")
    assert written == _weight_paths(tmp_path / "keras.keras")
    assert "layers/bidirectional/forward_layer/cell/vars/0" in written
    assert "layers/bidirectional/backward_layer/cell/vars/2" in written
    again = keras.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), km.predict(x, verbose=0), atol=1e-5)


def test_h5_round_trip(tmp_path):
    inp = lstmkit.Input(SHAPE_1D[1:])
    model = lstmkit.Model(inp, L.Bidirectional(L.ConvLSTM1D(2, 3), merge_mode="mul")(inp))
    x = _x(SHAPE_1D)
    model.save(tmp_path / "m.h5")
    again = lstmkit.saving.load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_wrong_rank_is_refused_naming_the_wrapper():
    bi = L.Bidirectional(L.ConvLSTM2D(2, 3), name="bi")
    with pytest.raises(ValueError, match='layer "bi".*expected ndim=5, found ndim=4'):
        bi(lstmkit.Input((3, 5, 2)))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=5"):
        L.Bidirectional(L.LSTM(2))(lstmkit.Input(SHAPE_2D[1:]))


def test_states_feed_later_layers_in_a_graph_as_in_keras():
    # A graph pairs each output tensor with a mask: ConvLSTM's two states (state_size -1) are counted.
    def build(lib):
        inp = lib.Input(SHAPE_1D[1:])
        out, h, c = lib.layers.ConvLSTM1D(2, 3, return_state=True)(inp)
        merged, *states = lib.layers.Bidirectional(lib.layers.ConvLSTM1D(2, 3, return_state=True,
                                                                         return_sequences=True))(inp)
        return lib.Model(inp, lib.layers.Concatenate()([lib.layers.Add()([out, c]), states[3], merged[:, -1]]))

    km, ours = build(keras), build(lstmkit)
    ours.set_weights(km.get_weights())
    x = _x(SHAPE_1D)
    np.testing.assert_allclose(ours.predict(x, verbose=0), km.predict(x, verbose=0), atol=1e-5)
