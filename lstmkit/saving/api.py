"""The public entry points: save_model / load_model, save_weights / load_weights, model_from_json.

Which format a file has is read from its first bytes (zip, HDF5, JSON), not from its name, and
every problem with a file (missing, empty, truncated, corrupt, not a model) is a `ValueError`
naming the path and what is wrong.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import warnings
import zipfile

from lstmkit.saving.model_object import compile_loaded, deserialize_model, serialize_model  # noqa: F401

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


class ModelFileNotFoundError(FileNotFoundError, ValueError):
    """The model/weights file does not exist (a FileNotFoundError and, as in Keras, a ValueError)."""


# ----------------------------------------------------------------------------------------------- helpers
def _path(filepath, argname="filepath") -> str:
    try:
        return os.fspath(filepath)
    except TypeError:
        raise TypeError(f"`{argname}` must be a path (str or os.PathLike); received {filepath!r}.") from None


def _check_bool(value, argname):
    if not isinstance(value, bool):
        raise TypeError(f"`{argname}` must be True or False; received {value!r}.")


def _check_custom_objects(custom_objects):
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(f"`custom_objects` must be a dict mapping names to classes or functions; "
                        f"received {type(custom_objects).__name__}.")


def _safe_mode(safe_mode):
    _check_bool(safe_mode, "safe_mode")
    if not safe_mode:
        warnings.warn("load_model(safe_mode=False): lstmkit never deserializes Python code (lambdas, bytecode, "
                      "pickles) from a file, so there is nothing unsafe to allow; the file loads as with "
                      "safe_mode=True.", stacklevel=3)


def sniff(path) -> str:
    """'zip', 'hdf5' or 'json' from a file's first bytes; a ValueError for anything else."""
    if not os.path.exists(path):
        raise ModelFileNotFoundError(f"No such file: '{path}'.")
    if os.path.isdir(path):
        raise ValueError(f"'{path}' is a directory; lstmkit loads model files (.keras, .h5, .json). A TensorFlow "
                         "SavedModel directory cannot be loaded (nor by Keras 3's load_model).")
    if not stat.S_ISREG(os.stat(path).st_mode):  # a pipe or a device: reading it could wait forever
        raise ValueError(f"'{path}' is not a regular file (a pipe, socket or device); lstmkit loads model files.")
    size = os.path.getsize(path)
    if size == 0:
        raise ValueError(f"'{path}' is empty (0 bytes): not a model file (an interrupted save?).")
    with open(path, "rb") as f:
        head = f.read(8)
        if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            return "zip"
        # An HDF5 file may start with a user block of 512, 1024, 2048, ... bytes.
        offset = 0
        while offset < min(size, 1 << 20):
            f.seek(offset)
            if f.read(8) == _HDF5_MAGIC:
                return "hdf5"
            offset = 512 if offset == 0 else offset * 2
        f.seek(0)
        start = f.read(64).lstrip()
    if start[:1] in (b"{", b"["):
        return "json"
    raise ValueError(f"'{path}' is not a model file lstmkit can read: expected a '.keras' zip archive, an HDF5 "
                     f"('.h5') file or a JSON model config, but it starts with {head!r}.")


def _lstmkit_only_layers(model) -> list:
    """[(layer path, class name, [argument, ...])] of the layers using lstmkit extensions Keras lacks
    (their `lstmkit_extensions`, e.g. ['peephole=True'])."""
    found, seen = [], set()

    def walk(layer, prefix):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        extensions = getattr(layer, "lstmkit_extensions", None)
        if extensions:
            found.append((prefix + layer.name, type(layer).__name__, list(extensions)))
        children = layer.keras_layers()
        if children is None:
            children = list(layer._sublayers.values())
        inner = "" if layer is model else prefix + layer.name + "/"
        for child in children:
            walk(child, inner)

    walk(model, "")
    return found


def _warn_lstmkit_only(model, path):
    """One warning when `path` holds layers Keras cannot rebuild (saving still succeeds)."""
    found = _lstmkit_only_layers(model)
    if not found:
        return
    layers = ", ".join(f"'{name}' ({cls}({', '.join(args)}))" for name, cls, args in found)
    used = list(dict.fromkeys(f"{cls}({arg})" for _, cls, args in found for arg in args))
    what = " and ".join(f"`{call}`" for call in used)
    verb = "are lstmkit extensions" if len(used) > 1 else "is an lstmkit extension"
    warnings.warn(f"Saved '{path}' with layer(s) {layers}: Keras cannot load this file, because {what} {verb} "
                  "(lstmkit can load it).", UserWarning, stacklevel=3)


