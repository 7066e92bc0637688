"""One recurrent layer's steps, recorded for `lstmkit.inspect.trace`: gates and states at every step.

A recurrent layer supplies `trace_cell(params)` -> `(kind, quantities, cell)`: `cell(x_t, state)`
returns `(new_state, gates)` for one step on the projected input `x_t`, without dropout; the
gates are named by `quantities` less the layer's `_state_names`, in the order of `quantities`.
`trace_recurrence` runs that cell over a sequence, in inference mode:

* masked steps hold the state (the states repeat the previous values there) and the gates,
  never applied, are NaN;
* a layer with `go_backwards=True` reads the steps last to first but is recorded in input
  order: index t is the step that read input t;
* the layer starts from `initial_state`, else its carried state if stateful (read, not changed),
  else zeros.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.layers.base import CallContext
from lstmkit._kernels.recurrent import hold_masked


def trace_recurrence(layer, params, x, mask=None, initial_state=None, states=None, name=None) -> dict:
    """{'kind', 'values', 'inputs', 'mask', 'go_backwards'} of `layer` (an RNN layer) on inputs `x`."""
    name = layer.name if name is None else name
    kind, quantities, cell = layer.trace_cell(params)
    x = jnp.asarray(x, jnp.float32)
    layer._check_input_shape(x.shape)
    batch, steps, _ = x.shape
    ctx = CallContext(training=False, state_in=states)
    state0 = layer._resolve_initial_state(ctx, batch, initial_state)
    keep = jnp.ones((batch, steps), bool) if mask is None else jnp.asarray(mask).astype(bool)
    if keep.shape != (batch, steps):
        raise ValueError(f"trace(): layer {name!r} received a mask of shape {tuple(keep.shape)}; "
                         f"expected (samples, time) = {(batch, steps)}.")
    projected = layer._project(params, x, None)

    def body(state, step_in):
        x_t, keep_t = step_in
        new_state, gates = cell(x_t, state)
        k = keep_t[:, None]
        new_state = hold_masked(k, tuple(new_state), state)  # Keras's masking, as the layers do it
        gates = tuple(jnp.where(k, g, jnp.nan) for g in gates)
        return new_state, (gates, new_state)

    # reverse=True reads the steps last to first and still stores step t's results at index t.
    _, (gates, held) = jax.lax.scan(body, tuple(state0), (jnp.swapaxes(projected, 0, 1), keep.T),
                                    reverse=layer.go_backwards)
    state_names = tuple(layer._state_names)
    gate_names = [q for q in quantities if q not in state_names]
    arrays = dict(zip(gate_names, gates))
    arrays.update(zip(state_names, held))
    values = {q: np.asarray(jnp.swapaxes(arrays[q], 0, 1)) for q in quantities}
    return {"kind": kind, "values": values, "inputs": np.asarray(x),
            "mask": None if mask is None else np.asarray(keep), "go_backwards": layer.go_backwards}
