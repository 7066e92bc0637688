"""Many models of one architecture trained as one compiled program.

`fit_many` builds `n` models with `build_fn`, stacks their weights, optimizer states and random
keys, and trains them together: the engine's whole-epoch program vmapped over the models. Each
model gets what `model.fit` would have given it alone (the same seeds give the same numbers):
its own initial weights, shuffle orders and dropout keys; its own data, sample weights and
validation set when given per model (datasets of different sizes are padded, and the padding
batches are skipped); its own callbacks, so `EarlyStopping` stops one model while the others go
on (a stopped model's carry is masked, not updated).
"""

from __future__ import annotations

import contextlib
import copy
import time
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit import _random
from lstmkit.training import early_stop, many_shrink, programs
from lstmkit.training.engine import epochs_per_call, pad_rows, padded_rows


class CannotTrainTogether(ValueError):
    """The models cannot share one program (different architectures, stateful layers, per-batch
    callbacks, ...); train them one by one."""


class ManyFit(NamedTuple):
    """`fit_many`'s result: the trained models and one `History` per model."""

    models: list
    histories: list


def _is_per_model(value, n):
    return isinstance(value, list) and len(value) == n and all(isinstance(v, (tuple, list)) for v in value)


def _stack(trees):
    # On the host: an eager jnp.stack per leaf would compile (or load) a small program per shape.
    return jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *trees)


def _unstack(tree, n):
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    leaves = [np.asarray(leaf) for leaf in leaves]
    return [treedef.unflatten([leaf[i] for leaf in leaves]) for i in range(n)]


