"""Bidirectional against Keras 3 (JAX backend): merge modes, sequences, states, masks, config, errors."""

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
from lstmkit.models import Sequential  # noqa: E402

RNG = np.random.default_rng(5)
B, T, D, U = 3, 4, 2, 3
ZEROS = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}
INNER = {"LSTM": (L.LSTM, keras.layers.LSTM), "GRU": (L.GRU, keras.layers.GRU),
         "SimpleRNN": (L.SimpleRNN, keras.layers.SimpleRNN)}


def _x():
    return RNG.normal(size=(B, T, D)).astype("float32")


def _mask():
    m = np.ones((B, T), bool)
    m[0, :2] = False
    m[1, -1] = False
    m[2, 1] = False
    return m


def _pair(inner="LSTM", merge_mode="concat", input_shape=(None, T, D), **kwargs):
    ours_cls, keras_cls = INNER[inner]
    k = keras.layers.Bidirectional(keras_cls(U, **ZEROS, **kwargs), merge_mode=merge_mode)
    k.build(input_shape)
    ours = L.Bidirectional(ours_cls(U, **ZEROS, **kwargs), merge_mode=merge_mode)
    ours.build(input_shape)
    k.set_weights([(RNG.normal(size=w.shape) * 0.5).astype("float32") for w in k.get_weights()])
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


CASES = [(mode, seq, state) for mode in ("concat", "sum", "mul", "ave", None) for seq in (False, True)
         for state in (False, True)]


def _flat_shapes(s):
    return [tuple(d) for d in s] if isinstance(s, (list, tuple)) and isinstance(s[0], (list, tuple)) else [tuple(s)]


def test_matches_keras_for_every_merge_mode():
    cases = []
    for merge_mode, seq, state in CASES:
        ours, k = _pair("LSTM", merge_mode, return_sequences=seq, return_state=state)
        label = f"merge_mode={merge_mode} return_sequences={seq} return_state={state}"
        cases.append((label, ours, k, _x(), {}, seq and merge_mode in ("concat", "mul")))
        assert _flat_shapes(ours.compute_output_shape((None, T, D))) == \
            _flat_shapes(k.compute_output_shape((None, T, D))), label
    outs = run_oracle(cases)
    for (label, ours, *_), out in zip(cases, outs.values()):
        assert len(jax.tree_util.tree_leaves(out)) == len(_flat_shapes(ours.compute_output_shape((None, T, D))))


MASK_CASES = [("LSTM", "concat", True, True), ("GRU", None, True, False), ("LSTM", "sum", False, False),
              ("SimpleRNN", "ave", True, False)]


def test_masks_and_initial_state_match_keras():
    cases = []
    for inner, merge_mode, seq, grads in MASK_CASES:
        ours, k = _pair(inner, merge_mode, return_sequences=seq)
        cases.append((f"mask {inner} {merge_mode} return_sequences={seq}", ours, k, _x(), {"mask": _mask()}, grads))
    ours, k = _pair("GRU", "concat", return_sequences=True, return_state=True, unroll=True)
    cases.append(("mask GRU unroll return_state", ours, k, _x(), {"mask": _mask()}, False))
    ours, k = _pair("LSTM", "concat", return_sequences=True, return_state=True)
    states = [RNG.normal(size=(B, U)).astype("float32") for _ in range(4)]  # forward h, c then backward h, c
    cases.append(("initial_state", ours, k, _x(), {"initial_state": states}, False))
    run_oracle(cases)


@pytest.mark.parametrize("merge_mode", ["concat", None])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_output_masks(merge_mode, return_sequences, return_state):
    bi = L.Bidirectional(L.LSTM(2, return_sequences=return_sequences, return_state=return_state),
                         merge_mode=merge_mode)
    mask = _mask()
    out = bi.compute_mask(None, mask)
    expected = mask if return_sequences else None
    heads = [expected, expected] if merge_mode is None else [expected]
    if return_state or merge_mode is None:
        n_states = 4 if return_state else 0
        assert isinstance(out, list) and len(out) == len(heads) + n_states
        assert all(m is None for m in out[len(heads):])
        out = out[:len(heads)]
    else:
        out = [out]
    assert all(o is e for o, e in zip(out, heads))


