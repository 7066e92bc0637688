"""Where each weight lives in Keras's weight files, and reading/writing them with h5py.

Keras 3 (`model.weights.h5` inside a `.keras` zip, and `.weights.h5` files) addresses a layer by the
snake-cased class names along its path, numbered per container in Keras's layer order
(`layers/lstm`, `layers/lstm_1`, `layers/bidirectional/forward_layer/cell`, ...), and stores a
layer's own variables as datasets '0', '1', ... of its `vars` group.

The legacy layout (`.h5` files of Keras 1/2, and Keras 3's `.h5`) keeps one group per top-level
layer, named after the layer, with the weights listed in its `weight_names` attribute; Keras loads
them by position among the layers that have weights, or by layer name.

Each object says where its weights go (the hooks at the end of `Layer`, Keras 3's
`save_own_variables` / `load_own_variables`): `keras_own_variables`, `keras_children`,
`keras_layers` (containers) and `keras_legacy_weight_names`; this module walks them.
"""

from __future__ import annotations

import numpy as np

from lstmkit import _object_registration as registry
from lstmkit.optimizers._naming import to_snake_case


# ----------------------------------------------------------------------------------------------- Keras 3 layout
def keras3_entries(model) -> list:
    """[(group path, variables, name attribute)] of every saveable object of `model`, in Keras's walk order."""
    out = []
    _walk(model, "", out, {})
    return out


def _join(*parts) -> str:
    return "/".join(p for p in parts if p)


def _walk(obj, path, out, seen):
    # Keras saves an object once, where its depth-first walk first meets it (a shared layer).
    if id(obj) in seen:
        return
    seen[id(obj)] = obj  # kept alive, so a short-lived object's id is not reused while walking
    out.append((_join(path, "vars"), obj.keras_own_variables(), obj.name))
    layers = obj.keras_layers()
    if layers is None:
        for attr, child in obj.keras_children():
            if isinstance(child, (list, tuple, dict)):
                _walk_container(child, _join(path, attr), out, seen)
            else:
                _walk(child, _join(path, attr), out, seen)
        return
    _walk_container(layers, _join(path, "layers"), out, seen)


def _walk_container(items, path, out, seen):
    # A container's layers are named by snake-cased class, numbered per name (also those already saved).
    used = {}
    for layer in (items.values() if isinstance(items, dict) else items):
        base = to_snake_case(registry.keras_class_name(type(layer)))
        n = used.get(base, -1) + 1
        used[base] = n
        _walk(layer, _join(path, base if n == 0 else f"{base}_{n}"), out, seen)


def keras_variables(model) -> list:
    """The model's variables in Keras's `model.variables` order: layer by layer in Keras's layer order."""
    if model.keras_layers() is None:  # a subclassed model: its own tracking order, as Keras's
        return model.weights
    out, seen = [], set()
    for layer in model.keras_layers():
        for v in keras_variables(layer) if layer.keras_layers() is not None else layer.weights:
            if v.key not in seen:  # a layer used twice holds its weights once
                seen.add(v.key)
                out.append(v)
    return out


def keras3_trainable_order(model) -> list:
    """The model's trainable variables in Keras's order (the order of a Keras optimizer's slots)."""
    return [v for v in keras_variables(model) if v.trainable]


def write_keras3_weights(h5file, model):
    """Write the model's weights into an open, empty h5py File in Keras 3's layout."""
    for path, variables, name in keras3_entries(model):
        group = h5file.require_group(path)
        group.attrs["name"] = name
        for i, v in enumerate(variables):
            group.create_dataset(str(i), data=np.asarray(v.value))


def _find_group(h5file, path):
    if path in h5file:
        return h5file[path]
    # tf.keras 2.13+ wrote '.keras' files with this name in place of 'layers'.
    alt = path.replace("layers", "_layer_checkpoint_dependencies")
    return h5file[alt] if alt in h5file else None


def _digit_keys(group) -> list:
    return sorted((k for k in group.keys() if k.isdigit()), key=int)


def _stored_weight_groups(h5file) -> list:
    """Names of the groups of a Keras 3 weights file that hold weight datasets (the optimizer's aside)."""
    import h5py

    found = set()

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and name.rsplit("/", 1)[-1].isdigit():
            found.add("/" + name.rsplit("/", 1)[0])

    h5file.visititems(visit)
    return sorted(g for g in found if not g.startswith("/optimizer") and "seed_generator" not in g)


