"""The engine's hooks: how compiled programs run under the current distribution.

Without a distribution every hook returns what it was given. With one:

- `arguments` places a program's inputs on the mesh before the call: weights, optimizer state and data
  replicated (weights laid out by a `ModelParallel`'s `LayoutMap` where it says so); for the
  many-models program, everything that has one row per model is split over the batch axis (each
  device trains its share of the models).
- `constrain_batch` (called while tracing) splits each batch over the distribution's batch axis with
  `jax.lax.with_sharding_constraint`: each device computes the loss and gradients of its part of the
  batch, and XLA inserts the all-reduce of the gradients, because the weights are replicated.
- `program_key` keeps programs traced for one mesh apart from those for another (or for none).
- `results` (several processes only) makes a program's split outputs whole on every process, so the
  host can read them (logs, predictions, weights).

The data are whole on every device (every process passes the same arrays); a device only computes on
its part of each batch.
"""

from __future__ import annotations

import contextlib

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from lstmkit.distribution import cluster
from lstmkit.distribution import distribution_lib as lib

_tracing = {"kind": None}  # the kind of program being traced ("epochs", "many", ...)


def current():
    return lib._current["distribution"]


def is_writer():
    """False only in a process other than process 0 of a cluster while a distribution is set.

    Every process then runs the same fit and holds the same weights, so process 0 alone writes files
    (`lstmkit.distribution.files`) and prints progress; a lone process, or processes that train
    separately (no distribution), each write their own."""
    return lib._current["distribution"] is None or cluster.client() is None or cluster.cluster_process_id() == 0


def lockstep():
    """True in a cluster's processes while a distribution is set: every process must then make the same
    sequence of program calls (each call's collectives pair with the other processes'), so the engine's
    schedule may depend on nothing that differs between them (a terminal, verbosity, timings)."""
    return lib._current["distribution"] is not None and cluster.client() is not None


def barrier(name):
    """In lockstep (see above), wait until every process of the cluster gets here; else return at once."""
    if lockstep():
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(f"lstmkit:{name}")


def check_stateful_batch(batch_size):
    """A stateful model's fixed batch must split over the batch axis (its states are split with it):
    a `ValueError` before anything compiles, in every mode (predict and evaluate too)."""
    d = lib._current["distribution"]
    if d is None or batch_size is None:
        return
    k = _mesh_axis_size(d)
    if batch_size % k:
        raise ValueError(
            f"Under {type(d).__name__}, each batch is split over the {k} devices of the mesh axis "
            f"'{d.batch_dim_name}', and so are a stateful model's states; this stateful model has batch size "
            f"{batch_size}, which {k} does not divide. Build it with a batch size that is a multiple of {k} "
            f"(e.g. {batch_size + (k - batch_size % k)}).")


def program_key(key):
    """The program key, extended by what the current distribution's program depends on."""
    d = lib._current["distribution"]
    return key if d is None else tuple(key) + (("distribution", d._program_key()),)


@contextlib.contextmanager
def tracing(key):
    """While the program `key` traces: the many-models program splits models, not batches."""
    previous = _tracing["kind"]
    _tracing["kind"] = key[0] if isinstance(key, tuple) and key else key
    try:
        yield
    finally:
        _tracing["kind"] = previous


def _mesh_axis_size(d):
    mesh = d.device_mesh
    return mesh.shape[mesh.axis_names.index(d.batch_dim_name)]


def _sharding(d, ndim, axis=None):
    spec = [None] * ndim
    if axis is not None:
        spec[axis] = d.batch_dim_name
    return NamedSharding(d.device_mesh.backend_mesh, PartitionSpec(*spec))


def constrain_batch(tree, strict=False, axis=0):
    """`tree` (a batch, or batches stacked on `axis` 0 with the batch on `axis`) split over the batch axis.

    A batch the devices cannot split evenly: with `strict` (training) a `ValueError`; otherwise it is
    computed whole on every device (the same numbers)."""
    d = lib._current["distribution"]
    if d is None or _tracing["kind"] == "many":
        return tree
    k = _mesh_axis_size(d)
    leaves = [leaf for leaf in jax.tree_util.tree_leaves(tree) if np.ndim(leaf) > axis]
    sizes = sorted({leaf.shape[axis] for leaf in leaves})
    uneven = [s for s in sizes if s % k]
    if uneven:
        if strict:
            raise ValueError(
                f"Under {type(d).__name__}, each batch is split over the {k} devices of the mesh axis "
                f"'{d.batch_dim_name}', so the batch size must be a multiple of {k}; received batch size "
                f"{uneven[0]}. Pass a batch_size that {k} divides (for a stateful model, build it with such a "
                "batch size).")
        return tree
    return jax.tree_util.tree_map(
        lambda a: jax.lax.with_sharding_constraint(a, _sharding(d, a.ndim, axis)) if np.ndim(a) > axis else a, tree)


def device_put(tree):
    """`jax.device_put(tree)`, or, under a distribution, `tree` replicated on its mesh."""
    d = lib._current["distribution"]
    if d is None:
        return jax.device_put(tree)
    return jax.tree_util.tree_map(lambda a: _put(a, _sharding(d, np.ndim(a))), tree)


