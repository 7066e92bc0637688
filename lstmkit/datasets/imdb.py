"""IMDB movie-review sentiment data (Keras's `keras.datasets.imdb`): 25,000 reviews to train on and
25,000 to test on, each a list of word indices ranked by frequency, labelled 1 (positive) or 0.
"""

from __future__ import annotations

import json
import warnings

import numpy as np

from lstmkit.datasets import _safe_load, _sequences
from lstmkit.datasets._common import ORIGIN_FOLDER
from lstmkit.utils.file_utils import get_file

__all__ = ["get_word_index", "load_data"]

_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
_WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """`(x_train, y_train), (x_test, y_test)`, as Keras returns them from the same file.

    `x_*` are object arrays of lists of word indices: real words start at `index_from`, each
    review starts with `start_char`, and words outside the `num_words` most frequent (or among the
    `skip_top` most frequent) become `oov_char` (dropped when it is None). `maxlen` drops reviews
    of `maxlen` words or more. Both sets are shuffled with `np.random.RandomState(seed)`.
    `path` is the file name in the cache folder (`~/.keras/datasets/`).
    """
    num_words = _sequences.legacy_num_words(num_words, kwargs, "imdb.load_data")
    if kwargs:
        # Keras 3 accepts and ignores any further keyword; say so instead of ignoring it silently.
        warnings.warn(f"imdb.load_data ignores these arguments, as Keras does: {sorted(kwargs)}.", stacklevel=2)
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}imdb.npz", file_hash=_HASH)
    arrays = _safe_load.load_npz(path)
    rng = np.random.RandomState(seed)
    # One generator for both sets, train first: the test order depends on the train draw.
    x_train, labels_train = _sequences.shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, labels_test = _sequences.shuffled(rng, arrays["x_test"], arrays["y_test"])
    x_train = _sequences.offset(x_train, start_char, index_from)
    x_test = _sequences.offset(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = _sequences.shorter_than(maxlen, x_train, labels_train)
        x_test, labels_test = _sequences.shorter_than(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
                             "Increase maxlen.")
    n_train = len(x_train)
    # The vocabulary limit is found over train and test together.
    xs = _sequences.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    return ((np.array(xs[:n_train], dtype="object"), labels[:n_train]),
            (np.array(xs[n_train:], dtype="object"), labels[n_train:]))


def get_word_index(path="imdb_word_index.json"):
    """`{word: index}` for the IMDB data (indices before `index_from` is added)."""
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}imdb_word_index.json", file_hash=_WORD_INDEX_HASH)
    with open(path) as f:
        return json.load(f)
