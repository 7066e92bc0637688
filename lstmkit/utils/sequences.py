"""`to_categorical` and `pad_sequences`, as in `keras.utils`."""

from __future__ import annotations

import numpy as np

from lstmkit import _value_ranges


def to_categorical(x, num_classes=None):
    """One-hot encode integer class labels: shape (..., ) -> (..., num_classes).

    A trailing axis of size 1 is dropped first, as Keras does.
    """
    x = np.asarray(x)
    if x.dtype.kind == "f":
        if not np.all(np.mod(x, 1) == 0):
            raise ValueError("to_categorical expects integer class labels; received non-integer values.")
    elif x.dtype.kind not in "iub":
        raise ValueError(f"to_categorical expects integer class labels; received an array of dtype {x.dtype}.")
    labels = x.astype("int64")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer))
                                    or num_classes < 1):
        raise ValueError(f"to_categorical: `num_classes` must be a positive integer or None; received {num_classes!r}.")
    high = int(labels.max()) + 1 if num_classes is None and labels.size else (num_classes or 0)
    bad = _value_ranges.first_outside(labels, 0, max(high, 1))
    if bad is not None:
        position, value = bad
        limit = "class labels are never negative" if value < 0 else f"num_classes={num_classes}"
        raise _value_ranges.ValueRangeError(
            f"to_categorical: `x` holds the label {value} at position {position}, outside [0, {high}) "
            f"({limit}).")
    num_classes = high
    out = np.zeros(labels.shape + (num_classes,), dtype="float64")
    np.put_along_axis(out, labels[..., None], 1.0, axis=-1)
    return out


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad (or cut) a list of sequences to one length: a (samples, maxlen, ...) array.

    padding / truncating: 'pre' (at the start, the default) or 'post' (at the end).
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    if padding not in ("pre", "post"):
        raise ValueError(f'`padding` must be "pre" or "post"; received {padding!r}.')
    if truncating not in ("pre", "post"):
        raise ValueError(f'`truncating` must be "pre" or "post"; received {truncating!r}.')
    seqs = [np.asarray(s) for s in sequences]
    lengths = [len(s) for s in seqs]
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    sample_shape = next((s.shape[1:] for s in seqs if len(s)), ())
    is_text = np.issubdtype(np.dtype(dtype), np.str_) or np.issubdtype(np.dtype(dtype), np.object_)
    if isinstance(value, str) and dtype != object and not is_text:
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type {type(value)}; use dtype=object.")
    out = np.full((len(seqs), maxlen) + tuple(sample_shape), value, dtype=dtype)
    for i, s in enumerate(seqs):
        if not len(s) or maxlen == 0:
            continue
        trunc = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if trunc.shape[1:] != tuple(sample_shape):
            raise ValueError(
                f"Shape of sample {trunc.shape[1:]} of sequence at position {i} differs from the expected "
                f"shape {tuple(sample_shape)}."
            )
        if padding == "post":
            out[i, : len(trunc)] = trunc
        else:
            out[i, -len(trunc):] = trunc
    return out
