"""Keras's object naming: snake_case class names, made unique per process.

Shared by optimizers, losses and metrics (Keras names e.g. a second `AUC()`
'auc_1', and History keys follow those names).
"""

from __future__ import annotations

import collections
import re
import threading

_uids: collections.defaultdict = collections.defaultdict(int)
_lock = threading.Lock()


def to_snake_case(name: str) -> str:
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def uniquify(name: str) -> str:
    """'adam', then 'adam_1', 'adam_2', ... (one counter per base name, as Keras)."""
    with _lock:
        n = _uids[name]
        _uids[name] += 1
    return name if n == 0 else f"{name}_{n}"


def auto_name(class_name: str) -> str:
    return uniquify(to_snake_case(class_name))


def object_name(obj) -> str:
    """Keras's `get_object_name`: `.name`, else a function's snake_cased `__name__`."""
    if hasattr(obj, "name") and isinstance(getattr(obj, "name"), str):
        return obj.name
    if hasattr(obj, "__name__"):
        return to_snake_case(obj.__name__)
    return to_snake_case(type(obj).__name__)
