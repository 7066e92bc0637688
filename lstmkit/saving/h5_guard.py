"""Reading HDF5 files that may be hostile: what is checked before h5py (and libhdf5) touch the data.

- `check_heaps`: libhdf5 walks the objects of a global heap collection (where variable-length
  strings such as `model_config` live) and a local heap's free list (group member names) by lengths
  and offsets stored in the file. A zeroed object header in a global heap makes that walk stand
  still forever, and a free list that points back on itself never ends. Both structures are found
  by their signatures and walked here first, in bounded loops, and a file whose walk would not end
  is refused.
- `dataset`: a weight must be a plain dataset stored in the file: no soft or external links, no
  external or virtual storage (as Keras 3 refuses them).
- `check_dataset`: its shape and dtype are compared with what the model expects, and its declared
  size with what the file stores (a dataset can declare (10**6, 10**6) and store nothing), all
  before a byte of it is read.
"""

from __future__ import annotations

import math
import mmap
import os
import struct

import numpy as np

from lstmkit.saving.limits import readable_size

_UNDEFINED = 0xFFFFFFFFFFFFFFFF
_MASK = (1 << 64) - 1
# A dataset stores (at least) 1/_MAX_EXPANSION of what it declares once it declares over the floor:
# deflate cannot compress more than about 1032:1, and Keras writes weights uncompressed.
_MAX_EXPANSION = 2000
_EXPANSION_FLOOR = 1 << 20


def _global_heap_problem(buf, at):
    """Why libhdf5's walk of the global heap collection at `at` would not end (None if it ends)."""
    if len(buf) < at + 16 or buf[at + 4] != 1:
        return None
    size = struct.unpack_from("<Q", buf, at + 8)[0]
    if size < 16 or at + size > len(buf):
        return None  # libhdf5 cannot read it at all and reports an error
    p, end = 16, size
    while p < end:
        if p + 16 > end:
            break
        index = struct.unpack_from("<H", buf, at + p)[0]
        obj_size = struct.unpack_from("<Q", buf, at + p + 8)[0]
        need = (16 + ((obj_size + 7) & ~7 & _MASK)) & _MASK if index > 0 else obj_size
        new_p = (p + need) & _MASK
        if new_p <= p:
            return f"a global heap object at byte {at + p} has size {obj_size}, so reading it would never end"
        p = new_p
    return None


def _local_heap_problem(buf, at):
    """Why libhdf5's walk of the local heap's free list at `at` would not end (None if it ends)."""
    if len(buf) < at + 32 or buf[at + 4] != 0:
        return None
    data_size, free_head, data_addr = struct.unpack_from("<QQQ", buf, at + 8)
    if data_addr == _UNDEFINED or data_addr + data_size > len(buf):
        return None
    seen = set()
    block = free_head
    while block not in (1, _UNDEFINED):  # H5HL_FREE_NULL is 1
        if block >= data_size or block + 16 > data_size:
            return None  # libhdf5 reports a bad free list
        if block in seen:
            return f"the local heap at byte {at} has a free list that loops"
        seen.add(block)
        block = struct.unpack_from("<Q", buf, data_addr + block)[0]
        if block == 0:
            return None
    return None


def check_heaps(source, where):
    """Refuse an HDF5 file (a path or its bytes) whose heaps libhdf5 would walk forever."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        _scan(source, where)
        return
    size = os.path.getsize(source)
    if size == 0:
        return
    with open(source, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        _scan(buf, where)


def _scan(buf, where):
    for signature, problem_of in ((b"GCOL", _global_heap_problem), (b"HEAP", _local_heap_problem)):
        at = buf.find(signature)
        while at >= 0:
            problem = problem_of(buf, at)
            if problem:
                raise ValueError(f"{where}: the HDF5 file is damaged: {problem}.")
            at = buf.find(signature, at + 4)


def dataset(group, name, where):
    """The plain dataset `name` of `group` (no links to elsewhere, no external or virtual storage)."""
    import h5py

    link = group.get(name, getlink=True)
    if link is None:
        raise ValueError(f"{where}: '{group.name}/{name}' is missing.")
    if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
        raise ValueError(f"{where}: '{group.name}/{name}' is a {type(link).__name__}; weights must be stored "
                         "in the file itself.")
    obj = group[name]
    if not isinstance(obj, h5py.Dataset):
        raise ValueError(f"{where}: '{obj.name}' should be a dataset of weights, but is a {type(obj).__name__}.")
    if obj.external:
        raise ValueError(f"{where}: '{obj.name}' keeps its values in external files {obj.external!r:.120}; "
                         "weights must be stored in the file itself.")
    if obj.is_virtual:
        raise ValueError(f"{where}: '{obj.name}' is a virtual dataset; weights must be stored in the file itself.")
    return obj


def check_dataset(dset, where, expected_shape=None, label=None):
    """A problem (text) with the dataset's shape, dtype or storage, or None; reads no data."""
    label = label or f"'{dset.name}'"
    shape = tuple(int(d) for d in dset.shape) if dset.shape is not None else None
    if shape is None:
        return f"{label} in the file is empty (no dataspace)"
    if expected_shape is not None and shape != tuple(expected_shape):
        return f"{label} has shape {tuple(expected_shape)} in the model but {shape} in the file ('{dset.name}')"
    dtype = dset.dtype
    if dtype.kind not in "fiub" or dtype.itemsize > 8 or dtype.subdtype is not None:
        return f"'{dset.name}' in the file holds {dtype} values, not numbers"
    declared = math.prod(shape) * dtype.itemsize
    stored = dset.id.get_storage_size()
    if declared and (stored == 0 or declared > _EXPANSION_FLOOR and declared > _MAX_EXPANSION * stored):
        return (f"H5 dataset '{dset.name}' declares {readable_size(declared)} but only {readable_size(stored)} "
                "are stored")
    return None


def read(dset, where, expected_shape=None, label=None) -> np.ndarray:
    """The dataset's values, after `check_dataset` (a ValueError naming `where` otherwise)."""
    problem = check_dataset(dset, where, expected_shape, label)
    if problem:
        raise ValueError(f"{where}: {problem}.")
    return np.asarray(dset[()])


def read_optimizer_datasets(group, names, model, where) -> list:
    """The optimizer's saved variables, each checked first, and all together at most a few times the
    model's weights (an optimizer keeps a slot or two per weight, and a step count)."""
    datasets = [dataset(group, name, where) for name in names]
    weight_bytes = sum(math.prod(v.shape) * np.dtype(v.dtype).itemsize for v in model.weights)
    limit = 4 * weight_bytes + (1 << 20)
    declared = 0
    for dset in datasets:
        problem = check_dataset(dset, where)
        if problem:
            raise ValueError(f"{where}: the optimizer state is damaged: {problem}.")
        declared += math.prod(dset.shape) * dset.dtype.itemsize
        if declared > limit:
            raise ValueError(f"{where}: the optimizer state declares {readable_size(declared)} or more, more than "
                             f"an optimizer keeps for {readable_size(weight_bytes)} of weights.")
    return [np.asarray(dset[()]) for dset in datasets]
