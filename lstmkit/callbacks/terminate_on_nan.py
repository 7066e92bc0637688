"""`TerminateOnNaN`: stop training when the loss becomes NaN or infinite."""

import math

from lstmkit.callbacks.callback import Callback, print_msg

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stop training when the epoch loss is NaN or infinite.

    Keras checks the loss after every batch. lstmkit runs whole epochs as one compiled
    program, so this callback checks the epoch's loss at the end of each epoch: the epoch in
    which the loss diverged runs to its end (its weights are then NaN too), and training
    stops after it. It does not force per-batch execution.

    Args:
        raise_error: False (default) stops gracefully with `model.stop_training = True`, so
            `on_train_end` of all callbacks still runs; True raises a `RuntimeError` at once.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        try:
            loss = float(loss)
        except (TypeError, ValueError):
            return
        if math.isnan(loss) or math.isinf(loss):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at epoch {epoch + 1}. Loss value: {loss}. "
                    "Terminating training immediately."
                )
            print_msg(f"Epoch {epoch + 1}: Invalid loss, terminating training")
            self.model.stop_training = True
