"""`TensorBoard`: Keras 3's callback, writing TensorBoard's event files without TensorFlow.

How it fits lstmkit's compiled epochs (see `lstmkit.callbacks.callback`):

* With `update_freq="epoch"` it overrides no batch hook that it uses, so `fit` keeps running whole
  epochs, many per compiled call; its epoch hooks are replayed after each call (`_live_epochs =
  False`). The engine asks `_epochs_per_call(epoch)` before each call: the answer ends a call at
  every epoch whose weights are written (histograms, images, embeddings), so those are that
  epoch's weights, and the call's first epoch and step count give each replayed epoch's learning
  rate (a schedule's value at that epoch's last step).
* `update_freq="batch"` or an integer uses the batch hooks: `fit` then runs one batch per call.
* `profile_batch` needs its epoch hooks before the epochs run (`_live_epochs = True`).
"""

import os
import time
import warnings

import numpy as np

from lstmkit.callbacks import _tensorboard_files as files
from lstmkit.callbacks.callback import Callback

__all__ = ["TensorBoard"]


def _frequency(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"`{name}` must be an integer >= 0 (a number of epochs; 0 turns it off); received {value!r}.")
    return int(value)


def _profile_range(profile_batch):
    """(start, stop) of Keras's `profile_batch`: an integer, a 'start,stop' string or a pair."""
    message = ("profile_batch must be a non-negative integer or 2-tuple of positive integers. A pair of positive "
               f"integers signifies a range of batches to profile. Found: {profile_batch}")
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError:
            raise ValueError(message) from None
        value = value[0] if len(value) == 1 else value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        start = stop = int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        start, stop = int(value[0]), int(value[1])
    else:
        raise ValueError(message)
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


