"""The fused recurrence (hand-written backward pass) against the plain scan differentiated by JAX.

`rnn_scan` + the step functions are the textbook equations (checked against a
float64 NumPy reference and finite differences in test_recurrent_ops.py); the
fused kernel must give the same values (1e-5) and gradients (1e-4 relative) for
every option: each cell (and the LSTM's peephole / coupled-gate variants, with
their peephole weights' gradients), activations with and without an output-derivative
formula, recurrent dropout masks (shared and per gate), step masks in both
output modes, go_backwards, return_sequences, initial states and biases.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lstmkit import activations
from lstmkit._kernels import activation_grads, fused
from lstmkit._kernels import recurrent as rnn

BATCH, STEPS, FEATURES, UNITS = 3, 5, 2, 4
GATES = {"lstm": 4, "gru": 3, "simple_rnn": 1, "lstm_peephole": 4, "lstm_coupled": 3, "lstm_peephole_coupled": 3}
# The LSTM variants: (peephole, coupled_gates).
LSTM_VARIANTS = {"lstm": (False, False), "lstm_peephole": (True, False), "lstm_coupled": (False, True),
                 "lstm_peephole_coupled": (True, True)}


def _problem(kind, seed, recurrent_masks=None, use_mask=False, recurrent_bias=True):
    rng = np.random.default_rng(seed)
    gates = GATES[kind]

    def arr(*shape, scale=1.0):
        return jnp.asarray(rng.normal(size=shape) * scale, jnp.float32)

    params = {
        "kernel": arr(FEATURES, gates * UNITS, scale=0.6),
        "recurrent_kernel": arr(UNITS, gates * UNITS, scale=0.6),
        "bias": arr(gates * UNITS, scale=0.3),
        "recurrent_bias": arr(gates * UNITS, scale=0.3) if kind == "gru" and recurrent_bias else None,
        "state": tuple(arr(BATCH, UNITS) for _ in range(2 if kind in LSTM_VARIANTS else 1)),
    }
    peephole, coupled = LSTM_VARIANTS.get(kind, (False, False))
    if peephole:
        params["peepholes"] = tuple(arr(UNITS, scale=0.8) for _ in range(2 if coupled else 3))
    x = arr(BATCH, STEPS, FEATURES)
    masks = None
    if recurrent_masks == "shared":
        masks = jnp.asarray((rng.random((BATCH, UNITS)) > 0.3) / 0.7, jnp.float32)
    elif recurrent_masks == "per_gate":
        masks = jnp.asarray((rng.random((gates, BATCH, UNITS)) > 0.3) / 0.7, jnp.float32)
    step_mask = None
    if use_mask:
        step_mask = jnp.asarray(rng.random((BATCH, STEPS)) > 0.35)
        step_mask = step_mask.at[0].set(False)  # one sample entirely masked
    return params, x, masks, step_mask


def _runners(kind, activation, recurrent_activation, x, masks, step_mask, **options):
    act, rec_act = activations.get(activation), activations.get(recurrent_activation)

    def plain(params):
        z = rnn.project_inputs(x, params["kernel"], params["bias"])
        k = params["recurrent_kernel"]
        if kind in LSTM_VARIANTS:
            coupled = LSTM_VARIANTS[kind][1]
            p = params.get("peepholes")
            peepholes = None if p is None else ((p[0], None, p[1]) if coupled else p)
            step = functools.partial(rnn.lstm_step, recurrent_kernel=k, activation=act, recurrent_activation=rec_act,
                                     recurrent_dropout_masks=masks, peepholes=peepholes, coupled_gates=coupled)
        elif kind == "gru":
            step = functools.partial(rnn.gru_step, recurrent_kernel=k, recurrent_bias=params["recurrent_bias"],
                                     activation=act, recurrent_activation=rec_act, recurrent_dropout_masks=masks)
        else:
            step = functools.partial(rnn.simple_rnn_step, recurrent_kernel=k, activation=act,
                                     recurrent_dropout_masks=masks)
        return rnn.rnn_scan(step, z, params["state"], mask=step_mask, **options)

    def fast(params):
        z = rnn.project_inputs(x, params["kernel"], params["bias"])
        if kind in LSTM_VARIANTS:
            peephole, coupled = LSTM_VARIANTS[kind]
            cell = fused.lstm_cell(act, rec_act, peephole=peephole, coupled_gates=coupled)
        elif kind == "gru":
            cell = fused.gru_cell(act, rec_act)
        else:
            cell = fused.simple_rnn_cell(act)
        return fused.fused_rnn_scan(cell, z, params["state"], params["recurrent_kernel"],
                                    recurrent_bias=params["recurrent_bias"], recurrent_dropout_masks=masks,
                                    mask=step_mask, cell_params=params.get("peepholes", ()), **options)

    return plain, fast


def _loss(run):
    """A loss that weighs every output step, the last output and the final states differently."""

    def loss(params):
        last, sequence, final_state = run(params)
        total = jnp.sum(jnp.sin(last)) + sum(jnp.sum(s * s) for s in final_state)
        if sequence is not None:
            total = total + jnp.sum(jnp.cos(sequence) * jnp.arange(1, STEPS + 1)[None, :, None])
        return total

    return loss


def _check(kind, activation="tanh", recurrent_activation="sigmoid", recurrent_masks=None, use_mask=False,
           recurrent_bias=True, seed=0, **options):
    params, x, masks, step_mask = _problem(kind, seed, recurrent_masks, use_mask, recurrent_bias)
    plain, fast = _runners(kind, activation, recurrent_activation, x, masks, step_mask, **options)
    expected, got = plain(params), jax.jit(fast)(params)
    assert (got[1] is None) == (expected[1] is None)
    for e, g in zip(jax.tree.leaves(expected), jax.tree.leaves(got)):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    g_expected = jax.grad(_loss(plain))(params)
    g_got = jax.jit(jax.grad(_loss(fast)))(params)
    for path, e in jax.tree_util.tree_leaves_with_path(g_expected):
        g = functools.reduce(lambda t, k: t[k.key if hasattr(k, "key") else k.idx], path, g_got)
        scale = float(jnp.max(jnp.abs(e))) + 1e-6
        np.testing.assert_allclose(np.asarray(g) / scale, np.asarray(e) / scale, atol=1e-4,
                                   err_msg=f"gradient of {jax.tree_util.keystr(path)}")


OPTIONS = [
    pytest.param({}, id="defaults"),
    pytest.param({"return_sequences": False}, id="last-only"),
    pytest.param({"go_backwards": True}, id="backwards"),
    pytest.param({"use_mask": True}, id="masked"),
    pytest.param({"use_mask": True, "masked_output": "zero"}, id="masked-zero-output"),
    pytest.param({"use_mask": True, "go_backwards": True, "return_sequences": False}, id="masked-backwards-last"),
    pytest.param({"recurrent_masks": "shared"}, id="recurrent-dropout"),
    pytest.param({"recurrent_masks": "per_gate", "use_mask": True}, id="per-gate-dropout-masked"),
]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
def test_fused_matches_plain_scan(kind, options):
    if kind == "simple_rnn" and options.get("recurrent_masks") == "per_gate":
        options = {**options, "recurrent_masks": "shared"}  # one gate: per-gate masks are the shared mask
    _check(kind, **options)


# The LSTM variants (peepholes, coupled input/forget gates, both): each option of the scan in three cases,
# the peephole weights' gradients included (params["peepholes"]).
VARIANT_OPTIONS = [
    pytest.param({}, id="defaults"),
    pytest.param({"use_mask": True, "go_backwards": True, "recurrent_masks": "per_gate"},
                 id="masked-backwards-per-gate-dropout"),
    pytest.param({"use_mask": True, "masked_output": "zero", "recurrent_masks": "shared", "return_sequences": False},
                 id="masked-zero-output-dropout-last"),
]


@pytest.mark.parametrize("options", VARIANT_OPTIONS)
@pytest.mark.parametrize("kind", ["lstm_peephole", "lstm_coupled", "lstm_peephole_coupled"])
def test_fused_lstm_variants_match_plain_scan(kind, options):
    _check(kind, **options)


def test_fused_lstm_variants_without_output_derivative_formula():
    _check("lstm_peephole_coupled", activation="gelu", recurrent_activation="silu", use_mask=True, seed=2)


def test_cell_params_need_a_params_grad():
    params, x, _, _ = _problem("lstm", 0)
    z = rnn.project_inputs(x, params["kernel"], params["bias"])
    with pytest.raises(ValueError, match="cell_params"):
        fused.fused_rnn_scan(fused.gru_cell(), z, params["state"][:1], params["recurrent_kernel"],
                             cell_params=(jnp.ones(UNITS),))


# relu / linear / hard_sigmoid: derivative from the output with kinks; gelu / silu: no formula (jvp path);
# hard_sigmoid_keras2: Keras 2's meaning, loaded from old files.
@pytest.mark.parametrize("activation, recurrent_activation", [
    ("relu", "sigmoid"), ("linear", "hard_sigmoid"), ("gelu", "silu"), ("elu", "hard_sigmoid_keras2"),
    ("softsign", "sigmoid"), ("softplus", "hard_sigmoid"), ("exponential", "sigmoid"),
])
@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
def test_fused_every_activation(kind, activation, recurrent_activation):
    act = activations.get(activation)
    small = activation == "exponential"  # keep exp from overflowing over the steps
    _check(kind, activation=act if not small else (lambda x: jnp.exp(0.3 * x)),
           recurrent_activation=recurrent_activation, seed=1)


def test_gru_without_recurrent_bias():
    _check("gru", recurrent_bias=False)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "linear", "hard_sigmoid", "hard_sigmoid_keras2",
                                  "hard_tanh", "relu6", "elu", "softplus", "softsign", "exponential"])
def test_output_derivatives_equal_autodiff(name):
    fn = activations.get(name)
    x = np.linspace(-7.3, 7.1, 301, dtype=np.float32)
    kinks = np.array([0.0, 1.0, -1.0, 2.5, -2.5, 3.0, -3.0, 6.0])
    x = jnp.asarray(x[np.min(np.abs(x[:, None] - kinks[None]), axis=1) > 1e-3])  # derivatives differ only there
    d = activation_grads.Differentiated(fn)
    assert len(d.save(x, fn(x))) == 1, f"{name} should be differentiated from its output"
    expected = jax.vmap(jax.grad(fn))(x)
    np.testing.assert_allclose(d.grad(d.save(x, fn(x))), expected, rtol=1e-5, atol=1e-6)


def test_unknown_activation_is_differentiated_from_its_input():
    fn = activations.get("gelu")
    d = activation_grads.Differentiated(fn)
    x = jnp.linspace(-3, 3, 7)
    saved = d.save(x, fn(x))
    assert len(saved) == 2
    np.testing.assert_allclose(d.grad(saved), jax.vmap(jax.grad(fn))(x), rtol=1e-6)


def _dot_shapes(jaxpr, inside_loop=False):
    """(inside a loop body?, output shape) of every matmul in a jaxpr, nested ones included."""
    found = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "dot_general":
            found.append((inside_loop, eqn.outvars[0].aval.shape))
        for value in eqn.params.values():
            sub = getattr(value, "jaxpr", None)
            if sub is not None:
                sub = sub if hasattr(sub, "eqns") else sub.jaxpr
                found += _dot_shapes(sub, inside_loop or eqn.primitive.name in ("scan", "while"))
    return found


@pytest.mark.parametrize("runner, expected", [(0, "per step"), (1, "once")])
def test_recurrent_kernel_gradient_is_one_matmul_after_the_scan(runner, expected):
    """Autodiff of the plain scan forms the kernel's gradient inside the loop, one small product per step;
    the fused kernel forms it once, after the loop."""
    params, x, _, _ = _problem("lstm", 0)
    run = _runners("lstm", "tanh", "sigmoid", x, None, None)[runner]
    shapes = _dot_shapes(jax.make_jaxpr(jax.grad(_loss(run)))(params).jaxpr)
    kernel_like = [inside for inside, shape in shapes if shape in ((UNITS, 4 * UNITS), (4 * UNITS, UNITS))]
    assert kernel_like == ([True] if expected == "per step" else [False]), shapes


@pytest.mark.parametrize("use_bias", [True, False])
def test_time_major_projection_values_and_gradients(use_bias):
    """x @ W + b laid out (time, batch, gates·units), with its hand-written backward pass."""
    rng = np.random.default_rng(7)
    x = jnp.asarray(rng.normal(size=(BATCH, STEPS, FEATURES)), jnp.float32)
    kernel = jnp.asarray(rng.normal(size=(FEATURES, 4 * UNITS)), jnp.float32)
    bias = jnp.asarray(rng.normal(size=(4 * UNITS,)), jnp.float32) if use_bias else None
    cotangent = jnp.asarray(rng.normal(size=(STEPS, BATCH, 4 * UNITS)), jnp.float32)

    def reference(x, kernel, bias):
        z = x @ kernel + (0.0 if bias is None else bias)
        return jnp.sum(jnp.swapaxes(z, 0, 1) * cotangent)

    def ours(x, kernel, bias):
        return jnp.sum(fused.time_major_projection(x, kernel, bias) * cotangent)

    argnums = (0, 1, 2) if use_bias else (0, 1)
    np.testing.assert_allclose(fused.time_major_projection(x, kernel, bias),
                               np.swapaxes(np.asarray(x @ kernel + (0.0 if bias is None else bias)), 0, 1),
                               rtol=1e-6, atol=1e-6)
    got = jax.jit(jax.grad(ours, argnums=argnums))(x, kernel, bias)
    want = jax.grad(reference, argnums=argnums)(x, kernel, bias)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
