"""The datasets `timeseries_dataset_from_array` and `split_dataset` return (lstmkit's stand-ins for tf.data).

Both are in memory, yield NumPy elements, and start a full pass each time they are iterated (a new
shuffle order per pass when they shuffle, as tf.data's `reshuffle_each_iteration` does).

- `BatchDataset` yields batches. fit / evaluate / predict take it as they take a generator,
  so, as Keras does with a tf.data dataset, fit's own `shuffle` leaves its order alone.
- `SampleDataset` yields single samples (Keras's unbatched datasets); `.batch(n)` makes a
  `BatchDataset` of it for fit.
"""

from __future__ import annotations

import weakref

import numpy as np

__all__ = ["BatchDataset", "EagerArray", "SampleDataset"]


class EagerArray(np.ndarray):
    """A NumPy array with tf.Tensor's `.numpy()`, so `for x, y in dataset.take(1): x.numpy()` works as
    with tf.data (it is a plain ndarray everywhere else)."""

    def numpy(self):
        return np.asarray(self)


def _eager(element):
    if isinstance(element, tuple):
        return tuple(_eager(e) for e in element)
    return np.asarray(element).view(EagerArray)


# ----------------------------------------------------------------- what a dataset holds
class _Windows:
    """Windows over `data` starting at `starts` (and each one's target), cut when asked for."""

    def __init__(self, data, targets, starts, sequence_length, sampling_rate):
        self.data, self.targets, self.starts = data, targets, starts
        self.offsets = np.arange(max(sequence_length, 0)) * sampling_rate

    def __len__(self):
        return len(self.starts)

    def take(self, indices):
        """Elements `indices` stacked along a new first axis: x, or (x, y)."""
        starts = self.starts[indices]
        x = self.data[starts[..., None] + self.offsets]
        return _eager(x if self.targets is None else (x, self.targets[starts]))


class _Arrays:
    """Samples of one array, or of a tuple of arrays with a common first axis."""

    def __init__(self, arrays):
        self.arrays = arrays

    def __len__(self):
        return len(self.arrays[0] if isinstance(self.arrays, tuple) else self.arrays)

    def take(self, indices):
        if isinstance(self.arrays, tuple):
            return _eager(tuple(a[indices] for a in self.arrays))
        return _eager(self.arrays[indices])


def _buffer_shuffle(n, buffer_size, rng):
    """An order of range(n) as tf.data's `shuffle(buffer_size)` makes it: each output is drawn at
    random from a buffer holding the next `buffer_size` inputs, so an element moves forward by
    less than `buffer_size` places."""
    # The buffer's size at each draw is known in advance, so all draws are made at once.
    sizes = np.minimum(buffer_size, n - np.arange(n))
    picks = (rng.random(n) * sizes).astype(np.int64)
    buffer = list(range(min(buffer_size, n)))
    following = len(buffer)
    order = np.empty(n, np.int64)
    for k, j in enumerate(picks.tolist()):
        order[k] = buffer[j]
        if following < n:
            buffer[j] = following
            following += 1
        else:
            buffer[j] = buffer[-1]
            buffer.pop()
    return order


class _Passes:
    """The element order of each pass: fixed, or a new local shuffle per pass from `seed`."""

    def __init__(self, n, buffer_size=None, seed=None):
        self.n, self.buffer_size, self.seed = n, buffer_size, seed

    def order(self, pass_index):
        if self.buffer_size is None:
            return np.arange(self.n)
        return _buffer_shuffle(self.n, self.buffer_size, np.random.default_rng([self.seed, pass_index]))


# ----------------------------------------------------------------- the two datasets
class _Dataset:
    def __init__(self, elements, passes):
        self._elements, self._passes = elements, passes
        self._pass = -1  # passes started so far, minus one

    def _next_order(self):
        self._pass += 1
        return self._passes.order(self._pass)

    def cardinality(self):
        """The number of elements one pass yields (as tf.data's `cardinality()`): `len(dataset)`."""
        return len(self)

    def take(self, count):
        """The first `count` elements of a pass (all of them for -1), as tf.data's `take`: iterable again."""
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < -1:
            raise ValueError(f"`count` must be an integer >= -1. Received: count={count!r}")
        return _Taken(self, int(count))


