"""`model.export(path, format="onnx")`: onnxruntime gives `predict`'s numbers (1e-5) for each exported
layer and option; what cannot be exported says what it is."""

import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from lstmkit import Input  # noqa: E402
from lstmkit import activations  # noqa: E402
from lstmkit.export import ExportError  # noqa: E402
from lstmkit.layers import (ELU, GRU, LSTM, RNN, Activation, Add, AveragePooling1D,  # noqa: E402
                            BatchNormalization, Bidirectional, Concatenate, Conv1D, Dense, Dropout, Embedding,
                            Flatten, GlobalAveragePooling1D, GRUCell, LayerNormalization, LeakyReLU, LSTMCell,
                            Masking, MaxPooling1D, ReLU, RepeatVector, Reshape, SimpleRNN, SimpleRNNCell,
                            TimeDistributed)
from lstmkit.models import Model, Sequential  # noqa: E402

RNG = np.random.default_rng(0)
TOL = dict(rtol=1e-5, atol=1e-5)


def _randomize(model, seed=0):
    """Random weights (biases and normalization statistics included), so that every weight matters."""
    rng = np.random.default_rng(seed)
    model.set_weights([(np.abs(rng.normal(size=w.shape)) + 0.5 if "variance" in name else
                        rng.normal(scale=0.5, size=w.shape)).astype(np.float32)
                       for w, name in zip(model.get_weights(), [v.name for v in model.weights])])
    return model


def _session(model, tmp_path, **kwargs):
    path = tmp_path / "model.onnx"
    model.export(path, format="onnx", verbose=False, **kwargs)
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _check(model, x, tmp_path, **kwargs):
    session = _session(model, tmp_path, **kwargs)
    xs = x if isinstance(x, list) else [x]
    got = session.run(None, {i.name: v for i, v in zip(session.get_inputs(), xs)})
    want = model.predict(x, verbose=0)
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, **TOL)
    return session


def _seq(*layers, shape=(4, 3)):
    return _randomize(Sequential([Input(shape), *layers]))


X = RNG.normal(size=(3, 4, 3)).astype(np.float32)

