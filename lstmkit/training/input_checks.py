"""Value checks of the data against the layers, losses and metrics that take it, on the host, before compiling.

Inside a compiled program an index outside its table is clamped (JAX's gather), so
an Embedding index >= input_dim, or a class label >= the number of classes under a
sparse loss or metric, would give a wrong number with no error. Each layer, loss and
metric owns its range (`Layer.input_value_range`, `Loss.label_range`,
`Metric.label_range`); this module finds which of them see which array and checks it:

- x: the layers fed directly by a model input, or through layers that only move
  values (Identity, Reshape, Flatten, RepeatVector, Permute) and through nested
  models' inputs. A layer reached through any other layer is not checked (its
  inputs are computed values; an Embedding after a Lambda is the user's own code).
- y: the loss and every metric of each output.

Every batch of a generator or Sequence goes through the same checks; a
WindowedSeries is checked once, on its whole series.
"""

from __future__ import annotations

import numpy as np

from lstmkit import _value_ranges
from lstmkit.training.data import format_shape
from lstmkit.training.engine import inference_cache


def _graph_consumers(model, index, seen=None):
    """[(layer, (low, high))]: the layers with an input value range that see model input `index`'s values
    unchanged, and that range."""
    nodes = getattr(model, "_nodes", None)
    inputs = getattr(model, "_flat_inputs", None)
    if not nodes or inputs is None or index >= len(inputs):
        return []
    seen = set() if seen is None else seen
    if id(model) in seen:
        return []
    seen = seen | {id(model)}
    frontier = {id(inputs[index])}
    found = []
    for node in nodes:  # topological order: a passthrough's outputs join the frontier before their users
        hits = [j for j, t in enumerate(node.input_tensors) if id(t) in frontier]
        if not hits:
            continue
        layer = node.layer
        value_range = layer.input_value_range(**node.call_kwargs)
        if value_range is not None:
            found.append((layer, value_range))
        elif getattr(layer, "_passes_input_values", False) and len(node.input_tensors) == 1:
            frontier |= {id(t) for t in _flat(node.outputs)}
        elif getattr(layer, "_nodes", None) and len(getattr(layer, "_flat_inputs", ())) == len(node.input_tensors):
            for j in hits:  # a nested model: its own input j gets these values
                found.extend(_graph_consumers(layer, j, seen))
    return found


def _flat(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def input_consumers(model) -> list:
    """[(input index, layer, (low, high))] for `check_inputs`, worked out once per graph (the inference cache goes
    with it; a layer's range is fixed when it is made)."""
    cache = inference_cache(model)
    found = cache.get("value_consumers")
    if found is None:
        n = len(getattr(model, "_flat_inputs", None) or ())
        found = cache["value_consumers"] = [(i, layer, value_range) for i in range(n)
                                             for layer, value_range in _graph_consumers(model, i)]
    return found


def check_inputs(model, xs, argname="x", where=None):
    """Each array of `xs` (NumPy, one per model input) against the value ranges of the layers it feeds.

    `where`: how the error names the array (default "`x`", "`x[i]`")."""
    for i, layer, (low, high) in input_consumers(model):
        if i >= len(xs):
            continue
        bad = _value_ranges.first_outside(xs[i], low, high)
        if bad is not None:
            label = where or (f"`{argname}`" if len(xs) == 1 else f"`{argname}[{i}]`")
            raise _value_ranges.ValueRangeError(layer.input_value_message(bad[1], bad[0], label))


def _label_rules(model, i, y_shape):
    """[(num_classes, ignore_class, what)] of the loss and metrics on output i that take integer class labels."""
    engine = getattr(model, "_engine", None)
    if engine is None:
        return []
    pred_shape = tuple(model.outputs[i].shape)
    losses = getattr(engine.loss, "losses", None) or []
    metrics = engine.metrics[i] if i < len(getattr(engine, "metrics", ())) else []
    rules = []
    candidates = ([("loss", losses[i])] if i < len(losses) and losses[i] is not None else []) + \
        [("metric", m) for m in metrics]
    for kind, obj in candidates:
        rule = getattr(obj, "label_range", None)
        found = rule(tuple(y_shape), pred_shape) if callable(rule) else None
        if found is not None and found[0]:
            name = getattr(obj, "name", None) or type(obj).__name__
            rules.append((int(found[0]), found[1], f"{kind} '{name}'"))
    return rules


def check_labels(model, ys, argname="y", where=None, y_shapes=None):
    """Each target array against the label ranges of its output's sparse loss and metrics.

    `y_shapes`: the targets' shapes as the loss sees them, when `ys` are not shaped so (a series)."""
    for i, y in enumerate(ys or []):
        for num_classes, ignore_class, what in _label_rules(model, i, y.shape if y_shapes is None else y_shapes[i]):
            bad = _value_ranges.first_outside(y, 0, num_classes, skip=ignore_class)
            if bad is None:
                continue
            label = where or (f"`{argname}`" if len(ys) == 1 else f"`{argname}[{i}]`")
            ignored = "" if ignore_class is None else f" (or ignore_class={ignore_class})"
            raise _value_ranges.ValueRangeError(
                f"{label} holds the class label {bad[1]} at position {bad[0]}, but {what} on output {i} of model "
                f"'{model.name}' (shape {format_shape(tuple(model.outputs[i].shape))}) takes labels in "
                f"[0, {num_classes}){ignored}: one per class of the output's last axis.")


def check_windows(model, windows):
    """A WindowedSeries, checked once on its whole series (every window's values come from it)."""
    arrays = windows.arrays()
    x_series, y_series = arrays[0], arrays[-1]
    check_inputs(model, [np.asarray(x_series)], where="The series of the WindowedSeries' inputs")
    check_labels(model, [np.asarray(y_series)], where="The series of the WindowedSeries' targets",
                 y_shapes=[(len(windows),) + tuple(windows.y_shape)])
