"""`RNN(cell)`, `LSTMCell`, `GRUCell`, `SimpleRNNCell`, `StackedRNNCells`: numbers against Keras 3, the fused
path, states, configs, errors and parameter counts."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402
from lstmkit._kernels import fused as fused_ops  # noqa: E402
from lstmkit.layers.base import CallContext  # noqa: E402

RNG = np.random.default_rng(11)
X = RNG.normal(size=(3, 5, 2)).astype("float32")
MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [0, 1, 1, 0, 1]], bool)  # a hole and a leading gap too

# name -> (lstmkit cell(s), keras cell(s)), built alike so weights copy in order.
CELLS = {
    "lstm": (lambda: L.LSTMCell(4), lambda: keras.layers.LSTMCell(4)),
    "gru": (lambda: L.GRUCell(4), lambda: keras.layers.GRUCell(4)),
    "gru_reset_before": (lambda: L.GRUCell(4, reset_after=False), lambda: keras.layers.GRUCell(4, reset_after=False)),
    "simple": (lambda: L.SimpleRNNCell(4, activation="relu"), lambda: keras.layers.SimpleRNNCell(4, activation="relu")),
    "lstm_list": (lambda: [L.LSTMCell(3), L.LSTMCell(2)], lambda: [keras.layers.LSTMCell(3), keras.layers.LSTMCell(2)]),
    "stacked_mixed": (lambda: L.StackedRNNCells([L.GRUCell(3), L.SimpleRNNCell(2)]),
                      lambda: keras.layers.StackedRNNCells([keras.layers.GRUCell(3), keras.layers.SimpleRNNCell(2)])),
}

OPTIONS = {
    "last": {},
    "sequences_states": {"return_sequences": True, "return_state": True},
    "backwards_masked": {"return_sequences": True, "go_backwards": True, "mask": True},
    "masked_states": {"return_state": True, "mask": True},
    "masked_zero_output": {"return_sequences": True, "zero_output_for_mask": True, "mask": True},
    "unrolled_masked": {"return_sequences": True, "unroll": True, "mask": True, "go_backwards": True},
}


def _random_weights(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-0.6, 0.6, size=s).astype("float32") for s in shapes]


def _leaves(out):
    return [np.asarray(a) for a in jax.tree_util.tree_leaves(out)]


def _pair(name, options, seed=0):
    """(lstmkit layer, keras layer) with the same random weights, and the call's mask."""
    ours, theirs = CELLS[name]
    opts = dict(options)
    use_mask = opts.pop("mask", False)
    k = keras.layers.RNN(theirs(), **opts)
    k(X)  # builds
    weights = _random_weights([w.shape for w in k.get_weights()], seed)
    k.set_weights(weights)
    m = L.RNN(ours(), **opts)
    m(X)
    m.set_weights(weights)
    return m, k, (MASK if use_mask else None)


@pytest.mark.parametrize("option", sorted(OPTIONS))
@pytest.mark.parametrize("name", sorted(CELLS))
def test_rnn_over_cells_matches_keras(name, option):
    m, k, mask = _pair(name, OPTIONS[option])
    assert [w.shape for w in m.get_weights()] == [tuple(w.shape) for w in k.get_weights()]
    ours = _leaves(m(X, mask=mask))
    theirs = _leaves(k(X, mask=mask))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", ["lstm", "lstm_list"])
def test_initial_state_matches_keras(name):
    m, k, _ = _pair(name, {"return_state": True})
    states = [RNG.normal(size=s).astype("float32") for s in [(3, w.shape[0]) for w in m.get_weights()[1::3]]
              for _ in range(2)]
    nested = states if name == "lstm" else [states[0:2], states[2:4]]
    ours, theirs = _leaves(m(X, initial_state=nested)), _leaves(k(X, initial_state=nested))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def test_return_state_of_a_stack_is_nested_as_in_keras():
    out = L.RNN([L.LSTMCell(3), L.GRUCell(2)], return_state=True)(X)
    assert len(out) == 3
    assert [np.shape(s) for s in out[1]] == [(3, 3), (3, 3)]  # the LSTM cell's [h, c]
    assert [np.shape(s) for s in out[2]] == [(3, 2)]  # the GRU cell's [h]


