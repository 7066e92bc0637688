"""Keras's training API on a model: compile, fit, evaluate, predict and friends.

Host work lives here (checking data, callbacks, progress, writing weights back
to the layers); the compiled work lives in `engine.py`.
"""

from __future__ import annotations

import time
import warnings

import jax.numpy as jnp
import numpy as np

from lstmkit import _random
from lstmkit.data.windows import WindowedSeries
from lstmkit.distribution import placement, shards
from lstmkit.training import batch_sources, epoch_parts, input_checks, source_loops
from lstmkit.training import data as data_mod
from lstmkit.training.compiled_loss import CompiledLoss, warn_if_loss_sees_padding
from lstmkit.training import fit_state
from lstmkit.training.engine import (Engine, epochs_per_call, flat_predict_fn_for, inference_cache, pad_to_batches,
                                     padded_device_arrays, predict_fn_for)

_FIT_HINTS = {
    "batch_input_shape": "The batch shape of a stateful model is set on its first layer, e.g. "
                         "LSTM(2, stateful=True, batch_input_shape=(10, 5, 1)), not passed to fit().",
    "nb_epoch": "Use `epochs=` (Keras 2 renamed `nb_epoch`).",
}


# Models with at most this many weights (floats) pass them to predict as one flat array.
FLAT_WEIGHTS_MAX = 1 << 16