class TensorBoard(Callback):
    """Write logs for TensorBoard: `tensorboard --logdir=LOG_DIR`.

    Keras 3's callback and file layout: `LOG_DIR/train` and `LOG_DIR/validation` runs, scalars
    `epoch_loss`, `epoch_<metric>`, `epoch_learning_rate` (and `epoch_steps_per_second`) per
    epoch, validation values under the same tags in the validation run, and
    `evaluation_<name>_vs_iterations` there at the optimizer's step. Event files are written with
    tensorboardX (`pip install lstmkit[tensorboard]`); TensorFlow is not needed.

    Args:
        log_dir: the directory of the logs; not to be shared with other callbacks.
        histogram_freq: every this many epochs (0: never), a histogram of each weight, tagged with
            Keras's weight path (`sequential/lstm/lstm_cell/kernel/histogram`). The compiled call
            ends at each such epoch, so the histogram shows that epoch's weights.
        write_graph: write the model's config (its JSON) as Keras does: the Graphs tab draws it as
            the model's conceptual graph (Sequential and functional models).
        write_images: at the histogram epochs, also draw each weight as an image (`.../image`), as
            Keras does: values clipped to [0, 1]. Needs `histogram_freq` > 0.
        write_steps_per_second: also log training steps per second (`epoch_steps_per_second`,
            and `batch_steps_per_second` with a batch-level `update_freq`).
        update_freq: "epoch" (the default), "batch", or an integer N: also write the batch logs
            as `batch_<name>` every N batches (step: the batch's number in the fit, from 1).
            Batch-level writing makes `fit` run one batch per compiled call.
        profile_batch: profile batches with `jax.profiler` (TensorBoard's Profile tab, from the
            `tensorboard-plugin-profile` package): an integer, or a pair (start, stop) of batch
            numbers counted from 1 over the fit; 0 turns it off. lstmkit compiles whole epochs,
            so with `update_freq="epoch"` the trace covers the epochs holding those batches
            (and `fit` runs one epoch per call); with a batch-level `update_freq`, exactly those
            batches. The trace goes to `LOG_DIR/train/plugins/profile/`.
        embeddings_freq: every this many epochs (0: never), the weights of each `Embedding` layer
            for the Projector tab: `LOG_DIR/train/keras_embedding.ckpt-<epoch>.weights.h5` (as
            Keras saves them), each matrix as a TSV file beside it, and
            `LOG_DIR/projector_config.pbtxt` listing those files.
        embeddings_metadata: a metadata file name for every Embedding layer, or a dict of layer
            name -> file name.
    """

    _live_epochs = False  # replayed after a compiled call; see the module docstring
    _process_zero_only = True  # under a distribution over a cluster, only process 0 writes event files
    _conditional_hooks = ("on_train_batch_begin", "on_train_batch_end")

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        files.require_tensorboardx()
        try:
            self.log_dir = os.fspath(log_dir)
        except TypeError:
            raise TypeError(f"`log_dir` must be a path (str or os.PathLike); received {log_dir!r}.") from None
        self.histogram_freq = _frequency("histogram_freq", histogram_freq)
        self.embeddings_freq = _frequency("embeddings_freq", embeddings_freq)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (isinstance(update_freq, bool) or not isinstance(update_freq, (int, np.integer))
                                       or update_freq < 1):
            raise ValueError(f"`update_freq` must be 'epoch', 'batch' or a positive integer (a number of batches); "
                             f"received {update_freq!r}.")
        self.update_freq = update_freq if update_freq == "epoch" else int(update_freq)
        if embeddings_metadata is not None and not isinstance(embeddings_metadata, (str, dict)):
            raise TypeError("`embeddings_metadata` must be a file name or a dict of Embedding layer name -> file "
                            f"name; received {embeddings_metadata!r}.")
        self.embeddings_metadata = embeddings_metadata
        if self.write_images and not self.histogram_freq:
            warnings.warn("TensorBoard(write_images=True) draws the weights at the histogram epochs; with "
                          "histogram_freq=0 no image is written.", UserWarning, stacklevel=2)
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self._should_trace = self._stop_batch > 0
        if self._should_trace and self._start_batch == 0:
            warnings.warn(f"TensorBoard(profile_batch={profile_batch!r}): batches are numbered from 1, so batch 0 "
                          "never comes and nothing is profiled (as in Keras).", UserWarning, stacklevel=2)
            self._should_trace = False
        if self._should_trace:
            self._live_epochs = True  # the trace starts in on_epoch_begin, before the epoch runs
        self._is_tracing = False
        self._writers = {}
        self._embedding_entries = []
        self._reset_fit()

    def _reset_fit(self):
        self._global_train_batch = 0
        self._batches_in_epoch = 0
        self._epoch_time = None  # seconds per epoch of the epochs being replayed (the engine says)
        self._chunk = None  # (first epoch, raw optimizer steps before it) of the compiled call replayed
        self._engine_chunks = False  # the engine announces its compiled calls (`_epochs_per_call`)
        self._epoch_begin = (0, 0.0, 0)  # raw steps, time, Keras iterations at on_epoch_begin
        self._traced = False

    # ----------------------------------------------------------------- engine protocol
    def _hook_in_use(self, name):
        return self.update_freq != "epoch"

    def _epochs_per_call(self, epoch):
        """Called by `fit` before each compiled call of several epochs: end it at the next epoch whose
        weights are written."""
        self._engine_chunks = True
        self._chunk = (epoch, self._raw_steps())
        limits = [(-epoch) % freq + 1 for freq in (self.histogram_freq, self.embeddings_freq) if freq]
        return min(limits) if limits else None

    def _set_epoch_time(self, seconds):
        self._epoch_time = seconds

    # ----------------------------------------------------------------- writers
    def set_model(self, model):
        self._close_writers()
        self._model = model
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        if self.embeddings_freq:
            self._embedding_layers()  # checks embeddings_metadata against the model's layers now
        if self.write_graph:
            self._write_keras_model_summary()

    def _writer(self, kind):
        if kind not in self._writers:
            files.require_tensorboardx()
            self._writers[kind] = files.EventWriter(self._train_dir if kind == "train" else self._val_dir)
        return self._writers[kind]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _write_keras_model_summary(self):
        model = self.model
        if not hasattr(model, "to_json") or not hasattr(model, "layers"):
            return
        try:
            model_json = model.to_json()
        except Exception as exc:  # noqa: BLE001 - as Keras: a model that cannot be serialized gets no graph
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {exc}", UserWarning, stacklevel=3)
            return
        writer = self._writer("train")
        writer.add_summary(files.keras_graph_summary(model_json), 0)
        writer.flush()

    # ----------------------------------------------------------------- the optimizer's progress
    def _optimizer(self):
        return getattr(self.model, "optimizer", None)

    def _raw_steps(self):
        """Optimizer updates so far, counting gradient-accumulation steps (what schedules see)."""
        opt = self._optimizer()
        return int(getattr(opt, "_raw_iterations", getattr(opt, "iterations", 0) or 0)) if opt is not None else 0

    def _steps_per_epoch(self):
        steps = (self.params or {}).get("steps")
        return int(steps) if isinstance(steps, (int, np.integer)) and steps > 0 else None

    def _raw_steps_after(self, epoch):
        """(raw optimizer steps after `epoch`, whether that count is known, whether the model's weights
        are that epoch's)."""
        now = self._raw_steps()
        if self._engine_chunks and self._chunk is not None:
            first, before = self._chunk
            steps = self._steps_per_epoch()
            if not steps:
                return now, False, False
            after = before + (epoch - first + 1) * steps
            return after, True, after == now
        # The epoch ran between on_epoch_begin and now: the count is known if the optimizer moved.
        moved = now > self._epoch_begin[0]
        return now, moved, moved

    def _iterations(self, raw):
        opt = self._optimizer()
        accumulation = getattr(opt, "gradient_accumulation_steps", None)
        return raw // accumulation if accumulation else raw

    def _learning_rate(self, raw):
        from lstmkit.optimizers.schedules import LearningRateSchedule

        opt = self._optimizer()
        if opt is None:
            return None
        rate = getattr(opt, "_learning_rate", None)
        if isinstance(rate, LearningRateSchedule):
            return float(np.asarray(rate(raw)))
        return float(opt.learning_rate)

    def _stale(self, epoch, what):
        return RuntimeError(
            f"TensorBoard: {what} of epoch {epoch} cannot be known here: this training loop reports its epochs "
            "after running several of them without telling the callback where each one ended (as "
            "lstmkit.training.many.fit_many does). Train this model with `model.fit`.")

    # ----------------------------------------------------------------- hooks
    def on_train_begin(self, logs=None):
        self._reset_fit()
        self._embedding_entries = []

    def on_train_end(self, logs=None):
        if self._is_tracing:
            self._stop_trace()
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._batches_in_epoch = 0
        if self._engine_chunks:
            return  # a replayed epoch: it has run already
        self._epoch_begin = (self._raw_steps(), time.perf_counter(), self._iterations(self._raw_steps()))
        if self._should_trace and self.update_freq == "epoch" and not self._is_tracing and not self._traced:
            steps = self._steps_per_epoch()
            if steps is None or self._start_batch <= self._global_train_batch + steps:
                self._start_trace()

    def on_epoch_end(self, epoch, logs=None):
        if self._batches_in_epoch == 0:  # whole epochs: count their batches for profile_batch
            self._global_train_batch += self._steps_per_epoch() or 0
        raw, known, current = self._raw_steps_after(epoch)
        if self._is_tracing and self.update_freq == "epoch" and self._global_train_batch >= self._stop_batch:
            self._stop_trace()
        self._log_epoch_metrics(epoch, logs or {}, raw, known)
        writes_weights = (self.histogram_freq and epoch % self.histogram_freq == 0) or (
            self.embeddings_freq and epoch % self.embeddings_freq == 0)
        if writes_weights and not current:
            raise self._stale(epoch, "the weights")
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings(epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        # model.evaluate(callbacks=[tensorboard]): its results at the optimizer's step, as Keras writes them.
        opt = self._optimizer()
        if opt is None or not logs:
            return
        writer = self._writer("val")
        for name, value in logs.items():
            writer.scalar(f"evaluation_{name}_vs_iterations", float(value), int(opt.iterations))
        writer.flush()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._batches_in_epoch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.perf_counter()
        if (self._should_trace and self.update_freq != "epoch" and not self._is_tracing
                and self._global_train_batch == self._start_batch):
            self._start_trace()
        if self._is_tracing and self.update_freq != "epoch":
            import jax

            self._batch_trace = jax.profiler.TraceAnnotation(f"Profiled batch {batch}")
            self._batch_trace.__enter__()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq != "epoch" and self._global_train_batch % self.update_freq == 0:
            writer = self._writer("train")
            step = self._global_train_batch
            if self.write_steps_per_second:
                writer.scalar("batch_steps_per_second", 1.0 / max(time.perf_counter() - self._batch_start_time,
                                                                      1e-9), step)
            for name, value in (logs or {}).items():
                writer.scalar(f"batch_{name}", float(value), step)
        if self._is_tracing and self.update_freq != "epoch":
            trace, self._batch_trace = getattr(self, "_batch_trace", None), None
            if trace is not None:
                trace.__exit__(None, None, None)
            if self._global_train_batch >= self._stop_batch:
                self._stop_trace()

    # ----------------------------------------------------------------- what is written
    def _log_epoch_metrics(self, epoch, logs, raw, known):
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        opt = self._optimizer()
        if opt is not None:
            from lstmkit.optimizers.schedules import LearningRateSchedule

            if not known and isinstance(getattr(opt, "_learning_rate", None), LearningRateSchedule):
                raise self._stale(epoch, "the learning rate (a schedule's value)")
            train_logs["learning_rate"] = self._learning_rate(raw)
        if self.write_steps_per_second:
            train_logs["steps_per_second"] = self._steps_per_second(raw)
        train = self._writer("train")
        for name, value in train_logs.items():
            train.scalar(f"epoch_{name}", float(value), epoch)
        if val_logs:
            val = self._writer("val")
            for name, value in val_logs.items():
                val.scalar(f"epoch_{name}", float(value), epoch)
            # Keras's fit runs evaluate() with the callbacks after each epoch, which writes these too.
            for name, value in val_logs.items():
                val.scalar(f"evaluation_{name}_vs_iterations", float(value), self._iterations(raw))

    def _steps_per_second(self, raw):
        steps = self._steps_per_epoch()
        if self._epoch_time is not None and steps:
            return self._iterations(steps) / max(self._epoch_time, 1e-9)
        begin_raw, begin_time, begin_iterations = self._epoch_begin
        return (self._iterations(raw) - begin_iterations) / max(time.perf_counter() - begin_time, 1e-9)

    def _log_weights(self, epoch):
        writer = self._writer("train")
        for tag, weight in files.keras_weight_tags(self.model):
            values = np.asarray(weight)
            writer.histogram(f"{tag}/histogram", values, epoch)
            if self.write_images:
                image = files.weight_image(values)
                if image is not None:
                    writer.images(f"{tag}/image", image, epoch)

    def _embedding_layers(self):
        """[(layer, metadata file or None)] for each Embedding layer; unknown names in embeddings_metadata raise."""
        from lstmkit.layers.core import Embedding

        layers = [layer for layer in getattr(self.model, "layers", []) if isinstance(layer, Embedding)]
        metadata = self.embeddings_metadata
        if isinstance(metadata, dict):
            unknown = set(metadata) - {layer.name for layer in layers}
            if unknown:
                raise ValueError("Unrecognized `Embedding` layer names passed to `keras.callbacks.TensorBoard` "
                                 f"`embeddings_metadata` argument: {sorted(unknown)}")
            return [(layer, metadata.get(layer.name)) for layer in layers]
        return [(layer, metadata) for layer in layers]

    def _log_embeddings(self, epoch):
        os.makedirs(self._train_dir, exist_ok=True)
        self.model.save_weights(os.path.join(self._train_dir, f"keras_embedding.ckpt-{epoch}.weights.h5"))
        for layer, metadata in self._embedding_layers():
            relative = os.path.join("train", f"keras_embedding.ckpt-{epoch}", f"{layer.name}.tsv")
            files.write_tsv(os.path.join(self.log_dir, relative), np.asarray(layer.embeddings))
            self._embedding_entries.append({"tensor_name": f"{layer.name}/embeddings (epoch {epoch})",
                                            "tensor_path": relative, "metadata_path": metadata})
        files.write_projector_config(self.log_dir, self._embedding_entries)

    # ----------------------------------------------------------------- profiling
    def _start_trace(self):
        import jax

        try:
            jax.profiler.start_trace(self._train_dir)
        except RuntimeError as e:  # e.g. another trace is running: profiling must not stop training
            warnings.warn(f"TensorBoard: the profiler did not start ({e}).", UserWarning, stacklevel=3)
            self._should_trace = False
            return
        self._is_tracing = True

    def _stop_trace(self):
        import jax

        self._is_tracing = False
        self._traced = True
        jax.profiler.stop_trace()
