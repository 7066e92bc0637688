"""CIFAR-100 (Keras's `keras.datasets.cifar100`): 50,000 + 10,000 uint8 32x32 colour images in 100 fine
classes grouped into 20 coarse ones.
"""

from __future__ import annotations

import os

import numpy as np

from lstmkit.datasets._safe_load import load_cifar_batch
from lstmkit.utils.file_utils import get_file

__all__ = ["load_data"]

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine"):
    """`(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 32, 32, 3)` and labels `(n, 1)`.

    `label_mode` is "fine" (100 classes) or "coarse" (20 superclasses). The labels come out as
    NumPy's default integer type, as in Keras (it does not cast them for CIFAR-100).
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.')
    from lstmkit.backend.config import image_data_format

    folder = get_file(fname="cifar-100-python-target", origin=_ORIGIN, extract=True, file_hash=_HASH)
    folder = os.path.join(folder, "cifar-100-python")
    x_train, y_train = load_cifar_batch(os.path.join(folder, "train"), label_key=f"{label_mode}_labels")
    x_test, y_test = load_cifar_batch(os.path.join(folder, "test"), label_key=f"{label_mode}_labels")
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    if image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
