"""Core layers against Keras 3: outputs, shapes, masks, parameter counts, errors."""

import jax
import keras
import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit.layers.base import CallContext
from lstmkit.models import Model, Sequential

RNG = np.random.default_rng(0)


def _copy_and_compare(ours, theirs, x, atol=1e-6):
    km = keras.Sequential([keras.Input(x.shape[1:]), theirs])
    m = Sequential([lstmkit.Input(x.shape[1:]), ours])
    assert m.count_params() == km.count_params()
    m.set_weights(km.get_weights())
    np.testing.assert_allclose(m.predict(x, verbose=0), km.predict(x, verbose=0), atol=atol)
    assert m.output_shape == km.output_shape


@pytest.mark.parametrize("activation", [None, "relu", "tanh", "sigmoid", "softmax"])
def test_dense_on_2d_and_3d(activation):
    _copy_and_compare(L.Dense(4, activation=activation), keras.layers.Dense(4, activation=activation),
                      RNG.normal(size=(5, 3)).astype("float32"))
    _copy_and_compare(L.Dense(4, activation=activation, use_bias=False),
                      keras.layers.Dense(4, activation=activation, use_bias=False),
                      RNG.normal(size=(5, 6, 3)).astype("float32"))


def test_activation_flatten_repeat_reshape():
    x = RNG.normal(size=(4, 3, 2)).astype("float32")
    _copy_and_compare(L.Activation("tanh"), keras.layers.Activation("tanh"), x)
    _copy_and_compare(L.Flatten(), keras.layers.Flatten(), x)
    _copy_and_compare(L.Reshape((2, 3)), keras.layers.Reshape((2, 3)), x)
    _copy_and_compare(L.RepeatVector(3), keras.layers.RepeatVector(3), x[:, 0, :])


def test_time_distributed_dense_matches_keras_and_counts():
    x = RNG.normal(size=(4, 5, 3)).astype("float32")
    _copy_and_compare(L.TimeDistributed(L.Dense(2)), keras.layers.TimeDistributed(keras.layers.Dense(2)), x)
    td = L.TimeDistributed(L.Dense(1))
    Sequential([lstmkit.Input((5, 5)), td])
    assert td.count_params() == 6


def test_time_distributed_needs_sequences():
    with pytest.raises(ValueError, match="return_sequences=True"):
        Sequential([lstmkit.Input((5,)), L.TimeDistributed(L.Dense(1))])


def test_embedding_and_mask():
    ids = RNG.integers(0, 7, size=(3, 6))
    ids[0, 4:] = 0
    emb = L.Embedding(7, 4, mask_zero=True)
    kemb = keras.layers.Embedding(7, 4, mask_zero=True)
    kemb.build((None, 6))
    emb.build((None, 6))
    emb.set_weights(kemb.get_weights())
    np.testing.assert_allclose(emb(ids), kemb(ids), atol=0)
    np.testing.assert_array_equal(np.asarray(emb.compute_mask(ids)), np.asarray(kemb.compute_mask(ids)))
    assert emb.count_params() == 28


def test_masking_layer():
    x = RNG.normal(size=(2, 4, 3)).astype("float32")
    x[0, 2] = 0.0
    m = L.Masking(0.0)
    k = keras.layers.Masking(0.0)
    np.testing.assert_allclose(m(x), k(x))
    np.testing.assert_array_equal(np.asarray(m.compute_mask(x)), np.asarray(k.compute_mask(x)))


def test_dropout_train_vs_inference():
    x = np.ones((200, 50), np.float32)
    d = L.Dropout(0.4)
    np.testing.assert_array_equal(d(x), x)
    y = np.asarray(d(x, training=True))
    kept = y != 0
    assert 0.5 < kept.mean() < 0.7
    np.testing.assert_allclose(y[kept], 1 / 0.6, rtol=1e-6)


def test_merging_layers_match_keras():
    a = RNG.normal(size=(3, 4)).astype("float32")
    b = RNG.normal(size=(3, 4)).astype("float32")
    for ours, theirs in [(L.Concatenate(), keras.layers.Concatenate()), (L.Add(), keras.layers.Add()),
                         (L.Multiply(), keras.layers.Multiply()), (L.Average(), keras.layers.Average()),
                         (L.Subtract(), keras.layers.Subtract()), (L.Maximum(), keras.layers.Maximum())]:
        np.testing.assert_allclose(ours([a, b]), theirs([a, b]), atol=1e-6)


def test_functional_multi_input_multi_output_and_nested():
    ia, ib = lstmkit.Input((3,), name="a"), lstmkit.Input((2,), name="b")
    h = L.Concatenate()([L.Dense(4, activation="relu")(ia), ib])
    out1, out2 = L.Dense(1, name="o1")(h), L.Dense(2, name="o2")(h)
    m = Model([ia, ib], [out1, out2])
    inner = Model(ia, L.Dense(2)(ia))
    outer_in = lstmkit.Input((3,))
    outer = Model(outer_in, L.Dense(1)(inner(outer_in)))
    xa, xb = RNG.normal(size=(5, 3)).astype("float32"), RNG.normal(size=(5, 2)).astype("float32")
    y1, y2 = m.predict([xa, xb], verbose=0)
    assert y1.shape == (5, 1) and y2.shape == (5, 2)
    d = m.predict({"a": xa, "b": xb}, verbose=0)
    np.testing.assert_allclose(d[0], y1)
    assert outer.predict(xa, verbose=0).shape == (5, 1)
    assert outer.count_params() == inner.count_params() + 3
    m.compile("adam", ["mse", "mae"], loss_weights=[1.0, 0.5], metrics={"o1": ["mae"]})
    h = m.fit([xa, xb], [np.ones((5, 1)), np.zeros((5, 2))], epochs=2, verbose=0)
    assert list(h.history) == ["loss", "o1_loss", "o1_mae", "o2_loss"]


def test_functional_graph_disconnected():
    a, b = lstmkit.Input((3,)), lstmkit.Input((3,))
    out = L.Add()([a, b])
    with pytest.raises(ValueError, match="Graph disconnected"):
        Model(a, out)


def test_activity_regularizer_adds_loss_like_keras():
    x = RNG.normal(size=(6, 3)).astype("float32")
    y = np.zeros((6, 1), np.float32)
    km = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activity_regularizer="l2", kernel_regularizer="l1")])
    m = Sequential([lstmkit.Input((3,)), L.Dense(1, activity_regularizer="l2", kernel_regularizer="l1")])
    m.set_weights(km.get_weights())
    km.compile("sgd", "mse")
    m.compile("sgd", "mse")
    np.testing.assert_allclose(m.evaluate(x, y, verbose=0), km.evaluate(x, y, verbose=0), rtol=1e-5)


def test_unknown_layer_kwarg():
    with pytest.raises(TypeError, match="Unrecognized keyword arguments passed to Dense"):
        L.Dense(3, foo=1)


def test_bad_units():
    with pytest.raises(ValueError, match="`units`.*positive integer.*-2"):
        L.Dense(-2)


def test_non_float32_dtype_is_a_clear_error_not_ignored():
    with pytest.raises(NotImplementedError, match=r"Dense\(dtype='float64'\).*float32 only"):
        L.Dense(2, dtype="float64")
    assert L.Dense(2, dtype={"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}).dtype == "float32"
