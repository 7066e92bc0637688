"""`LambdaCallback`: a callback built from plain functions."""

import warnings

from lstmkit.callbacks.callback import BATCH_HOOKS, Callback

__all__ = ["LambdaCallback"]

_HOOKS = frozenset(
    ["on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
     "on_predict_begin", "on_predict_end"]
    + [name for names in BATCH_HOOKS.values() for name in names]
)


class LambdaCallback(Callback):
    """Callback for creating simple, custom callbacks on the fly.

    Functions are called with positional arguments as the hooks are: `on_epoch_begin` and
    `on_epoch_end` get `(epoch, logs)`; `on_train_begin`/`on_train_end` (and the test/predict
    ones) get `(logs)`; batch hooks get `(batch, logs)` (logs as a keyword argument). Any other
    hook of `Callback` can be passed by name as a keyword argument.

    Only the hooks given count as implemented: a LambdaCallback with epoch hooks only keeps
    `fit` on its fast whole-epoch path; one with a batch hook makes `fit` run batch by batch.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        unknown = sorted(k for k in kwargs if k.startswith("on_") and k not in _HOOKS)
        if unknown:
            warnings.warn(f"LambdaCallback: {unknown} are not callback hooks and will never be called.", stacklevel=2)
        self.__dict__.update(kwargs)
        given = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for name, fn in given.items():
            if fn is not None:
                setattr(self, name, fn)
