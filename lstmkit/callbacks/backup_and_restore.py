"""`BackupAndRestore`: back up the training state during `fit` and resume from it after an interruption."""

import json
import os
import shutil
import warnings

import numpy as np

from lstmkit.callbacks.callback import Callback

__all__ = ["BackupAndRestore"]

_STATE_GROUP = "lstmkit_training_state"


class BackupAndRestore(Callback):
    """Back up the training state so that a `fit` interrupted (an exception, a kill, a lost machine)
    and started again with the same callback goes on where it stopped (Keras 3's callback).

    At the end of each epoch (or every `save_freq` batches) the callback writes the model's weights
    (non-trainable ones included), the optimizer state, the epoch and batch reached, and the random
    state of the fit (the base key of its dropout keys, the shuffle generator's state, the global
    random state as the fit left it, `SeedGenerator` states and the states of stateful layers) into
    `backup_dir/latest.weights.h5`, atomically (a temporary file renamed over the old one: a kill at
    any moment leaves the previous backup loadable). When `fit` starts, `on_train_begin` puts that
    state back and training continues from the saved point: on arrays or a `WindowedSeries`, a fit
    killed at any moment and run again ends with bitwise the weights of an uninterrupted run.

    The resumed fit must be the same one (same model, compile and fit arguments, data and
    callbacks); other callbacks' own state (e.g. `EarlyStopping`'s patience count) is not saved.

    Args:
        backup_dir: the directory holding the backup. Use it for nothing else: it is deleted at the
            end of training (with `delete_checkpoint=True`).
        save_freq: 'epoch' (back up after each epoch) or a positive integer: back up every that many
            training batches, counted as in Keras. A multiple of the epoch's batches keeps whole epochs
            per compiled call (as many as fit between two backups); any other number makes `fit` run one
            batch per call (slower), and a resumed fit then starts in the middle of the epoch, at the
            batch after the backup (Keras starts that epoch again from its first batch).
        double_checkpoint: keep the previous backup too ('.bkp' files); when the latest one cannot be
            read, training resumes from the previous one.
        delete_checkpoint: delete `backup_dir` when training ends normally.

    Differences from Keras: a fit on a generator or `Sequence` cannot be resumed (its position is
    not saved): the callback refuses such a fit. `save_freq=False` (Keras's preemption checkpointing,
    a TensorFlow feature) is refused.
    """

    # `on_train_batch_end` is used only when the backups fall inside epochs (see `_hook_in_use`).
    _conditional_hooks = ("on_train_batch_end",)

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if backup_dir is None or (isinstance(backup_dir, str) and not backup_dir):
            raise ValueError("Empty `backup_dir` argument passed")
        try:
            backup_dir = os.fspath(backup_dir)
        except TypeError:
            raise TypeError(f"`backup_dir` must be a path (str or os.PathLike); received {backup_dir!r}.") from None
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer))
                                     or save_freq < 1):
            raise ValueError("Invalid value for argument `save_freq`. "
                             f"Received: save_freq={save_freq}. "
                             "Expected either 'epoch' or an integer value (a positive number of batches).")
        for name, value in (("double_checkpoint", double_checkpoint), ("delete_checkpoint", delete_checkpoint)):
            if not isinstance(value, bool):
                raise TypeError(f"`{name}` must be True or False; received {value!r}.")
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self.backup_dir = backup_dir
        self._weights_path = os.path.join(backup_dir, "latest.weights.h5")
        self._training_metadata_path = os.path.join(backup_dir, "training_metadata.json")
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._prev_training_metadata_path = f"{self._training_metadata_path}.bkp"

    # ----------------------------------------------------------------- how fit runs with it
    def _whole_epochs(self):
        """An integer save_freq that is a multiple of the epoch's batches: every backup falls on an epoch end."""
        steps = (self.params or {}).get("steps")
        return self.save_freq != "epoch" and bool(steps) and self.save_freq % steps == 0

    def set_params(self, params):
        super().set_params(params)
        # With whole-epoch backups, epochs may be replayed after a compiled call of several of them: the
        # engine ends each call at a backup (`_epochs_per_call`), so the state saved is that epoch's.
        self._live_epochs = False if self._whole_epochs() else None

    def _hook_in_use(self, name):
        return self.save_freq != "epoch" and not self._whole_epochs()

    def _epochs_per_call(self, epoch):
        """How many epochs from `epoch` may run before the next backup (read by `fit`)."""
        if not self._whole_epochs():
            return 1 if self.save_freq == "epoch" else None
        steps = self.params["steps"]
        remaining = self.save_freq - self._batches_seen_since_last_saving
        return max(1, remaining // steps) if remaining % steps == 0 else 1

    # ----------------------------------------------------------------- hooks
    def on_train_begin(self, logs=None):
        model = self.model
        if not getattr(model, "built", True):
            raise ValueError("To use the BackupAndRestore callback, you model must be built before you call "
                             f"`fit()`. Model {model} is unbuilt. You can build it beforehand by calling it on a "
                             "batch of data.")
        if not getattr(model, "_fit_resumable", False):
            raise ValueError("BackupAndRestore: lstmkit resumes a fit on arrays or a WindowedSeries; this fit reads "
                             "a generator or Sequence, whose position cannot be saved. Pass arrays, or leave the "
                             "callback out.")
        try:
            self._load_model()
        except ValueError:
            # The latest backup is damaged: take the previous one, if there is one.
            if not os.path.exists(self._prev_weights_path):
                raise
            _copy_atomic(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_training_metadata_path):
                _copy_atomic(self._prev_training_metadata_path, self._training_metadata_path)
            elif os.path.exists(self._training_metadata_path):
                os.remove(self._training_metadata_path)
            self._load_model()

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()
        elif self._whole_epochs():
            self._batches_seen_since_last_saving += self.params["steps"]
            if self._batches_seen_since_last_saving >= self.save_freq:
                self._batches_seen_since_last_saving = 0
                self._save_model()

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model()

    def on_train_end(self, logs=None):
        from lstmkit.distribution import placement

        # Under a distribution over a cluster, process 0 writes the backup and deletes it, once every process
        # is past on_train_begin (a slower one reading no backup would train alone, its collectives unpaired).
        if self.delete_checkpoint:
            placement.barrier("backup-and-restore-end")
        if self.delete_checkpoint and placement.is_writer() and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)

    def _should_save_on_batch(self, batch):
        """Keras's count of batches since the last backup."""
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch
            add_batches = batch + 1  # batches are zero-indexed
        else:
            add_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    # ----------------------------------------------------------------- the backup file
    def _save_model(self):
        from lstmkit.saving.atomic import atomic_write_path

        model = self.model
        state = getattr(model, "_fit_state", None)
        if state is None:
            raise RuntimeError("BackupAndRestore: the model has no training state to back up (is it training?).")
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            _copy_atomic(self._weights_path, self._prev_weights_path)
        if self.double_checkpoint and os.path.exists(self._training_metadata_path):
            _copy_atomic(self._training_metadata_path, self._prev_training_metadata_path)
        # One file holds everything a resume needs, so one rename makes a backup complete.
        with atomic_write_path(self._weights_path) as tmp:
            _write_backup(tmp, model, state)
        # Keras's own record of the epoch and batch (read by people; the weights file is what is restored).
        with atomic_write_path(self._training_metadata_path) as tmp:
            with open(tmp, "w") as f:
                f.write(json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))

    def _load_model(self):
        """Put the backed-up state into the model; the fit continues from it (nothing is done without a backup)."""
        if os.path.exists(self._weights_path):
            self.model._fit_restore = _read_backup(self._weights_path, self.model)


