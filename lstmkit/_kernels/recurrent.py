"""Recurrent cells, once: the LSTM, GRU and SimpleRNN equations and one scan driver.

Everything here is a pure function of arrays. The layers in `lstmkit.layers`
prepare the pieces and call them:

1. `project_inputs` maps every time step through the input kernel in one
   matmul, `x @ kernel + bias` over (batch, time, features), before the loop.
2. A step function (`lstm_step`, `gru_step`, `simple_rnn_step`) adds the
   recurrent projection of the previous state and applies the gates. Steps take
   ``(projected_x_t, state) -> (output_t, new_state)`` plus plain keyword options,
   so variants (peepholes, coupled gates, fused kernels) can sit beside them;
   the LSTM's variants are options of `lstm_gates` (`peepholes`, `coupled_gates`).
3. `rnn_scan` runs a step over time with `jax.lax.scan`, handling masks,
   `go_backwards`, initial states and returning all outputs or the last one.

Gate layouts follow Keras, so weights are interchangeable with it:
LSTM columns are [i, f, c, o] ([i, c, o] with coupled gates), GRU columns [z, r, h].

Dropout masks (Keras semantics) are drawn once per sequence by the caller and
passed in: a mask is either one array (batch, features), applied to the whole
input of the projection, or a stack (gates, batch, features), one mask per gate
block of the kernel (Keras's `implementation=1`, used with recurrent dropout).
"""

from __future__ import annotations

from typing import Callable, Sequence

import jax
import jax.numpy as jnp

State = tuple  # a tuple of (batch, units) arrays: (h, c) for the LSTM, (h,) for GRU / SimpleRNN
Step = Callable[[jax.Array, State], "tuple[jax.Array, State]"]

MASKED_OUTPUTS = ("state", "zero", "previous")


def _masked_matmul(x, kernel, masks=None):
    """`x @ kernel`, with dropout `masks` applied to `x` first.

    masks: None; one array broadcastable against `x` (same mask for all gates);
    or a stack with a leading gate axis, one mask per equal column block of `kernel`.
    """
    if masks is None:
        return jnp.matmul(x, kernel)
    if masks.ndim == x.ndim:
        return jnp.matmul(x * masks, kernel)
    blocks = jnp.split(kernel, masks.shape[0], axis=-1)
    return jnp.concatenate([jnp.matmul(x * m, k) for m, k in zip(masks, blocks)], axis=-1)


def project_inputs(inputs, kernel, bias=None, dropout_masks=None):
    """The input projection of every time step at once.

    inputs (batch, time, features) -> (batch, time, gates * units). `dropout_masks`
    has no time axis, (batch, features) or (gates, batch, features): the same
    mask is used at every step.
    """
    masks = None
    if dropout_masks is not None:
        masks = jnp.expand_dims(dropout_masks, -2)  # broadcast over the time axis
    z = _masked_matmul(inputs, kernel, masks)
    if bias is not None:
        z = z + bias
    return z


def recurrent_projection(h, recurrent_kernel, dropout_masks=None):
    """`h @ recurrent_kernel`, with recurrent dropout masks (batch, units) or (gates, batch, units)."""
    return _masked_matmul(h, recurrent_kernel, dropout_masks)


def lstm_step(x_t, state, recurrent_kernel, *, activation=jnp.tanh, recurrent_activation=jax.nn.sigmoid,
              recurrent_dropout_masks=None, peepholes=None, coupled_gates=False):
    """One LSTM step on a projected input `x_t` = x W + b (batch, gates·units); state = (h, c).

    `peepholes` and `coupled_gates` select the variants (see `lstm_gates`); with
    `coupled_gates` the projections have 3 gate blocks [i, c, o] instead of 4.
    """
    h, c = state
    z = x_t + recurrent_projection(h, recurrent_kernel, recurrent_dropout_masks)
    h, c, _ = lstm_gates(z, c, activation=activation, recurrent_activation=recurrent_activation,
                         peepholes=peepholes, coupled_gates=coupled_gates)
    return h, (h, c)


