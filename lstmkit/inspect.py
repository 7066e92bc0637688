"""Look inside recurrent layers: gates, cell state and hidden state at every time step.

`trace(model, x)` runs `model` on `x` and returns, for every layer whose steps can be
traced (the recurrent layers; both directions of a bidirectional wrapper; layers of
nested models; layers fed by other layers), arrays of shape (samples, time, units).
Each layer names its own quantities (its `trace_cell`): for the long short-term memory
``i`` input gate, ``f`` forget gate, ``g`` candidate, ``o`` output gate, ``c`` cell
state, ``h`` hidden state (with ``peephole=True`` the gates include the peephole terms,
with ``coupled_gates=True`` ``f`` is ``1 - i``); for the gated recurrent unit ``z``
update gate, ``r`` reset gate, ``g`` candidate, ``h`` state; for the simple recurrent
layer ``h``. `LayerTrace.quantities` lists them.

Long names work too: ``input``, ``forget``, ``output``, ``candidate``,
``cell``, ``hidden``, ``update``, ``reset``.

The values come from the layer's own weights and the cell functions of
`lstmkit._kernels.recurrent` (`lstm_gates`, `gru_gates`, `simple_rnn_step`), in
inference mode (no dropout). Index t of every array is the step that read
input t, so ``c[:, t]`` and ``h[:, t]`` are the states *after* reading x_t:

* masked steps (a `Masking`/`Embedding(mask_zero=True)` mask) hold the state,
  so ``c`` and ``h`` repeat the previous values there, and the gates, which
  were never applied, are NaN;
* a layer with ``go_backwards=True`` (and the backward half of a
  bidirectional wrapper) reads the steps last to first, but is reported in the
  original time order: index t is still input step t. (Its own output
  sequence is in processing order, i.e. ``h[:, ::-1]``.)
* the layer starts from its ``initial_state`` argument in the graph, else
  from its carried state if it is stateful (the states are read, not
  changed), else from zeros.

``h`` equals the layer's output: with ``return_sequences`` its output sequence
(reversed for ``go_backwards``), else its final state, ``h[:, -1]`` (``h[:, 0]``
for ``go_backwards``, which ends at the first step). At masked steps of layers
that emit zeros there (both halves of a bidirectional wrapper with
``return_sequences``) ``h`` is the held state, not the zeros.

What to record is the layer's business (`Layer.traces_steps` / `Layer.trace_steps`,
overridden in each layer's file; the shared scan is `lstmkit.layers.rnn_trace`):
this module finds the traced layers in the graph, feeds them, and ranks units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from lstmkit.layers.base import CallContext

__all__ = ["LayerTrace", "Traces", "UnitMatch", "find_units", "trace"]

ALIASES = {"input": "i", "forget": "f", "candidate": "g", "output": "o", "cell": "c", "hidden": "h",
           "update": "z", "reset": "r"}


@dataclass(frozen=True)
class LayerTrace:
    """What one recurrent layer did at every step of every sample.

    name: the layer's name (``"<bidirectional>/forward"`` / ``"/backward"`` for the
    two directions of a bidirectional wrapper, ``"<model>/<layer>"`` inside a nested model).
    kind: the layer's class name. values: quantity -> (samples, time, units).
    inputs: (samples, time, features), what the layer received. mask: (samples,
    time) bool, True where the step was read, or None. go_backwards: whether the
    layer read the steps last to first (the arrays are in input order all the same).
    """

    name: str
    kind: str
    values: dict = field(repr=False)
    inputs: np.ndarray = field(repr=False)
    mask: np.ndarray | None = field(repr=False)
    go_backwards: bool = False

    @property
    def quantities(self) -> tuple:
        return tuple(self.values)

    @property
    def units(self) -> int:
        return int(self.values["h"].shape[-1])

    def __getitem__(self, quantity) -> np.ndarray:
        key = ALIASES.get(quantity, quantity)
        if key not in self.values:
            raise KeyError(f"{self.kind} layer {self.name!r} has no quantity {quantity!r}; "
                           f"expected one of {list(self.values)}.")
        return self.values[key]

    def __getattr__(self, quantity):
        values = self.__dict__.get("values", {})
        key = ALIASES.get(quantity, quantity)
        if key in values:
            return values[key]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {quantity!r}")


class Traces(Mapping):
    """Layer name -> `LayerTrace`, in the order the layers run."""

    def __init__(self, layers: dict):
        self._layers = dict(layers)

    def __getitem__(self, name) -> LayerTrace:
        if isinstance(name, int) and not isinstance(name, bool):
            return list(self._layers.values())[name]
        if name not in self._layers:
            raise KeyError(f"No traced layer named {name!r}; traced layers: {list(self._layers)}.")
        return self._layers[name]

    def __iter__(self):
        return iter(self._layers)

    def __len__(self):
        return len(self._layers)

    def __repr__(self):
        return "Traces(" + ", ".join(f"{n!r}: {t.kind}" for n, t in self._layers.items()) + ")"


# ----------------------------------------------------------------- tracing
def trace(model, x) -> Traces:
    """Gates, cell state and hidden state of every recurrent layer of `model` on inputs `x`.

    model: a built `Model` or `Sequential` (an unbuilt Sequential is built from `x`).
    x: what `model.predict` takes, one array or a list / dict for several inputs.
    Returns a `Traces` mapping (see the module docstring for names and alignment).
    Nothing about the model changes: stateful layers start from their carried
    states, which stay as they were.
    """
    from lstmkit.models.model import Model

    if not isinstance(model, Model):
        raise TypeError(f"trace(model, x): `model` must be an lstmkit Model or Sequential, "
                        f"received {type(model).__name__}.")
    if not model._graph_ready:
        model._build_from_data(x)
    flat = [_as_input(a) for a in model._flatten_call_inputs(x)]
    values = {v.key: v.value for v in model.weights}
    states = model._collect_states()
    out: dict = {}
    _trace_graph(model, flat, [None] * len(flat), values, states, "", out)
    if not out:
        raise ValueError(f"Model {model.name!r} has no recurrent layer to trace.")
    return Traces(out)


def _as_input(a):
    a = np.asarray(a)
    return a.astype(np.float32) if np.issubdtype(a.dtype, np.floating) else a


def _trace_graph(model, flat_inputs, input_masks, values, states, prefix, out):
    """Trace the recurrent layers of `model`'s graph on concrete inputs, into `out`."""
    from lstmkit.layers.input_layer import _is_kt
    from lstmkit.models import functional
    from lstmkit.models.model import Model

    wanted = [n for n in model._nodes if isinstance(n.layer, Model) or n.layer.traces_steps()]
    if not wanted:
        return
    # Each wanted layer's input (and initial_state) tensors become outputs of one sub-model, so the
    # model's own graph code computes them, masks included.
    tensors = []
    for node in wanted:
        tensors += functional.flatten_tensors(node.call_args[0])
        tensors += functional.flatten_tensors(node.call_kwargs.get("initial_state"))
        tensors += functional.flatten_tensors(node.call_kwargs.get("mask"))
    sub = Model(model._flat_inputs, tensors, name=f"{model.name}_trace")
    ctx = CallContext(training=False, state_in=states)
    got, got_masks = sub._run(sub.gather_params(values), flat_inputs, ctx, input_masks)
    found = {}
    for t, v, m in zip(tensors, got, got_masks):
        found[id(t)] = (v, m)
    seen: dict = {}
    for node in wanted:
        layer = node.layer
        count = seen[layer.name] = seen.get(layer.name, -1) + 1
        name = prefix + layer.name + (f"#{count}" if count else "")
        primary = functional.flatten_tensors(node.call_args[0])
        x = [found[id(t)][0] for t in primary]
        masks = [found[id(t)][1] for t in primary]
        mask = node.call_kwargs.get("mask")  # an explicit `mask=` wins over the propagated one
        mask = masks[0] if mask is None else (found[id(mask)][0] if _is_kt(mask) else mask)
        init = node.call_kwargs.get("initial_state")
        init_values = None if init is None else [found[id(t)][0] for t in functional.flatten_tensors(init)]
        if isinstance(layer, Model):
            _trace_graph(layer, x, masks, values, states, name + "/", out)
            continue
        _check_mask(name, x[0], mask)
        for suffix, record in layer.trace_steps(layer.gather_params(values), x[0], mask, init_values, states).items():
            out[name + suffix] = LayerTrace(name=name + suffix, **record)


