"""Layers and models <-> Keras configs: the class registry and (de)serialization.

`serialize_layer` gives Keras 3's form of a layer, `{'module', 'class_name', 'config',
'registered_name', 'build_config'}`; `deserialize_layer` reads that form and Keras 2's
`{'class_name', 'config'}`, resolving class names first in `custom_objects` and then among
lstmkit's layers. Nothing here imports or runs code named by a config: a class name either is
one of lstmkit's layers, or is looked up in the `custom_objects` the caller passes.
"""

from __future__ import annotations

import contextlib
import threading

from lstmkit import activations as activations_mod
from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import regularizers as regularizers_mod
from lstmkit.layers.base import Layer
from lstmkit.saving import keras2

# Per-load context: custom objects and whether configs mean Keras 2 semantics. Wrapper layers
# (Bidirectional, TimeDistributed) deserialize their inner layer through the same context.
_context = threading.local()

# Keras 3 classes that run Python code stored in the file; lstmkit never rebuilds them.
_CODE_CLASSES = ("Lambda", "TFOpLambda", "SlicingOpLambda")


# Keras's registration API: objects known by name to every load in this process (or in a scope).
_GLOBAL_CUSTOM_OBJECTS: dict = {}
_REGISTERED_NAMES: dict = {}


def register_keras_serializable(package="Custom", name=None):
    """Decorator: make a class or function loadable by name without `custom_objects` (as in Keras)."""
    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        _GLOBAL_CUSTOM_OBJECTS[registered] = obj
        _REGISTERED_NAMES[obj] = registered
        return obj
    return decorator


def get_custom_objects() -> dict:
    """The process-wide registry of custom objects (a live dict, as Keras's)."""
    return _GLOBAL_CUSTOM_OBJECTS


def get_registered_name(obj) -> str:
    return _REGISTERED_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


_scopes: list = []


@contextlib.contextmanager
def custom_object_scope(*custom_objects):
    """Within the `with` block, loads also find the given {name: object} dicts."""
    merged = {}
    for objects in custom_objects:
        merged.update(objects or {})
    _scopes.append(merged)
    try:
        yield merged
    finally:
        _scopes.pop()


@contextlib.contextmanager
def load_context(custom_objects=None, keras2_semantics=False):
    """Deserialize with `custom_objects` and, when `keras2_semantics`, Keras 2's meanings."""
    saved = getattr(_context, "state", None)
    _context.state = ({**_known_objects(), **(custom_objects or {})}, bool(keras2_semantics))
    try:
        yield
    finally:
        _context.state = saved


def _known_objects() -> dict:
    known = {}
    # Registered objects are found by 'package>Name' and by their short name.
    for key, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        known[key] = obj
        known.setdefault(key.split(">")[-1], obj)
    for scope in _scopes:
        known.update(scope)
    return known


def _current():
    return getattr(_context, "state", None) or (_known_objects(), False)


def layer_classes() -> dict:
    """Every layer and model class lstmkit can rebuild from a config, by Keras class name."""
    from lstmkit import layers as layers_mod
    from lstmkit.models import Model, Sequential

    out = {}
    for name in layers_mod.__all__:
        obj = getattr(layers_mod, name)
        if isinstance(obj, type) and issubclass(obj, Layer) and obj is not Layer:
            out[obj.__name__] = obj
    out.update({"Sequential": Sequential, "Functional": Model, "Model": Model})
    return out


def unknown_class_error(class_name, kind="layer") -> ValueError:
    supported = ", ".join(sorted(set(layer_classes()) - {"Model"}))
    if class_name in _CODE_CLASSES:
        return ValueError(
            f"The file holds a `{class_name}` layer, which stores Python code. lstmkit never deserializes code "
            f"from a file. Rebuild that layer in Python and pass it as custom_objects={{'{class_name}': YourLayer}}.")
    return ValueError(
        f"Unknown {kind} class '{class_name}'. lstmkit can rebuild: {supported}. To load a class of your own, "
        f"pass it as custom_objects={{'{class_name}': YourClass}}.")


def resolve_class(class_name, registered_name=None):
    custom, _ = _current()
    for key in (registered_name, class_name):
        if key and key in custom:
            return custom[key]
    if isinstance(registered_name, str) and ">" in registered_name:  # Keras's 'package>Name' registration
        short = registered_name.split(">")[-1]
        if short in custom:
            return custom[short]
    cls = layer_classes().get(class_name)
    if cls is None:
        raise unknown_class_error(class_name)
    return cls