CASES = {
    "lstm": lambda: _seq(LSTM(5)),
    "lstm_sequences_backwards": lambda: _seq(LSTM(5, return_sequences=True, go_backwards=True)),
    "lstm_backwards": lambda: _seq(LSTM(5, go_backwards=True)),
    "lstm_relu_no_bias": lambda: _seq(LSTM(5, activation="relu", use_bias=False, return_sequences=True)),
    "lstm_hard_sigmoid_keras3": lambda: _seq(LSTM(5, recurrent_activation="hard_sigmoid")),
    "lstm_hard_sigmoid_keras2": lambda: _seq(LSTM(5, recurrent_activation=activations.hard_sigmoid_keras2)),
    "lstm_peephole": lambda: _seq(LSTM(5, peephole=True, return_sequences=True)),
    "lstm_coupled_gates": lambda: _seq(LSTM(5, coupled_gates=True, peephole=True)),
    "lstm_unroll": lambda: _seq(LSTM(4, unroll=True, return_sequences=True)),
    "gru_reset_after": lambda: _seq(GRU(5, return_sequences=True)),
    "gru_reset_before_backwards": lambda: _seq(GRU(5, reset_after=False, go_backwards=True, return_sequences=True)),
    "gru_keras2_no_bias": lambda: _seq(GRU(5, reset_after=False, use_bias=False,
                                           recurrent_activation=activations.hard_sigmoid_keras2)),
    "simple_rnn_relu": lambda: _seq(SimpleRNN(5, activation="relu", return_sequences=True)),
    "simple_rnn_backwards": lambda: _seq(SimpleRNN(5, go_backwards=True)),
    "rnn_of_cells": lambda: _seq(RNN(LSTMCell(3, recurrent_activation="hard_sigmoid"), return_sequences=True,
                                     go_backwards=True), RNN(GRUCell(3, reset_after=False))),
    "bidirectional_concat": lambda: _seq(Bidirectional(LSTM(4, return_sequences=True))),
    "bidirectional_gru_sum": lambda: _seq(Bidirectional(GRU(4), merge_mode="sum")),
    "bidirectional_ave_mul": lambda: _seq(Bidirectional(SimpleRNN(3, return_sequences=True), merge_mode="ave"),
                                          Bidirectional(LSTM(3), merge_mode="mul")),
    "time_distributed_dense": lambda: _seq(LSTM(4, return_sequences=True), TimeDistributed(Dense(2, "tanh"))),
    "activation_layers": lambda: _seq(ReLU(max_value=0.5), Dense(3), LeakyReLU(0.1), ELU(0.7), Dense(3, "hard_sigmoid"),
                                      Dense(3, "selu"), Dense(2, "softplus")),
    "dense_dropout_activation": lambda: _seq(Dense(4, "relu"), Dropout(0.5), Dense(2), Activation("softmax")),
    "conv_pool": lambda: _seq(Conv1D(4, 2, padding="causal", dilation_rate=2, activation="relu"),
                              Conv1D(3, 3, padding="same", strides=2), MaxPooling1D(2, padding="same"),
                              LSTM(3), shape=(9, 3)),
    "conv_valid_avg_pool": lambda: _seq(Conv1D(4, 3), AveragePooling1D(2, strides=1, padding="same"),
                                        GlobalAveragePooling1D(), shape=(9, 3)),
    "normalization": lambda: _seq(LayerNormalization(), BatchNormalization(), LSTM(3)),
    "w9_cnn_lstm": lambda: _seq(TimeDistributed(Conv1D(4, 1, activation="relu")), TimeDistributed(MaxPooling1D(2)),
                                TimeDistributed(Flatten()), LSTM(3, activation="relu"), Dense(1), shape=(2, 2, 3)),
    "flatten_reshape_repeat": lambda: _seq(Flatten(), Dense(6), Reshape((3, 2)), LSTM(2), RepeatVector(3),
                                           GRU(2, return_sequences=True)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_onnx_gives_predict_numbers(case, tmp_path):
    shapes = {"conv_pool": (3, 9, 3), "conv_valid_avg_pool": (3, 9, 3), "w9_cnn_lstm": (3, 2, 2, 3)}
    x = RNG.normal(size=shapes[case]).astype(np.float32) if case in shapes else X
    _check(CASES[case](), x, tmp_path)


def test_native_recurrent_operators_without_a_mask(tmp_path):
    session = _check(_seq(LSTM(3), shape=(4, 3)), X, tmp_path)
    graph = onnx.load(str(tmp_path / "model.onnx")).graph
    assert "LSTM" in {n.op_type for n in graph.node} and "Scan" not in {n.op_type for n in graph.node}
    assert session.get_inputs()[0].shape[0] == "batch"


def test_dynamic_batch(tmp_path):
    model = Sequential([Input((3, 1)), LSTM(6, activation="relu"), Dense(1)])
    session = _session(_randomize(model), tmp_path)
    for batch in (1, 5):
        x = RNG.normal(size=(batch, 3, 1)).astype(np.float32)
        np.testing.assert_allclose(session.run(None, {session.get_inputs()[0].name: x})[0],
                                   model.predict(x, verbose=0), **TOL)


# ----------------------------------------------------------------- masks
IDS = np.array([[0, 0, 3, 5, 2], [4, 1, 0, 0, 0], [2, 0, 6, 0, 1]], np.float32)  # pre, post and inner padding


@pytest.mark.parametrize("layer", [
    lambda: LSTM(4), lambda: LSTM(4, return_sequences=True, go_backwards=True),
    lambda: GRU(4, reset_after=False, return_sequences=True), lambda: SimpleRNN(3, go_backwards=True),
    lambda: LSTM(3, unroll=True, return_sequences=True),
    lambda: Bidirectional(GRU(3, return_sequences=True)), lambda: RNN(SimpleRNNCell(3), return_sequences=True),
], ids=["lstm", "lstm_backwards_sequences", "gru_reset_before", "simple_rnn_backwards", "lstm_unroll",
        "bidirectional", "rnn_of_cell"])
def test_masked_sequences(layer, tmp_path):
    model = _randomize(Sequential([Input((5,)), Embedding(7, 3, mask_zero=True), layer(), Dense(2)]))
    _check(model, IDS, tmp_path)
    assert "Scan" in {n.op_type for n in onnx.load(str(tmp_path / "model.onnx")).graph.node}


def test_masking_layer(tmp_path):
    x = RNG.normal(size=(2, 4, 3)).astype(np.float32)
    x[0, :2] = 0.0
    x[1, 2] = 0.0
    _check(_seq(Masking(0.0), LSTM(3, return_sequences=True), TimeDistributed(Dense(1))), x, tmp_path)
    _check(_seq(Masking(0.0), GRU(3, return_sequences=True), GlobalAveragePooling1D()), x, tmp_path)


# ----------------------------------------------------------------- functional models, states
def test_functional_initial_state_and_return_state(tmp_path):
    x_in, h_in, c_in = Input((4, 3)), Input((5,)), Input((5,))
    seq, h, c = LSTM(5, return_sequences=True, return_state=True)(x_in, initial_state=[h_in, c_in])
    y = GRU(2)(Concatenate()([seq, seq]))
    out = Add()([Dense(2)(h), y])
    model = _randomize(Model([x_in, h_in, c_in], [out, c]))
    states = [RNG.normal(size=(3, 5)).astype(np.float32) for _ in range(2)]
    _check(model, [X] + states, tmp_path)


def test_attention_layers(tmp_path):
    from lstmkit.layers import AdditiveAttention, Attention

    q_ids, v_ids = Input((3,)), Input((5,))
    embed = Embedding(7, 4, mask_zero=True)
    q, v = embed(q_ids), LSTM(4, return_sequences=True)(embed(v_ids))  # masks reach the attention layers
    a = Attention()([q, v])
    c = Attention(use_scale=True, score_mode="concat")([q, v, v], use_causal_mask=True)
    d, scores = AdditiveAttention()([q, v], return_attention_scores=True)
    model = _randomize(Model([q_ids, v_ids], [Concatenate()([a, c, d]), scores]))
    _check(model, [np.array([[1, 2, 0], [3, 0, 4]], np.float32), IDS[:2]], tmp_path)


def test_keras2_file_hard_sigmoid_and_encoder_states(tmp_path):
    """A Keras 2 encoder-decoder config: hard_sigmoid keeps Keras 2's meaning (alpha 0.2) in the graph too,
    and the encoder's states start the decoder (Keras 2's states-as-inputs node)."""
    from lstmkit.models import model_from_config

    rec = {"time_major": False, "implementation": 2, "recurrent_activation": "hard_sigmoid"}
    config = {"class_name": "Model", "config": {"name": "old", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4, 2], "name": "enc_in"},
         "name": "enc_in", "inbound_nodes": []},
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3, 1], "name": "dec_in"},
         "name": "dec_in", "inbound_nodes": []},
        {"class_name": "LSTM", "config": {"name": "enc", "units": 3, "return_state": True, **rec},
         "name": "enc", "inbound_nodes": [[["enc_in", 0, 0, {}]]]},
        {"class_name": "LSTM", "config": {"name": "dec", "units": 3, "return_sequences": True, **rec},
         "name": "dec", "inbound_nodes": [[["dec_in", 0, 0, {}], ["enc", 0, 1, {}], ["enc", 0, 2, {}]]]},
        {"class_name": "TimeDistributed", "config": {"name": "td", "layer": {"class_name": "Dense",
                                                                            "config": {"name": "d", "units": 1}}},
         "name": "td", "inbound_nodes": [[["dec", 0, 0, {}]]]}],
        "input_layers": [["enc_in", 0, 0], ["dec_in", 0, 0]], "output_layers": [["td", 0, 0]]},
        "keras_version": "2.4.0", "backend": "tensorflow"}
    model = _randomize(model_from_config(config))
    assert model.get_layer("enc").recurrent_activation is activations.hard_sigmoid_keras2
    _check(model, [RNG.normal(size=(2, 4, 2)).astype(np.float32), RNG.normal(size=(2, 3, 1)).astype(np.float32)],
           tmp_path)


