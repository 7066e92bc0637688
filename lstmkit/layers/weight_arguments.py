"""`Layer.add_weight`'s arguments: Keras 3's and Keras 2's spellings, defaults, checks, and the first value."""

from __future__ import annotations

import inspect
import threading

import jax
import numpy as np

from lstmkit import initializers as initializers_mod


def parse(layer_name, args, kwargs):
    """(shape, initializer, dtype, trainable, name, regularizer, constraint) of one `add_weight` call."""
    from lstmkit.layers.base import _as_shape, unique_name

    signature = _ADD_WEIGHT_KERAS2 if args and isinstance(args[0], str) else _ADD_WEIGHT_KERAS3
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"add_weight() of layer '{layer_name}': {e}") from None
    a = {**{k: p.default for k, p in signature.parameters.items() if p.default is not inspect.Parameter.empty},
         **bound.arguments}
    for legacy in ("getter", "partitioner", "use_resource", "synchronization", "caching_device"):
        a.get("kwargs", {}).pop(legacy, None)  # TF-only options of Keras 2, meaningless here
    if a.get("kwargs"):
        raise TypeError(f"add_weight() got unexpected keyword arguments: {sorted(a['kwargs'])}")
    if a.get("overwrite_with_gradient"):
        raise NotImplementedError("add_weight(overwrite_with_gradient=True) (float8 training) is not supported by "
                                  "lstmkit.")
    shape = _as_shape(() if a["shape"] is None else a["shape"], "shape")
    if any(d is None or d < 0 for d in shape):
        raise ValueError(f"add_weight(shape=...) of layer '{layer_name}' needs known, non-negative sizes; "
                         f"received {shape}.")
    dtype = weight_dtype(a["dtype"], layer_name)
    initializer = a["initializer"]
    if initializer is None:
        initializer = "glorot_uniform" if np.issubdtype(np.dtype(dtype), np.floating) else "zeros"
    name = a["name"]
    if name is None:
        name = unique_name("variable")
    elif not isinstance(name, str):
        raise TypeError(f"add_weight(name=...) must be a string; received {name!r}.")
    if a["aggregation"] not in ("none", "mean", "sum", "only_first_replica", None):
        raise ValueError(f"add_weight(aggregation=...) must be 'none', 'mean', 'sum' or 'only_first_replica'; "
                         f"received {a['aggregation']!r}.")
    trainable = True if a["trainable"] is None else bool(a["trainable"])
    return shape, initializer, dtype, trainable, name, a["regularizer"], a["constraint"]


def _keras2_add_weight(name=None, shape=None, dtype=None, initializer=None, regularizer=None, trainable=None,
                       constraint=None, aggregation="none", **kwargs):
    """Keras 2's positional order of add_weight's arguments."""


def _keras3_add_weight(shape=None, initializer=None, dtype=None, trainable=True, autocast=True, regularizer=None,
                       constraint=None, aggregation="none", overwrite_with_gradient=False, name=None, **kwargs):
    """Keras 3's positional order of add_weight's arguments."""


_ADD_WEIGHT_KERAS2 = inspect.signature(_keras2_add_weight)
_ADD_WEIGHT_KERAS3 = inspect.signature(_keras3_add_weight)


def weight_dtype(dtype, layer_name) -> str:
    if dtype is None:
        return "float32"
    name = np.dtype(getattr(dtype, "name", dtype)).name if not isinstance(dtype, str) else dtype
    if name in ("float16", "bfloat16", "float64"):
        raise NotImplementedError(f"add_weight(dtype={name!r}) in layer '{layer_name}': lstmkit computes "
                                  "in float32; pass dtype=None or 'float32'.")
    try:
        return np.dtype(name).name
    except TypeError:
        raise ValueError(f"add_weight(dtype=...) of layer '{layer_name}' must be a dtype name such as "
                         f"'float32' or 'int32'; received {dtype!r}.") from None


# Set by lstmkit.saving while it builds a model from a file: `fn(shape, dtype, name, layer_name)` sees each
# weight's shape before its value exists (a size budget), and may return the first value (zeros, when the
# file's values follow).
_load_hook = threading.local()


def initial_value(initializer, shape, dtype, name, layer_name):
    """A weight's first value, as NumPy, from an initializer name/object/callable or an array."""
    hook = getattr(_load_hook, "fn", None)
    if hook is not None:
        value = hook(shape, dtype, name, layer_name)
        if value is not None:
            return value
    if isinstance(initializer, (np.ndarray, jax.Array)):
        value = np.asarray(initializer)
    else:
        init = initializers_mod.get(initializer)
        with jax.ensure_compile_time_eval():
            value = init(tuple(shape), dtype=dtype) if accepts_dtype(init) else init(tuple(shape))
        value = np.asarray(value)
    if tuple(value.shape) != tuple(shape):
        raise ValueError(
            f"Initializer for weight '{name}' of layer '{layer_name}' returned shape "
            f"{tuple(value.shape)}, expected {tuple(shape)}."
        )
    return value.astype(dtype)


def accepts_dtype(fn) -> bool:
    try:
        return "dtype" in inspect.signature(fn).parameters or "dtype" in inspect.signature(fn.__call__).parameters
    except (TypeError, ValueError):
        return False
