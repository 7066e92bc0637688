"""Boston housing prices (Keras's `keras.datasets.boston_housing`): 506 rows of 13 features and the
median home value in k$. Keras warns against using it: one feature encodes a racial assumption.
"""

from __future__ import annotations

import numpy as np

from lstmkit.datasets._common import ORIGIN_FOLDER, check_test_split, shuffle_split
from lstmkit.utils.file_utils import get_file

__all__ = ["load_data"]

_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """`(x_train, y_train), (x_test, y_test)`: features `(n, 13)` and targets `(n,)`, shuffled with `seed`."""
    check_test_split(test_split)
    path = get_file(path, origin=f"{ORIGIN_FOLDER}boston_housing.npz", file_hash=_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return shuffle_split(x, y, test_split, seed)