def lstm_gates(z, c, *, activation=jnp.tanh, recurrent_activation=jax.nn.sigmoid, peepholes=None,
               coupled_gates=False, with_preactivations=False):
    """The LSTM cell on pre-activations z = x W + h U + b and the previous cell state c.

    Returns (h, c, (i, f, g, o)): the new hidden and cell states and the gates
    (input, forget, candidate, output), as in the textbook:
    c' = f * c + i * g,  h' = o * act(c').

    Variants (Gers & Schmidhuber 2000; Greff et al. 2015), which may be combined:

    * `peepholes=(p_i, p_f, p_o)`, (units,) vectors (p_f None when coupled):
      diagonal peephole connections, i = σ(z_i + p_i * c), f = σ(z_f + p_f * c),
      and o = σ(z_o + p_o * c'), the output gate seeing the *new* cell state
      (Keras 2's `PeepholeLSTMCell`).
    * `coupled_gates=True`: z has three gate blocks [i, c, o] (batch, 3 units)
      and the forget gate is f = 1 - i.

    with_preactivations: also return the inputs of the gates' activations,
    (a_i, a_f, a_g, a_o) (a_f None when coupled), for hand-written backward passes.
    """
    if coupled_gates:
        z_i, z_c, z_o = jnp.split(z, 3, axis=-1)
        z_f = None
    else:
        z_i, z_f, z_c, z_o = jnp.split(z, 4, axis=-1)
    p_i, p_f, p_o = peepholes if peepholes is not None else (None, None, None)
    a_i = z_i if p_i is None else z_i + p_i * c
    i = recurrent_activation(a_i)  # input gate
    a_f = None
    if coupled_gates:
        f = 1.0 - i  # forget gate, coupled to the input gate
    else:
        a_f = z_f if p_f is None else z_f + p_f * c
        f = recurrent_activation(a_f)  # forget gate
    g = activation(z_c)  # candidate
    c = f * c + i * g
    a_o = z_o if p_o is None else z_o + p_o * c  # the output gate's peephole sees the new cell state
    o = recurrent_activation(a_o)  # output gate
    h = o * activation(c)
    if with_preactivations:
        return h, c, (i, f, g, o), (a_i, a_f, z_c, a_o)
    return h, c, (i, f, g, o)


def gru_step(x_t, state, recurrent_kernel, recurrent_bias=None, *, activation=jnp.tanh,
             recurrent_activation=jax.nn.sigmoid, reset_after=True, recurrent_dropout_masks=None):
    """One GRU step on a projected input `x_t` = x W + b_input (batch, 3 units); state = (h,).

    reset_after=True (Keras 3 / cuDNN): the reset gate multiplies the recurrent
    projection, `r * (h U_h + b_rh)`. reset_after=False: it multiplies the state
    before the projection, `(r * h) U_h`, and there is no recurrent bias.
    """
    (h,) = state
    masks = recurrent_dropout_masks
    if reset_after:
        zh = recurrent_projection(h, recurrent_kernel, masks)
        if recurrent_bias is not None:
            zh = zh + recurrent_bias
        h, _ = gru_gates(x_t, zh, h, activation=activation, recurrent_activation=recurrent_activation)
        return h, (h,)
    h, _ = gru_gates_reset_before(x_t, h, recurrent_kernel, activation=activation,
                                  recurrent_activation=recurrent_activation, recurrent_dropout_masks=masks)
    return h, (h,)


def gru_gates_reset_before(x_t, h, recurrent_kernel, *, activation=jnp.tanh, recurrent_activation=jax.nn.sigmoid,
                           recurrent_dropout_masks=None):
    """The GRU cell with reset_after=False on x_t = x W + b (batch, 3 units) and the previous state h.

    The reset gate scales the state before the candidate's recurrent matmul: n = act(x_h + (r h) U_h),
    so the recurrent projection cannot be done in one matmul for all gates (and there is no
    recurrent bias). Returns (h, (z, r, candidate)) as `gru_gates` does.
    """
    masks = recurrent_dropout_masks
    x_z, x_r, x_h = jnp.split(x_t, 3, axis=-1)
    units = h.shape[-1]
    zr_masks, h_mask = masks, masks
    if masks is not None and masks.ndim > h.ndim:  # one mask per gate block
        zr_masks, h_mask = masks[:2], masks[2]
    h_z, h_r = jnp.split(recurrent_projection(h, recurrent_kernel[:, : 2 * units], zr_masks), 2, axis=-1)
    z = recurrent_activation(x_z + h_z)  # update gate
    r = recurrent_activation(x_r + h_r)  # reset gate
    h_reset = r * (h if h_mask is None else h * h_mask)
    candidate = activation(x_h + jnp.matmul(h_reset, recurrent_kernel[:, 2 * units:]))
    return z * h + (1.0 - z) * candidate, (z, r, candidate)


def gru_gates(x_t, zh, h, *, activation=jnp.tanh, recurrent_activation=jax.nn.sigmoid):
    """The GRU cell (reset_after=True) on x_t = x W + b_x and zh = h U + b_h, both (batch, 3 units).

    Returns (h, (z, r, candidate)): the new state and the update gate, reset
    gate and candidate: h' = z * h + (1 - z) * candidate.
    """
    x_z, x_r, x_h = jnp.split(x_t, 3, axis=-1)
    h_z, h_r, h_h = jnp.split(zh, 3, axis=-1)
    z = recurrent_activation(x_z + h_z)  # update gate
    r = recurrent_activation(x_r + h_r)  # reset gate
    candidate = activation(x_h + r * h_h)
    h = z * h + (1.0 - z) * candidate
    return h, (z, r, candidate)


