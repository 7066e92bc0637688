"""Masks carried by tensors between eager (and nested) layer calls, as Keras 3's `_keras_mask`.

`Embedding(mask_zero=True)(ids)` gives an array that remembers its mask, and the next layer
called on it (an LSTM in a subclassed model's `call`, say) receives that mask. Arrays take the
attribute directly; tracers and NumPy arrays cannot, so their masks live in a table keyed by
the object, dropped when it goes away.
"""

from __future__ import annotations

import weakref

_table: dict = {}  # id(tensor) -> (weak reference, mask)


def set_keras_mask(x, mask):
    """Attach `mask` to tensor `x` (None removes it)."""
    try:
        object.__setattr__(x, "_keras_mask", mask)
        return
    except (AttributeError, TypeError):
        pass
    key = id(x)
    if mask is None:
        _table.pop(key, None)
        return
    try:
        ref = weakref.ref(x, lambda _, k=key: _table.pop(k, None))
    except TypeError:  # a plain Python value: nothing to carry a mask
        return
    _table[key] = (ref, mask)


def get_keras_mask(x):
    """The mask attached to `x`, or None."""
    mask = getattr(x, "_keras_mask", None)
    if mask is not None:
        return mask
    entry = _table.get(id(x))
    if entry is not None and entry[0]() is x:
        return entry[1]
    return None


def input_mask(inputs):
    """The mask(s) of a call's inputs: one tensor's, or a list (tuple) for a list (tuple) of tensors;
    None if none has one."""
    if isinstance(inputs, (list, tuple)):
        masks = [get_keras_mask(t) for t in inputs]
        return None if all(m is None for m in masks) else type(inputs)(masks)
    return get_keras_mask(inputs)


def attach(outputs, mask):
    """Attach a call's output mask(s) to its output tensor(s)."""
    if mask is None:
        return
    if isinstance(outputs, (list, tuple)):
        masks = mask if isinstance(mask, (list, tuple)) else [mask] + [None] * (len(outputs) - 1)
        for t, m in zip(outputs, masks):
            if m is not None:
                set_keras_mask(t, m)
    else:
        set_keras_mask(outputs, mask)
