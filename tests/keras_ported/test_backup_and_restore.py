"""Ported from Keras 3 (Apache-2.0): keras/src/callbacks/backup_and_restore_test.py (Keras 3.15), run on lstmkit.

`keras.src.utils.file_utils` is `os.path` / `open` here (local files only), and `assertRaisesRegex`'s
`expected_regex=` is passed by position (`_testing.TestCase` names it `regex`). Left out: nothing.

One difference is kept on purpose (issue 15: a resumed fit ends with bitwise the weights of an
uninterrupted one): with an integer `save_freq`, lstmkit resumes in the middle of the epoch, at
the batch after the backup, where Keras starts the interrupted epoch again from its first batch
(with the weights of its middle). Keras's `test_best_case_step` is kept as Keras wrote it, marked
xfail with that reason, and `test_best_case_step_resumes_after_the_saved_batch` checks lstmkit's
count beside it.
"""

import os

import numpy as np
import pytest

from lstmkit import callbacks
from lstmkit import layers
from lstmkit.models import Sequential
import _testing as testing


class InterruptingCallback(callbacks.Callback):
    """A callback to intentionally interrupt training."""

    def __init__(self, steps_int, epoch_int):
        self.batch_count = 0
        self.epoch_count = 0
        self.steps_int = steps_int
        self.epoch_int = epoch_int

    def on_epoch_end(self, epoch, log=None):
        self.epoch_count += 1
        if self.epoch_int is not None and self.epoch_count == self.epoch_int:
            raise RuntimeError("EpochInterruption")

    def on_batch_end(self, batch, logs=None):
        self.batch_count += 1
        if self.steps_int is not None and self.batch_count == self.steps_int:
            raise RuntimeError("StepsInterruption")


class CanaryLayer(layers.Layer):
    def __init__(self):
        super().__init__()
        self.counter = self.add_weight(
            shape=(), initializer="zeros", dtype="float32", trainable=False
        )

    def call(self, x):
        self.counter.assign_add(1)
        return x


