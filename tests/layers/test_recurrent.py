"""LSTM, GRU and SimpleRNN against Keras 3 (JAX backend): outputs, gradients, masks, states, config, errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402
from lstmkit.layers.base import CallContext  # noqa: E402
from lstmkit.models import Model, Sequential  # noqa: E402

RNG = np.random.default_rng(11)
B, T, D, U = 3, 4, 2, 3
CLASSES = {"LSTM": (L.LSTM, keras.layers.LSTM), "GRU": (L.GRU, keras.layers.GRU),
           "SimpleRNN": (L.SimpleRNN, keras.layers.SimpleRNN)}


def _x(b=B, t=T, d=D):
    return RNG.normal(size=(b, t, d)).astype("float32")


def _mask(b=B, t=T):
    m = np.ones((b, t), bool)
    m[0, :2] = False  # leading masked steps
    m[1, -1] = False  # a trailing one
    m[2, 1] = False  # one in the middle
    return m


ZEROS = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}


def _random_weights(layer):
    return [(RNG.normal(size=v.shape) * 0.5).astype("float32") for v in layer.weights]


def _pair(name, units=U, input_shape=(None, T, D), **kwargs):
    """Our layer and Keras's, built with the same random weights.

    Both start from zeros initializers (Keras's random initializers compile per shape, slowly) and
    then get the same NumPy random weights.
    """
    ours_cls, keras_cls = CLASSES[name]
    kwargs = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros", **kwargs}
    k = keras_cls(units, **kwargs)
    k.build(input_shape)
    ours = ours_cls(units, **kwargs)
    ours.build(input_shape)
    k.set_weights(_random_weights(k))
    ours.set_weights(k.get_weights())
    return ours, k


def _ordered(layer, tree):
    """A params-shaped tree's leaves in the order of `layer.weights` (Keras's order)."""
    out = [tree[v.name] for v in layer._vars]
    for attr, sub in layer._sublayers.items():
        out += _ordered(sub, tree[attr])
    return out


def _compile_and_run(fn, *args):
    """jit with XLA's backend optimizations off: the test programs compile about twice as fast."""
    lowered = jax.jit(fn).lower(*args)
    try:
        compiled = lowered.compile(compiler_options={"xla_backend_optimization_level": 0})
    except Exception:  # an XLA without the option
        compiled = lowered.compile()
    return compiled(*args)


