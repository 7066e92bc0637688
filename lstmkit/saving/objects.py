"""Keras 3's `serialize_keras_object` / `deserialize_keras_object` for the objects a layer's config holds.

Users' layers that keep a sub-layer, an initializer or an activation write it into `get_config` with
`serialize_keras_object(...)` and read it back in `from_config` with `deserialize_keras_object(...)`.
Layers (and models) go through the layer serialization; initializers, regularizers, constraints and
activations through their own modules; plain values are kept as they are. Classes are found as
everywhere in lstmkit: built-in, registered, or given in `custom_objects` — never imported.
"""

from __future__ import annotations

import numpy as np

_PLAIN = (bool, int, float, str, type(None))


def _families():
    """(base class, module) of the object kinds besides layers, with Keras's module names."""
    from lstmkit import constraints, initializers, regularizers

    return {"keras.initializers": (initializers.Initializer, initializers),
            "keras.regularizers": (regularizers.Regularizer, regularizers),
            "keras.constraints": (constraints.Constraint, constraints)}


def serialize_keras_object(obj):
    """The Keras 3 config of `obj` (a layer, initializer, regularizer, constraint or activation function);
    plain values as they are; lists, tuples and dicts element by element."""
    from lstmkit import activations
    from lstmkit.layers.base import Layer
    from lstmkit.layers.serialization import serialize_layer

    if isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Layer):
        return serialize_layer(obj)
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(o) for o in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    for base, module in _families().values():
        if isinstance(obj, base):
            return module.serialize(obj)
    if callable(obj):  # a function, as Keras writes one outside a layer's own config keys
        name = activations.serialize(obj)
        if isinstance(name, str):
            return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
        return name
    raise ValueError(f"serialize_keras_object: cannot serialize {obj!r} (of type {type(obj).__name__}): it is not "
                     "a layer, initializer, regularizer, constraint, activation function or plain value.")


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object a `serialize_keras_object` config describes (see the module docstring)."""
    from lstmkit import activations
    from lstmkit.layers.base import Layer
    from lstmkit.layers.serialization import deserialize_layer

    if kwargs:
        raise TypeError(f"deserialize_keras_object() got unexpected keyword arguments: {sorted(kwargs)}")
    if isinstance(config, _PLAIN) and not isinstance(config, str):
        return config
    if isinstance(config, list):
        return [deserialize_keras_object(c, custom_objects) for c in config]
    if isinstance(config, dict) and not isinstance(config.get("class_name"), str):
        return {k: deserialize_keras_object(v, custom_objects) for k, v in config.items()}
    if isinstance(config, str):
        return activations.get(config, custom_objects=custom_objects)
    families = _families()
    given = (custom_objects or {}).get(config.get("registered_name")) or (custom_objects or {}).get(
        config["class_name"])
    for module_name, (base, module) in families.items():
        if config.get("module") == module_name or isinstance(given, type) and issubclass(given, base):
            return module.deserialize(config, custom_objects=custom_objects)
    if config.get("class_name") == "function":
        name = config.get("config")
        known = custom_objects or {}
        return known[name] if name in known else activations.get(name, custom_objects=custom_objects)
    if callable(given) and not isinstance(given, type):
        return given
    layer = deserialize_layer(config, custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(f"deserialize_keras_object: {config['class_name']!r} is not a layer.")
    return layer
