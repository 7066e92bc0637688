"""Keras 2's global settings: epsilon, floatx, image data format, learning phase, clear_session."""

from __future__ import annotations

import contextlib

# learning_phase None: follow the running call (see `learning_phase`).
_settings = {"epsilon": 1e-7, "image_data_format": "channels_last", "learning_phase": None}


def epsilon() -> float:
    """The fuzz factor of numeric expressions (1e-7, as in Keras)."""
    return _settings["epsilon"]


def set_epsilon(value):
    _settings["epsilon"] = float(value)


def floatx() -> str:
    return "float32"


def set_floatx(value):
    """lstmkit computes in float32 only: any other value is a clear error, not a silent change."""
    if value == "float32":
        return
    if value not in ("float16", "bfloat16", "float64"):
        raise ValueError(f"Unknown `floatx` value: {value!r}. Expected one of 'float16', 'float32', 'float64'.")
    raise ValueError(f"set_floatx({value!r}): lstmkit computes in float32 only; the only accepted value is 'float32'.")


def image_data_format() -> str:
    return _settings["image_data_format"]


def set_image_data_format(data_format):
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"`data_format` must be 'channels_last' or 'channels_first'. Received: data_format={data_format!r}")
    _settings["image_data_format"] = str(data_format)


def backend() -> str:
    """The name of the backend lstmkit runs on."""
    return "jax"


def learning_phase() -> int:
    """1 while a layer runs in training, else 0 (what Keras 2's graph-mode learning phase was during `fit`).

    `set_learning_phase(value)` fixes it; otherwise it follows the call it is read in: inside a layer's
    `call` traced by `fit`, the call's training flag; outside any call, 0.
    """
    if _settings["learning_phase"] is not None:
        return _settings["learning_phase"]
    from lstmkit.layers.variables import current_scope

    scope = current_scope()
    training = getattr(getattr(scope, "ctx", None), "training", False)
    return 1 if training is True else 0


def set_learning_phase(value):
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1. Received: {value!r}")
    _settings["learning_phase"] = int(value)


@contextlib.contextmanager
def learning_phase_scope(value):
    saved_setting = _settings["learning_phase"]
    set_learning_phase(value)
    try:
        yield value
    finally:
        _settings["learning_phase"] = saved_setting


def clear_session(free_memory=True):
    """Forget the automatic layer names ('dense', 'dense_1', ...), which `get_uid` counts too, and the
    learning phase, as Keras does. lstmkit keeps no global graph, so there is nothing else to free."""
    from lstmkit.backend import variables

    variables.reset_uids()
    _settings["learning_phase"] = None


# ------------------------------------------------------------------ Keras 3's dtype helpers
def standardize_dtype(dtype):
    from lstmkit.ops.core import standardize_dtype as standardize

    return standardize(dtype)


def result_type(*dtypes):
    """The dtype an operation on these dtypes gives (Python int/float count as weak types)."""
    import jax.numpy as jnp

    if not dtypes:
        return floatx()
    return jnp.result_type(*[d if d in (int, float, bool) else standardize_dtype(d) for d in dtypes]).name


def is_float_dtype(dtype):
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    return standardize_dtype(dtype).startswith(("int", "uint"))


@contextlib.contextmanager
def name_scope(name):
    """Keras 2 code opens name scopes around ops; lstmkit names nothing by scope, so this only yields."""
    yield name
