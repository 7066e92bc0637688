"""The `Callback` base class, and how the engine tells which hooks a callback really uses.

lstmkit's `fit` compiles whole epochs (often many per compiled call), so the host sees
epoch boundaries only. Two questions decide how it may run:

* does some callback need batch-level hooks? Then the engine runs one batch per call
  (`CallbackList.needs_batch_hooks()`). A callback needs them when its class (or the instance
  itself, as `LambdaCallback` does) overrides one of `Callback`'s no-op batch hooks. A class
  may list hooks in `_conditional_hooks` and say per instance, via `_hook_in_use(name)`,
  whether it uses them (`ModelCheckpoint` uses `on_train_batch_end` only with an integer
  `save_freq`).
* does some callback need to act between epochs in real time (stop training, change the
  learning rate, write a file)? Then the engine runs one epoch per call
  (`CallbackList.needs_live_epochs()`); otherwise it may run many epochs in one call and then
  replay `on_epoch_begin` / `on_epoch_end` for each of them, in order, with that epoch's logs.
  A callback is live when it overrides `on_epoch_begin` or `on_epoch_end` (a callback that
  only overrides, say, `on_train_end` runs nothing between epochs). A class declares that
  its epoch hooks may be replayed with `_live_epochs = False` (`History`, `ProgbarLogger`);
  a subclass that overrides an epoch hook again is live unless it says so too. A class or an
  instance forces the answer with `_live_epochs = True` / `False`.

No-op base hooks carry the `_is_default` marker Keras 3 uses, so Keras's own callbacks are
understood too.
"""

import sys

__all__ = ["Callback"]

BATCH_HOOKS = {
    "train": ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
    "predict": ("on_predict_batch_begin", "on_predict_batch_end"),
}
EPOCH_HOOKS = ("on_epoch_begin", "on_epoch_end")


def _default(method):
    """Marks a no-op base hook (the same marker Keras 3 uses, so either library can tell overrides)."""
    method._is_default = True
    return method


class Callback:
    """Base class for callbacks passed to `fit()`, `evaluate()` and `predict()`.

    Subclass it and override the hooks you need; the hooks are Keras 3's. Each receives a
    `logs` dict of Python floats (`{}` when there is nothing to report).

    Attributes:
        params: dict of training parameters (`verbose`, `epochs`, `steps`).
        model: the model being trained.

    Overriding any batch-level hook (`on_train_batch_*`, `on_batch_*`, `on_test_batch_*`,
    `on_predict_batch_*`) makes `fit` run one batch per compiled call, which is much slower
    than lstmkit's whole-epoch execution; prefer epoch-level hooks.
    """

    # None: live iff an epoch hook is overridden (see module docstring); True/False: forced.
    _live_epochs = None
    # Hook names this class overrides but only uses when `_hook_in_use(name)` says so.
    _conditional_hooks = ()

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    @model.setter
    def model(self, model):
        self._model = model

    def _hook_in_use(self, name):
        """For hooks listed in `_conditional_hooks`: whether this instance uses `name`."""
        return True

    # ----------------------------------------------------------------- batch-level hooks
    @_default
    def on_batch_begin(self, batch, logs=None):
        """A backwards compatibility alias for `on_train_batch_begin`."""

    @_default
    def on_batch_end(self, batch, logs=None):
        """A backwards compatibility alias for `on_train_batch_end`."""

    @_default
    def on_train_batch_begin(self, batch, logs=None):
        """Called at the beginning of a training batch in `fit` (only on the per-batch path)."""
        self.on_batch_begin(batch, logs=logs)

    @_default
    def on_train_batch_end(self, batch, logs=None):
        """Called at the end of a training batch in `fit`; `logs` holds that batch's values."""
        self.on_batch_end(batch, logs=logs)

    @_default
    def on_test_batch_begin(self, batch, logs=None):
        """Called at the beginning of a batch in `evaluate`."""

    @_default
    def on_test_batch_end(self, batch, logs=None):
        """Called at the end of a batch in `evaluate`."""

    @_default
    def on_predict_batch_begin(self, batch, logs=None):
        """Called at the beginning of a batch in `predict`."""

    @_default
    def on_predict_batch_end(self, batch, logs=None):
        """Called at the end of a batch in `predict`."""

    # ----------------------------------------------------------------- epoch-level hooks
    @_default
    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch (0-based `epoch`), during `fit` only."""

    @_default
    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch; `logs` holds the epoch's metrics and `val_` ones."""

    # ----------------------------------------------------------------- begin / end hooks
    @_default
    def on_train_begin(self, logs=None):
        """Called at the beginning of training."""

    @_default
    def on_train_end(self, logs=None):
        """Called at the end of training; `logs` are the last epoch's logs."""

    @_default
    def on_test_begin(self, logs=None):
        """Called at the beginning of evaluation."""

    @_default
    def on_test_end(self, logs=None):
        """Called at the end of evaluation; `logs` are the evaluation results."""

    @_default
    def on_predict_begin(self, logs=None):
        """Called at the beginning of prediction."""

    @_default
    def on_predict_end(self, logs=None):
        """Called at the end of prediction."""


# --------------------------------------------------------------------------- hook detection
def _owner(cls, name):
    """The class in `cls`'s MRO that defines `name`, or None."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass
    return None


def overrides_hook(callback, name):
    """Whether `callback` really implements hook `name` (instance attribute or class override)."""
    if name in getattr(callback, "__dict__", {}):
        return True
    impl = getattr(type(callback), name, None)
    if impl is None or getattr(impl, "_is_default", False):  # also recognises Keras 3's own base hooks
        return False
    owner = _owner(type(callback), name)
    if owner is None or owner is Callback:
        return False
    if name in vars(owner).get("_conditional_hooks", ()):
        return bool(callback._hook_in_use(name))
    return True


def needs_batch_hooks(callback, mode=None):
    """Whether `callback` overrides a batch-level hook of `mode` ('train', 'test', 'predict'; None: any)."""
    modes = BATCH_HOOKS if mode is None else {mode: BATCH_HOOKS[mode]}
    return any(overrides_hook(callback, name) for names in modes.values() for name in names)


def needs_live_epochs(callback):
    """Whether `callback` must see each epoch boundary as it happens (see the module docstring)."""
    explicit = getattr(callback, "__dict__", {}).get("_live_epochs")
    if explicit is not None:
        return bool(explicit)
    for name in EPOCH_HOOKS:
        if name in getattr(callback, "__dict__", {}):
            return True
        impl = getattr(type(callback), name, None)
        owner = _owner(type(callback), name)
        if owner is None or owner is Callback or getattr(impl, "_is_default", False):
            continue
        if vars(owner).get("_live_epochs", None) is False:
            continue
        return True
    return getattr(type(callback), "_live_epochs", None) is True


# --------------------------------------------------------------------------- output
class _Console:
    """Shared state of stdout: whether a progress line drawn with '\\r' is still open."""

    line_open = False


def print_msg(message):
    """Print a message on its own line (closing an open progress line first) and flush.

    Under a distribution over a cluster, only process 0 prints (all run the same fit)."""
    from lstmkit.distribution import placement

    if not placement.is_writer():
        return
    out = sys.stdout
    if _Console.line_open:
        out.write("\n")
        _Console.line_open = False
    out.write(f"{message}\n")
    out.flush()