def run_oracle(cases, atol=1e-5, grad_atol=1e-4):
    """Compare our layers with Keras's on many cases at once.

    cases: list of (label, ours, keras_layer, x, call_kwargs, check_grads). All our layers run in ONE
    jitted program and all Keras layers (through `stateless_call`) in another: one compile per side
    instead of one per case keeps the suite fast. With check_grads, gradients of a random projection of
    every output w.r.t. the inputs and every weight are compared too (each scan gradient adds about half
    a second of compile time on a small CPU, so the cases check them on a subset covering every code
    path). Returns {label: our outputs}; fails listing every mismatching case.
    """
    labels = [c[0] for c in cases]
    grad_flags = [c[5] for c in cases]
    xs = [jnp.asarray(c[3]) for c in cases]
    kws = [{key: v for key, v in c[4].items() if not isinstance(v, bool)} for c in cases]  # traced
    static = [{key: v for key, v in c[4].items() if isinstance(v, bool)} for c in cases]  # e.g. training=True
    ours_fns = [lambda w, xx, kw, l=c[1], st=st: l.apply(w, xx, CallContext(), **kw, **st)[0]
                for c, st in zip(cases, static)]
    keras_fns = [lambda w, xx, kw, k=c[2], st=st, n=[v.value for v in c[2].non_trainable_variables]:
                 k.stateless_call(w, n, xx, **kw, **st)[0] for c, st in zip(cases, static)]
    ours_w = [c[1].current_params() for c in cases]
    keras_w = [[v.value for v in c[2].trainable_variables] for c in cases]
    projections = []
    for f, w, xx, kw in zip(ours_fns, ours_w, xs, kws):
        shapes = jax.tree_util.tree_leaves(jax.eval_shape(f, w, xx, kw))
        projections.append([jnp.asarray(RNG.normal(size=sh.shape), jnp.float32) for sh in shapes])

    def program(fns):
        def run(ws, xs, kws):
            results = []
            for f, w, xx, kw, proj, grads in zip(fns, ws, xs, kws, projections, grad_flags):
                if not grads:
                    results.append((f(w, xx, kw), None))
                    continue

                def loss(w, xx, f=f, kw=kw, proj=proj):
                    out = f(w, xx, kw)
                    return sum(jnp.sum(a * r) for a, r in zip(jax.tree_util.tree_leaves(out), proj)), out

                (_, out), g = jax.value_and_grad(loss, argnums=(0, 1), has_aux=True)(w, xx)
                results.append((out, g))
            return results

        return run

    ours_res = _compile_and_run(program(ours_fns), ours_w, xs, kws)
    keras_res = _compile_and_run(program(keras_fns), keras_w, xs, kws)
    failures = []
    for label, case, (out, g), (want, kg) in zip(labels, cases, ours_res, keras_res):
        got_l, want_l = jax.tree_util.tree_leaves(out), jax.tree_util.tree_leaves(want)
        pairs = [("output", a, b) for a, b in zip(got_l, want_l)]
        if len(got_l) != len(want_l):
            failures.append(f"{label}: {len(got_l)} outputs, Keras {len(want_l)}")
            continue
        if g is not None:
            ours_grads = _ordered(case[1], g[0])
            pairs += [("d/dx", g[1], kg[1])] + [(f"d/dw{i}", a, b) for i, (a, b) in enumerate(zip(ours_grads, kg[0]))]
        for what, a, b in pairs:
            tol = atol if what == "output" else grad_atol
            try:
                assert a.shape == tuple(b.shape), f"shape {a.shape} vs {tuple(b.shape)}"
                np.testing.assert_allclose(a, np.asarray(b), atol=tol, rtol=tol)
            except AssertionError as e:
                failures.append(f"{label} {what}: {str(e).strip().splitlines()[0:6]}")
    assert not failures, "\n".join(failures)
    return {label: out for label, (out, _) in zip(labels, ours_res)}


# (layer, kwargs, check gradients too)
OPTION_CASES = [
    ("LSTM", {}, True),
    ("LSTM", {"activation": "relu"}, False),
    ("LSTM", {"activation": "hard_sigmoid", "recurrent_activation": "tanh"}, False),
    ("LSTM", {"activation": "linear", "recurrent_activation": "hard_sigmoid"}, False),
    ("LSTM", {"activation": None}, False),
    ("LSTM", {"use_bias": False, "return_sequences": True}, False),
    ("LSTM", {"return_state": True}, False),
    ("LSTM", {"return_sequences": True, "return_state": True, "go_backwards": True}, True),
    ("LSTM", {"go_backwards": True}, False),
    ("LSTM", {"unroll": True, "return_sequences": True}, True),
    ("LSTM", {"unroll": True, "go_backwards": True, "return_state": True}, False),
    ("LSTM", {"unit_forget_bias": False, "implementation": 1}, False),
    ("GRU", {}, True),
    ("GRU", {"reset_after": False}, True),
    ("GRU", {"reset_after": False, "return_sequences": True, "go_backwards": True, "unroll": True}, False),
    ("GRU", {"activation": "relu", "recurrent_activation": "hard_sigmoid", "return_state": True}, False),
    ("GRU", {"use_bias": False, "return_sequences": True}, False),
    ("GRU", {"reset_after": False, "use_bias": False, "activation": None, "return_state": True}, False),
    ("SimpleRNN", {}, False),
    ("SimpleRNN", {"activation": "relu", "return_sequences": True, "go_backwards": True}, True),
    ("SimpleRNN", {"activation": None, "use_bias": False, "return_state": True, "unroll": True}, False),
    ("SimpleRNN", {"activation": "linear", "return_sequences": True, "return_state": True}, False),
]


