"""Fashion-MNIST (Keras's `keras.datasets.fashion_mnist`): 60,000 + 10,000 uint8 28x28 images of 10
kinds of clothing, read from the four gzipped IDX files kept in `~/.keras/datasets/fashion-mnist/`.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from lstmkit.datasets._common import ORIGIN_FOLDER
from lstmkit.utils.file_utils import get_file

__all__ = ["load_data"]

_FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
          "t10k-images-idx3-ubyte.gz")


def _read(path, header):
    # IDX files: a fixed-size header (8 bytes for labels, 16 for images), then the raw uint8 values.
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=header)


def load_data():
    """`(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 28, 28)` and uint8 labels `(n,)`."""
    folder = os.path.join("datasets", "fashion-mnist")
    paths = [get_file(name, origin=ORIGIN_FOLDER + name, cache_subdir=folder) for name in _FILES]
    y_train = _read(paths[0], 8)
    x_train = _read(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read(paths[2], 8)
    x_test = _read(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