def test_nested_models_and_rearranging_layers(tmp_path):
    from lstmkit.layers import Permute, Subtract

    inner = Sequential([Input((4, 3)), Permute((2, 1)), Dense(4), Permute((2, 1))], name="inner")
    x_in = Input((4, 3))
    y = Subtract()([inner(x_in), x_in])
    model = _randomize(Model(x_in, SimpleRNN(2)(y)))
    _check(model, X, tmp_path)


def test_stateful_state_is_a_graph_input_and_output(tmp_path):
    model = _randomize(Sequential([Input(batch_shape=(2, 1)), Embedding(9, 4), LSTM(3, stateful=True,
                                                                                     return_sequences=True),
                                   Dense(9)]))
    session = _session(model, tmp_path)
    names = [i.name for i in session.get_inputs()]
    assert names[1:] == [f"{model.layers[1].name}_state_h", f"{model.layers[1].name}_state_c"]
    state = [np.zeros((2, 3), np.float32)] * 2
    model.reset_states()
    for tokens in ([[1], [2]], [[3], [4]]):  # the carried state makes the second step differ
        x = np.array(tokens, np.float32)
        logits, *state = session.run(None, dict(zip(names, [x] + state)))
        np.testing.assert_allclose(logits, model.predict(x, verbose=0), **TOL)
    np.testing.assert_allclose(state[0], np.asarray(model.layers[1].states[0]), **TOL)


