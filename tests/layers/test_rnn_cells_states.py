"""`RNN(cell)`: dropout, carried and initial states, a cell on its own, training in compiled epochs."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402
from lstmkit.layers.rnn_base import NotStatefulError  # noqa: E402

RNG = np.random.default_rng(13)
X = RNG.normal(size=(3, 5, 2)).astype("float32")


def test_dropout_in_training_only_and_one_mask_per_sequence():
    rnn = L.RNN(L.SimpleRNNCell(3, dropout=0.5, recurrent_dropout=0.5, seed=1), return_sequences=True)
    rnn(X)
    np.testing.assert_array_equal(np.asarray(rnn(X)), np.asarray(rnn(X, training=False)))
    a, b = np.asarray(rnn(X, training=True)), np.asarray(rnn(X))
    assert not np.allclose(a, b)
    # Input dropout with one mask per sequence: a constant input sequence sees the same dropped inputs.
    x = np.repeat(X[:, :1], 5, axis=1)
    layer = L.RNN(L.SimpleRNNCell(3, dropout=0.5, seed=2, kernel_initializer="ones",
                                  recurrent_initializer="zeros"), return_sequences=True)
    out = np.asarray(layer(x, training=True))
    np.testing.assert_allclose(out[:, 1:], np.repeat(out[:, :1], 4, axis=1), rtol=1e-6)


def test_stateful_rnn_carries_nested_states_and_resets():
    layer = L.RNN([L.LSTMCell(3), L.GRUCell(2)], stateful=True)
    first, second = X[:, :2], X[:, 2:]
    layer(first)
    carried = np.asarray(layer(second))
    whole = L.RNN([L.LSTMCell(3), L.GRUCell(2)])
    whole(X)
    whole.set_weights(layer.get_weights())
    np.testing.assert_allclose(carried, np.asarray(whole(X)), rtol=1e-5, atol=1e-6)
    assert [[np.shape(s) for s in cell] for cell in layer.states] == [[(3, 3), (3, 3)], [(3, 2)]]
    layer.reset_states()
    assert all(not np.any(np.asarray(s)) for s in jax.tree_util.tree_leaves(layer.states))
    np.testing.assert_allclose(np.asarray(layer(second)), np.asarray(whole(second)), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="batch size"):
        layer(X[:2])


def test_reset_states_with_values_and_errors():
    layer = L.RNN(L.LSTMCell(2), stateful=True)
    layer(X)
    h, c = np.ones((3, 2), "float32"), np.full((3, 2), 2.0, "float32")
    layer.reset_states([h, c])
    np.testing.assert_array_equal(np.asarray(layer.states[1]), c)
    with pytest.raises(ValueError, match="expects 2 state"):
        layer.reset_states([h])
    with pytest.raises(ValueError, match=r"shape \(3, 2\)"):
        layer.reset_states([h, np.ones((3, 5))])
    with pytest.raises(NotStatefulError):
        L.RNN(L.LSTMCell(2)).reset_states()
    with pytest.raises(AttributeError):  # Keras raises AttributeError
        L.RNN(L.LSTMCell(2)).reset_states()


def test_initial_state_errors_name_the_expected_and_received():
    layer = L.RNN(L.LSTMCell(2))
    with pytest.raises(ValueError, match="expects 2 state tensor"):
        layer(X, initial_state=[np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"should have shape \(3, 2\).*\(3, 4\)"):
        layer(X, initial_state=[np.zeros((3, 2)), np.zeros((3, 4))])


def test_cell_called_on_its_own_is_one_step_of_the_layer():
    cell = L.LSTMCell(3)
    seq = L.RNN(cell, return_sequences=True, return_state=True)
    out, h, c = seq(X[:, :1])
    h1, (h2, c2) = cell(X[:, 0], states=[np.zeros((3, 3)), np.zeros((3, 3))])
    for a, b in ((h1, out[:, 0]), (h2, h), (c2, c)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)
    gru = L.GRUCell(2)
    y, state = gru(X[:, 0], states=np.zeros((3, 2)))  # a bare array in, a bare array out (Keras)
    assert np.shape(state) == (3, 2) and not isinstance(state, list)


def test_fit_of_rnn_over_lstm_cell_is_fit_of_lstm():
    x = RNG.normal(size=(16, 5, 2)).astype("float32")
    y = x[:, :, :1].sum(axis=1)
    histories, weights = [], None
    for recurrent in (L.RNN(L.LSTMCell(3)), L.LSTM(3)):
        lstmkit.utils.set_random_seed(3)
        model = lstmkit.Sequential([lstmkit.Input((5, 2)), recurrent, L.Dense(1)])
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        model.compile(lstmkit.optimizers.Adam(0.01), "mse")
        histories.append(model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"])
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-6)
    assert histories[0][-1] < histories[0][0]


def test_stateful_rnn_in_a_model_carries_and_resets():
    model = lstmkit.Sequential([lstmkit.Input((2, 2), batch_size=3), L.RNN(L.GRUCell(2), stateful=True)])
    first, second = (np.asarray(model.predict(X[:, :2], batch_size=3, verbose=0)) for _ in range(2))
    assert not np.allclose(first, second)  # the second call starts from the first one's states
    model.reset_states()
    np.testing.assert_allclose(np.asarray(model.predict(X[:, :2], batch_size=3, verbose=0)), first, rtol=1e-6)


def test_get_initial_state_is_keras_lists_and_stock_cells_need_3d_inputs():
    state = L.RNN([L.LSTMCell(3), L.GRUCell(2)]).get_initial_state(4)
    assert isinstance(state, list) and isinstance(state[0], list)
    assert [[np.shape(s) for s in cell] for cell in state] == [[(4, 3), (4, 3)], [(4, 2)]]
    assert not np.any(np.asarray(state[0][1]))
    with pytest.raises(ValueError, match="expected ndim=3"):
        L.RNN(L.LSTMCell(2))(np.zeros((2, 3, 4, 5), "float32"))
