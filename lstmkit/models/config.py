"""Sequential and functional models <-> Keras configs (a model's `get_config` / `from_config`).

Writing follows Keras 3 (`inbound_nodes` as `{'args', 'kwargs'}` with `__keras_tensor__` entries,
layers in Keras's order). Reading accepts Keras 3 and Keras 2: list-style inbound nodes
(`[[['lstm', 0, 0, {}]]]`, initial states of an RNN given as its extra inputs), `batch_input_shape`,
class names `Model` / `Functional`, and the old list-only Sequential config.

`keras_layer_order(model)` is the order Keras gives `model.layers` (for a functional model: by depth
from the inputs, ties by first visit from the outputs); weight files address layers in that order.

saving/ reaches this module only through the model's own hooks (`keras_serialized`,
`keras_from_serialized`, `keras_layers`), so it imports no model class.
"""

from __future__ import annotations

import jax

from lstmkit import _object_registration as registry
from lstmkit.layers import serialization
from lstmkit.layers.base import dtype_policy_config
from lstmkit.layers.input_layer import _is_kt
from lstmkit.models import functional


def _is_functional(model) -> bool:
    from lstmkit.models.sequential import Sequential

    return not isinstance(model, Sequential)


# ----------------------------------------------------------------------------------------------- layer order
def keras_layer_order(model) -> list:
    """`model.layers` as Keras orders them (a Sequential's without its InputLayer)."""
    if not _is_functional(model):
        return list(model.layers)
    model._require_graph()
    return functional.keras_layer_order(model.inputs, model.outputs)


# ----------------------------------------------------------------------------------------------- writing
def _node_offset(layer) -> int:
    # A nested functional model has a built-in first node in Keras; a model's `input_layers` and
    # `output_layers` count its calls from 1 (its layers' `inbound_nodes` count only the calls, from 0).
    return 1 if layer._keras_model and _is_functional(layer) else 0


def _node_index(layer, node, own, offset=False) -> int:
    kept = [n for n in layer._inbound_nodes if id(n) in own]
    return (_node_offset(layer) if offset else 0) + kept.index(node)


def _serialize_call_value(value, own, where):
    if _is_kt(value):
        node = value._node
        return {"class_name": "__keras_tensor__", "config": {
            "shape": list(value.shape), "dtype": value.dtype,
            "keras_history": [node.layer.name, _node_index(node.layer, node, own), value._index]}}
    if isinstance(value, (list, tuple)):
        return [_serialize_call_value(v, own, where) for v in value]
    if isinstance(value, dict):
        return {k: _serialize_call_value(v, own, where) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(f"Cannot serialize {where}: a call argument of type {type(value).__name__} ({value!r:.80}); "
                     "only tensors, lists, dicts and plain numbers/strings can be saved.")


def functional_config(model) -> dict:
    model._require_graph()
    own = {id(n) for n in model._nodes}
    entries = []
    for layer in keras_layer_order(model):
        entry = serialization.serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": _serialize_call_value(list(node.call_args), own, f"a call of layer '{layer.name}'"),
             "kwargs": _serialize_call_value(dict(node.call_kwargs), own, f"a call of layer '{layer.name}'")}
            for node in layer._inbound_nodes if id(node) in own and node.input_tensors]
        entries.append(entry)

    def history(t):
        node = t._node
        return [node.layer.name, _node_index(node.layer, node, own, offset=True), t._index]

    return {"name": model.name, "trainable": model.trainable, "layers": entries,
            "input_layers": jax.tree_util.tree_map(history, _listify(model._input_struct), is_leaf=_is_kt),
            "output_layers": jax.tree_util.tree_map(history, _listify(model._output_struct), is_leaf=_is_kt)}


def _listify(struct):
    if isinstance(struct, (list, tuple)):
        return [_listify(s) for s in struct]
    if isinstance(struct, dict):
        return {k: _listify(v) for k, v in struct.items()}
    return struct


def sequential_config(model) -> dict:
    entries = []
    if model._graph_ready and model._input_layer is not None:
        entries.append(serialization.serialize_layer(model._input_layer))
    entries += [serialization.serialize_layer(layer) for layer in model.layers]
    config = {"name": model.name, "trainable": model.trainable, "dtype": dtype_policy_config(), "layers": entries}
    if model._graph_ready and model._input_layer is not None:
        config["build_input_shape"] = tuple(model._input_layer.batch_shape)
    return config


def model_config(model) -> dict:
    """`model.get_config()`: Keras 3's config of a Sequential or functional model."""
    return functional_config(model) if _is_functional(model) else sequential_config(model)