def simple_rnn_step(x_t, state, recurrent_kernel, *, activation=jnp.tanh, recurrent_dropout_masks=None):
    """One Elman step on a projected input `x_t` = x W + b (batch, units); state = (h,)."""
    (h,) = state
    h = activation(x_t + recurrent_projection(h, recurrent_kernel, recurrent_dropout_masks))
    return h, (h,)


def previous_output(state):
    """What Keras's scan emits at a masked step: the first state, the previous output of the stock cells.

    With nested states (a stack of cells whose states are lists) it is the first state of the last
    cell, as Keras's `backend.rnn` does it.
    """
    first = state[0]
    if isinstance(first, (list, tuple)):
        return state[-1][0]
    return first


def _keep_for(keep, value):
    """`keep` (batch, 1) shaped to broadcast against `value` (batch, ...): a cell's states may be 3-D or 4-D."""
    return keep.reshape(keep.shape[:1] + (1,) * (jnp.ndim(value) - 1))


def hold_masked(keep, new_state, state):
    """Keras's masking of one step: where `keep` (batch, 1) is False, the state is carried unchanged."""
    return jax.tree_util.tree_map(lambda n, s: jnp.where(_keep_for(keep, n), n, s), new_state, state)


def masked_step_output(keep, out, state, previous, masked_output):
    """A step's output with masked samples filled by `masked_output` (see `rnn_scan`)."""
    if masked_output == "state":
        fill = previous_output(state)
    elif masked_output == "zero":
        fill = jnp.zeros_like(out)
    else:
        fill = previous
    return jnp.where(_keep_for(keep, out), out, fill)


def rnn_scan(step: Step, inputs, initial_state: Sequence, *, mask=None, go_backwards=False, unroll=False,
             return_sequences=True, masked_output="state"):
    """Run `step(x_t, state) -> (output_t, new_state)` over the time axis of `inputs`.

    inputs: (batch, time, ...) already projected, or a pytree of such arrays (the step gets the
    matching pytree of (batch, ...) slices); initial_state: a tuple of (batch, ...) arrays or a
    nested tuple of them (a stack of cells). mask: optional bool (batch, time); at a masked step
    the state is carried unchanged and the output is, by `masked_output`:
    "state" the previous state's first element (h; see `previous_output`) — Keras's scan path;
    "zero" zeros — Keras's `zero_output_for_mask` (set by Bidirectional);
    "previous" the previous step's output, zeros before the first — Keras's
    unrolled path.
    go_backwards processes the steps last to first and returns the outputs in
    processing order (i.e. reversed), as Keras does. unroll unrolls the loop
    (the length is always static here).

    Returns (last_output (batch, out), outputs (batch, time, out) or None, final_state).
    """
    if masked_output not in MASKED_OUTPUTS:
        raise ValueError(f"masked_output must be one of {MASKED_OUTPUTS}, received {masked_output!r}.")
    state = tuple(initial_state)
    xs = jax.tree_util.tree_map(lambda a: jnp.swapaxes(a, 0, 1), inputs)  # time-major for the scan
    first = jax.tree_util.tree_map(lambda a: a[0], xs)
    out_spec = jax.eval_shape(step, first, state)[0]
    no_output = jnp.zeros(out_spec.shape, out_spec.dtype)

    if mask is None:
        def body(carry, x_t):
            state, _ = carry
            out, new_state = step(x_t, state)
            return (tuple(new_state), out), (out if return_sequences else None)

        scan_xs = xs
    else:
        steps_mask = jnp.swapaxes(jnp.asarray(mask).astype(bool), 0, 1)[..., None]  # (time, batch, 1)

        def body(carry, x):
            state, previous = carry
            x_t, keep = x
            out, new_state = step(x_t, state)
            new_state = hold_masked(keep, tuple(new_state), state)
            out = masked_step_output(keep, out, state, previous, masked_output)
            return (new_state, out), (out if return_sequences else None)

        scan_xs = (xs, steps_mask)

    (final_state, last_output), ys = jax.lax.scan(body, (state, no_output), scan_xs, reverse=go_backwards,
                                                  unroll=bool(unroll))
    outputs = None
    if return_sequences:
        if go_backwards:  # the scan stored step t's output at index t; Keras returns processing order
            ys = jnp.flip(ys, axis=0)
        outputs = jnp.swapaxes(ys, 0, 1)
    return last_output, outputs, tuple(final_state)
