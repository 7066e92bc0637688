"""lstmkit.inspect: traces against the layers' own outputs and a float64 NumPy reference of the equations."""

import numpy as np
import pytest

from lstmkit import Input
from lstmkit.inspect import LayerTrace, Traces, UnitMatch, find_units, trace
from lstmkit.layers import GRU, LSTM, Bidirectional, Dense, Embedding, Masking, SimpleRNN
from lstmkit.models import Model, Sequential

RNG = np.random.default_rng(7)
B, T, D = 3, 6, 2
ATOL = 2e-5  # float32 trace vs float64 reference


def _randomize(layer, scale=0.6):
    layer.set_weights([RNG.normal(size=w.shape) * scale for w in layer.get_weights()])


def _x(b=B, t=T, d=D):
    return RNG.normal(size=(b, t, d)).astype("float32")


def _mask_data(x):
    """Zero a trailing step of sample 0, the first two of sample 1 and a middle one of sample 2 (Masking(0))."""
    x = x.copy()
    x[0, -1] = 0
    x[1, :2] = 0
    x[2, 3] = 0
    return x, np.abs(x).sum(-1) > 0


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def _scan(step, x, mask, state, go_backwards):
    """Reference driver: masked steps hold the state and have NaN gates; results in input order."""
    steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    out = {}
    for t in steps:
        new, gates = step(x[:, t], state)
        keep = mask[:, t][:, None]
        state = tuple(np.where(keep, n, s) for n, s in zip(new, state))
        for name, g in list(gates.items()) + list(zip(("h", "c"), state)):
            out.setdefault(name, [None] * x.shape[1])[t] = np.where(keep, g, np.nan) if name not in "hc" else g
    return {k: np.stack(v, 1) for k, v in out.items()}


def ref_lstm(layer, x, mask, h0=None, c0=None):
    """The LSTM, and its variants: peepholes (i, f see the previous c, o the new one), coupled gates (f = 1 - i)."""
    weights = {v.name: v.numpy().astype(np.float64) for v in layer.weights}
    W, U, b = weights["kernel"], weights["recurrent_kernel"], weights["bias"]
    p = {g[0]: weights.get(f"{g}_gate_peephole_weights", 0.0) for g in ("input", "forget", "output")}
    u = layer.units
    h0 = np.zeros((x.shape[0], u)) if h0 is None else h0
    c0 = np.zeros((x.shape[0], u)) if c0 is None else c0

    def step(x_t, state):
        h, c = state
        z = x_t @ W + h @ U + b
        if getattr(layer, "coupled_gates", False):
            i = _sig(z[:, :u] + p["i"] * c)
            f, g, z_o = 1 - i, np.tanh(z[:, u:2 * u]), z[:, 2 * u:]
        else:
            i, f = _sig(z[:, :u] + p["i"] * c), _sig(z[:, u:2 * u] + p["f"] * c)
            g, z_o = np.tanh(z[:, 2 * u:3 * u]), z[:, 3 * u:]
        c = f * c + i * g
        o = _sig(z_o + p["o"] * c)
        return (o * np.tanh(c), c), {"i": i, "f": f, "g": g, "o": o}

    return _scan(step, x.astype(np.float64), mask, (h0, c0), layer.go_backwards)


def ref_gru(layer, x, mask):
    W, U, b = (w.astype(np.float64) for w in layer.get_weights())
    u = layer.units

    def step(x_t, state):
        (h,) = state
        if layer.reset_after:
            xz = x_t @ W + b[0]
            hz = h @ U + b[1]
            z, r = _sig(xz[:, :u] + hz[:, :u]), _sig(xz[:, u:2 * u] + hz[:, u:2 * u])
            g = np.tanh(xz[:, 2 * u:] + r * hz[:, 2 * u:])
        else:
            xz = x_t @ W + b
            z, r = _sig(xz[:, :u] + h @ U[:, :u]), _sig(xz[:, u:2 * u] + h @ U[:, u:2 * u])
            g = np.tanh(xz[:, 2 * u:] + (r * h) @ U[:, 2 * u:])
        h = z * h + (1 - z) * g
        return (h,), {"z": z, "r": r, "g": g}

    return _scan(step, x.astype(np.float64), mask, (np.zeros((x.shape[0], u)),), layer.go_backwards)


