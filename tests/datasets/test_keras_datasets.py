"""lstmkit.datasets against keras.datasets, both reading the same small fake files from one cache folder.

The files are written here in Keras's formats (object-array .npz files, gzipped IDX files, CIFAR
batch pickles in a tar archive) into a temporary Keras home. Keras is pointed at that folder and
its hash check is switched off (the fake files cannot have the real files' hashes); lstmkit's
hash constants are set to the fake files' hashes, so its hash check runs. Keras never downloads.
"""

import ast
import gzip
import hashlib
import io
import json
import os
import pickle
import shutil
import socket
import sys
import tarfile
import tempfile

import numpy as np
import pytest

from lstmkit import datasets
from lstmkit.backend import config as lk_config
from lstmkit.datasets import (_safe_load, boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb,
                              mnist, reuters)
from lstmkit.utils.file_utils import DownloadError


def _sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def _ragged(rng, n, vocab=40, longest=9):
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = [int(w) for w in rng.integers(1, vocab, size=rng.integers(1, longest))]
    return out


def _cifar_pickle(path, data, **labels):
    batch = {b"batch_label": b"fake", b"data": data, b"filenames": [b"f"] * len(data)}
    batch.update({k.encode(): v for k, v in labels.items()})
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=4)   # Python 3 pickles bytes natively from protocol 3 on


def _tar_folder(archive, folder, arcname, mode):
    with tarfile.open(archive, mode) as tar:
        tar.add(folder, arcname=arcname)