def fit_many(build_fn, x=None, y=None, n=None, *, datasets=None, epochs=1, batch_size=None, validation_data=None,
             validation_split=0.0, sample_weight=None, shuffle=True, callbacks=None, seed=None, verbose=0) -> ManyFit:
    """Train `n` new models of one architecture together, in one compiled program.

    build_fn: called with no arguments, returns a new compiled model (the same architecture and
        compile settings each time). With `seed`, model i is built and trained after
        `set_random_seed(seed + i)`, exactly as `set_random_seed(seed + i); m = build_fn(); m.fit(...)`;
        `seed` may also be a list of one seed per model.
    x, y, sample_weight: one dataset for every model; or `datasets`: one `(x, y)` or
        `(x, y, sample_weight)` per model (n is then its length; sizes may differ).
    validation_data: `(x_val, y_val)` for every model, or a list of one such tuple per model;
        `validation_split` takes the last fraction of each model's data, as `fit` does.
    callbacks: a list of callbacks; each model gets its own deep copy (its own EarlyStopping state).
        Callbacks that need per-batch hooks are not supported here. An `EarlyStopping` runs inside
        the compiled program (many epochs per call); other epoch-level callbacks make each call one epoch.
    verbose: 0 silent; 1 prints one line per compiled call: the epoch, how many models still
        train, and each model's last losses.

    Returns `ManyFit(models, histories)`. Raises `CannotTrainTogether` (a ValueError) when the models
    cannot share one program: different architectures or compile settings, your own layer classes,
    stateful layers, per-batch callbacks, or a batch size larger than a model's data.
    """
    from lstmkit import callbacks as callbacks_mod
    from lstmkit.models import Model
    from lstmkit.training.trainer import _keras_order
    from lstmkit.utils import set_random_seed

    if datasets is not None:
        if x is not None or y is not None or sample_weight is not None:
            raise ValueError("fit_many(): give either `x`/`y`/`sample_weight` (one dataset for every model) or "
                             "`datasets` (one per model), not both.")
        if not isinstance(datasets, (list, tuple)) or not datasets:
            raise ValueError(f"fit_many(datasets=...) must be a non-empty list of (x, y) or (x, y, sample_weight) "
                             f"tuples; received {type(datasets).__name__}.")
        if n is not None and n != len(datasets):
            raise ValueError(f"fit_many(): n={n} but {len(datasets)} datasets were given.")
        n = len(datasets)
        for i, d in enumerate(datasets):
            if not isinstance(d, (tuple, list)) or len(d) not in (2, 3):
                raise ValueError(f"fit_many(datasets=...): item {i} must be (x, y) or (x, y, sample_weight); "
                                 f"received {type(d).__name__} of length {len(d) if hasattr(d, '__len__') else '?'}.")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"fit_many(n=...) must be an integer >= 1; received {n!r}.")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit_many(epochs=...) must be an integer >= 0; received {epochs!r}.")
    if shuffle not in (True, False):
        raise ValueError(f"fit_many(shuffle=...) must be True or False; received {shuffle!r}.")
    per_model_val = _is_per_model(validation_data, n)
    if isinstance(validation_data, list) and not per_model_val:
        raise ValueError(f"fit_many(validation_data=...) must be one (x_val, y_val) tuple or a list of {n} such "
                         f"tuples, one per model; received a list of {len(validation_data)}.")

    if isinstance(seed, (list, tuple)):
        if len(seed) != n or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in seed):
            raise ValueError(f"fit_many(seed=...) must be an integer or a list of {n} integers (one per model); "
                             f"received {seed!r}.")
        seeds = [int(s) for s in seed]
    elif seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        seeds = None if seed is None else [int(seed) + i for i in range(n)]
    else:
        raise ValueError(f"fit_many(seed=...) must be an integer or a list of integers; received {seed!r}.")
    if verbose not in (0, 1, 2, "auto"):
        raise ValueError(f"fit_many(verbose=...) must be 0, 1, 2 or 'auto'; received {verbose!r}.")
    models, keys, shuffle_seeds = [], [], []
    for i in range(n):
        if seeds is not None:
            set_random_seed(seeds[i])
        model = build_fn()
        if not isinstance(model, Model) or not getattr(model, "compiled", False):
            raise ValueError(f"fit_many(): `build_fn()` must return a new compiled lstmkit Model; call {i} "
                             f"returned {model!r}.")
        if any(model is m for m in models):
            raise ValueError("fit_many(): `build_fn()` returned the same model twice; it must build a new one.")
        if datasets is None:
            data_x, data_y, data_w = x, y, sample_weight
        else:
            data_x, data_y, data_w = (tuple(datasets[i]) + (None,))[:3]
        model._build_from_data(data_x)
        engine = model._require_compiled("training")
        if model._stateful_layers():
            raise CannotTrainTogether("fit_many() does not train stateful models (their states follow one batch order); "
                             "fit them one by one.")
        models.append((model, engine, data_x, data_y, data_w))
        # The draws `fit` makes first, in its order: its key, then its shuffle generator's seed.
        keys.append(_random.next_key())
        shuffle_seeds.append(int(_random.numpy_rng().integers(2**63)))

    first = models[0][1]
    if any(e.owner.programs is not first.owner.programs for _, e, *_ in models[1:]):
        raise CannotTrainTogether("fit_many(): `build_fn()` must build models of one architecture with the same compile() "
                         "settings; they differ (or hold your own layer classes, which are never shared).")

    trains, vals = [], []
    for i, (model, engine, dx, dy, dw) in enumerate(models):
        train = model._prepare_data(dx, dy, dw)
        val = None
        vd = validation_data[i] if per_model_val else validation_data
        if vd is not None:
            val = model._prepare_validation(tuple(vd))
        elif validation_split:
            train, val = train.split(validation_split)
        if not hasattr(train, "xs") or (val is not None and not hasattr(val, "xs")):
            raise CannotTrainTogether("fit_many() trains on arrays; a WindowedSeries is not supported here.")
        trains.append(train)
        vals.append(val)
    if any((v is None) != (vals[0] is None) for v in vals):
        raise ValueError("fit_many(): give every model a validation set or none.")

    ns = [t.n for t in trains]
    n_max = max(ns)
    bs = batch_size or 32
    bs = min(bs, min(ns))  # fit uses min(batch, n) per model; one batch size serves all only if it fits all
    if any(min(batch_size or 32, k) != bs for k in ns):
        raise CannotTrainTogether(f"fit_many(): batch_size={batch_size or 32} is larger than the smallest dataset "
                         f"({min(ns)} samples); pass a batch_size of at most {min(ns)}.")
    shared_data = datasets is None and not validation_split
    val_bs = 0
    shared_val = True
    if vals[0] is not None:
        val_bs = bs  # as fit: validation sets padded to whole batches
        shared_val = validation_data is not None and not per_model_val

    # Padded as fit pads (to a bucket of whole batches), so other sizes in the bucket share the program.
    n_max = padded_rows(n_max, bs)
    data_host = val_host = None  # stacked per model, kept on the host for `Stack.shrink`
    if shared_data:
        data = jax.device_put(pad_rows(trains[0].device_arrays(), n_max))
    else:
        data_host = _stack([pad_rows(t.device_arrays(), n_max) for t in trains])
        data = jax.device_put(data_host)
    if vals[0] is None:
        val_data = ()
        n_val = np.zeros((n,), np.int32)
    elif shared_val:
        vmax = padded_rows(vals[0].n, val_bs)
        val_data = jax.device_put(pad_rows(vals[0].device_arrays(), vmax))
        n_val = np.full((n,), vals[0].n, np.int32)
    else:
        vmax = padded_rows(max(v.n for v in vals), val_bs)
        val_host = _stack([pad_rows(v.device_arrays(), vmax) for v in vals])
        val_data = jax.device_put(val_host)
        n_val = np.array([v.n for v in vals], np.int32)

    # Carries in program keys (the same for every model of the architecture), stacked over models.
    carries = []
    for model, engine, *_ in models:
        tv, ntv = engine.split_values()
        opt_state = model._opt_state_for(engine, tv)
        carries.append(engine.owner.binding.program((tv, ntv, opt_state, {})))
    carry = first.owner.binding.model(_stack(carries))

    cbs_list = []
    for (model, *_), k in zip(models, ns):
        try:
            own = [copy.deepcopy(c) for c in (callbacks or [])]
        except Exception as e:  # noqa: BLE001 - e.g. a callback holding an open file
            raise CannotTrainTogether(f"fit_many(): each model needs its own copy of the callbacks, and one "
                                      f"cannot be copied ({type(e).__name__}: {e}).") from None
        cbs = callbacks_mod.CallbackList(own, add_history=True, add_progbar=False, verbose=0, epochs=epochs,
                                         steps=-(-k // bs), model=model)
        if cbs.needs_batch_hooks(mode="train"):
            raise CannotTrainTogether("fit_many(): callbacks with per-batch hooks are not supported; fit such models one "
                             "by one.")
        cbs_list.append(cbs)
    live = any(c.needs_live_epochs() for c in cbs_list)
    names = first.log_names + ([f"val_{k}" for k in first.log_names] if val_bs else [])
    # An EarlyStopping (the usual only live callback) runs inside the program: many epochs per call.
    plans = [early_stop.plan_for(c, names) for c in cbs_list] if live else [None]
    stop = plans[0][0] if plans[0] is not None and all(p is not None and p[0] == plans[0][0] for p in plans) else None
    stop_cbs = [p[1] for p in plans] if stop is not None else []
    live = live and stop is None
    run = first.run_many_fn(bs, bool(shuffle), val_bs, shared_data, shared_val, stop)
    capacity = epochs_per_call(n_max * n, bool(shuffle))
    shuffle_rngs = [np.random.default_rng(s) for s in shuffle_seeds]
    spare = [[] for _ in range(n)]  # orders drawn for epochs a call did not reach
    # The program's positions: `stack.where[p]` is the model at position p (-1: padding). With an in-program
    # EarlyStopping the stack shrinks to the models still training once most have stopped (`many_shrink`).
    stack = many_shrink.Stack(n, carry, data, val_data, data_host, val_host, np.stack([np.asarray(k) for k in keys]),
                              np.array(ns, np.int32), n_val)
    for (model, *_), cbs in zip(models, cbs_list):
        model.stop_training = False
        cbs.on_train_begin()
    snapshot = None
    if stop is not None:
        stop_params = early_stop.params_of(stop_cbs[0])
        snapshot = {**stack.carry[0], **stack.carry[1]}
    shrink = many_shrink.Plan(n) if stop is not None else None
    last_logs = [{} for _ in range(n)]
    epoch = 0
    started = time.perf_counter()
    while epoch < epochs and stack.active.any():
        n_run = 1 if live else min(epochs - epoch, capacity)
        positions = [(p, i) for p, i in enumerate(stack.where) if i >= 0]
        if live:
            for p, i in positions:
                if stack.active[p]:
                    cbs_list[i].on_epoch_begin(epoch)
            stack.carry = _sync_learning_rates(stack.carry, [models[max(i, 0)] for i in stack.where], stack.active)
        orders = np.zeros((len(stack.where), capacity, n_max), np.int32) if shuffle else np.zeros((0,), np.int32)
        if shuffle:
            for p, i in positions:
                for e in range(n_run):
                    orders[p, e, :ns[i]] = spare[i].pop(0) if spare[i] else shuffle_rngs[i].permutation(ns[i])
        t0, compiled0 = time.perf_counter(), programs.compile_seconds()
        args = (stack.carry, stack.data, stack.val_data, orders, stack.keys, stack.n_real, stack.n_val, stack.active,
                np.int32(epoch), np.int32(n_run))
        if stop is None:
            stack.carry, logs = run(*args)
            ran = n_run
        else:
            states = early_stop.stack_states([stop_cbs[max(i, 0)] for i in stack.where], snapshot)
            stack.carry, logs, states, ran = run(*args, states, stop_params, np.int32(shrink.at))
            ran = int(ran)
            snapshot = states.snapshot
        logs = np.asarray(logs)[:, :ran]
        if shuffle:  # epoch e of a model always has its e-th order, even when a call ends before its last
            for p, i in positions:
                spare[i] = [orders[p, e, :ns[i]].copy() for e in range(ran, n_run)]
        elapsed = time.perf_counter() - t0
        compiling = programs.compile_seconds() - compiled0
        if live:
            _write_back(models, stack, stack.active)
        pending = np.asarray(states.pending) if stop is not None else np.zeros((len(stack.where),), bool)
        for p, i in positions:
            model, cbs = models[i][0], cbs_list[i]
            if not stack.active[p]:
                continue
            if hasattr(cbs, "set_epoch_time"):
                cbs.set_epoch_time(elapsed / ran)
            with early_stop.Replay(stop_cbs[i]) if stop is not None else contextlib.nullcontext():
                for e in range(ran):
                    row = _keras_order({k: float(v) for k, v in zip(names, logs[p, e])})
                    if not live:
                        cbs.on_epoch_begin(epoch + e)
                    cbs.on_epoch_end(epoch + e, row)
                    last_logs[i] = row
                    if model.stop_training:
                        break
            if stop is not None and bool(model.stop_training) != bool(states.stopped[p]) and not pending[p]:
                raise RuntimeError(f"fit_many(): the program's EarlyStopping and the callback disagree for model {i} "
                                   f"(stopped: {bool(states.stopped[p])} vs {bool(model.stop_training)}); this is a "
                                   "bug in lstmkit, please report it.")
            if pending[p] and stop_cbs[i].best_epoch == epoch + ran - 1:
                # The host decided an undecided epoch as an improvement: its weights are the best.
                snapshot = early_stop.take_current(snapshot, {**stack.carry[0], **stack.carry[1]}, p)
            if model.stop_training:
                stack.active[p] = False
        epoch += ran
        if shrink is not None and epoch < epochs:
            training = [stop_cbs[i] for p, i in positions if stack.active[p]]
            size = shrink.after_call(len(stack.where), training, epochs - epoch, elapsed - compiling, ran, compiling)
            if size:
                snapshot = stack.shrink(size, first.owner.binding, snapshot)
        if verbose:
            _print_progress(epoch, epochs, stack.still_training(n), last_logs, time.perf_counter() - started)
    stack.finish(first.owner.binding, snapshot)
    for i, (model, engine, *_) in enumerate(models):
        _write_part(model, engine, stack.done[i][0])
    histories = []
    if stop is not None:
        for i, (model, engine, *_) in enumerate(models):
            early_stop.resolve(stop_cbs[i], model, engine.owner.binding.model(stack.done[i][1]))
    for i, ((model, engine, *_), cbs) in enumerate(zip(models, cbs_list)):
        model._finalize_ema(engine)
        cbs.on_train_end(last_logs[i])
        model.history = cbs.history
        histories.append(cbs.history)
    return ManyFit([m for m, *_ in models], histories)


def _sync_learning_rates(carry, models, active):
    """Each model's optimizer learning rate (a callback may have changed it) into its slice of the state."""
    tv, ntv, opt_state, states = carry
    if not hasattr(opt_state, "learning_rate"):
        return carry
    from lstmkit.optimizers import schedules

    rates = []
    for model, *_ in models:
        opt = model.optimizer
        if isinstance(opt._learning_rate, schedules.LearningRateSchedule):
            return carry  # a schedule's rate comes from the step count in the state
        rates.append(float(np.asarray(opt.learning_rate)))
    return tv, ntv, opt_state._replace(learning_rate=jnp.asarray(rates, jnp.float32)), states


def _write_part(model, engine, part):
    """One model's slice of the program carry (program keys, on the host) into the model."""
    tv, ntv, opt_state, _ = engine.owner.binding.model(jax.device_put(part))
    model._write_back({**tv, **ntv}, {})
    model._opt_state = opt_state
    model._opt_state_keys = tuple(sorted(tv))
    model.optimizer.iterations = model.optimizer.get_state_iterations(opt_state)


def _write_back(models, stack, which):
    """The models at the positions flagged in `which` get their slice of the stacked carry."""
    parts = _unstack(models[0][1].owner.binding.program(stack.carry), len(stack.where))
    for p, i in enumerate(stack.where):
        if i >= 0 and which[p]:
            _write_part(models[i][0], models[i][1], parts[p])


def _print_progress(epoch, epochs, active, last_logs, elapsed):
    from lstmkit.callbacks.callback import print_msg

    names = [k for k in last_logs[0] if k in ("loss", "val_loss")] or list(last_logs[0])[:1]
    parts = [f"Epoch {epoch}/{epochs}", f"{int(active.sum())} of {len(active)} models still training",
             f"{elapsed:.1f}s elapsed"]
    for name in names:
        parts.append(f"{name}: " + " ".join(f"{row.get(name, float('nan')):.4g}" for row in last_logs))
    print_msg(" - ".join(parts))
