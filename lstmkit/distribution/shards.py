"""The training methods under a distribution over a cluster of processes: each process's own shard.

`process_shards` wraps `fit`, `evaluate`, `predict`, `train_on_batch`, `test_on_batch` and
`predict_on_batch`. Outside a cluster, or without a distribution, it calls the method as it is.
Under a distribution over a cluster:

- every process but process 0 runs quietly (`verbose=0`): all run the same fit, process 0 shows it;
- with `auto_shard_dataset=True` (the default) every process passes the same arrays, and each device
  computes on its part of every batch (placement.py);
- with `auto_shard_dataset=False` each process passes its own shard of the arrays, as many rows in
  every process, and `batch_size` is its own part of each batch (as a per-process tf.data dataset's
  batches are in Keras): the global batch i is every process's batch i side by side, process 0's rows
  first, so the global batch size is `num_processes * batch_size`. The shards are gathered (one
  all-gather) and laid out batch by batch; the compiled programs then run as with the same arrays in
  every process. fit, evaluate and the `*_on_batch` methods return the global results (the same in
  every process); predict returns this process's own rows. `validation_split` takes the last fraction
  of each process's rows; `shuffle=True` shuffles all processes' rows together.

Arrays only (x, y and sample_weight as NumPy-like arrays, lists or dicts of them): a generator, a
`Sequence` or a `WindowedSeries` with auto_shard_dataset=False is a clear error, as is a stateful model.
"""

from __future__ import annotations

import functools
import inspect
import zlib

import jax
import numpy as np

from lstmkit.distribution import cluster, placement

# method name -> (its array arguments, whether batch_size is an argument, what it returns)
_METHODS = {
    "fit": (("x", "y", "sample_weight"), True, "global"),
    "evaluate": (("x", "y", "sample_weight"), True, "global"),
    "predict": (("x",), True, "rows"),
    "train_on_batch": (("x", "y", "sample_weight"), False, "global"),
    "test_on_batch": (("x", "y", "sample_weight"), False, "global"),
    "predict_on_batch": (("x",), False, "rows"),
}


def process_shards(method):
    """Decorate a training method of `Trainer` (see the module docstring)."""
    names, has_batch_size, returns = _METHODS[method.__name__]
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        d = placement.current()
        if d is None or cluster.client() is None:
            return method(self, *args, **kwargs)
        bound = signature.bind(self, *args, **kwargs)
        a = bound.arguments
        if "verbose" in signature.parameters and not placement.is_writer():
            a["verbose"] = 0
        if d.auto_shard_dataset or jax.process_count() == 1:
            return method(*bound.args, **bound.kwargs)
        where = f"{method.__name__}() under {type(d).__name__}(auto_shard_dataset=False) in {jax.process_count()} processes"
        if self._stateful_layers():
            raise ValueError(f"{where}: a stateful model is not supported (its states follow fixed rows of every "
                             "batch); pass the same arrays in every process with auto_shard_dataset=True.")
        local = {k: a.get(k) for k in names}
        n = _rows(local, where)
        val = None
        if method.__name__ == "fit":
            local, val = _validation(a, local, n, where)
            n = _rows(local, where)
        bs = n if not has_batch_size else min(_int_or(a.get("batch_size"), 32), n)
        val_bs = 0 if val is None else min(_int_or(a.get("validation_batch_size"), bs), _rows(val, where))
        _agree(local, val, n, bs, val_bs, where)
        p = jax.process_count()
        for k, v in _gather(local, bs).items():
            a[k] = v
        if has_batch_size:
            a["batch_size"] = p * bs
        if val is not None:
            g = _gather(val, val_bs)
            a["validation_data"] = tuple(g[k] for k in ("x", "y", "sample_weight") if k in g)
            a["validation_split"] = 0.0
            a["validation_batch_size"] = p * val_bs
        out = method(*bound.args, **bound.kwargs)
        if returns == "rows":
            out = jax.tree_util.tree_map(lambda o: np.asarray(o)[_own_rows(p, n, bs)], out)
        return out

    return wrapper


def _int_or(value, default):
    return default if value is None else int(value)


def _leaves(tree, name, where):
    leaves = jax.tree_util.tree_leaves(tree)
    for leaf in leaves:
        if not (isinstance(leaf, (np.ndarray, jax.Array)) or hasattr(leaf, "__array__")) or np.ndim(leaf) == 0:
            raise ValueError(f"{where}: `{name}` must be this process's own rows as arrays (NumPy arrays, or a "
                             f"list or dict of them); received {type(tree).__name__}. Generators, Sequences and "
                             "WindowedSeries need auto_shard_dataset=True (the same data in every process).")
    return leaves


