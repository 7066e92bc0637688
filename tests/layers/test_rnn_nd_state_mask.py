"""RNN(cell) with a mask when the cell's states are 3-D or 4-D (a user's cell, ConvLSTMCell): the
(batch, 1) step mask is shaped to each state's rank, so a masked step holds every state (Keras's rule).

Keras 3's own scan path (JAX backend) broadcasts the (batch, 1) mask against the states' last axes
and gets such states wrong (or fails); its unrolled path expands the mask per state, so the numbers
here are checked against Keras with `unroll=True`, and against the unmasked run of the truncated
sequences."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402
from lstmkit.layers.conv_lstm import ConvLSTMCell  # noqa: E402

RNG = np.random.default_rng(3)
X = RNG.normal(size=(3, 5, 2, 4)).astype("float32")  # (batch, time, 2, features): 3-D states (batch, 2, 3)
MASK = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1], [1, 1, 1, 1, 1]], bool)


def _cell_class(module):
    """The same Keras-style cell for Keras and lstmkit: states h, c of shape (batch, 2, 3)."""
    ops = module.ops

    class GridCell(module.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.state_size = [(2, 3), (2, 3)]

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 3), name="w")

        def get_initial_state(self, batch_size=None):
            return [ops.zeros((batch_size, 2, 3)), ops.ones((batch_size, 2, 3))]

        def call(self, inputs, states):
            h, c = states
            c = 0.9 * c + ops.einsum("bjf,fk->bjk", inputs, self.w)
            h = ops.tanh(c + 0.5 * h)
            return h, [h, c]

    return GridCell


def _pair(**kwargs):
    k = keras.layers.RNN(_cell_class(keras)(), unroll=True, **kwargs)
    k.build(X.shape)
    ours = L.RNN(_cell_class(lstmkit)(), **kwargs)
    ours.build(X.shape)
    ours.set_weights(k.get_weights())
    return k, ours


def _as_list(y):
    return [np.asarray(a) for a in y] if isinstance(y, (list, tuple)) else [np.asarray(y)]


@pytest.mark.parametrize("kwargs", [dict(return_sequences=True, return_state=True),
                                    dict(return_sequences=True, go_backwards=True, return_state=True),
                                    dict(return_state=True)], ids=["sequences", "backwards", "last"])
def test_masked_3d_states_match_keras_unrolled(kwargs):
    k, ours = _pair(**kwargs)
    expected = _as_list(k(X, mask=MASK))
    for unroll in (False, True):
        ours.unroll = unroll
        got = _as_list(ours(X, mask=MASK))
        assert [g.shape for g in got] == [e.shape for e in expected]
        for e, g in zip(expected, got):
            np.testing.assert_allclose(g, e, atol=1e-5)


def test_masked_3d_states_equal_the_truncated_sequence():
    _, ours = _pair(return_state=True)
    out, h, c = _as_list(ours(X, mask=MASK))
    cut_out, cut_h, cut_c = _as_list(ours(X[:1, :3]))  # sample 0: its last two steps are masked
    for got, cut in ((out, cut_out), (h, cut_h), (c, cut_c)):
        np.testing.assert_allclose(got[:1], cut, atol=1e-6)
    full = _as_list(ours(X[2:]))  # sample 2: nothing masked
    np.testing.assert_allclose(out[2:], full[0], atol=1e-6)


@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_conv_lstm_cell_masked_equals_truncated(zero_output_for_mask):
    x = RNG.normal(size=(2, 4, 4, 4, 1)).astype("float32")  # 4-D states (batch, 4, 4, filters)
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    rnn = L.RNN(ConvLSTMCell(rank=2, filters=2, kernel_size=3, padding="same"), return_sequences=True,
                return_state=True, zero_output_for_mask=zero_output_for_mask)
    seq, h, c = _as_list(rnn(x, mask=mask))
    cut_seq, cut_h, cut_c = _as_list(rnn(x[:1, :2]))
    np.testing.assert_allclose(seq[:1, :2], cut_seq, atol=1e-5)
    np.testing.assert_allclose(h[:1], cut_h, atol=1e-5)
    np.testing.assert_allclose(c[:1], cut_c, atol=1e-5)
    masked_fill = np.zeros_like(cut_h) if zero_output_for_mask else cut_h  # a masked step's output
    np.testing.assert_allclose(seq[:1, 2:], np.stack([masked_fill] * 2, axis=1), atol=1e-5)
    np.testing.assert_allclose(seq[1:], _as_list(rnn(x[1:]))[0], atol=1e-5)


def test_stacked_cells_states_feed_later_layers_in_a_graph():
    # One mask per flat output tensor: a stack's nested states ([h, c] of the LSTMCell, h of the GRUCell).
    def build(lib):
        inp = lib.Input((5, 4))
        out, (h1, c1), h2 = lib.layers.RNN([lib.layers.LSTMCell(2), lib.layers.GRUCell(3)], return_state=True)(inp)
        return lib.Model(inp, lib.layers.Concatenate()([out, c1, h2]))

    km, ours = build(keras), build(lstmkit)
    ours.set_weights(km.get_weights())
    x = RNG.normal(size=(3, 5, 4)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), km.predict(x, verbose=0), atol=1e-5)