def test_names_weights_and_counts():
    inner = L.LSTM(10, name="enc")
    bi = L.Bidirectional(inner)
    bi.build((None, 3, 1))
    kb = keras.layers.Bidirectional(keras.layers.LSTM(10, **ZEROS))
    kb.build((None, 3, 1))
    assert bi.count_params() == kb.count_params() == 2 * (4 * 10 * (1 + 10 + 1))
    assert bi.forward_layer.name == "forward_enc" and bi.backward_layer.name == "backward_enc"
    assert not bi.forward_layer.go_backwards and bi.backward_layer.go_backwards
    assert [v.name for v in bi.weights] == ["kernel", "recurrent_kernel", "bias"] * 2
    assert bi.weights[0] is bi.forward_layer.kernel and bi.weights[3] is bi.backward_layer.kernel
    params = bi.current_params()
    assert set(params) == {"forward_layer", "backward_layer"}
    assert inner.built is False  # the wrapped layer is copied, not used
    # go_backwards on the given layer: the copy goes the other way
    rev = L.Bidirectional(L.GRU(2, go_backwards=True))
    assert rev.forward_layer.go_backwards and not rev.backward_layer.go_backwards


def test_sequential_with_input_shape_matches_keras():
    x = RNG.normal(size=(5, 3, 2)).astype("float32")
    km = keras.Sequential([keras.Input((3, 2)), keras.layers.Bidirectional(keras.layers.LSTM(4, **ZEROS)),
                           keras.layers.Dense(1)])
    m = Sequential([L.Bidirectional(L.LSTM(4), input_shape=(3, 2)), L.Dense(1)])
    assert m.count_params() == km.count_params()
    km.set_weights([(RNG.normal(size=w.shape) * 0.5).astype("float32") for w in km.get_weights()])
    m.set_weights(km.get_weights())
    np.testing.assert_allclose(m.predict(x, verbose=0), km.predict(x, verbose=0), atol=1e-5)
    # input_shape on the wrapped layer also works
    m2 = Sequential([L.Bidirectional(L.LSTM(4, input_shape=(3, 2))), L.Dense(1)])
    assert m2.count_params() == km.count_params()


def test_stateful_passes_through():
    ours, k = _pair("LSTM", "concat", input_shape=(B, T, D), stateful=True, return_sequences=True)
    assert ours.stateful and ours.forward_layer.stateful and ours.backward_layer.stateful
    x1, x2 = _x(), _x()
    first = ours(x1)
    np.testing.assert_allclose(first, k(x1), atol=1e-5)
    np.testing.assert_allclose(ours(x2), k(x2), atol=1e-5)
    assert len(ours.states) == 4
    for a, b in zip(ours.states, k.states):
        np.testing.assert_allclose(a, b.value, atol=1e-5)
    ours.reset_states()
    np.testing.assert_allclose(ours(x1), first, atol=1e-6)
    with pytest.raises(AttributeError, match="Layer must be stateful"):
        L.Bidirectional(L.LSTM(2)).reset_states()


def test_config_round_trip():
    ours, k = _pair("GRU", "ave", return_sequences=True, reset_after=False)
    config, k_config = ours.get_config(), k.get_config()
    assert config["merge_mode"] == "ave"
    for key in ("layer", "backward_layer"):
        assert config[key]["class_name"] == k_config[key]["class_name"] == "GRU"
        assert config[key]["config"]["go_backwards"] == k_config[key]["config"]["go_backwards"]
        assert config[key]["config"]["zero_output_for_mask"] is True
        assert config[key]["config"]["reset_after"] is False
    assert config["layer"]["config"]["name"].startswith("forward_")
    assert config["backward_layer"]["config"]["name"].startswith("backward_")
    clone = L.Bidirectional.from_config(config)
    clone.build((None, T, D))
    assert clone.get_config() == config  # once built: the inner layers' build_config, as Keras writes it
    clone.set_weights(ours.get_weights())
    x = jnp.asarray(_x())
    np.testing.assert_allclose(clone.apply(clone.current_params(), x, CallContext())[0],
                               ours.apply(ours.current_params(), x, CallContext())[0], atol=1e-6)


def test_constructor_weights_argument():
    src, _ = _pair("SimpleRNN", "sum")
    bi = L.Bidirectional(L.SimpleRNN(U), merge_mode="sum", weights=src.get_weights())
    bi.build((None, T, D))
    for a, b in zip(bi.get_weights(), src.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_errors():
    with pytest.raises(ValueError, match="recurrent layer"):
        L.Bidirectional(L.Dense(3))
    with pytest.raises(ValueError, match="Invalid merge mode"):
        L.Bidirectional(L.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards"):
        L.Bidirectional(L.LSTM(3), backward_layer=L.LSTM(3))
    with pytest.raises(ValueError, match="return_sequences"):
        L.Bidirectional(L.LSTM(3), backward_layer=L.LSTM(3, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        L.Bidirectional(L.LSTM(3))(lstmkit.Input((4,)))


def test_custom_backward_layer():
    fw, bw = L.LSTM(3, return_sequences=True), L.GRU(2, go_backwards=True, return_sequences=True)
    bi = L.Bidirectional(fw, backward_layer=bw)
    y = bi(np.ones((2, 4, 1), np.float32))
    assert y.shape == (2, 4, 5)
    assert bi.backward_layer is bw
