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
    out = [tree[v.name] for v in layer._vars]
    for attr, sub in layer._sublayers.items():
        out += _ordered(sub, tree[attr])
    return out


def compare(ours, k, x, grads=False, **call_kwargs):
    """Outputs (and optionally gradients w.r.t. inputs and weights) vs Keras's `stateless_call`, both jitted."""
    params = ours.current_params()
    shapes = jax.eval_shape(lambda p, xx: ours.apply(p, xx, CallContext(), **call_kwargs)[0], params, x)
    proj = [jnp.asarray(RNG.normal(size=s.shape), jnp.float32) for s in jax.tree_util.tree_leaves(shapes)]
    ntv = [v.value for v in k.non_trainable_variables]

    def run(forward, weights):
        def f(w, xx, kw):
            out = forward(w, xx, kw)
            return sum(jnp.sum(a * r) for a, r in zip(jax.tree_util.tree_leaves(out), proj)), out

        if not grads:
            return jax.jit(lambda w, xx, kw: (forward(w, xx, kw), None))(weights, jnp.asarray(x), call_kwargs)
        (_, out), g = jax.jit(jax.value_and_grad(f, argnums=(0, 1), has_aux=True))(weights, jnp.asarray(x), call_kwargs)
        return out, g

    out, g = run(lambda p, xx, kw: ours.apply(p, xx, CallContext(), **kw)[0], params)
    want, kg = run(lambda tv, xx, kw: k.stateless_call(tv, ntv, xx, **kw)[0], [v.value for v in k.trainable_variables])
    got_leaves, want_leaves = jax.tree_util.tree_leaves(out), jax.tree_util.tree_leaves(want)
    assert len(got_leaves) == len(want_leaves)
    for a, b in zip(got_leaves, want_leaves):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
    if grads:
        np.testing.assert_allclose(g[1], kg[1], atol=1e-4, rtol=1e-4)
        for a, b in zip(_ordered(ours, g[0]), kg[0]):
            np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-4)
    return out


CASES = [(mode, seq, state) for mode in ("concat", "sum", "mul", "ave", None) for seq in (False, True)
         for state in (False, True)]


@pytest.mark.parametrize("merge_mode,return_sequences,return_state", CASES)
def test_matches_keras_for_every_merge_mode(merge_mode, return_sequences, return_state):
    ours, k = _pair("LSTM", merge_mode, return_sequences=return_sequences, return_state=return_state)
    out = compare(ours, k, _x(), grads=(merge_mode in ("concat", "mul") and return_sequences))
    shape = ours.compute_output_shape((None, T, D))
    want = k.compute_output_shape((None, T, D))
    flat = lambda s: [tuple(d) for d in s] if isinstance(s, (list, tuple)) and isinstance(s[0], (list, tuple)) \
        else [tuple(s)]
    assert flat(shape) == flat(want)
    assert len(jax.tree_util.tree_leaves(out)) == len(flat(shape))


@pytest.mark.parametrize("inner,merge_mode,return_sequences", [("LSTM", "concat", True), ("GRU", None, True),
                                                                ("LSTM", "sum", False), ("SimpleRNN", "ave", True)])
def test_masks_match_keras(inner, merge_mode, return_sequences):
    ours, k = _pair(inner, merge_mode, return_sequences=return_sequences)
    mask = _mask()
    compare(ours, k, _x(), grads=inner == "LSTM" and return_sequences, mask=mask)
    _, out_mask = ours.apply(ours.current_params(), jnp.asarray(_x()), CallContext(), mask=mask)
    if merge_mode is None:
        assert len(out_mask) == 2
        out_mask = out_mask[0]
    if return_sequences:
        np.testing.assert_array_equal(out_mask, mask)
    else:
        assert out_mask is None


def test_masks_with_return_state_and_unroll():
    ours, k = _pair("GRU", "concat", return_sequences=True, return_state=True, unroll=True)
    compare(ours, k, _x(), mask=_mask())
    _, out_mask = ours.apply(ours.current_params(), jnp.asarray(_x()), CallContext(), mask=_mask())
    assert len(out_mask) == 3 and out_mask[1] is None and out_mask[2] is None


def test_initial_state_is_split_between_directions():
    ours, k = _pair("LSTM", "concat", return_sequences=True, return_state=True)
    states = [RNG.normal(size=(B, U)).astype("float32") for _ in range(4)]
    compare(ours, k, _x(), initial_state=states)


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
    assert clone.get_config() == config
    clone.build((None, T, D))
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
