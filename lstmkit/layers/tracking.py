"""What a layer tracks: weights and sub-layers assigned as attributes, and its constructor arguments.

As in Keras, `self.dense = Dense(4)`, `self.blocks = [Dense(4), Dense(2)]`,
`self.heads = {"a": Dense(1)}` and `self.w = Variable(...)` make those part of the
layer: its weights, `summary()`, saved files and the params dict the compiled
programs receive. Built-in wrappers name their sub-layers' slots explicitly
(`Layer._track`); an object is tracked once, under its first name.
"""

from __future__ import annotations

import inspect
import json


def ensure_tracking(layer):
    """Create the tracking containers (a user's `__init__` may assign attributes before `super().__init__`)."""
    d = layer.__dict__
    if "_sublayers" not in d:
        object.__setattr__(layer, "_sublayers", {})
    if "_vars" not in d:
        object.__setattr__(layer, "_vars", [])
    if "_param_names" not in d:
        object.__setattr__(layer, "_param_names", set())


def _layers_in(value):
    from lstmkit.layers.base import Layer

    if isinstance(value, Layer):
        return [("", value)]
    if isinstance(value, (list, tuple)):
        out = []
        for i, item in enumerate(value):
            out += [(f"_{i}{suffix}", l) for suffix, l in _layers_in(item)]
        return out
    if isinstance(value, dict):
        out = []
        for k, item in value.items():
            out += [(f"_{k}{suffix}", l) for suffix, l in _layers_in(item)]
        return out
    return []


class TrackedList(list):
    """A list attribute of a user's layer: layers appended to it later are tracked too (Keras's ListWrapper)."""

    def __init__(self, items, owner, name):
        super().__init__(items)
        self._owner, self._name = owner, name

    def _retrack(self):
        retrack(self._owner, self._name, self)

    def append(self, item):
        super().append(item)
        self._retrack()

    def extend(self, items):
        super().extend(items)
        self._retrack()

    def insert(self, index, item):
        super().insert(index, item)
        self._retrack()

    def __setitem__(self, index, item):
        super().__setitem__(index, item)
        self._retrack()

    def __iadd__(self, items):
        super().extend(items)
        self._retrack()
        return self


class TrackedDict(dict):
    """A dict attribute of a user's layer: layers stored in it later are tracked too."""

    def __init__(self, items, owner, name):
        super().__init__(items)
        self._owner, self._name = owner, name

    def __setitem__(self, key, item):
        super().__setitem__(key, item)
        retrack(self._owner, self._name, self)

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        retrack(self._owner, self._name, self)


def retrack(layer, name, value):
    untrack_attribute(layer, name)
    for suffix, sub in _layers_in(value):
        if sub is not layer:
            track_sublayer(layer, name + suffix, sub, replace=False)
    _track_seed_generators(layer, value)


def _is_seed_generator(value) -> bool:
    return type(value).__name__ == "SeedGenerator" and type(value).__module__ == "lstmkit.random"


def _is_metric(value) -> bool:
    from lstmkit.metrics.base import Metric  # imported on use: metrics sit above layers

    return isinstance(value, Metric)


def _track_seed_generators(layer, value):
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
    gens = layer.__dict__.setdefault("_seed_generators", [])
    for item in items:
        if _is_seed_generator(item) and all(g is not item for g in gens):
            gens.append(item)


def track_attribute(layer, name, value):
    """Called by `Layer.__setattr__`: start tracking the layers and weights in `value`.

    Returns the value to store: a user's list or dict becomes a tracking one.
    """
    if name in _UNTRACKED or name.startswith("__"):
        return value
    from lstmkit.layers.base import _is_lstmkit_class
    from lstmkit.layers.variables import Variable

    ensure_tracking(layer)
    user = not _is_lstmkit_class(type(layer))
    if user and type(value) is list:
        value = TrackedList(value, layer, name)
    elif user and type(value) is dict:
        value = TrackedDict(value, layer, name)
    if layer.__dict__.get(name) is not value:
        untrack_attribute(layer, name)
    if _is_seed_generator(value):
        _track_seed_generators(layer, value)
        return value
    if _is_metric(value):
        metrics = layer.__dict__.setdefault("_metrics", [])
        if all(m is not value for m in metrics):
            metrics.append(value)
        return value
    if isinstance(value, Variable):
        if value.layer is None:  # a free Variable given to the layer: it becomes one of its weights
            value.layer = layer
        if all(v is not value for v in layer._vars) and value.layer is layer:
            value._param_name = unique_param_name(layer, value.name)
            layer._vars.append(value)
        return value
    for suffix, sub in _layers_in(value):
        if sub is not layer:
            track_sublayer(layer, name + suffix, sub, replace=False)
    if isinstance(value, (list, tuple, dict)):
        _track_seed_generators(layer, value)
    return value