class _Taken:
    def __init__(self, dataset, count):
        self._dataset, self._count = dataset, count

    def __len__(self):
        n = len(self._dataset)
        return n if self._count == -1 else min(n, self._count)

    def __iter__(self):
        iterator = iter(self._dataset)
        return (next(iterator) for _ in range(len(self)))


class SampleDataset(_Dataset):
    """A dataset of single samples, as Keras's unbatched tf.data datasets.

    Iterating it yields one sample at a time (an array, or a tuple of arrays); `len()` is the
    number of samples; `.batch(batch_size)` gives the `BatchDataset` that fit takes.
    """

    def __len__(self):
        return len(self._elements)

    def __iter__(self):
        order = self._next_order()
        return (self._elements.take(int(i)) for i in order)

    def batch(self, batch_size, drop_remainder=False):
        """Consecutive samples in batches of `batch_size` (the last one smaller unless `drop_remainder`)."""
        if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
        if drop_remainder not in (True, False):
            raise ValueError(f"`drop_remainder` must be True or False. Received: drop_remainder={drop_remainder!r}")
        return BatchDataset(self._elements, self._passes, int(batch_size), drop_remainder)

    def __array__(self, *args, **kwargs):
        # fit / evaluate read data they do not recognize as arrays; say what to do instead.
        raise TypeError(f"This {type(self).__name__} yields single samples, not batches; batch it first, "
                        f"e.g. `model.fit(dataset.batch(32))`.")


class BatchDataset(_Dataset):
    """A dataset of NumPy batches: x, or (x, y).

    `len()` is the number of batches of one pass. Each `iter(dataset)` is an iterator of its own
    starting a new pass; fit / evaluate / predict read the dataset as they read a generator. Once
    an iterator's pass has ended (StopIteration), its next `next()` starts the following pass, so
    fit gets a full pass each epoch; fit's `on_epoch_end` call starts it too when an epoch took
    exactly all the batches (`steps_per_epoch=len(dataset)`).
    """

    def __init__(self, elements, passes, batch_size, drop_remainder=False):
        super().__init__(elements, passes)
        self.batch_size, self.drop_remainder = batch_size, drop_remainder
        self._iterators = weakref.WeakSet()
        self._own_iterator = None

    def __len__(self):
        n = len(self._elements)
        return n // self.batch_size if self.drop_remainder else -(-n // self.batch_size)

    def __iter__(self):
        iterator = _PassIterator(self)
        self._iterators.add(iterator)
        return iterator

    def __next__(self):
        # Being an iterator is what makes fit take the dataset as it takes a generator.
        if self._own_iterator is None:
            self._own_iterator = iter(self)
        return next(self._own_iterator)

    def _batch(self, order, b):
        return self._elements.take(order[b * self.batch_size:(b + 1) * self.batch_size])

    def on_epoch_end(self):
        for iterator in list(self._iterators):
            iterator._epoch_end()


class _PassIterator:
    """One iterator over a `BatchDataset`, pass after pass."""

    def __init__(self, dataset):
        self._dataset = dataset
        self._start_pass()

    def _start_pass(self):
        self._order, self._position, self._ended = self._dataset._next_order(), 0, False

    def __iter__(self):
        return self

    def __next__(self):
        n = len(self._dataset)
        if self._position >= n and self._ended:
            self._start_pass()
        if self._position >= n:
            self._ended = True
            raise StopIteration
        self._position += 1
        return self._dataset._batch(self._order, self._position - 1)

    def _epoch_end(self):
        if self._position >= len(self._dataset):
            self._start_pass()