def test_every_option_matches_keras_outputs_and_gradients():
    cases = []
    for name, kwargs, grads in OPTION_CASES:
        ours, k = _pair(name, **kwargs)
        cases.append((f"{name}{kwargs}", ours, k, _x(), {}, grads))
    run_oracle(cases)


MASK_CASES = [
    ("LSTM", {"return_sequences": True}, False),
    ("LSTM", {}, False),
    ("LSTM", {"return_sequences": True, "go_backwards": True, "return_state": True}, True),
    ("LSTM", {"return_sequences": True, "unroll": True}, False),
    ("LSTM", {"go_backwards": True, "unroll": True}, False),
    ("GRU", {"return_sequences": True}, True),
    ("GRU", {"reset_after": False, "go_backwards": True, "unroll": True, "return_sequences": True}, False),
    ("SimpleRNN", {"return_sequences": True, "return_state": True}, False),
    ("LSTM", {"return_sequences": True, "zero_output_for_mask": True}, False),
]


def test_masks_and_initial_states_match_keras():
    cases = []
    for name, kwargs, grads in MASK_CASES:
        ours, k = _pair(name, **kwargs)
        cases.append((f"mask {name}{kwargs}", ours, k, _x(), {"mask": _mask()}, grads))
    h0, c0 = (RNG.normal(size=(B, U)).astype("float32") for _ in range(2))
    for unroll in (False, True):
        # Keras's scan fills masked steps with the carried h; its unrolled loop with the previous
        # output (zeros before the first unmasked step): visible with a nonzero initial state.
        ours, k = _pair("LSTM", return_sequences=True, unroll=unroll)
        cases.append((f"mask+initial_state unroll={unroll}", ours, k, _x(),
                      {"mask": _mask(), "initial_state": [h0, c0]}, False))
    for name in ("LSTM", "GRU", "SimpleRNN"):
        ours, k = _pair(name, return_state=True, go_backwards=True)
        states = [RNG.normal(size=(B, U)).astype("float32") for _ in range(2 if name == "LSTM" else 1)]
        cases.append((f"initial_state {name}", ours, k, _x(), {"initial_state": states}, False))
    outs = run_oracle(cases)
    np.testing.assert_array_equal(outs["mask+initial_state unroll=True"][0, :2], 0)
    np.testing.assert_allclose(outs["mask+initial_state unroll=False"][0, :2], np.broadcast_to(h0[0], (2, U)),
                               atol=1e-6)


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_output_mask(return_sequences, return_state):
    layer = L.LSTM(2, return_sequences=return_sequences, return_state=return_state)
    mask = _mask()
    out_mask = layer.compute_mask(None, mask)
    if return_state:
        assert out_mask[1:] == [None, None]
        out_mask = out_mask[0]
    assert out_mask is (mask if return_sequences else None)
    assert L.GRU(2, return_state=True).compute_mask(None, mask) == [None, None]


