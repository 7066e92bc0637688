"""fit / evaluate / predict over a generator or Sequence (see `batch_sources`): one compiled step per batch."""

from __future__ import annotations

import jax
import numpy as np

from lstmkit import _random
from lstmkit.training.batch_sources import BatchSource, is_batch_source, warn_ran_out
from lstmkit.training.data import NotCompiledError
from lstmkit.training.data import pad_batch as _pad_batch
from lstmkit.training.engine import padded_device_arrays


class _Averages:
    """Batch logs averaged over the real samples of each batch (as Keras's epoch logs)."""

    def __init__(self, names):
        self.names, self.sums, self.count = names, np.zeros(len(names)), 0

    def add(self, logs, n):
        self.sums += np.asarray(logs) * n
        self.count += n

    def result(self, prefix=""):
        return {prefix + k: float(v) for k, v in zip(self.names, self.sums / max(self.count, 1))}


def _start(model, x, what=None):
    """The batch source of `x`, its first batch, and (for `what` = 'training' / 'evaluating') the engine;
    a model without an input shape is built from that first batch."""
    if what is not None and not model.compiled:  # said before the user's generator is read
        raise NotCompiledError(f"You must call `compile()` before using the model ({what} it).")
    source = BatchSource(x, "x")
    first = source.peek()
    model._build_from_data(first[0])
    return source, first, model._require_compiled(what) if what is not None else None


def _check_stateful_batch(model, n, what):
    """A stateful model's every batch must have its batch size (Keras refuses others): padding a short
    batch would carry the padding rows' states into the next batch."""
    fixed = model._stateful_batch() if model._stateful_layers() else None
    if fixed is not None and n != fixed:
        raise ValueError(f"This model has stateful layers built for batch size {fixed}, but a batch given to "
                         f"{what}() has {n} samples. Every batch of a stateful model must have {fixed} samples.")


# Generator batches per compiled call when no callback needs per-batch hooks.
CHUNK = 16


def _shapes(batch):
    return [(a.shape, a.dtype) for a in jax.tree_util.tree_leaves(batch)]