# ----------------------------------------------------------------------------------------------- writing
def _is_builtin(cls) -> bool:
    return layer_classes().get(cls.__name__) is cls


# Layers without a build step of their own: Keras writes no `build_config` for them.
_NO_BUILD_CONFIG = ("InputLayer", "Activation", "Dropout", "Masking", "Reshape")


def _build_config(layer):
    """Keras's `build_config`: the input shape the layer was built for."""
    from lstmkit.layers.input_layer import _is_kt
    import jax

    if type(layer).__name__ in _NO_BUILD_CONFIG or not layer.built:
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
    from lstmkit.models import Model

    if isinstance(layer, Model):
        from lstmkit.saving.model_config import serialize_model

        return serialize_model(layer, include_compile=False)
    if not isinstance(layer, Layer):
        raise ValueError(f"serialize_layer() expects an lstmkit Layer; received {layer!r}.")
    cls = type(layer)
    builtin = _is_builtin(cls)
    config = layer.get_config()
    for key in ("activation", "recurrent_activation"):
        if isinstance(config.get(key), str) and config[key] in activations_mod._LSTMKIT_ONLY:
            # Written as Keras writes a custom function, so Keras 3 can load the file given
            # custom_objects={name: function} (it rejects an unknown plain name outright).
            config[key] = {"module": "lstmkit.activations", "class_name": "function", "config": config[key],
                           "registered_name": config[key]}
    out = {"module": "keras.layers" if builtin else cls.__module__, "class_name": cls.__name__,
           "config": config, "registered_name": None if builtin else get_registered_name(cls)}
    build = _build_config(layer)
    if build is not None:
        out["build_config"] = build
    return out


# ----------------------------------------------------------------------------------------------- reading
_OBJECT_GETTERS = (("_initializer", initializers_mod), ("_regularizer", regularizers_mod),
                   ("_constraint", constraints_mod))


def _resolve_objects(config: dict, custom: dict) -> dict:
    """Activations, initializers, regularizers and constraints of a config as objects (custom ones found)."""
    out = dict(config)
    for key, value in config.items():
        if value is None or not isinstance(value, (str, dict)):
            continue
        if key in ("activation", "recurrent_activation"):
            out[key] = activations_mod.get(value, argname=key, custom_objects=custom or None)
            continue
        for suffix, mod in _OBJECT_GETTERS:
            if key.endswith(suffix):
                out[key] = mod.get(value, argname=key, custom_objects=custom or None)
    return out


def deserialize_layer(entry, custom_objects=None) -> Layer:
    """A layer (or model) from its Keras 3 or Keras 2 serialized form.

    Uses the `custom_objects` and Keras 2 flag of the enclosing `load_context`, plus `custom_objects`.
    """
    if isinstance(entry, Layer):
        return entry
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ValueError(f"Expected a layer config {{'class_name': ..., 'config': {{...}}}}; received {entry!r:.200}.")
    custom, is_keras2 = _current()
    if custom_objects:
        custom = {**custom, **custom_objects}
    with load_context(custom, is_keras2):
        return _deserialize(entry)


def _deserialize(entry) -> Layer:
    from lstmkit.models import Model

    custom, is_keras2 = _current()
    class_name = entry["class_name"]
    cls = resolve_class(class_name, entry.get("registered_name"))
    config = entry.get("config")
    where = f"layer '{(config or {}).get('name', '?') if isinstance(config, dict) else '?'}' ({class_name})"
    if isinstance(cls, type) and issubclass(cls, Model):
        from lstmkit.saving.model_config import model_from_config_entry

        return model_from_config_entry(cls, entry)
    if not isinstance(config, dict):
        raise ValueError(f"{where}: expected its 'config' to be a dict; received {config!r:.200}.")
    if is_keras2:
        config = keras2.normalize_layer_config(class_name, config, where)
    config = _resolve_objects(config, custom)
    for key in ("layer", "backward_layer"):
        if isinstance(config.get(key), dict):
            config[key] = _deserialize(config[key])
    if not hasattr(cls, "from_config"):
        raise ValueError(f"{where}: the class given for '{class_name}' has no `from_config`.")
    try:
        layer = cls.from_config(config)
    except (TypeError, ValueError, NotImplementedError) as e:
        raise ValueError(f"Could not rebuild {where} from its config: {e}") from e
    if not isinstance(layer, Layer):
        raise ValueError(f"{where}: `{class_name}.from_config` returned {type(layer).__name__}, not an lstmkit Layer.")
    return layer