def _rows(local, where):
    """The number of rows of this process's arrays (each the same)."""
    sizes = {}
    for name, tree in local.items():
        if tree is not None:
            for leaf in _leaves(tree, name, where):
                sizes.setdefault(np.shape(leaf)[0], name)
    if len(sizes) != 1:
        raise ValueError(f"{where}: this process's arrays must all have as many rows; received "
                         f"{', '.join(f'{n} rows in `{k}`' for n, k in sizes.items()) or 'no arrays'}.")
    return next(iter(sizes))


def _validation(a, local, n, where):
    """fit's validation data: this process's own (validation_data), or the last fraction of its rows."""
    vd, split = a.get("validation_data"), a.get("validation_split") or 0.0
    if vd is not None:
        if not isinstance(vd, (tuple, list)) or len(vd) not in (2, 3):
            raise ValueError(f"{where}: `validation_data` must be this process's own (x_val, y_val) or "
                             f"(x_val, y_val, val_sample_weight) arrays; received {type(vd).__name__}.")
        return local, dict(zip(("x", "y", "sample_weight"), vd))
    if not split:
        return local, None
    if not 0.0 < split < 1.0:
        raise ValueError(f"`validation_split` must be between 0 and 1 (exclusive); received {split}.")
    at = int(np.floor(n * (1.0 - split)))
    if at in (0, n):
        raise ValueError(f"{where}: validation_split={split} with this process's {n} rows leaves none for "
                         f"{'training' if at == 0 else 'validation'}.")
    cut = lambda tree, s: None if tree is None else jax.tree_util.tree_map(lambda v: np.asarray(v)[s], tree)
    return ({k: cut(v, slice(None, at)) for k, v in local.items()},
            {k: cut(v, slice(at, None)) for k, v in local.items()})


def _signature(trees):
    """A number that differs when the arrays' structure, trailing shapes or dtypes differ."""
    parts = []
    for name, tree in trees.items():
        if tree is not None:
            leaves, treedef = jax.tree_util.tree_flatten(tree)
            parts.append((name, str(treedef), [(np.shape(v)[1:], np.asarray(v).dtype.str) for v in leaves]))
    return zlib.crc32(repr(parts).encode()) & 0x7FFFFFFF  # an int32 (JAX's default integers)


def _agree(local, val, n, bs, val_bs, where):
    """Every process must pass arrays alike (rows, batch size, shapes, dtypes): else a ValueError in all of
    them, rather than collectives that never meet."""
    from jax.experimental import multihost_utils

    mine = np.array([n, bs, -1 if val is None else _rows(val, where), val_bs, _signature(local),
                     _signature(val or {})], np.int32)
    every = np.asarray(multihost_utils.process_allgather(mine))
    if (every == every[0]).all():
        return
    described = "; ".join(f"process {i}: {r[0]} rows, batch_size {r[1]}" + (f", {r[2]} validation rows"
                                                                           if r[2] >= 0 else "")
                          for i, r in enumerate(every))
    raise ValueError(f"{where}: every process must pass as many rows, the same batch_size and arrays of the "
                     f"same shapes and dtypes (each its own rows); received {described}"
                     + ("" if (every[:, :4] != every[0, :4]).any() else " (the arrays' shapes or dtypes differ)")
                     + ".")


def _interleave(stacked, bs):
    """(processes, n, ...) -> (processes * n, ...) whose batch i (of processes * bs rows) is every
    process's batch i (of bs rows) side by side; the last, partial batches likewise."""
    p, n = stacked.shape[:2]
    rest = stacked.shape[2:]
    full = n // bs * bs
    head = stacked[:, :full].reshape((p, n // bs, bs) + rest).swapaxes(0, 1).reshape((p * full,) + rest)
    return np.concatenate([head, stacked[:, full:].reshape((p * (n - full),) + rest)])


def _gather(local, bs):
    """Every process's shard of each array, gathered and laid out batch by batch (None stays None)."""
    from jax.experimental import multihost_utils

    out = {}
    for name, tree in local.items():
        if tree is None:
            out[name] = None
            continue
        arrays = jax.tree_util.tree_map(np.asarray, tree)
        stacked = multihost_utils.process_allgather(arrays)
        out[name] = jax.tree_util.tree_map(lambda s: _interleave(np.asarray(s), bs), stacked)
    return out


def _own_rows(p, n, bs):
    """Where this process's rows are in the global (interleaved) rows, in its own order."""
    ids = _interleave(np.arange(p * n).reshape(p, n), bs)
    me = jax.process_index()
    return np.argsort(ids, kind="stable")[me * n:(me + 1) * n]