def test_masking_and_embedding_in_models_match_keras():
    x = _x(4, 5, 2)
    x[0, 3:] = 0.0
    x[2, :2] = 0.0
    km = keras.Sequential([keras.Input((5, 2)), keras.layers.Masking(0.0),
                           keras.layers.LSTM(3, return_sequences=True, **ZEROS), keras.layers.GRU(2, **ZEROS)])
    m = Sequential([lstmkit.Input((5, 2)), L.Masking(0.0), L.LSTM(3, return_sequences=True), L.GRU(2)])
    km.set_weights(_random_weights(km))
    m.set_weights(km.get_weights())
    np.testing.assert_allclose(m.predict(x, verbose=0), km.predict(x, verbose=0), atol=1e-5)

    ids = RNG.integers(1, 9, size=(4, 6))
    ids[0, 4:] = 0
    ids[1, :3] = 0
    km = keras.Sequential([keras.Input((6,), dtype="int32"), keras.layers.Embedding(9, 3, mask_zero=True),
                           keras.layers.SimpleRNN(2, return_sequences=True, **ZEROS)])
    m = Sequential([lstmkit.Input((6,), dtype="int32"), L.Embedding(9, 3, mask_zero=True),
                    L.SimpleRNN(2, return_sequences=True)])
    km.set_weights(_random_weights(km))
    m.set_weights(km.get_weights())
    np.testing.assert_allclose(m.predict(ids, verbose=0), km.predict(ids, verbose=0), atol=1e-5)


