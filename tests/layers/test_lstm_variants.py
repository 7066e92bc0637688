"""LSTM(peephole=True) and LSTM(coupled_gates=True): the equations against a float64 NumPy reference,
the fused kernel's gradients against autodiff of the plain scan, weights, config, files, training."""

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit.layers.base import CallContext
from lstmkit.models import Model, Sequential, load_model, model_from_json

RNG = np.random.default_rng(23)
B, T, D, U = 3, 5, 2, 4
VARIANTS = {"peephole": {"peephole": True}, "coupled": {"coupled_gates": True},
            "both": {"peephole": True, "coupled_gates": True}}
RTOL = ATOL = 1e-5


def _x(b=B, t=T, d=D):
    return RNG.normal(size=(b, t, d)).astype("float32")


def _mask(b=B, t=T):
    m = np.ones((b, t), bool)
    m[0, :2] = False  # leading masked steps
    m[1, -1] = False  # a trailing one
    m[2, 2] = False  # one in the middle
    return m


def _randomize(layer, scale=0.6):
    layer.set_weights([(RNG.normal(size=w.shape) * scale).astype("float32") for w in layer.get_weights()])
    return layer


def _layer(variant, input_shape=(None, T, D), **kwargs):
    layer = L.LSTM(U, **VARIANTS[variant], **kwargs)
    layer.build(input_shape)
    return _randomize(layer)


# ----------------------------------------------------------------- the reference, written from the equations
def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def reference(layer, x, mask=None, h0=None, c0=None):
    """float64 NumPy: (outputs in processing order (batch, time, units), h, c) of an LSTM variant layer.

    peephole: i = σ(z_i + p_i c), f = σ(z_f + p_f c), o = σ(z_o + p_o c') (c' the new cell state);
    coupled: z = [z_i, z_c, z_o], f = 1 - i. Masked steps hold the state and repeat h (Keras's scan).
    """
    weights = {v.name: np.asarray(v.numpy(), np.float64) for v in layer.weights}
    W, Rk, b = weights["kernel"], weights["recurrent_kernel"], weights["bias"]
    peep = {g: weights.get(f"{name}_gate_peephole_weights", np.zeros(layer.units))
            for g, name in (("i", "input"), ("f", "forget"), ("o", "output"))}
    x = np.asarray(x, np.float64)
    h = np.zeros((x.shape[0], layer.units)) if h0 is None else np.asarray(h0, np.float64)
    c = np.zeros((x.shape[0], layer.units)) if c0 is None else np.asarray(c0, np.float64)
    steps = range(x.shape[1] - 1, -1, -1) if layer.go_backwards else range(x.shape[1])
    outs = []
    for t in steps:
        z = x[:, t] @ W + h @ Rk + b
        if layer.coupled_gates:
            z_i, z_c, z_o = np.split(z, 3, axis=-1)
            i = _sig(z_i + peep["i"] * c)
            f = 1.0 - i
        else:
            z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
            i = _sig(z_i + peep["i"] * c)
            f = _sig(z_f + peep["f"] * c)
        c_new = f * c + i * np.tanh(z_c)
        h_new = _sig(z_o + peep["o"] * c_new) * np.tanh(c_new)
        if mask is not None:
            keep = mask[:, t, None]
            h_new, c_new = np.where(keep, h_new, h), np.where(keep, c_new, c)
        h, c = h_new, c_new
        outs.append(h)
    return np.stack(outs, 1), h, c


def _close(got, want, what=""):
    np.testing.assert_allclose(np.asarray(got), want, rtol=RTOL, atol=ATOL, err_msg=what)


