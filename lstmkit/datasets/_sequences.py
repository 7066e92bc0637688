"""The word-index processing IMDB and Reuters share, step for step as Keras does it.

Each step keeps Keras's exact rules, quirks included, so that the same file and seed give the
same arrays: `maxlen` drops sequences of length >= maxlen (it does not truncate), and without
`num_words` the vocabulary limit is the largest index, which is itself then out of range.
"""

from __future__ import annotations

import warnings

import numpy as np

def legacy_num_words(num_words, kwargs, function):
    """Keras 2's `nb_words` (renamed `num_words`) still works, with a warning; it is popped from `kwargs`."""
    if "nb_words" in kwargs:
        warnings.warn(f"The `nb_words` argument in `{function}` has been renamed `num_words`.", stacklevel=3)
        value = kwargs.pop("nb_words")
        if num_words is None:
            num_words = value
    return num_words


def shuffled(rng, *arrays):
    """The arrays reordered by one permutation drawn from `rng` (Keras shuffles an index array)."""
    order = np.arange(len(arrays[0]))
    rng.shuffle(order)
    return [a[order] for a in arrays]


def offset(sequences, start_char, index_from):
    """Sequences as lists, each word moved up by `index_from`, with `start_char` in front when given."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in seq] for seq in sequences]
    return [[w + index_from for w in seq] for seq in sequences]


def shorter_than(maxlen, sequences, labels):
    """Only the sequences shorter than `maxlen`, with their labels (lists)."""
    kept = [(seq, label) for seq, label in zip(sequences, labels) if len(seq) < maxlen]
    return [seq for seq, _ in kept], [label for _, label in kept]


def limit_vocabulary(sequences, num_words, skip_top, oov_char):
    """Words outside [skip_top, num_words) become `oov_char`, or are dropped when it is None."""
    if not num_words:
        num_words = max(max(seq) for seq in sequences)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in seq] for seq in sequences]
    return [[w for w in seq if skip_top <= w < num_words] for seq in sequences]
