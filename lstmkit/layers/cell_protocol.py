"""Keras 3's cell protocol, as `RNN` and `StackedRNNCells` use it.

A cell is any object with `state_size` (an int, or a list with one entry per state; a stack's
entries are its cells' state sizes) and `call(inputs, states, training=None) -> (output,
new_states)` for one step; optionally `output_size` and `get_initial_state(batch_size)`.

States travel as tuples (nested for a stack), so that `lax.scan` sees one carry structure
whatever lists or tuples a cell returns; `RNN` hands them back to the user as lists, as Keras.
"""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp

from lstmkit.layers.base import CallContext, Layer


def check_cell(cell, what="cell", message=None):
    """Keras's checks (and messages) for an object used as a cell."""
    if "call" not in dir(cell):
        raise ValueError(message[0].format(cell=cell) if message else
                         f"Argument `{what}` should have a `call` method. Received: {what}={cell}")
    if "state_size" not in dir(cell):
        raise ValueError(message[1].format(cell=cell) if message else
                         "The RNN cell should have a `state_size` attribute (single integer or list of integers, "
                         f"one integer per RNN state). Received: {what}={cell}")


def output_size(cell):
    """The size of a cell's output: `output_size`, else its (first) state size."""
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return state_size[0] if isinstance(state_size, (list, tuple)) else state_size


def to_tuples(state):
    """Lists and tuples -> tuples, all the way down; leaves as float32 arrays."""
    if isinstance(state, (list, tuple)):
        return tuple(to_tuples(s) for s in state)
    return jnp.asarray(state, jnp.float32)


def to_lists(state):
    if isinstance(state, (list, tuple)):
        return [to_lists(s) for s in state]
    return state


def initial_state(cell, batch_size, state_sizes):
    """The cell's `get_initial_state(batch_size=...)` as a list, else zeros of `state_sizes` (Keras's rule)."""
    fn = getattr(cell, "get_initial_state", None)
    if fn is not None:
        state = fn(batch_size=int(batch_size))
        return list(state) if isinstance(state, (list, tuple)) else [state]
    return [_zeros(batch_size, d) for d in state_sizes]


def _zeros(batch_size, size):
    if isinstance(size, (list, tuple)):
        return [_zeros(batch_size, d) for d in size]
    return jnp.zeros((int(batch_size), int(size)), jnp.float32)


def normalize_new_state(new_state, state):
    """A cell's returned states in the structure of the states it was given (a bare array -> (array,))."""
    if not isinstance(new_state, (list, tuple)):
        new_state = (new_state,)
    new_state = to_tuples(new_state)
    want = jax.tree_util.tree_structure(state)
    if jax.tree_util.tree_structure(new_state) != want:
        leaves = jax.tree_util.tree_leaves(new_state)
        if len(leaves) != want.num_leaves:
            raise ValueError(f"The cell returned {len(leaves)} state tensor(s) but was given {want.num_leaves}; "
                             "`call(inputs, states)` must return (output, new_states) with one new state per state.")
        new_state = jax.tree_util.tree_unflatten(want, leaves)
    return new_state


def _accepts_training(fn) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "training" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def cell_step_function(cell, params, ctx, training, batch, features):
    """`step(x_t, state, key=None) -> (output, new_state)` for one cell, state a tuple.

    Stock cells and stacks supply their own (`step_function`: dropout masks drawn once per
    sequence); any other cell runs its `apply` (a Keras-style cell reads its weights as the
    traced `params`) under a context of its own whose random keys come from `key`, one per step.
    """
    own = getattr(cell, "step_function", None)
    if own is not None and getattr(cell, "_steps_itself", True):
        run = own(params, ctx, training, batch, features)
        return lambda x_t, state, key=None: run(x_t, state)

    def step(x_t, state, key=None):
        step_ctx = CallContext(training=training, rng=key)
        if isinstance(cell, Layer):
            (output, new_state), _ = cell.apply(params, x_t, step_ctx, state, training=training)
            if step_ctx.losses:  # a loss per step would have to leave the scan: say so rather than drop it
                raise NotImplementedError(
                    f"RNN: cell '{cell.name}' added a loss in its step (add_loss or activity_regularizer); "
                    "lstmkit does not collect losses from inside the recurrence. Add it after the RNN layer instead.")
        else:  # a plain object: a function of arrays without weights of its own
            kwargs = {"training": training} if _accepts_training(cell.call) else {}
            output, new_state = cell.call(x_t, state, **kwargs)
        return jnp.asarray(output), normalize_new_state(new_state, state)

    return step