# --------------------------------------------------------------------------- reading and writing
def _copy_atomic(src, dst):
    from lstmkit.saving.atomic import atomic_write_path

    with atomic_write_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def _write_backup(path, model, state):
    import h5py

    from lstmkit.saving.optimizer_state import optimizer_variables
    from lstmkit.saving.weights import write_keras3_weights

    with h5py.File(path, "w") as f:
        write_keras3_weights(f, model)
        group = f.require_group("optimizer/vars")
        group.attrs["name"] = model.optimizer.name
        for i, (_, value) in enumerate(optimizer_variables(model)):
            group.create_dataset(str(i), data=value)
        extra = f.require_group(_STATE_GROUP)
        extra.attrs["state"] = state.to_json()
        seeds = extra.require_group("seed_generators")
        for i, v in enumerate(model._seed_states()):
            seeds.create_dataset(str(i), data=np.asarray(v.value))
        rnn = extra.require_group("layer_states")
        for i, layer in enumerate(model._stateful_layers()):
            leaves = _leaves(getattr(layer, "_states", None))
            sub = rnn.require_group(str(i))
            for j, leaf in enumerate(leaves):
                sub.create_dataset(str(j), data=np.asarray(leaf))


def _leaves(tree):
    import jax

    return jax.tree_util.tree_leaves(tree)


