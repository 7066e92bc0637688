"""A compiled model's optimizer state (the optax `OptimizerState` in the trainer) <-> Keras's variable list.

Keras 3 saves `optimizer.variables`: the step count ('iteration'), the learning rate (unless it is
a schedule), then per trainable variable, in the model's variable order: the EMA averages
(`use_ema`), the gradient accumulators (`gradient_accumulation_steps`), and the optimizer's slots,
interleaved per variable where one `build` call creates several (Adam: m0, v0, m1, v1, ...).
tf.keras 2.11+ writes the same list without the learning rate; older Keras 2 optimizers
(`OptimizerV2`) write 'iter' and then each slot kind for all variables ('.../m:0' ..., '.../v:0' ...).
"""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np

from lstmkit import optimizers as O
from lstmkit.optimizers import schedules as schedules_mod
from lstmkit.saving.weights import keras3_trainable_order


def _slot_groups(opt) -> list:
    """Keras 3's slot kinds, as groups created together (interleaved per variable)."""
    if isinstance(opt, O.SGD):
        return [["momentum"]] if opt.momentum != 0 else []
    if isinstance(opt, O.Adam):  # AdamW too
        return [["momentum", "velocity"]] + ([["velocity_hat"]] if opt.amsgrad else [])
    if isinstance(opt, O.RMSprop):
        return [["velocity"]] + ([["momentum"]] if opt.momentum > 0 else []) + \
            ([["average_gradient"]] if opt.centered else [])
    if isinstance(opt, O.Adagrad):
        return [["accumulator"]]
    if isinstance(opt, O.Adadelta):
        return [["accumulated_grad", "accumulated_delta_var"]]
    if isinstance(opt, (O.Adamax,)):
        return [["momentum", "norm"]]
    if isinstance(opt, O.Nadam):
        return [["momentum", "velocity"]]
    if isinstance(opt, O.Lion):
        return [["momentum"]]
    if isinstance(opt, O.Ftrl):
        return [["accumulator", "linear"]]
    return None


# Slot names of Keras 2's OptimizerV2 (the last part of a weight name) -> lstmkit's.
_LEGACY_SLOTS = {"m": "momentum", "v": "velocity", "vhat": "velocity_hat", "momentum": "momentum",
                 "rms": "velocity", "mg": "average_gradient", "accumulator": "accumulator",
                 "accum_grad": "accumulated_grad", "accum_var": "accumulated_delta_var", "linear": "linear"}


def _has_lr_variable(opt) -> bool:
    lr = opt._learning_rate
    return not isinstance(lr, schedules_mod.LearningRateSchedule) and not callable(lr)


def _layout(model):
    """[(kind, slot name, variable or None)] in Keras 3's order, or None for an unknown optimizer."""
    opt = model.optimizer
    groups = _slot_groups(opt)
    if groups is None:
        return None
    variables = keras3_trainable_order(model)
    out = [("iteration", None, None)]
    if _has_lr_variable(opt):
        out.append(("learning_rate", None, None))
    if opt.use_ema:
        out += [("ema", None, v) for v in variables]
    if opt.gradient_accumulation_steps:
        out += [("accumulator", None, v) for v in variables]
    for group in groups:
        out += [("slot", name, v) for v in variables for name in group]
    if isinstance(opt, O.Nadam):
        out.append(("u_product", None, None))
    return out


def _state(model):
    """The trainer's optax state for the current weights, created fresh if training never ran."""
    engine = model._require_compiled("saving or restoring the optimizer of")
    tv, _ = engine.split_values()
    keys = tuple(sorted(tv))
    if model._opt_state is not None and model._opt_state_keys == keys:
        return model._opt_state
    return engine.tx.init(tv)


def optimizer_variables(model) -> list:
    """[(name, array)]: the optimizer's variables as Keras 3 saves them (only the step count and the
    learning rate when training never ran, as Keras does for an optimizer that was never built)."""
    opt = model.optimizer
    prefix = opt.name
    layout = _layout(model)
    header = [(f"{prefix}/iteration", np.asarray(_raw_iterations(model), np.int32))]
    if _has_lr_variable(opt):
        header.append((f"{prefix}/learning_rate", np.asarray(opt.learning_rate, np.float32)))
    if model._opt_state is None or layout is None:
        return header
    state = _state(model)
    out = []
    for kind, slot, v in layout:
        if kind in ("iteration", "learning_rate"):
            continue
        tag = v.path.replace("/", "_") if v is not None else ""
        if kind == "ema":
            out.append((f"{prefix}/{tag}_average", np.asarray(state.ema[v.key])))
        elif kind == "accumulator":
            out.append((f"{prefix}/{tag}_gradient_accumulator", np.asarray(state.accumulators[v.key])))
        elif kind == "slot":
            out.append((f"{prefix}/{tag}_{slot}", np.asarray(state.slots[slot][v.key])))
        else:
            out.append((f"{prefix}/u_product", np.asarray(state.slots["u_product"])))
    return header + out