def test_int_token_input_signature(tmp_path):
    import jax

    model = _randomize(Sequential([Input((3,)), Embedding(6, 2), LSTM(2)]))
    session = _session(model, tmp_path, input_signature=[jax.ShapeDtypeStruct((None, 3), np.int32)])
    ids = np.array([[1, 5, 0]], np.int32)
    np.testing.assert_allclose(session.run(None, {session.get_inputs()[0].name: ids})[0],
                               model.predict(ids.astype(np.float32), verbose=0), **TOL)
    with pytest.raises(Exception, match="(?i)index|indices|out of"):  # a negative id is refused, as lstmkit does
        session.run(None, {session.get_inputs()[0].name: np.array([[-1, 0, 0]], np.int32)})


# ----------------------------------------------------------------- errors
def test_unsupported_layer_names_itself(tmp_path):
    from lstmkit.layers import Lambda

    model = Sequential([Input((4, 3)), Lambda(lambda t: t * 2.0, name="doubler"), LSTM(2)])
    with pytest.raises(ExportError, match=r"'doubler' \(Lambda\).*LSTM"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    assert not (tmp_path / "m.onnx").exists()


def test_subclassed_model_is_refused(tmp_path):
    class Doubled(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(1)

        def call(self, x):
            return self.dense(x) * 2.0

    model = Doubled()
    model(np.zeros((1, 3), np.float32))
    with pytest.raises(ExportError, match="subclassed model"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)


def test_unsupported_activation_names_layer_and_option(tmp_path):
    model = _seq(LSTM(2, activation="mish", name="odd_lstm"))
    with pytest.raises(ExportError, match="'odd_lstm'.*mish"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)


def test_format_and_argument_errors(tmp_path):
    model = _seq(Dense(1))
    with pytest.raises(ValueError, match=r"format='tf_saved_model'.*\['onnx'\]"):
        model.export(tmp_path / "m")
    with pytest.raises(ValueError, match=r"Unrecognized format=keras.*\['onnx'\]"):
        model.export(tmp_path / "m", format="keras")
    with pytest.raises(TypeError, match="jax2tf_kwargs"):
        model.export(tmp_path / "m.onnx", format="onnx", jax2tf_kwargs={})
    with pytest.raises(ValueError, match="opset_version"):
        model.export(tmp_path / "m.onnx", format="onnx", opset_version=9)
    with pytest.raises(ValueError, match=r"input_signature.*\(1, 5, 3\).*\(None, 4, 3\)"):
        model.export(tmp_path / "m.onnx", format="onnx", input_signature=[np.zeros((1, 5, 3), np.float32)])


def test_missing_onnx_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install lstmkit\[onnx\]"):
        _seq(Dense(1)).export(tmp_path / "m.onnx", format="onnx")
