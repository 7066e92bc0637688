"""Hostile files: sizes a file claims are checked before anything is built or read, reading is bounded
in time, and a file whose config and weights disagree is an error (each case loaded silently, hung,
crashed or allocated gigabytes before)."""

import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit.models import Sequential, load_model
from lstmkit.saving import limits

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPO = str(Path(__file__).resolve().parent.parent.parent)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Small models saved by lstmkit, as .keras and .h5."""
    root = tmp_path_factory.mktemp("hostile")
    seq = Sequential([lstmkit.Input((3, 1)), L.LSTM(2), L.RepeatVector(3), L.LSTM(2, return_sequences=True),
                      L.Dense(1)], name="seq")
    dense = Sequential([lstmkit.Input((3,)), L.Dense(3), L.Dense(3), L.Dense(3)], name="dense")
    out = {}
    for model, name in ((seq, "seq"), (dense, "dense")):
        for ext in (".keras", ".h5"):
            path = str(root / f"{name}{ext}")
            model.save(path)
            out[name + ext] = path
    out["root"] = root
    return out


def _edit_keras(src, dst, edit_config=None, edit_weights=None):
    with zipfile.ZipFile(src) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    if edit_config is not None:
        config = json.loads(entries["config.json"])
        entries["config.json"] = json.dumps(edit_config(config) or config).encode()
    if edit_weights is not None:
        entries["model.weights.h5"] = edit_weights(entries["model.weights.h5"])
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return str(dst)


def _edit_h5_config(src, dst, edit):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        f.attrs["model_config"] = json.dumps(edit(config) or config).encode()
    return str(dst)


def _error(path, *patterns, kind=ValueError):
    with pytest.raises(kind) as e:
        load_model(path)
    msg = str(e.value)
    assert str(path) in msg, msg
    for p in patterns:
        assert p in msg, msg
    return msg


def _layer(config, class_name):
    return next(l for l in config["config"]["layers"] if l["class_name"] == class_name)


# ----------------------------------------------------------------------------------------------- sizes
def test_a_repeat_vector_of_a_billion_is_refused_before_building(files, tmp_path):
    def edit(config):
        _layer(config, "RepeatVector")["config"]["n"] = 10 ** 9

    path = _edit_keras(files["seq.keras"], tmp_path / "n.keras", edit)
    _error(path, "`n` = 1000000000", "RepeatVector", "set_load_limits")


def test_an_activation_over_the_limit_names_the_layer(files, tmp_path):
    def edit(config):
        _layer(config, "RepeatVector")["config"]["n"] = 10 ** 5  # a valid size: (None, 100000, 2) per sample

    path = _edit_keras(files["seq.keras"], tmp_path / "act.keras", edit)
    with limits.load_limits(max_activation_bytes=1 << 16):
        _error(path, "layer 'repeat_vector", "(None, 100000, 2)", "for one sample")


def test_more_units_than_the_file_stores_fails_before_the_weights_exist(files, tmp_path):
    def edit(config):
        config["config"]["layers"][1]["config"]["units"] = 2000  # 2000 x 8000 recurrent kernel, orthogonal

    path = _edit_keras(files["seq.keras"], tmp_path / "units.keras", edit)
    started = time.perf_counter()
    _error(path, "weights do not fit", "the file holds in all")  # found while building, before allocating
    assert time.perf_counter() - started < 3.0


def test_the_weight_budget_names_the_layer_and_the_size(files, tmp_path):
    with limits.load_limits(max_weight_bytes=64):
        _error(files["seq.keras"], "layer 'lstm", "over the 64 B", "set_load_limits")
    with pytest.raises(ValueError, match="positive whole number"):
        limits.set_load_limits(max_weight_bytes=-1)
    with pytest.raises(TypeError, match="unknown limit"):
        limits.set_load_limits(max_weights=1)
    load_model(files["seq.keras"])  # the default is back


@pytest.mark.parametrize("value", [-4, 2.5, 2 ** 31])
def test_batch_shape_entries_must_be_whole_numbers_in_range(files, tmp_path, value):
    def edit(config):
        config["config"]["layers"][0]["config"]["batch_shape"][1] = value

    path = _edit_keras(files["seq.keras"], tmp_path / "shape.keras", edit)
    _error(path, "batch_shape")


@pytest.mark.parametrize("depth", [500, 100_000])
def test_a_deeply_nested_config_is_a_value_error(files, tmp_path, depth):
    def nest(config):
        text = json.dumps(config)
        text = text.replace('"name": "seq"', '"name": "seq", "x": ' + "[" * depth + "]" * depth, 1)
        return json.loads(text) if depth < 900 else text

    with zipfile.ZipFile(files["seq.keras"]) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    nested = nest(json.loads(entries["config.json"]))
    entries["config.json"] = (nested if isinstance(nested, str) else json.dumps(nested)).encode()
    path = str(tmp_path / "deep.keras")
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    _error(path, "nested")


def test_too_many_layers(files, tmp_path):
    def edit(config):
        layers = config["config"]["layers"]
        layers.extend({"class_name": "Dense", "config": {"units": 1, "name": f"d{i}"}} for i in range(30))

    path = _edit_h5_config(files["dense.h5"], tmp_path / "wide.h5", edit)
    with limits.load_limits(max_layers=20):
        _error(path, "more than 20 layers")


# ----------------------------------------------------------------------------------------------- datasets
def _replace_dataset(path, name, **kwargs):
    with h5py.File(path, "r+") as f:
        del f[name]
        f.create_dataset(name, **kwargs)


def test_a_dataset_that_declares_more_than_it_stores(files, tmp_path):
    path = str(tmp_path / "bomb.h5")
    shutil.copyfile(files["dense.h5"], path)
    with h5py.File(path, "r") as f:
        name = "model_weights/dense/dense/kernel"
        name = name if name in f else next(n for n in _datasets(f) if n.endswith("kernel") or "kernel:" in n)
    _replace_dataset(path, name, shape=(10 ** 6, 10 ** 6), dtype="float64", chunks=True, compression="gzip")
    _error(path, "(3, 3) in the model but (1000000, 1000000) in the file")
    _replace_dataset(path, name, shape=(3, 3), dtype="float32", chunks=True)  # right shape, nothing stored
    _error(path, "declares 36 B but only 0 B are stored")
    _replace_dataset(path, name, data=np.array([b"abc"] * 9).reshape(3, 3))
    _error(path, "not numbers")


def _datasets(f):
    out = []
    f.visititems(lambda n, o: out.append(n) if isinstance(o, h5py.Dataset) else None)
    return out


def test_a_deflated_weights_member_that_expands_like_a_bomb(files, tmp_path):
    with zipfile.ZipFile(files["seq.keras"]) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    path = str(tmp_path / "zipbomb.keras")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data + bytes(20 << 20) if name == "model.weights.h5" else data)
    _error(path, "zip bomb")


def _zero_a_global_heap(src, dst):
    data = bytearray(Path(src).read_bytes())
    at = data.find(b"GCOL")
    assert at >= 0
    data[at + 16:at + 32] = bytes(16)  # its first object: index 0, size 0
    Path(dst).write_bytes(bytes(data))
    return str(dst)


def test_a_zeroed_global_heap_does_not_hang(tmp_path):
    # libhdf5 walks a global heap collection by its objects' sizes: a zeroed object stands still forever.
    path = _zero_a_global_heap(FIXTURES / "keras2" / "encoder_decoder.h5", tmp_path / "heap.h5")
    script = textwrap.dedent(f"""
        from lstmkit.models import load_model
        try:
            load_model({path!r})
        except ValueError as e:
            print("ValueError", e)
    """)
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": REPO}
    try:
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail("loading a file with a zeroed global heap hangs")
    assert "ValueError" in out.stdout and path in out.stdout and "global heap" in out.stdout, out.stdout + out.stderr


# ----------------------------------------------------------------------------------------------- disagreement
def test_an_h5_without_input_layer_and_build_config(tmp_path):
    def edit(config):
        config["config"]["layers"] = [l for l in config["config"]["layers"] if l["class_name"] != "InputLayer"]
        for layer in config["config"]["layers"]:
            layer.pop("build_config", None)
            layer["config"].pop("batch_input_shape", None)
        config["config"].pop("build_input_shape", None)

    path = _edit_h5_config(FIXTURES / "keras3" / "lstm.h5", tmp_path / "unbuilt.h5", edit)
    _error(path, "does not give the model's input shape")


def test_an_empty_layers_list(files, tmp_path):
    def edit(config):
        config["config"]["layers"] = []

    _error(_edit_keras(files["dense.keras"], tmp_path / "empty.keras", edit), "no layers")
    _error(_edit_h5_config(files["dense.h5"], tmp_path / "empty.h5", edit), "no layers")


def test_an_h5_with_the_lstm_removed_from_its_config(tmp_path):
    def edit(config):
        config["config"]["layers"] = [l for l in config["config"]["layers"] if l["class_name"] != "LSTM"]

    path = _edit_h5_config(FIXTURES / "keras3" / "lstm.h5", tmp_path / "nolstm.h5", edit)
    _error(path, "holds weights for layer(s) ['lstm", "disagree")


def test_a_keras_file_with_a_layer_removed_from_its_config(files, tmp_path):
    def edit(config):
        config["config"]["layers"].pop()  # the last Dense(3): its weights stay in the file

    path = _edit_keras(files["dense.keras"], tmp_path / "nolayer.keras", edit)
    _error(path, "no layer of the model takes", "dense_2")


def test_a_weight_dataset_missing_from_a_keras_file(files, tmp_path):
    def edit(data):
        buf = tmp_path / "w.h5"
        buf.write_bytes(data)
        with h5py.File(buf, "r+") as f:
            del f["layers/dense_1/vars/1"]
        return buf.read_bytes()

    path = _edit_keras(files["dense.keras"], tmp_path / "missing.keras", edit_weights=edit)
    _error(path, "'layers/dense_1/vars' holds 1 weight(s) but the layer expects 2")

    def swap(data):  # the same count of values, one dataset short
        buf = tmp_path / "w2.h5"
        buf.write_bytes(data)
        with h5py.File(buf, "r+") as f:
            del f["layers/dense_1/vars/1"]
            f.create_dataset("layers/dense_2/vars/7", data=np.zeros(3, np.float32))
        return buf.read_bytes()

    path = _edit_keras(files["dense.keras"], tmp_path / "short.keras", edit_weights=swap)
    _error(path, "'layers/dense_1/vars' holds 1 weight(s) but the layer expects 2")


# ----------------------------------------------------------------------------------------------- errors
def test_errors_of_h5py_and_of_the_filesystem(files, tmp_path):
    data = bytearray((FIXTURES / "keras2" / "lstm_relu_hard_sigmoid.h5").read_bytes())
    data[6147:6211] = bytes(64)  # a symbol table node: h5py raises RuntimeError
    path = tmp_path / "broken.h5"
    path.write_bytes(bytes(data))
    _error(str(path), "RuntimeError")  # a ValueError naming the file, whatever h5py raised
    if os.geteuid() != 0:  # root reads any file
        locked = tmp_path / "locked.keras"
        shutil.copyfile(files["dense.keras"], locked)
        os.chmod(locked, 0)
        _error(str(locked), kind=PermissionError)


def test_load_weights_checks_before_reading(files, tmp_path):
    model = Sequential([lstmkit.Input((3,)), L.Dense(3), L.Dense(3), L.Dense(3)])
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    _replace_dataset(path, "layers/dense/vars/0", shape=(10 ** 6, 10 ** 6), dtype="float64", chunks=True)
    with pytest.raises(ValueError, match=r"\(1000000, 1000000\) in the file") as e:
        model.load_weights(path)
    assert path in str(e.value)
