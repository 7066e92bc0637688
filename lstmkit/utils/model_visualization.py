"""`plot_model` and `model_to_dot`: Keras 3's drawing of a model's layer graph, through pydot and Graphviz.

The graph drawn is Keras 3's: one box per layer (an HTML table: name and class, then optionally the
activation, the input/output shapes, the output dtype and whether it trains), one edge per
producer -> consumer pair. A Sequential model shows its layers without the InputLayer; a functional
model shows its InputLayers and the ops recorded between layers; a subclassed model, which has no
graph, is one box. With `expand_nested=True` a nested functional or Sequential model is drawn as a
dashed cluster of its own layers, the edges going to and from the layers inside it.

pydot (`pip install 'lstmkit[plot]'`) and Graphviz's `dot` program are needed; both are imported or
looked for only when a drawing is asked for.
"""

from __future__ import annotations

import os
import sys
import uuid

from lstmkit.utils._layer_labels import (  # noqa: F401  (Keras's module has these two too)
    get_layer_activation_name,
    is_graph_model,
    layer_label,
    make_layer_label,
    model_kind,
)

_PYDOT_MISSING = (
    "You must install pydot (`pip install pydot`, or `pip install 'lstmkit[plot]'`) and Graphviz "
    "(`apt-get install graphviz` on Debian/Ubuntu, `brew install graphviz` on macOS, or see "
    "https://graphviz.gitlab.io/download/) for `{what}` to work."
)
_GRAPHVIZ_MISSING = (
    "You must install graphviz (its `dot` program: `apt-get install graphviz` on Debian/Ubuntu, "
    "`brew install graphviz` on macOS, or see instructions at https://graphviz.gitlab.io/download/) "
    "for `plot_model` to work."
)
_NOT_BUILT = ("This model has not yet been built. Build the model first by calling `build()` or by calling "
              "the model on a batch of data.")
_RANKDIRS = ("TB", "LR", "BT", "RL")
_SPLINES = ("ortho", "curved", "polyline", "spline", "line", "true", "false", "none", "compound", "")
_graphviz_found = False  # only a success is remembered: Graphviz may be installed while Python runs


def _pydot(what):
    """The pydot module, or one ImportError saying what to install."""
    try:
        import pydot
    except ImportError:
        pydot = None
    if pydot is None:
        raise ImportError(_PYDOT_MISSING.format(what=what))
    return pydot


def check_pydot() -> bool:
    """True when pydot can be imported (Keras's `check_pydot`)."""
    try:
        _pydot("model_to_dot")
    except ImportError:
        return False
    return True


def check_graphviz() -> bool:
    """True when pydot and Graphviz's `dot` program both work (Keras's `check_graphviz`)."""
    try:
        pydot = _pydot("plot_model")
    except ImportError:
        return False
    return _graphviz_works(pydot)


def _graphviz_works(pydot) -> bool:
    # As Keras does: lay out an empty graph; this fails when Graphviz's `dot` cannot be run.
    global _graphviz_found
    if not _graphviz_found:
        errors = (OSError,) + tuple(getattr(pydot, n) for n in ("PydotException", "InvocationException")
                                    if isinstance(getattr(pydot, n, None), type))
        try:
            pydot.Dot.create(pydot.Dot())
        except errors:
            return False
        _graphviz_found = True
    return True


def _check_model(model):
    from lstmkit.layers.base import Layer

    if not isinstance(model, Layer):
        raise TypeError(f"`model` must be a lstmkit Model (or Layer). Received: model={model!r:.100} "
                        f"(of type {type(model).__name__})")
    if not model.built:
        raise ValueError(_NOT_BUILT)


def _check_arguments(rankdir, dpi, splines, kwargs):
    # Keras's own errors for the arguments Keras 3 no longer takes, then lstmkit's checks of the values
    # Graphviz would otherwise only warn about (and draw something else).
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"Argument `rankdir` must be one of {list(_RANKDIRS)}. Received: rankdir={rankdir!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0:
        raise ValueError(f"Argument `dpi` must be a positive number. Received: dpi={dpi!r}")
    if not isinstance(splines, bool) and (not isinstance(splines, str) or splines.lower() not in _SPLINES):
        raise ValueError(f"Argument `splines` must be one of {[s for s in _SPLINES if s]}. "
                         f"Received: splines={splines!r}")