def serialize_model(model) -> dict:
    """The model as Keras 3's serialized object: module, class name, config and build config.

    `compile_config` is left empty ({}, as Keras writes it for a nested model); saving a whole model
    fills it in.
    """
    cls = type(model)
    builtin = registry.is_builtin(cls)
    if _is_functional(model):
        class_name = registry.keras_class_name(cls)
        module, registered = ("keras.src.models.functional", "Functional") if builtin else (cls.__module__, cls.__name__)
        build = {"input_shape": None}
    else:
        class_name = cls.__name__
        module, registered = ("keras", None) if builtin else (cls.__module__, cls.__name__)
        build = {"input_shape": list(model._input_layer.batch_shape)} if model._graph_ready else None
    out = {"module": module, "class_name": class_name, "config": model_config(model), "registered_name": registered}
    if build is not None:
        out["build_config"] = build
    out["compile_config"] = {}
    return out


# ----------------------------------------------------------------------------------------------- reading
class _NotReady(Exception):
    """A node's inputs come from a layer call not rebuilt yet."""


def _tensor_from_history(created, name, node_index, tensor_index, keras2, io=False):
    """The tensor a saved `[layer, node, tensor]` reference names. `io`: the reference is one of the
    model's `input_layers`/`output_layers` (Keras 3 counts a nested functional model's calls from 1
    there); Keras 2 counts them from 1 everywhere for nested models."""
    layer = created.get(name)
    if layer is None:
        raise ValueError(f"The model config refers to layer '{name}', which it does not define.")
    nested = layer._keras_model
    offset = 1 if nested and (keras2 or (io and _is_functional(layer))) else 0
    index = int(node_index) - offset
    if index < 0:
        raise ValueError(f"The model config refers to node {node_index} of layer '{name}', which has no such node.")
    if index >= len(layer._inbound_nodes):
        raise _NotReady
    node = layer._inbound_nodes[index]
    outputs = jax.tree_util.tree_leaves(node.outputs, is_leaf=_is_kt)
    if not 0 <= int(tensor_index) < len(outputs):
        raise ValueError(f"The model config refers to output {tensor_index} of layer '{name}', "
                         f"which has {len(outputs)} output(s).")
    return outputs[int(tensor_index)]


def _is_history(value, created) -> bool:
    return (isinstance(value, (list, tuple)) and len(value) in (3, 4) and isinstance(value[0], str)
            and value[0] in created and all(isinstance(v, int) for v in value[1:3]))