_FILESYSTEM_ERRORS = (PermissionError, IsADirectoryError, NotADirectoryError, FileNotFoundError)


@contextlib.contextmanager
def _file_errors(path, action):
    """Turn every error a bad file can cause into one ValueError naming the file (an OSError when the
    filesystem refuses, e.g. no permission to read)."""
    try:
        yield
    except ModelFileNotFoundError:
        raise
    except ValueError as e:
        msg = str(e)
        raise ValueError(msg if path in msg else f"{action} '{path}': {msg}") from e
    except _FILESYSTEM_ERRORS as e:
        msg = f"{action} '{path}': {e.strerror or e}"
        raise (type(e)(e.errno, msg) if e.errno is not None else type(e)(msg)) from e
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, UnicodeDecodeError) as e:
        raise ValueError(f"{action} '{path}': the file is damaged or truncated ({type(e).__name__}: {e}).") from e
    except RecursionError as e:
        raise ValueError(f"{action} '{path}': its model description is nested too deeply ({e}).") from e
    except MemoryError as e:
        raise ValueError(f"{action} '{path}': it asks for more memory than there is ({e}).") from e
    except Exception as e:  # noqa: BLE001 - h5py's RuntimeError/KeyError, a layer's NotImplementedError, ...
        # Argument checks run before this block: here errors come from content of an unexpected form.
        raise ValueError(f"{action} '{path}': its content is malformed or unsupported "
                         f"({type(e).__name__}: {e}).") from e