class TestBackupAndRestoreCallback(testing.TestCase):
    def make_model(self):
        model = Sequential(
            [
                layers.Input((3,)),
                CanaryLayer(),
                layers.Dense(1),
            ]
        )
        model.compile(
            loss="mse",
            optimizer="sgd",
            metrics=["mse"],
        )
        return model

    # Check invalid save_freq, both string and non integer
    def test_save_freq_unknown_error(self):
        with self.assertRaisesRegex(ValueError, "Invalid value"):
            callbacks.BackupAndRestore(
                backup_dir="backup_dir", save_freq="batch"
            )

        with self.assertRaisesRegex(ValueError, "Invalid value"):
            callbacks.BackupAndRestore(backup_dir="backup_dir", save_freq=0.15)

    # Checking if after interruption, correct model params and
    # weights are loaded in step-wise backup
    @pytest.mark.requires_trainable_backend
    @testing.xfail("on purpose (issue 15, bitwise resume): lstmkit resumes an integer save_freq backup at the batch "
                   "after it (counter 15 here); Keras starts the interrupted epoch again from its first batch (17)")
    def test_best_case_step(self):
        temp_dir = self.get_temp_dir()
        backup_dir = os.path.join(temp_dir, "subdir")
        self.assertFalse(os.path.exists(backup_dir))

        model = self.make_model()
        cbk = callbacks.BackupAndRestore(backup_dir, save_freq=1)

        x_train = np.random.random((10, 3))
        y_train = np.random.random((10, 1))

        try:
            model.fit(
                x_train,
                y_train,
                batch_size=4,
                callbacks=[
                    cbk,
                    InterruptingCallback(steps_int=2, epoch_int=None),
                ],
                epochs=2,
                verbose=0,
            )
        except RuntimeError:
            self.assertTrue(os.path.exists(backup_dir))
            self.assertEqual(cbk._current_epoch, 0)
            self.assertEqual(cbk._last_batch_seen, 1)
            self.assertEqual(int(model.layers[0].counter.value), 2)

            hist = model.fit(
                x_train, y_train, batch_size=4, callbacks=[cbk], epochs=5
            )

            self.assertEqual(cbk._current_epoch, 5)
            self.assertEqual(hist.epoch[-1], 4)
            self.assertEqual(int(model.layers[0].counter.value), 17)

    # Not in Keras: test_best_case_step with lstmkit's count (see the module docstring).
    @pytest.mark.requires_trainable_backend
    def test_best_case_step_resumes_after_the_saved_batch(self):
        temp_dir = self.get_temp_dir()
        backup_dir = os.path.join(temp_dir, "subdir")
        model = self.make_model()
        cbk = callbacks.BackupAndRestore(backup_dir, save_freq=1)
        x_train = np.random.random((10, 3))
        y_train = np.random.random((10, 1))
        with pytest.raises(RuntimeError, match="StepsInterruption"):
            model.fit(x_train, y_train, batch_size=4, epochs=2, verbose=0,
                      callbacks=[cbk, InterruptingCallback(steps_int=2, epoch_int=None)])
        self.assertEqual(int(model.layers[0].counter.value), 2)
        hist = model.fit(x_train, y_train, batch_size=4, callbacks=[cbk], epochs=5, verbose=0)
        self.assertEqual(cbk._current_epoch, 5)
        self.assertEqual(hist.epoch, [0, 1, 2, 3, 4])
        # the last batch of epoch 0, then 4 epochs of 3 batches
        self.assertEqual(int(model.layers[0].counter.value), 2 + 1 + 4 * 3)

    # Checking if after interruption, correct model params and
    # weights are loaded in epoch-wise backup
    @pytest.mark.requires_trainable_backend
    def test_best_case_epoch(self):
        temp_dir = self.get_temp_dir()
        backup_dir = os.path.join(temp_dir, "subdir")
        self.assertFalse(os.path.exists(backup_dir))

        model = self.make_model()
        self.assertEqual(int(model.layers[0].counter.value), 0)
        cbk = callbacks.BackupAndRestore(
            backup_dir=backup_dir, save_freq="epoch"
        )

        x_train = np.random.random((10, 3))
        y_train = np.random.random((10, 1))

        try:
            model.fit(
                x_train,
                y_train,
                batch_size=4,
                callbacks=[
                    cbk,
                    InterruptingCallback(steps_int=None, epoch_int=2),
                ],
                epochs=6,
                verbose=0,
            )
        except RuntimeError:
            self.assertEqual(cbk._current_epoch, 2)
            self.assertTrue(os.path.exists(backup_dir))
            self.assertEqual(int(model.layers[0].counter.value), 6)

            hist = model.fit(
                x_train, y_train, batch_size=4, callbacks=[cbk], epochs=5
            )
            self.assertEqual(cbk._current_epoch, 5)
            self.assertEqual(hist.epoch[-1], 4)
            self.assertEqual(int(model.layers[0].counter.value), 5 * 3)

    # Checking if after interruption and weights corruption, previous model
    # params and weights are loaded
    @pytest.mark.requires_trainable_backend
    def test_backup_corrupted(self):
        temp_dir = self.get_temp_dir()
        backup_dir = os.path.join(temp_dir, "subdir")
        self.assertFalse(os.path.exists(backup_dir))

        model = self.make_model()
        self.assertEqual(int(model.layers[0].counter.value), 0)
        cbk = callbacks.BackupAndRestore(
            backup_dir=backup_dir, save_freq="epoch", double_checkpoint=True
        )

        x_train = np.random.random((10, 3))
        y_train = np.random.random((10, 1))

        try:
            model.fit(
                x_train,
                y_train,
                batch_size=4,
                callbacks=[
                    cbk,
                    InterruptingCallback(steps_int=None, epoch_int=2),
                ],
                epochs=6,
                verbose=0,
            )
        except RuntimeError:
            self.assertEqual(cbk._current_epoch, 2)
            self.assertTrue(os.path.exists(backup_dir))
            self.assertTrue(os.path.exists(cbk._weights_path))
            self.assertTrue(os.path.exists(cbk._training_metadata_path))
            self.assertTrue(os.path.exists(cbk._prev_weights_path))
            self.assertTrue(os.path.exists(cbk._prev_training_metadata_path))
            self.assertEqual(int(model.layers[0].counter.value), 6)

            # Corruption weights
            with open(cbk._weights_path, "w") as f:
                f.write("0")

            hist = model.fit(
                x_train, y_train, batch_size=4, callbacks=[cbk], epochs=5
            )
            self.assertEqual(cbk._current_epoch, 5)
            self.assertEqual(hist.epoch[-1], 4)
            self.assertEqual(int(model.layers[0].counter.value), 5 * 3)

    # Checking if after interruption, when model is deleted
    @pytest.mark.requires_trainable_backend
    def test_model_deleted_case_epoch(self):
        temp_dir = self.get_temp_dir()
        backup_dir = os.path.join(temp_dir, "subdir")
        self.assertFalse(os.path.exists(backup_dir))

        model = self.make_model()
        cbk = callbacks.BackupAndRestore(backup_dir, save_freq="epoch")

        x_train = np.random.random((10, 3))
        y_train = np.random.random((10, 1))
        model.fit(
            x_train,
            y_train,
            batch_size=4,
            callbacks=[cbk],
            epochs=2,
            verbose=0,
        )
        self.assertFalse(os.path.exists(backup_dir))

    def test_backup_dir_empty_error(self):
        with self.assertRaisesRegex(
            ValueError, "Empty `backup_dir` argument passed"
        ):
            callbacks.BackupAndRestore(backup_dir="", save_freq="epoch")

    def test_backup_dir_none_error(self):
        with self.assertRaisesRegex(
            ValueError, "Empty `backup_dir` argument passed"
        ):
            callbacks.BackupAndRestore(backup_dir=None, save_freq="epoch")