def read_keras3_weights(h5file, model, where, skip_mismatch=False, require_all=False) -> list:
    """Values for the model's variables from a Keras 3 weights file: [(variable, array)].

    Checks every count, shape, dtype and stored size first and reads only then, so a file that does
    not fit changes nothing and allocates nothing. With `skip_mismatch`, objects whose weights do not fit
    are left out (and listed in a warning). `require_all` (loading a whole model): weights in the file
    that no part of the model takes are an error too.
    """
    import warnings

    from lstmkit.saving import h5_guard

    planned, skipped, used = [], [], set()
    for path, variables, _ in keras3_entries(model):
        if not variables:
            continue
        group = _find_group(h5file, path)
        keys = _digit_keys(group) if group is not None else []
        problem = None
        if group is None:
            problem = f"the file has no weights at '{path}'"
        elif len(keys) != len(variables):
            problem = f"'{path}' holds {len(keys)} weight(s) but the layer expects {len(variables)}"
        datasets = []
        if problem is None:
            used.add(group.name)
            for v, k in zip(variables, keys):
                dset = h5_guard.dataset(group, k, where)
                problem = h5_guard.check_dataset(dset, where, v.shape, f"weight '{v.path}'")
                if problem:
                    break
                datasets.append((v, dset))
        if problem is not None:
            if skip_mismatch:
                skipped.append(problem)
                continue
            raise ValueError(f"{where}: the weights do not fit the model: {problem}.")
        planned.extend(datasets)
    extra = [g for g in _stored_weight_groups(h5file) if g not in used]
    if extra:
        problem = (f"the file holds weights at {extra[:3]}{'...' if len(extra) > 3 else ''} that no layer of the "
                   "model takes (the config and the weights disagree)")
        if require_all and not skip_mismatch:
            raise ValueError(f"{where}: the weights do not fit the model: {problem}.")
        skipped.append(problem)
    if skipped:
        warnings.warn(f"{where}: skipped loading weights that do not fit the model: {'; '.join(skipped)}.", stacklevel=3)
    return [(v, np.asarray(dset[()])) for v, dset in planned]


def assign(values):
    for v, arr in values:
        v.assign(arr)


def stored_weight_count(h5file, legacy=False) -> int:
    """How many weight values (elements) a weights file holds in all, from its datasets' shapes (nothing read)."""
    import math

    import h5py

    total = 0
    if legacy:
        for layer in read_attr_list(h5file, "layer_names"):
            group = h5file.get(layer)
            if not isinstance(group, h5py.Group):
                continue
            for name in read_attr_list(group, "weight_names"):
                obj = group.get(name)
                if isinstance(obj, h5py.Dataset) and obj.shape is not None:
                    total += math.prod(obj.shape)
        return total

    def visit(name, obj):
        nonlocal total
        if isinstance(obj, h5py.Dataset) and not name.startswith("optimizer") and obj.shape is not None:
            total += math.prod(obj.shape)

    h5file.visititems(visit)
    return total


def unbuilt_error(model, where):
    """The error for a model whose config gives no input shape while its file holds weights."""
    return ValueError(f"{where}: the model config does not give the model's input shape (no InputLayer, no "
                      "`build_config`, no `batch_input_shape`), so its layers cannot be built to take the weights "
                      "the file holds (Keras refuses such a file too).")


def check_built_for(model, h5file, where, legacy=False):
    """Refuse an unbuilt model (no input shape in its config) whose file holds weights."""
    if model._graph_ready:
        return
    if legacy:
        holds = any(read_attr_list(h5file[n], "weight_names") for n in read_attr_list(h5file, "layer_names")
                    if n in h5file)
    else:
        holds = bool(_stored_weight_groups(h5file))
    if holds:
        raise unbuilt_error(model, where)


def assign_all(model, values, where):
    """Assign the values of a whole model's load; every weight of the model must have one (a model built
    from a file starts with placeholder zeros, which must not survive as if they were its weights)."""
    given = {v.key for v, _ in values}
    missing = [v.path for v in model.weights if v.key not in given]
    if missing:
        raise ValueError(f"{where}: the weights do not fit the model: the file has no values for "
                         f"{missing[:3]}{'...' if len(missing) > 3 else ''}.")
    assign(values)