def ref_simple(layer, x, mask):
    W, U, b = (w.astype(np.float64) for w in layer.get_weights())

    def step(x_t, state):
        return (np.tanh(x_t @ W + state[0] @ U + b),), {}

    return _scan(step, x.astype(np.float64), mask, (np.zeros((x.shape[0], layer.units)),), layer.go_backwards)


def _assert_matches(tr, ref):
    assert set(tr.values) == set(ref)
    for name, value in ref.items():
        assert tr[name].shape == value.shape
        np.testing.assert_allclose(tr[name], value, atol=ATOL, err_msg=name)


# ----------------------------------------------------------------- LSTM
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_lstm_trace_matches_reference_and_layer_output(go_backwards, return_sequences):
    x, mask = _mask_data(_x())
    lstm = LSTM(4, return_sequences=return_sequences, go_backwards=go_backwards)
    model = Sequential([Masking(0.0, input_shape=(T, D)), lstm])
    _randomize(lstm)
    tr = trace(model, x)["lstm" if lstm.name == "lstm" else lstm.name]
    assert tr.kind == "LSTM" and tr.go_backwards == go_backwards and tr.units == 4
    np.testing.assert_array_equal(tr.mask, mask)
    np.testing.assert_allclose(tr.inputs, x)
    _assert_matches(tr, ref_lstm(lstm, x, mask))
    out = model.predict(x, verbose=0)
    if return_sequences:
        expected = tr.h[:, ::-1] if go_backwards else tr.h  # Keras returns processing order
        np.testing.assert_allclose(out, expected, atol=1e-6)
    else:
        np.testing.assert_allclose(out, tr.h[:, 0] if go_backwards else tr.h[:, -1], atol=1e-6)


@pytest.mark.parametrize("variant", [{"peephole": True}, {"coupled_gates": True},
                                     {"peephole": True, "coupled_gates": True, "go_backwards": True}])
def test_lstm_variant_traces_match_reference_and_layer_output(variant):
    x, mask = _mask_data(_x())
    lstm = LSTM(4, return_sequences=True, **variant)
    model = Sequential([Masking(0.0, input_shape=(T, D)), lstm])
    _randomize(lstm)
    tr = trace(model, x)[lstm.name]
    assert tr.quantities == ("i", "f", "g", "o", "c", "h")
    _assert_matches(tr, ref_lstm(lstm, x, mask))
    if lstm.coupled_gates:
        np.testing.assert_allclose(tr.f[mask], 1 - tr.i[mask], atol=1e-6)
    out = model.predict(x, verbose=0)
    np.testing.assert_allclose(out, tr.h[:, ::-1] if lstm.go_backwards else tr.h, atol=1e-6)


def test_masked_steps_hold_state_and_have_nan_gates():
    x, mask = _mask_data(_x())
    lstm = LSTM(3, return_sequences=True)
    tr = trace(Sequential([Masking(0.0, input_shape=(T, D)), lstm]), x)[lstm.name]
    assert np.isnan(tr.i[1, :2]).all() and np.isnan(tr.f[2, 3]).all()
    assert not np.isnan(tr.i[mask]).any()
    np.testing.assert_array_equal(tr.c[1, :2], 0.0)  # nothing read yet: the zero initial state
    np.testing.assert_array_equal(tr.c[2, 3], tr.c[2, 2])  # held over the masked step
    np.testing.assert_array_equal(tr.h[0, -1], tr.h[0, -2])


def test_long_names_and_attribute_access():
    lstm = LSTM(2)
    tr = trace(Sequential([lstm], ), _x())  # unbuilt Sequential: built from the data
    t = tr[lstm.name]
    assert t["cell"] is t.c and t["input"] is t.i and t["candidate"] is t.g and t.hidden is t.h
    assert t.quantities == ("i", "f", "g", "o", "c", "h")
    with pytest.raises(KeyError, match="has no quantity 'z'"):
        t["z"]
    with pytest.raises(KeyError, match="No traced layer named 'nope'"):
        tr["nope"]
    assert tr[0] is t and list(tr) == [lstm.name] and len(tr) == 1