class Trainer:
    """Mixin giving `Model` Keras's training methods."""

    def __init__(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._engine = None
        self._opt_state = None
        self._opt_state_keys = None
        self._compile_args = None

    # ----------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True, **kwargs):
        """Configure training: `compile(optimizer='adam', loss='mse', metrics=['mae'])`."""
        from lstmkit import optimizers as optimizers_mod

        unknown = {k: v for k, v in kwargs.items() if k not in ("sample_weight_mode", "target_tensors")}
        if unknown:
            raise TypeError(f"compile() got unexpected keyword arguments: {sorted(unknown)}")
        if kwargs.get("sample_weight_mode") not in (None,) or kwargs.get("target_tensors") is not None:
            raise ValueError("compile(): `sample_weight_mode` and `target_tensors` (Keras 1/2 only) are not supported.")
        if run_eagerly:
            warnings.warn("compile(run_eagerly=True): lstmkit always compiles training; running compiled.", stacklevel=2)
        if jit_compile is False:
            warnings.warn("compile(jit_compile=False): lstmkit always compiles with XLA; running compiled.", stacklevel=2)
        if steps_per_execution != 1:
            warnings.warn(f"compile(steps_per_execution={steps_per_execution}): lstmkit already runs whole epochs "
                          "per compiled call, so this setting changes nothing.", stacklevel=2)
        from lstmkit import losses as losses_mod
        from lstmkit import metrics as metrics_mod

        # Everything is resolved before anything is assigned: a compile() that fails (a typo in a name, as
        # Keras reports at compile time) leaves the model as it was, compiled before or not.
        resolved_optimizer = optimizers_mod.get(optimizer)
        for l in (loss.values() if isinstance(loss, dict) else loss if isinstance(loss, (list, tuple)) else [loss]):
            if l is not None:
                losses_mod.get(l)
        compile_args = dict(loss=loss, loss_weights=loss_weights, metrics=metrics, weighted_metrics=weighted_metrics)
        engine = None
        if getattr(self, "_graph_ready", False):
            engine = self._build_engine(resolved_optimizer, compile_args)
        else:  # the metrics are placed per output once the graph exists; their names are checked now
            for key in ("metrics", "weighted_metrics"):
                for m in _metric_identifiers(compile_args[key]):
                    metrics_mod.get(m)
        self.optimizer = resolved_optimizer
        self.loss = loss
        self._compile_args = compile_args
        self.compiled = True
        self._engine = engine
        self._opt_state = None

    def _make_engine(self):
        self._engine = self._build_engine(self.optimizer, self._compile_args)

    def _build_engine(self, optimizer, args):
        compiled_loss = CompiledLoss(self, args["loss"], args["loss_weights"])
        names = self.output_names
        resolved = [self._resolve_metrics(args[key], names, compiled_loss)
                    for key in ("metrics", "weighted_metrics")]
        return Engine(self, optimizer, compiled_loss, resolved[0], resolved[1])

    def _resolve_metrics(self, metrics, names, compiled_loss):
        """compile()'s metrics (a list, a list per output, or a dict by output name) as lists per output."""
        from lstmkit import metrics as metrics_mod

        n = len(names)
        if metrics is None:
            per_output = [[] for _ in range(n)]
        elif isinstance(metrics, dict):
            unknown = [k for k in metrics if k not in names]
            if unknown:
                raise ValueError(f"compile(metrics=...) has keys {unknown} that are not outputs of the model; outputs are {names}.")
            per_output = [_as_list(metrics.get(k)) for k in names]
        elif isinstance(metrics, (list, tuple)) and n > 1 and metrics and all(isinstance(m, (list, tuple)) or m is None for m in metrics):
            if len(metrics) != n:
                raise ValueError(f"compile(metrics=...) has {len(metrics)} lists for a model with {n} outputs.")
            per_output = [_as_list(m) for m in metrics]
        else:
            per_output = [_as_list(metrics) for _ in range(n)]
        return [[metrics_mod.get(m, y_true_shape=None, y_pred_shape=out.shape, loss=compiled_loss.losses[i])
                 for m in ms] for i, (ms, out) in enumerate(zip(per_output, self.outputs))]

    def _require_compiled(self, what, x=None):
        if not self.compiled:
            raise data_mod.NotCompiledError(f"You must call `compile()` before using the model ({what} it).")
        if x is not None and not getattr(self, "_graph_ready", False):
            # a model without an input shape (Sequential, subclassed) is built by its first data
            self._build_from_data(data_mod.stand_ins(x)[0] if isinstance(x, WindowedSeries) else x)
        if self._engine is None:
            self._make_engine()
        return self._engine

    @property
    def metrics_names(self) -> list[str]:
        if self._engine is None:
            return []
        return list(self._engine.log_names)

    # ----------------------------------------------------------------- helpers
    def _prepare(self, x, y=None, sample_weight=None, class_weight=None, need_y=True, validation=False):
        if x is None:
            raise ValueError("`x` is required.")
        self._build_from_data(x)
        xs = data_mod.flatten_data(x, self.input_names, "x", len(self.inputs))
        if len(xs) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' has {len(self.inputs)} inputs ({self.input_names}), received {len(xs)} arrays in `x`.")
        data_mod.check_input_shapes(self, xs)
        data_mod.check_finite(xs, "x")
        input_checks.check_inputs(self, xs)
        ys = None
        if need_y:
            if y is None:
                raise ValueError("`y` (the targets) is required here: pass fit(x, y, ...).")
            ys = data_mod.flatten_data(y, self.output_names, "y", len(self.outputs))
            if len(ys) != len(self.outputs):
                raise ValueError(f"Model '{self.name}' has {len(self.outputs)} outputs ({self.output_names}), received {len(ys)} arrays in `y`.")
            data_mod.check_target_shapes(self, ys, validation=validation)
            data_mod.check_finite(ys, "y")
            input_checks.check_labels(self, ys)
        n = data_mod.check_cardinality(xs, ys, None if sample_weight is None else np.asarray(sample_weight))
        w = data_mod.sample_weights(n, ys, sample_weight, class_weight) if need_y else None
        return xs, ys, w, n

    def _prepare_data(self, x, y=None, sample_weight=None, class_weight=None, validation=False):
        """fit/evaluate's data: arrays (`ArrayData`), or a WindowedSeries (`WindowData`)."""
        if isinstance(x, WindowedSeries):
            return self._prepare_windows(x, y, sample_weight, class_weight, validation=validation)
        xs, ys, w, _ = self._prepare(x, y, sample_weight, class_weight, validation=validation)
        return data_mod.ArrayData(xs, ys, w)

    def _prepare_windows(self, windows, y=None, sample_weight=None, class_weight=None, validation=False):
        """Checks for a WindowedSeries, which yields both x and y, against the model."""
        if y is not None:
            raise ValueError("`y` must be None when `x` is a WindowedSeries: its windows carry their targets.")
        if class_weight is not None:
            raise ValueError("`class_weight` is not supported with a WindowedSeries; pass `sample_weight` "
                             "(one weight per window) instead.")
        n = len(windows)
        x_like, y_like = data_mod.stand_ins(windows)
        self._build_from_data(x_like)
        if len(self.inputs) != 1 or len(self.outputs) != 1:
            raise ValueError(f"A WindowedSeries feeds a model with one input and one output; model '{self.name}' "
                             f"has {len(self.inputs)} inputs and {len(self.outputs)} outputs.")
        data_mod.check_input_shapes(self, [x_like])
        data_mod.check_target_shapes(self, [y_like], validation=validation)
        data_mod.check_finite(list(windows.arrays()[:1]), "x")
        data_mod.check_finite(list(windows.arrays()[1:]), "y")
        input_checks.check_windows(self, windows)
        if sample_weight is not None and np.shape(sample_weight)[:1] != (n,):
            raise ValueError(f"`sample_weight` must have one weight per window: shape ({n},); "
                             f"received shape {np.shape(sample_weight)}.")
        return data_mod.WindowData(windows, data_mod.sample_weights(n, None, sample_weight, None))

    def _stateful_batch(self):
        sizes = {l._fixed_batch_size() for l in self._stateful_layers() if l._fixed_batch_size() is not None}
        return sizes.pop() if len(sizes) == 1 else None

    def _check_stateful(self, n, batch_size, what):
        layers = self._stateful_layers()
        if not layers:
            return batch_size
        fixed = self._stateful_batch()
        if fixed is None:
            fixed = batch_size
        placement.check_stateful_batch(fixed)  # [scale out] the devices must split its batch
        if batch_size is not None and batch_size != fixed:
            raise ValueError(
                f"This model has stateful layers built for batch size {fixed}, but {what}() got "
                f"batch_size={batch_size}. Use batch_size={fixed}, or rebuild the model for the new batch size."
            )
        if n % fixed != 0:
            raise ValueError(
                f"A stateful model needs a number of samples divisible by its batch size: {what}() got "
                f"{n} samples and batch size {fixed} (remainder {n % fixed})."
            )
        for l in layers:
            if getattr(l, "_states", None) is None:
                l._states = l.initial_state(fixed)
        return fixed

    def _states(self):
        out = {}
        for l in self._stateful_layers():
            if getattr(l, "_states", None) is None and l._fixed_batch_size() is not None:
                # Zero states of the declared batch size, so a generator's batch of another size is
                # refused by the layer (as in Keras) instead of silently starting states of its own size.
                l._states = l.initial_state(l._fixed_batch_size())
            out[l._state_key] = l._states
        return out

    def _write_back(self, values, states):
        """Put values computed on the device (Variable.key -> array) and carried states into the layers."""
        weights = {v.key: v for v in self.weights}
        for k, val in values.items():
            weights[k]._value = val
        self._assign_states(states)

    def _opt_state_for(self, engine, tv):
        keys = tuple(sorted(tv))
        if self._opt_state is None or self._opt_state_keys != keys:
            self._opt_state = engine.tx.init(tv)
            self._opt_state_keys = keys
        self._opt_state = self.optimizer.set_state_learning_rate(self._opt_state, self.optimizer.learning_rate)
        return self._opt_state

    # ----------------------------------------------------------------- fit
    @shards.process_shards  # [scale out] a cluster's processes: their own shards, process 0 prints
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1, **kwargs):
        """Train the model; returns a `History` whose `.history` has 'loss', 'val_loss' and each metric.

        Resuming: `fit(initial_epoch=k)` on a model that carries the training state of a run at the end of
        its epoch k (left by an earlier `fit` of that model, or read by `load_model` from a `.keras` file
        that `ModelCheckpoint` or `save()` wrote during or after a fit on arrays) continues that run's
        randomness: the same sample orders and dropout keys as if it had never stopped, so with the
        weights and optimizer state of that file it ends with bitwise the weights of the uninterrupted
        run. A model carrying no such state (built fresh, loaded from a file saved by Keras or before any
        fit, or carrying the state of another epoch) draws new orders and keys: training continues, but
        not as the interrupted run would have. `callbacks.BackupAndRestore` resumes a killed fit itself.
        """
        from lstmkit import callbacks as callbacks_mod

        _reject_kwargs("fit", kwargs)
        _check_callbacks(callbacks)
        if batch_sources.is_batch_source(x):
            if y is not None or sample_weight is not None:
                raise ValueError("`y` and `sample_weight` must be None when `x` is a generator or Sequence: its "
                                 "batches carry them, as (x, y) or (x, y, sample_weight).")
            if validation_split:
                raise ValueError("`validation_split` is only supported for arrays; with a generator or Sequence "
                                 "pass `validation_data`.")
            _check_int("epochs", epochs, minimum=0)
            _check_int("initial_epoch", initial_epoch, minimum=0)
            if shuffle not in (True, False):
                raise ValueError(f"fit(shuffle=...) must be True or False; received {shuffle!r}.")
            self._fit_resumable = False  # a generator's position cannot be saved: no resuming (BackupAndRestore)
            return source_loops.fit(self, x, epochs, initial_epoch, callbacks, _resolve_verbose(verbose),
                                    steps_per_epoch, class_weight, validation_data, validation_steps, shuffle)
        if self.compiled and x is not None:
            # a Sequential without an input shape is built by its first data
            self._build_from_data(data_mod.stand_ins(x)[0] if isinstance(x, WindowedSeries) else x)
        engine = self._require_compiled("training")
        if steps_per_epoch is not None or validation_steps is not None:
            raise ValueError("fit(): `steps_per_epoch` / `validation_steps` apply to generators and Sequences; "
                             "with arrays, every epoch sees all of them once.")
        if batch_sources.is_batch_source(validation_data):
            raise ValueError("fit(): `validation_data` is a generator or Sequence while `x` is arrays; pass "
                             "validation arrays, (x_val, y_val), or give `x` as a generator too.")
        if validation_freq != 1:
            raise ValueError("fit(validation_freq=...) other than 1 is not supported.")
        _check_int("epochs", epochs, minimum=0)
        _check_int("initial_epoch", initial_epoch, minimum=0)
        if batch_size is not None:
            _check_int("batch_size", batch_size, minimum=1)
        verbose = _resolve_verbose(verbose)
        if shuffle not in (True, False):
            raise ValueError(f"fit(shuffle=...) must be True or False; received {shuffle!r}.")

        train = self._prepare_data(x, y, sample_weight, class_weight)
        val = None
        if validation_data is not None:
            val = self._prepare_validation(validation_data)
        elif validation_split:
            train, val = train.split(validation_split)
        n = train.n

        bs = batch_size or 32
        if self._stateful_layers():
            if shuffle:
                warnings.warn("fit(shuffle=True) on a model with stateful layers: samples are shuffled, so the state "
                              "carried from one batch to the next joins unrelated sequences. Pass shuffle=False.",
                              stacklevel=2)
            bs = self._check_stateful(n, batch_size if batch_size is not None else self._stateful_batch(), "fit")
        bs = min(bs, n) if not self._stateful_layers() else bs
        val_bs = 0
        if val is not None:
            val_bs = validation_batch_size or bs
            if self._stateful_layers():
                val_bs = self._check_stateful(val.n, val_bs, "fit (validation)")
            # Not cut to a small validation set's size: padded to whole batches instead, so validation sets
            # of different sizes (k-fold, backtest folds) run one program.

        steps = -(-n // bs)
        warn_if_loss_sees_padding(engine.loss, n, bs)
        cbs = callbacks_mod.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, verbose=verbose,
                                         epochs=epochs, steps=steps, model=self)
        if cbs.needs_batch_hooks(mode="train"):
            return self._fit_per_batch(engine, cbs, train, val, bs, val_bs, epochs, initial_epoch, shuffle)

        run = engine.run_epochs_fn(bs, bool(shuffle), val_bs, train.batches, val.batches if val is not None else None,
                                   windowed=True)
        # Arrays are padded to whole batches, their real size passed as a value: every dataset size with the
        # same number of batches (backtest folds, k-fold splits) runs the same compiled program.
        data, n_pad = padded_device_arrays(train, bs)
        val_data, _ = padded_device_arrays(val, val_bs) if val is not None else ((), 0)
        n_real = np.int32(n)
        n_val_real = np.int32(val.n if val is not None else 0)
        names = engine.log_names + ([f"val_{k}" for k in engine.log_names] if val is not None else [])

        # The same buffer shape with or without live callbacks, so changing callbacks never recompiles.
        capacity = epochs_per_call(n_pad, bool(shuffle))
        state, shuffle_rng = fit_state.begin(self, initial_epoch)
        orders = np.zeros((capacity, n_pad), np.int32) if shuffle else np.zeros((0,), np.int32)
        self.stop_training = False
        cbs.on_train_begin()
        state, shuffle_rng = fit_state.restored(self, state, shuffle_rng)
        if state.batch:
            raise ValueError(f"fit(): the training state to resume from stops after batch {state.batch} of epoch "
                             f"{state.epoch}, but this fit runs whole epochs per call (no callback uses batch hooks). "
                             "Resume with the callbacks of the interrupted fit (e.g. the same BackupAndRestore "
                             "save_freq).")
        # Read after on_train_begin: a callback (BackupAndRestore) may have put back weights and optimizer state.
        tv, ntv = engine.split_values()
        opt_state = self._opt_state_for(engine, tv)
        carry = (tv, ntv, opt_state, self._states())
        live = cbs.needs_live_epochs()
        epoch = state.epoch
        chunk = 1
        last_logs = {}
        # The epoch in progress: its batches run so far, their metric sums (on the device) and wall time.
        batch, acc, wall = 0, engine.init_metric_state(), 0.0
        # A long epoch runs in parts, the bar drawn between them, when verbose=1 shows in-epoch progress.
        # In a cluster every process makes the same calls: one epoch each, whatever the terminal or the timings.
        lockstep = placement.lockstep()
        pacer = epoch_parts.Pacer(steps, epoch_parts.progress_bar(cbs) if verbose == 1 and not lockstep else None)
        with pacer.watching_compiles():
            while epoch < epochs and not self.stop_training:
                stop = pacer.stop(batch)
                if batch == 0:
                    n_run = 1 if live or lockstep or stop < steps else min(chunk, epochs - epoch, capacity,
                                                                 fit_state.epochs_before_save(cbs, epoch))
                    if live:
                        cbs.on_epoch_begin(epoch)
                        carry = self._sync_lr(carry)
                    if shuffle:
                        for i in range(n_run):
                            orders[i, :n] = shuffle_rng.permutation(n)
                else:
                    n_run = 1  # the rest of the epoch in progress (its order is still in orders[0])
                t0 = time.perf_counter()
                pacer.begin_call(epoch)
                carry, logs, acc, running = run(carry, data, val_data, orders, state.base_key, np.int32(epoch),
                                                np.int32(n_run), n_real, n_val_real, acc, np.int32(batch),
                                                np.int32(stop))
                logs = np.asarray(logs)[:n_run]  # sliced on the host: slicing a device array compiles a program
                seconds = pacer.end_call(n_run * steps - batch - (steps - stop))
                wall += time.perf_counter() - t0
                self._write_back({**carry[0], **carry[1]}, carry[3])
                self._opt_state = carry[2]
                self.optimizer.iterations = self.optimizer.get_state_iterations(carry[2])
                if stop < steps:  # the epoch goes on in the next call
                    batch = stop
                    pacer.show(epoch, batch, dict(zip(engine.log_names, np.asarray(running).tolist())), seconds)
                    continue
                elapsed, batch, wall = wall, 0, 0.0
                pacer.epochs_done(n_run, seconds)
                state.at_epoch(epoch + n_run, shuffle_rng)  # what a backup made in on_epoch_end resumes from
                if hasattr(cbs, "set_epoch_time"):
                    cbs.set_epoch_time(elapsed / n_run)
                for i in range(n_run):
                    row = _keras_order({k: float(v) for k, v in zip(names, logs[i])})
                    if not live:
                        cbs.on_epoch_begin(epoch + i)
                    cbs.on_epoch_end(epoch + i, row)
                    last_logs = row
                    if self.stop_training:
                        break
                epoch += n_run
                if not live:
                    # Grow chunks so that progress updates come about 4 times a second.
                    per_epoch = elapsed / n_run
                    chunk = max(1, int(0.25 / per_epoch)) if (verbose == 1 and per_epoch > 0) else capacity
        self._finalize_ema(engine)
        cbs.on_train_end(last_logs)
        self.history = cbs.history
        return cbs.history

    def _finalize_ema(self, engine):
        """Keras ends fit with the optimizer's final values: with use_ema, the weights' moving averages."""
        if getattr(self.optimizer, "use_ema", False) and self._opt_state is not None:
            tv, _ = engine.split_values()
            self._write_back(self.optimizer.finalize_variable_values(self._opt_state, tv), self._states())

    def _sync_lr(self, carry):
        """Write the optimizer's (possibly callback-changed) learning rate into its state."""
        tv, ntv, opt_state, states = carry
        opt_state = self.optimizer.set_state_learning_rate(opt_state, self.optimizer.learning_rate)
        return tv, ntv, opt_state, states

    def _prepare_validation(self, validation_data):
        if isinstance(validation_data, WindowedSeries):
            return self._prepare_windows(validation_data, validation=True)
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
            raise ValueError("`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight), "
                             "or a WindowedSeries.")
        vx, vy = validation_data[0], validation_data[1]
        vsw = validation_data[2] if len(validation_data) == 3 else None
        return self._prepare_data(vx, vy, vsw, validation=True)

    def _fit_per_batch(self, engine, cbs, train, val, bs, val_bs, epochs, initial_epoch, shuffle):
        """The path for callbacks with batch hooks: one compiled step per batch.

        It draws the same randomness as the compiled epochs (the sample orders from the same generator,
        each batch's key folded from the base key, the epoch and the batch), and keeps `self._fit_state`
        current after every batch, so a backup made in `on_train_batch_end` resumes in the middle of an
        epoch."""
        import jax

        n = train.n
        step = engine.train_batch_fn()
        names = engine.log_names
        state, shuffle_rng = fit_state.begin(self, initial_epoch)
        self.stop_training = False
        cbs.on_train_begin()
        state, shuffle_rng = fit_state.restored(self, state, shuffle_rng)
        tv, ntv = engine.split_values()
        opt_state = self._opt_state_for(engine, tv)
        states = self._states()
        if val is not None:  # the validation data goes to the device once, not every epoch
            evaluate = engine.evaluate_fn(val_bs, val.batches)
            val_data, _ = padded_device_arrays(val, val_bs)
        last_logs = {}
        epoch = state.epoch
        while epoch < epochs:
            done = state.batch  # batches of this epoch already run (resuming in the middle of it)
            cbs.on_epoch_begin(epoch)
            opt_state = self.optimizer.set_state_learning_rate(opt_state, self.optimizer.learning_rate)
            order = shuffle_rng.permutation(n) if shuffle else np.arange(n)
            sums = np.asarray(state.sums, np.float64) if done else np.zeros(len(names))
            count = state.count if done else 0
            epoch_key = jax.random.fold_in(state.base_key, epoch)
            for b, start in enumerate(range(0, n, bs)):
                if b < done:
                    continue
                idx = order[start:start + bs]
                cbs.on_train_batch_begin(b)
                real = len(idx)
                batch = data_mod.pad_batch(*train.rows(idx), bs)
                tv, ntv, opt_state, states, logs = step(tv, ntv, opt_state, states, batch,
                                                        jax.random.fold_in(epoch_key, b))
                logs = np.asarray(logs)
                sums += logs * real
                count += real
                self._write_back({**tv, **ntv}, states)
                self._opt_state = opt_state
                state.batch, state.sums, state.count = b + 1, sums.tolist(), count
                cbs.on_train_batch_end(b, {k: float(v) for k, v in zip(names, logs)})
                if self.stop_training:
                    break
            row = {k: float(v) for k, v in zip(names, sums / max(count, 1))}
            self.optimizer.iterations = self.optimizer.get_state_iterations(opt_state)
            if val is not None:
                states, vlogs = evaluate(tv, ntv, states, val_data, np.int32(val.n))
                self._write_back(tv, states)
                row.update({f"val_{k}": float(v) for k, v in zip(names, np.asarray(vlogs))})
            row = _keras_order(row)
            state.at_epoch(epoch + 1, shuffle_rng)
            cbs.on_epoch_end(epoch, row)
            last_logs = row
            epoch += 1
            if self.stop_training:
                break
        self._finalize_ema(engine)
        cbs.on_train_end(last_logs)
        self.history = cbs.history
        return cbs.history

    # ----------------------------------------------------------------- evaluate
    @shards.process_shards  # [scale out] a cluster's processes: their own shards, process 0 prints
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Loss (and metrics) on data: a float, or [loss, *metrics] like Keras."""
        from lstmkit import callbacks as callbacks_mod

        _reject_kwargs("evaluate", kwargs)
        _check_callbacks(callbacks)
        if batch_sources.is_batch_source(x):
            if y is not None or sample_weight is not None:
                raise ValueError("`y` and `sample_weight` must be None when `x` is a generator or Sequence.")
            return source_loops.evaluate(self, x, steps, callbacks, _resolve_verbose(verbose), return_dict)
        engine = self._require_compiled("evaluating", x)
        if steps is not None:
            raise ValueError("evaluate(steps=...) applies to generators and Sequences; with arrays, all are used.")
        if batch_size is not None:
            _check_int("batch_size", batch_size, minimum=1)
        verbose = _resolve_verbose(verbose)
        data = self._prepare_data(x, y, sample_weight)
        n = data.n
        bs = batch_size or 32
        if self._stateful_layers():
            bs = self._check_stateful(n, batch_size if batch_size is not None else self._stateful_batch(), "evaluate")
        else:
            bs = min(bs, n)
        cbs = callbacks_mod.CallbackList(callbacks, add_history=False, add_progbar=verbose != 0, verbose=verbose,
                                         epochs=1, steps=-(-n // bs), model=self)
        cbs.on_test_begin()
        tv, ntv = engine.split_values()
        arrays, _ = padded_device_arrays(data, bs)
        states, logs = engine.evaluate_fn(bs, data.batches)(tv, ntv, self._states(), arrays, np.int32(data.n))
        self._assign_states(states)
        values = [float(v) for v in np.asarray(logs)]
        result = dict(zip(engine.log_names, values))
        cbs.on_test_end(result)
        if return_dict:
            return result
        return values[0] if len(values) == 1 else values

    # ----------------------------------------------------------------- predict
    @shards.process_shards  # [scale out] a cluster's processes: their own shards, process 0 prints
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        """Outputs for `x` as NumPy arrays (a list for several outputs)."""
        from lstmkit import callbacks as callbacks_mod

        if not (kwargs or steps is not None or callbacks or verbose not in (0, False)):
            fast = self._predict_one_batch(x, batch_size)
            if fast is not None:
                return fast
        _reject_kwargs("predict", kwargs)
        _check_callbacks(callbacks)
        if batch_sources.is_batch_source(x):
            return source_loops.predict(self, x, steps)
        if steps is not None:
            raise ValueError("predict(steps=...) applies to generators and Sequences; with arrays, all are used.")
        if batch_size is not None:
            _check_int("batch_size", batch_size, minimum=1)
        verbose = _resolve_verbose(verbose)
        xs, n = self._predict_inputs(x)
        bs = self._predict_batch_size(n, batch_size)
        t0 = time.perf_counter()
        cbs = None
        if callbacks:
            cbs = callbacks_mod.CallbackList(callbacks, add_history=False, add_progbar=False, verbose=verbose,
                                             epochs=1, steps=-(-n // bs), model=self)
            cbs.on_predict_begin()
        if cbs is not None and cbs.needs_batch_hooks(mode="predict"):
            # Batch hooks: one compiled call per batch, the hooks around each.
            parts = []
            for b, start in enumerate(range(0, n, bs)):
                cbs.on_predict_batch_begin(b)
                part = self._predict_arrays([a[start:start + bs] for a in xs], min(bs, n - start), bs)
                cbs.on_predict_batch_end(b, {"outputs": part[0] if len(part) == 1 else part})
                parts.append(part)
            outs = [np.concatenate([p[i] for p in parts]) for i in range(len(self.outputs))]
        else:
            outs = self._predict_arrays(xs, n, bs)
        if cbs is not None:
            cbs.on_predict_end()
        if verbose == 1:
            steps_run = -(-n // bs)
            print(f"{steps_run}/{steps_run} - {time.perf_counter() - t0:.2f}s")
        return outs[0] if len(outs) == 1 else outs

    def _predict_inputs(self, x):
        """predict's inputs and their number; a WindowedSeries is cut a chunk at a time."""
        if isinstance(x, WindowedSeries):
            self._prepare_windows(x)
            return [data_mod.WindowInputs(x)], len(x)
        xs, _, _, n = self._prepare(x, need_y=False)
        return xs, n

    def _predict_one_batch(self, x, batch_size):
        """The quiet `predict` of one NumPy array that fits in one batch, with little per-call work.

        The checks that depend only on the input's shape run once per shape (the
        first call goes through `_prepare`); each call still checks the values are
        finite. The weights are passed as one flat array, re-made only when a
        weight changed. Returns None when the general path is needed.
        """
        if not isinstance(x, np.ndarray) or len(getattr(self, "inputs", ())) != 1:
            return None
        key = (x.shape, x.dtype.str, batch_size)
        seen = inference_cache(self).setdefault("shapes", {})
        known = seen.get(key)
        if known is None:
            if batch_size is not None:
                _check_int("batch_size", batch_size, minimum=1)
            xs, _, _, n = self._prepare(x, need_y=False)
            bs = self._predict_batch_size(n, batch_size)
            if n != bs:  # several batches, or padding: the general path
                return None
            # What the checks found, kept for the next calls with this shape (dropped with the graph).
            known = seen[key] = (bs, tuple(self._stateful_layers()), tuple(self.weights))
        bs, stateful, variables = known
        if x.dtype == np.float32:
            data_mod.check_finite([x], "x")
        elif x.dtype != np.int32:  # int32 (token ids) is used as it is
            x = data_mod.to_numpy(x, "x")
            data_mod.check_finite([x], "x")
        input_checks.check_inputs(self, [x])
        states = {}
        for layer in stateful:
            if layer._states is None:  # never set, or reset without a known batch size
                layer._states = layer.initial_state(bs)
            states[layer._state_key] = layer._states
        weights, layout = self._inference_weights(variables)
        fn = flat_predict_fn_for(self, layout) if layout is not None else self._predict_fn()
        states, outs = fn(weights, states, [x[None]])
        for layer in stateful:
            layer._states = states[layer._state_key]
        outs = [np.asarray(o)[0] for o in outs]
        return outs[0] if len(outs) == 1 else outs

    def _predict_batch_size(self, n, batch_size):
        """predict's batch size for n samples: the stateful batch, else one power-of-two batch for small
        inputs, so few shapes ever compile."""
        if self._stateful_layers():
            return self._check_stateful(n, batch_size if batch_size is not None else self._stateful_batch(),
                                        "predict")
        return min(batch_size or 32, 1 << max(0, (n - 1).bit_length()))

    def _inference_weights(self, variables=None):
        """The weights for a predict call, cached until a weight's value changes.

        Small models get all weights as one flat array (with its layout), since each
        argument of a compiled call costs dispatch time; large ones get the usual
        dict (layout None), since slicing a flat array inside the program copies it.
        `variables`: the model's weights, when the caller already has them.
        """
        variables = self.weights if variables is None else variables
        values = tuple(v.value for v in variables)
        cached = inference_cache(self).get("weights")
        if cached is not None and len(cached[0]) == len(values) and all(a is b for a, b in zip(cached[0], values)):
            return cached[1], cached[2]
        if sum(int(np.prod(a.shape)) for a in values) <= FLAT_WEIGHTS_MAX:
            layout = tuple((v.key, v.shape) for v in variables)
            weights = jnp.asarray(np.concatenate([np.asarray(a, np.float32).ravel() for a in values]) if values
                                  else np.zeros((0,), np.float32))
        else:
            layout, weights = None, {v.key: v.value for v in variables}
        # The cache holds the values themselves, so an identity match means the same weights.
        inference_cache(self)["weights"] = (values, weights, layout)
        return weights, layout

    def _predict_fn(self):
        return self._engine.predict_fn() if self._engine is not None else predict_fn_for(self)

    def _predict_arrays(self, xs, n, bs):
        fn = self._predict_fn()
        values = {v.key: v.value for v in self.weights}
        steps = -(-n // bs)
        results = []
        states = self._states()
        done = 0
        while done < steps:
            k = min(1 << (steps - done).bit_length() - 1, 64)
            part = [a[done * bs:(done + k) * bs] for a in xs]
            batches = pad_to_batches(part, bs, k)
            states, outs = fn(values, states, batches)
            results.append(outs)
            done += k
        self._assign_states(states)
        flat = []
        for i in range(len(self.outputs)):
            arr = np.concatenate([np.asarray(r[i]).reshape((-1,) + r[i].shape[2:]) for r in results])
            flat.append(arr[:n])
        return flat

    @shards.process_shards  # [scale out] a cluster's processes: their own shards, process 0 prints
    def predict_on_batch(self, x):
        xs, _, _, n = self._prepare(x, need_y=False)
        if self._stateful_layers():
            self._check_stateful(n, self._stateful_batch(), "predict_on_batch")
        outs = self._predict_arrays(xs, n, n)
        return outs[0] if len(outs) == 1 else outs

    @shards.process_shards  # [scale out] a cluster's processes: their own shards, process 0 prints
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        engine = self._require_compiled("training", x)
        xs, ys, w, n = self._prepare(x, y, sample_weight, class_weight)
        if self._stateful_layers():
            self._check_stateful(n, self._stateful_batch(), "train_on_batch")
        tv, ntv = engine.split_values()
        opt_state = self._opt_state_for(engine, tv)
        batch = (xs, ys, w, np.ones((n,), np.float32))
        tv, ntv, opt_state, states, logs = engine.train_batch_fn()(tv, ntv, opt_state, self._states(), batch,
                                                                    _random.next_key())
        self._write_back({**tv, **ntv}, states)
        self._opt_state = opt_state
        self.optimizer.iterations = self.optimizer.get_state_iterations(opt_state)
        return self._batch_result(engine, logs, return_dict)

    @shards.process_shards  # [scale out] a cluster's processes: their own shards, process 0 prints
    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        engine = self._require_compiled("evaluating", x)
        xs, ys, w, n = self._prepare(x, y, sample_weight)
        if self._stateful_layers():
            self._check_stateful(n, self._stateful_batch(), "test_on_batch")
        tv, ntv = engine.split_values()
        states, logs = engine.test_batch_fn()(tv, ntv, self._states(), (xs, ys, w, np.ones((n,), np.float32)))
        self._assign_states(states)
        return self._batch_result(engine, logs, return_dict)

    @staticmethod
    def _batch_result(engine, logs, return_dict):
        values = [float(v) for v in np.asarray(logs)]
        if return_dict:
            return dict(zip(engine.log_names, values))
        return values[0] if len(values) == 1 else values

    # ----------------------------------------------------------------- Keras 2's generator methods
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1, class_weight=None,
                      max_queue_size=10, workers=1, use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """Keras 2's `fit_generator` (removed in Keras 3): `fit` on a generator or Sequence."""
        _generator_method_warning("fit_generator", "fit", workers, use_multiprocessing)
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_data=validation_data, validation_steps=validation_steps,
                        validation_freq=validation_freq, class_weight=class_weight, shuffle=shuffle,
                        initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0):
        """Keras 2's `evaluate_generator` (removed in Keras 3): `evaluate` on a generator or Sequence."""
        _generator_method_warning("evaluate_generator", "evaluate", workers, use_multiprocessing)
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, verbose=0):
        """Keras 2's `predict_generator` (removed in Keras 3): `predict` on a generator or Sequence."""
        _generator_method_warning("predict_generator", "predict", workers, use_multiprocessing)
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Keras 2's class predictions (removed in Keras 2.6): argmax, or >0.5 for one output unit."""
        warnings.warn("`predict_classes()` is deprecated (removed from Keras); use "
                      "`np.argmax(model.predict(x), axis=-1)` or `(model.predict(x) > 0.5).astype('int32')`.",
                      DeprecationWarning, stacklevel=2)
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Keras 2's `predict_proba` (removed from Keras): the same as `predict`."""
        warnings.warn("`predict_proba()` is deprecated (removed from Keras); use `model.predict(x)`.",
                      DeprecationWarning, stacklevel=2)
        return self.predict(x, batch_size=batch_size, verbose=verbose)


