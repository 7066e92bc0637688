"""The recurrent equations and the scan driver against a float64 NumPy reference."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lstmkit._kernels import recurrent as R

RNG = np.random.default_rng(7)
B, T, D, U = 3, 5, 2, 4


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_lstm_step(x, h, c, W, Rk, b):
    z = x @ W + h @ Rk + b
    i, f, g, o = np.split(z, 4, axis=-1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(c)
    return h, c


def np_gru_step(x, h, W, Rk, b_in, b_rec, reset_after):
    u = h.shape[-1]
    xz, xr, xh = np.split(x @ W + b_in, 3, axis=-1)
    if reset_after:
        hz, hr, hh = np.split(h @ Rk + b_rec, 3, axis=-1)
        z, r = _sigmoid(xz + hz), _sigmoid(xr + hr)
        cand = np.tanh(xh + r * hh)
    else:
        hz, hr = np.split(h @ Rk[:, : 2 * u], 2, axis=-1)
        z, r = _sigmoid(xz + hz), _sigmoid(xr + hr)
        cand = np.tanh(xh + (r * h) @ Rk[:, 2 * u:])
    return z * h + (1 - z) * cand


def np_simple_step(x, h, W, Rk, b):
    return np.tanh(x @ W + h @ Rk + b)


def np_lstm_sequence(xs, h, c, W, Rk, b, mask=None):
    """Reference LSTM over (batch, time, features); masked steps keep the state and repeat h."""
    outs = []
    for t in range(xs.shape[1]):
        h2, c2 = np_lstm_step(xs[:, t], h, c, W, Rk, b)
        if mask is not None:
            m = mask[:, t, None]
            h2, c2 = np.where(m, h2, h), np.where(m, c2, c)
        h, c = h2, c2
        outs.append(h)
    return np.stack(outs, 1), h, c


def _weights(gates, d=D, u=U):
    return (RNG.normal(size=(d, gates * u)) * 0.5, RNG.normal(size=(u, gates * u)) * 0.5,
            RNG.normal(size=(gates * u,)) * 0.1)


def f32(*xs):
    return [jnp.asarray(x, jnp.float32) for x in xs]


def test_lstm_step_matches_reference():
    W, Rk, b = _weights(4)
    x, h, c = RNG.normal(size=(B, D)), RNG.normal(size=(B, U)), RNG.normal(size=(B, U))
    zx = R.project_inputs(*f32(x[:, None, :], W, b))[:, 0]
    out, (h2, c2) = R.lstm_step(zx, tuple(f32(h, c)), f32(Rk)[0])
    rh, rc = np_lstm_step(x, h, c, W, Rk, b)
    np.testing.assert_allclose(out, rh, atol=1e-5)
    np.testing.assert_allclose(h2, rh, atol=1e-5)
    np.testing.assert_allclose(c2, rc, atol=1e-5)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_step_matches_reference(reset_after):
    W, Rk, b_in = _weights(3)
    b_rec = RNG.normal(size=(3 * U,)) * 0.1
    x, h = RNG.normal(size=(B, D)), RNG.normal(size=(B, U))
    zx = R.project_inputs(*f32(x[:, None, :], W, b_in))[:, 0]
    out, (h2,) = R.gru_step(zx, (f32(h)[0],), f32(Rk)[0], f32(b_rec)[0] if reset_after else None,
                            reset_after=reset_after)
    ref = np_gru_step(x, h, W, Rk, b_in, b_rec if reset_after else 0.0, reset_after)
    np.testing.assert_allclose(out, ref, atol=1e-5)
    np.testing.assert_allclose(h2, ref, atol=1e-5)


def test_simple_rnn_step_matches_reference():
    W, Rk, b = _weights(1)
    x, h = RNG.normal(size=(B, D)), RNG.normal(size=(B, U))
    zx = R.project_inputs(*f32(x[:, None, :], W, b))[:, 0]
    out, (h2,) = R.simple_rnn_step(zx, (f32(h)[0],), f32(Rk)[0])
    np.testing.assert_allclose(out, np_simple_step(x, h, W, Rk, b), atol=1e-5)


def _lstm_scan(xs, h, c, W, Rk, b, **kw):
    step = lambda x_t, s: R.lstm_step(x_t, s, Rk)
    return R.rnn_scan(step, R.project_inputs(xs, W, b), (h, c), **kw)


def _mask():
    m = RNG.random((B, T)) > 0.35
    m[0, :2] = False  # leading masked steps
    m[0, 2] = True
    m[1, -1] = False  # trailing masked step
    m[2, :] = False  # a fully masked sample
    return m


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("use_mask", [False, True])
def test_lstm_sequence_matches_reference(use_mask, unroll):
    W, Rk, b = _weights(4)
    xs, h, c = RNG.normal(size=(B, T, D)), RNG.normal(size=(B, U)), RNG.normal(size=(B, U))
    mask = _mask() if use_mask else None
    last, seq, (hT, cT) = _lstm_scan(*f32(xs, h, c, W, Rk, b), mask=mask, unroll=unroll)
    r_seq, r_h, r_c = np_lstm_sequence(xs, h, c, W, Rk, b, mask)
    np.testing.assert_allclose(seq, r_seq, atol=1e-5)
    np.testing.assert_allclose(last, r_seq[:, -1], atol=1e-5)
    np.testing.assert_allclose(hT, r_h, atol=1e-5)
    np.testing.assert_allclose(cT, r_c, atol=1e-5)


def test_go_backwards_processes_reversed_and_returns_processing_order():
    W, Rk, b = _weights(4)
    xs, h, c = RNG.normal(size=(B, T, D)), np.zeros((B, U)), np.zeros((B, U))
    mask = _mask()
    last, seq, (hT, _) = _lstm_scan(*f32(xs, h, c, W, Rk, b), mask=mask, go_backwards=True)
    r_seq, r_h, _ = np_lstm_sequence(xs[:, ::-1], h, c, W, Rk, b, mask[:, ::-1])
    np.testing.assert_allclose(seq, r_seq, atol=1e-5)
    np.testing.assert_allclose(last, r_seq[:, -1], atol=1e-5)
    np.testing.assert_allclose(hT, r_h, atol=1e-5)


def test_return_sequences_false_gives_last_output_only():
    W, Rk, b = _weights(4)
    args = f32(RNG.normal(size=(B, T, D)), np.zeros((B, U)), np.zeros((B, U)), W, Rk, b)
    mask = _mask()
    last, seq, _ = _lstm_scan(*args, return_sequences=False, mask=mask)
    assert seq is None
    last2, seq2, _ = _lstm_scan(*args, mask=mask)
    np.testing.assert_allclose(last, seq2[:, -1], atol=1e-6)


def test_masked_output_modes():
    W, Rk, b = _weights(4)
    xs, h, c = RNG.normal(size=(B, T, D)), RNG.normal(size=(B, U)), RNG.normal(size=(B, U))
    mask = _mask()
    args = f32(xs, h, c, W, Rk, b)
    _, by_state, _ = _lstm_scan(*args, mask=mask, masked_output="state")
    _, zero, _ = _lstm_scan(*args, mask=mask, masked_output="zero")
    _, prev, _ = _lstm_scan(*args, mask=mask, masked_output="previous")
    m = mask[..., None]
    np.testing.assert_array_equal(np.where(m, 0, zero), 0)
    np.testing.assert_allclose(np.where(m, zero, 0), np.where(m, by_state, 0), atol=1e-6)
    # leading masked steps: the carried state (here h0) vs the previous output (zeros before the first)
    np.testing.assert_allclose(by_state[0, :2], np.broadcast_to(h[0], (2, U)), atol=1e-6)
    np.testing.assert_array_equal(prev[0, :2], 0)
    np.testing.assert_allclose(prev[0, 2:], by_state[0, 2:], atol=1e-6)
    with pytest.raises(ValueError, match="masked_output"):
        _lstm_scan(*args, mask=mask, masked_output="nope")


def test_per_gate_dropout_masks_in_projections():
    W, Rk, b = _weights(4)
    x = RNG.normal(size=(B, T, D))
    masks = (RNG.random((4, B, D)) > 0.5) * 2.0
    got = R.project_inputs(*f32(x, W, b, masks))
    want = np.concatenate([(x * masks[g][:, None, :]) @ W[:, g * U:(g + 1) * U] for g in range(4)], -1) + b
    np.testing.assert_allclose(got, want, atol=1e-5)
    one = masks[0]
    np.testing.assert_allclose(R.project_inputs(*f32(x, W, b, one)), (x * one[:, None, :]) @ W + b, atol=1e-5)
    h = RNG.normal(size=(B, U))
    rmasks = (RNG.random((4, B, U)) > 0.5) * 2.0
    want = np.concatenate([(h * rmasks[g]) @ Rk[:, g * U:(g + 1) * U] for g in range(4)], -1)
    np.testing.assert_allclose(R.recurrent_projection(*f32(h, Rk, rmasks)), want, atol=1e-5)


def _finite_difference(f, arrays, eps=1e-6):
    grads = []
    for k, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            g[idx] = (f(*plus) - f(*minus)) / (2 * eps)
        grads.append(g)
    return grads


def test_lstm_gradients_match_float64_finite_differences():
    b_, t_, d_, u_ = 2, 3, 2, 2
    W, Rk, b = _weights(4, d_, u_)
    xs = RNG.normal(size=(b_, t_, d_))
    h0, c0 = np.zeros((b_, u_)), np.zeros((b_, u_))
    mask = np.array([[True, True, False], [False, True, True]])
    proj = RNG.normal(size=(b_, t_, u_))

    def ref_loss(xs, W, Rk, b):
        seq, _, _ = np_lstm_sequence(xs, h0, c0, W, Rk, b, mask)
        return float(np.sum(seq * proj))

    def loss(xs, W, Rk, b):
        _, seq, _ = _lstm_scan(xs, jnp.zeros((b_, u_)), jnp.zeros((b_, u_)), W, Rk, b, mask=mask)
        return jnp.sum(seq * proj)

    got = jax.grad(loss, argnums=(0, 1, 2, 3))(*f32(xs, W, Rk, b))
    want = _finite_difference(ref_loss, [xs, W, Rk, b])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=1e-4)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_and_simple_rnn_gradients_match_finite_differences(reset_after):
    b_, t_, d_, u_ = 2, 3, 2, 2
    W, Rk, b_in = _weights(3, d_, u_)
    b_rec = RNG.normal(size=(3 * u_,)) * 0.1 if reset_after else np.zeros(3 * u_)
    xs = RNG.normal(size=(b_, t_, d_))
    proj = RNG.normal(size=(b_, u_))

    def ref_loss(xs, W, Rk):
        h = np.zeros((b_, u_))
        for t in range(t_):
            h = np_gru_step(xs[:, t], h, W, Rk, b_in, b_rec, reset_after)
        return float(np.sum(h * proj))

    def loss(xs, W, Rk):
        step = lambda x_t, s: R.gru_step(x_t, s, Rk, jnp.asarray(b_rec, jnp.float32) if reset_after else None,
                                          reset_after=reset_after)
        last, _, _ = R.rnn_scan(step, R.project_inputs(xs, W, jnp.asarray(b_in, jnp.float32)),
                                (jnp.zeros((b_, u_)),), return_sequences=False)
        return jnp.sum(last * proj)

    got = jax.grad(loss, argnums=(0, 1, 2))(*f32(xs, W, Rk))
    for g, w in zip(got, _finite_difference(ref_loss, [xs, W, Rk])):
        np.testing.assert_allclose(g, w, atol=1e-4)

    Ws, Rs, bs = _weights(1, d_, u_)

    def ref_simple(xs, Ws, Rs):
        h = np.zeros((b_, u_))
        for t in range(t_):
            h = np_simple_step(xs[:, t], h, Ws, Rs, bs)
        return float(np.sum(h * proj))

    def simple(xs, Ws, Rs):
        step = lambda x_t, s: R.simple_rnn_step(x_t, s, Rs)
        last, _, _ = R.rnn_scan(step, R.project_inputs(xs, Ws, jnp.asarray(bs, jnp.float32)),
                                (jnp.zeros((b_, u_)),), return_sequences=False, unroll=True)
        return jnp.sum(last * proj)

    got = jax.grad(simple, argnums=(0, 1, 2))(*f32(xs, Ws, Rs))
    for g, w in zip(got, _finite_difference(ref_simple, [xs, Ws, Rs])):
        np.testing.assert_allclose(g, w, atol=1e-4)


def test_nested_states_and_pytree_inputs_follow_keras_masking():
    """A two-cell stack stepped by hand in NumPy: states held at masked steps; the masked output is the first
    state of the last cell when the per-cell states are lists, the first cell's state when they are bare."""
    xs, scale = RNG.normal(size=(B, T, U)), RNG.normal(size=(B, T, U))
    mask = _mask()

    def step(inputs, state):
        x_t, s_t = inputs
        (a,), (b,) = state
        a = jnp.tanh(x_t + a)
        b = jnp.tanh(s_t * a + b)
        return b, ((a,), (b,))

    zeros = np.zeros((B, U))
    last, outs, final = R.rnn_scan(step, (jnp.asarray(xs), jnp.asarray(scale)), ((zeros,), (zeros,)),
                                   mask=jnp.asarray(mask), return_sequences=True)
    a, b, expected = zeros.copy(), zeros.copy(), np.zeros((B, T, U))
    for t in range(T):
        keep = mask[:, t][:, None]
        a_new = np.tanh(xs[:, t] + a)
        b_new = np.tanh(scale[:, t] * a_new + b)
        a, b = np.where(keep, a_new, a), np.where(keep, b_new, b)
        expected[:, t] = b  # masked: the last cell's held state
    np.testing.assert_allclose(np.asarray(outs), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(final[0][0]), a, rtol=1e-5, atol=1e-6)
    assert R.previous_output(((1, 2), (3, 4))) == 3 and R.previous_output((1, (3, 4))) == 1