def test_initial_state_from_the_graph():
    inp = Input((T, D))
    h0, c0 = Input((3,)), Input((3,))
    lstm = LSTM(3, return_sequences=True)
    model = Model([inp, h0, c0], lstm(inp, initial_state=[h0, c0]))
    _randomize(lstm)
    x = _x()
    hv, cv = RNG.normal(size=(B, 3)).astype("float32"), RNG.normal(size=(B, 3)).astype("float32")
    tr = trace(model, [x, hv, cv])[lstm.name]
    _assert_matches(tr, ref_lstm(lstm, x, np.ones((B, T), bool), hv.astype(np.float64), cv.astype(np.float64)))
    np.testing.assert_allclose(model.predict([x, hv, cv], verbose=0), tr.h, atol=1e-6)


def test_stateful_layer_starts_from_its_carried_state_and_keeps_it():
    lstm = LSTM(3, stateful=True, return_sequences=True)
    model = Sequential([lstm], )
    model.build((B, T, D))
    _randomize(lstm)
    h0, c0 = RNG.normal(size=(B, 3)).astype("float32"), RNG.normal(size=(B, 3)).astype("float32")
    lstm.reset_states([h0, c0])
    x = _x()
    tr = trace(model, x)[lstm.name]
    _assert_matches(tr, ref_lstm(lstm, x, np.ones((B, T), bool), h0.astype(np.float64), c0.astype(np.float64)))
    np.testing.assert_array_equal(lstm.states[0], h0)  # trace reads the states, it does not advance them
    np.testing.assert_array_equal(lstm.states[1], c0)
    np.testing.assert_allclose(model.predict(x, batch_size=B, verbose=0), tr.h, atol=1e-6)


# ----------------------------------------------------------------- GRU, SimpleRNN
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_trace_matches_reference(reset_after):
    x, mask = _mask_data(_x())
    gru = GRU(4, return_sequences=True, reset_after=reset_after)
    model = Sequential([Masking(0.0, input_shape=(T, D)), gru])
    _randomize(gru)
    tr = trace(model, x)[gru.name]
    assert tr.kind == "GRU" and tr.quantities == ("z", "r", "g", "h")
    assert tr["update"] is tr.z and tr["reset"] is tr.r
    _assert_matches(tr, ref_gru(gru, x, mask))
    np.testing.assert_allclose(model.predict(x, verbose=0), tr.h, atol=1e-6)


def test_simple_rnn_trace_matches_reference():
    x, mask = _mask_data(_x())
    rnn = SimpleRNN(3, go_backwards=True)
    model = Sequential([Masking(0.0, input_shape=(T, D)), rnn])
    _randomize(rnn)
    tr = trace(model, x)[rnn.name]
    assert tr.quantities == ("h",)
    _assert_matches(tr, ref_simple(rnn, x, mask))
    np.testing.assert_allclose(model.predict(x, verbose=0), tr.h[:, 0], atol=1e-6)


# ----------------------------------------------------------------- structure
def test_bidirectional_both_directions_named_and_in_input_order():
    x, mask = _mask_data(_x())
    bi = Bidirectional(LSTM(3, return_sequences=True))
    model = Sequential([Masking(0.0, input_shape=(T, D)), bi])
    _randomize(bi)
    traces = trace(model, x)
    fw, bw = traces[f"{bi.name}/forward"], traces[f"{bi.name}/backward"]
    assert not fw.go_backwards and bw.go_backwards
    _assert_matches(fw, ref_lstm(bi.forward_layer, x, mask))
    _assert_matches(bw, ref_lstm(bi.backward_layer, x, mask))
    out = model.predict(x, verbose=0)
    both = np.concatenate([fw.h, bw.h], axis=-1)
    np.testing.assert_allclose(out[mask], both[mask], atol=1e-6)  # masked steps: zeros in the output
    np.testing.assert_array_equal(out[~mask], 0.0)


def test_stacked_layers_see_the_previous_layers_output():
    emb = Embedding(7, 3, mask_zero=True)
    first, second = LSTM(4, return_sequences=True), GRU(2)
    model = Sequential([emb, first, second, Dense(1)])
    ids = RNG.integers(1, 7, size=(B, T))
    ids[0, -2:] = 0  # padding, masked by the embedding
    model.build((None, T))
    for layer in (first, second):
        _randomize(layer)
    traces = trace(model, ids)
    assert list(traces) == [first.name, second.name]
    np.testing.assert_array_equal(traces[first.name].mask, ids != 0)
    np.testing.assert_allclose(traces[first.name].inputs, emb.get_weights()[0][ids], atol=1e-7)
    np.testing.assert_allclose(traces[second.name].inputs, traces[first.name].h, atol=1e-6)
    _assert_matches(traces[second.name], ref_gru(second, traces[first.name].h, ids != 0))