# ----------------------------------------------------------------- forward pass
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_forward_matches_reference(variant):
    """Every calling option, all cases of one variant in one compiled program."""
    x, mask = _x(), _mask()
    h0, c0 = (RNG.normal(size=(B, U)).astype("float32") for _ in range(2))
    seq = _layer(variant, return_sequences=True, return_state=True)
    last = _layer(variant)
    back = _layer(variant, return_sequences=True, go_backwards=True)
    masked = _layer(variant, return_sequences=True, return_state=True)
    masked_back = _layer(variant, go_backwards=True)
    unrolled = _layer(variant, return_sequences=True, unroll=True)
    bidi = L.Bidirectional(L.LSTM(U, return_sequences=True, **VARIANTS[variant]))
    bidi.build((None, T, D))
    _randomize(bidi)
    cases = {  # label: (layer, call kwargs, expected)
        "sequences+state": (seq, {}, list(reference(seq, x))),
        "last": (last, {}, reference(last, x)[1]),
        "go_backwards": (back, {}, reference(back, x)[0]),
        "mask": (masked, {"mask": mask}, list(reference(masked, x, mask))),
        "mask+go_backwards": (masked_back, {"mask": mask}, reference(masked_back, x, mask)[1]),
        "initial_state": (seq, {"initial_state": [h0, c0]}, list(reference(seq, x, h0=h0, c0=c0))),
        "mask+initial_state": (masked, {"mask": mask, "initial_state": [h0, c0]},
                               list(reference(masked, x, mask, h0, c0))),
        "unroll": (unrolled, {}, reference(unrolled, x)[0]),
        "bidirectional": (bidi, {}, np.concatenate([reference(bidi.forward_layer, x)[0],
                                                    reference(bidi.backward_layer, x)[0][:, ::-1]], -1)),
    }
    assert not bidi.backward_layer.return_state and bidi.backward_layer.go_backwards
    assert bidi.backward_layer.get_config()["peephole" if "peephole" in VARIANTS[variant] else "coupled_gates"]

    def run(params, x):
        return {label: layer.apply(p, x, CallContext(), **kwargs)[0]
                for (label, (layer, kwargs, _)), p in zip(cases.items(), params)}

    got = jax.jit(run)([layer.current_params() for layer, _, _ in cases.values()], jnp.asarray(x))
    for label, (_, _, expected) in cases.items():
        outputs = got[label] if isinstance(got[label], list) else [got[label]]
        expected = expected if isinstance(expected, list) else [expected]
        assert len(outputs) == len(expected), label
        for a, e in zip(outputs, expected):
            _close(a, e, label)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_stateful_carries_the_state_over_two_calls(variant):
    layer = _layer(variant, input_shape=(B, T, D), stateful=True, return_sequences=True)
    x1, x2 = _x(), _x()
    seq1, h1, c1 = reference(layer, x1)
    seq2, h2, c2 = reference(layer, x2, h0=h1, c0=c1)
    _close(layer(x1), seq1)
    _close(layer(x2), seq2)  # starts where x1 left the state
    _close(layer.states[0], h2)
    _close(layer.states[1], c2)
    layer.reset_states()
    _close(layer(x1), seq1)


def test_masking_layer_in_a_model():
    """A Masking layer's mask reaches every variant (one model, three branches)."""
    x, mask = _x(), _mask()
    x[~mask] = 0.0
    inputs = lstmkit.Input((T, D))
    masked = L.Masking(0.0)(inputs)
    branches = [L.LSTM(U, return_sequences=True, **VARIANTS[v], name=f"lstm_{v}") for v in VARIANTS]
    model = Model(inputs, [branch(masked) for branch in branches])
    for branch in branches:
        _randomize(branch)
    for branch, got in zip(branches, model.predict(x, verbose=0)):
        _close(got, reference(branch, x, mask)[0], branch.name)


