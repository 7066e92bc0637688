"""The legacy HDF5 formats: whole models (`model.save('x.h5')`) and weights (`save_weights('x.h5')`).

A model file holds the attributes `model_config`, `training_config` (JSON), `keras_version` and
`backend`, the group `model_weights` (one group per layer, `weight_names` listing its datasets,
e.g. 'lstm/lstm_cell/kernel:0') and `optimizer_weights`. A weights file holds the `model_weights`
content at its root. lstmkit writes the Keras 3 flavour (what Keras 3's `model.save('x.h5')`
writes) unless the model computes with a Keras-2-only meaning, such as Keras 2's `hard_sigmoid`:
then it writes the config tf.keras 2 writes, with `keras_version` 2.x, which is how such a file
says what `hard_sigmoid` means.
"""

from __future__ import annotations

import json

import h5py

from lstmkit.saving import h5_guard
from lstmkit.saving import keras2 as keras2_mod
from lstmkit.saving import weights as weights_mod
from lstmkit.saving.atomic import atomic_write_path
from lstmkit.saving.keras_zip import KERAS3_FORMAT_VERSION, json_default


def _decode(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _json_attr(f, name, path):
    raw = f.attrs.get(name)
    if raw is None:
        return None
    try:
        return json.loads(_decode(raw))
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError) as e:
        raise ValueError(f"{path}: the '{name}' attribute is not valid JSON ({e}).") from None
    except RecursionError:
        raise ValueError(f"{path}: the '{name}' attribute is nested too deeply to be a model config.") from None


def _flavour(model):
    if keras2_mod.uses_keras2_semantics(model):
        return True, keras2_mod.KERAS2_FORMAT_VERSION
    return False, KERAS3_FORMAT_VERSION


def _optimizer_items(model, keras2):
    from lstmkit.saving.optimizer_state import optimizer_variables

    items = optimizer_variables(model)
    if keras2:
        # tf.keras 2.11+ lists the step count and the slots, without the learning rate.
        prefix = model.optimizer.name
        items = [(f"{name[len(prefix) + 1:]}:0" if name.endswith("/iteration") else f"{name}:0", value)
                 for name, value in items if not name.endswith("/learning_rate")]
    return items


def save_legacy_h5(model, filepath, include_optimizer=True):
    from lstmkit._version import __version__
    from lstmkit.saving.model_object import serialize_model
    from lstmkit.saving.compile_config import training_config

    keras2, version = _flavour(model)
    entry = serialize_model(model, include_compile=False)
    model_config = keras2_mod.to_keras2_model_config(entry) if keras2 else \
        {"class_name": entry["class_name"], "config": entry["config"]}
    with_optimizer = include_optimizer and model.compiled and model.optimizer is not None
    train_config = training_config(model, keras2=keras2) if with_optimizer else None
    opt_items = _optimizer_items(model, keras2) if with_optimizer else []
    with atomic_write_path(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["keras_version"] = version.encode("utf8")
            f.attrs["backend"] = ("tensorflow" if keras2 else "jax").encode("utf8")
            f.attrs["lstmkit_version"] = __version__.encode("utf8")
            f.attrs["model_config"] = json.dumps(model_config, default=json_default).encode("utf8")
            if train_config is not None:
                f.attrs["training_config"] = json.dumps(train_config, default=json_default).encode("utf8")
            weights_mod.write_legacy_weights(f.create_group("model_weights"), model, version)
            if opt_items:
                group = f.create_group("optimizer_weights")
                weights_mod._set_name_list(group, "weight_names", [n for n, _ in opt_items])
                for name, value in opt_items:
                    group.create_dataset(name, data=value)


def load_legacy_h5(path, custom_objects=None, compile=True):
    from lstmkit.saving.model_object import compile_loaded, deserialize_model
    from lstmkit.saving.optimizer_state import restore_optimizer_variables

    h5_guard.check_heaps(path, path)
    with h5py.File(path, "r") as f:
        model_config = _json_attr(f, "model_config", path)
        if model_config is None:
            if "layer_names" in f.attrs or "model_weights" in f:
                raise ValueError(f"{path}: this HDF5 file holds weights only (no 'model_config'); build the model "
                                 "in Python and call model.load_weights() on it.")
            raise ValueError(f"{path}: not a Keras model file: the HDF5 file has no 'model_config' attribute.")
        version = _decode(f.attrs.get("keras_version"))
        # No version at all: Keras 1 or an early Keras 2 file.
        keras2 = version is None or keras2_mod.is_keras2_version(version)
        stored = weights_mod.stored_weight_count(f["model_weights"], legacy=True) if "model_weights" in f else None
        model = deserialize_model(model_config, custom_objects, keras2=keras2, where=path, weights_follow=True,
                                  stored=stored)
        if "model_weights" not in f:
            raise ValueError(f"{path}: the file has a model config but no 'model_weights' group.")
        weights_mod.check_built_for(model, f["model_weights"], path, legacy=True)
        values = weights_mod.read_legacy_weights(f["model_weights"], model, path, by_name=True, require_all=True)
        weights_mod.assign_all(model, values, path)
        train_config = _json_attr(f, "training_config", path) if compile else None
        if train_config:
            compile_loaded(model, train_config, custom_objects, path)
            if "optimizer_weights" in f:
                group = f["optimizer_weights"]
                names = weights_mod.read_attr_list(group, "weight_names")
                missing = [n for n in names if n not in group]
                if missing:
                    raise ValueError(f"{path}: optimizer weights {missing[:3]} are listed but missing.")
                values = h5_guard.read_optimizer_datasets(group, names, model, path)
                restore_optimizer_variables(model, values, names=names, where=path)
    return model


# ----------------------------------------------------------------------------------------------- weights only
def save_legacy_weights(model, filepath):
    _, version = _flavour(model)
    with atomic_write_path(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            weights_mod.write_legacy_weights(f, model, version)


def load_legacy_weights(model, path, by_name=False, skip_mismatch=False):
    h5_guard.check_heaps(path, path)
    with h5py.File(path, "r") as f:
        group = f
        if "layer_names" not in f.attrs and "model_weights" in f:
            group = f["model_weights"]  # a whole-model file: its weights
        if "layer_names" not in group.attrs and not any(k.startswith("layer_names") for k in group.attrs):
            raise ValueError(f"{path}: not a Keras weights file: no 'layer_names' attribute.")
        values = weights_mod.read_legacy_weights(group, model, path, by_name=by_name, skip_mismatch=skip_mismatch)
    weights_mod.assign(values)