def _check_mask(name, x, mask):
    if mask is None or np.ndim(x) < 2:
        return
    expected = tuple(np.shape(x)[:2])
    if tuple(np.shape(mask)) != expected:
        raise ValueError(f"trace(): layer {name!r} received a mask of shape {tuple(np.shape(mask))}; "
                         f"expected (samples, time) = {expected}.")


# ----------------------------------------------------------------- finding units
@dataclass(frozen=True)
class UnitMatch:
    """One unit of one layer and the Pearson correlation of its trace with a signal."""

    layer: str
    unit: int
    correlation: float


def find_units(traces, signal, quantity="c", layer=None, top=5) -> list:
    """Rank units by how well `quantity` tracks a per-step `signal`: |Pearson correlation|, best first.

    traces: a `Traces` from `trace()` or one `LayerTrace`. signal: (samples, time)
    or (time,) (the same for every sample), aligned with the traces: signal[:, t]
    is the value after input step t was read (e.g. the count of a's so far,
    including step t). Masked steps and steps where `signal` is NaN are left out.
    quantity: e.g. "c", "h", "i", "f" (see `trace`). layer: a layer name, or None
    for every traced layer that has `quantity`. top: how many to return (None: all).
    Units whose values (or the signal) do not vary are not ranked.
    Returns a list of `UnitMatch(layer, unit, correlation)` (signed correlation).
    """
    if isinstance(traces, LayerTrace):
        candidates = [traces]
        if layer is not None and layer != traces.name:
            raise ValueError(f"find_units(): `layer` is {layer!r} but `traces` holds only layer {traces.name!r}.")
    elif isinstance(traces, Traces):
        candidates = [traces[layer]] if layer is not None else list(traces.values())
    else:
        raise TypeError(f"find_units(): `traces` must be the result of trace() or one LayerTrace, "
                        f"received {type(traces).__name__}.")
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1):
        raise ValueError(f"find_units(): `top` must be a positive int or None, received {top!r}.")
    key = ALIASES.get(quantity, quantity)
    with_q = [t for t in candidates if key in t.values]
    if not with_q:
        raise ValueError(f"find_units(): no traced layer has quantity {quantity!r}; layers have "
                         f"{ {t.name: list(t.values) for t in candidates} }.")
    matches = []
    for t in with_q:
        values = t.values[key].astype(np.float64)
        samples, steps, units = values.shape
        sig = np.asarray(signal, dtype=np.float64)
        if sig.shape == (steps,):
            sig = np.broadcast_to(sig, (samples, steps))
        if sig.shape != (samples, steps):
            raise ValueError(f"find_units(): `signal` must have shape (samples, time) = {(samples, steps)} or "
                             f"(time,) = {(steps,)} to match layer {t.name!r}; received shape {sig.shape}.")
        use = np.isfinite(sig) & np.all(np.isfinite(values), axis=-1)
        if t.mask is not None:
            use &= t.mask
        if use.sum() < 2:
            raise ValueError(f"find_units(): fewer than 2 usable steps in layer {t.name!r} "
                             "(all masked or the signal is NaN).")
        s = sig[use]
        v = values[use]  # (steps used, units)
        s = s - s.mean()
        v = v - v.mean(axis=0)
        denom = np.sqrt((s * s).sum() * (v * v).sum(axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (s @ v) / denom
        for unit in range(units):
            if denom[unit] > 1e-12 and np.isfinite(r[unit]):
                matches.append(UnitMatch(t.name, unit, float(r[unit])))
    matches.sort(key=lambda m: -abs(m.correlation))
    return matches if top is None else matches[: int(top)]
