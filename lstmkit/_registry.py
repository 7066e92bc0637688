"""Keras-style serialize/deserialize shared by initializers, regularizers and constraints."""

from __future__ import annotations


def serialize_object(obj, table, keras_module, kind):
    """Keras 3's config dict `{'module', 'class_name', 'config', 'registered_name'}`; None -> None.

    Built-in classes (those in `table`) name `keras_module`; others their own module. A plain
    function serializes to its `__name__`.
    """
    if obj is None:
        return None
    if hasattr(obj, "get_config"):
        cls = type(obj)
        builtin = table.get(cls.__name__) is cls
        return {
            "module": keras_module if builtin else cls.__module__,
            "class_name": cls.__name__,
            "config": obj.get_config(),
            "registered_name": None if builtin else cls.__name__,
        }
    if hasattr(obj, "__name__"):
        return obj.__name__
    raise ValueError(f"Cannot serialize {kind} {obj!r}: it has no `get_config()` and no `__name__`.")


def deserialize_object(config, table, custom_objects, unknown, base=None):
    """An object from a name or a Keras 2/3 config dict (`{'class_name': ..., 'config': {...}}`).

    `unknown(name)` builds the error for names that resolve to nothing (or to the abstract `base`).
    """
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            obj = custom_objects[config]
            return obj() if isinstance(obj, type) else obj
        cls = table.get(config)
        if cls is None or cls is base:
            raise unknown(config)
        return cls()
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        class_name = config["class_name"]
        inner = config.get("config") or {}
        obj = None
        if custom_objects:
            obj = custom_objects.get(config.get("registered_name")) or custom_objects.get(class_name)
        if obj is None:
            obj = table.get(class_name)
        if obj is None or obj is base:
            raise unknown(class_name)
        if isinstance(obj, type):
            return obj.from_config(inner) if hasattr(obj, "from_config") else obj(**inner)
        return obj
    raise unknown(config)
