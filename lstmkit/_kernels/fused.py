"""The recurrence with a hand-written backward pass: what the recurrent layers train with.

`rnn_scan` in `lstmkit._kernels.recurrent` is the plain version, differentiated by
JAX's autodiff. Autodiff of a scan differentiates the loop body, so the
recurrent kernel's gradient is summed step by step: one small
(units × batch) @ (batch × gates·units) product per time step. Here the
forward scan keeps what the backward needs (the recurrent pre-activations and
the previous states), the reverse scan computes only the per-step error
signals, and the recurrent kernel's gradient is then one large matmul over all
steps and samples at once. The input kernel's gradient is already one matmul:
the input projection of all steps happens outside the scan (`project_inputs`).

A cell is given by its elementwise part as two hand-written functions:
`forward(zx_t, zh_t, state, params) -> (new_state, saved)`, where `zx_t` is the
projected input of the step and `zh_t = h @ recurrent_kernel (+ recurrent
bias)`, and `backward(saved, state, d_new_state, params) -> (dzx_t, dzh_t, d_state)`.
`params` are the cell's own elementwise weights (a tuple, empty for most cells;
the LSTM's peephole vectors), passed through the scan unchanged; their gradient
is formed after the reverse scan, over all steps and samples at once, by the
cell's `params_grad`. The step's output is the new h. The forwards call the
same cell equations as the plain steps (`lstm_gates`, `gru_gates`) and keep the gates' outputs;
the backward takes each activation's derivative from its output (sigmoid: y(1-y),
tanh: 1-y², relu: y>0, ...), so nothing is recomputed; an activation without
such a formula (a user's function, gelu, ...) keeps its input instead and is
differentiated with `jax.jvp`. Recurrent dropout masks, step masks (Keras's
masking: the state is held at a masked step), go_backwards and initial states
are handled once, here, for every cell.

The results equal `rnn_scan`'s to float32 rounding; tests compare values and
gradients on random inputs for each option.
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from lstmkit._kernels.activation_grads import Differentiated
from lstmkit._kernels.recurrent import gru_gates, hold_masked, lstm_gates, masked_step_output, recurrent_projection


class Cell(NamedTuple):
    """The elementwise part of a recurrent cell, forward and backward by hand.

    forward(zx_t, zh_t, state, params) -> (new_state, saved); the step's output is new_state[0] (h).
    backward(saved, state, d_new_state, params) -> (dzx_t, dzh_t, d_state): the error signals of
    the step's inputs; dzh_t is None when it equals dzx_t (cells that read zx_t + zh_t).
    params_grad(saved, states, dzx, dzh, params) -> d params: the gradient of the cell's own
    weights `params` (a tuple) from the stacked (time, ...) residuals, previous states and error
    signals of every step; None for a cell without weights of its own (params == ()).
    """

    forward: Callable
    backward: Callable
    params_grad: Callable | None = None


def lstm_cell(activation=jnp.tanh, recurrent_activation=jax.nn.sigmoid, peephole=False,
              coupled_gates=False) -> Cell:
    """The LSTM: c' = f c + i g, h' = o act(c'); gates i, f, o = σ(z), candidate g = act(z); z = zx + zh.

    peephole: params = (p_i, p_f, p_o) ((p_i, p_o) with coupled gates), the gates also read the
    cell state, i = σ(z_i + p_i c), f = σ(z_f + p_f c), o = σ(z_o + p_o c'). coupled_gates: three
    gate blocks [i, c, o] and f = 1 - i. The equations are `lstm_gates`'.
    """
    act, sig = Differentiated(activation), Differentiated(recurrent_activation)
    gates = 3 if coupled_gates else 4

    def peepholes(params):
        if not peephole:
            return None
        return (params[0], None, params[1]) if coupled_gates else tuple(params)

    def forward(zx, zh, state, params):
        h, c, (i, f, g, o), (a_i, a_f, a_g, a_o) = lstm_gates(
            zx + zh, state[1], activation=act.fn, recurrent_activation=sig.fn, peepholes=peepholes(params),
            coupled_gates=coupled_gates, with_preactivations=True)
        a = act.fn(c)  # the value lstm_gates computed for h; XLA computes it once
        # Pre-activations are kept only for activations without an output formula (else XLA drops them).
        saved = (sig.save(a_i, i), () if coupled_gates else sig.save(a_f, f), act.save(a_g, g), sig.save(a_o, o),
                 act.save(c, a), c if peephole else ())  # c': the output gate's peephole gradient
        return (h, c), saved

    def backward(saved, state, d_new, params):
        s_i, s_f, s_g, s_o, s_a, _ = saved
        i, g, o, a = (Differentiated.value(s) for s in (s_i, s_g, s_o, s_a))
        f = 1.0 - i if coupled_gates else Differentiated.value(s_f)
        p = peepholes(params)
        c_prev = state[1]
        dh, dc = d_new
        d_o = dh * a * sig.grad(s_o)
        dc = dc + dh * o * act.grad(s_a)
        if p is not None:
            dc = dc + d_o * p[2]
        d_g = dc * i * act.grad(s_g)
        d_prev_c = dc * f
        if coupled_gates:  # i feeds c' twice: as the input gate and through f = 1 - i
            d_i = dc * (g - c_prev) * sig.grad(s_i)
            dz = jnp.concatenate([d_i, d_g, d_o], axis=-1)
        else:
            d_i = dc * g * sig.grad(s_i)
            d_f = dc * c_prev * sig.grad(s_f)
            dz = jnp.concatenate([d_i, d_f, d_g, d_o], axis=-1)
            if p is not None:
                d_prev_c = d_prev_c + d_f * p[1]
        if p is not None:
            d_prev_c = d_prev_c + d_i * p[0]
        return dz, None, (jnp.zeros_like(dh), d_prev_c)

    def params_grad(saved, states, dzx, dzh, params):
        if not peephole:
            return ()
        blocks = jnp.split(dzx, gates, axis=-1)  # (time, batch, units) each
        c_prev, c_new = states[1], saved[-1]
        total = lambda d, c: jnp.sum(d * c, axis=(0, 1))  # noqa: E731
        if coupled_gates:
            return (total(blocks[0], c_prev), total(blocks[2], c_new))
        return (total(blocks[0], c_prev), total(blocks[1], c_prev), total(blocks[3], c_new))

    return Cell(forward, backward, params_grad)


def gru_cell(activation=jnp.tanh, recurrent_activation=jax.nn.sigmoid) -> Cell:
    """The GRU with reset_after=True (Keras 3's default): n = act(x_n + r (h U_n + b_n)), h' = z h + (1 - z) n."""
    act, sig = Differentiated(activation), Differentiated(recurrent_activation)

    def forward(zx, zh, state, params):
        h_new, (z, r, n) = gru_gates(zx, zh, state[0], activation=act.fn, recurrent_activation=sig.fn)
        x_z, x_r, x_n = jnp.split(zx, 3, axis=-1)
        h_z, h_r, h_n = jnp.split(zh, 3, axis=-1)
        # Pre-activations are kept only for activations without an output formula (else XLA drops them).
        return (h_new,), (sig.save(x_z + h_z, z), sig.save(x_r + h_r, r), act.save(x_n + r * h_n, n), h_n)

    def backward(saved, state, d_new, params):
        s_z, s_r, s_n, h_n = saved
        z, r, n = (Differentiated.value(s) for s in saved[:3])
        (dh,) = d_new
        d_pre_n = dh * (1.0 - z) * act.grad(s_n)
        d_pre_z = dh * (state[0] - n) * sig.grad(s_z)
        d_pre_r = d_pre_n * h_n * sig.grad(s_r)
        dzx = jnp.concatenate([d_pre_z, d_pre_r, d_pre_n], axis=-1)
        dzh = jnp.concatenate([d_pre_z, d_pre_r, d_pre_n * r], axis=-1)
        return dzx, dzh, (dh * z,)

    return Cell(forward, backward)


def simple_rnn_cell(activation=jnp.tanh) -> Cell:
    """The Elman RNN: h' = act(zx + zh)."""
    act = Differentiated(activation)

    def forward(zx, zh, state, params):
        z = zx + zh
        h = act.fn(z)
        return (h,), act.save(z, h)

    def backward(saved, state, d_new, params):
        (dh,) = d_new
        return dh * act.grad(saved), None, (jnp.zeros_like(dh),)

    return Cell(forward, backward)


def time_major_projection(inputs, kernel, bias=None):
    """The input projection of every step, `inputs @ kernel + bias`, laid out time-major.

    inputs (batch, time, features) -> (time, batch, gates·units), the layout the scan reads.
    Transposing the narrow inputs first, rather than the projection after, moves
    features/(gates·units) as many bytes; the hand-written backward keeps the gradients in
    that layout too (on CPU, XLA otherwise transposes the whole (time, batch, gates·units)
    error signal for the kernel's gradient).
    """
    if bias is None:
        return _projection(inputs, kernel)
    return _projection_with_bias(inputs, kernel, bias)


@jax.custom_vjp
def _projection(inputs, kernel):
    return jnp.swapaxes(inputs, 0, 1) @ kernel


def _projection_fwd(inputs, kernel):
    x_tm = jnp.swapaxes(inputs, 0, 1)
    return x_tm @ kernel, (x_tm, kernel)


def _projection_bwd(residuals, dz):
    x_tm, kernel = residuals
    features, width = kernel.shape
    dz2 = dz.reshape(-1, width)
    d_kernel = jax.lax.optimization_barrier(x_tm.reshape(-1, features).T) @ dz2
    d_x = (dz2 @ jax.lax.optimization_barrier(kernel.T)).reshape(x_tm.shape)
    return jnp.swapaxes(d_x, 0, 1), d_kernel


_projection.defvjp(_projection_fwd, _projection_bwd)


def _with_ones(x_tm):
    """Time-major inputs with a column of ones appended, so the bias is one more row of the kernel."""
    return jnp.concatenate([x_tm, jnp.ones(x_tm.shape[:-1] + (1,), x_tm.dtype)], axis=-1)


@jax.custom_vjp
def _projection_with_bias(inputs, kernel, bias):
    return _projection_with_bias_fwd(inputs, kernel, bias)[0]


def _projection_with_bias_fwd(inputs, kernel, bias):
    # The bias rides in the matmul as a row of the kernel against a column of ones: one buffer of
    # (time, batch, gates·units) is written. A bias added after the matmul keeps a second one alive
    # (XLA:CPU does not add in place), 4 units of memory per sample and step for the LSTM.
    x_tm = _with_ones(jnp.swapaxes(inputs, 0, 1))
    kernel_b = jnp.concatenate([kernel, bias.reshape(1, -1).astype(kernel.dtype)], axis=0)
    return x_tm @ kernel_b, (x_tm, kernel, bias)


def _projection_with_bias_bwd(residuals, dz):
    x_tm, kernel, bias = residuals
    features, width = kernel.shape
    dz2 = dz.reshape(-1, width)
    # The kernel's and the bias's gradients in one matmul (the ones column sums dz for the bias).
    d_kernel_b = jax.lax.optimization_barrier(x_tm.reshape(-1, features + 1).T) @ dz2
    d_x = (dz2 @ jax.lax.optimization_barrier(kernel.T)).reshape(x_tm.shape[:-1] + (features,))
    return jnp.swapaxes(d_x, 0, 1), d_kernel_b[:features], d_kernel_b[features].reshape(bias.shape)


_projection_with_bias.defvjp(_projection_with_bias_fwd, _projection_with_bias_bwd)


def fused_rnn_scan(cell: Cell, inputs, initial_state, recurrent_kernel, *, recurrent_bias=None,
                   recurrent_dropout_masks=None, mask=None, go_backwards=False, return_sequences=True,
                   masked_output="state", cell_params=(), time_major=False):
    """`rnn_scan` for a `Cell`, with the hand-written backward pass.

    inputs: projected inputs (batch, time, gates·units), or (time, batch, gates·units) with
    time_major=True (see `time_major_projection`); initial_state: tuple of
    (batch, units); recurrent_dropout_masks: None, (batch, units) or
    (gates, batch, units); mask: None or bool (batch, time); masked_output
    "state" (hold h) or "zero" (Keras's zero_output_for_mask); cell_params: the cell's own
    weights (a tuple of arrays, e.g. the LSTM's peepholes), differentiated by `cell.params_grad`.
    Returns (last_output, outputs or None, final_state), as `rnn_scan` does.
    """
    if masked_output not in ("state", "zero"):
        raise ValueError(f"masked_output must be 'state' or 'zero' here, received {masked_output!r}.")
    zx = inputs if time_major else jnp.swapaxes(inputs, 0, 1)  # the scan runs time-major
    keep = None if mask is None else jnp.swapaxes(jnp.asarray(mask, bool), 0, 1)[..., None]
    cell_params = tuple(cell_params)
    if cell_params and cell.params_grad is None:
        raise ValueError("fused_rnn_scan: `cell_params` given for a cell without `params_grad`.")
    ys, final_state = _recurrence(cell, bool(go_backwards), masked_output, bool(return_sequences), zx,
                                  tuple(initial_state), recurrent_kernel, recurrent_bias, recurrent_dropout_masks, keep,
                                  cell_params)
    outputs = None
    if return_sequences:
        last = ys[0] if go_backwards else ys[-1]  # the last step processed
        outputs = jnp.swapaxes(jnp.flip(ys, 0) if go_backwards else ys, 0, 1)  # processing order, as Keras
    else:
        # Only the last output: no (time, batch, units) stack of outputs, nor of their zero gradients.
        # It is the final h (a masked step holds h and, with "state", outputs it), or zeros where the
        # last step processed was masked and masked steps output zeros.
        last = final_state[0]
        if keep is not None and masked_output == "zero":
            last = jnp.where(keep[0] if go_backwards else keep[-1], last, jnp.zeros_like(last))
    return last, outputs, final_state


# ----------------------------------------------------------------------------- the recurrence

UNROLL_STEPS = 8  # inference unrolls sequences up to this length

def _forward(cell, reverse, masked_output, with_outputs, zx, state0, kernel, bias, rec_masks, keep, params, save):
    def body(state, xs):
        zx_t, keep_t = xs
        zh_t = recurrent_projection(state[0], kernel, rec_masks)
        if bias is not None:
            zh_t = zh_t + bias
        new_state, saved = cell.forward(zx_t, zh_t, state, params)
        out = new_state[0]
        if keep_t is not None:  # Keras's masking: hold the state; output h or zeros
            new_state = hold_masked(keep_t, tuple(new_state), state)
            out = masked_step_output(keep_t, out, state, None, masked_output)
        return new_state, (out if with_outputs else None, (saved, state) if save else None)

    # Inference on a short sequence runs unrolled: XLA fuses across the steps and skips the loop's
    # per-step overhead (a third of a one-sample predict). Training keeps the loop, which compiles
    # faster and, measured, runs faster too.
    unroll = zx.shape[0] if (not save and zx.shape[0] <= UNROLL_STEPS) else 1
    final_state, (ys, residuals) = jax.lax.scan(body, state0, (zx, keep), reverse=reverse, unroll=unroll)
    return ys, final_state, residuals


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2, 3))
def _recurrence(cell, reverse, masked_output, with_outputs, zx, state0, kernel, bias, rec_masks, keep, params):
    """(ys or None, final_state): every step's output (time, batch, units) only `with_outputs`."""
    ys, final_state, _ = _forward(cell, reverse, masked_output, with_outputs, zx, state0, kernel, bias, rec_masks,
                                  keep, params, False)
    return ys, final_state


def _recurrence_fwd(cell, reverse, masked_output, with_outputs, zx, state0, kernel, bias, rec_masks, keep, params):
    ys, final_state, residuals = _forward(cell, reverse, masked_output, with_outputs, zx, state0, kernel, bias,
                                          rec_masks, keep, params, True)
    # zx is kept only as the memory its gradient is written into (see _recurrence_bwd).
    return (ys, final_state), (residuals, zx, kernel, bias, rec_masks, keep, params)


def _recurrence_bwd(cell, reverse, masked_output, with_outputs, residuals, cotangents):
    (saved, prev_states), zx, kernel, bias, rec_masks, keep, params = residuals
    d_ys, d_final = cotangents
    kernel_t = _transposed_kernel(kernel, rec_masks)

    def body(carry, xs):
        d_state, dzx_all = carry
        t, saved_t, state, dy_t, keep_t = xs
        d_h = d_state[0] if dy_t is None else d_state[0] + dy_t  # no dy_t: only the last output was used
        if keep_t is None:
            d_new = (d_h, *d_state[1:])
            passed = None
        else:  # a masked step passes the error straight to the held state (and to h if it was the output)
            k = keep_t.astype(d_h.dtype)
            d_new = (k * d_h, *(k * d for d in d_state[1:]))
            held = d_h if masked_output == "state" else d_state[0]
            passed = ((1.0 - k) * held, *((1.0 - k) * d for d in d_state[1:]))
        dzx, dzh, d_prev = cell.backward(saved_t, state, d_new, params)
        dzh_t = dzx if dzh is None else dzh
        d_prev = (d_prev[0] + _recurrent_input_grad(dzh_t, kernel, rec_masks, kernel_t), *d_prev[1:])
        if passed is not None:
            d_prev = tuple(a + b for a, b in zip(d_prev, passed))
        dzx_all = jax.lax.dynamic_update_index_in_dim(dzx_all, dzx.astype(dzx_all.dtype), t, 0)
        return (d_prev, dzx_all), dzh

    # The error signals of the projected inputs overwrite zx step by step, in place: zx is dead once the
    # forward scan has read it, and a fresh (time, batch, gates·units) buffer for them would be allocated
    # (zeroed) before the forward scan, holding twice that memory through it.
    steps = jnp.arange(zx.shape[0], dtype=jnp.int32)
    (d_state0, dzx), dzh = jax.lax.scan(body, (tuple(d_final), zx), (steps, saved, prev_states, d_ys, keep),
                                        reverse=not reverse)
    if dzh is None:
        dzh = dzx
    d_kernel = _recurrent_kernel_grad(prev_states[0], dzh, rec_masks)
    d_bias = None if bias is None else jnp.sum(dzh, axis=(0, 1)).reshape(bias.shape)
    d_masks = None if rec_masks is None else jnp.zeros_like(rec_masks)  # masks are constants
    # The cell's own weights: one reduction over all steps and samples (masked steps have zero signals).
    d_params = tuple(cell.params_grad(saved, prev_states, dzx, dzh, params)) if params else ()
    return dzx, d_state0, d_kernel, d_bias, d_masks, None, d_params


_recurrence.defvjp(_recurrence_fwd, _recurrence_bwd)


def _transposed_kernel(kernel, rec_masks):
    """kernel.T as its own array, made once before the reverse scan, for `_recurrent_input_grad`.

    The barrier keeps XLA from folding the transpose into each step's matmul: on CPU a
    matmul against a transposed operand measured 6-20 % slower per step than this copy.
    """
    if rec_masks is not None and rec_masks.ndim == 3:
        return None  # per-gate masks use the kernel's blocks
    return jax.lax.optimization_barrier(kernel.T)


def _recurrent_input_grad(dzh, kernel, rec_masks, kernel_t):
    """The error signal reaching h through `h @ kernel` (with recurrent dropout masks)."""
    if rec_masks is None:
        return dzh @ kernel_t
    if rec_masks.ndim == dzh.ndim:
        return (dzh @ kernel_t) * rec_masks
    gates = rec_masks.shape[0]
    blocks = zip(jnp.split(dzh, gates, axis=-1), jnp.split(kernel, gates, axis=-1), rec_masks)
    return sum((d @ k.T) * m for d, k, m in blocks)


def _recurrent_kernel_grad(h_prev, dzh, rec_masks):
    """d recurrent_kernel = sum over steps and samples of h_prev^T dzh: one matmul, not one per step.

    h_prev (time, batch, units); dzh (time, batch, gates·units).
    """
    units = h_prev.shape[-1]
    if rec_masks is None or rec_masks.ndim == h_prev.ndim - 1:
        h = h_prev if rec_masks is None else h_prev * rec_masks
        return jax.lax.optimization_barrier(h.reshape(-1, units).T) @ dzh.reshape(-1, dzh.shape[-1])
    gates = rec_masks.shape[0]
    h = h_prev[None] * rec_masks[:, None]  # (gates, time, batch, units)
    d = dzh.reshape(*dzh.shape[:2], gates, -1)  # (time, batch, gates, units)
    return jnp.einsum("gtbi,tbgj->igj", h, d).reshape(units, -1)
