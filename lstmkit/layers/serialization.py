"""Layers <-> Keras configs: `serialize_layer`, `deserialize_layer` and the per-load context.

`serialize_layer` gives Keras 3's form of a layer, `{'module', 'class_name', 'config',
'registered_name', 'build_config'}`; `deserialize_layer` reads that form and Keras 2's
`{'class_name', 'config'}`. A class name resolves first among the custom objects (the load's
`custom_objects`, the open `custom_object_scope`s, `register_keras_serializable`), then among
lstmkit's own classes, which registered themselves (`lstmkit._object_registration`). Nothing here
imports a concrete layer or runs code named by a config.

Keras 3's rule for a user's class: it is written with `module` = the class's module and
`registered_name` = "package>Name" when registered, else its class name; it is read back only
through the registry or `custom_objects`.

What differs between layers lives in the layers (the hooks at the end of `Layer`): a model
serializes its own graph (`keras_serialized` / `keras_from_serialized`), a layer translates its
Keras 2 config (`keras2_config`).
"""

from __future__ import annotations

import contextlib
import sys
import threading

import jax

from lstmkit import _object_registration as registry
from lstmkit import activations as activations_mod
from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import regularizers as regularizers_mod
from lstmkit.layers.base import Layer

# Per-load context: custom objects and whether configs mean Keras 2 semantics. Wrapper layers
# deserialize their inner layer through the same context.
_context = threading.local()

# Keras classes that run Python code stored in the file; lstmkit never rebuilds them. (`Lambda` is a
# layer of lstmkit's, which refuses a stored lambda itself.)
_CODE_CLASSES = ("TFOpLambda", "SlicingOpLambda")


@contextlib.contextmanager
def load_context(custom_objects=None, keras2_semantics=False, from_file=None):
    """Deserialize with `custom_objects` and, when `keras2_semantics`, Keras 2's meanings.

    `from_file=True` marks a load of a file or of outside text (JSON): then a class is found only through
    `custom_objects` and registrations; an in-process `from_config` also finds a user's Layer subclass
    the program has defined (a nested load keeps the outer setting unless it says otherwise)."""
    saved = getattr(_context, "state", None), getattr(_context, "from_file", False)
    _context.state = ({**registry.known_custom_objects(), **(custom_objects or {})}, bool(keras2_semantics))
    if from_file is not None:
        _context.from_file = bool(from_file)
    try:
        yield
    finally:
        _context.state, _context.from_file = saved


@contextlib.contextmanager
def initial_value_hook(fn):
    """Within the block, `fn(shape, dtype, name, layer_name)` sees each new weight's shape before its value
    exists, and may return its first value (lstmkit.saving checks a file's claims with it)."""
    from lstmkit.layers import weight_arguments

    hooks = weight_arguments._load_hook
    saved = getattr(hooks, "fn", None)
    hooks.fn = fn
    try:
        yield fn
    finally:
        hooks.fn = saved


def current_context():
    """(custom objects, Keras 2 semantics?) of the load in progress (or of no load)."""
    return getattr(_context, "state", None) or (registry.known_custom_objects(), False)


def unknown_class_error(class_name, kind="layer") -> ValueError:
    supported = ", ".join(n for n in registry.builtin_names() if n != "Model")
    if class_name in _CODE_CLASSES:
        return ValueError(
            f"The file holds a `{class_name}` layer, which stores Python code. lstmkit never deserializes code "
            f"from a file. Rebuild that layer in Python and pass it as custom_objects={{'{class_name}': YourLayer}}.")
    return ValueError(
        f"Unknown {kind} class '{class_name}'. lstmkit can rebuild: {supported}. To load a class of your own, "
        f"pass it as custom_objects={{'{class_name}': YourClass}}.")


