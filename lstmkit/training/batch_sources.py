"""Data given one batch at a time: Python generators and `keras.utils.Sequence` / `PyDataset` objects.

Each item is `x`, `(x, y)` or `(x, y, sample_weight)`. As in Keras, these run one
compiled step per batch with the host in between (the source is Python code), the
last smaller batch padded to the first batch's size so one program serves all of
them; `steps_per_epoch` / `validation_steps` / `steps` say how many batches to take
(a Sequence's length by default; a generator's end otherwise).
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np

from lstmkit import _random
from lstmkit.utils.py_dataset import Sequence


_CONTAINERS = (np.ndarray, list, tuple, dict, str, bytes)


def is_batch_source(x) -> bool:
    """A generator/iterator, or an object served by index with a length (not an array or container)."""
    from lstmkit.data.windows import WindowedSeries

    if x is None or isinstance(x, _CONTAINERS + (WindowedSeries,)) or hasattr(x, "shape") or hasattr(x, "__array__"):
        return False
    if isinstance(x, Sequence) or inspect.isgenerator(x):
        return True
    if hasattr(x, "__next__") and hasattr(x, "__iter__"):
        return True
    return hasattr(x, "__getitem__") and hasattr(x, "__len__")


class BatchSource:
    """Batches of one generator or Sequence, epoch by epoch, with the first one kept for building."""

    def __init__(self, source, argname="x"):
        self.source, self.argname = source, argname
        self.indexed = not (inspect.isgenerator(source) or hasattr(source, "__next__"))
        self._iterator = None if self.indexed else iter(source)
        self._peeked = None
        self.exhausted = False

    def length(self):
        if self.indexed:
            return len(self.source)
        return None

    def peek(self):
        """The first batch, without using it up."""
        if self._peeked is None:
            self._peeked = self._next_item(0)
            if self._peeked is None:
                raise ValueError(f"`{self.argname}` yielded no batches.")
        return self._peeked

    def _next_item(self, index):
        if self.indexed:
            return split_item(self.source[index], self.argname)
        try:
            return split_item(next(self._iterator), self.argname)
        except StopIteration:
            self.exhausted = True
            return None

    def batches(self, steps, shuffle=False):
        """Up to `steps` batches (None: a Sequence's length, or until a generator ends).

        `shuffle`: a Sequence's batches in a new random order each epoch (Keras 3 does so for a
        PyDataset); a generator's order is its own."""
        if self.indexed:
            length = len(self.source)
            n = length if steps is None else int(steps)
            order = _random.numpy_rng().permutation(length) if shuffle else np.arange(length)
            for i in range(n):
                index = int(order[i % length])
                if index == 0 and self._peeked is not None:
                    item, self._peeked = self._peeked, None
                    yield item
                else:
                    yield split_item(self.source[index], self.argname)
            return
        i = 0
        while steps is None or i < steps:
            if self._peeked is not None:
                item, self._peeked = self._peeked, None
            else:
                item = self._next_item(i)
                if item is None:
                    return
            yield item
            i += 1

    def epoch_end(self):
        if self.indexed:
            self._peeked = None  # a Sequence may serve other data after its on_epoch_end
        hook = getattr(self.source, "on_epoch_end", None)
        if callable(hook):
            hook()


def split_item(item, argname):
    """(x, y, sample_weight) of one batch; y and sample_weight may be None."""
    if isinstance(item, tuple):
        if len(item) == 1:
            return item[0], None, None
        if len(item) == 2:
            return item[0], item[1], None
        if len(item) == 3:
            return item
        raise ValueError(f"Each batch of `{argname}` must be x, (x, y) or (x, y, sample_weight); received a tuple "
                         f"of {len(item)} elements.")
    return item, None, None


def warn_ran_out(steps):
    warnings.warn(f"Your input ran out of data; interrupting training. Make sure that your dataset or generator "
                  f"can generate at least `steps_per_epoch * epochs` batches ({steps} per epoch).", stacklevel=4)