def test_nested_model_layers_are_prefixed():
    inner_in = Input((T, D))
    inner_lstm = LSTM(2, return_sequences=True)
    inner = Model(inner_in, inner_lstm(inner_in), name="encoder")
    outer_in = Input((T, D))
    outer = Model(outer_in, Dense(1)(inner(outer_in)))
    x = _x()
    traces = trace(outer, x)
    assert list(traces) == [f"encoder/{inner_lstm.name}"]
    _assert_matches(traces[0], ref_lstm(inner_lstm, x, np.ones((B, T), bool)))


def test_errors():
    with pytest.raises(TypeError, match="must be an lstmkit Model"):
        trace(LSTM(2), _x())
    with pytest.raises(ValueError, match="has no recurrent layer"):
        trace(Sequential([Dense(2, input_shape=(D,))]), np.zeros((1, D), "float32"))


# ----------------------------------------------------------------- find_units
def _synthetic(mask=None):
    rng = np.random.default_rng(0)
    signal = rng.normal(size=(4, 10))
    c = np.stack([-2 * signal + 0.3 * rng.normal(size=signal.shape),  # strong, negative
                  rng.normal(size=signal.shape),  # unrelated
                  signal + 0.05 * rng.normal(size=signal.shape),  # strongest
                  np.full(signal.shape, 0.5)], axis=-1)  # constant: not ranked
    tr = LayerTrace(name="lstm", kind="LSTM", values={"c": c, "h": np.tanh(c)}, inputs=np.zeros((4, 10, 1)),
                    mask=mask)
    return Traces({"lstm": tr}), signal, c


def test_find_units_ranks_by_absolute_pearson_correlation():
    traces, signal, c = _synthetic()
    best = find_units(traces, signal, quantity="c", top=None)
    assert [m.unit for m in best] == [2, 0, 1]  # the constant unit is left out
    for m in best:
        expected = np.corrcoef(signal.ravel(), c[..., m.unit].ravel())[0, 1]
        assert m == UnitMatch("lstm", m.unit, pytest.approx(expected, abs=1e-12))
    assert best[1].correlation < -0.9
    assert find_units(traces, signal, top=1) == best[:1]
    assert find_units(traces["lstm"], signal, "cell", top=2) == best[:2]


def test_find_units_leaves_out_masked_steps_and_nan_signal_and_broadcasts_time():
    mask = np.ones((4, 10), bool)
    mask[:, 7:] = False
    traces, signal, c = _synthetic(mask)
    c[:, 7:, 2] = 1e6  # garbage at masked steps must not count
    sig = signal.copy()
    sig[0, 0] = np.nan
    keep = mask.copy()
    keep[0, 0] = False
    best = find_units(traces, sig, top=None)
    m2 = next(m for m in best if m.unit == 2)
    assert m2.correlation == pytest.approx(np.corrcoef(signal[keep], c[..., 2][keep])[0, 1], abs=1e-12)
    per_time = find_units(traces, np.arange(10.0), top=None)  # (time,) signal: the same for every sample
    tiled = find_units(traces, np.tile(np.arange(10.0), (4, 1)), top=None)
    assert per_time == tiled


def test_find_units_errors():
    traces, signal, _ = _synthetic()
    with pytest.raises(ValueError, match=r"shape \(samples, time\) = \(4, 10\) or \(time,\) = \(10,\).*\(3, 10\)"):
        find_units(traces, signal[:3])
    with pytest.raises(ValueError, match="no traced layer has quantity 'i'"):
        find_units(traces, signal, quantity="i")
    with pytest.raises(KeyError, match="No traced layer named 'gru'"):
        find_units(traces, signal, layer="gru")
    with pytest.raises(ValueError, match="`top` must be a positive int"):
        find_units(traces, signal, top=0)
    with pytest.raises(TypeError, match="must be the result of trace"):
        find_units({"lstm": 1}, signal)
