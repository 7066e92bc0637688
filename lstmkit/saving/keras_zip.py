"""Keras 3's `.keras` format: a zip archive of `metadata.json`, `config.json` and `model.weights.h5`.

Reading uses `zipfile`, `json` and `h5py` only: nothing in the archive is executed.
"""

from __future__ import annotations

import datetime
import io
import json
import warnings
import zipfile

import h5py
import numpy as np

from lstmkit.saving import h5_guard, limits
from lstmkit.saving import weights as weights_mod
from lstmkit.saving.atomic import atomic_write_path
from lstmkit.training.fit_state import METADATA_KEY, FitState

#: The `keras_version` lstmkit writes: the Keras 3 release whose file format it was checked against.
KERAS3_FORMAT_VERSION = "3.15.1"
_MAX_EXPANSION = 100  # a deflated member may expand this much (Keras 3's rule; Keras stores members uncompressed)


def json_default(obj):
    """`json.dumps` fallback for the NumPy values a config may hold."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"Cannot write {type(obj).__name__} {obj!r:.80} into a model config.")


def _weights_bytes(model, include_optimizer) -> bytes:
    from lstmkit.saving.optimizer_state import optimizer_variables

    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        weights_mod.write_keras3_weights(f, model)
        if include_optimizer and model.compiled and model.optimizer is not None:
            group = f.require_group("optimizer/vars")
            group.attrs["name"] = model.optimizer.name
            for i, (_, value) in enumerate(optimizer_variables(model)):
                group.create_dataset(str(i), data=value)
    return buf.getvalue()


def save_keras_zip(model, filepath, include_optimizer=True):
    from lstmkit._version import __version__
    from lstmkit.saving.model_object import serialize_model

    config = serialize_model(model, include_compile=True)
    metadata = {"keras_version": KERAS3_FORMAT_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "lstmkit_version": __version__}
    fit_state = getattr(model, "_fit_state", None)
    if fit_state is not None:  # lstmkit's extension (Keras ignores the key): resuming with fit(initial_epoch=...)
        metadata[METADATA_KEY] = fit_state.to_dict(include_global=False)
    weights = _weights_bytes(model, include_optimizer)
    with atomic_write_path(filepath) as tmp:
        # Stored, not deflated: as Keras writes it (h5py reads the weights through the archive member).
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr("metadata.json", json.dumps(metadata))
            zf.writestr("config.json", json.dumps(config, default=json_default))
            zf.writestr("model.weights.h5", weights)


def read_member(zf, name, path, limit):
    """An archive member's bytes, refused when it declares more than `limit` or expands like a zip bomb."""
    infos = [i for i in zf.infolist() if i.filename == name]
    if len(infos) > 1:
        raise ValueError(f"{path}: the archive holds '{name}' {len(infos)} times; a model archive holds it once.")
    info = infos[0]
    if info.file_size > limit:
        raise ValueError(f"{path}: '{name}' in the archive declares {limits.readable_size(info.file_size)}, over the "
                         f"{limits.readable_size(limit)} lstmkit reads from a model file.")
    if info.file_size > (1 << 20) and info.file_size > _MAX_EXPANSION * info.compress_size:
        raise ValueError(f"{path}: '{name}' in the archive declares {limits.readable_size(info.file_size)} but only "
                         f"{limits.readable_size(info.compress_size)} are stored: refusing a potential zip bomb.")
    with zf.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path}: '{name}' in the archive holds more than the {info.file_size} bytes it declares.")
    return data


def read_json_member(zf, name, path):
    data = read_member(zf, name, path, limits.current().max_json_bytes)
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: '{name}' in the archive is not valid JSON ({e}).") from None
    except RecursionError:
        raise ValueError(f"{path}: '{name}' in the archive is nested too deeply to be a model config.") from None


def weights_member_limit() -> int:
    # The weights, and an optimizer's slots (two per weight for Adam) beside them.
    return 3 * limits.current().max_weight_bytes + (16 << 20)


def load_keras_zip(path, custom_objects=None, compile=True):
    from lstmkit.saving.model_object import compile_loaded, deserialize_model
    from lstmkit.saving.keras2 import is_keras2_version

    with zipfile.ZipFile(path, "r") as zf:
        names = zf.namelist()
        if "config.json" not in names:
            raise ValueError(f"{path}: not a Keras model archive: the zip file has no 'config.json' "
                             f"(it holds {names[:6]}{'...' if len(names) > 6 else ''}).")
        config = read_json_member(zf, "config.json", path)
        metadata = read_json_member(zf, "metadata.json", path) if "metadata.json" in names else {}
        keras2 = is_keras2_version(metadata.get("keras_version")) if isinstance(metadata, dict) else False
        data = read_member(zf, "model.weights.h5", path, weights_member_limit()) if "model.weights.h5" in names \
            else None
    if data is None:
        try:  # the config's own errors first
            deserialize_model(config, custom_objects, keras2=keras2, where=path, weights_follow=True, stored=0)
        except limits.MoreWeightsThanStored:
            pass
        if "model.weights.json" in names:
            raise ValueError(f"{path}: the archive holds sharded weights (model.weights.json), which lstmkit "
                             "does not read; save the model unsharded.")
        raise ValueError(f"{path}: the archive has no 'model.weights.h5'.")
    h5_guard.check_heaps(data, path)
    with h5py.File(io.BytesIO(data), "r") as f:
        model = deserialize_model(config, custom_objects, keras2=keras2, where=path, weights_follow=True,
                                  stored=weights_mod.stored_weight_count(f))
        weights_mod.check_built_for(model, f, path)
        values = weights_mod.read_keras3_weights(f, model, path, require_all=True)
        weights_mod.assign_all(model, values, path)
        if compile and isinstance(config, dict) and config.get("compile_config"):
            compile_loaded(model, config["compile_config"], custom_objects, path)
            group = f.get("optimizer/vars")
            if group is not None:
                restore_keras3_optimizer(model, group, path)
    if isinstance(metadata, dict) and METADATA_KEY in metadata:
        try:
            model._fit_state = FitState.from_dict(metadata[METADATA_KEY], path)
        except ValueError as e:  # the model itself is fine: it loads, without the means to resume bitwise
            warnings.warn(f"{e} It is ignored: a fit(initial_epoch=...) draws new shuffle orders and dropout keys.",
                          stacklevel=3)
    return model


def restore_keras3_optimizer(model, group, path):
    from lstmkit.saving.optimizer_state import restore_optimizer_variables

    keys = sorted((k for k in group.keys() if k.isdigit()), key=int)
    values = h5_guard.read_optimizer_datasets(group, keys, model, path)
    restore_optimizer_variables(model, values, where=path)