def resolve_class(class_name, registered_name=None, module=None):
    """The class a serialized entry names: from `custom_objects` and registrations, lstmkit's own layers,
    or — for an in-process `from_config`, not a file — a Layer subclass the running program has already
    defined in `module`. Nothing is imported and no code named by the entry runs."""
    custom, _ = current_context()
    for key in (registered_name, class_name):
        if key and key in custom:
            return custom[key]
    if isinstance(registered_name, str) and ">" in registered_name:  # Keras's 'package>Name' registration
        short = registered_name.split(">")[-1]
        if short in custom:
            return custom[short]
    cls = registry.builtin_class(class_name)
    if cls is None and not getattr(_context, "from_file", False):
        cls = _defined_layer_class(module, class_name)
    if cls is None:
        raise unknown_class_error(class_name)
    return cls


def _defined_layer_class(module, class_name):
    loaded = sys.modules.get(module) if isinstance(module, str) else None
    cls = getattr(loaded, class_name, None) if loaded is not None and isinstance(class_name, str) else None
    return cls if isinstance(cls, type) and issubclass(cls, Layer) and cls.__name__ == class_name else None


# ----------------------------------------------------------------------------------------------- writing
def build_config(layer):
    """Keras's `build_config`: the input shape the layer was built for (none for a layer Keras builds
    in `__init__`, `_keras_built_at_init`)."""
    from lstmkit.layers.input_layer import _is_kt

    if layer._keras_built_at_init or not layer.built:
        return None
    shape = getattr(layer, "_build_shape", None)
    if shape is None and layer._inbound_nodes:
        shape = jax.tree_util.tree_map(lambda t: t.shape, layer._inbound_nodes[0].call_args[0], is_leaf=_is_kt)
    if shape is None:
        return None
    is_shape = lambda s: isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)
    as_lists = lambda struct: jax.tree_util.tree_map(list, struct, is_leaf=is_shape)
    node = layer._inbound_nodes[0] if layer._inbound_nodes else None
    if node is not None and node.call_kwargs.get("initial_state") is not None:
        # Keras records the shapes of each `build` argument when a call passes more than the input.
        states = jax.tree_util.tree_map(lambda t: t.shape, list(node.call_kwargs["initial_state"]), is_leaf=_is_kt)
        return {"shapes_dict": {"sequences_shape": as_lists(shape), "initial_state_shape": as_lists(states)}}
    return {"input_shape": as_lists(shape)}


def serialize_layer(layer) -> dict:
    """A layer (or a model used as a layer) in Keras 3's serialized form."""
    if not isinstance(layer, Layer):
        raise ValueError(f"serialize_layer() expects an lstmkit Layer; received {layer!r}.")
    own = layer.keras_serialized()
    if own is not None:
        return own
    cls = type(layer)
    builtin = registry.is_builtin(cls)
    config = layer.get_config()
    for key in ("activation", "recurrent_activation"):
        if isinstance(config.get(key), str) and config[key] in activations_mod._LSTMKIT_ONLY:
            # Written as Keras writes a custom function, so Keras 3 can load the file given
            # custom_objects={name: function} (it rejects an unknown plain name outright).
            config[key] = {"module": "lstmkit.activations", "class_name": "function", "config": config[key],
                           "registered_name": config[key]}
    out = {"module": "keras.layers" if builtin else cls.__module__, "class_name": cls.__name__,
           "config": config, "registered_name": None if builtin else registry.get_registered_name(cls)}
    build = build_config(layer)
    if build is not None:
        out["build_config"] = build
    return out


# ----------------------------------------------------------------------------------------------- reading
_OBJECT_GETTERS = (("_initializer", initializers_mod), ("_regularizer", regularizers_mod),
                   ("_constraint", constraints_mod))
_ACTIVATION_KEYS = ("activation", "recurrent_activation")


