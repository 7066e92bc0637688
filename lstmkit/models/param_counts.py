"""How a layer's parameter count is computed, in the layer's own numbers (for `summary(explain=True)`).

`explain(layer)` returns two lines, e.g. for `LSTM(5)` on 1 feature::

    4 × ((1 + 5) × 5 + 5) = 140
    4 gates (i, f, c, o) × ((features + units) × units + units)

or an empty list for a layer without weights. The arithmetic always equals
`layer.count_params()`: a layer the formulas do not cover (or whose weights
differ from the formula, e.g. a variant with extra weights) is explained as
the sum of its weights' sizes instead.
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


def _weight(layer, name):
    return next((v for v in layer._vars if v.name == name), None)


def _recurrent(layer):
    """(expression, count, legend) for LSTM / GRU / SimpleRNN, or None if not one of them."""
    from lstmkit.layers.gru import GRU
    from lstmkit.layers.lstm import LSTM
    from lstmkit.layers.simple_rnn import SimpleRNN

    kernel = _weight(layer, "kernel")
    if kernel is None:
        return None
    f, u = kernel.shape[0], layer.units
    bias = layer.use_bias
    if isinstance(layer, LSTM):
        return _lstm(layer, f, u, bias)
    if isinstance(layer, GRU):
        if bias and layer.reset_after:
            return (f"3 × (({f} + {u}) × {u} + 2 × {u})", 3 * ((f + u) * u + 2 * u),
                    "3 gates (z, r, h) × ((features + units) × units + input and recurrent bias)")
        if bias:
            return (f"3 × (({f} + {u}) × {u} + {u})", 3 * ((f + u) * u + u),
                    "3 gates (z, r, h) × ((features + units) × units + units)")
        return (f"3 × (({f} + {u}) × {u})", 3 * (f + u) * u,
                "3 gates (z, r, h) × ((features + units) × units), no bias")
    if isinstance(layer, SimpleRNN):
        if bias:
            return f"({f} + {u}) × {u} + {u}", (f + u) * u + u, "(features + units) × units + units"
        return f"({f} + {u}) × {u}", (f + u) * u, "(features + units) × units, no bias"
    return None


def _lstm(layer, f, u, bias):
    """LSTM, and its variants: coupled gates (3 gate blocks, f = 1 - i) and peepholes (one (units,) per gate)."""
    n, gates = (3, "3 gates (i, c, o; f = 1 − i)") if layer.coupled_gates else (4, "4 gates (i, f, c, o)")
    if bias:
        expr, count = f"{n} × (({f} + {u}) × {u} + {u})", n * ((f + u) * u + u)
        legend = f"{gates} × ((features + units) × units + units)"
    else:
        expr, count = f"{n} × (({f} + {u}) × {u})", n * (f + u) * u
        legend = f"{gates} × ((features + units) × units)"
    if layer.peephole:
        p, names = (2, "i, o") if layer.coupled_gates else (3, "i, f, o")
        expr, count = f"{expr} + {p} × {u}", count + p * u
        legend = f"{legend} + {p} peepholes ({names}) × units"
    return expr, count, legend if bias else f"{legend}, no bias"


def _formula(layer):
    """(expression, count, legend) for the layer types with a textbook formula, else None."""
    from lstmkit.layers.bidirectional import Bidirectional
    from lstmkit.layers.core import Dense, Embedding
    from lstmkit.layers.time_distributed import TimeDistributed

    if isinstance(layer, Dense):
        kernel = _weight(layer, "kernel")
        i, o = kernel.shape
        if layer.use_bias:
            return f"{i} × {o} + {o}", i * o + o, "inputs × units + units"
        return f"{i} × {o}", i * o, "inputs × units, no bias"
    if isinstance(layer, Embedding):
        v, d = layer.input_dim, layer.output_dim
        return f"{v} × {d}", v * d, "input_dim (vocabulary) × output_dim"
    if isinstance(layer, TimeDistributed):
        inner = _checked(layer.layer)
        if inner is None:
            return None
        expr, count, legend = inner
        return expr, count, f"the wrapped {type(layer.layer).__name__}, shared by every time step: {legend}"
    if isinstance(layer, Bidirectional):
        fw, bw = _checked(layer.forward_layer), _checked(layer.backward_layer)
        if fw is None or bw is None:
            return None
        if fw[0] == bw[0]:
            return f"2 × ({fw[0]})", 2 * fw[1], f"2 directions × ({fw[2]})"
        return (f"({fw[0]}) + ({bw[0]})", fw[1] + bw[1],
                f"forward {type(layer.forward_layer).__name__} + backward {type(layer.backward_layer).__name__}")
    return _recurrent(layer)


def _checked(layer):
    """The formula, only if it accounts for exactly the layer's weights."""
    if not layer.built:
        return None
    found = _formula(layer)
    if found is None or found[1] != layer.count_params():
        return None
    return found


def _nested(layer):
    from lstmkit.models.model import Model

    if not isinstance(layer, Model):
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
    found = _checked(layer)
    if found is not None:
        expr, count, legend = found
        return [f"{expr} = {_n(count)}", legend]
    nested = _nested(layer)
    if nested is not None:
        return nested
    return _weights_sum(layer)
