"""Bad, damaged and hostile files get one clear ValueError naming the file; nothing in a file is executed."""

import json
import os
import pickle
import warnings
import zipfile

import h5py
import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit.models import Sequential, load_model
from lstmkit.saving import ModelFileNotFoundError


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    root = tmp_path_factory.mktemp("good")
    model = Sequential([lstmkit.Input((3, 1)), L.LSTM(2), L.Dense(1)])
    model.compile("adam", "mse")
    for ext in (".keras", ".h5"):
        model.save(str(root / f"m{ext}"))
    return model, root


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


def _error(path, *patterns, **kwargs):
    with pytest.raises(ValueError) as e:
        load_model(path, **kwargs)
    msg = str(e.value)
    assert str(path) in msg, msg
    for p in patterns:
        assert p in msg, msg
    return msg


def test_missing_empty_random_and_directory(tmp_path):
    with pytest.raises(ModelFileNotFoundError, match="No such file"):
        load_model(tmp_path / "nope.h5")
    with pytest.raises(FileNotFoundError):  # also a FileNotFoundError
        load_model(tmp_path / "nope.keras")
    _error(_write(tmp_path / "empty.h5", b""), "empty (0 bytes)")
    _error(_write(tmp_path / "noise.keras", np.random.default_rng(0).bytes(4096)), "not a model file")
    _error(str(tmp_path), "is a directory")
    _error(_write(tmp_path / "a.pkl", pickle.dumps({"class_name": "Sequential"})), "not a model file")


def test_zip_without_config_and_bad_json(tmp_path):
    with zipfile.ZipFile(tmp_path / "a.keras", "w") as zf:
        zf.writestr("metadata.json", "{}")
        zf.writestr("notes.txt", "hello")
    _error(str(tmp_path / "a.keras"), "no 'config.json'", "notes.txt")
    with zipfile.ZipFile(tmp_path / "b.keras", "w") as zf:
        zf.writestr("config.json", "{not json")
    _error(str(tmp_path / "b.keras"), "'config.json'", "not valid JSON")
    with zipfile.ZipFile(tmp_path / "c.keras", "w") as zf:
        zf.writestr("config.json", json.dumps({"class_name": "Dense", "config": {"units": 1}}))
    _error(str(tmp_path / "c.keras"), "'Dense' layer config, not a model")


def test_hdf5_without_model_config(tmp_path):
    with h5py.File(tmp_path / "w.h5", "w") as f:
        f.create_dataset("x", data=np.zeros(3))
    _error(str(tmp_path / "w.h5"), "no 'model_config'")
    with h5py.File(tmp_path / "bad.h5", "w") as f:
        f.attrs["model_config"] = b"{oops"
    _error(str(tmp_path / "bad.h5"), "'model_config'", "not valid JSON")


def test_weights_file_given_to_load_model(good, tmp_path):
    model, _ = good
    model.save_weights(str(tmp_path / "w.h5"))
    _error(str(tmp_path / "w.h5"), "weights only", "load_weights")