def _raw_iterations(model) -> int:
    if model._opt_state is not None:
        return int(np.asarray(model._opt_state.iterations))
    steps = model.optimizer.gradient_accumulation_steps
    return model.optimizer.iterations * (steps or 1)


def restore_optimizer_variables(model, values, names=None, where="the file") -> bool:
    """Put saved optimizer variables into the model's optimizer state. Returns True when restored.

    `values`: arrays in Keras 3's order, or tf.keras 2's (told apart by count and `names`). A list
    that does not fit leaves a fresh optimizer, with a warning, as Keras does.
    """
    values = [np.asarray(v) for v in values]
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in (names or [])]
    opt = model.optimizer
    if not model._graph_ready:  # a model saved before it knew its input shape: no weights, no slots
        return False
    layout = _layout(model)
    if names and names[0].endswith("/iter:0") or names and names[0] == "iter:0":
        return _restore_legacy_v2(model, values, names, where)
    if layout is None:
        _fresh(where, f"lstmkit does not know Keras's variable order for {type(opt).__name__}")
        return False
    has_lr = _has_lr_variable(opt)
    if names and names[0].endswith("iteration:0") and has_lr:
        layout = [item for item in layout if item[0] != "learning_rate"]  # tf.keras 2.11+: no learning rate
    header = [item for item in layout if item[0] in ("iteration", "learning_rate")]
    if len(values) not in (len(layout), len(header)):
        _fresh(where, f"it holds {len(values)} optimizer variables where {type(opt).__name__} here has {len(layout)}")
        return False
    state = _state(model)
    slots, ema, acc = dict(state.slots), state.ema, state.accumulators
    slots = {k: (dict(v) if isinstance(v, dict) else v) for k, v in slots.items()}
    ema = dict(ema) if isinstance(ema, dict) else ema
    acc = dict(acc) if isinstance(acc, dict) else acc
    iterations, lr = state.iterations, state.learning_rate
    for (kind, slot, v), value in zip(layout, values):
        if v is not None and tuple(value.shape) != v.shape:
            _fresh(where, f"the {slot or kind} of '{v.path}' has shape {tuple(value.shape)}, the weight {v.shape}")
            return False
        if kind == "iteration":
            iterations = jnp.asarray(int(value), jnp.int32)
        elif kind == "learning_rate":
            lr = jnp.asarray(np.float32(value))
            opt.learning_rate = float(np.float32(value))
        elif kind == "ema":
            ema[v.key] = jnp.asarray(value)
        elif kind == "accumulator":
            acc[v.key] = jnp.asarray(value)
        elif kind == "slot":
            slots[slot][v.key] = jnp.asarray(value, dtype=slots[slot][v.key].dtype)
        else:
            slots["u_product"] = jnp.asarray(np.float32(value))
    _install(model, state._replace(iterations=iterations, learning_rate=lr, slots=slots, ema=ema, accumulators=acc))
    return True


def _restore_legacy_v2(model, values, names, where) -> bool:
    """Keras 2's OptimizerV2 list: 'Opt/iter:0', then every slot kind for all variables."""
    variables = keras3_trainable_order(model)
    groups = _slot_groups(model.optimizer) or []
    wanted = [name for group in groups for name in group]
    by_kind: dict = {}
    for name, value in zip(names[1:], values[1:]):
        kind = _LEGACY_SLOTS.get(name.rsplit("/", 1)[-1].split(":")[0])
        by_kind.setdefault(kind, []).append(value)
    if None in by_kind or sorted(by_kind) != sorted(wanted) or any(len(v) != len(variables) for v in by_kind.values()):
        _fresh(where, "its Keras 2 optimizer slots do not match this optimizer")
        return False
    state = _state(model)
    slots = {k: (dict(v) if isinstance(v, dict) else v) for k, v in state.slots.items()}
    for kind, arrays in by_kind.items():
        for v, value in zip(variables, arrays):
            if tuple(value.shape) != v.shape:
                _fresh(where, f"the {kind} of '{v.path}' has shape {tuple(value.shape)}, the weight {v.shape}")
                return False
            slots[kind][v.key] = jnp.asarray(value, dtype=slots[kind][v.key].dtype)
    _install(model, state._replace(iterations=jnp.asarray(int(values[0]), jnp.int32), slots=slots))
    return True


def _install(model, state):
    engine = model._require_compiled("restoring the optimizer of")
    tv, _ = engine.split_values()
    model._opt_state = state
    model._opt_state_keys = tuple(sorted(tv))
    model.optimizer.iterations = model.optimizer.get_state_iterations(state)


def _fresh(where, why):
    warnings.warn(f"{where}: the saved optimizer state was not restored ({why}); the optimizer starts fresh.",
                  stacklevel=4)
