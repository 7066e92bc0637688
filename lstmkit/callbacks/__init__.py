"""Callbacks for `fit`, `evaluate` and `predict` (Keras 3's `keras.callbacks`).

lstmkit compiles whole epochs (often many per call) into one XLA program, so callbacks see
epoch boundaries. Callbacks that override a batch-level hook make `fit` run batch by batch;
callbacks whose epoch hooks must run in real time (all except `History` and `ProgbarLogger`)
make it run one epoch per call. See `lstmkit.callbacks.callback` for the rules.

`BackupAndRestore` backs up the training state so that a killed fit resumes bit for bit.
`TensorBoard` writes TensorBoard's logs (needs `pip install lstmkit[tensorboard]`).
"""

from lstmkit.callbacks.backup_and_restore import BackupAndRestore
from lstmkit.callbacks.callback import Callback
from lstmkit.callbacks.callback_list import CallbackList
from lstmkit.callbacks.csv_logger import CSVLogger
from lstmkit.callbacks.early_stopping import EarlyStopping
from lstmkit.callbacks.history import History
from lstmkit.callbacks.lambda_callback import LambdaCallback
from lstmkit.callbacks.learning_rate_scheduler import LearningRateScheduler
from lstmkit.callbacks.model_checkpoint import ModelCheckpoint
from lstmkit.callbacks.progbar_logger import ProgbarLogger
from lstmkit.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from lstmkit.callbacks.tensorboard import TensorBoard
from lstmkit.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
]