def untrack_attribute(layer, name):
    """Forget the sub-layers tracked from attribute `name` (it is being replaced or deleted)."""
    old = {id(l) for _, l in _layers_in(layer.__dict__.get(name))}
    subs = layer.__dict__.get("_sublayers", {})
    for key in [k for k, l in subs.items() if id(l) in old and (k == name or k.startswith(name + "_"))]:
        del subs[key]


def track_sublayer(layer, attr, sub, replace=True):
    """Track `sub` under `attr`; a built-in wrapper's explicit name replaces an automatic one."""
    ensure_tracking(layer)
    existing = [k for k, l in layer._sublayers.items() if l is sub]
    if existing:
        if not replace:
            return
        for k in existing:
            del layer._sublayers[k]
    key = attr
    i = 1
    while key in layer._sublayers or key in layer._param_names:
        key, i = f"{attr}_{i}", i + 1
    layer._sublayers[key] = sub


def unique_param_name(layer, name):
    """A weight's key in its layer's params dict: its name, made unique within the layer (also apart
    from its sub-layers' slots, which share the dict)."""
    ensure_tracking(layer)
    key, i = name, 1
    while key in layer._param_names or key in layer._sublayers:
        key, i = f"{name}_{i}", i + 1
    layer._param_names.add(key)
    return key


# Bookkeeping attributes of Layer and Model that hold layers but are not sub-layers.
_UNTRACKED = frozenset({
    "_sublayers", "_vars", "_param_names", "_inbound_nodes", "_graph_layers", "_seq_layers", "_input_layer",
    "_nodes", "_flat_inputs", "_flat_outputs", "_input_struct", "_output_struct", "layer_ref", "_engine",
    "optimizer", "_auto_config", "_losses", "history", "model", "_seed_generators", "_opt_state", "_opt_state_keys",
    "_compile_args", "_inference", "_states", "_build_shape", "loss", "_graph_version", "_remat_mode", "_metrics",
})


def _serializable(value) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def constructor_arguments(cls, args, kwargs):
    """The arguments a user's layer was created with, when they are plain values (else None)."""
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except TypeError:
        return None
    config = {}
    for name, value in list(bound.arguments.items())[1:]:
        param = inspect.signature(cls.__init__).parameters[name]
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            config.update(value)
        elif param.kind is inspect.Parameter.VAR_POSITIONAL:
            if value:
                return None
        else:
            config[name] = value
    return config if _serializable(config) else None


def auto_config(layer, base_config):
    """Keras 3's config of a user's layer without `get_config`: its base keys and constructor arguments."""
    captured = layer.__dict__.get("_auto_config")
    if captured is None and _inherits_builtin_config(type(layer)):
        return base_config  # e.g. a user's subclass of Dense: Dense's own config stands
    if captured is None:
        raise NotImplementedError(
            f"Layer {type(layer).__name__} was created with arguments that are not plain values "
            "(numbers, strings, lists, dicts), so its config cannot be generated automatically. "
            "Implement `get_config()` (and `from_config()` if needed) in the class."
        )
    config = {**base_config, **captured}
    spec = inspect.getfullargspec(type(layer).__init__)
    if spec.varkw is None:  # __init__ cannot take name/trainable/dtype: leave out those it does not name
        for key in set(base_config) - set(spec.args[1:]) - set(captured):
            config.pop(key, None)
    return config


def _inherits_builtin_config(cls) -> bool:
    from lstmkit.layers.base import Layer, _is_lstmkit_class

    return any("get_config" in k.__dict__ for k in cls.__mro__
               if _is_lstmkit_class(k) and k is not Layer and k.__name__ not in ("Model", "Trainer"))
