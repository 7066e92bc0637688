"""The compiled training engine.

Everything here is a pure function of arrays, built once per `compile()` and
jit-compiled on first use:

- `run_epochs`: up to `n` whole epochs in one XLA program — shuffle on the
  device, `lax.scan` over batches (loss, gradients, optax update, constraints,
  metric accumulation), then validation — with the data already on the device.
- `evaluate`, `predict_chunk`, `train_batch`, `test_batch`: the same pieces
  for the other entry points.

A last partial batch is padded to the batch size and its padding rows get
weight 0, so one program serves every batch and the numbers equal Keras's
(which runs a smaller last batch): losses are divided by the number of real
elements, metrics weight padding by 0.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lstmkit.distribution import placement
from lstmkit.training import early_stop, epoch_parts, programs
from lstmkit.training.compiled_loss import CompiledLoss, _expand_to

# Room for this many epochs' logs per compiled call (the call itself runs n <= CHUNK).
EPOCH_CHUNK = 512
# With shuffling, each call also carries its epochs' sample orders: at most this many indices.
MAX_ORDER_ELEMENTS = 1 << 22


def epochs_per_call(n_samples, shuffle):
    """How many epochs one compiled call can hold (fixed for a given dataset size)."""
    if not shuffle:
        return EPOCH_CHUNK
    return max(1, min(EPOCH_CHUNK, MAX_ORDER_ELEMENTS // max(n_samples, 1)))


class SharedBound(NamedTuple):
    """A vmapped model's real row count `n`, with the batch count of the largest model (`steps`)."""

    n: jax.Array
    steps: jax.Array


class ArrayBatches:
    """Data given as arrays, (xs, ys, w): each epoch gathers its batches in one go before the loop."""

    key = "arrays"

    @staticmethod
    def size(data):
        return data[2].shape[0]

    @staticmethod
    def scanned(data, order, bs):
        """What the loop over batches iterates over: the batches themselves, (steps, bs, ...)."""
        steps = order.shape[0] // bs
        return jax.tree_util.tree_map(lambda a: jnp.take(a, order, axis=0).reshape((steps, bs) + a.shape[1:]), data)

    @staticmethod
    def batch(data, item):
        return item


ARRAYS = ArrayBatches()


