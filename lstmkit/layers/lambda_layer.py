"""`Lambda`: a function of the inputs as a layer (Keras 3's `layers.Lambda`).

In files, a named function is written as Keras writes it (`{'class_name': 'function', 'config': name}`)
and found again only through `custom_objects` (or `register_keras_serializable`). A Python `lambda`
is written as Keras writes it (its bytecode), so Keras can load the file with `safe_mode=False`;
lstmkit never runs code from a file and refuses such an entry when loading one. Only an explicit
in-process `Lambda.from_config(config, safe_mode=False)` rebuilds a lambda from its bytecode.
"""

from __future__ import annotations

import base64
import inspect
import marshal
import types

import jax
import numpy as np

from lstmkit.layers.base import Layer
from lstmkit.layers.calling import _to_arrays


class Lambda(Layer):
    """`Lambda(function, output_shape=None, mask=None, arguments=None)`: `function(inputs, **arguments)`.

    `output_shape` (without the batch size, or a function of the input shape) is optional: the shape is
    found by tracing. `mask`: None, a function `(inputs, mask) -> mask`, or a fixed mask.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda(function=...) must be callable; received {function!r} "
                            f"of type {type(function).__name__}.")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda(arguments=...) must be a dict of keyword arguments; received {arguments!r}.")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        try:
            names = inspect.signature(function).parameters
        except (TypeError, ValueError):
            names = {}
        self._fn_takes = {k for k in ("mask", "training") if k in names}
        self.built = True  # nothing to build (Keras builds stateless layers at once)

    def call(self, params, inputs, ctx, mask=None, training=None):
        kwargs = dict(self.arguments)
        if "mask" in self._fn_takes:
            kwargs["mask"] = mask
        if "training" in self._fn_takes:
            kwargs["training"] = ctx.training if training is None else training
        return _to_arrays(self.function(inputs, **kwargs))  # a function may return a weight itself

    def compute_output_shape(self, input_shape, **kwargs):
        if self._output_shape is None:
            try:
                return super().compute_output_shape(input_shape, **kwargs)
            except Exception as e:  # the function may not trace with placeholder sizes
                raise NotImplementedError(
                    f"Lambda '{self.name}': the output shape could not be inferred ({type(e).__name__}: {e}). "
                    "Pass `output_shape=`.") from e
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = jax.tree_util.tree_leaves(input_shape, is_leaf=lambda s: isinstance(s, tuple))[0][0]
        shape = self._output_shape
        if isinstance(shape, list) and all(d is None or isinstance(d, int) for d in shape):
            shape = tuple(shape)
        is_shape = lambda s: isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)
        return jax.tree_util.tree_map(lambda s: (batch,) + tuple(s), shape, is_leaf=is_shape)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    # ----------------------------------------------------------------- config
    def get_config(self):
        config = {**super().get_config(), "function": _function_config(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (_function_config(self._output_shape) if callable(self._output_shape)
                                      else list(self._output_shape) if isinstance(self._output_shape, tuple)
                                      else self._output_shape)
        if self.mask is not None:
            config["mask"] = (_function_config(self.mask) if callable(self.mask) else
                              {"class_name": "__tensor__", "config": {"value": np.asarray(self.mask).tolist(),
                                                                       "dtype": str(np.asarray(self.mask).dtype)}})
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        from lstmkit.layers import serialization

        config = dict(config)
        known = {**serialization.current_context()[0], **(custom_objects or {})}
        unsafe_ok = safe_mode is False
        _keras2_function_entries(config)
        for key in ("function", "output_shape", "mask"):
            if key in config:
                config[key] = _function_from_config(config[key], known, unsafe_ok, key)
        if isinstance(config.get("output_shape"), list):
            config["output_shape"] = tuple(config["output_shape"])
        return cls(**config)


def _function_config(fn):
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        return {"class_name": "__lambda__", "config": {
            "code": base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii"),
            "defaults": fn.__defaults__,
            "closure": tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None}}
    name = getattr(fn, "__name__", None)
    if name is None:
        raise ValueError(f"Lambda: cannot serialize {fn!r}: it is neither a function nor a lambda.")
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def _function_from_config(entry, known, unsafe_ok, key):
    if not isinstance(entry, dict):
        return entry
    kind = entry.get("class_name")
    if kind == "__lambda__":
        if not unsafe_ok:
            raise ValueError(
                f"This `Lambda` layer's `{key}` is a Python lambda stored as bytecode. lstmkit never runs code "
                "from a file: define the function in your program and pass it as "
                "custom_objects={'name': function} with a named function, or rebuild the layer in Python.")
        inner = entry["config"]
        if inner.get("code") is None:
            raise ValueError(f"This Keras 2 `Lambda` layer's `{key}` is a Python lambda stored as bytecode of "
                             "another Python version; rebuild the layer in Python.")
        code = marshal.loads(base64.decodebytes(inner["code"].encode("ascii")))
        closure = inner.get("closure")
        cells = tuple(types.CellType(c) for c in closure) if closure else None
        return types.FunctionType(code, globals(), code.co_name, inner.get("defaults"), cells)
    if kind == "function":
        name = entry.get("config")
        fn = known.get(name)
        if fn is None:
            raise ValueError(f"This `Lambda` layer's `{key}` is the function '{name}', which lstmkit does not know: "
                             f"pass it as custom_objects={{'{name}': {name}}}.")
        return fn
    if kind == "__tensor__":
        return np.asarray(entry["config"]["value"], entry["config"].get("dtype", "float32"))
    return entry


def _keras2_function_entries(config):
    """Keras 2 wrote `function` as a name or as [code, defaults, closure], with `function_type` saying which."""
    for key in ("function", "output_shape"):
        kind = config.pop(f"{key}_type" if key == "output_shape" else "function_type", None)
        config.pop("module" if key == "function" else "output_shape_module", None)
        if kind == "lambda":
            config[key] = {"class_name": "__lambda__", "config": {"code": None}}
        elif kind == "function" and isinstance(config.get(key), str):
            config[key] = {"class_name": "function", "config": config[key]}
    if config.get("output_shape") is None:
        config.pop("output_shape", None)