def test_functional_return_state_and_initial_state():
    enc_in, dec_in = lstmkit.Input((T, D)), lstmkit.Input((2, 1))
    out, h, c = L.LSTM(U, return_state=True)(enc_in)
    assert out.shape == h.shape == c.shape == (None, U)
    dec = L.LSTM(U, return_sequences=True)(dec_in, initial_state=[h, c])
    assert dec.shape == (None, 2, U)
    model = Model([enc_in, dec_in], [dec, h])

    k_enc, k_dec = keras.Input((T, D)), keras.Input((2, 1))
    _, kh, kc = keras.layers.LSTM(U, return_state=True, **ZEROS)(k_enc)
    kdec = keras.layers.LSTM(U, return_sequences=True, **ZEROS)(k_dec, initial_state=[kh, kc])
    kmodel = keras.Model([k_enc, k_dec], [kdec, kh])
    kmodel.set_weights(_random_weights(kmodel))
    model.set_weights(kmodel.get_weights())
    xs = [_x(), RNG.normal(size=(B, 2, 1)).astype("float32")]
    for a, b in zip(model.predict(xs, verbose=0), kmodel.predict(xs, verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_eager_and_symbolic_use():
    y = L.LSTM(4)(np.zeros((2, 3, 1)))
    assert y.shape == (2, 4)
    seq, h = L.GRU(4, return_sequences=True, return_state=True)(np.zeros((2, 3, 1)))
    assert seq.shape == (2, 3, 4) and h.shape == (2, 4)
    layer = L.SimpleRNN(2, return_sequences=True, return_state=True)
    assert layer.compute_output_shape((None, 7, 3)) == [(None, 7, 2), (None, 2)]
    assert L.LSTM(2, return_state=True).compute_output_shape((5, 7, 3)) == [(5, 2), (5, 2), (5, 2)]


def test_parameter_counts_and_weight_layout():
    for units, features, count in [(5, 1, 140), (50, 1, 10400)]:
        layer = L.LSTM(units)
        layer.build((None, 3, features))
        assert layer.count_params() == count
    layer = L.LSTM(5)
    layer.build((None, 3, 2))
    assert [(v.name, v.shape) for v in layer.weights] == [("kernel", (2, 20)), ("recurrent_kernel", (5, 20)),
                                                         ("bias", (20,))]
    np.testing.assert_array_equal(layer.bias.numpy(), [0] * 5 + [1] * 5 + [0] * 10)  # unit_forget_bias
    for name, kwargs in [("GRU", {"reset_after": True}), ("GRU", {"reset_after": False}), ("SimpleRNN", {}),
                         ("LSTM", {"use_bias": False})]:
        ours, k = _pair(name, units=7, input_shape=(None, 3, 2), **kwargs)
        assert ours.count_params() == k.count_params()
        assert [v.shape for v in ours.weights] == [tuple(w.shape) for w in k.weights]


def test_stateful_carries_state_across_calls_like_keras():
    x1, x2 = _x(), _x()
    ours, k = _pair("LSTM", stateful=True, return_sequences=True, input_shape=(B, T, D))
    first = ours(x1)
    np.testing.assert_allclose(first, k(x1), atol=1e-5)
    np.testing.assert_allclose(ours(x2), k(x2), atol=1e-5)  # starts from the state x1 left
    np.testing.assert_allclose(ours.states[0], k.states[0].value, atol=1e-5)
    np.testing.assert_allclose(ours.states[1], k.states[1].value, atol=1e-5)
    ours.reset_states()
    np.testing.assert_array_equal(ours.states[0], np.zeros((B, U)))
    np.testing.assert_allclose(ours(x1), first, atol=1e-6)

    # the pure call: state in through ctx, out through ctx
    h, c = np.ones((B, U), np.float32), np.zeros((B, U), np.float32)
    ours.reset_states([h, c])
    ctx = CallContext(state_in={ours._state_key: ours._states})
    out, _ = ours.apply(ours.current_params(), jnp.asarray(x2), ctx)
    new_h, _ = ctx.state_out[ours._state_key]
    np.testing.assert_allclose(out[:, -1], new_h, atol=1e-6)
    ref, _ = L.LSTM(U, return_sequences=True).apply(ours.current_params(), jnp.asarray(x2), CallContext(),
                                                    initial_state=[h, c])
    np.testing.assert_allclose(out, ref, atol=1e-6)


@pytest.mark.parametrize("name", ["GRU", "SimpleRNN"])
def test_stateful_single_state_layers(name):
    ours, k = _pair(name, stateful=True, input_shape=(B, T, D))
    x1, x2 = _x(), _x()
    k(x1)
    ours(x1)
    np.testing.assert_allclose(ours(x2), k(x2), atol=1e-5)
    assert len(ours.states) == 1


def test_reset_states_errors():
    layer = L.LSTM(U)
    layer(np.zeros((B, T, D)))
    with pytest.raises(ValueError, match="Layer must be stateful"):
        layer.reset_states()
    with pytest.raises(AttributeError, match="Layer must be stateful"):
        layer.reset_state()
    stateful = L.LSTM(U, stateful=True, batch_input_shape=(4, T, D))
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        stateful.reset_states([np.zeros((2, U)), np.zeros((2, U))])
    with pytest.raises(ValueError, match="expects 2 state arrays"):
        stateful.reset_states([np.zeros((4, U))])
    stateful.reset_states([np.ones((4, U)), np.ones((4, U))])
    np.testing.assert_array_equal(stateful.states[1], np.ones((4, U)))


def test_stateful_batch_size_mismatch_is_clear_error():
    layer = L.GRU(U, stateful=True)
    layer(np.zeros((4, T, D)))
    with pytest.raises(ValueError, match=r"batch size 4.*batch size 2"):
        layer(np.zeros((2, T, D)))


def test_wrong_rank_is_keras_like_error():
    with pytest.raises(ValueError, match=r'Input 0 of layer "lstm_rank" is incompatible with the layer: '
                                         r"expected ndim=3, found ndim=2. Full shape received: \(None, 3\)"):
        L.LSTM(4, name="lstm_rank")(lstmkit.Input((3,)))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        L.GRU(4)(np.zeros((2, 3)))
    layer = L.SimpleRNN(2)
    layer(np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 1"):
        layer(np.zeros((2, 3, 5)))


@pytest.mark.parametrize("units", [0, -3, 2.5, True, "4"])
def test_bad_units(units):
    with pytest.raises(ValueError, match="units"):
        L.LSTM(units)


def test_argument_validation():
    with pytest.raises(ValueError, match="dropout"):
        L.LSTM(2, dropout=1.5)
    with pytest.raises(ValueError, match="recurrent_dropout"):
        L.GRU(2, recurrent_dropout=-0.1)
    with pytest.raises(ValueError, match="implementation"):
        L.LSTM(2, implementation=3)
    with pytest.raises(TypeError, match="time_major"):
        L.LSTM(2, time_major=True)
    with pytest.raises(TypeError, match="implementation"):
        L.SimpleRNN(2, implementation=1)
    with pytest.raises(ValueError, match="use_cudnn"):
        L.LSTM(2, use_cudnn="yes")
    with pytest.raises(ValueError):
        L.LSTM(2, activation="no_such_activation")
    layer = L.LSTM(2)
    layer(np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="expects 2 initial state"):
        layer(np.zeros((2, 3, 1)), initial_state=[np.zeros((2, 2))])
    with pytest.raises(ValueError, match=r"should have shape \(2, 2\)"):
        layer(np.zeros((2, 3, 1)), initial_state=[np.zeros((2, 3)), np.zeros((2, 3))])
    # legacy input_dim / input_length
    assert L.LSTM(2, input_dim=3)._batch_input_shape == (None, None, 3)
    assert L.LSTM(2, input_dim=3, input_length=5)._batch_input_shape == (None, 5, 3)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN"])
def test_config_keys_match_keras_and_round_trip(name):
    kwargs = {"return_sequences": True, "go_backwards": True, "dropout": 0.25, "seed": 3}
    if name != "SimpleRNN":
        kwargs["recurrent_activation"] = "hard_sigmoid"
    ours, k = _pair(name, **kwargs)
    config, k_config = ours.get_config(), k.get_config()
    extra = {"seed"} if name == "SimpleRNN" else set()  # Keras 3 drops SimpleRNN's seed from its config
    assert set(config) - {"batch_input_shape"} == set(k_config) | extra
    for key in ("units", "activation", "return_sequences", "go_backwards", "dropout", "recurrent_dropout", "stateful",
                "unroll", "use_bias", "zero_output_for_mask", "kernel_regularizer", "bias_constraint"):
        assert config[key] == k_config[key], key
    if name != "SimpleRNN":
        assert config["recurrent_activation"] == "hard_sigmoid" and config["seed"] == 3
    clone = type(ours).from_config(config)
    assert clone.get_config() == config
    clone.build((None, T, D))
    clone.set_weights(ours.get_weights())
    x = jnp.asarray(_x())
    np.testing.assert_allclose(clone.apply(clone.current_params(), x, CallContext())[0],
                               ours.apply(ours.current_params(), x, CallContext())[0], atol=1e-6)


# ----------------------------------------------------------------- dropout
def _fixed_masks(k, ours, in_masks, rec_masks):
    """Make Keras and us use the same dropout masks (Keras caches them on the cell)."""
    k.cell._dropout_mask = None if in_masks is None else (
        [jnp.asarray(m) for m in in_masks] if in_masks.ndim == 3 else jnp.asarray(in_masks))
    k.cell._recurrent_dropout_mask = None if rec_masks is None else (
        [jnp.asarray(m) for m in rec_masks] if rec_masks.ndim == 3 else jnp.asarray(rec_masks))
    ours._dropout_masks = lambda ctx, training, batch, input_dim: (
        (None if in_masks is None else jnp.asarray(in_masks)), (None if rec_masks is None else jnp.asarray(rec_masks)))


def _drop(shape, rate):
    return ((RNG.random(shape) >= rate) / (1 - rate)).astype("float32")


DROPOUT_CASES = [("LSTM", 0.5, 0.0, 0), ("LSTM", 0.5, 0.25, 4), ("LSTM", 0.0, 0.5, 4), ("GRU", 0.5, 0.0, 0),
                 ("GRU", 0.5, 0.5, 3), ("GRU", 0.3, 0.5, 3, False), ("SimpleRNN", 0.5, 0.5, 0)]


def test_dropout_semantics_match_keras_given_the_same_masks():
    # Which inputs and gates each mask multiplies (one mask, or one per gate with recurrent_dropout), checked
    # by handing Keras (which caches its masks on the cell) and us the same masks, in training mode.
    cases = []
    for case in DROPOUT_CASES:
        name, rate, rec_rate, gates = case[:4]
        extra = {"reset_after": case[4]} if len(case) > 4 else {}
        ours, k = _pair(name, dropout=rate, recurrent_dropout=rec_rate, return_sequences=True, **extra)
        lead = (gates,) if gates else ()
        in_masks = _drop(lead + (B, D), rate) if rate else None
        rec_masks = _drop(lead + (B, U), rec_rate) if rec_rate else None
        if name != "SimpleRNN":
            assert ours._per_gate_dropout() == bool(gates)
        _fixed_masks(k, ours, in_masks, rec_masks)
        cases.append((f"dropout {case}", ours, k, _x(), {"training": True}, False))
    run_oracle(cases)


def test_dropout_active_only_in_training_and_reproducible_with_seed():
    layer = L.LSTM(U, dropout=0.5, recurrent_dropout=0.5, seed=1, return_sequences=True)
    layer.build((None, T, D))
    other_seed = L.LSTM(U, dropout=0.5, recurrent_dropout=0.5, seed=2, return_sequences=True)
    other_seed.build((None, T, D))
    params, x = layer.current_params(), jnp.asarray(_x())

    def outputs(params, x, k0, k1):
        return [layer.apply(params, x, CallContext(training=False))[0],
                layer.apply(params, x, CallContext(training=True, rng=k0))[0],
                layer.apply(params, x, CallContext(training=True, rng=k0))[0],
                layer.apply(params, x, CallContext(training=True, rng=k1))[0],
                other_seed.apply(params, x, CallContext(training=True, rng=k0))[0],
                layer.apply(params, x, CallContext(training=True), training=False)[0],  # call kwarg wins
                layer.apply(params, x, CallContext(), training=True)[0]]

    infer, a, b, c, d, infer2, trained = _compile_and_run(outputs, params, x, jax.random.PRNGKey(0),
                                                          jax.random.PRNGKey(1))
    assert not np.allclose(a, infer)
    np.testing.assert_array_equal(a, b)  # same key and seed: same masks
    assert not np.allclose(a, c)  # another call key: other masks
    assert not np.allclose(a, d)  # another seed: other masks
    np.testing.assert_allclose(infer2, infer)
    assert not np.allclose(trained, infer)
    masks = jax.eval_shape(lambda: layer._dropout_masks(CallContext(training=True, rng=jax.random.PRNGKey(0)), True,
                                                        B, D))
    assert masks[0].shape == (4, B, D) and masks[1].shape == (4, B, U)  # per gate, no time axis
    assert layer._dropout_masks(CallContext(), False, B, D) == (None, None)


def test_dropout_masks_are_constant_across_steps():
    # A linear SimpleRNN with kernel = I and no recurrence outputs x_t * mask at every step;
    # with recurrence = I and no input it outputs h0 * mask ** t.
    n = 6
    layer = L.SimpleRNN(n, activation=None, use_bias=False, dropout=0.5, return_sequences=True)
    layer.build((None, 5, n))
    layer.set_weights([np.eye(n), np.zeros((n, n))])
    out, _ = layer.apply(layer.current_params(), jnp.ones((2, 5, n)), CallContext(training=True))
    assert 0 < np.count_nonzero(out[:, 0]) < out[:, 0].size
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1], out.shape))

    rec = L.SimpleRNN(n, activation=None, use_bias=False, recurrent_dropout=0.5, return_sequences=True)
    rec.build((None, 5, n))
    rec.set_weights([np.zeros((n, n)), np.eye(n)])
    out, _ = rec.apply(rec.current_params(), jnp.zeros((2, 5, n)), CallContext(training=True),
                       initial_state=[jnp.ones((2, n))])
    mask = np.asarray(out[:, 0])
    for t in range(5):
        np.testing.assert_allclose(out[:, t], mask ** (t + 1))