def _revive(value, created, keras2):
    """Node arguments with `__keras_tensor__` entries (Keras 3) replaced by the rebuilt tensors."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return _tensor_from_history(created, *value["config"]["keras_history"], keras2)
        if value.get("class_name") == "__tuple__":
            return tuple(_revive(v, created, keras2) for v in value["config"]["value"])
        if "class_name" in value and "config" in value and len(value) <= 4:
            raise ValueError(f"Cannot rebuild a layer call argument of kind '{value['class_name']}' "
                             "(only tensors, lists and plain values are supported).")
        return {k: _revive(v, created, keras2) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v, created, keras2) for v in value]
    return value


def _call_from_node(layer, node, created, keras2):
    """(args, kwargs) of one saved call of `layer`."""
    if isinstance(node, dict):  # Keras 3
        args = _revive(list(node.get("args", [])), created, keras2)
        kwargs = _revive(dict(node.get("kwargs") or {}), created, keras2)
    elif isinstance(node, list):  # Keras 2: [[layer, node, tensor, kwargs], ...]
        tensors, kwargs = [], {}
        for item in node:
            if not (isinstance(item, list) and len(item) in (3, 4) and isinstance(item[0], str)):
                raise ValueError(f"Layer '{layer.name}' has an inbound node entry that is not "
                                 f"[layer, node, tensor, kwargs]: {item!r:.120}.")
            tensors.append(_tensor_from_history(created, item[0], item[1], item[2], keras2))
            if len(item) == 4 and isinstance(item[3], dict):
                kwargs.update({k: (_tensor_from_history(created, *v[:3], keras2) if _is_history(v, created) else v)
                               for k, v in item[3].items()})
        if len(tensors) > 1 and layer.keras2_states_as_inputs():
            kwargs["initial_state"] = tensors[1:]  # Keras 2 feeds initial states as extra inputs
            tensors = tensors[:1]
        args = [tensors[0] if len(tensors) == 1 else tensors]
    else:
        raise ValueError(f"Layer '{layer.name}' has an inbound node that is neither a dict nor a list: {node!r:.120}.")
    # Keras records the call-time `training`/`mask` defaults; the model's own call decides them.
    kwargs.pop("training", None)
    if kwargs.get("mask") is None:
        kwargs.pop("mask", None)
    return args, kwargs


def _is_op(entry) -> bool:
    """A Keras 3 operation node (ops.not_equal, ops.any, ...) rather than a layer."""
    if not isinstance(entry, dict) or entry.get("class_name") == "InputLayer":
        return False
    if "module" in entry:
        return str(entry["module"]).startswith("keras.src.ops")
    # Keras 3's .h5 drops 'module'; an operation's config, unlike every layer's, has no 'trainable'.
    return isinstance(entry.get("config"), dict) and "trainable" not in entry["config"] and \
        isinstance(entry.get("inbound_nodes"), list) and all(isinstance(n, dict) for n in entry["inbound_nodes"])


def _history_names(value) -> set:
    """Names of the layers whose outputs a (Keras 3) node argument refers to."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return {value["config"]["keras_history"][0]}
        return set().union(*(_history_names(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_history_names(v) for v in value)) if value else set()
    return set()


def _without_mask_ops(config) -> list:
    """The config's layers without the Keras 3 ops (NotEqual, Any, ...) that only compute masks.

    Keras 3 writes the masks of Embedding/Masking/merge layers as op nodes feeding `mask=` arguments;
    lstmkit's layers propagate the same masks themselves, so those nodes and arguments are dropped.
    An op used for data is not supported: a clear error names it.
    """
    entries = config["layers"]
    ops = {e.get("name"): e for e in entries if _is_op(e)}
    if not ops:
        return entries
    data_uses = set(_history_names(config.get("output_layers", [])))
    for entry in entries:
        if entry.get("name") in ops:
            continue
        for node in entry.get("inbound_nodes") or []:
            if isinstance(node, dict):
                data_uses |= _history_names(node.get("args", []))
                data_uses |= _history_names({k: v for k, v in (node.get("kwargs") or {}).items() if k != "mask"})
    for name in sorted(set(ops) & data_uses):
        raise ValueError(f"The model applies the Keras operation '{ops[name]['class_name']}' ('{name}') to its data; "
                         "lstmkit rebuilds layers, not Keras ops. Rewrite that step as a layer.")
    out = []
    for entry in entries:
        if entry.get("name") in ops:
            continue
        nodes = []
        for node in entry.get("inbound_nodes") or []:
            if isinstance(node, dict) and _history_names((node.get("kwargs") or {}).get("mask")) & set(ops):
                node = {**node, "kwargs": {k: v for k, v in node["kwargs"].items() if k != "mask"}}
            nodes.append(node)
        out.append({**entry, "inbound_nodes": nodes})
    return out


def functional_from_config(cls, config, keras2=False, make_layer=None):
    """A functional model from its config; `make_layer(entry)` makes each layer (default: deserialize it)."""
    make_layer = make_layer or serialization.deserialize
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError("A functional model config needs a 'layers' list.")
    created, pending, order = {}, {}, []
    for entry in _without_mask_ops(config):
        if not isinstance(entry, dict):
            raise ValueError(f"A functional model's 'layers' holds a non-dict entry: {entry!r:.120}.")
        layer = make_layer(entry)
        name = entry.get("name", layer.name)
        if name in created:
            raise ValueError(f"The model config defines layer '{name}' twice.")
        created[name] = layer
        pending[name] = list(entry.get("inbound_nodes") or [])
        order.append(name)
    while any(pending.values()):
        progressed = False
        for name in order:
            while pending[name]:
                try:
                    args, kwargs = _call_from_node(created[name], pending[name][0], created, keras2)
                except _NotReady:
                    break
                created[name](*args, **kwargs)
                pending[name].pop(0)
                progressed = True
        if not progressed:
            stuck = sorted(n for n in order if pending[n])
            raise ValueError(f"The model config's layer graph cannot be rebuilt: the calls of {stuck} wait on "
                             "layer calls that never come (a cycle or a missing layer).")

    def tensors(struct):
        if isinstance(struct, (list, tuple)) and len(struct) == 3 and isinstance(struct[0], str):
            try:
                return _tensor_from_history(created, *struct, keras2, io=True)
            except _NotReady:
                raise ValueError(f"The model's inputs/outputs refer to a call of layer '{struct[0]}' "
                                 "that the config does not contain.") from None
        if isinstance(struct, dict):
            return {k: tensors(v) for k, v in struct.items()}
        if isinstance(struct, (list, tuple)):
            return [tensors(s) for s in struct]
        raise ValueError(f"Unreadable model input/output entry: {struct!r:.120}.")

    for key in ("input_layers", "output_layers"):
        if key not in config:
            raise ValueError(f"A functional model config needs '{key}'.")
    inputs, outputs = tensors(config["input_layers"]), tensors(config["output_layers"])
    kwargs = {"name": config.get("name")} if config.get("name") else {}
    return cls(inputs=inputs, outputs=outputs, trainable=config.get("trainable", True), **kwargs)


def sequential_from_config(cls, config):
    if isinstance(config, list):  # Keras 2.0 / 2.1: the config is the list of layers
        config = {"layers": config}
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError("A Sequential model config needs a 'layers' list.")
    layers = [serialization.deserialize(entry) for entry in config["layers"]]
    model = cls(layers=layers, name=config.get("name"), trainable=config.get("trainable", True))
    shape = config.get("build_input_shape")
    if not model._graph_ready and shape is not None:
        model.build(tuple(shape))
    return model


def model_from_config_entry(cls, entry):
    """A model from `{'class_name', 'config', ...}` (within the current load context)."""
    from lstmkit.models.sequential import Sequential

    _, keras2 = serialization.current_context()
    config = entry.get("config")
    if isinstance(cls, type) and issubclass(cls, Sequential):
        return sequential_from_config(cls, config)
    return functional_from_config(cls, config, keras2=keras2)