def _idx(path, header, values):
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header + values.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A Keras home whose datasets/ folder holds every dataset's fake file (CIFAR-10's is made on demand)."""
    root = tmp_path_factory.mktemp("keras_home")
    d = root / "datasets"
    d.mkdir()
    rng = np.random.default_rng(0)
    np.savez(d / "imdb.npz", x_train=_ragged(rng, 30), y_train=rng.integers(0, 2, 30), x_test=_ragged(rng, 20),
             y_test=rng.integers(0, 2, 20))
    np.savez(d / "reuters.npz", x=_ragged(rng, 41), y=rng.integers(0, 46, 41))
    for name in ("imdb_word_index.json", "reuters_word_index.json"):
        (d / name).write_text(json.dumps({"the": 1, "and": 2, "film": 3}))
    np.savez(d / "mnist.npz", x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 6, dtype=np.uint8), x_test=rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 4, dtype=np.uint8))
    (d / "fashion-mnist").mkdir()
    for prefix, n in (("train", 5), ("t10k", 3)):
        _idx(d / "fashion-mnist" / f"{prefix}-labels-idx1-ubyte.gz", b"\0\0\x08\x01" + n.to_bytes(4, "big"),
             rng.integers(0, 10, n))
        _idx(d / "fashion-mnist" / f"{prefix}-images-idx3-ubyte.gz",
             b"\0\0\x08\x03" + n.to_bytes(4, "big") + (28).to_bytes(4, "big") * 2, rng.integers(0, 256, n * 784))
    src = root / "c100" / "cifar-100-python"
    src.mkdir(parents=True)
    for name, n in (("train", 7), ("test", 3)):
        _cifar_pickle(src / name, rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                      fine_labels=[int(v) for v in rng.integers(0, 100, n)],
                      coarse_labels=[int(v) for v in rng.integers(0, 20, n)])
    _tar_folder(d / "cifar-100-python-target_archive", src, "cifar-100-python", "w:gz")
    np.savez(d / "boston_housing.npz", x=rng.normal(size=(51, 13)), y=rng.normal(size=51))
    np.savez(d / "california_housing.npz", x=rng.normal(size=(650, 8)).astype("float32"),
             y=rng.normal(size=650).astype("float32"))
    return root


_HASHED = [(imdb, "_HASH", "imdb.npz"), (imdb, "_WORD_INDEX_HASH", "imdb_word_index.json"),
           (reuters, "_HASH", "reuters.npz"), (reuters, "_WORD_INDEX_HASH", "reuters_word_index.json"),
           (mnist, "_HASH", "mnist.npz"), (cifar100, "_HASH", "cifar-100-python-target_archive"),
           (boston_housing, "_HASH", "boston_housing.npz"), (california_housing, "_HASH", "california_housing.npz")]


@pytest.fixture
def both(home, monkeypatch):
    """lstmkit and Keras pointed at the fake Keras home."""
    import keras
    from keras.src.backend import config as keras_config
    from keras.src.utils import file_utils as keras_file_utils

    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(home))
    monkeypatch.setattr(keras_file_utils, "validate_file", lambda *a, **k: True)
    for module, attr, name in _HASHED:
        digest = _sha256 if len(getattr(module, attr)) == 64 else _md5
        monkeypatch.setattr(module, attr, digest(home / "datasets" / name))
    return keras


def assert_same(ours, theirs):
    if isinstance(theirs, (tuple, list)) and not isinstance(theirs, np.ndarray):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
        return
    assert isinstance(ours, np.ndarray) and isinstance(theirs, np.ndarray)
    assert (ours.shape, ours.dtype, ours.flags.c_contiguous) == (theirs.shape, theirs.dtype, theirs.flags.c_contiguous)
    if theirs.dtype == object:
        assert [list(s) for s in ours.ravel()] == [list(s) for s in theirs.ravel()]
        assert [type(w) for s in ours.ravel() for w in s] == [type(w) for s in theirs.ravel() for w in s]
    else:
        assert np.array_equal(ours, theirs)   # (assert_array_equal takes seconds on CIFAR-10's 150 MB)


_TEXT_ARGS = [{}, {"num_words": 20}, {"skip_top": 5, "num_words": 30}, {"maxlen": 6}, {"start_char": None},
              {"oov_char": None, "num_words": 25}, {"index_from": 0, "start_char": None}, {"seed": 7},
              {"start_char": 9, "oov_char": 4, "index_from": 10, "num_words": 35, "maxlen": 8}]


@pytest.mark.parametrize("kwargs", _TEXT_ARGS)
def test_imdb_matches_keras(both, kwargs):
    assert_same(imdb.load_data(**kwargs), both.datasets.imdb.load_data(**kwargs))


@pytest.mark.parametrize("kwargs", _TEXT_ARGS + [{"test_split": 0.35}, {"test_split": 0.0, "seed": 3}])
def test_reuters_matches_keras(both, kwargs):
    assert_same(reuters.load_data(**kwargs), both.datasets.reuters.load_data(**kwargs))


def test_word_indices_and_labels(both):
    assert imdb.get_word_index() == both.datasets.imdb.get_word_index() == {"the": 1, "and": 2, "film": 3}
    assert reuters.get_word_index() == both.datasets.reuters.get_word_index()
    assert reuters.get_label_names() == both.datasets.reuters.get_label_names()
    assert len(reuters.get_label_names()) == 46


def test_imdb_maxlen_that_keeps_nothing(both):
    with pytest.raises(ValueError, match=r"no sequence was kept\. Increase maxlen") as ours:
        imdb.load_data(maxlen=1)
    with pytest.raises(ValueError) as theirs:
        both.datasets.imdb.load_data(maxlen=1)
    assert str(ours.value) == str(theirs.value)


def test_legacy_and_unknown_keywords(both):
    with pytest.warns(UserWarning, match="renamed `num_words`"):
        assert_same(imdb.load_data(nb_words=20), both.datasets.imdb.load_data(num_words=20))
    with pytest.warns(UserWarning, match=r"ignores these arguments, as Keras does: \['shuffle'\]"):
        assert_same(imdb.load_data(shuffle=False), both.datasets.imdb.load_data())
    with pytest.raises(TypeError, match="unexpected keyword argument 'shuffle'"):
        reuters.load_data(shuffle=False)


def test_mnist_and_fashion_mnist_match_keras(both):
    assert_same(mnist.load_data(), both.datasets.mnist.load_data())
    ours = fashion_mnist.load_data()
    assert_same(ours, both.datasets.fashion_mnist.load_data())
    assert ours[0][0].shape == (5, 28, 28) and ours[0][0].dtype == np.uint8


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_cifar100_matches_keras(both, label_mode, data_format):
    before = lk_config.image_data_format(), both.config.image_data_format()
    lk_config.set_image_data_format(data_format)
    both.config.set_image_data_format(data_format)
    try:
        ours = cifar100.load_data(label_mode)
        assert_same(ours, both.datasets.cifar100.load_data(label_mode))
    finally:
        lk_config.set_image_data_format(before[0])
        both.config.set_image_data_format(before[1])
    assert ours[0][0].shape == ((7, 32, 32, 3) if data_format == "channels_last" else (7, 3, 32, 32))


def test_cifar100_bad_label_mode():
    with pytest.raises(ValueError, match='`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode=x'):
        cifar100.load_data("x")


def test_cifar10_matches_keras(both, monkeypatch):
    # Keras's CIFAR-10 reader insists on five training batches of exactly 10,000 images, so this
    # archive is full-sized (185 MB); it is written to RAM (/dev/shm) when there is one, and removed.
    scratch = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        keras_home = os.path.join(scratch, "home")
        monkeypatch.setenv("KERAS_HOME", keras_home)
        from keras.src.backend import config as keras_config
        monkeypatch.setattr(keras_config, "_KERAS_DIR", keras_home)
        os.makedirs(os.path.join(keras_home, "datasets"))
        pattern = np.lib.stride_tricks.sliding_window_view(np.tile(np.arange(3169).astype(np.uint8), 2), 3072)[:97]
        pattern = np.ascontiguousarray(np.tile(pattern, (104, 1))[:10000])
        archive = os.path.join(keras_home, "datasets", "cifar-10-batches-py-target_archive")
        with tarfile.open(archive, "w") as tar:
            tar.copybufsize = 1 << 22
            for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
                buffer = io.BytesIO()
                pickle.dump({b"data": pattern + np.uint8(37 * i), b"labels": [(j * 3 + i) % 10 for j in range(10000)]},
                            buffer, protocol=4)
                info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
                info.size = buffer.tell()
                buffer.seek(0)
                tar.addfile(info, buffer)
        monkeypatch.setattr(cifar10, "_HASH", None)   # hashing 185 MB twice costs seconds; tested on the others
        (x_train, y_train), (x_test, y_test) = ours = cifar10.load_data()
        theirs = both.datasets.cifar10.load_data()
        assert x_train.shape == (50000, 32, 32, 3) and y_test.shape == (10000, 1)
        assert y_train.dtype == y_test.dtype == np.uint8
        for a, b in zip((x_train, y_train, x_test, y_test), (*theirs[0], *theirs[1])):
            assert (a.shape, a.dtype, a.strides) == (b.shape, b.dtype, b.strides)
        # Compared in memory order (transposed back), which is many times faster than through the views.
        assert np.array_equal(x_train.transpose(0, 3, 1, 2), theirs[0][0].transpose(0, 3, 1, 2))
        assert np.array_equal(x_test, theirs[1][0])
        assert np.array_equal(y_train, theirs[0][1]) and np.array_equal(y_test, theirs[1][1])
        assert x_train[10000, 0, 0, 0] == 37 and y_train[10001, 0] == 4   # batch 2 follows batch 1
    finally:
        shutil.rmtree(scratch)


def test_housing_matches_keras(both):
    for kwargs in ({}, {"test_split": 0.0}, {"test_split": 0.5, "seed": 1}):
        assert_same(boston_housing.load_data(**kwargs), both.datasets.boston_housing.load_data(**kwargs))
    for kwargs in ({}, {"version": "small"}, {"version": "small", "test_split": 0.25, "seed": 5}):
        assert_same(california_housing.load_data(**kwargs), both.datasets.california_housing.load_data(**kwargs))
    (x_train, y_train), (x_test, _) = california_housing.load_data(version="small")
    assert x_train.shape == (480, 8) and x_test.shape == (120, 8) and y_train.dtype == np.float32


def test_housing_bad_arguments():
    for load in (boston_housing.load_data, california_housing.load_data):
        with pytest.raises(ValueError, match=r"Invalid `test_split` argument: 1. It must be between 0 and 1"):
            load(test_split=1)
    with pytest.raises(ValueError, match="Argument `version` must be one of 'small', 'large'. Received: version=big"):
        california_housing.load_data(version="big")


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_network_names_the_file_and_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", f"http://127.0.0.1:{_closed_port()}/")
    with pytest.raises(DownloadError) as info:
        mnist.load_data()
    assert "'mnist.npz'" in str(info.value) and os.path.join(str(tmp_path), "datasets", "mnist.npz") in str(info.value)


def test_a_cached_file_with_another_hash_is_not_used(tmp_path, monkeypatch):
    # A stale or tampered mnist.npz: lstmkit tries to fetch the real one instead of reading it.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    np.savez(tmp_path / "datasets" / "mnist.npz", x_train=np.zeros(1))
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", f"http://127.0.0.1:{_closed_port()}/")
    with pytest.raises(DownloadError, match="mnist.npz by hand .the file there now does not have the expected hash"):
        mnist.load_data()


# --- the restricted unpickler (Keras's npz_utils_test, ported, and the CIFAR batches) ----------

def test_load_npz_ragged_and_numeric(tmp_path):
    xs = np.array([[1, 14, 22], [1, 194], [1, 14, 47, 8]], dtype=object)
    np.savez(tmp_path / "ragged.npz", x=xs, y=np.array([1, 0, 1]), b=np.ones((3, 4), dtype="float32"))
    loaded = _safe_load.load_npz(tmp_path / "ragged.npz")
    assert [list(s) for s in loaded["x"]] == [[1, 14, 22], [1, 194], [1, 14, 47, 8]]
    np.testing.assert_array_equal(loaded["y"], [1, 0, 1])
    assert loaded["b"].shape == (3, 4) and loaded["b"].dtype == np.float32


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_load_npz_refuses_a_pickle_gadget(tmp_path):
    marker = tmp_path / "marker"
    payload = np.empty(1, dtype=object)
    payload[0] = _Exploit(marker)
    np.savez(tmp_path / "evil.npz", x=payload)
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        _safe_load.load_npz(tmp_path / "evil.npz")
    assert not marker.exists()


def test_cifar_batch_refuses_a_pickle_gadget(tmp_path):
    marker = tmp_path / "marker"
    with open(tmp_path / "data_batch_1", "wb") as f:
        pickle.dump({b"data": _Exploit(marker), b"labels": [0]}, f, protocol=4)
    with pytest.raises(pickle.UnpicklingError, match="Refusing to deserialize `posix.system`"):
        _safe_load.load_cifar_batch(tmp_path / "data_batch_1")
    assert not marker.exists()


def test_cifar_batch_of_the_wrong_shape(tmp_path):
    _cifar_pickle(tmp_path / "b", np.zeros((2, 100), np.uint8), labels=[0, 1])
    with pytest.raises(ValueError, match=r"'data' must be a uint8 array of shape \(n, 3072\)"):
        _safe_load.load_cifar_batch(tmp_path / "b")
    _cifar_pickle(tmp_path / "c", np.zeros((2, 3072), np.uint8), fine_labels=[0, 1])
    with pytest.raises(ValueError, match="expected the keys 'data' and 'labels'"):
        _safe_load.load_cifar_batch(tmp_path / "c")


# --- the package ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist",
                                  "imdb", "mnist", "reuters"])
def test_signatures_are_kerass(name):
    import importlib
    import inspect

    keras_module = importlib.import_module(f"keras.datasets.{name}")
    for function in ("load_data", "get_word_index", "get_label_names"):
        if hasattr(keras_module, function):
            assert inspect.signature(getattr(getattr(datasets, name), function)) == \
                inspect.signature(getattr(keras_module, function)), (name, function)


def test_get_file_signature_is_kerass():
    import inspect

    import keras
    from lstmkit.utils import get_file

    assert inspect.signature(get_file) == inspect.signature(keras.utils.get_file)


def test_package_layout_and_paths():
    import importlib

    for name in datasets.__all__:
        assert importlib.import_module(f"lstmkit.datasets.{name}") is getattr(datasets, name)
    assert set(datasets.__all__) == {"boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist",
                                     "imdb", "mnist", "reuters"}


def test_modules_import_only_the_standard_library_and_numpy():
    # Importing lstmkit.datasets must stay cheap: no JAX, Keras or pandas at module level.
    folder = os.path.dirname(datasets.__file__)
    allowed = set(sys.stdlib_module_names) | {"numpy", "lstmkit"}
    for name in os.listdir(folder):
        if name.endswith(".py"):
            tree = ast.parse(open(os.path.join(folder, name)).read())
            for node in tree.body:
                if isinstance(node, ast.Import):
                    roots = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    roots = [node.module]
                    if node.module.startswith("lstmkit"):
                        assert node.module in ("lstmkit.datasets", "lstmkit.utils.file_utils") or \
                            node.module.startswith("lstmkit.datasets."), (name, node.module)
                else:
                    continue
                assert {r.split(".")[0] for r in roots} <= allowed, (name, roots)
