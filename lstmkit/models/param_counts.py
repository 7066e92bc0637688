"""How a layer's parameter count is computed, in the layer's own numbers (for `summary(explain=True)`).

`explain(layer)` returns two lines, e.g. for a long short-term memory layer of 5 units on 1 feature::

    4 × ((1 + 5) × 5 + 5) = 140
    4 gates (i, f, c, o) × ((features + units) × units + units)

or an empty list for a layer without weights. Each layer knows its own formula
(`Layer.param_count_formula`, overridden in the layer's file); the arithmetic
always equals `layer.count_params()`: a layer without a formula (or whose weights
differ from it, e.g. a variant with extra weights) is explained as the sum of
its weights' sizes instead, and a nested model as the sum of its layers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["explain"]


def _n(value: int) -> str:
    return f"{int(value):,}"


def _size(shape) -> int:
    return int(np.prod(shape)) if len(shape) else 1


def _weights_sum(layer) -> list[str]:
    """Generic explanation: the sizes of the layer's weights, added up."""
    weights = layer.weights
    terms = [" × ".join(str(d) for d in v.shape) or "1" for v in weights]
    names = [v.name for v in weights]
    total = sum(_size(v.shape) for v in weights)
    return [f"{' + '.join(terms)} = {_n(total)}", f"weights: {' + '.join(names)}"]


def _nested(layer):
    if not layer._keras_model:
        return None
    parts = [(sub.name, sub.count_params()) for sub in layer.layers if sub.built and sub.count_params()]
    total = layer.count_params()
    if sum(c for _, c in parts) != total or not parts:
        return None
    return [f"{' + '.join(_n(c) for _, c in parts)} = {_n(total)}",
            "its layers: " + " + ".join(name for name, _ in parts)]


def explain(layer) -> list[str]:
    """Lines saying how `layer.count_params()` comes about; [] for a layer with no weights or unbuilt."""
    if not layer.built or layer.count_params() == 0:
        return []
    found = layer.checked_param_count_formula()
    if found is not None:
        expr, count, legend = found
        return [f"{expr} = {_n(count)}", legend]
    nested = _nested(layer)
    if nested is not None:
        return nested
    return _weights_sum(layer)