# ----------------------------------------------------------------------------------------------- the graph
def _add_node(dot, pydot, layer, options):
    node = pydot.Node(str(id(layer)), label=layer_label(layer, **options))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    dot.add_node(node)


def _add_edge(dot, pydot, source, destination):
    src, dst = str(id(source)), str(id(destination))
    if not dot.get_edge(src, dst):
        edge = pydot.Edge(src, dst)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _drawn_source(layer, output_index):
    """The layer inside (nested) models that makes a model's `output_index`-th output."""
    while is_graph_model(layer):
        tensor = layer._flat_outputs[output_index]
        layer, output_index = tensor._node.layer, tensor._index
    return layer


def _drawn_destination(layer, input_index):
    """The box inside (nested) models that receives a model's `input_index`-th input: a functional
    model's InputLayer, a Sequential model's first layer."""
    while is_graph_model(layer):
        if model_kind(layer) == "sequential":
            layer = layer.layers[0]
        else:
            layer = layer._flat_inputs[input_index]._node.layer
    return layer


def _graph_layers(model, kind) -> list:
    # Keras draws a functional model's operations (layers, InputLayers and recorded ops) in its order.
    return list(model.layers) if kind == "sequential" else list(model._graph_layers)


def _build(pydot, model, options, rankdir, expand_nested, dpi, subgraph, splines):
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    kind = model_kind(model)
    if kind == "single":  # a subclassed model has no graph to show: one box
        _add_node(dot, pydot, model, options)
        return dot
    layers = _graph_layers(model, kind)
    for layer in layers:
        if expand_nested and is_graph_model(layer):
            dot.add_subgraph(_build(pydot, layer, options, rankdir, expand_nested, dpi, True, splines))
        else:
            _add_node(dot, pydot, layer, options)
    if kind == "sequential" and not expand_nested:
        for before, after in zip(layers, layers[1:]):
            _add_edge(dot, pydot, before, after)
        return dot
    if kind == "sequential":
        layers = layers[1:]  # the first layer's input is the (undrawn) InputLayer, or an edge from outside
    # Only this model's calls of its layers: a layer shared with another model has calls outside it.
    own = {id(n) for n in model._nodes}
    for layer in layers:
        for node in layer._inbound_nodes:
            if id(node) not in own:
                continue
            for input_index, tensor in enumerate(node.input_tensors):
                if tensor._node is None:
                    continue
                source, destination = tensor._node.layer, layer
                if expand_nested:
                    source = _drawn_source(source, tensor._index)
                    destination = _drawn_destination(destination, input_index)
                _add_edge(dot, pydot, source, destination)
    return dot


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False, show_trainable=False,
                 splines="ortho", **kwargs):
    """Convert a model to a `pydot.Dot` graph (Keras 3's `keras.utils.model_to_dot`).

    Args:
        model: a built lstmkit model (Sequential, functional or subclassed).
        show_shapes: show each layer's input and output shapes, e.g. `(None, 10, 8)`.
        show_dtype: show each layer's output dtype.
        show_layer_names: show each layer's name before its class name.
        rankdir: `"TB"` (top to bottom), `"LR"` (left to right), `"BT"` or `"RL"`.
        expand_nested: draw nested functional/Sequential models as clusters of their layers.
        dpi: image resolution in dots per inch.
        subgraph: return a `pydot.Cluster` (the nested-model drawing) instead of a `pydot.Dot`.
        show_layer_activations: show the activation of layers that have one.
        show_trainable: show whether each layer with weights is trainable.
        splines: how edges are drawn: `"ortho"` (right angles), `"curved"`, `"polyline"`, `"spline"`,
            `"line"`.

    Returns:
        A `pydot.Dot` (or `pydot.Cluster` when `subgraph=True`).
    """
    _check_model(model)
    pydot = _pydot("model_to_dot")
    _check_arguments(rankdir, dpi, splines, kwargs)
    options = {"show_layer_names": show_layer_names, "show_layer_activations": show_layer_activations,
               "show_dtype": show_dtype, "show_shapes": show_shapes, "show_trainable": show_trainable}
    return _build(pydot, model, options, rankdir, expand_nested, dpi, subgraph, splines)


