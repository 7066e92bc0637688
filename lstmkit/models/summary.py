"""`model.summary()`: Keras 3's table of layers, output shapes and parameter counts."""

from __future__ import annotations

import textwrap

import numpy as np

from lstmkit.layers.input_layer import InputLayer, KerasTensor
from lstmkit.training.data import format_shape


def _output_shape_text(layer, model) -> str:
    node = _node_in(layer, model)
    if node is None:
        seen = layer.__dict__.get("_seen_output_shape")  # a subclassed model's layer, seen when it was built
        if seen is None:
            return "?"
        return format_shape(seen) if isinstance(seen, tuple) else "[" + ", ".join(map(format_shape, seen)) + "]"
    outs = node.outputs if not isinstance(layer, InputLayer) else layer.output
    if isinstance(outs, KerasTensor):
        return format_shape(outs.shape)
    return "[" + ", ".join(format_shape(t.shape) for t in outs) + "]"


def _node_in(layer, model):
    if not getattr(model, "_graph_ready", False):
        return None
    if isinstance(layer, InputLayer):
        return layer._inbound_nodes[0]
    for node in model._nodes:
        if node.layer is layer:
            return node
    return None


def _connected_to(layer, model) -> list[str]:
    node = _node_in(layer, model)
    if node is None or isinstance(layer, InputLayer):
        return ["-"]
    out = []
    for t in node.input_tensors:
        src = t._node.layer
        src_nodes = [n for n in model._nodes if n.layer is src] or [t._node]
        out.append(f"{src.name}[{src_nodes.index(t._node) if t._node in src_nodes else 0}][{t._index}]")
    return out or ["-"]


def _is_linear(model) -> bool:
    if not getattr(model, "_graph_ready", False):
        return True
    if len(model.inputs) > 1 or len(model.outputs) > 1:
        return False
    consumers = {}
    for node in model._nodes:
        if len(node.input_tensors) > 1:
            return False
        for t in node.input_tensors:
            consumers[id(t)] = consumers.get(id(t), 0) + 1
    return all(c == 1 for c in consumers.values())


def _bytes(n_params: int) -> str:
    size = float(n_params * 4)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _wrap(text: str, width: int) -> list[str]:
    if len(text) <= width:
        return [text]
    lines = textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False)
    return lines or [""]


def _row(cells: list[list[str]], widths, aligns, sep="│") -> list[str]:
    height = max(len(c) for c in cells)
    lines = []
    for i in range(height):
        parts = []
        for c, w, a in zip(cells, widths, aligns):
            text = c[i] if i < len(c) else ""
            parts.append(" " + (text.rjust(w) if a == "r" else text.ljust(w)) + " ")
        lines.append(sep + sep.join(parts) + sep)
    return lines


def _rule(widths, left, mid, right, fill) -> str:
    return left + mid.join(fill * (w + 2) for w in widths) + right


def summary_lines(model, show_trainable=False, explain=False) -> list[str]:
    linear = _is_linear(model) or type(model).__name__ == "Sequential"
    layers = model.layers
    if linear:
        widths, heads, aligns = [31, 22, 13], ["Layer (type)", "Output Shape", "Param #"], ["l", "l", "r"]
    else:
        widths, heads, aligns = [19, 17, 10, 17], ["Layer (type)", "Output Shape", "Param #", "Connected to"], ["l", "l", "r", "l"]
    if show_trainable:
        widths, heads, aligns = widths + [9], heads + ["Trainable"], aligns + ["l"]
    lines = [f'Model: "{model.name}"', _rule(widths, "┏", "┳", "┓", "━")]
    lines += _row([[h] for h in heads], widths, aligns, sep="┃")
    lines.append(_rule(widths, "┡", "╇", "┩", "━"))
    for i, layer in enumerate(layers):
        kind = _type_name(layer)
        name = f"{layer.name} ({kind})"
        name_cells = _wrap(name, widths[0]) if len(name) <= widths[0] else [layer.name, f"({kind})"]
        shape = _output_shape_text(layer, model)
        shape_cells = _wrap_shape(shape, widths[1])
        if layer.built:
            params = [f"{layer.count_params():,}"]
        else:
            params = ["0 (unbuilt)"]
        cells = [name_cells, shape_cells, params]
        if not linear:
            conns = _connected_to(layer, model)
            cells.append([(c + "," if j < len(conns) - 1 else c) for j, c in enumerate(conns)])
            cells[-1] = [c if len(c) <= widths[3] else c[: widths[3] - 1] + "…" for c in cells[-1]]
        if show_trainable:
            cells.append(["Y" if layer.trainable else "N"])
        lines += _row(cells, widths, aligns)
        if explain:
            lines += _explain_rows(layer, widths)
        if i < len(layers) - 1:
            lines.append(_rule(widths, "├", "┼", "┤", "─"))
    lines.append(_rule(widths, "└", "┴", "┘", "─"))
    weights = model.weights
    total = int(sum(int(np.prod(v.shape)) for v in weights))
    trainable = int(sum(int(np.prod(v.shape)) for v in weights if v.trainable))
    lines.append(f" Total params: {total:,} ({_bytes(total)})")
    lines.append(f" Trainable params: {trainable:,} ({_bytes(trainable)})")
    lines.append(f" Non-trainable params: {total - trainable:,} ({_bytes(total - trainable)})")
    return lines


def _explain_rows(layer, widths) -> list[str]:
    """The parameter-count arithmetic under a layer's row, spanning the whole table."""
    from lstmkit.models.param_counts import explain

    inner = sum(w + 2 for w in widths) + len(widths) - 1
    out = []
    for text in explain(layer):
        for piece in _wrap(text, inner - 4):
            out.append("│" + ("   " + piece).ljust(inner) + "│")
    return out


def _type_name(layer) -> str:
    from lstmkit.models.model import Model

    return "Functional" if type(layer) is Model else type(layer).__name__


def _wrap_shape(text: str, width: int) -> list[str]:
    if len(text) <= width:
        return [text]
    parts = text.replace("), (", "),\x00(").split("\x00")
    lines, cur = [], ""
    for p in parts:
        cand = (cur + " " + p) if cur else p
        if len(cand) <= width:
            cur = cand
        else:
            if cur:
                lines.append(cur)
            cur = p
    if cur:
        lines.append(cur)
    return lines


def print_summary(model, line_length=None, print_fn=None, expand_nested=False, show_trainable=False,
                  explain=False):
    lines = summary_lines(model, show_trainable=show_trainable, explain=explain)
    if print_fn is None:
        print("\n".join(lines))
    else:
        for line in lines:
            print_fn(line)