def _resolve_objects(config: dict, custom: dict) -> dict:
    """Activations, initializers, regularizers and constraints of a config as objects (custom ones found)."""
    out = dict(config)
    for key, value in config.items():
        if value is None or not isinstance(value, (str, dict)):
            continue
        if key in _ACTIVATION_KEYS:
            out[key] = activations_mod.get(value, argname=key, custom_objects=custom or None)
            continue
        for suffix, mod in _OBJECT_GETTERS:
            if key.endswith(suffix):
                out[key] = mod.get(value, argname=key, custom_objects=custom or None)
    return out


def _keras2_meanings(cls, config, where) -> dict:
    """A Keras 2 layer config as lstmkit arguments: the layer's own translation, then Keras 2's
    activations (`hard_sigmoid` meant `clip(0.2 x + 0.5, 0, 1)`)."""
    config = dict(config)
    if isinstance(cls, type) and issubclass(cls, Layer):
        config = cls.keras2_config(config, where)
    for key in _ACTIVATION_KEYS:
        if key in config:
            config[key] = activations_mod.get(config[key], keras2=True, argname=key)
    return config


def deserialize_layer(entry, custom_objects=None, build=False) -> Layer:
    """A layer (or model) from its Keras 3 or Keras 2 serialized form.

    Uses the `custom_objects` and Keras 2 flag of the enclosing `load_context`, plus `custom_objects`.
    `build=True` builds it for the input shape of its `build_config` (a wrapper's inner layer, as Keras).
    """
    if build and isinstance(entry, dict) and not isinstance(entry, Layer):
        layer = deserialize_layer(entry, custom_objects)
        build_from_config(layer, entry.get("build_config"))
        return layer
    if isinstance(entry, Layer):
        return entry
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ValueError(f"Expected a layer config {{'class_name': ..., 'config': {{...}}}}; received {entry!r:.200}.")
    custom, is_keras2 = current_context()
    if custom_objects:
        custom = {**custom, **custom_objects}
    with load_context(custom, is_keras2):
        return deserialize(entry)


def build_from_config(layer, build_config):
    """Build `layer` for the input shape its `build_config` records (Keras's `build_from_config`)."""
    if layer.built or not isinstance(build_config, dict) or not isinstance(build_config.get("input_shape"), list):
        return
    shape = build_config["input_shape"]
    if all(d is None or isinstance(d, int) for d in shape):
        layer._maybe_build(tuple(shape))


def deserialize(entry) -> Layer:
    """`deserialize_layer` within the current load context."""
    custom, is_keras2 = current_context()
    class_name = entry["class_name"]
    cls = resolve_class(class_name, entry.get("registered_name"), entry.get("module"))
    config = entry.get("config")
    where = f"layer '{(config or {}).get('name', '?') if isinstance(config, dict) else '?'}' ({class_name})"
    if isinstance(cls, type) and issubclass(cls, Layer):
        rebuilt = cls.keras_from_serialized(entry)  # a model rebuilds its graph itself
        if rebuilt is not None:
            return rebuilt
    if not isinstance(config, dict):
        raise ValueError(f"{where}: expected its 'config' to be a dict; received {config!r:.200}.")
    if is_keras2:
        config = _keras2_meanings(cls, config, where)
    config = _resolve_objects(config, custom)
    for key in ("layer", "backward_layer"):  # wrappers: the inner layer through the same context, built
        if isinstance(config.get(key), dict):
            inner = config[key]
            config[key] = deserialize(inner)
            build_from_config(config[key], inner.get("build_config"))
    if not hasattr(cls, "from_config"):
        raise ValueError(f"{where}: the class given for '{class_name}' has no `from_config`.")
    try:
        layer = cls.from_config(config)
    except (TypeError, ValueError, NotImplementedError) as e:
        if getattr(e, "keep_as_is", False):  # a loading limit's error (lstmkit.saving.limits) names it all
            raise
        raise ValueError(f"Could not rebuild {where} from its config: {e}") from e
    if not isinstance(layer, Layer):
        raise ValueError(f"{where}: `{class_name}.from_config` returned {type(layer).__name__}, not an lstmkit Layer.")
    return layer
