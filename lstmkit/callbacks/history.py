"""`History`: records each epoch's logs; `fit` returns it."""

from lstmkit.callbacks.callback import Callback

__all__ = ["History"]


class History(Callback):
    """Records epoch logs; `fit()` adds one to every run and returns it.

    Attributes:
        history: dict mapping each log name ('loss', metrics, 'val_...') to a list of floats.
        epoch: list of the (0-based) epoch indices recorded.
        params: the training parameters (`verbose`, `epochs`, `steps`).
        model: the model trained.
    """

    _live_epochs = False  # recording can wait until after a chunk of compiled epochs

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        model = self.model
        if model is not None and getattr(model, "history", None) is not self:  # set once: it is the same object
            try:
                model.history = self
            except AttributeError:
                pass