# ----------------------------------------------------------------- gradients: fused kernel vs autodiff
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_fused_gradients_match_autodiff_of_the_plain_scan(variant):
    """The layer's fused path (hand-written backward) against `unroll=True` (the plain scan, autodiff), with a
    mask, input and recurrent dropout (per-gate masks, drawn alike from the same key and seed) and an initial
    state; every weight's gradient, the peepholes' included, within 1e-4 relative."""
    fused = _layer(variant, return_sequences=True, dropout=0.2, recurrent_dropout=0.3, seed=5)
    plain = L.LSTM.from_config({**fused.get_config(), "unroll": True, "name": "plain"})
    plain.build((None, T, D))
    plain.set_weights(fused.get_weights())
    assert fused._fused_cell() is not None and fused._per_gate_dropout()
    x, mask = jnp.asarray(_x()), jnp.asarray(_mask())
    weights = jnp.asarray(RNG.normal(size=(B, T, U)), jnp.float32)

    def loss(params, layer, key):
        ctx = CallContext(training=True, rng=key)
        # The unrolled loop repeats the previous output at a masked step, the scan the held h: the same
        # values from a zero initial state.
        out = layer.apply(params, x, ctx, mask=mask)[0]
        return jnp.sum(jnp.sin(out) * weights)

    key = jax.random.PRNGKey(3)
    grads = jax.jit(lambda p, q: (jax.value_and_grad(loss)(p, fused, key), jax.value_and_grad(loss)(q, plain, key)))
    (v_fused, g_fused), (v_plain, g_plain) = grads(fused.current_params(), plain.current_params())
    np.testing.assert_allclose(v_fused, v_plain, rtol=1e-5)
    names = [v.name for v in fused.weights]
    assert set(g_fused) == set(names)
    if fused.peephole:
        assert any("peephole" in n for n in names)
    for name in names:
        scale = float(jnp.max(jnp.abs(g_plain[name]))) + 1e-6
        assert scale > 1e-3, name  # the loss depends on every weight
        np.testing.assert_allclose(np.asarray(g_fused[name]) / scale, np.asarray(g_plain[name]) / scale,
                                   atol=1e-4, err_msg=name)


# ----------------------------------------------------------------- weights, counts, summary
@pytest.mark.parametrize("variant, count, layout", [
    ("peephole", 155, [("kernel", (1, 20)), ("recurrent_kernel", (5, 20)), ("bias", (20,)),
                       ("input_gate_peephole_weights", (5,)), ("forget_gate_peephole_weights", (5,)),
                       ("output_gate_peephole_weights", (5,))]),
    ("coupled", 105, [("kernel", (1, 15)), ("recurrent_kernel", (5, 15)), ("bias", (15,))]),
    ("both", 115, [("kernel", (1, 15)), ("recurrent_kernel", (5, 15)), ("bias", (15,)),
                   ("input_gate_peephole_weights", (5,)), ("output_gate_peephole_weights", (5,))]),
])
def test_parameter_counts_and_weight_layout(variant, count, layout):
    layer = L.LSTM(5, **VARIANTS[variant])
    layer.build((None, 3, 1))
    assert layer.count_params() == count
    assert [(v.name, v.shape) for v in layer.weights] == layout
    assert all(v.trainable for v in layer.weights)
    bias = layer.bias.numpy()
    if layer.coupled_gates:  # the input gate starts at -1: f = 1 - σ(-1) = σ(1), as a unit forget bias
        np.testing.assert_array_equal(bias, [-1] * 5 + [0] * 10)
    else:
        np.testing.assert_array_equal(bias, [0] * 5 + [1] * 5 + [0] * 10)
    for v in layer.weights:
        if "peephole" in v.name:  # kernel_initializer (glorot_uniform), as Keras 2's PeepholeLSTMCell
            assert np.all(np.abs(v.numpy()) <= np.sqrt(6 / 10)) and np.any(v.numpy() != 0)


def test_bias_initialisation_options():
    layer = L.LSTM(2, coupled_gates=True, unit_forget_bias=False, bias_initializer="ones")
    layer.build((None, 3, 1))
    np.testing.assert_array_equal(layer.bias.numpy(), np.ones(6))
    layer = L.LSTM(2, coupled_gates=True, peephole=True, use_bias=False, kernel_initializer="ones")
    layer.build((None, 3, 1))
    assert [v.name for v in layer.weights] == ["kernel", "recurrent_kernel", "input_gate_peephole_weights",
                                               "output_gate_peephole_weights"]
    np.testing.assert_array_equal(layer.input_gate_peephole_weights.numpy(), [1, 1])
    assert layer.count_params() == 3 * (1 + 2) * 2 + 2 * 2


