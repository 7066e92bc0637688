"""Reading the datasets' pickled parts without running code from the file.

IMDB and Reuters keep ragged sequences as object arrays in their `.npz` files, and the CIFAR
batches are pickled dicts; numpy can only store either as a pickle stream. A pickle can name any
Python callable, so these are read with an unpickler that resolves only the few numpy names an
array needs (the same set Keras allows, plus `_frombuffer`, which newer pickle protocols use for
plain arrays). Everything else is built from pickle's own containers: lists, dicts, tuples, bytes,
strings and numbers.
"""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np

_ALLOWED = frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    # numpy < 2 writes `numpy.core`, numpy >= 2 `numpy._core`; files from either must load.
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
})


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds numpy arrays and plain containers, and refuses every other global."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"Refusing to deserialize `{module}.{name}` while loading a dataset file: "
                                     "the file may be corrupted or malicious.")


def _read_npy(stream, name, path):
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        _, _, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version in ((2, 0), (3, 0)):
        # Format 3.0 differs from 2.0 only in the header text's encoding (utf-8 instead of latin-1),
        # which the 2.0 reader decodes the same for the ASCII headers numpy writes.
        _, _, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f"'{path}': member '{name}' has an unsupported .npy format version {version}.")
    if not dtype.hasobject:
        stream.seek(0)
        return np.lib.format.read_array(stream, allow_pickle=False)
    array = RestrictedUnpickler(stream).load()
    if not isinstance(array, np.ndarray):
        raise ValueError(f"'{path}': member '{name}' holds a {type(array).__name__}, not a numpy array.")
    return array


def load_npz(path):
    """The arrays of an `.npz` file as a dict, object arrays included, without unpickling arbitrary objects."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[: -len(".npy")]] = _read_npy(io.BytesIO(raw.read()), member, path)
    return arrays


def load_cifar_batch(path, label_key="labels"):
    """`(data, labels)` of one CIFAR batch file: data as uint8 `(n, 3, 32, 32)`, labels as stored (a list).

    The batches were pickled by Python 2 with byte-string keys; they are read with
    `encoding="bytes"` and the keys decoded, as Keras does.
    """
    with open(path, "rb") as f:
        batch = RestrictedUnpickler(f, encoding="bytes").load()
    if not isinstance(batch, dict):
        raise ValueError(f"'{path}' is not a CIFAR batch: it holds a {type(batch).__name__}, not a dict.")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or label_key not in batch:
        raise ValueError(f"'{path}' is not a CIFAR batch: expected the keys 'data' and '{label_key}', "
                         f"found {sorted(map(str, batch))}.")
    data, labels = batch["data"], batch[label_key]
    if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2 and data.shape[1] == 3072):
        raise ValueError(f"'{path}': 'data' must be a uint8 array of shape (n, 3072); found "
                         f"{getattr(data, 'dtype', type(data).__name__)} {getattr(data, 'shape', '')}.")
    if not isinstance(labels, (list, np.ndarray)) or len(labels) != data.shape[0]:
        raise ValueError(f"'{path}': '{label_key}' must be a list of {data.shape[0]} labels.")
    return data.reshape(data.shape[0], 3, 32, 32), labels
