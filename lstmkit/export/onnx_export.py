"""`model.export(filepath, format="onnx")`: a model's inference graph as an ONNX file.

The model's layer graph is walked node by node; each layer class has a rule (`onnx_layers`,
`onnx_recurrent`) that writes its computation with ONNX operators and the layer's current weights.
The batch dimension is symbolic ('batch'). A stateful recurrent layer's carried state becomes an extra
graph input and output ('<layer>_state_h', '<layer>_state_h_out'), so a server carries the state
itself. A layer (or an option of one) without a rule stops the export with an error naming it.
"""

from __future__ import annotations

import dataclasses
import os

import jax
import numpy as np

from lstmkit.export import onnx_rules
from lstmkit.export.onnx_builder import ExportError, GraphBuilder, require_onnx
from lstmkit.layers.input_layer import InputLayer, _is_kt

#: The formats Keras 3's `Model.export` knows; lstmkit writes "onnx" only.
KERAS_FORMATS = ("tf_saved_model", "onnx", "openvino", "litert", "torch")
SUPPORTED_FORMATS = ("onnx",)
DEFAULT_OPSET = 18
MIN_OPSET = 17


def export_model(model, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
    """`Model.export`: checks `format` as Keras does, then writes ONNX."""
    if format not in KERAS_FORMATS:
        raise ValueError(f"Unrecognized format={format}. Supported formats are: {list(SUPPORTED_FORMATS)} "
                         f"(Keras also names {[f for f in KERAS_FORMATS if f not in SUPPORTED_FORMATS]}, which "
                         "lstmkit cannot write).")
    if format not in SUPPORTED_FORMATS:
        raise ValueError(f"format={format!r} needs TensorFlow, OpenVINO, LiteRT or PyTorch, which lstmkit does not "
                         f"use; lstmkit exports format='onnx' only (supported formats: {list(SUPPORTED_FORMATS)}).")
    return export_onnx(model, filepath, verbose=verbose, input_signature=input_signature, **kwargs)


def export_onnx(model, filepath, verbose=None, input_signature=None, opset_version=None, **kwargs):
    """Write `model`'s inference graph to `filepath` as ONNX (Keras 3's `export_onnx` arguments).

    input_signature: optional, one spec per model input, each with `.shape` and `.dtype` (a KerasTensor,
        `jax.ShapeDtypeStruct`, numpy array): to fix a dimension or feed another dtype (e.g. int32 token ids).
        Its shape must agree with the model's where the model's is known.
    opset_version: the ONNX opset, default 18 (17 up to what the installed `onnx` knows).
    verbose: print where the file went (default True, as Keras).
    Returns nothing; the file is written under a temporary name and renamed.
    """
    if kwargs:
        raise TypeError(f"export(format='onnx') got unexpected keyword arguments {sorted(kwargs)}; it takes "
                        "`verbose`, `input_signature` and `opset_version`.")
    onnx = require_onnx()
    opset = _opset(onnx, opset_version)
    _check_model(model)
    specs = _input_specs(model, input_signature)
    b = GraphBuilder(opset)
    values = {}  # id(KerasTensor) -> Value
    for tensor, (name, dtype, shape) in zip(model._flat_inputs, specs):
        b.add_input(name, dtype, shape)
        values[id(tensor)] = Value(name, None, tuple(shape), np.dtype(dtype))
    states = []  # (output name of a final state, graph output name, shape) of stateful layers
    emit_graph(b, model, values, states)
    for name, tensor in zip(_unique(model.output_names), model._flat_outputs):
        value = values[id(tensor)]
        b.add_output(value.name, name, np.float32 if value.dtype.kind == "f" else value.dtype,
                     (None,) + tuple(tensor.shape[1:]))
    for source, name, shape in states:
        b.add_output(source, name, np.float32, shape)
    proto = onnx.helper.make_model(b.graph(model.name), producer_name="lstmkit",
                                   opset_imports=[onnx.helper.make_opsetid("", opset)])
    proto.ir_version = onnx.helper.find_min_ir_version_for(list(proto.opset_import))
    onnx.checker.check_model(proto, full_check=True)
    from lstmkit.saving.atomic import atomic_write_path

    with atomic_write_path(filepath) as tmp:
        onnx.save_model(proto, tmp)
    if verbose is None or verbose:
        print(f"Saved artifact at '{os.fspath(filepath)}'.")


@dataclasses.dataclass
class Value:
    """An ONNX value standing for one KerasTensor: its name, its mask's name (bool, or None), shape, dtype."""

    name: str
    mask: str | None
    shape: tuple
    dtype: np.dtype


@dataclasses.dataclass
class Call:
    """What a layer's rule gets: the builder, the layer, its input values, its call's options."""

    b: GraphBuilder
    layer: object
    inputs: list  # of Value
    out_shapes: list  # static shapes of the node's outputs (None = unknown)
    initial_state: list | None  # of Value (the `initial_state=` of the call), or None
    states: list  # the exporter's stateful outputs, to which a stateful layer adds its own
    options: dict = dataclasses.field(default_factory=dict)  # the call's other keyword arguments (constants)

    @property
    def where(self):
        return f"layer {self.layer.name!r} ({type(self.layer).__name__})"

    @property
    def x(self):
        return self.inputs[0].name

    @property
    def shape(self):
        return self.inputs[0].shape

    @property
    def mask(self):
        return self.inputs[0].mask


def emit_graph(b, model, values, states):
    """Write the nodes of `model` (a functional or Sequential model) whose inputs are in `values`."""
    for node in model._nodes:
        if isinstance(node.layer, InputLayer):
            continue
        emit_node(b, node, values, states)


def emit_node(b, node, values, states):
    layer = node.layer
    where = f"layer {layer.name!r} ({type(layer).__name__})"
    kwargs = dict(node.call_kwargs)
    training = kwargs.pop("training", None)
    if training:
        raise ExportError(f"{where} is called with training=True in the model; an exported graph is for inference.")
    explicit_mask = kwargs.pop("mask", None)
    initial_state = kwargs.pop("initial_state", None)
    if len(node.call_args) > 1:
        raise ExportError(f"{where}: calls with {len(node.call_args) - 1} further positional arguments cannot be "
                          "exported to ONNX.")
    if any(_is_kt(t) for t in jax.tree_util.tree_leaves(kwargs, is_leaf=_is_kt)):
        raise ExportError(f"{where}: calls with tensors as keyword arguments ({sorted(kwargs)}) cannot be exported.")
    primary = node.call_args[0]
    tensors = [t for t in jax.tree_util.tree_leaves(primary, is_leaf=_is_kt) if _is_kt(t)]
    inputs = [values[id(t)] for t in tensors]
    if explicit_mask is not None:
        masks = [t for t in jax.tree_util.tree_leaves(explicit_mask, is_leaf=_is_kt) if _is_kt(t)]
        if len(masks) != 1 or len(inputs) != 1:
            raise ExportError(f"{where}: an explicit `mask=` argument is exported for one input only.")
        inputs = [dataclasses.replace(inputs[0], mask=_bool(b, values[id(masks[0])].name))]
    if initial_state is not None:
        initial_state = [values[id(t)] for t in jax.tree_util.tree_leaves(initial_state, is_leaf=_is_kt)
                         if _is_kt(t)]
    outs = [t for t in jax.tree_util.tree_leaves(node.outputs, is_leaf=_is_kt) if _is_kt(t)]
    if getattr(layer, "_keras_model", False):
        if kwargs:
            raise ExportError(f"{where}: a model called with {sorted(kwargs)} cannot be exported.")
        names, masks = _emit_inner_model(b, layer, inputs, states, where)
    else:
        call = Call(b, layer, inputs, [t.shape for t in outs], initial_state, states, kwargs)
        names, masks = onnx_rules.run_rule(call)
    if len(names) != len(outs):
        raise ExportError(f"{where}: its ONNX rule gave {len(names)} outputs, the layer has {len(outs)}.")
    for t, name, mask in zip(outs, names, masks):
        values[id(t)] = Value(name, mask, t.shape, np.dtype(getattr(t, "dtype", None) or "float32"))


def _emit_inner_model(b, model, inputs, states, where):
    """A model used as a layer: its own graph, fed with the outer values."""
    if not getattr(model, "_graph_ready", False) or _subclassed(model):
        raise ExportError(f"{where}: a subclassed model (its own `call`) cannot be exported to ONNX; build it with "
                          "Sequential or the functional API.")
    if len(inputs) != len(model._flat_inputs):
        raise ExportError(f"{where}: takes {len(model._flat_inputs)} inputs, received {len(inputs)}.")
    inner = {id(t): v for t, v in zip(model._flat_inputs, inputs)}
    emit_graph(b, model, inner, states)
    outs = [inner[id(t)] for t in model._flat_outputs]
    return [v.name for v in outs], [v.mask for v in outs]


def _bool(b, name):
    return b.op("Cast", [name], "mask", to=b.onnx.TensorProto.BOOL)


# ----------------------------------------------------------------- checks before any graph is made
def _opset(onnx, opset_version):
    newest = onnx.defs.onnx_opset_version()
    if opset_version is None:
        return DEFAULT_OPSET
    if isinstance(opset_version, bool) or not isinstance(opset_version, (int, np.integer)) \
            or not MIN_OPSET <= opset_version <= newest:
        raise ValueError(f"`opset_version` must be an integer from {MIN_OPSET} to {newest} (the newest the installed "
                         f"onnx knows); received opset_version={opset_version!r}.")
    return int(opset_version)


def _check_model(model):
    if not getattr(model, "_keras_model", False):
        raise ValueError(f"export() takes a Sequential or functional model; received {model!r}.")
    if not getattr(model, "_graph_ready", False):
        raise ValueError(f"Model '{model.name}' has not been built yet: give it an input shape (Input(...), "
                         "build(), or one call on data) before export().")
    if _subclassed(model):
        raise ExportError(f"Model '{model.name}' is a subclassed model (its own `call`): ONNX export takes "
                          "Sequential and functional models.")


def _subclassed(model) -> bool:
    from lstmkit.models import subclassed

    return not hasattr(model, "_nodes") or subclassed.is_subclassed(model)


def _input_specs(model, input_signature):
    """[(name, dtype, shape)] of the graph inputs: the model's, or `input_signature`'s where given."""
    tensors = model._flat_inputs
    names = _unique(model.input_names)
    if input_signature is None:
        return [(n, np.dtype(t.dtype), (None,) + tuple(t.shape[1:])) for n, t in zip(names, tensors)]
    specs = list(input_signature) if isinstance(input_signature, (list, tuple)) else [input_signature]
    if len(specs) == 1 and isinstance(specs[0], (list, tuple)) and len(tensors) > 1:
        specs = list(specs[0])  # Keras's [[spec1, spec2]] for several inputs
    if len(specs) != len(tensors):
        raise ValueError(f"`input_signature` must give one spec per model input ({len(tensors)}: {names}); "
                         f"received {len(specs)}.")
    out = []
    for name, tensor, spec in zip(names, tensors, specs):
        if not hasattr(spec, "shape") or not hasattr(spec, "dtype"):
            raise ValueError(f"`input_signature` for input {name!r}: expected an object with `shape` and `dtype` "
                             f"(KerasTensor, jax.ShapeDtypeStruct, array); received {spec!r}.")
        shape = tuple(None if d is None else int(d) for d in spec.shape)
        ok = len(shape) == len(tensor.shape) and all(
            m is None or s is None or m == s for m, s in zip(tensor.shape, shape))
        if not ok:
            raise ValueError(f"`input_signature` for input {name!r}: shape {shape} does not fit the model's input "
                             f"shape {tuple(tensor.shape)}.")
        shape = tuple(m if s is None else s for m, s in zip(tensor.shape, shape))
        out.append((name, np.dtype(getattr(spec.dtype, "name", spec.dtype)), shape))
    return out


def _unique(names):
    """Names made distinct by a suffix where a model repeats one (a layer giving two outputs)."""
    seen, out = {}, []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}_{k}")
    return out