# ----------------------------------------------------------------------------------------------- the fused path
def _lstm_with_weights_of(rnn, **kwargs):
    layer = L.LSTM(rnn.cell.units, **kwargs)
    layer(X)
    layer.set_weights(rnn.get_weights())
    return layer


def test_rnn_over_lstm_cell_is_the_lstm_layer_in_values_and_gradients():
    rnn = L.RNN(L.LSTMCell(4), return_sequences=True, go_backwards=True)
    rnn(X)
    rnn.set_weights(_random_weights([w.shape for w in rnn.get_weights()], 3))
    lstm = _lstm_with_weights_of(rnn, return_sequences=True, go_backwards=True)
    mask = jnp.asarray(MASK)

    def loss(layer, params):
        out = layer.call(params, jnp.asarray(X), CallContext(), mask=mask)
        return jnp.sum(out * jnp.arange(out.size, dtype=jnp.float32).reshape(out.shape) / out.size)

    p_rnn, p_lstm = rnn.current_params(), lstm.current_params()
    assert float(loss(rnn, p_rnn)) == pytest.approx(float(loss(lstm, p_lstm)), abs=0)
    g_rnn = jax.grad(lambda p: loss(rnn, p))(p_rnn)["cell"]
    g_lstm = jax.grad(lambda p: loss(lstm, p))(p_lstm)
    for name in ("kernel", "recurrent_kernel", "bias"):
        np.testing.assert_array_equal(np.asarray(g_rnn[name]), np.asarray(g_lstm[name]))


@pytest.mark.parametrize("cells", [lambda: L.LSTMCell(3), lambda: L.GRUCell(3),
                                   lambda: [L.SimpleRNNCell(3), L.LSTMCell(2)]])
def test_stock_cells_run_the_fused_kernel(monkeypatch, cells):
    calls = []
    real = fused_ops.fused_rnn_scan

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(fused_ops, "fused_rnn_scan", counting)
    built = cells()
    L.RNN(built)(X)
    assert len(calls) == (len(built) if isinstance(built, list) else 1)


def test_gru_reset_before_and_unrolled_cells_use_the_plain_scan(monkeypatch):
    monkeypatch.setattr(fused_ops, "fused_rnn_scan", lambda *a, **k: pytest.fail("fused kernel used"))
    L.RNN(L.GRUCell(3, reset_after=False))(X)
    L.RNN(L.LSTMCell(3), unroll=True)(X)


# ----------------------------------------------------------------------------------------------- shapes, counts
def test_output_shapes_masks_and_state_sizes():
    layer = L.RNN([L.LSTMCell(3), L.GRUCell(2)], return_sequences=True, return_state=True)
    assert layer.state_size == [[3, 3], 2]
    assert layer.compute_output_shape((None, 7, 2)) == [(None, 7, 2), [(None, 3), (None, 3)], (None, 2)]
    assert L.LSTMCell(3).state_size == [3, 3] and L.GRUCell(3).state_size == 3 and L.SimpleRNNCell(3).state_size == 3
    assert L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(5)]).output_size == 5
    inp = lstmkit.Input((4, 2))
    out = L.RNN(L.GRUCell(3), return_sequences=True)(L.Masking()(inp))
    assert tuple(out.shape) == (None, 4, 3)


def test_parameter_counts_and_summary_match_keras():
    inp = lstmkit.Input((3, 2))
    x = L.RNN(L.LSTMCell(4), return_sequences=True)(inp)
    x = L.RNN([L.GRUCell(3), L.SimpleRNNCell(2)], return_sequences=True)(x)
    x = L.RNN(L.StackedRNNCells([L.LSTMCell(2), L.LSTMCell(2)]))(x)
    model = lstmkit.Model(inp, x)
    # Keras 3 reports 112, 93 and 80 for the same model (4·((2+4)·4+4); 3·((4+3)·3+2·3) + (3+2)·2+2; 2·40).
    assert [layer.count_params() for layer in model.layers[1:]] == [112, 93, 80]
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    for count in ("112", "93", "80", "285"):
        assert count in text
    assert "(RNN)" in text


