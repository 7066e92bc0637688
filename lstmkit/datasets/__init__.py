"""Keras's built-in datasets (`keras.datasets.*`, the same path in Keras 2 and 3), read from Keras's cache.

`lstmkit.datasets.imdb.load_data()` returns what `keras.datasets.imdb.load_data()` returns from the
same file: same arrays, dtypes and shapes, the same shuffle for the same seed. Files are kept where
Keras keeps them (`~/.keras/datasets/`, or `$KERAS_HOME/datasets/`), so a file Keras downloaded is
used as it is, and one put there by hand (when there is no network) is found. Downloads go through
`lstmkit.utils.get_file`, with Keras's URLs and hashes.

Importing this package reads no file and imports only the standard library and NumPy.
"""

from lstmkit.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist", "imdb", "mnist",
           "reuters"]