def test_json_file_given_to_load_model(good, tmp_path):
    model, _ = good
    path = _write(tmp_path / "m.json", model.to_json().encode())
    _error(path, "JSON", "model_from_json")


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_truncated_files(good, tmp_path, ext):
    _, root = good
    data = (root / f"m{ext}").read_bytes()
    for cut in (len(data) // 3, len(data) - 200):
        path = _write(tmp_path / f"cut{cut}{ext}", data[:cut])
        _error(path)


def test_corrupted_weights_inside_a_valid_archive(good, tmp_path):
    _, root = good
    with zipfile.ZipFile(root / "m.keras") as src, zipfile.ZipFile(tmp_path / "x.keras", "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, data[: len(data) // 2] if name == "model.weights.h5" else data)
    _error(str(tmp_path / "x.keras"), "damaged or truncated")


def test_weights_that_do_not_fit(good, tmp_path):
    _, root = good
    with zipfile.ZipFile(root / "m.keras") as zf:
        config = json.loads(zf.read("config.json"))
        weights = zf.read("model.weights.h5")
    config["config"]["layers"][1]["config"]["units"] = 3  # the LSTM now expects other shapes
    with zipfile.ZipFile(tmp_path / "y.keras", "w") as zf:
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", weights)
    _error(str(tmp_path / "y.keras"), "weights do not fit", "lstm")


def test_unknown_and_code_carrying_classes(tmp_path):
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "name": "i"}},
        {"class_name": "Lambda", "config": {"name": "lam", "function": ["4wEAAAAAAAAA", None, None],
                                            "function_type": "lambda"}}]}, "keras_version": "2.15.0"}
    with h5py.File(tmp_path / "lam.h5", "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode()
        f.attrs["keras_version"] = b"2.15.0"
    msg = _error(str(tmp_path / "lam.h5"), "Lambda", "never runs code", "custom_objects")
    config["config"]["layers"][1] = {"class_name": "Conv3DTranspose", "config": {"name": "c", "filters": 2}}
    with h5py.File(tmp_path / "conv.h5", "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode()
    msg = _error(str(tmp_path / "conv.h5"), "Unknown layer class 'Conv3DTranspose'", "custom_objects={'Conv3DTranspose'")
    assert "Bidirectional" in msg and "LSTM" in msg


def test_safe_mode_and_argument_checks(good):
    _, root = good
    with pytest.warns(UserWarning, match="never deserializes Python code"):
        load_model(root / "m.keras", safe_mode=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(root / "m.keras", safe_mode=True)
    with pytest.raises(TypeError, match="safe_mode"):
        load_model(root / "m.keras", safe_mode="no")
    with pytest.raises(TypeError, match="custom_objects"):
        load_model(root / "m.keras", custom_objects=["x"])


def test_save_arguments(good, tmp_path):
    model, _ = good
    with pytest.raises(ValueError, match="Invalid filepath extension"):
        model.save(str(tmp_path / "m.pt"))
    with pytest.raises(ValueError, match="not supported: \\['foo'\\]"):
        model.save(str(tmp_path / "m.keras"), foo=1)
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        model.save_weights(str(tmp_path / "w.bin"))
    with pytest.raises(ValueError, match="zipped=False"):
        model.save(str(tmp_path / "m.keras"), zipped=False)
    with pytest.warns(UserWarning, match="save_format"):
        model.save(str(tmp_path / "m.h5"), save_format="h5")
    assert not os.path.exists(tmp_path / "m.keras")


def test_overwrite_false_asks_as_keras_does(good, tmp_path, monkeypatch):
    model, _ = good
    path = str(tmp_path / "m.keras")
    model.save(path)
    before = os.path.getmtime(path)
    answers = iter(["maybe", "n"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    model.save(path, overwrite=False)
    assert os.path.getmtime(path) == before


def test_mangled_configs_give_value_errors(good, tmp_path):
    """Random damage to a real config: every outcome is a loaded model or a ValueError naming the file."""
    _, root = good
    with zipfile.ZipFile(root / "m.keras") as zf:
        config, weights = json.loads(zf.read("config.json")), zf.read("model.weights.h5")
    rng = np.random.default_rng(0)
    replacements = [None, 7, -1, "x", [], {}, [None], {"class_name": "Dense"}, True, 1e30]

    def paths(node, prefix=()):
        yield prefix
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            yield from paths(v, prefix + (k,))

    targets = [p for p in paths(config) if p]
    for trial in range(40):
        mangled = json.loads(json.dumps(config))
        path = targets[rng.integers(len(targets))]
        parent = mangled
        for k in path[:-1]:
            parent = parent[k]
        if rng.random() < 0.3 and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = replacements[rng.integers(len(replacements))]
        name = str(tmp_path / f"t{trial}.keras")
        with zipfile.ZipFile(name, "w") as zf:
            zf.writestr("config.json", json.dumps(mangled))
            zf.writestr("model.weights.h5", weights)
        try:
            load_model(name)
        except ValueError as e:
            assert name in str(e), (path, str(e))
