"""Which classes a model file may name: lstmkit's own, and the objects a user registers.

This module imports nothing of lstmkit, so the layer base class can register its subclasses here
and every loader (layers, models, saving) can look names up without importing a concrete layer.

Two tables, kept apart on purpose:

- built-in classes: every `Layer` subclass defined inside the lstmkit package registers itself
  when its class statement runs (`Layer.__init_subclass__`), under its class name and, if it sets
  `_keras_class_name` in its own body, under the name Keras writes for it (e.g. "Functional").
  Classes defined anywhere else are never registered automatically.
- custom objects: what `register_keras_serializable` registers (as "package>Name") and what a
  `custom_object_scope` adds. Loading a file finds a class of a user's only here or in the
  `custom_objects` passed to the load, so it never runs code that was not handed to it.
"""

from __future__ import annotations

import contextlib

_BUILTIN: dict = {}  # Keras class name -> lstmkit class
_GLOBAL_CUSTOM_OBJECTS: dict = {}  # "package>Name" -> object (a live dict, as Keras's)
_REGISTERED_NAMES: dict = {}  # object -> "package>Name"
_scopes: list = []


# ----------------------------------------------------------------------------------------------- built-ins
def register_builtin(cls):
    """Make `cls` (a class defined inside lstmkit) loadable by name; used by `Layer.__init_subclass__`."""
    if cls.__name__.startswith("_") or cls.__dict__.get("_keras_serializable") is False:
        return cls
    _BUILTIN[cls.__name__] = cls
    alias = cls.__dict__.get("_keras_class_name")
    if alias:
        _BUILTIN[alias] = cls
    return cls


def builtin_class(name):
    """The lstmkit class a Keras class name stands for, or None."""
    return _BUILTIN.get(name)


def builtin_names() -> list:
    return sorted(_BUILTIN)


def is_builtin(cls) -> bool:
    return _BUILTIN.get(getattr(cls, "__name__", None)) is cls


def keras_class_name(cls) -> str:
    """The class name Keras writes for `cls` ("Functional" for lstmkit's `Model`, else its own name)."""
    if is_builtin(cls):
        return cls.__dict__.get("_keras_class_name") or cls.__name__
    return cls.__name__


# ----------------------------------------------------------------------------------------------- custom objects
def register_keras_serializable(package="Custom", name=None):
    """Decorator: make a class or function loadable by name without `custom_objects` (as in Keras).

    It is registered as "package>name" (name defaults to the object's `__name__`), the
    `registered_name` a saved config then carries.
    """
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
    """"package>Name" for a registered object, else its name (as Keras)."""
    return _REGISTERED_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


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


# Keras exports the scope under this class-style name too.
CustomObjectScope = custom_object_scope


def known_custom_objects() -> dict:
    """Registered objects (by "package>Name" and by their short name) and the open scopes' objects."""
    known = {}
    for key, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        known[key] = obj
        known.setdefault(key.split(">")[-1], obj)
    for scope in _scopes:
        known.update(scope)
    return known


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered (or in scope, or in `custom_objects` / `module_objects`) under `name`, or None."""
    for table in (known_custom_objects(), custom_objects or {}, module_objects or {}):
        if name in table:
            return table[name]
    return None