@pytest.mark.parametrize("variant, expression, legend", [
    ("peephole", "4 × ((1 + 5) × 5 + 5) + 3 × 5 = 155",
     "4 gates (i, f, c, o) × ((features + units) × units + units) + 3 peepholes (i, f, o) × units"),
    ("coupled", "3 × ((1 + 5) × 5 + 5) = 105",
     "3 gates (i, c, o; f = 1 − i) × ((features + units) × units + units)"),
    ("both", "3 × ((1 + 5) × 5 + 5) + 2 × 5 = 115",
     "3 gates (i, c, o; f = 1 − i) × ((features + units) × units + units) + 2 peepholes (i, o) × units"),
])
def test_summary_explains_the_parameter_count(variant, expression, legend):
    from lstmkit.models.param_counts import explain

    layer = L.LSTM(5, **VARIANTS[variant])
    layer.build((None, 1, 1))
    assert explain(layer) == [expression, legend]
    lines = []
    Sequential([lstmkit.Input((1, 1)), layer]).summary(print_fn=lines.append, explain=True)
    assert any(expression in line for line in lines)
    bidi = L.Bidirectional(L.LSTM(5, **VARIANTS[variant]))
    bidi.build((None, 1, 1))
    assert explain(bidi)[0] == f"2 × ({expression.split(' = ')[0]}) = {2 * layer.count_params()}"
    no_bias = L.LSTM(5, use_bias=False, **VARIANTS[variant])
    no_bias.build((None, 1, 1))
    assert explain(no_bias)[1].endswith(", no bias")
    assert eval(explain(no_bias)[0].split(" = ")[0].replace("×", "*")) == no_bias.count_params()


# ----------------------------------------------------------------- config and files
def test_config_has_the_variant_keys_only_when_set():
    standard = L.LSTM(3).get_config()
    assert "peephole" not in standard and "coupled_gates" not in standard
    assert list(L.LSTM(3, peephole=False, coupled_gates=False).get_config()) == list(standard)
    for variant, kwargs in VARIANTS.items():
        config = L.LSTM(3, **kwargs).get_config()
        assert {k: config[k] for k in ("peephole", "coupled_gates") if k in config} == kwargs, variant
        assert set(config) - set(standard) == set(kwargs)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_config_round_trip(variant):
    layer = _layer(variant, return_sequences=True)
    config = layer.get_config()
    clone = L.LSTM.from_config(config)
    assert clone.get_config() == config
    assert (clone.peephole, clone.coupled_gates) == (layer.peephole, layer.coupled_gates)
    clone.build((None, T, D))
    assert [(v.name, v.shape) for v in clone.weights] == [(v.name, v.shape) for v in layer.weights]
    clone.set_weights(layer.get_weights())
    x = _x()
    _close(clone(x), layer(x))


def _variant_model():
    inputs = lstmkit.Input((T, D))
    seq = L.Bidirectional(L.LSTM(3, peephole=True, return_sequences=True, name="p"), name="bidi")(inputs)
    out = L.LSTM(2, coupled_gates=True, peephole=True, name="coupled")(seq)
    model = Model(inputs, L.Dense(1, name="head")(out))
    _randomize(model)
    return model


def _one_extension_warning(record):
    found = [w for w in record if issubclass(w.category, UserWarning) and "Keras cannot load" in str(w.message)]
    assert len(found) == 1, [str(w.message) for w in record]
    return str(found[0].message)


@pytest.mark.parametrize("filename", ["m.keras", "m.h5"])
def test_save_and_load_model_files(tmp_path, filename):
    model, x = _variant_model(), _x()
    model.compile("adam", "mse")
    expected = model.predict(x, verbose=0)
    path = tmp_path / filename
    with pytest.warns(UserWarning, match=r"Keras cannot load this file, because `LSTM\(peephole=True\)` and "
                                         r"`LSTM\(coupled_gates=True\)` are lstmkit extensions") as record:
        model.save(path)
    message = _one_extension_warning(record)
    assert ("layer(s) 'bidi/forward_p' (LSTM(peephole=True)), 'bidi/backward_p' (LSTM(peephole=True)), "
            "'coupled' (LSTM(peephole=True, coupled_gates=True))") in message
    assert "(lstmkit can load it)" in message
    loaded = load_model(path)
    assert loaded.get_layer("coupled").get_config() == model.get_layer("coupled").get_config()
    assert [v.name for v in loaded.get_layer("coupled").weights] == [v.name for v in
                                                                     model.get_layer("coupled").weights]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)


