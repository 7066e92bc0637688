"""One layer's box in a model drawing: the HTML-like Graphviz label Keras 3 makes (`make_layer_label`).

The markup is Keras's, so a drawing reads as Keras's: the name and class on black, then optional rows
for the activation, the input/output shapes and output dtype of the layer's first call, and whether
it trains. Shapes print as Python prints them, `(None, 10, 8)`; "?" for a layer never called on
symbolic tensors (a subclassed model), as in Keras.
"""

from __future__ import annotations

import html

# lstmkit.models is imported inside the functions: it imports lstmkit.training, which imports lstmkit.utils.


def model_kind(model) -> str:
    """'sequential', 'functional' (a graph of layers) or 'single' (a subclassed model or a plain layer)."""
    from lstmkit.models import subclassed
    from lstmkit.models.model import Model
    from lstmkit.models.sequential import Sequential

    if isinstance(model, Sequential):
        return "sequential"
    if isinstance(model, Model) and not subclassed.is_subclassed(model):
        return "functional"
    return "single"


def is_graph_model(layer) -> bool:
    from lstmkit.layers.base import Layer

    return isinstance(layer, Layer) and model_kind(layer) != "single" and getattr(layer, "_graph_ready", False)


def _class_name(layer) -> str:
    from lstmkit import _object_registration as registry

    return registry.keras_class_name(type(layer))  # "Functional" for a functional Model, as Keras


def _first_call_io(layer):
    """(inputs, outputs) of the layer's first call as Keras's `layer.input` / `layer.output` give them,
    or (None, None) for a layer never called on symbolic tensors (Keras then shows "?")."""
    from lstmkit.models.functional import flatten_tensors

    if model_kind(layer) == "functional" and getattr(layer, "_graph_ready", False):
        return layer._input_struct, layer._output_struct  # a functional model's own inputs/outputs
    nodes = getattr(layer, "_inbound_nodes", None)
    if not nodes:
        return None, None
    one = lambda ts: ts[0] if len(ts) == 1 else ts
    return one(list(nodes[0].input_tensors)), one(flatten_tensors(nodes[0].outputs))


def _map(struct, fn):
    if isinstance(struct, dict):
        return {k: _map(v, fn) for k, v in struct.items()}
    if isinstance(struct, (list, tuple)):
        return type(struct)(_map(v, fn) for v in struct)
    return fn(struct)


def _dtype_name(t) -> str:
    dtype = t.dtype
    return getattr(dtype, "name", None) or str(dtype)


def _format_shape(shapes) -> str:
    # Keras prints the Python value of the shape (structure) and drops dict braces: "a: (None, 3), b: ...".
    if shapes is None:
        return "?"
    text = ", ".join(f"{k}: {v}" for k, v in shapes.items()) if isinstance(shapes, dict) else str(shapes)
    return text.replace("{", "").replace("}", "")


def get_layer_activation_name(layer) -> str:
    """The name shown for `layer.activation` ("relu", "tanh", ...), as Keras writes it."""
    activation = layer.activation
    if hasattr(activation, "name"):
        return str(activation.name)
    if hasattr(activation, "__name__"):
        return activation.__name__
    return str(activation)


def _cell(text, bgcolor="white", color=None) -> str:
    font = f'<font point-size="14" color="{color}">' if color else '<font point-size="14">'
    return f'<td bgcolor="{bgcolor}">{font}{text}</font></td>'


_LABEL_OPTIONS = ("show_layer_names", "show_layer_activations", "show_dtype", "show_shapes", "show_trainable")


def make_layer_label(layer, **kwargs) -> str:
    """The HTML-like Graphviz label Keras 3 draws for one layer (the same markup, so the same picture).

    Takes exactly the five keyword arguments show_layer_names, show_layer_activations, show_dtype,
    show_shapes and show_trainable.
    """
    missing = [k for k in _LABEL_OPTIONS if k not in kwargs]
    if missing:
        raise TypeError(f"make_layer_label() needs the keyword arguments {list(_LABEL_OPTIONS)}; missing: {missing}")
    options = {k: kwargs.pop(k) for k in _LABEL_OPTIONS}
    if kwargs:
        raise ValueError(f"Invalid kwargs: {kwargs}")
    return layer_label(layer, **options)


def layer_label(layer, show_layer_names, show_layer_activations, show_dtype, show_shapes, show_trainable) -> str:
    esc = lambda v: html.escape(str(v), quote=False)
    class_name = _class_name(layer)
    # The title spans the columns below it; Keras counts two for the shapes even when an InputLayer has one.
    colspan = max(1, 2 * bool(show_shapes) + bool(show_dtype) + bool(show_trainable))
    title = f"<b>{esc(layer.name)}</b> ({esc(class_name)})" if show_layer_names else f"<b>{esc(class_name)}</b>"
    rows = [f'<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" color="white">{title}'
            '</font></td></tr>']
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        rows.append('<tr><td bgcolor="white" colspan="{}"><font point-size="14">Activation: <b>{}</b>'
                    '</font></td></tr>'.format(colspan, esc(get_layer_activation_name(layer))))
    cols = []
    inputs, outputs = _first_call_io(layer) if (show_shapes or show_dtype) else (None, None)
    if show_shapes:
        shape_of = lambda struct: None if struct is None else _map(struct, lambda t: t.shape)
        if class_name != "InputLayer":
            cols.append(_cell(f"Input shape: <b>{esc(_format_shape(shape_of(inputs)))}</b>"))
        cols.append(_cell(f"Output shape: <b>{esc(_format_shape(shape_of(outputs)))}</b>"))
    if show_dtype:
        dtypes = None if outputs is None else _map(outputs, _dtype_name)
        cols.append(_cell(f"Output dtype: <b>{esc(dtypes or '?')}</b>"))
    if show_trainable and layer.weights:
        cols.append(_cell("<b>Trainable</b>", "forestgreen", "white") if layer.trainable
                    else _cell("<b>Non-trainable</b>", "firebrick", "white"))
    if cols:
        rows.append(f"<tr>{''.join(cols)}</tr>")
    return '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">' + "".join(rows) + "</table>>"
