"""Reuters newswire topics (Keras's `keras.datasets.reuters`): 11,228 newswires as lists of word
indices ranked by frequency, labelled with one of 46 topics.
"""

from __future__ import annotations

import json

import numpy as np

from lstmkit.datasets import _safe_load, _sequences
from lstmkit.datasets._common import ORIGIN_FOLDER
from lstmkit.utils.file_utils import get_file

__all__ = ["get_label_names", "get_word_index", "load_data"]

_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
_WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"

_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee", "sugar",
    "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp",
    "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi", "iron-steel",
    "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog",
    "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1,
              oov_char=2, index_from=3):
    """`(x_train, y_train), (x_test, y_test)`, as Keras returns them from the same file.

    The newswires are shuffled with `np.random.RandomState(seed)`, then the last `test_split` of
    them are the test set. The other arguments work as in `imdb.load_data`.
    """
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}reuters.npz", file_hash=_HASH)
    arrays = _safe_load.load_npz(path)
    xs, labels = _sequences.shuffled(np.random.RandomState(seed), arrays["x"], arrays["y"])
    if start_char is not None or index_from:
        xs = _sequences.offset(xs, start_char, index_from)
    if maxlen:
        xs, labels = _sequences.shorter_than(maxlen, xs, labels)
    xs = _sequences.limit_vocabulary(xs, num_words, skip_top, oov_char)
    n_train = int(len(xs) * (1 - test_split))
    return ((np.array(xs[:n_train], dtype="object"), np.array(labels[:n_train])),
            (np.array(xs[n_train:], dtype="object"), np.array(labels[n_train:])))


def get_word_index(path="reuters_word_index.json"):
    """`{word: index}` for the Reuters data (indices before `index_from` is added)."""
    path = get_file(path, origin=f"{ORIGIN_FOLDER}reuters_word_index.json", file_hash=_WORD_INDEX_HASH)
    with open(path) as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, in the order of the labels."""
    return _LABEL_NAMES