def _put(x, sharding):
    if isinstance(x, jax.Array):
        if x.sharding.is_equivalent_to(sharding, x.ndim):
            return x
        if jax.process_count() == 1 or not x.is_fully_addressable:
            return jax.device_put(x, sharding)
        x = np.asarray(x)  # this process's own copy, which every process holds alike
    x = np.asarray(x)
    if jax.process_count() == 1:
        return jax.device_put(x, sharding)
    return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])


def _variable_shardings(d, model):
    """{variable key: (shape, sharding)} for every weight (sharding None: replicated)."""
    out = {}
    mesh = d.device_mesh
    for v in getattr(model, "weights", ()):
        layout = d.get_variable_layout(v)
        if layout is None or all(a is None for a in layout.axes):
            out[v.key] = (tuple(v.shape), None)
            continue
        if len(layout.axes) != len(v.shape):
            raise ValueError(f"The layout {layout.axes} for variable '{v.path}' has {len(layout.axes)} axes, but the "
                             f"variable has shape {tuple(v.shape)}.")
        for dim, name in zip(v.shape, layout.axes):
            size = mesh.shape[mesh.axis_names.index(name)] if name is not None else 1
            if dim % size:
                raise ValueError(f"The layout {layout.axes} splits variable '{v.path}' of shape {tuple(v.shape)} over "
                                 f"mesh axis '{name}' of size {size}, which does not divide it.")
        out[v.key] = (tuple(v.shape), layout.backend_layout)
    return out


def _place(tree, d, variables, models_axis=False):
    """Place every array of `tree`: in dicts keyed by variable keys (weights, optimizer slots), arrays of
    the variable's shape by its layout; everything else replicated (split on axis 0 over the batch axis
    when `models_axis`)."""
    if isinstance(tree, dict):
        if tree and all(k in variables for k in tree):
            out = {}
            for k, v in tree.items():
                shape, sharding = variables[k]
                out[k] = _put(v, sharding) if sharding is not None and np.shape(v) == shape else \
                    _place(v, d, variables, models_axis)
            return out
        return {k: _place(v, d, variables, models_axis) for k, v in tree.items()}
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return type(tree)(*[_place(v, d, variables, models_axis) for v in tree])
    if isinstance(tree, (tuple, list)):
        return type(tree)(_place(v, d, variables, models_axis) for v in tree)
    if tree is None:
        return None
    ndim = np.ndim(tree)
    return _put(tree, _sharding(d, ndim, 0 if models_axis and ndim else None))


# The many-models program's arguments: (carries, data, val_data, orders, keys, n_real, n_val_real, active,
# epoch0, n, [stop_states, stop_params]); these have one row per model (data and val_data when not shared).
def _per_model_positions(key):
    _, _, shuffle, val_bs, shared_data, shared_val = key[:6]
    per_model = {0, 4, 5, 6, 7, 10}
    if not shared_data:
        per_model.add(1)
    if not shared_val and val_bs:
        per_model.add(2)
    if shuffle:
        per_model.add(3)
    return per_model


def arguments(model, key, args):
    """A program's arguments placed on the current distribution's mesh (as they are without one)."""
    d = lib._current["distribution"]
    if d is None:
        return args
    variables = _variable_shardings(d, model)
    if not (isinstance(key, tuple) and key and key[0] == "many"):
        return _place(tuple(args), d, variables)
    if any(sharding is not None for _, sharding in variables.values()):
        raise ValueError("fit_many() under a ModelParallel distribution is not supported: the models are split "
                         "over the devices, so each model's weights must be whole. Use DataParallel.")
    n_models = np.shape(args[4])[0]
    k = _mesh_axis_size(d)
    if n_models % k:
        raise ValueError(f"fit_many() under {type(d).__name__} splits the models over the {k} devices of the mesh "
                         f"axis '{d.batch_dim_name}', so their number must be a multiple of {k}; received "
                         f"{n_models} models.")
    per_model = _per_model_positions(key)
    return tuple(_place(a, d, {}, models_axis=i in per_model) for i, a in enumerate(args))


def run(model, key, fn, to_program, args):
    """`fn(*to_program(args))`; under a distribution with the arguments placed on its mesh (`arguments`),
    the outputs readable on this host (`results`), and a collective that failed because another process
    of the cluster died reported as such."""
    d = lib._current["distribution"]
    if d is None:
        return fn(*to_program(args))
    args = to_program(arguments(model, key, args))
    try:
        out = fn(*args)
        if jax.process_count() > 1:  # a failed collective shows when the results are ready: here, not later
            out = jax.block_until_ready(out)
    except jax.errors.JaxRuntimeError as e:
        if jax.process_count() > 1 and any(w in str(e).lower() for w in ("gloo", "connection", "nccl", "peer")):
            raise RuntimeError(
                f"A collective operation between the {jax.process_count()} processes failed, most likely because "
                f"another process of the cluster stopped (crashed or was killed): {e}. This process cannot go on; "
                "start all processes again (callbacks.BackupAndRestore resumes an interrupted fit).") from e
        raise
    return results(out)


def results(out):
    """A program's outputs, each readable on this host: in several processes, split arrays are gathered."""
    if jax.process_count() == 1 or lib._current["distribution"] is None:
        return out

    def whole(a):
        if isinstance(a, jax.Array) and not a.is_fully_addressable and not a.is_fully_replicated:
            return jax.device_put(a, NamedSharding(a.sharding.mesh, PartitionSpec()))
        return a

    return jax.tree_util.tree_map(whole, out)
