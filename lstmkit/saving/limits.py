"""What a model file may claim: sizes, depths and a memory budget, checked before anything is built.

A file is a few kilobytes of JSON that can ask for anything: `units=10**6`, a `RepeatVector` of
`n=10**9`, a config nested 100 000 levels deep. Loading checks those claims first:

- the config itself (`check_config`): nesting depth, layer count, and every size a layer config
  gives (`units`, `filters`, `n`, shape entries such as `batch_shape` or `target_shape`) a whole
  number in range;
- the weights while the model is built (`building`): each weight's bytes are counted from its shape
  before its first value exists, against a budget (4 GiB by default); when the file's values
  follow, the first values are zeros rather than drawn (they are overwritten, and an orthogonal
  initializer of a large recurrent kernel costs minutes);
- the activations once the graph stands (`check_activations`): the largest tensor one sample makes.

Keras 3 has no such budget: it builds whatever the config asks for (and refuses only HDF5 datasets
and zip members that declare far more than they store). Raise the limits for a genuinely large
model with `lstmkit.saving.set_load_limits(max_weight_bytes=16 << 30)` or, for one load,
`with lstmkit.saving.load_limits(max_weight_bytes=16 << 30): load_model(path)`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math

import numpy as np


@dataclasses.dataclass
class LoadLimits:
    max_weight_bytes: int = 4 << 30       # all weights of a model built from a file
    max_activation_bytes: int = 256 << 20  # the largest tensor of one sample (batch dimension 1)
    max_dim: int = 1 << 24                # any single size a config gives (units, n, a shape entry)
    max_layers: int = 10_000              # layers in one model config (nested ones included)
    max_depth: int = 100                  # nesting of the config's JSON (lists and objects)
    max_json_bytes: int = 64 << 20        # a config's text


_limits = LoadLimits()


def current() -> LoadLimits:
    return _limits


def set_load_limits(**limits) -> LoadLimits:
    """Change the limits on what a loaded file may claim (names of `LoadLimits`); returns the old ones."""
    global _limits
    previous = _limits
    unknown = sorted(set(limits) - {f.name for f in dataclasses.fields(LoadLimits)})
    if unknown:
        raise TypeError(f"set_load_limits() got unknown limit(s) {unknown}; the limits are "
                        f"{[f.name for f in dataclasses.fields(LoadLimits)]}.")
    for name, value in limits.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"set_load_limits({name}=...) must be a positive whole number; received {value!r}.")
    _limits = dataclasses.replace(previous, **{k: int(v) for k, v in limits.items()})
    return previous


@contextlib.contextmanager
def load_limits(**limits):
    """`set_load_limits(...)` for the duration of a `with` block."""
    global _limits
    previous = set_load_limits(**limits)
    try:
        yield _limits
    finally:
        _limits = previous


def readable_size(n) -> str:
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{int(n)} B"


def _raise_hint() -> str:
    return "if the model really is this large, raise the limit with lstmkit.saving.set_load_limits(...)"


# ----------------------------------------------------------------------------------------------- the config
# Sizes a layer config gives as one whole number (a count of units, filters, repeats, ...).
_SIZE_KEYS = frozenset({"units", "filters", "n", "input_dim", "output_dim", "num_heads", "key_dim", "value_dim",
                        "depth_multiplier", "groups", "num_tokens", "max_tokens", "latent_dim"})
# Shapes: lists of sizes (None for "any"); `target_shape` may hold one -1 ("the rest").
_SHAPE_KEYS = frozenset({"batch_shape", "batch_input_shape", "input_shape", "shape", "target_shape",
                         "build_input_shape", "dims", "kernel_size", "pool_size", "strides", "size",
                         "dilation_rate"})


def _bad_size(value, where, key, allow_minus_one=False):
    limit = _limits.max_dim
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{where}: `{key}` must be a whole number; the file gives {value!r:.60}"
    if isinstance(value, float):
        if not value.is_integer():
            return f"{where}: `{key}` must be a whole number; the file gives {value!r}"
        value = int(value)
    if value == -1 and allow_minus_one:
        return None
    if value > limit:
        return (f"{where}: `{key}` = {value} is beyond what lstmkit builds from a file (at most {limit}); "
                + _raise_hint())
    return None


def _check_shape(value, where, key):
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        entries = [value]
    elif isinstance(value, list):
        entries = value
    else:
        return None  # other forms (a dict of shapes) are read by the layer itself
    for entry in entries:
        if entry is None:
            continue
        if isinstance(entry, list):  # a list of shapes (a multi-input build config)
            problem = _check_shape(entry, where, key)
            if problem:
                return problem
            continue
        problem = _bad_size(entry, where, key, allow_minus_one=key == "target_shape")
        if problem:
            return problem
        if key in ("batch_shape", "batch_input_shape") and entry < 0:  # Keras accepts a size of 0
            return f"{where}: `{key}` entries must be whole numbers >= 0 or None; the file gives {value!r:.80}"
    return None


def _entry_name(node) -> str:
    config = node.get("config") if isinstance(node.get("config"), dict) else {}
    name = config.get("name", node.get("name", "?"))
    return f"layer '{name}' ({node.get('class_name')})"


def check_config(config, where):
    """Refuse a model config whose nesting, layer count or sizes are beyond the limits (before building)."""
    limits = _limits
    layers = 0
    # (value, depth, description of the layer it belongs to); iterative, so depth costs no recursion.
    stack = [(config, 1, "the model")]
    while stack:
        value, depth, owner = stack.pop()
        if depth > limits.max_depth:
            raise ValueError(f"{where}: the model config is nested deeper than {limits.max_depth} levels "
                             "(a model config is a few levels deep per nested model).")
        if isinstance(value, dict):
            if isinstance(value.get("class_name"), str) and "config" in value:
                owner = _entry_name(value)
                layers += 1
                if layers > limits.max_layers:
                    raise ValueError(f"{where}: the model config holds more than {limits.max_layers} layers; "
                                     + _raise_hint() + ".")
            for key, item in value.items():
                if key in _SIZE_KEYS and item is not None and not isinstance(item, (dict, list, str)):
                    problem = _bad_size(item, owner, key)
                    if problem:
                        raise ValueError(f"{where}: {problem}.")
                elif key in _SHAPE_KEYS:
                    problem = _check_shape(item, owner, key)
                    if problem:
                        raise ValueError(f"{where}: {problem}.")
                if isinstance(item, (dict, list)):
                    stack.append((item, depth + 1, owner))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, owner) for item in value if isinstance(item, (dict, list)))


# ----------------------------------------------------------------------------------------------- the weights
class LoadLimitError(ValueError):
    """A file claims more than the limits allow (passed on as it is by the layers' deserialization)."""

    keep_as_is = True


class MoreWeightsThanStored(LoadLimitError):
    """A config asks for more weight values than its file holds."""


class WeightBudget:
    """Counts the weights a model being built from a file creates, from their shapes, before creating them.

    `stored`: how many weight values the file holds in all; a config asking for more is refused at the
    first weight past it (the config and the weights disagree), before that weight exists.
    """

    def __init__(self, where, placeholders, stored=None):
        self.where = where
        self.placeholders = placeholders
        self.stored = stored
        self.total = 0
        self.elements = 0
        self.limit = _limits.max_weight_bytes

    def __call__(self, shape, dtype, name, layer_name):
        count = math.prod(int(d) for d in shape)
        size = count * np.dtype(dtype).itemsize
        self.total += size
        self.elements += count
        if self.total > self.limit:
            raise LoadLimitError(f"{self.where}: layer '{layer_name}' asks for a weight '{name}' of shape {tuple(shape)} "
                             f"({readable_size(size)}), which takes the model's weights to {readable_size(self.total)}, "
                             f"over the {readable_size(self.limit)} lstmkit builds from a file; " + _raise_hint() + ".")
        # Wrapper layers build throwaway copies of their inner layer (the layer, then a copy per direction),
        # so a model creates up to a few times the weights it keeps.
        if self.stored is not None and self.elements > 4 * self.stored + 1024:
            raise MoreWeightsThanStored(f"{self.where}: the weights do not fit the model: layer '{layer_name}' asks for a weight "
                             f"'{name}' of shape {tuple(shape)}, which takes the model to {self.elements} weight values, "
                             f"far more than the {self.stored} the file holds in all (the config and the weights "
                             "disagree).")
        if self.placeholders:
            import jax

            # The file's values replace it: zeros, made without drawing (and without a second copy).
            return jax.device_put(np.zeros(tuple(shape), dtype))
        return None


@contextlib.contextmanager
def building(where, placeholders, stored=None):
    """Build a model from a file within the weight budget; `placeholders`: first values are zeros;
    `stored`: the number of weight values the file holds (None: not known)."""
    from lstmkit.layers import serialization

    budget = WeightBudget(where, placeholders, stored)
    with serialization.initial_value_hook(budget):
        yield budget


def check_activations(model, where):
    """Refuse a model whose largest tensor for one sample is over the activation limit."""
    limit = _limits.max_activation_bytes
    seen = set()
    stack = [model]
    while stack:
        owner = stack.pop()
        if id(owner) in seen:
            continue
        seen.add(id(owner))
        for node in getattr(owner, "_nodes", None) or []:
            layer = node.layer
            if getattr(layer, "_keras_model", False):
                stack.append(layer)
            leaves = node.outputs if isinstance(node.outputs, (list, tuple)) else [node.outputs]
            for t in _flat(leaves):
                shape = getattr(t, "shape", None)
                if not shape:
                    continue
                itemsize = np.dtype(getattr(t, "dtype", None) or "float32").itemsize
                size = math.prod(1 if d is None else int(d) for d in shape[1:]) * itemsize
                if size > limit:
                    raise ValueError(f"{where}: layer '{layer.name}' outputs a tensor of shape {tuple(shape)}: "
                                     f"{readable_size(size)} for one sample, over the {readable_size(limit)} "
                                     "lstmkit builds from a file; " + _raise_hint() + ".")


def _flat(struct):
    out, stack = [], [struct]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        else:
            out.append(item)
    return out
