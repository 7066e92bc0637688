"""California housing prices (Keras's `keras.datasets.california_housing`): 20,640 rows of 8 features
and the median home value in dollars; `version="small"` keeps the first 600 rows.
"""

from __future__ import annotations

import numpy as np

from lstmkit.datasets._common import ORIGIN_FOLDER, check_test_split, shuffle_split
from lstmkit.utils.file_utils import get_file

__all__ = ["load_data"]

_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """`(x_train, y_train), (x_test, y_test)`: features `(n, 8)` and targets `(n,)`, shuffled with `seed`."""
    check_test_split(test_split)
    # Checked before the download (Keras checks it after), with Keras's message.
    if version not in ("small", "large"):
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: version={version}")
    path = get_file(path, origin=f"{ORIGIN_FOLDER}california_housing.npz", file_hash=_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return shuffle_split(x, y, test_split, seed)
