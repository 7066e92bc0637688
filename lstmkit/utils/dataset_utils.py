"""`timeseries_dataset_from_array` and `split_dataset`, as in Keras 3's `keras.utils`, on NumPy.

Keras returns `tf.data.Dataset`s; lstmkit needs no TensorFlow and returns the datasets of
`array_datasets` instead: `BatchDataset` (NumPy batches, which fit / evaluate / predict take)
and `SampleDataset` (single samples; `.batch(n)` for fit).
"""

from __future__ import annotations

import random as _python_random

import numpy as np

from lstmkit.utils.array_datasets import BatchDataset, SampleDataset, _Arrays, _Passes, _Windows

__all__ = ["BatchDataset", "SampleDataset", "split_dataset", "timeseries_dataset_from_array"]


# ----------------------------------------------------------------- checks
def _check_int(name, value, minimum=None, allow_none=False):
    if value is None and allow_none:
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        expected = "an integer or None" if allow_none else "an integer"
        raise ValueError(f"`{name}` must be {expected}. Received: {name}={value!r} (of type {type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be {minimum} or greater. Received: {name}={value}")


def _as_series(value, name):
    array = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value)
    if array.ndim == 0:
        raise TypeError(f"`{name}` must be an array whose axis 0 is time. Received: a scalar {value!r}")
    return array


def _check_seed(seed):
    if seed is None:
        return
    _check_int("seed", seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"`seed` must be between 0 and 2**32 - 1. Received: seed={seed}")


