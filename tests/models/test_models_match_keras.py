"""Whole models against Keras 3: same weights in, same predictions and same weights after training.

One SGD epoch with shuffle=False compares gradients of every weight end to end
(masks, initial states, wrappers and stacked layers included).
"""

import keras
import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit.models import Model, Sequential

RNG = np.random.default_rng(11)


def encoder_decoder(lib, layers_mod, Input, ModelCls):
    enc_in = Input((4, 2))
    _, h, c = layers_mod.LSTM(6, return_state=True)(enc_in)
    dec_in = Input((3, 1))
    seq = layers_mod.LSTM(6, return_sequences=True)(dec_in, initial_state=[h, c])
    out = layers_mod.TimeDistributed(layers_mod.Dense(1))(seq)
    return ModelCls([enc_in, dec_in], out)


def masked_bidirectional(lib, layers_mod, Input, ModelCls):
    ids = Input((6,))
    x = layers_mod.Embedding(9, 4, mask_zero=True)(ids)
    x = layers_mod.Bidirectional(layers_mod.LSTM(5, return_sequences=True), merge_mode="concat")(x)
    x = layers_mod.GRU(3)(x)
    return ModelCls(ids, layers_mod.Dense(2)(x))


def stacked_relu_repeat(lib, layers_mod, Input, ModelCls):
    inp = Input((3, 1))
    x = layers_mod.LSTM(8, activation="relu")(inp)
    x = layers_mod.RepeatVector(2)(x)
    x = layers_mod.SimpleRNN(4, return_sequences=True, activation="tanh")(x)
    x = layers_mod.GRU(4, return_sequences=True, reset_after=False)(x)
    return ModelCls(inp, layers_mod.TimeDistributed(layers_mod.Dense(1))(x))


def masking_layer(lib, layers_mod, Input, ModelCls):
    inp = Input((5, 2))
    x = layers_mod.Masking(0.0)(inp)
    x = layers_mod.LSTM(4, go_backwards=True, recurrent_activation="hard_sigmoid")(x)
    return ModelCls(inp, layers_mod.Dense(1, activation="sigmoid")(x))


def _inputs(name):
    if name == "encoder_decoder":
        return [RNG.normal(size=(6, 4, 2)).astype("float32"), RNG.normal(size=(6, 3, 1)).astype("float32")], \
            RNG.normal(size=(6, 3, 1)).astype("float32")
    if name == "masked_bidirectional":
        ids = RNG.integers(1, 9, size=(6, 6))
        ids[0, 3:] = 0
        ids[2, 5:] = 0
        return ids.astype("int32"), RNG.normal(size=(6, 2)).astype("float32")
    if name == "stacked_relu_repeat":
        return RNG.normal(size=(6, 3, 1)).astype("float32"), RNG.normal(size=(6, 2, 1)).astype("float32")
    x = RNG.normal(size=(6, 5, 2)).astype("float32")
    x[1, 3:] = 0.0
    return x, RNG.uniform(size=(6, 1)).astype("float32")


BUILDERS = {f.__name__: f for f in [encoder_decoder, masked_bidirectional, stacked_relu_repeat, masking_layer]}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_predict_and_training_match_keras(name):
    build = BUILDERS[name]
    km = build("keras", keras.layers, keras.Input, keras.Model)
    m = build("lstmkit", L, lstmkit.Input, Model)
    assert m.count_params() == km.count_params()
    assert [tuple(w.shape) for w in m.weights] == [tuple(w.shape) for w in km.weights]
    m.set_weights(km.get_weights())
    x, y = _inputs(name)
    np.testing.assert_allclose(m.predict(x, verbose=0), km.predict(x, verbose=0), atol=1e-5)
    loss = "binary_crossentropy" if name == "masking_layer" else "mse"
    km.compile(keras.optimizers.SGD(0.1), loss)
    m.compile(lstmkit.optimizers.SGD(0.1), loss)
    kh = km.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    h = m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h.history["loss"], kh.history["loss"], rtol=1e-4)
    for ours, theirs in zip(m.get_weights(), km.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_sequential_summary_counts_match_keras_for_the_seed_models():
    specs = [
        [L.LSTM(50, activation="relu", input_shape=(3, 1)), L.Dense(1)],
        [L.LSTM(100, activation="relu", return_sequences=True, input_shape=(3, 1)), L.LSTM(100, activation="relu"), L.Dense(2)],
        [L.LSTM(100, activation="relu", input_shape=(3, 1)), L.RepeatVector(2), L.LSTM(100, activation="relu", return_sequences=True),
         L.TimeDistributed(L.Dense(1))],
        [L.Bidirectional(L.GRU(7, return_sequences=True), input_shape=(4, 3)), L.SimpleRNN(5), L.Dense(3)],
    ]
    kspecs = [
        [keras.Input((3, 1)), keras.layers.LSTM(50, activation="relu"), keras.layers.Dense(1)],
        [keras.Input((3, 1)), keras.layers.LSTM(100, activation="relu", return_sequences=True), keras.layers.LSTM(100, activation="relu"), keras.layers.Dense(2)],
        [keras.Input((3, 1)), keras.layers.LSTM(100, activation="relu"), keras.layers.RepeatVector(2),
         keras.layers.LSTM(100, activation="relu", return_sequences=True), keras.layers.TimeDistributed(keras.layers.Dense(1))],
        [keras.Input((4, 3)), keras.layers.Bidirectional(keras.layers.GRU(7, return_sequences=True)), keras.layers.SimpleRNN(5), keras.layers.Dense(3)],
    ]
    for ours, theirs in zip(specs, kspecs):
        m, km = Sequential(ours), keras.Sequential(theirs)
        assert [l.count_params() for l in m.layers] == [l.count_params() for l in km.layers]
        assert [l.output.shape for l in m.layers] == [tuple(l.output.shape) for l in km.layers]
