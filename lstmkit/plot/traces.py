"""Heatmaps of an LSTM's gates and cell state over time (the pictures of the seeds' sections 4 and 5).

`trace_heatmap(traces, layer, quantity, units, labels)` draws one row per unit
and one column per time step of one sample, with the input characters (or
values) along the time axis, from the result of `lstmkit.inspect.trace`.
"""

from __future__ import annotations

import numpy as np

from lstmkit.plot._style import pyplot

__all__ = ["trace_heatmap"]

_GATES = {"i", "f", "o", "z", "r"}  # sigmoid gates live in [0, 1]; states and candidates around 0
_ANNOTATE_LIMIT = 2000  # cells; past this, letters in every cell are unreadable anyway


def _layer_trace(traces, layer):
    from lstmkit.inspect import LayerTrace, Traces

    if isinstance(traces, LayerTrace):
        if layer is not None and layer != traces.name:
            raise ValueError(f"trace_heatmap(): `layer` is {layer!r} but `traces` holds only layer {traces.name!r}.")
        return traces
    if not isinstance(traces, Traces):
        raise TypeError("trace_heatmap(): `traces` must be the result of lstmkit.inspect.trace() or one LayerTrace, "
                        f"received {type(traces).__name__}.")
    return traces[0] if layer is None else traces[layer]


def _labels_text(labels, steps):
    if labels is None:
        return None
    if isinstance(labels, str):
        labels = list(labels)
    labels = [str(v) if not isinstance(v, (float, np.floating)) else f"{v:.3g}" for v in np.asarray(labels, object)]
    if len(labels) != steps:
        raise ValueError(f"trace_heatmap(): `labels` must have one entry per time step ({steps}); "
                         f"received {len(labels)}.")
    return labels


def trace_heatmap(traces, layer=None, quantity="c", units=None, labels=None, sample=0, steps=None, ax=None,
                  cmap=None, vmin=None, vmax=None, annotate=None, title=None, colorbar=True, path=None):
    """Draw `quantity` of chosen `units` over the time steps of one sample as a heatmap; returns the Axes.

    traces: the result of `lstmkit.inspect.trace` (or one of its `LayerTrace`s).
    layer: which traced layer (default: the first). quantity: "c", "h", "i", "f",
    "o", "g" (LSTM); "z", "r", "g", "h" (GRU); long names work too.
    units: unit indices, one row each (default: all units of the layer).
    labels: what was read at each step, shown along the time axis: a string (one
    character per step) or a sequence of values. sample: which sample to show.
    steps: which time steps to show, an int n (the first n, e.g. a padded sample's
    real length) or a slice (default: all); `labels` then label just those.
    ax: a matplotlib Axes to draw on (default: a new figure).
    cmap, vmin, vmax: colours; by default gates use 0..1 and states a range
    symmetric around 0. Masked steps (NaN gates) are left grey.
    annotate: write each step's label in its cells (default: when labels are
    given and there are at most 2000 cells). title: the Axes title (default
    names the layer, quantity and sample). colorbar: add a colour bar.
    path: also save the figure there (e.g. "counter.png").
    The image's data (`ax.images[0].get_array()`) are the trace values, (units, time).
    """
    from lstmkit.inspect import ALIASES

    tr = _layer_trace(traces, layer)
    values = tr[quantity]
    samples, n_steps, n_units = values.shape
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or not -samples <= sample < samples:
        raise ValueError(f"trace_heatmap(): `sample` must be an index below {samples}; received {sample!r}.")
    if units is None:
        units = list(range(n_units))
    elif isinstance(units, (int, np.integer)):
        units = [int(units)]
    units = [int(u) for u in units]
    bad = [u for u in units if not 0 <= u < n_units]
    if bad or not units:
        raise ValueError(f"trace_heatmap(): `units` must be indices in [0, {n_units}) of layer {tr.name!r}; "
                         f"received {units}.")
    if steps is None:
        steps = slice(None)
    elif isinstance(steps, (int, np.integer)) and not isinstance(steps, bool):
        if not 1 <= steps <= n_steps:
            raise ValueError(f"trace_heatmap(): `steps` must be between 1 and {n_steps}; received {steps}.")
        steps = slice(0, int(steps))
    elif not isinstance(steps, slice):
        raise TypeError(f"trace_heatmap(): `steps` must be an int, a slice or None; received {steps!r}.")
    data = np.asarray(values[sample][steps][:, units].T)  # (units, time)
    positions = np.arange(n_steps)[steps]  # the time indices shown, for the axis when there are no labels
    steps = data.shape[1]
    if steps == 0:
        raise ValueError("trace_heatmap(): `steps` selects no time step.")
    text = _labels_text(labels, steps)
    key = ALIASES.get(quantity, quantity)
    if annotate is None:
        annotate = text is not None and data.size <= _ANNOTATE_LIMIT
    if annotate and text is None:
        raise ValueError("trace_heatmap(annotate=True) writes the labels in the cells: pass `labels`.")
    if vmin is None and vmax is None:
        if key in _GATES:
            vmin, vmax = 0.0, 1.0
        else:
            finite = data[np.isfinite(data)]
            bound = float(np.max(np.abs(finite))) if finite.size else 1.0
            vmin, vmax = -(bound or 1.0), (bound or 1.0)
    if ax is None:
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(min(2.0 + 0.35 * steps, 24.0), 1.2 + 0.45 * len(units)))
    import matplotlib

    if cmap is None or isinstance(cmap, str):
        cmap = matplotlib.colormaps[cmap or ("viridis" if key in _GATES else "RdBu_r")]
    colormap = cmap.with_extremes(bad="lightgrey")  # NaN (masked steps) in grey
    image = ax.imshow(data, aspect="auto", interpolation="nearest", cmap=colormap, vmin=vmin, vmax=vmax)
    ax.set_yticks(range(len(units)))
    ax.set_yticklabels([f"unit {u}" for u in units])
    ax.set_xticks(range(steps))
    ax.set_xticklabels(text if text is not None else [str(t) for t in positions])
    ax.set_xlabel("input at each step" if text is not None else "time step")
    ax.set_title(title if title is not None else f"{tr.name}: {quantity} (sample {sample})")
    if annotate:
        for row in range(len(units)):
            for t in range(steps):
                ax.text(t, row, text[t], ha="center", va="center", fontsize=8, color="black")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    if path is not None:
        ax.figure.savefig(path, dpi=100, bbox_inches="tight")
    return ax
