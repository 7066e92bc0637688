"""`EarlyStopping` decided inside the compiled epoch loop.

An `EarlyStopping` callback only needs each epoch's logged value, so it does not have to stop
the engine after every epoch: the program runs the callback's rule itself after each epoch and
ends its loop at the epoch the callback would stop at, keeping a copy of the best epoch's
weights when `restore_best_weights` is set. The host then replays the epochs through the real
callback, which stays the authority: its state (best, wait, stopped epoch) is what the user sees,
and the device's state is reset from it before every call.

The device compares in float32 and the callback in float64. With `min_delta=0` and no
`baseline` (the usual case) both compare float32 values and always agree. Otherwise a
comparison within a few float32 ulps is *undecided*: the program ends its loop after that epoch
without deciding, and the host decides it, with the current weights at hand.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.callbacks import callback as callback_mod

# Relative width of the band in which a float32 comparison may differ from the float64 one.
_BAND = 2.0 ** -20


class StopPlan(NamedTuple):
    """The static part of the rule (part of the program's key)."""

    index: int           # column of the monitored value in a log row
    maximize: bool
    restore: bool
    has_baseline: bool
    exact: bool          # min_delta == 0: comparisons with past float32 values are exact


class StopState(NamedTuple):
    best: jax.Array       # f32, the best monitored value (valid when has_best)
    has_best: jax.Array   # bool
    wait: jax.Array       # i32
    best_epoch: jax.Array  # i32
    stopped: jax.Array    # bool
    pending: jax.Array    # bool: the last epoch's comparison is left to the host
    snapshot: dict        # the best epoch's weights (model keys), when restore
    has_snapshot: jax.Array


# The callback's best weights while they live on the device (resolved when the fit ends).
ON_DEVICE = object()


def _is_plain_early_stopping(cb):
    from lstmkit.callbacks.early_stopping import EarlyStopping

    if not isinstance(cb, EarlyStopping):
        return False
    cls = type(cb)
    for name in ("on_epoch_begin", "on_epoch_end", "_is_improvement", "get_monitor_value"):
        if getattr(cls, name) is not getattr(EarlyStopping, name) or name in vars(cb):
            return False
    return True


def plan_for(cbs, log_names):
    """(plan, callback) when the only callback of `cbs` that must see epochs live is a plain
    `EarlyStopping` whose rule the program can run; else None (the engine then runs live epochs)."""
    live = [cb for cb in cbs.callbacks if callback_mod.needs_live_epochs(cb)]
    if len(live) != 1 or not _is_plain_early_stopping(live[0]):
        return None
    cb = live[0]
    if cb.monitor not in log_names:
        return None  # the callback warns about the missing key, once per epoch, as it always has
    if cb.monitor_op is None:
        try:
            cb._set_monitor_op()
        except ValueError:
            return None  # raised by the callback itself at the first epoch, as before
    for value in (cb.min_delta, cb.baseline, cb.patience, cb.start_from_epoch):
        if value is not None and not np.isfinite(float(value)):
            return None
    maximize = cb.monitor_op is np.greater
    plan = StopPlan(list(log_names).index(cb.monitor), maximize, bool(cb.restore_best_weights),
                    cb.baseline is not None, float(cb.min_delta) == 0.0)
    return plan, cb


def params_of(cb):
    """The traced numbers of the rule: (min_delta as the callback subtracts it, baseline, patience,
    start_from_epoch)."""
    return (np.float32(cb.min_delta), np.float32(cb.baseline if cb.baseline is not None else 0.0),
            np.int32(cb.patience), np.int32(cb.start_from_epoch))


def state_from(cb, snapshot):
    """The device state that continues from the callback's state; `snapshot`: the best weights kept
    on the device so far (model keys; when the callback has none yet, any weights of the right shape)."""
    best = cb.best
    has_best = best is not None
    return StopState(
        best=np.float32(best if has_best else 0.0), has_best=np.bool_(has_best), wait=np.int32(cb.wait),
        best_epoch=np.int32(cb.best_epoch), stopped=np.bool_(False), pending=np.bool_(False),
        snapshot=snapshot, has_snapshot=np.bool_(cb.best_weights is not None))


def _improves(plan, value, reference, md, exact):
    """(improves, undecided): the callback's `monitor_op(value - min_delta, reference)`."""
    shifted = value - md
    better = shifted > reference if plan.maximize else shifted < reference
    if exact:
        return better, jnp.bool_(False)
    scale = jnp.maximum(jnp.maximum(jnp.abs(value), jnp.abs(md)), jnp.abs(reference))
    return better, jnp.abs(shifted - reference) <= _BAND * scale + 1e-37


def step(plan, state, params, row, epoch, weights):
    """The callback's `on_epoch_end` for one epoch, on the device."""
    md, baseline, patience, start = params
    current = row[plan.index]
    monitored = epoch >= start
    first = plan.restore & ~state.has_snapshot  # nothing recorded yet: the current weights are the best
    wait = state.wait + 1
    better, undecided = _improves(plan, current, state.best, md, plan.exact)
    improved = ~state.has_best | better
    undecided = state.has_best & undecided
    reset = jnp.bool_(True)
    if plan.has_baseline:
        reset, base_undecided = _improves(plan, current, baseline, md, False)
        undecided = undecided | (improved & base_undecided)
    take = improved | first
    applied = StopState(
        best=jnp.where(improved, current, state.best),
        has_best=jnp.bool_(True),
        wait=jnp.where(improved & reset, 0, wait),
        best_epoch=jnp.where(take, epoch, state.best_epoch),
        stopped=~improved & (wait >= patience) & (epoch > 0),
        pending=jnp.bool_(False),
        snapshot=(jax.tree_util.tree_map(lambda s, w: jnp.where(take, w, s), state.snapshot, weights)
                  if plan.restore else state.snapshot),
        has_snapshot=state.has_snapshot | plan.restore,
    )
    apply = monitored & ~undecided
    kept = jax.tree_util.tree_map(lambda a, o: jnp.where(apply, a, o), applied, state)
    return kept._replace(pending=monitored & undecided)


# ---------------------------------------------------------------------------------- host side
class Replay:
    """Makes the callback use the device's copy of the best weights while epochs are replayed."""

    def __init__(self, cb):
        self.cb = cb

    def __enter__(self):
        self.cb._current_weights = lambda: ON_DEVICE
        return self

    def __exit__(self, *exc):
        self.cb.__dict__.pop("_current_weights", None)
        return False


def resolve(cb, model, snapshot):
    """Turn the callback's `ON_DEVICE` best weights into host arrays in `get_weights()` order."""
    if cb.best_weights is ON_DEVICE:
        cb.best_weights = [np.array(snapshot[v.key], copy=True) for v in model.weights]


def stack_states(cbs, snapshot):
    """One `StopState` for models trained together, continuing from their callbacks' states;
    `snapshot`: the stacked best weights on the device (their shape, when there are none yet)."""
    states = [state_from(cb, snapshot) for cb in cbs]
    fields = {name: np.stack([getattr(s, name) for s in states]) for name in StopState._fields if name != "snapshot"}
    return StopState(snapshot=snapshot, **fields)


def take_current(snapshot, weights, i):
    """The stacked snapshot with model i's entry replaced by its current weights."""
    return jax.tree_util.tree_map(lambda s, w: s.at[i].set(w[i]), snapshot, weights)
