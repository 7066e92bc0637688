"""`CallbackList`: the engine's single entry point to the callbacks of a `fit`/`evaluate`/`predict` call.

Engine-facing contract:

    cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                       verbose=verbose, epochs=epochs, steps=steps_per_epoch)
    cbs.needs_batch_hooks(mode=None)   # some callback overrides a batch hook ('train'/'test'/'predict'/any)
    cbs.needs_live_epochs()            # some callback must run between epochs in real time
    cbs.set_epoch_time(seconds)        # optional: seconds per epoch of the epochs about to be replayed
    cbs.on_train_begin(); cbs.on_epoch_begin(e); cbs.on_epoch_end(e, logs); cbs.on_train_end(logs)
    cbs.history                        # the History callback (or None)

Every hook receives a fresh dict of Python floats (nested dicts flattened); the same dict is
passed to each callback in turn, so keys one callback adds (e.g. 'learning_rate') reach the
callbacks after it, `History` included. Key order is the caller's: the engine orders epoch
logs as Keras 3 does.
"""

from lstmkit.callbacks import callback as callback_mod
from lstmkit.distribution import placement
from lstmkit.callbacks.callback import Callback
from lstmkit.callbacks.history import History
from lstmkit.callbacks.progbar_logger import ProgbarLogger

__all__ = ["CallbackList"]


def _flatten(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, CallbackList):
        return list(callbacks.callbacks)
    if isinstance(callbacks, (list, tuple)):
        out = []
        for cb in callbacks:
            out.extend(_flatten(cb))
        return out
    return [callbacks]


def _pythonify(logs):
    """A new flat dict with values converted by `float()` where possible (Keras's log handling)."""
    result = {}
    for key, value in (logs or {}).items():
        if isinstance(value, dict):
            result.update(_pythonify(value))
            continue
        try:
            value = float(value)
        except (TypeError, ValueError):
            pass
        result[key] = value
    return result


class CallbackList(Callback):
    """Container calling a list of callbacks together.

    Args:
        callbacks: list of `Callback` instances (nested lists are flattened).
        add_history: add a `History` callback if the list has none.
        add_progbar: add a `ProgbarLogger` if the list has none.
        model: the model the callbacks are used with.
        **params: passed to every callback via `set_params` (`verbose`, `epochs`, `steps`).
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = _flatten(callbacks)
        if not placement.is_writer():  # a cluster's processes run the same fit: process 0 prints and logs
            self.callbacks = [cb for cb in self.callbacks if not getattr(cb, "_process_zero_only", False)]
            add_progbar = False
        self._history = None
        self._progbar = None
        for cb in self.callbacks:
            if isinstance(cb, ProgbarLogger):
                self._progbar = cb
            elif isinstance(cb, History):
                self._history = cb
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)

    # ----------------------------------------------------------------- setup
    @property
    def history(self):
        """The `History` callback in the list, or None."""
        return self._history

    def set_params(self, params):
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            try:
                model.history = self._history
            except AttributeError:
                pass
        for cb in self.callbacks:
            cb.set_model(model)

    def append(self, callback):
        """Add a callback (it gets the list's model and params)."""
        self.callbacks.append(callback)
        if self._model is not None:
            callback.set_model(self._model)
        if self.params:
            callback.set_params(self.params)
        if isinstance(callback, History) and self._history is None:
            self._history = callback
        if isinstance(callback, ProgbarLogger) and self._progbar is None:
            self._progbar = callback

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    # ----------------------------------------------------------------- engine queries
    def needs_batch_hooks(self, mode=None):
        """True iff some callback overrides a batch-level hook.

        `mode` narrows the question to 'train' (`on_train_batch_*`, `on_batch_*`), 'test' or
        'predict' hooks; None (the default) asks about any of them.
        """
        if mode is not None and mode not in callback_mod.BATCH_HOOKS:
            raise ValueError(
                f"needs_batch_hooks(mode=...) must be 'train', 'test', 'predict' or None; received {mode!r}."
            )
        return any(callback_mod.needs_batch_hooks(cb, mode) for cb in self.callbacks)

    def needs_live_epochs(self):
        """True iff some callback must run between epochs as they happen.

        When False, the engine may run many epochs in one compiled call and then replay
        `on_epoch_begin`/`on_epoch_end` for each of them, in order.
        """
        return any(callback_mod.needs_live_epochs(cb) for cb in self.callbacks)

    def set_epoch_time(self, seconds):
        """Optional: tell time-reporting callbacks how long each of the next epochs took.

        The engine may call this before replaying a chunk of epochs run in one compiled call
        (with the chunk's time divided by its epoch count), so `ProgbarLogger(verbose=2)` shows
        per-epoch times instead of the gaps between replayed calls. Applies until the next call.
        """
        for cb in self.callbacks:
            fn = getattr(cb, "_set_epoch_time", None)
            if fn is not None:
                fn(seconds)

    # ----------------------------------------------------------------- dispatch
    def _epoch_like(self, hook, index, logs):
        logs = _pythonify(logs)
        for cb in self.callbacks:
            getattr(cb, hook)(index, logs)

    def _batch(self, hook, batch, logs):
        logs = _pythonify(logs)
        for cb in self.callbacks:
            getattr(cb, hook)(batch, logs=logs)

    def _begin_end(self, hook, logs):
        logs = _pythonify(logs)
        for cb in self.callbacks:
            getattr(cb, hook)(logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_like("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._epoch_like("on_epoch_end", epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        self._batch("on_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._batch("on_batch_end", batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._batch("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._batch("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._batch("on_predict_batch_end", batch, logs)

    def on_train_begin(self, logs=None):
        self._begin_end("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._begin_end("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._begin_end("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._begin_end("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._begin_end("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._begin_end("on_predict_end", logs)