def _read_backup(path, model):
    """The FitState of a backup, after putting its weights, optimizer and layer states into `model`.

    Everything is read and checked against the model before anything is changed, so a backup that
    does not fit (another model) changes nothing; every problem is a ValueError naming the file.
    """
    import h5py

    from lstmkit.saving import weights as weights_mod
    from lstmkit.training.fit_state import FitState

    where = f"BackupAndRestore: the backup '{path}'"
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"{where} cannot be read: it is damaged or not an HDF5 file ({e}).") from None
    try:
        with f:
            if _STATE_GROUP not in f or "state" not in f[_STATE_GROUP].attrs:
                raise ValueError(f"{where} holds no training state: it was not written by lstmkit's "
                                 "BackupAndRestore (the directory is for this callback only).")
            extra = f[_STATE_GROUP]
            state = FitState.from_json(extra.attrs["state"], where)
            weights = weights_mod.read_keras3_weights(f, model, where)
            seeds = _read_arrays(extra.get("seed_generators"), [v.value for v in model._seed_states()],
                                 where, "seed generator states")
            layer_states = []
            stateful = model._stateful_layers()
            groups = extra.get("layer_states")
            if len(stateful) != (len(groups) if groups is not None else 0):
                raise ValueError(f"{where} holds the states of {len(groups or ())} stateful layers; the model has "
                                 f"{len(stateful)}.")
            for i, layer in enumerate(stateful):
                current = getattr(layer, "_states", None)
                if current is None:
                    current = layer.initial_state(layer._fixed_batch_size())
                layer_states.append((layer, current, _read_arrays(groups[str(i)], _leaves(current), where,
                                                                  f"states of layer '{layer.name}'")))
            optimizer = _read_optimizer(f, model, where)
    except (OSError, KeyError, TypeError) as e:
        raise ValueError(f"{where} is damaged ({type(e).__name__}: {e}).") from None
    _restore_optimizer(model, optimizer, where)
    weights_mod.assign(weights)
    for v, value in zip(model._seed_states(), seeds):
        v.assign(value)
    import jax

    for layer, current, values in layer_states:
        treedef = jax.tree_util.tree_structure(current)
        layer._states = jax.tree_util.tree_unflatten(treedef, [jax.numpy.asarray(a) for a in values])
    return state


def _read_arrays(group, expected, where, what):
    """The datasets '0', '1', ... of `group`, each checked against the shape and dtype expected first."""
    keys = sorted((k for k in group.keys() if k.isdigit()), key=int) if group is not None else []
    if len(keys) != len(expected):
        raise ValueError(f"{where} holds {len(keys)} {what}; the model has {len(expected)}.")
    out = []
    for k, want in zip(keys, expected):
        ds = group[k]
        want = np.asarray(want)
        if tuple(ds.shape) != want.shape or ds.dtype != want.dtype:
            raise ValueError(f"{where}: the {what} #{k} has shape {tuple(ds.shape)} and dtype {ds.dtype}; the model "
                             f"expects shape {want.shape} and dtype {want.dtype}.")
        out.append(np.asarray(ds))
    return out


def _read_optimizer(f, model, where):
    group = f.get("optimizer/vars")
    if group is None:
        raise ValueError(f"{where} holds no optimizer state.")
    keys = sorted((k for k in group.keys() if k.isdigit()), key=int)
    largest = max([int(np.prod(v.shape)) for v in model.trainable_weights] + [1])
    values = []
    for k in keys:
        if group[k].size > largest:  # no optimizer variable is larger than the largest weight
            raise ValueError(f"{where}: optimizer variable #{k} has shape {group[k].shape}, larger than any weight.")
        values.append(np.asarray(group[k]))
    return values


def _restore_optimizer(model, values, where):
    from lstmkit.saving.optimizer_state import restore_optimizer_variables

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        restored = restore_optimizer_variables(model, values, where=where)
    if not restored:
        why = "; ".join(str(w.message) for w in caught) or "it does not fit this optimizer"
        raise ValueError(f"{where}: the optimizer state cannot be restored: {why}")
    for w in caught:  # warnings other than the refusal go on to the user
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