def _in_notebook() -> bool:
    # Keras looks only for this IPython module, which merely importing IPython loads; a running shell
    # (`get_ipython()`) is asked for too, so a script that imports IPython still gets the error.
    if "IPython.core.magics.namespace" not in sys.modules:
        return False
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    return get_ipython is not None and get_ipython() is not None


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               splines="ortho", **kwargs):
    """Draw a model's layer graph to an image file (Keras 3's `keras.utils.plot_model`).

    The format follows the extension of `to_file`: `.png` (also when there is none), `.svg`, `.pdf`,
    `.dot` (Graphviz's own text), or any other format Graphviz writes (`.jpg`, `.ps`, ...). The file is
    written whole under a temporary name and then renamed, so a failed drawing leaves no partial file.
    The other arguments are `model_to_dot`'s; note that `show_layer_names` defaults to False here.

    Example: `lstmkit.utils.plot_model(model, to_file="model.png", show_shapes=True)`

    Returns:
        When IPython is installed, the drawing to show in a notebook: an `IPython.display.Image` for
        PNG/JPEG/GIF files, an `IPython.display.SVG` for `.svg`; otherwise None.
    """
    _check_model(model)
    try:
        pydot = _pydot("plot_model")
    except ImportError:
        if not _in_notebook():
            raise
        # Keras prints instead of raising inside a notebook, so a notebook without pydot still runs.
        print(_PYDOT_MISSING.format(what="plot_model"))
        return None
    if not _graphviz_works(pydot):
        if not _in_notebook():
            raise ImportError(_GRAPHVIZ_MISSING)
        print(_GRAPHVIZ_MISSING)
        return None
    if not isinstance(to_file, (str, os.PathLike)):
        raise TypeError(f"`to_file` must be a file path (str or os.PathLike). Received: to_file={to_file!r:.100}")
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable,
                       splines=splines, **kwargs)
    to_file = os.fspath(to_file)
    extension = (os.path.splitext(to_file)[1][1:] or "png").lower()  # Graphviz's format names are lower case
    try:
        data = dot.create(format=extension)  # Graphviz runs here; nothing is written if it fails
    except AssertionError as e:  # pydot's way of reporting that `dot` failed (it prints Graphviz's message)
        known = sorted(getattr(dot, "formats", ()))
        if extension not in known:  # pydot's list; Graphviz may know a few more (webp, json), tried above
            raise ValueError(f"`to_file` must end in an extension naming a format Graphviz writes, such as .png, "
                             f".svg, .pdf or .dot. Received: to_file={to_file!r} (format '{extension}'; the formats "
                             f"pydot knows: {', '.join(known)})") from None
        message = " ".join(str(e).split())
        raise ValueError(f"Graphviz could not draw `to_file`={to_file!r} in the format '{extension}' (taken "
                         f"from its extension). Graphviz said: {message:.600}") from None
    temporary = os.path.join(os.path.dirname(to_file), f".{os.path.basename(to_file)}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(temporary, "xb") as f:
            f.write(data)
        os.replace(temporary, to_file)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return _notebook_image(to_file, extension)


def _notebook_image(path, extension):
    # Keras returns `IPython.display.Image` for every format but PDF, which raises for SVG and DOT files
    # (IPython cannot embed them as images); here SVG gets IPython's SVG object and other formats None.
    try:
        from IPython import display
    except ImportError:
        return None
    image_format = {"jpg": "jpeg"}.get(extension.lower(), extension.lower())
    if image_format in ("png", "jpeg", "gif", "webp"):  # told, not guessed from a name maybe without extension
        return display.Image(filename=path, format=image_format)
    if extension.lower() == "svg":
        return display.SVG(filename=path)
    return None


__all__ = ["model_to_dot", "plot_model"]