class WindowBatches:
    """Data given as a `lstmkit.data.WindowedSeries`, ((series arrays), w).

    Only the series is on the device; the loop iterates over window indices and cuts
    each batch's windows inside the step, so memory stays O(series length) instead of
    O(windows x window length).
    """

    def __init__(self, windows):
        self.windows = windows
        self.key = ("windows", windows.signature)

    @staticmethod
    def size(data):
        return data[1].shape[0]

    @staticmethod
    def scanned(data, order, bs):
        return order.reshape((order.shape[0] // bs, bs))

    def batch(self, data, idx):
        arrays, w = data
        x, y = self.windows.take(arrays, idx)
        return [x], [y], w[idx]


class Engine:
    """The pure, compiled functions for one compiled model."""

    def __init__(self, model, optimizer, compiled_loss: CompiledLoss, metrics_per_output, weighted_per_output=None):
        self.model = model
        self.optimizer = optimizer
        self.loss = compiled_loss
        # Per output: `metrics` ignore sample weights (as in Keras); `weighted_metrics` use them.
        weighted_per_output = weighted_per_output or [[] for _ in metrics_per_output]
        self.metrics = [list(ms) + list(ws) for ms, ws in zip(metrics_per_output, weighted_per_output)]
        self.metric_weighted = [[False] * len(ms) + [True] * len(ws)
                                for ms, ws in zip(metrics_per_output, weighted_per_output)]
        # Variable names let `exclude_from_weight_decay(var_names=...)` match.
        self.tx = optimizer.transformation(param_names={v.key: v.name for v in model.weights})
        multi = len(model.outputs) > 1
        names = ["loss"]
        if multi:
            names += [f"{o}_loss" for o in model.output_names]
        for o, ms in zip(model.output_names, self.metrics):
            names += [f"{o}_{m.name}" if multi else m.name for m in ms]
        self.log_names = names
        # Programs are shared by every model of this architecture and compile() configuration.
        key = programs.compile_key(model, optimizer, compiled_loss, metrics_per_output, weighted_per_output)
        self.owner = programs.Owner(programs.programs_for(key), programs.Binding(model), self, model)

    # ------------------------------------------------------------ pieces
    def split_values(self):
        weights = self.model.weights
        tv = {v.key: v.value for v in weights if v.trainable}
        ntv = {v.key: v.value for v in weights if not v.trainable}
        return tv, ntv

    def _regularization(self, values):
        total = 0.0
        for v in self.model.weights:
            if v.regularizer is not None:
                total = total + v.regularizer(values[v.key])
        return total

    def _constrain(self, tv):
        out = dict(tv)
        for v in self.model.weights:
            if v.constraint is not None and v.key in out:
                out[v.key] = v.constraint(out[v.key])
        return out

    def _forward_loss(self, tv, ntv, states, xb, yb, wb, valid, rng, training):
        xb, yb, wb, valid = placement.constrain_batch((xb, yb, wb, valid), strict=training)  # [scale out]
        values = {**tv, **ntv}
        outs, masks, new_states, extra, updates = self.model.apply_flat(values, states, xb, training=training,
                                                                        rng=rng)
        total, per_output = self.loss(yb, outs, masks, wb, valid)
        total = total + self._regularization(values)
        for e in extra:
            total = total + e
        if training:
            assigned = sorted(k for k in updates if k in tv)
            if assigned:
                names = {v.key: v.path for v in self.model.weights}
                raise ValueError(
                    f"Trainable weights were assigned inside `call` while training: {[names[k] for k in assigned]}. "
                    "Weights a layer updates itself must be created with `add_weight(..., trainable=False)`.")
        # Non-trainable weights a layer assigned (e.g. moving averages) go on to the next step.
        new_ntv = {k: updates[k].astype(v.dtype) if k in updates else v for k, v in ntv.items()}
        return total, (outs, masks, new_states, per_output, new_ntv)

    def init_metric_state(self):
        return {
            "loss": (jnp.zeros(()), jnp.zeros(())),
            "outputs": [(jnp.zeros(()), jnp.zeros(())) for _ in self.model.outputs],
            "metrics": [[m.initial_state() for m in ms] for ms in self.metrics],
        }

    def _update_metrics(self, acc, loss, per_output, yb, outs, masks, wb, valid):
        n = jnp.sum(valid)
        s, c = acc["loss"]
        new = {"loss": (s + loss * n, c + n), "outputs": [], "metrics": []}
        for (s, c), l in zip(acc["outputs"], per_output):
            new["outputs"].append((s + l * n, c + n))
        for ms, flags, states, y, p, m in zip(self.metrics, self.metric_weighted, acc["metrics"], yb, outs, masks):
            updated = []
            for metric, weighted, st in zip(ms, flags, states):
                w = wb * valid if weighted else valid
                if m is not None:
                    mm = m.astype(jnp.float32)
                    w = _expand_to(w, mm) * mm
                updated.append(metric.update(st, y, p, sample_weight=w))
            new["metrics"].append(updated)
        return new

    def metric_results(self, acc):
        vals = [acc["loss"][0] / jnp.maximum(acc["loss"][1], 1.0)]
        if len(self.model.outputs) > 1:
            vals += [s / jnp.maximum(c, 1.0) for s, c in acc["outputs"]]
        for ms, states in zip(self.metrics, acc["metrics"]):
            vals += [jnp.asarray(metric.result(st), jnp.float32) for metric, st in zip(ms, states)]
        return jnp.stack([jnp.asarray(v, jnp.float32).reshape(()) for v in vals])

    def _train_step(self, carry, batch, rng):
        tv, ntv, opt_state, states, acc = carry
        xb, yb, wb, valid = batch
        def scaled_loss(tv):
            loss, aux = self._forward_loss(tv, ntv, states, xb, yb, wb, valid, rng, True)
            # Keras's loss_scale_factor: the optimizer divides the gradients back.
            return self.optimizer.scale_loss(loss), (loss, aux)

        (_, (loss, aux)), grads = jax.value_and_grad(scaled_loss, has_aux=True)(tv)
        outs, masks, new_states, per_output, ntv = aux
        updates, opt_state = self.tx.update(grads, opt_state, tv)
        tv = self._constrain(optax.apply_updates(tv, updates))
        acc = self._update_metrics(acc, loss, per_output, yb, outs, masks, wb, valid)
        return tv, ntv, opt_state, new_states, acc

    @staticmethod
    def _padded_order(n, bs, order=None, n_real=None):
        """Sample order padded to whole batches, and the (steps, bs) mask of real rows.

        `n_real` (traced): only the first n_real of the n rows are real (data padded to a size bucket,
        or to the largest of several models' datasets trained together)."""
        steps = -(-n // bs)
        pad = steps * bs - n
        if order is None:
            order = jnp.arange(n, dtype=jnp.int32)
        order = jnp.concatenate([order, jnp.zeros((pad,), order.dtype)])
        if n_real is None:
            valid = jnp.concatenate([jnp.ones((n,), jnp.float32), jnp.zeros((pad,), jnp.float32)])
        else:
            valid = (jnp.arange(steps * bs) < getattr(n_real, "n", n_real)).astype(jnp.float32)
        return order, valid.reshape(steps, bs), steps

    @staticmethod
    def _batch_loop(body, init, items, valid, bs, n_real):
        """Run `body(i, item_i, valid_i, carry)` over the batches: a scan over all of them, or, when only
        the first `n_real` rows are real (data padded to a size bucket), a loop that stops after the
        last real batch, so the padding costs memory, never compute."""
        items, valid = placement.constrain_batch((items, valid), axis=1)  # [scale out] batches split on bs
        if n_real is None:
            def scan_body(c, inp):
                item, vb, i = inp
                return body(i, item, vb, c), None

            steps = valid.shape[0]
            return jax.lax.scan(scan_body, init, (items, valid, jnp.arange(steps, dtype=jnp.int32)))[0]

        def loop_body(i, c):
            item = jax.tree_util.tree_map(lambda a: jax.lax.dynamic_index_in_dim(a, i, keepdims=False), items)
            return body(i, item, valid[i], c)

        if isinstance(n_real, SharedBound):
            # Models of different sizes vmapped together: one loop to the largest; a model's steps past
            # its own last batch leave its carry as it was (a vmapped loop bound would batch the loop,
            # which costs much more to trace and compile).
            def masked_body(i, c):
                new = loop_body(i, c)
                real = i * bs < n_real.n
                return jax.tree_util.tree_map(lambda a, b: jnp.where(real, a, b), new, c)

            return jax.lax.fori_loop(0, n_real.steps, masked_body, init)
        return jax.lax.fori_loop(0, (n_real + bs - 1) // bs, loop_body, init)

    def _epoch(self, carry, data, batches, order, key, bs, n_real=None):
        tv, ntv, opt_state, states = carry
        order, valid, steps = self._padded_order(batches.size(data), bs, order, n_real)

        def body(i, item, vb, c):
            xb, yb, wb = batches.batch(data, item)
            return self._train_step(c, (xb, yb, wb, vb), lambda: jax.random.fold_in(key(), i))

        init = (tv, ntv, opt_state, states, self.init_metric_state())
        tv, ntv, opt_state, states, acc = self._batch_loop(body, init, batches.scanned(data, order, bs), valid, bs,
                                                           n_real)
        return (tv, ntv, opt_state, states), self.metric_results(acc)

    def _eval_scan(self, tv, ntv, states, data, batches, bs, n_real=None):
        order, valid, steps = self._padded_order(batches.size(data), bs, None, n_real)

        def body(i, item, vb, c):
            states, acc = c
            xb, yb, wb = batches.batch(data, item)
            loss, (outs, masks, new_states, per_output, _) = self._forward_loss(
                tv, ntv, states, xb, yb, wb, vb, None, False)
            return new_states, self._update_metrics(acc, loss, per_output, yb, outs, masks, wb, vb)

        states, acc = self._batch_loop(body, (states, self.init_metric_state()), batches.scanned(data, order, bs),
                                       valid, bs, n_real)
        return states, self.metric_results(acc)

    # ------------------------------------------------------------ entry points
    # Each returns a compiled function of this model's own keys (programs.program translates them).
    def run_epochs_fn(self, bs, shuffle, val_bs, batches=None, val_batches=None, stop=None, windowed=False):
        """jit-compiled: (carry, data, val_data, orders, base_key, epoch0, n, n_real, n_val_real)
        -> (carry, logs[CHUNK, n_logs]); `n_real` / `n_val_real`: how many rows of the (padded) data are real.

        `batches` / `val_batches` say how `data` / `val_data` are cut into batches
        (`ARRAYS` or a `WindowBatches`); they are part of the compiled program.

        `orders` holds each epoch's sample order (rows, n) when shuffling, made on the
        host: an on-device permutation is a sort, which costs more to compile than
        the whole training step of a small model.

        With `stop` (an `early_stop.StopPlan`) the program runs `EarlyStopping`'s rule after each
        epoch and takes two more arguments, (stop_state, stop_params), after n_val_real; it returns
        (carry, logs, stop_state, epochs_run) and ends its loop when the rule stops or is undecided.

        `windowed` (what `fit` runs, `epoch_parts.run_windowed`): three more arguments after n_val_real,
        (acc, start, stop): the call runs from batch `start` of its first epoch to batch `stop` of its last,
        so one long epoch can run in several calls; it returns (carry, logs, acc, running row).
        """
        batches, val_batches = batches or ARRAYS, val_batches or ARRAYS
        key = ("epochs", bs, shuffle, val_bs, batches.key, val_batches.key, stop)

        if windowed:
            if stop is not None:
                raise ValueError("run_epochs_fn: a windowed run has no in-program early stopping (stop=...).")
            key += ("windowed",)

            def build_windowed(o):
                def run(carry, data, val_data, orders, base_key, epoch0, n, n_real, n_val_real, acc, start, stop):
                    return epoch_parts.run_windowed(o.tracer, bs, shuffle, val_bs, batches, val_batches,
                                                    orders.shape[0] if shuffle else EPOCH_CHUNK, carry, data,
                                                    val_data, orders, base_key, epoch0, n, n_real, n_val_real, acc,
                                                    start, stop)
                return run

            return programs.program(self.owner, key, build_windowed)

        def build(o):
            def run(carry, data, val_data, orders, base_key, epoch0, n, n_real, n_val_real, *stopping):
                return o.tracer._run_epochs(bs, shuffle, val_bs, batches, val_batches, carry, data, val_data, orders,
                                            base_key, epoch0, n, n_real, n_val_real, stop, *stopping)
            return run

        return programs.program(self.owner, key, build)

    def _one_epoch(self, bs, val_bs, batches, val_batches, carry, data, val_data, order, epoch_key, n_real,
                   n_val_real):
        """One epoch of training, then validation: (carry, log row)."""
        carry, row = self._epoch(carry, data, batches, order, epoch_key, bs, n_real)
        if val_bs:
            tv, ntv, opt_state, states = carry
            states, val_logs = self._eval_scan(tv, ntv, states, val_data, val_batches, val_bs, n_val_real)
            carry = (tv, ntv, opt_state, states)
            row = jnp.concatenate([row, val_logs])
        return carry, row

    def _run_epochs(self, bs, shuffle, val_bs, batches, val_batches, carry, data, val_data, orders, base_key,
                    epoch0, n, n_real=None, n_val_real=None, stop=None, stop_state=None, stop_params=None):
        n_logs = len(self.log_names) * (2 if val_bs else 1)
        logs = jnp.full((orders.shape[0] if shuffle else EPOCH_CHUNK, n_logs), jnp.nan, jnp.float32)

        def epoch(i, carry):
            epoch_key = lambda: jax.random.fold_in(base_key, epoch0 + i)
            return self._one_epoch(bs, val_bs, batches, val_batches, carry, data, val_data,
                                   orders[i] if shuffle else None, epoch_key, n_real, n_val_real)

        if stop is None:
            def body(i, c):
                carry, logs = c
                carry, row = epoch(i, carry)
                return carry, logs.at[i].set(row)

            return jax.lax.fori_loop(0, n, body, (carry, logs))

        def stop_body(c):
            i, carry, logs, st = c
            carry, row = epoch(i, carry)
            st = early_stop.step(stop, st, stop_params, row, epoch0 + i, {**carry[0], **carry[1]})
            return i + 1, carry, logs.at[i].set(row), st

        def go_on(c):
            i, _, _, st = c
            return (i < n) & ~st.stopped & ~st.pending

        i, carry, logs, st = jax.lax.while_loop(go_on, stop_body, (jnp.int32(0), carry, logs, stop_state))
        return carry, logs, st, i

    def run_many_fn(self, bs, shuffle, val_bs, shared_data, shared_val, stop=None):
        """`run_epochs_fn` for several models of this architecture at once: each epoch vmapped over
        their stacked carries, sample orders, keys, real sizes; `active` flags keep a stopped model's carry:
        (carries, data, val_data, orders, keys, n_real, n_val_real, active, epoch0, n) -> (carries, logs).
        `shared_data` / `shared_val`: one dataset for all models (else one per model, stacked).
        With `stop`, also (stop_states, stop_params, shrink_at) in and (..., stop_states, epochs_run) out;
        the loop ends when every model has stopped, one model's rule is undecided, or no more than
        `shrink_at` models still train (the host may then go on with fewer models: `fit_many`)."""
        key = ("many", bs, shuffle, val_bs, shared_data, shared_val, stop)

        def build(o):
            eng = o.tracer

            def run(carries, data, val_data, orders, keys, n_real, n_val_real, active, epoch0, n, *stopping):
                return eng._run_many(bs, shuffle, val_bs, shared_data, shared_val, stop, carries, data, val_data,
                                     orders, keys, n_real, n_val_real, active, epoch0, n, *stopping)
            return run

        return programs.program(self.owner, key, build)

    def _run_many(self, bs, shuffle, val_bs, shared_data, shared_val, stop, carries, data, val_data, orders, keys,
                  n_real, n_val_real, active, epoch0, n, stop_states=None, stop_params=None, shrink_at=None):
        n_models = keys.shape[0]
        n_logs = len(self.log_names) * (2 if val_bs else 1)
        logs = jnp.full((n_models, orders.shape[1] if shuffle else EPOCH_CHUNK, n_logs), jnp.nan, jnp.float32)
        where = lambda m, a, b: jax.tree_util.tree_map(
            lambda x, y: jnp.where(m.reshape(m.shape + (1,) * (x.ndim - 1)), x, y), a, b)

        steps = (jnp.max(n_real) + bs - 1) // bs
        val_steps = (jnp.max(n_val_real) + val_bs - 1) // val_bs if val_bs else None

        def one(i, carry, data, val_data, order, key, n_real, n_val_real):
            epoch_key = lambda: jax.random.fold_in(key, epoch0 + i)
            return self._one_epoch(bs, val_bs, ARRAYS, ARRAYS, carry, data, val_data, order, epoch_key,
                                   SharedBound(n_real, steps), SharedBound(n_val_real, val_steps) if val_bs else None)

        axes = (None, 0, None if shared_data else 0, None if shared_val else 0, 0 if shuffle else None, 0, 0, 0)
        epoch = jax.vmap(one, in_axes=axes)

        def body(c):
            i, carries, logs, st = c
            new, rows = epoch(i, carries, data, val_data, orders[:, i] if shuffle else None, keys, n_real,
                              n_val_real)
            live = active if st is None else active & ~st.stopped
            carries = where(live, new, carries)
            if st is not None:
                new_st = jax.vmap(partial(early_stop.step, stop), in_axes=(0, None, 0, None, 0))(
                    st, stop_params, rows, epoch0 + i, {**carries[0], **carries[1]})
                st = where(live, new_st, st)
            return i + 1, carries, logs.at[:, i].set(rows), st

        def go_on(c):
            i, _, _, st = c
            if st is None:
                return i < n
            live = active & ~st.stopped
            return (i < n) & jnp.any(live) & ~jnp.any(st.pending) & (jnp.sum(live) > shrink_at)

        i, carries, logs, st = jax.lax.while_loop(go_on, body, (jnp.int32(0), carries, logs, stop_states))
        return (carries, logs) if stop is None else (carries, logs, st, i)

    def evaluate_fn(self, bs, batches=None):
        batches = batches or ARRAYS
        return programs.program(self.owner, ("evaluate", bs, batches.key), lambda o: (
            lambda tv, ntv, states, data, n_real: o.tracer._eval_scan(tv, ntv, states, data, batches, bs, n_real)))

    def predict_fn(self):
        return programs.program(self.owner, ("predict",), lambda o: partial(predict_chunk, o.model))

    def train_batch_fn(self):
        return programs.program(self.owner, ("train_batch",), lambda o: o.tracer._train_batch)

    def _train_batch(self, tv, ntv, opt_state, states, batch, rng):
        tv, ntv, opt_state, states, acc = self._train_step(
            (tv, ntv, opt_state, states, self.init_metric_state()), batch, rng)
        return tv, ntv, opt_state, states, self.metric_results(acc)

    def train_chunk_fn(self):
        """jit-compiled: several batches of a generator in one call, each an optimizer step as in
        `train_batch_fn` (the same keys give the same numbers): (tv, ntv, opt_state, states, batches, keys,
        n_batches) -> (tv, ntv, opt_state, states, logs[chunk, n_logs]). `batches` are stacked
        (chunk, bs, ...); only the first `n_batches` are real (the rest are padding and skipped)."""

        def build(o):
            eng = o.tracer

            def run(tv, ntv, opt_state, states, batches, keys, n_batches):
                n_logs = len(eng.log_names)
                chunk = keys.shape[0]

                def body(i, c):
                    tv, ntv, opt_state, states, logs = c
                    batch = jax.tree_util.tree_map(lambda a: jax.lax.dynamic_index_in_dim(a, i, keepdims=False),
                                                   batches)
                    tv, ntv, opt_state, states, acc = eng._train_step(
                        (tv, ntv, opt_state, states, eng.init_metric_state()), batch, keys[i])
                    return tv, ntv, opt_state, states, logs.at[i].set(eng.metric_results(acc))

                logs = jnp.zeros((chunk, n_logs), jnp.float32)
                return jax.lax.fori_loop(0, n_batches, body, (tv, ntv, opt_state, states, logs))

            return run

        return programs.program(self.owner, ("train_chunk",), build)

    def test_batch_fn(self):
        return programs.program(self.owner, ("test_batch",), lambda o: o.tracer._test_batch)

    def _test_batch(self, tv, ntv, states, batch):
        xb, yb, wb, vb = batch
        loss, (outs, masks, new_states, per_output, _) = self._forward_loss(tv, ntv, states, xb, yb, wb, vb, None, False)
        acc = self._update_metrics(self.init_metric_state(), loss, per_output, yb, outs, masks, wb, vb)
        return new_states, self.metric_results(acc)


def predict_chunk(model, values, states, xs):
    """Forward pass over xs (steps, bs, ...) carrying stateful layers' states in order."""

    def body(states, xb):
        outs, _, new_states, _, _ = model.apply_flat(values, states, xb, training=False, rng=None)
        return new_states, outs

    return jax.lax.scan(body, states, placement.constrain_batch(xs, axis=1))  # [scale out]


def inference_cache(model) -> dict:
    """The model's one cache of inference work (programs, checked shapes, packed weights).

    Every change of the graph (`Model._init_graph`, e.g. `Sequential.add` / `pop`) replaces it.
    """
    cache = model.__dict__.get("_inference")
    if cache is None:
        cache = model._inference = {}
    return cache


def _inference_owner(model):
    """The owner of an uncompiled model's inference programs (shared by its architecture)."""
    cache = inference_cache(model)
    owner = cache.get("owner")
    if owner is None:
        owner = cache["owner"] = programs.Owner(programs.programs_for(programs.architecture_key(model)),
                                                programs.Binding(model), None, model)
    return owner


def predict_fn_for(model):
    """A jitted predict function for a model that has not been compiled."""
    return programs.program(_inference_owner(model), ("predict",), lambda o: partial(predict_chunk, o.model))


def flat_predict_fn_for(model, layout):
    """A jitted `predict_chunk` taking all weights as one flat float32 array.

    layout: ((key, shape), ...) in the order the weights were concatenated.
    Passing one array instead of one per weight makes each call cheaper to
    dispatch, which is most of the cost of predicting one small sample.
    """
    owner = _inference_owner(model) if model._engine is None else model._engine.owner
    call = owner.calls.get(("flat_predict", layout))
    if call is not None:  # the per-call path of a one-sample predict: nothing rebuilt
        return call
    program_layout = tuple((owner.binding.to_program[k], shape) for k, shape in layout)

    def build(o):
        def run(flat, states, xs):
            values, offset = {}, 0
            for key, shape in program_layout:
                size = int(np.prod(shape, dtype=np.int64))
                values[key] = flat[offset:offset + size].reshape(shape)
                offset += size
            return predict_chunk(o.model, o.binding.model(values), states, xs)
        return run

    call = owner.calls[("flat_predict", layout)] = programs.program(owner, ("flat_predict", program_layout), build)
    return call


def bucket_steps(steps):
    """The number of batches data is padded to: a power of two up to 64, then a multiple of an eighth of
    one. Datasets whose sizes land in one bucket (backtest folds, k-fold splits, a growing series) share a
    compiled program; the loop stops after the real batches, so the padding costs memory (at most 2x,
    or 1/8 above 64 batches), not time."""
    if steps <= 64:
        return 1 << max(0, (steps - 1).bit_length())
    unit = 1 << ((steps - 1).bit_length() - 4)
    return -(-steps // unit) * unit


def pad_rows(arrays, n_pad):
    """(xs, ys, w) with zero rows appended up to `n_pad` rows (on the host)."""
    def pad(a):
        a = np.asarray(a)
        extra = n_pad - a.shape[0]
        return a if not extra else np.concatenate([a, np.zeros((extra,) + a.shape[1:], a.dtype)])

    xs, ys, w = arrays
    return [pad(a) for a in xs], [pad(a) for a in ys], pad(w)


def padded_rows(n, bs):
    """The row count data of `n` rows is padded to for batches of `bs`: `bucket_steps` whole batches."""
    return bucket_steps(-(-n // bs)) * bs


def padded_device_arrays(data, bs):
    """(the data's device arrays, their row count): `ArrayData` padded with zero rows to `bucket_steps`
    batches of `bs` (the rows past `data.n` are marked padding by the program); other data as they are."""
    arrays = data.device_arrays()
    if not isinstance(data.batches, ArrayBatches):
        return placement.device_put(arrays), data.n  # [scale out] on the mesh under a distribution
    n_pad = padded_rows(data.n, bs)
    return placement.device_put(pad_rows(arrays, n_pad)), n_pad


def pad_to_batches(arrays, bs, steps):
    """Pad each array's leading dim to steps*bs and reshape to (steps, bs, ...)."""
    out = []
    for a in arrays:
        n = a.shape[0]
        pad = steps * bs - n
        if pad:
            a = np.concatenate([a, np.zeros((pad,) + a.shape[1:], a.dtype)])
        out.append(a.reshape((steps, bs) + a.shape[1:]))
    return out