def _steps(value, argname):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{argname}` must be a positive integer or None; received {argname}={value!r}.")
    return int(value)


def fit(model, x, epochs, initial_epoch, callbacks, verbose, steps_per_epoch, class_weight,
        validation_data, validation_steps, shuffle=False):
    from lstmkit import callbacks as callbacks_mod
    from lstmkit.training.trainer import _keras_order

    steps_per_epoch = _steps(steps_per_epoch, "steps_per_epoch")
    validation_steps = _steps(validation_steps, "validation_steps")
    source, (xb, yb, wb), engine = _start(model, x, "training")
    bs = model._prepare(xb, yb, wb, class_weight)[3]
    steps = steps_per_epoch or source.length()
    val = None
    if validation_data is not None:
        val = BatchSource(validation_data, "validation_data") if is_batch_source(validation_data) else \
            model._prepare_validation(validation_data)
    cbs = callbacks_mod.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, verbose=verbose,
                                     epochs=epochs, steps=steps, model=model)
    step = engine.train_batch_fn()
    # Without per-batch callbacks, batches go to the compiled program CHUNK at a time (one call, one
    # optimizer step each, the same keys as one by one); a callback with batch hooks gets one call a batch.
    chunked = not cbs.needs_batch_hooks(mode="train")
    tv, ntv = engine.split_values()
    opt_state = model._opt_state_for(engine, tv)
    states = model._states()
    model.stop_training = False
    cbs.on_train_begin()
    last_logs = {}
    for epoch in range(initial_epoch, epochs):
        cbs.on_epoch_begin(epoch)
        opt_state = model.optimizer.set_state_learning_rate(opt_state, model.optimizer.learning_rate)
        averages, b = _Averages(engine.log_names), 0
        pending = []  # (padded batch, n) waiting for a chunk

        def flush(tv, ntv, opt_state, states):
            if not pending:
                return tv, ntv, opt_state, states
            fill = CHUNK - len(pending)  # padding batches, skipped by the program
            stacked = jax.tree_util.tree_map(lambda *a: np.stack(a), *([p for p, _, _ in pending] +
                                                                          [pending[0][0]] * fill))
            keys = np.stack([np.asarray(k) for _, _, k in pending] + [np.asarray(pending[0][2])] * fill)
            tv, ntv, opt_state, states, logs = engine.train_chunk_fn()(tv, ntv, opt_state, states, stacked, keys,
                                                                       np.int32(len(pending)))
            logs = np.asarray(logs)
            for i, (_, n, _) in enumerate(pending):
                averages.add(logs[i], n)
            pending.clear()
            return tv, ntv, opt_state, states

        for xb, yb, wb in source.batches(steps_per_epoch, shuffle=shuffle):
            # validation=True: a target-shape warning the first batch gave (above) is not repeated per batch
            xs, ys, w, n = model._prepare(xb, yb, wb, class_weight, validation=True)
            _check_stateful_batch(model, n, "fit")
            bs = max(bs, n)
            batch = _pad_batch(xs, ys, w, bs)
            if chunked:
                if pending and _shapes(pending[0][0]) != _shapes(batch):
                    tv, ntv, opt_state, states = flush(tv, ntv, opt_state, states)
                pending.append((batch, n, _random.next_key()))
                if len(pending) == CHUNK:
                    tv, ntv, opt_state, states = flush(tv, ntv, opt_state, states)
                b += 1
                continue
            cbs.on_train_batch_begin(b)
            tv, ntv, opt_state, states, logs = step(tv, ntv, opt_state, states, batch, _random.next_key())
            averages.add(logs, n)
            model._write_back({**tv, **ntv}, states)
            model._opt_state = opt_state
            cbs.on_train_batch_end(b, {k: float(v) for k, v in zip(engine.log_names, np.asarray(logs))})
            b += 1
            if model.stop_training:
                break
        if chunked:
            tv, ntv, opt_state, states = flush(tv, ntv, opt_state, states)
            model._write_back({**tv, **ntv}, states)
            model._opt_state = opt_state
        if b == 0:
            warn_ran_out(steps)
            break
        model.optimizer.iterations = model.optimizer.get_state_iterations(opt_state)
        row = averages.result()
        if val is not None:
            states, val_row = _validate(model, engine, tv, ntv, states, val, validation_steps, bs)
            model._write_back(tv, states)
            row.update(val_row)
        source.epoch_end()
        row = _keras_order(row)
        cbs.on_epoch_end(epoch, row)
        last_logs = row
        if steps_per_epoch is not None and b < steps_per_epoch and not model.stop_training:
            warn_ran_out(steps)
            break
        if model.stop_training:
            break
    model._finalize_ema(engine)
    cbs.on_train_end(last_logs)
    model.history = cbs.history
    return cbs.history


def _validate(model, engine, tv, ntv, states, val, validation_steps, bs):
    if not isinstance(val, BatchSource):
        if model._stateful_layers():  # whole stateful batches, as fit() checks for arrays
            val_bs = model._check_stateful(val.n, None, "fit (validation)")
        else:
            val_bs = bs  # as fit: a small validation set is padded to a whole batch
        arrays, _ = padded_device_arrays(val, val_bs)
        states, logs = engine.evaluate_fn(val_bs, val.batches)(tv, ntv, states, arrays, np.int32(val.n))
        return states, {f"val_{k}": float(v) for k, v in zip(engine.log_names, np.asarray(logs))}
    states, averages = _test_batches(model, engine, tv, ntv, states, val, validation_steps, what="fit (validation)")
    return states, averages.result("val_")


def _test_batches(model, engine, tv, ntv, states, source, steps, cbs=None, what="evaluate"):
    step = engine.test_batch_fn()
    averages, bs = _Averages(engine.log_names), 0
    for b, (xb, yb, wb) in enumerate(source.batches(steps)):
        if cbs is not None:
            cbs.on_test_batch_begin(b)
        # the first batch of evaluate() may warn about the targets' shape; later ones only when they differ
        xs, ys, w, n = model._prepare(xb, yb, wb, validation=b > 0 or what != "evaluate")
        _check_stateful_batch(model, n, what)
        bs = max(bs, n)
        states, logs = step(tv, ntv, states, _pad_batch(xs, ys, w, bs))
        averages.add(logs, n)
        if cbs is not None:
            cbs.on_test_batch_end(b, {k: float(v) for k, v in zip(engine.log_names, np.asarray(logs))})
    if averages.count == 0:
        raise ValueError(f"`{source.argname}` yielded no batches to evaluate on.")
    return states, averages


def evaluate(model, x, steps, callbacks, verbose, return_dict):
    from lstmkit import callbacks as callbacks_mod

    source, _, engine = _start(model, x, "evaluating")
    steps = _steps(steps, "steps")
    cbs = callbacks_mod.CallbackList(callbacks, add_history=False, add_progbar=verbose != 0, verbose=verbose,
                                     epochs=1, steps=steps or source.length(), model=model)
    cbs.on_test_begin()
    tv, ntv = engine.split_values()
    states, averages = _test_batches(model, engine, tv, ntv, model._states(), source, steps, cbs)
    model._assign_states(states)
    result = averages.result()
    cbs.on_test_end(result)
    if return_dict:
        return result
    values = list(result.values())
    return values[0] if len(values) == 1 else values


def predict(model, x, steps):
    source, _, _ = _start(model, x)
    parts = []
    for xb, _, _ in source.batches(_steps(steps, "steps")):
        xs, _, _, n = model._prepare(xb, need_y=False)
        _check_stateful_batch(model, n, "predict")
        parts.append(model._predict_arrays(xs, n, n))
    if not parts:
        raise ValueError("`x` yielded no batches to predict on.")
    outs = [np.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))]
    return outs[0] if len(outs) == 1 else outs
