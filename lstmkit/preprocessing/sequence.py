"""Keras 2's `keras.preprocessing.sequence`: `pad_sequences`, `TimeseriesGenerator`, `make_sampling_table`, `skipgrams`.

NumPy only. Behaviour follows Keras 2 (keras_preprocessing / tf_keras), including where it draws its random
numbers from (NumPy's and Python's global generators), so a program seeding those gets Keras 2's batches.
"""

from __future__ import annotations

import json
import numbers
import random

import numpy as np

from lstmkit.utils.py_dataset import Sequence
from lstmkit.utils.sequences import pad_sequences

__all__ = ["TimeseriesGenerator", "make_sampling_table", "pad_sequences", "skipgrams",
           "timeseries_generator_from_json"]


def _check_int(name, value, minimum, owner):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: `{name}` must be an integer; received {name}={value!r} "
                        f"(of type {type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"{owner}: `{name}` must be an integer >= {minimum}; received {name}={value}.")
    return int(value)


class TimeseriesGenerator(Sequence):
    """Batches of (window, target) pairs cut from one series, as Keras 2's `TimeseriesGenerator`.

    Sample `k` ends just before row `r_k` (its target `targets[r_k]`): `data[r_k - length : r_k : sampling_rate]`.
    Rows run from `start_index + length` to `end_index` (inclusive; default `len(data) - 1`) every `stride`;
    each batch takes `batch_size` consecutive rows. `shuffle=True` draws each batch's rows at random (with
    replacement, from NumPy's global generator, as Keras 2 does, so `np.random.seed` fixes them).
    `reverse=True` gives each window's steps latest first. It is a `lstmkit.utils.Sequence`:
    `model.fit(generator, epochs=...)` trains on it.
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0, end_index=None,
                 shuffle=False, reverse=False, batch_size=128):
        super().__init__()
        owner = "TimeseriesGenerator"
        if len(data) != len(targets):
            raise ValueError(f"{owner}: `data` and `targets` must have the same length; received len(data)="
                             f"{len(data)} and len(targets)={len(targets)}.")
        # Keras 2 leaves these unchecked and fails later (a division by zero, empty windows).
        self.length = _check_int("length", length, 1, owner)
        self.sampling_rate = _check_int("sampling_rate", sampling_rate, 1, owner)
        self.stride = _check_int("stride", stride, 1, owner)
        self.batch_size = _check_int("batch_size", batch_size, 1, owner)
        start_index = _check_int("start_index", start_index, 0, owner)
        if end_index is None:
            end_index = len(data) - 1
        end_index = _check_int("end_index", end_index, 0, owner)
        if end_index > len(data) - 1:
            raise ValueError(f"{owner}: `end_index` must be at most len(data) - 1 = {len(data) - 1}; "
                             f"received end_index={end_index}.")
        self.data, self.targets = data, targets
        # Keras 2 keeps the first usable row (start_index + length) under the name start_index.
        self.start_index = start_index + self.length
        self.end_index = end_index
        self.shuffle, self.reverse = shuffle, reverse
        if self.start_index > self.end_index:
            raise ValueError(f"{owner}: `start_index+length={self.start_index} > end_index={self.end_index}` is "
                             "disallowed, as no part of the sequence would be left to be used as current step.")

    def __len__(self):
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def _rows(self, index):
        if self.shuffle:
            return np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        first = self.start_index + self.batch_size * self.stride * index
        last = min(first + self.batch_size * self.stride, self.end_index + 1)
        return np.arange(first, last, self.stride)

    def __getitem__(self, index):
        rows = self._rows(index)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate] for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            samples = samples[:, ::-1, ...]
        return samples, targets

    def get_config(self):
        """Keras 2's config: data and targets as JSON strings, `start_index` as stored (start + length)."""
        def dump(name, value):
            value = value.tolist() if isinstance(value, np.ndarray) else value
            try:
                return json.dumps(value)
            except TypeError as err:
                raise TypeError(f"TimeseriesGenerator.get_config: `{name}` is not JSON serializable.") from err

        return {"data": dump("data", self.data), "targets": dump("targets", self.targets), "length": self.length,
                "sampling_rate": self.sampling_rate, "stride": self.stride, "start_index": self.start_index,
                "end_index": self.end_index, "shuffle": self.shuffle, "reverse": self.reverse,
                "batch_size": self.batch_size}

    def to_json(self, **kwargs):
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def timeseries_generator_from_json(json_string):
    """A `TimeseriesGenerator` from `TimeseriesGenerator.to_json()`'s string."""
    config = dict(json.loads(json_string)["config"])
    config["data"] = json.loads(config["data"])
    config["targets"] = json.loads(config["targets"])
    # get_config stores start_index + length (as Keras 2 does); give back the argument.
    config["start_index"] = config["start_index"] - config["length"]
    return TimeseriesGenerator(**config)


def make_sampling_table(size, sampling_factor=1e-5):
    """word2vec's probability of keeping the word of each frequency rank (index 0 treated as rank 1).

    Frequencies are taken as Zipf's law, `1 / (rank * (log(rank) + gamma) + 1/2 - 1/(12 rank))`, and the
    keep probability is `min(1, sqrt(sampling_factor / frequency))`. Pass the result to `skipgrams`.
    """
    size = _check_int("size", size, 0, "make_sampling_table")
    gamma = 0.577
    rank = np.arange(size, dtype="float64")
    if size:
        rank[0] = 1.0
    inverse_frequency = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    return np.minimum(1.0, np.sqrt(sampling_factor * inverse_frequency))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True, categorical=False,
              sampling_table=None, seed=None):
    """(word, context) pairs of one sequence of word indices, labelled 1, plus random negative pairs labelled 0.

    Index 0 is not a word and is skipped. A word is kept with probability `sampling_table[word]`. Each
    positive pair is a word and a neighbour within `window_size` either side; `negative_samples` times as
    many negative pairs join a (shuffled) word of the positive pairs to a uniformly drawn index in
    [1, vocabulary_size). Labels are 0/1, or [1, 0]/[0, 1] with `categorical=True`. Random numbers come from
    Python's global `random`, in Keras 2's order, and `seed` (when shuffling) reseeds it as Keras 2 does.
    Returns `(couples, labels)`, two lists.
    """
    window_size = _check_int("window_size", window_size, 0, "skipgrams")
    if negative_samples < 0:
        raise ValueError(f"skipgrams: `negative_samples` must be >= 0; received negative_samples={negative_samples}.")
    couples, labels = [], []
    positive, negative = ([0, 1], [1, 0]) if categorical else (1, 0)
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([wi, sequence[j]])
                labels.append(list(positive) if categorical else positive)

    n_negative = int(len(labels) * negative_samples)
    if negative_samples > 0:
        words = [c[0] for c in couples]
        random.shuffle(words)
        if n_negative:
            high = _check_int("vocabulary_size", vocabulary_size, 2, "skipgrams") - 1
            couples += [[words[k % len(words)], random.randint(1, high)] for k in range(n_negative)]
            labels += [list(negative) if categorical else negative for _ in range(n_negative)]

    if shuffle:
        if seed is None:
            seed = random.randint(0, int(10e6))
        # Keras 2 reseeds and shuffles couples and labels alike; one permutation of both is the same draw.
        random.seed(seed)
        order = list(range(len(couples)))
        random.shuffle(order)
        couples = [couples[k] for k in order]
        labels = [labels[k] for k in order]
    return couples, labels