def _generator_method_warning(name, replacement, workers, use_multiprocessing):
    extra = (" lstmkit reads the batches in this process, one after another (workers and "
             "use_multiprocessing change nothing)." if workers not in (0, 1, None) or use_multiprocessing else "")
    warnings.warn(f"`Model.{name}` is deprecated (Keras 3 removed it); use `Model.{replacement}`, which takes "
                  f"generators.{extra}", UserWarning, stacklevel=3)


def _keras_order(logs):
    """Keras 3 lists epoch logs alphabetically, training values before `val_` ones."""
    train = sorted(k for k in logs if not k.startswith("val_"))
    val = sorted(k for k in logs if k.startswith("val_"))
    return {k: logs[k] for k in train + val}


def _as_list(m):
    if m is None:
        return []
    return list(m) if isinstance(m, (list, tuple)) else [m]


def _metric_identifiers(metrics):
    """Every identifier in compile()'s `metrics` (a list, lists per output, or a dict by output name)."""
    if metrics is None:
        return []
    if isinstance(metrics, dict):
        return [m for v in metrics.values() for m in _as_list(v)]
    return [m for v in _as_list(metrics) for m in (_as_list(v) if isinstance(v, (list, tuple)) or v is None else [v])]


def _check_callbacks(callbacks):
    """`callbacks`: None, a callback or a (nested) list of them (objects with Keras's `set_model` hook)."""
    if callbacks is None:
        return
    items = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
    for cb in items:
        if isinstance(cb, (list, tuple)):
            _check_callbacks(cb)
        elif not callable(getattr(cb, "set_model", None)):
            raise TypeError(f"`callbacks` must be a list of `keras.callbacks.Callback` instances; received "
                            f"{cb!r} (of type {type(cb).__name__}).")


def _reject_kwargs(method, kwargs):
    if kwargs:
        name = next(iter(kwargs))
        hint = _FIT_HINTS.get(name, "")
        raise TypeError(f"{method}() got an unexpected keyword argument '{name}'. {hint}".strip())


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; received {value!r}.")


def _resolve_verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2; received {verbose!r}.")
    return verbose