# ----------------------------------------------------------------------------------------------- legacy layout
def legacy_weights(layer) -> list:
    """A layer's weights in the legacy file order: trainable ones first, then the frozen ones."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def write_legacy_weights(group, model, keras_version, backend="jax"):
    """Write `model_weights`-style groups (one per layer) into an h5py group."""
    layers = model.keras_layers()
    _set_name_list(group, "layer_names", [l.name for l in layers])
    group.attrs["backend"] = backend.encode("utf8")
    group.attrs["keras_version"] = keras_version.encode("utf8")
    for layer in sorted(layers, key=lambda l: l.name):
        sub = group.create_group(layer.name)
        weights = legacy_weights(layer)
        names = layer.keras_legacy_weight_names(layer.name)
        _write_named(sub, [(names[v.key], np.asarray(v.value)) for v in weights])
    _write_named(group.create_group("top_level_model_weights"), [])


def _set_name_list(group, attr, names):
    # As Keras writes it: fixed-length byte strings (old Keras versions decode each entry), an empty
    # float array for no names.
    group.attrs[attr] = np.array([n.encode("utf8") for n in names]) if names else np.array([])


def _write_named(group, items):
    _set_name_list(group, "weight_names", [n for n, _ in items])
    for name, value in items:
        group.create_dataset(name, data=value)


def read_attr_list(group, name) -> list:
    """A list of strings stored in an attribute (Keras splits long ones into name0, name1, ...)."""
    if name in group.attrs:
        raw = list(group.attrs[name])
    else:
        raw, i = [], 0
        while f"{name}{i}" in group.attrs:
            raw.extend(group.attrs[f"{name}{i}"])
            i += 1
    return [x.decode("utf8") if isinstance(x, bytes) else str(x) for x in raw]


def _group_datasets(group, where) -> list:
    from lstmkit.saving import h5_guard

    out = []
    for name in read_attr_list(group, "weight_names"):
        if name not in group:
            raise ValueError(f"{where}: weight '{name}' is listed in the file but missing from it.")
        out.append(h5_guard.dataset(group, name, where))
    return out


def read_legacy_weights(group, model, where, by_name=False, skip_mismatch=False, require_all=False) -> list:
    """[(variable, array)] from legacy `model_weights`. Positional over layers with weights (Keras's
    rule), or matched by layer name with `by_name` (`require_all`, loading a whole model: every layer
    must be in the file, and every layer of the file with weights in the model). Shapes, dtypes and
    stored sizes are checked before anything is read."""
    import warnings

    from lstmkit.saving import h5_guard

    layer_names = read_attr_list(group, "layer_names")
    for name in layer_names:
        if name not in group:
            raise ValueError(f"{where}: layer '{name}' is listed in the file but has no weights group.")
    saved = [(n, _group_datasets(group[n], where)) for n in layer_names]
    layers = [l for l in model.keras_layers() if legacy_weights(l)]
    if by_name:
        by = dict(saved)
        missing = [l.name for l in layers if l.name not in by]
        if require_all and missing:
            raise ValueError(f"{where}: the file has no weights for layer(s) {missing}.")
        if require_all:
            known = {l.name for l in layers}
            extra = [n for n, datasets in saved if datasets and n not in known]
            if extra:
                raise ValueError(f"{where}: the weights do not fit the model: the file holds weights for layer(s) "
                                 f"{extra} that the model config does not have (the config and the weights "
                                 "disagree).")
        pairs = [(l, by[l.name], l.name) for l in layers if l.name in by]
    else:
        saved = [(n, vals) for n, vals in saved if vals]
        if len(saved) != len(layers):
            raise ValueError(f"{where}: layer count mismatch: the model has {len(layers)} layers with weights "
                             f"({[l.name for l in layers]}), the file {len(saved)} ({[n for n, _ in saved]}).")
        pairs = [(l, vals, n) for l, (n, vals) in zip(layers, saved)]
    planned, skipped = [], []
    for layer, datasets, saved_name in pairs:
        weights = legacy_weights(layer)
        problem = None
        if len(datasets) != len(weights):
            problem = (f"layer '{layer.name}' expects {len(weights)} weight(s), the file's '{saved_name}' holds "
                       f"{len(datasets)}")
        else:
            for v, dset in zip(weights, datasets):
                problem = h5_guard.check_dataset(dset, where, v.shape, f"weight '{v.path}' (layer '{saved_name}')")
                if problem:
                    break
        if problem is not None:
            if skip_mismatch:
                skipped.append(problem)
                continue
            raise ValueError(f"{where}: the weights do not fit the model: {problem}.")
        planned.extend(zip(weights, datasets))
    if skipped:
        warnings.warn(f"{where}: skipped loading weights that do not fit the model: {'; '.join(skipped)}.", stacklevel=3)
    return [(v, np.asarray(dset[()])) for v, dset in planned]