# ----------------------------------------------------------------- timeseries_dataset_from_array
def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1, batch_size=128,
                                  shuffle=False, seed=None, start_index=None, end_index=None):
    """Sliding windows over a timeseries (axis 0 of `data` is time), in batches: Keras 3's function.

    Window `k` starts at data index `start_index + p_k` with `p_k = k * sequence_stride` and takes
    `sequence_length` steps `sampling_rate` apart; its target is `targets[start_index + p_k]`
    (`targets[i]` belongs to the window starting at `i`; pass None for windows alone). Windows that
    would reach past `end_index` (exclusive; default: the end of `data`) or past the end of
    `targets` are left out.

    shuffle: the windows in a random order (NumPy's `RandomState(seed).shuffle`, as Keras), then each
        pass shuffled again locally within `batch_size * 8` windows (1024 when unbatched), as
        Keras's tf.data `shuffle` buffer does; `seed` makes every pass's order reproducible.
        Keras draws a seed from NumPy's global generator when none is given; so does this.
    batch_size: None yields single windows (a `SampleDataset`).

    Returns a `BatchDataset` of `(x, y)` batches (`x` alone when `targets` is None), with
    `x.shape == (batch, sequence_length) + data.shape[1:]`, or a `SampleDataset` when `batch_size`
    is None. The last batch holds what is left (it may be smaller).
    """
    data = _as_series(data, "data")
    if targets is not None:
        targets = _as_series(targets, "targets")
    for name, value in (("sequence_length", sequence_length), ("sequence_stride", sequence_stride),
                        ("sampling_rate", sampling_rate)):
        _check_int(name, value)
    _check_int("start_index", start_index, allow_none=True)
    _check_int("end_index", end_index, allow_none=True)
    _check_int("batch_size", batch_size, minimum=1, allow_none=True)
    if shuffle not in (True, False):
        raise ValueError(f"`shuffle` must be True or False. Received: shuffle={shuffle!r}")
    _check_seed(seed)

    # Keras's checks, in Keras's order, with its messages. Like Keras, start_index=0 and
    # end_index=0 skip them (end_index=0 then gives an empty dataset).
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= len(data):
            raise ValueError("`start_index` must be lower than the length of the data. Received: "
                             f"start_index={start_index}, for data of length {len(data)}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError("`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index} ")
        if end_index >= len(data):
            raise ValueError("`end_index` must be lower than the length of the data. Received: "
                             f"end_index={end_index}, for data of length {len(data)}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    if sampling_rate <= 0:
        raise ValueError(f"`sampling_rate` must be higher than 0. Received: sampling_rate={sampling_rate}")
    if sampling_rate >= len(data):
        raise ValueError("`sampling_rate` must be lower than the length of the data. Received: "
                         f"sampling_rate={sampling_rate}, for data of length {len(data)}")
    if sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be higher than 0. Received: sequence_stride={sequence_stride}")
    if sequence_stride >= len(data):
        raise ValueError("`sequence_stride` must be lower than the length of the data. Received: "
                         f"sequence_stride={sequence_stride}, for data of length {len(data)}")

    start = 0 if start_index is None else int(start_index)
    end = len(data) if end_index is None else int(end_index)
    num_windows = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_windows = min(num_windows, len(targets))
    starts = np.arange(0, num_windows, sequence_stride, dtype=np.int64)
    if shuffle:
        if seed is None:
            seed = int(np.random.randint(1e6))
        np.random.RandomState(seed).shuffle(starts)

    data = data[start:end]
    if targets is not None:
        n_targets, targets = len(targets), targets[start:end]
        if len(starts) and starts.max() >= len(targets):
            # Keras's tf.gather would fail here while iterating; say it now.
            first = start + int(starts[starts >= len(targets)].min())
            raise ValueError(f"`targets` is too short: the window starting at data[{first}] takes its target from "
                             f"targets[{first}], but `targets` has {n_targets} entries (start_index={start}).")
    windows = _Windows(data, targets, starts, sequence_length, sampling_rate)
    buffer_size = None if not shuffle else (1024 if batch_size is None else batch_size * 8)
    passes = _Passes(len(windows), buffer_size, seed)
    if batch_size is None:
        return SampleDataset(windows, passes)
    return BatchDataset(windows, passes, int(batch_size))


# ----------------------------------------------------------------- split_dataset
def _samples(dataset):
    """The samples of `dataset` as `_Arrays`, and the batch size to give the splits (None: unbatched)."""
    empty = ValueError("Received an empty dataset. Argument `dataset` must be a non-empty list/tuple of "
                       "`numpy.ndarray` objects or `tf.data.Dataset` objects.")
    if isinstance(dataset, (SampleDataset, BatchDataset)):
        if len(dataset._elements) == 0:
            raise empty
        # All samples of one pass, in that pass's order (Keras splits a tf.data dataset the same way).
        elements = dataset._elements.take(dataset._passes.order(dataset._pass + 1))
        return _Arrays(elements), getattr(dataset, "batch_size", None)
    if isinstance(dataset, np.ndarray):
        if dataset.ndim == 0 or len(dataset) == 0:
            raise empty
        return _Arrays(dataset), None
    kind = "list" if isinstance(dataset, list) else "tuple"
    if len(dataset) == 0:
        raise ValueError(f"Received an empty {kind} dataset. Please provide a non-empty {kind} of arrays.")
    for i, element in enumerate(dataset):
        if not isinstance(element, np.ndarray):
            raise ValueError(f"Expected a {kind} of `numpy.ndarray` objects, Received: {type(element)} at index {i}.")
        if element.ndim == 0 or element.shape[0] != dataset[0].shape[0]:
            raise ValueError(f"Received a {kind} of NumPy arrays with different lengths. Mismatch found at index "
                             f"{i}, Expected shape={dataset[0].shape} Received shape={element.shape}. Please "
                             f"provide a {kind} of NumPy arrays of the same length.")
    if len(dataset[0]) == 0:
        raise empty
    return _Arrays(tuple(dataset)), None


def _split_sizes(left_size, right_size, total):
    """Keras's rule: a float is a fraction (rounded), an int a count; None is the rest."""
    left_type, right_type = type(left_size), type(right_size)
    left_bad = left_size is not None and left_type not in (int, float)
    right_bad = right_size is not None and right_type not in (int, float)
    if left_bad and right_bad:
        raise TypeError("Invalid `left_size` and `right_size` Types. Expected: integer or float or None, Received: "
                        f"type(left_size)={left_type} and type(right_size)={right_type}")
    if left_bad:
        raise TypeError("Invalid `left_size` Type. Expected: int or float or None, "
                        f"Received: type(left_size)={left_type}.")
    if right_bad:
        raise TypeError(f"Invalid `right_size` Type. Expected: int or float or None, "
                        f"Received: type(right_size)={right_type}.")
    if left_size == 0 and right_size == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. "
                         "At least one of the split sizes must be non-zero.")
    if (left_type is int and not 0 < left_size < total) or (left_type is float and not 0 < left_size < 1):
        raise ValueError(f"`left_size` should be either a positive integer smaller than {total}, or a float within "
                         f"the range `[0, 1]`. Received: left_size={left_size}")
    if (right_type is int and not 0 < right_size < total) or (right_type is float and not 0 < right_size < 1):
        raise ValueError(f"`right_size` should be either a positive integer and smaller than {total} or a float "
                         f"within the range `[0, 1]`. Received: right_size={right_size}")
    if left_type is float and right_type is float and left_size + right_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. "
                         "It must be less than or equal to 1.")
    # Python's round, as Keras (halves go to the even neighbour).
    left = round(left_size * total) if left_type is float else left_size
    right = round(right_size * total) if right_type is float else right_size
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the {total}. "
                         f"Received: left_size + right_size = {left + right} and total_length = {total}")
    for size, side in ((left, "left"), (right, "right")):
        if size == 0:
            raise ValueError(f"With `dataset` of length={total}, `left_size`={left} and `right_size`={right}. "
                             f"Resulting {side} side dataset split will be empty. Adjust any of the aforementioned "
                             "parameters")
    return int(left), int(right)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Split a dataset into a left and a right part (e.g. train / test): Keras 3's function.

    dataset: a NumPy array (split along axis 0), a list or tuple of arrays with one length, or a
        dataset from this module.
    left_size, right_size: a float in (0, 1) is a fraction of the samples (rounded), an int a number
        of samples; None is whatever the other leaves. The left part takes the first samples and the
        right part the last ones (samples in neither, when both sizes are given and leave a gap,
        are dropped).
    shuffle: shuffle the samples first, with Python's `random.Random(seed).shuffle`, so the order is
        the one Keras gets (Keras reseeds Python's global `random` to do so; this leaves it alone).
        Without a seed, one is drawn from Python's global `random`, as Keras does.

    Returns `(left, right)`: `SampleDataset`s yielding one sample at a time (a row of the array, or
    a tuple of rows), as Keras's unbatched datasets do; `left.batch(32)` is what fit takes. A
    `BatchDataset` splits into `BatchDataset`s with its batch size.
    """
    # Keras's checks in Keras's order: the type, both sizes missing, the samples, then the sizes.
    if not isinstance(dataset, (SampleDataset, BatchDataset, np.ndarray, list, tuple)):
        raise TypeError(f"Unsupported dataset type: {type(dataset)}. `dataset` must be a NumPy array, a list or "
                        "tuple of arrays, or a dataset from lstmkit.utils.")
    if left_size is None and right_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. Received: "
                         "left_size=None and right_size=None")
    samples, batch_size = _samples(dataset)
    if shuffle not in (True, False):
        raise ValueError(f"`shuffle` must be True or False. Received: shuffle={shuffle!r}")
    order = list(range(len(samples)))
    if shuffle:
        if seed is None:
            seed = _python_random.randint(0, int(1e6))
        _python_random.Random(seed).shuffle(order)
    left, right = _split_sizes(left_size, right_size, len(samples))
    parts = []
    for indices in (order[:left], order[-right:]):
        part = SampleDataset(_Arrays(samples.take(np.asarray(indices, np.int64))), _Passes(len(indices)))
        parts.append(part if batch_size is None else part.batch(batch_size))
    return tuple(parts)
