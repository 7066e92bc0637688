"""CIFAR-10 (Keras's `keras.datasets.cifar10`): 50,000 + 10,000 uint8 32x32 colour images in 10 classes."""

from __future__ import annotations

import os

import numpy as np

from lstmkit.datasets._safe_load import load_cifar_batch
from lstmkit.utils.file_utils import get_file

__all__ = ["load_data"]

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    """`(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 32, 32, 3)` and uint8 labels `(n, 1)`.

    Images are `(n, 3, 32, 32)` when `lstmkit.backend.image_data_format()` is 'channels_first'.
    The archive is kept in `~/.keras/datasets/cifar-10-batches-py-target_archive` and extracted
    beside it into `cifar-10-batches-py-target/`, Keras's names.
    """
    from lstmkit.backend.config import image_data_format

    folder = get_file(fname="cifar-10-batches-py-target", origin=_ORIGIN, extract=True, file_hash=_HASH)
    folder = os.path.join(folder, "cifar-10-batches-py")
    batches = [load_cifar_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    # Keras fills arrays sized for the full set, five batches of 10,000.
    x_train = np.empty((50000, 3, 32, 32), dtype="uint8")
    y_train = np.empty((50000,), dtype="uint8")
    for i, (data, labels) in enumerate(batches):
        x_train[i * 10000: (i + 1) * 10000], y_train[i * 10000: (i + 1) * 10000] = data, labels
    x_test, y_test = load_cifar_batch(os.path.join(folder, "test_batch"))
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    if image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test.astype(x_train.dtype), y_test.astype(y_train.dtype))