@pytest.mark.parametrize("filename", ["w.weights.h5", "w.h5"])
def test_save_and_load_weights(tmp_path, filename):
    model, x = _variant_model(), _x()
    path = tmp_path / filename
    with pytest.warns(UserWarning, match=r"Saved '.*' with layer\(s\) 'bidi/forward_p'") as record:
        model.save_weights(path)
    _one_extension_warning(record)
    other = model_from_json(model.to_json())
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))


def test_one_variant_names_only_its_argument_and_standard_models_do_not_warn(tmp_path):
    model = Sequential([lstmkit.Input((T, D)), L.LSTM(2, coupled_gates=True, name="c")])
    with pytest.warns(UserWarning) as record:
        model.save(tmp_path / "c.keras")
    assert _one_extension_warning(record) == (
        f"Saved '{tmp_path / 'c.keras'}' with layer(s) 'c' (LSTM(coupled_gates=True)): Keras cannot load this "
        "file, because `LSTM(coupled_gates=True)` is an lstmkit extension (lstmkit can load it).")
    standard = Sequential([lstmkit.Input((T, D)), L.LSTM(2)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        standard.save(tmp_path / "s.keras")
        standard.save_weights(tmp_path / "s.weights.h5")


# ----------------------------------------------------------------- arguments
@pytest.mark.parametrize("kwargs, message", [
    ({"peephole": 1}, "Received an invalid value for argument `peephole` of LSTM: expected True or False, got 1."),
    ({"coupled_gates": "yes"},
     "Received an invalid value for argument `coupled_gates` of LSTM: expected True or False, got 'yes'."),
    ({"peephole": None}, "Received an invalid value for argument `peephole` of LSTM: expected True or False, "
                         "got None."),
    ({"peephole": True, "use_cudnn": True},
     "use_cudnn=True was specified, but cuDNN has no kernel for LSTM(peephole=True). "
     "Pass use_cudnn='auto' or False."),
    ({"peephole": True, "coupled_gates": True, "use_cudnn": True},
     "use_cudnn=True was specified, but cuDNN has no kernel for LSTM(peephole=True, coupled_gates=True). "
     "Pass use_cudnn='auto' or False."),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as info:
        L.LSTM(2, **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("cls", [L.GRU, L.SimpleRNN])
@pytest.mark.parametrize("arg", ["peephole", "coupled_gates"])
def test_gru_and_simple_rnn_do_not_take_the_variant_arguments(cls, arg):
    with pytest.raises(TypeError, match=f"Unrecognized keyword arguments passed to {cls.__name__}: "
                                        f"{{'{arg}': True}}"):
        cls(2, **{arg: True})


def test_variants_accept_use_cudnn_auto_and_false_and_numpy_bools():
    assert L.LSTM(2, peephole=True, use_cudnn=False).use_cudnn is False
    layer = L.LSTM(2, coupled_gates=np.bool_(True))
    assert layer.coupled_gates is True and layer.lstmkit_extensions == ["coupled_gates=True"]
    assert L.LSTM(2).lstmkit_extensions == []


# ----------------------------------------------------------------- training
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_variant_trains(variant):
    """A tiny sequence task (the sum of the inputs): 30 epochs bring the loss well down."""
    lstmkit.utils.set_random_seed(0)
    x = RNG.uniform(-1, 1, size=(32, 6, 1)).astype("float32")
    y = x.sum(axis=1)
    model = Sequential([lstmkit.Input((6, 1)), L.LSTM(8, **VARIANTS[variant]), L.Dense(1)])
    model.compile(lstmkit.optimizers.Adam(0.03), "mse")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    loss = history.history["loss"]
    assert loss[-1] < 0.25 * loss[0], loss
