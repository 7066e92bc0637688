"""Sequential models: building, shapes, summary, weights, against Keras 3."""

import keras
import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit.models import Model, Sequential


def test_input_shape_on_first_layer_builds_immediately():
    m = Sequential([L.Dense(4, input_shape=(3,)), L.Dense(1)])
    assert m.built and m.output_shape == (None, 1)
    assert [w.shape for w in m.weights] == [(3, 4), (4,), (4, 1), (1,)]
    assert m.count_params() == 3 * 4 + 4 + 4 + 1


def test_add_and_pop():
    m = Sequential()
    m.add(L.Dense(4, input_shape=(3,)))
    m.add(L.Dense(2))
    assert m.output_shape == (None, 2)
    popped = m.pop()
    assert isinstance(popped, L.Dense) and m.output_shape == (None, 4)
    assert len(m.layers) == 1


def test_input_tensor_as_first_element():
    m = Sequential([lstmkit.Input((3,)), L.Dense(2)])
    assert m.output_shape == (None, 2)
    assert len(m.layers) == 1  # Keras: the InputLayer is not listed


def test_built_on_first_data_when_no_input_shape():
    m = Sequential([L.Dense(2), L.Dense(1)])
    assert not m.built or not m._graph_ready
    y = m.predict(np.ones((5, 3), np.float32), verbose=0)
    assert y.shape == (5, 1)
    assert m.layers[0].get_weights()[0].shape == (3, 2)


def test_duplicate_names_rejected():
    m = Sequential([L.Dense(2, name="d", input_shape=(3,))])
    with pytest.raises(ValueError, match="unique names"):
        m.add(L.Dense(1, name="d"))


def test_add_rejects_non_layer():
    with pytest.raises(TypeError, match="expects a Layer instance"):
        Sequential().add("dense")


def test_summary_matches_keras_layout(capsys):
    m = Sequential([L.Dense(5, input_shape=(3,), name="dense_a"), L.Dense(1, name="dense_b")], name="seq")
    m.summary()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == 'Model: "seq"'
    assert out[2] == "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃"
    assert out[4] == "│ dense_a (Dense)                 │ (None, 5)              │            20 │"
    assert out[-3] == " Total params: 26 (104.00 B)"
    assert out[-2] == " Trainable params: 26 (104.00 B)"
    assert out[-1] == " Non-trainable params: 0 (0.00 B)"


def test_get_set_weights_roundtrip_and_errors():
    m = Sequential([L.Dense(2, input_shape=(3,))])
    w = [np.arange(6, dtype=np.float32).reshape(3, 2), np.array([1.0, -1.0], np.float32)]
    m.set_weights(w)
    np.testing.assert_array_equal(m.get_weights()[0], w[0])
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*\(2, 3\)"):
        m.set_weights([w[0].T, w[1]])


def test_dense_predict_matches_keras():
    rng = np.random.default_rng(0)
    km = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(2)])
    m = Sequential([L.Dense(3, activation="tanh", input_shape=(4,)), L.Dense(2)])
    m.set_weights(km.get_weights())
    x = rng.normal(size=(7, 4)).astype(np.float32)
    np.testing.assert_allclose(m.predict(x, verbose=0), km.predict(x, verbose=0), atol=1e-6)


def test_trainable_false_freezes_weights():
    m = Sequential([L.Dense(2, input_shape=(3,)), L.Dense(1)])
    m.layers[0].trainable = False
    assert len(m.trainable_weights) == 2 and len(m.non_trainable_weights) == 2
    m.compile("sgd", "mse")
    before = m.layers[0].get_weights()
    m.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, verbose=0)
    for a, b in zip(before, m.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_functional_is_a_model_with_input_layers():
    i = lstmkit.Input((3,))
    o = L.Dense(2)(i)
    m = Model(i, o)
    assert isinstance(m.layers[0], L.InputLayer)
    assert m.get_layer(index=1) is o._node.layer