# ----------------------------------------------------------------------------------------------- models
def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save architecture, weights, compile settings and optimizer state: '.keras' (Keras 3's zip) or
    '.h5'/'.hdf5' (the legacy HDF5 format). The write is atomic (temporary file, then rename)."""
    from lstmkit.saving.keras_zip import save_keras_zip
    from lstmkit.saving.legacy_h5 import save_legacy_h5

    path = _path(filepath)
    include_optimizer = kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", None)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    _check_bool(include_optimizer, "include_optimizer")
    if zipped is False:
        raise ValueError("save(zipped=False) (an unzipped '.keras' directory) is not supported by lstmkit; "
                         "save to a '.keras' file.")
    is_h5 = path.endswith((".h5", ".hdf5"))
    if save_format is not None:
        if not (is_h5 or path.endswith(".keras")):
            raise ValueError("The `save_format` argument is deprecated in Keras 3. Please remove this argument and "
                             f"pass a file path with either `.keras` or `.h5` extension. Received: save_format={save_format}")
        warnings.warn("The `save_format` argument is deprecated in Keras 3; the format follows the file "
                      f"extension. Received: save_format={save_format}", stacklevel=3)
    if not (is_h5 or path.endswith(".keras")):
        raise ValueError("Invalid filepath extension for saving. Please add either a `.keras` extension for the "
                         f"native Keras format (recommended) or a `.h5` extension. Received: filepath={path}.")
    if not _may_overwrite(path, overwrite):
        return
    if is_h5:
        save_legacy_h5(model, path, include_optimizer=include_optimizer)
    else:
        save_keras_zip(model, path, include_optimizer=include_optimizer)
    _warn_lstmkit_only(model, path)


def _may_overwrite(path, overwrite) -> bool:
    _check_bool(overwrite, "overwrite")
    if overwrite or not os.path.exists(path):
        return True
    # Keras asks on the terminal in this case.
    answer = input(f"[WARNING] {path} already exists - overwrite? [y/n] ").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel). ').strip().lower()
    return answer == "y"


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by lstmkit, Keras 3 ('.keras', '.h5') or Keras 2 ('.h5').

    Args:
        filepath: the file (str or path-like); its format is read from its content.
        custom_objects: dict of your own classes/functions by the names the file uses.
        compile: restore the compile() settings and the optimizer state (when the file has them).
        safe_mode: accepted for Keras compatibility. lstmkit never runs code from a file: Lambda layers
            and lambda functions are refused whatever its value (give them via `custom_objects`).
    """
    path = _path(filepath)
    _check_bool(compile, "compile")
    _check_custom_objects(custom_objects)
    _safe_mode(safe_mode)
    with _file_errors(path, "Cannot load a model from"):
        kind = sniff(path)
        if kind == "zip":
            from lstmkit.saving.keras_zip import load_keras_zip

            return load_keras_zip(path, custom_objects, compile)
        if kind == "hdf5":
            from lstmkit.saving.legacy_h5 import load_legacy_h5

            return load_legacy_h5(path, custom_objects, compile)
        raise ValueError(f"'{path}' is a JSON file: it holds at most an architecture. Load it with "
                         f"lstmkit.models.model_from_json(open({path!r}).read()).")


def model_from_json(json_string, custom_objects=None):
    """A model (untrained weights) from `model.to_json()` output, Keras 3's or Keras 2's."""
    _check_custom_objects(custom_objects)
    if not isinstance(json_string, (str, bytes, bytearray)):
        raise TypeError(f"model_from_json() expects a JSON string; received {type(json_string).__name__}.")
    try:
        config = json.loads(json_string)
    except json.JSONDecodeError as e:
        raise ValueError(f"model_from_json(): the string is not valid JSON ({e}).") from None
    except RecursionError:
        raise ValueError("model_from_json(): the JSON is nested too deeply to be a model config.") from None
    return deserialize_model(config, custom_objects, where="model_from_json()", compile=True)


def model_from_config(config, custom_objects=None):
    """A model from a config dict ({'class_name', 'config'}), as Keras's `model_from_config`."""
    _check_custom_objects(custom_objects)
    return deserialize_model(config, custom_objects, where="model_from_config()")


def model_to_json(model, **kwargs) -> str:
    from lstmkit.saving.keras_zip import json_default

    kwargs.setdefault("default", json_default)
    return json.dumps(serialize_model(model, include_compile=True), **kwargs)


# ----------------------------------------------------------------------------------------------- weights
def save_weights(model, filepath, overwrite=True, **kwargs):
    """'.weights.h5': Keras 3's layout; any other '.h5'/'.hdf5': the legacy (Keras 2) layout."""
    import h5py

    from lstmkit.saving.atomic import atomic_write_path
    from lstmkit.saving.legacy_h5 import save_legacy_weights
    from lstmkit.saving.weights import write_keras3_weights

    path = _path(filepath)
    if kwargs.pop("max_shard_size", None) is not None:
        raise ValueError("save_weights(max_shard_size=...) (sharded weights) is not supported by lstmkit.")
    save_format = kwargs.pop("save_format", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    if save_format not in (None, "h5"):
        raise ValueError(f"save_weights(save_format={save_format!r}): lstmkit writes HDF5 weights only "
                         "('.weights.h5' or '.h5').")
    if not path.endswith((".h5", ".hdf5")):
        raise ValueError(f"The filename must end in `.weights.h5` (or `.h5` for the legacy layout). "
                         f"Received: filepath={path}")
    if not _may_overwrite(path, overwrite):
        return
    if path.endswith(".weights.h5"):
        with atomic_write_path(path) as tmp:
            with h5py.File(tmp, "w") as f:
                write_keras3_weights(f, model)
    else:
        save_legacy_weights(model, path)
    _warn_lstmkit_only(model, path)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Weights from '.weights.h5' (Keras 3), a '.keras' archive, or a legacy '.h5' (by position, or
    `by_name=True`)."""
    import h5py

    from lstmkit.saving import h5_guard
    from lstmkit.saving import weights as weights_mod
    from lstmkit.saving.legacy_h5 import load_legacy_weights

    path = _path(filepath)
    by_name = kwargs.pop("by_name", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    _check_bool(skip_mismatch, "skip_mismatch")
    with _file_errors(path, "Cannot load weights from"):
        kind = sniff(path)
        if kind == "zip":
            if by_name is not None:
                raise ValueError("`by_name` only supports loading legacy '.h5' or '.hdf5' files.")
            from lstmkit.saving.keras_zip import read_member, weights_member_limit

            with zipfile.ZipFile(path) as zf:
                if "model.weights.h5" not in zf.namelist():
                    raise ValueError("the archive has no 'model.weights.h5'.")
                data = read_member(zf, "model.weights.h5", path, weights_member_limit())
            h5_guard.check_heaps(data, path)
            with h5py.File(io.BytesIO(data), "r") as f:
                weights_mod.assign(weights_mod.read_keras3_weights(f, model, path, skip_mismatch))
            return
        if kind != "hdf5":
            raise ValueError("not an HDF5 weights file or a '.keras' archive.")
        h5_guard.check_heaps(path, path)
        with h5py.File(path, "r") as f:
            legacy = "layer_names" in f.attrs or "model_weights" in f
        if legacy:
            load_legacy_weights(model, path, by_name=bool(by_name), skip_mismatch=skip_mismatch)
            return
        if by_name is not None:
            raise ValueError("`by_name` only supports loading legacy '.h5' or '.hdf5' files.")
        with h5py.File(path, "r") as f:
            weights_mod.assign(weights_mod.read_keras3_weights(f, model, path, skip_mismatch))
