"""Keras 2 (tf.keras 2.x, tf_keras, standalone Keras 2.x) model configs, written.

Writing: `to_keras2_model_config` turns lstmkit's Keras 3 model config into the one tf.keras 2
writes, so that a model holding Keras 2 semantics (e.g. `hard_sigmoid_keras2`) saves to an `.h5`
file that tf.keras loads, and that lstmkit reads back with the same meaning. What differs for one
layer class is that class's `to_keras2_config` and `keras2_states_as_inputs`.

Reading a Keras 2 config is the layers' business (`lstmkit.layers.serialization`, and each
class's `keras2_config`): Keras 2's `hard_sigmoid` (`clip(0.2 x + 0.5, 0, 1)`; Keras 3:
`relu6(x + 3) / 6`) becomes `lstmkit.activations.hard_sigmoid_keras2`, and a recurrent layer's
Keras-2-only arguments are translated or refused.
"""

from __future__ import annotations

import copy

from lstmkit import _object_registration as registry
from lstmkit import activations as activations_mod
from lstmkit.layers.base import Layer

#: The `keras_version` lstmkit writes into Keras-2-style `.h5` files (the tf_keras release checked against).
KERAS2_FORMAT_VERSION = "2.15.0"

_ACTIVATION_KEYS = ("activation", "recurrent_activation")


def is_keras2_version(version) -> bool:
    """True for a `keras_version` string of Keras 1 or 2 (files that mean Keras 2's semantics)."""
    if isinstance(version, bytes):
        version = version.decode("utf-8", "replace")
    return isinstance(version, str) and version.split(".")[0] in ("1", "2")


# ----------------------------------------------------------------------------------------------- writing
_INIT_KEYS_KERAS2 = {
    # Keras 3 added `input_axes` / `output_axes` to the variance-scaling family; Keras 2 rejects them.
    "GlorotUniform": ("seed",), "GlorotNormal": ("seed",), "HeUniform": ("seed",), "HeNormal": ("seed",),
    "LecunUniform": ("seed",), "LecunNormal": ("seed",),
    "VarianceScaling": ("scale", "mode", "distribution", "seed"),
}


def _keras2_object(obj):
    """An initializer/regularizer/constraint entry as Keras 2 writes it ({'class_name', 'config'})."""
    if not isinstance(obj, dict) or "class_name" not in obj:
        return obj
    inner = dict(obj.get("config") or {})
    keep = _INIT_KEYS_KERAS2.get(obj["class_name"])
    if keep is not None:
        inner = {k: v for k, v in inner.items() if k in keep}
    return {"class_name": obj["class_name"], "config": inner}


def _keras2_activation(value, where):
    if isinstance(value, dict) and value.get("class_name") == "function":
        value = value.get("config")
    if value == "hard_sigmoid_keras2":
        return "hard_sigmoid"
    if value == "hard_sigmoid":
        raise ValueError(f"{where} uses Keras 3's hard_sigmoid (relu6(x + 3) / 6), which a Keras 2 file cannot "
                         "express next to Keras 2's hard_sigmoid; save this model as '.keras' instead.")
    return value


def _layer_class(class_name):
    """The class whose Keras 2 facts apply to a config entry: lstmkit's own, else the plain Layer's."""
    cls = registry.builtin_class(class_name)
    return cls if isinstance(cls, type) and issubclass(cls, Layer) else Layer


def _keras2_layer(entry: dict, where: str) -> dict:
    class_name = entry["class_name"]
    config = copy.deepcopy(entry["config"])
    if class_name in ("Sequential", "Functional"):
        return {"class_name": class_name, "config": to_keras2_model_config(entry)["config"]}
    config.pop("quantization_config", None)
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = config["dtype"].get("config", {}).get("name", "float32")
    for key in list(config):
        if key.endswith(("_initializer", "_regularizer", "_constraint")):
            config[key] = _keras2_object(config[key])
        elif key in _ACTIVATION_KEYS:
            config[key] = _keras2_activation(config[key], f"{where} ({key})")
    config = _layer_class(class_name).to_keras2_config(config, where, _keras2_layer)
    return {"class_name": class_name, "config": config}


def _keras2_node(node: dict, class_name: str) -> list:
    """A Keras 3 node {'args', 'kwargs'} as Keras 2's list of [layer, node, tensor, kwargs] entries."""
    tensors, kwargs = [], {}

    def collect(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            name, node_index, tensor_index = value["config"]["keras_history"]
            tensors.append([name, node_index, tensor_index])
            return True
        if isinstance(value, (list, tuple)):
            return all([collect(v) for v in value]) if value else False
        return False

    args = node.get("args", [])
    for arg in args:
        if not collect(arg):
            raise ValueError("A Keras 2 file can only hold layer calls whose arguments are tensors.")
    for key, value in (node.get("kwargs") or {}).items():
        if key == "initial_state" and _layer_class(class_name).keras2_states_as_inputs():
            collect(value)  # Keras 2 passes initial states as extra inputs of the RNN's node
        elif key in ("training", "mask") and value in (None, False):
            continue
        elif isinstance(value, (bool, int, float, str)) or value is None:
            kwargs[key] = value
        else:
            raise ValueError(f"A Keras 2 file cannot hold the call argument {key}={value!r}.")
    return [t + [kwargs] for t in tensors]


def to_keras2_model_config(model_entry: dict) -> dict:
    """lstmkit's serialized model (Keras 3 format) as the `{'class_name', 'config'}` tf.keras 2 writes."""
    class_name = model_entry["class_name"]
    config = model_entry["config"]
    name = config.get("name", "model")
    if class_name == "Sequential":
        layers = [_keras2_layer(e, f"layer '{e['config'].get('name')}'") for e in config["layers"]]
        return {"class_name": "Sequential", "config": {"name": name, "layers": layers}}
    layers = []
    for entry in config["layers"]:
        out = _keras2_layer(entry, f"layer '{entry['name']}'")
        out["name"] = entry["name"]
        out["inbound_nodes"] = [_keras2_node(n, entry["class_name"]) for n in entry["inbound_nodes"]]
        layers.append(out)

    def leaves(struct):
        if isinstance(struct, list) and len(struct) == 3 and isinstance(struct[0], str):
            return [struct]
        if isinstance(struct, dict):
            raise ValueError("A Keras 2 file cannot hold a model whose inputs or outputs are a dict.")
        return [leaf for s in struct for leaf in leaves(s)]

    return {"class_name": "Functional", "config": {
        "name": name, "trainable": config.get("trainable", True), "layers": layers,
        "input_layers": leaves(config["input_layers"]), "output_layers": leaves(config["output_layers"])}}


def uses_keras2_semantics(model) -> bool:
    """True when some layer of `model` computes with a Keras-2-only meaning (e.g. Keras 2's hard_sigmoid)."""
    keras2_only = {activations_mod.hard_sigmoid_keras2}

    def visit(layer):
        for key in _ACTIVATION_KEYS:
            fn = getattr(layer, key, None)
            try:
                if fn in keras2_only:
                    return True
            except TypeError:  # unhashable callable
                pass
        return any(visit(sub) for sub in layer._sublayers.values())

    return visit(model)