def test_cell_weights_have_keras_names_and_shapes():
    cell = L.GRUCell(3)
    L.RNN(cell)(X)
    assert [(v.name, v.shape) for v in cell.weights] == [("kernel", (2, 9)), ("recurrent_kernel", (3, 9)),
                                                         ("bias", (2, 9))]
    cell = L.LSTMCell(3)
    L.RNN(cell)(X)
    bias = cell.get_weights()[2]
    np.testing.assert_array_equal(bias, np.r_[np.zeros(3), np.ones(3), np.zeros(6)])  # unit_forget_bias


# ----------------------------------------------------------------------------------------------- config, errors
@pytest.mark.parametrize("make", [lambda m: m.LSTMCell(3, dropout=0.25, seed=3, unit_forget_bias=False),
                                  lambda m: m.GRUCell(3, reset_after=False, recurrent_activation="relu"),
                                  lambda m: m.SimpleRNNCell(3, use_bias=False, kernel_regularizer="l2")])
def test_cell_configs_are_keras_configs(make):
    ours, theirs = make(L).get_config(), make(keras.layers).get_config()
    ours.pop("name"), theirs.pop("name")
    theirs["dtype"].pop("shared_object_id", None)
    assert ours == theirs


def test_rnn_config_round_trips_through_serialization():
    from lstmkit.layers.recurrent import RNN

    layer = L.RNN([L.LSTMCell(3, dropout=0.1), L.GRUCell(2)], return_sequences=True, go_backwards=True,
                  name="stack")
    config = layer.get_config()
    assert config["cell"]["class_name"] == "StackedRNNCells"
    assert [c["class_name"] for c in config["cell"]["config"]["cells"]] == ["LSTMCell", "GRUCell"]
    again = RNN.from_config(config)
    assert again.get_config() == config
    keras_layer = keras.layers.RNN.from_config(config)
    assert keras_layer.return_sequences and keras_layer.go_backwards
    assert [type(c).__name__ for c in keras_layer.cell.cells] == ["LSTMCell", "GRUCell"]


def test_bad_arguments_raise_keras_exceptions():
    with pytest.raises(ValueError, match="`call` method"):
        L.RNN(object())
    with pytest.raises(ValueError, match="state_size"):
        L.RNN(type("NoState", (), {"call": lambda self, x, s: (x, s)})())
    with pytest.raises(ValueError, match="state_size must be an integer"):
        L.RNN(type("BadState", (), {"call": lambda self, x, s: (x, s), "state_size": "4"})())
    with pytest.raises(ValueError, match="All cells must have a `call` method"):
        L.StackedRNNCells([L.LSTMCell(2), object()])
    with pytest.raises(ValueError, match=r"`units`.*positive integer.*0"):
        L.LSTMCell(0)
    with pytest.raises(ValueError, match=r"`dropout`.*between 0 and 1.*1.5"):
        L.GRUCell(2, dropout=1.5)
    with pytest.raises(TypeError, match="implementation"):
        L.SimpleRNNCell(2, implementation=1)
    with pytest.raises(ValueError, match="ndim"):
        L.RNN(L.LSTMCell(2))(X[:, 0])
    layer = L.RNN(L.LSTMCell(2))
    layer(X)
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 2"):
        layer(np.zeros((3, 5, 4), "float32"))


def test_built_cells_round_trip_with_their_build_config():
    from lstmkit.layers.recurrent import RNN

    layer = L.RNN([L.LSTMCell(3), L.GRUCell(2)])
    layer(X)
    config = layer.get_config()
    assert config["cell"]["config"]["cells"][1]["build_config"] == {"input_shape": [3, 3]}
    again = RNN.from_config(config)
    assert all(c.built for c in again.cell.cells)
    assert again.get_config() == config


@pytest.mark.parametrize("merge_mode", ["concat", None])
def test_bidirectional_over_rnn_cells_matches_keras(merge_mode):
    def make(m):
        return m.Bidirectional(m.RNN([m.GRUCell(3), m.LSTMCell(2)], return_sequences=True, return_state=True),
                               merge_mode=merge_mode)

    k, ours = make(keras.layers), make(L)
    k(X)
    ours(X)
    weights = _random_weights([w.shape for w in k.get_weights()], 9)
    k.set_weights(weights)
    ours.set_weights(weights)
    a, b = _leaves(ours(X, mask=MASK)), _leaves(k(X, mask=MASK))
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=2e-5, atol=2e-6)


