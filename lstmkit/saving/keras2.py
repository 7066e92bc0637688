"""Keras 2 (tf.keras 2.x, tf_keras, standalone Keras 2.x) model configs.

Reading: `normalize_layer_config` turns a Keras 2 layer config into arguments lstmkit's layers
take, keeping Keras 2's meaning where the two versions differ:

- `hard_sigmoid` meant `clip(0.2 x + 0.5, 0, 1)` in Keras 2 (Keras 3: `relu6(x + 3) / 6`); a layer
  read from a Keras 2 file gets `lstmkit.activations.hard_sigmoid_keras2`.
- GRU configs written before `reset_after` existed meant `reset_after=False`.
- `time_major=True` (TF only) cannot be honoured and is an error; `implementation` is kept for LSTM
  and GRU (it selects per-gate dropout masks) and dropped for SimpleRNN, which never used it.

Writing: `to_keras2_model_config` turns lstmkit's Keras 3 model config into the one tf.keras 2
writes, so that a model holding Keras 2 semantics (e.g. `hard_sigmoid_keras2`) saves to an `.h5`
file that tf.keras loads, and that lstmkit reads back with the same meaning.
"""

from __future__ import annotations

import copy

from lstmkit import activations as activations_mod

#: The `keras_version` lstmkit writes into Keras-2-style `.h5` files (the tf_keras release checked against).
KERAS2_FORMAT_VERSION = "2.15.0"

_RNN_CLASSES = ("LSTM", "GRU", "SimpleRNN")
_ACTIVATION_KEYS = ("activation", "recurrent_activation")


def is_keras2_version(version) -> bool:
    """True for a `keras_version` string of Keras 1 or 2 (files that mean Keras 2's semantics)."""
    if isinstance(version, bytes):
        version = version.decode("utf-8", "replace")
    return isinstance(version, str) and version.split(".")[0] in ("1", "2")


def normalize_layer_config(class_name: str, config: dict, where: str) -> dict:
    """A Keras 2 layer config as lstmkit arguments (a new dict). `where` names the layer in errors."""
    config = dict(config)
    if class_name in _RNN_CLASSES:
        if config.pop("time_major", False):
            raise ValueError(f"{where}: time_major=True (TensorFlow's time-major RNN input) is not supported by "
                             "lstmkit, whose recurrent layers take (batch, timesteps, features).")
        if class_name == "SimpleRNN":
            config.pop("implementation", None)
        if class_name == "GRU":
            # Keras before 2.1.6 / TF 1.x had no reset_after: its GRU was the reset-before variant.
            config.setdefault("reset_after", False)
    if class_name == "Bidirectional" and config.pop("num_constants", None):
        raise ValueError(f"{where}: Bidirectional with constants (num_constants > 0) is not supported by lstmkit.")
    for key in _ACTIVATION_KEYS:
        if key in config:
            config[key] = activations_mod.get(config[key], keras2=True, argname=key)
    return config


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


def _keras2_layer(entry: dict, where: str) -> dict:
    class_name = entry["class_name"]
    config = copy.deepcopy(entry["config"])
    if class_name in ("Sequential", "Functional"):
        return {"class_name": class_name, "config": to_keras2_model_config(entry)["config"]}
    config.pop("quantization_config", None)
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = config["dtype"].get("config", {}).get("name", "float32")
    if class_name == "InputLayer":
        config["batch_input_shape"] = list(config.pop("batch_shape"))
    if class_name in _RNN_CLASSES:
        config.pop("zero_output_for_mask", None)
        if config.pop("seed", None) is not None:
            raise ValueError(f"{where}: Keras 2 recurrent layers have no `seed`; save this model as '.keras' instead.")
        config["time_major"] = False
        if class_name != "SimpleRNN":
            config.setdefault("implementation", 2)
    for key in list(config):
        if key.endswith(("_initializer", "_regularizer", "_constraint")):
            config[key] = _keras2_object(config[key])
        elif key in _ACTIVATION_KEYS:
            config[key] = _keras2_activation(config[key], f"{where} ({key})")
    if class_name == "Bidirectional":
        forward = _keras2_layer(config["layer"], where)
        name = forward["config"]["name"]
        forward["config"]["name"] = name[len("forward_"):] if name.startswith("forward_") else name
        config["layer"] = forward
        # The backward copy Keras 2 makes itself is the one lstmkit made; write it only if it differs.
        backward = _keras2_layer(config.pop("backward_layer"), where)
        auto = dict(forward["config"], name=backward["config"]["name"], go_backwards=not forward["config"]["go_backwards"])
        if backward["config"] != auto:
            config["backward_layer"] = backward
    elif class_name == "TimeDistributed":
        config["layer"] = _keras2_layer(config["layer"], where)
    return {"class_name": class_name, "config": config}


def _keras2_node(node: dict, layer_class: str) -> list:
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
        if key == "initial_state" and layer_class in _RNN_CLASSES + ("Bidirectional",):
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