def test_summary_explains_cell_parameter_counts():
    inp = lstmkit.Input((3, 2))
    x = L.RNN(L.LSTMCell(4), return_sequences=True)(inp)
    x = L.RNN([L.GRUCell(3), L.SimpleRNNCell(2)])(x)
    lines = []
    lstmkit.Model(inp, x).summary(print_fn=lines.append, explain=True)
    text = "\n".join(lines)
    assert "4 × ((2 + 4) × 4 + 4) = 112" in text
    assert "[3 × ((4 + 3) × 3 + 2 × 3)] + [(3 + 2) × 2 + 2] = 93" in text


def test_keras2_configs_of_rnn_cells_both_ways():
    from lstmkit.layers.serialization import deserialize_layer, load_context, serialize_layer
    from lstmkit.saving import keras2

    entry = {"class_name": "RNN", "config": {"name": "r", "time_major": False, "return_sequences": True, "cell": {
        "class_name": "GRUCell", "config": {"units": 2, "implementation": 2, "dtype": "float32"}}}}
    with load_context(keras2_semantics=True):
        layer = deserialize_layer(entry)
        with pytest.raises(ValueError, match="time_major=True"):
            deserialize_layer({"class_name": "RNN", "config": {**entry["config"], "time_major": True}})
    assert layer.return_sequences and layer.cell.reset_after is False  # Keras 2's GRUCell without the key
    assert deserialize_layer(entry["config"]["cell"]).reset_after is True  # Keras 3's default
    out = keras2._keras2_layer(serialize_layer(L.RNN([L.LSTMCell(2), L.GRUCell(2)])), "layer 'rnn'")
    assert out["config"]["time_major"] is False
    cells = out["config"]["cell"]["config"]["cells"]
    assert [c["class_name"] for c in cells] == ["LSTMCell", "GRUCell"]
    assert all("seed" not in c["config"] and c["config"]["dtype"] == "float32" for c in cells)
    with pytest.raises(ValueError, match="seed"):
        keras2._keras2_layer(serialize_layer(L.RNN(L.LSTMCell(2, seed=1))), "layer 'rnn'")


@pytest.mark.parametrize("cell, layer", [(lambda: L.LSTMCell(3), lambda: L.LSTM(3, go_backwards=True)),
                                         (lambda: L.GRUCell(3, reset_after=False),
                                          lambda: L.GRU(3, reset_after=False, go_backwards=True))])
def test_inspect_traces_a_stock_cell_as_its_layer(cell, layer):
    from lstmkit import inspect as lk_inspect

    inp = lstmkit.Input((5, 2))
    masked = L.Masking()(inp)
    ours, ref = L.RNN(cell(), go_backwards=True, name="ours"), layer()
    model = lstmkit.Model(inp, [ours(masked), ref(masked)])
    ref.set_weights(_random_weights([w.shape for w in ours.get_weights()], 12))
    ours.set_weights(ref.get_weights())
    x = X.copy()
    x[1, 3:] = 0.0  # masked steps
    traces = lk_inspect.trace(model, x)
    a, b = traces["ours"], traces[ref.name]
    assert a.kind == b.kind and a.quantities == b.quantities
    for q in a.quantities:
        np.testing.assert_allclose(a[q], b[q], rtol=1e-6, atol=1e-7)
    assert np.isnan(a[a.quantities[0]][1, 3:]).all()  # gates of masked steps
    assert not L.RNN([L.LSTMCell(2), L.LSTMCell(2)]).traces_steps()


@pytest.mark.parametrize("make", [lambda m: m.RNN(m.LSTMCell(3), return_sequences=True, go_backwards=True),
                                  lambda m: m.RNN([m.GRUCell(3), m.SimpleRNNCell(2, dropout=0.1)], stateful=True,
                                                  zero_output_for_mask=True)])
def test_built_rnn_configs_are_keras_configs(make):
    import json

    def normal(config):  # names are numbered per process; Keras adds object ids; JSON makes tuples lists
        if isinstance(config, dict):
            return {k: normal(v) for k, v in config.items() if k not in ("name", "shared_object_id")}
        if isinstance(config, (list, tuple)):
            return [normal(v) for v in config]
        return config

    ours, theirs = make(L), make(keras.layers)
    ours(X), theirs(X)
    assert normal(json.loads(json.dumps(ours.get_config()))) == normal(json.loads(json.dumps(theirs.get_config())))
