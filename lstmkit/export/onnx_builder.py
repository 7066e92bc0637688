"""A small writer of ONNX graphs: unique names, weights as initializers, nodes through `onnx.helper`.

Only the exporter uses it; the layers' rules (`onnx_layers`, `onnx_recurrent`) call `op` and `const`
and never see protobuf objects.
"""

from __future__ import annotations

import itertools

import numpy as np


class ExportError(ValueError):
    """A model (or one of its layers, or an option of one) that cannot be written as ONNX."""


def require_onnx():
    """The `onnx` module, or an ImportError saying how to install it."""
    try:
        import onnx
    except ImportError as err:
        raise ImportError("Exporting to ONNX needs the `onnx` package: `pip install lstmkit[onnx]` "
                          "(or `pip install onnx onnxruntime`).") from err
    return onnx


class GraphBuilder:
    """Collects the nodes, initializers, inputs and outputs of one ONNX graph.

    `opset` is the ONNX opset the nodes are written for (some operators changed their arguments:
    see `reduce`). A Scan body is made with `body()`: a builder sharing this one's name counter, so
    names stay unique in the whole model.
    """

    def __init__(self, opset, counter=None):
        self.onnx = require_onnx()
        self.opset = int(opset)
        self.nodes, self.initializers, self.inputs, self.outputs = [], [], [], []
        self._counter = counter if counter is not None else itertools.count()
        self._taken = set()

    # ----------------------------------------------------------------- names and values
    def fresh(self, hint="t"):
        """A name not used before in this model, readable: '<hint>_<n>'."""
        hint = "".join(ch if ch.isalnum() or ch in "_./" else "_" for ch in str(hint)) or "t"
        return f"{hint}_{next(self._counter)}"

    def claim(self, name):
        """Reserve an exact name (graph inputs and outputs the user sees); refuses a repeat."""
        if name in self._taken:
            raise ExportError(f"Two graph inputs or outputs would both be named {name!r}; rename one of the layers.")
        self._taken.add(name)
        return name

    def const(self, value, hint="const", dtype=np.float32):
        """An initializer holding `value` (converted to `dtype`); returns its name."""
        name = self.fresh(hint)
        array = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def ints(self, values, hint="shape"):
        """An int64 1-D initializer (shapes, axes, split sizes)."""
        return self.const(np.asarray(values, np.int64).reshape(-1), hint, np.int64)

    def op(self, op_type, inputs, hint=None, outputs=1, **attrs):
        """Add one node; returns its output name, or a list of `outputs` names when outputs > 1.
        An empty string in `inputs` is ONNX's "no value" for an optional input."""
        names = [self.fresh(hint or op_type.lower()) for _ in range(outputs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), names, **attrs))
        return names[0] if outputs == 1 else names

    # ----------------------------------------------------------------- operators whose form depends on the opset
    def reduce(self, op_type, x, axes, keepdims=True, hint=None):
        """ReduceMean / ReduceMax / ReduceSum...: axes are an input from opset 18 (13 for ReduceSum)."""
        axes_as_input = self.opset >= (13 if op_type == "ReduceSum" else 18)
        if axes_as_input:
            return self.op(op_type, [x, self.ints(axes, "axes")], hint, keepdims=int(keepdims))
        return self.op(op_type, [x], hint, axes=list(axes), keepdims=int(keepdims))

    def squeeze(self, x, axes, hint=None):
        return self.op("Squeeze", [x, self.ints(axes, "axes")], hint)

    def unsqueeze(self, x, axes, hint=None):
        return self.op("Unsqueeze", [x, self.ints(axes, "axes")], hint)

    def reshape(self, x, shape, hint=None):
        """Reshape to `shape` (0 keeps that input dimension, -1 is inferred), as ONNX reads them."""
        return self.op("Reshape", [x, self.ints(shape, "shape")], hint)

    def flip_time(self, x, hint="reverse"):
        """`x` with axis 1 (time) reversed, for any batch and length."""
        # Slice with step -1 from the end to before the start: INT64 min as the stop reaches index 0.
        return self.op("Slice", [x, self.ints([-1]), self.ints([np.iinfo(np.int64).min]), self.ints([1]),
                                 self.ints([-1])], hint)

    def concat(self, parts, axis, hint="concat"):
        return parts[0] if len(parts) == 1 else self.op("Concat", parts, hint, axis=int(axis))

    # ----------------------------------------------------------------- the graph's edges
    def value_info(self, name, dtype, shape):
        """A typed value description; None dimensions become the symbolic 'batch' (axis 0) or 'dim_<i>'."""
        elem = self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        if shape is None:  # unknown rank (a Scan body's values)
            return self.onnx.helper.make_tensor_value_info(name, elem, None)
        dims = [("batch" if i == 0 else f"{name}_dim{i}") if d is None else int(d) for i, d in enumerate(shape)]
        return self.onnx.helper.make_tensor_value_info(name, elem, dims)

    def add_input(self, name, dtype, shape):
        self.inputs.append(self.value_info(self.claim(name), dtype, shape))
        return name

    def add_output(self, source, name, dtype, shape):
        """Expose the value `source` as graph output `name` (through an Identity when the names differ)."""
        self.claim(name)
        if source != name:
            self.nodes.append(self.onnx.helper.make_node("Identity", [source], [name]))
        self.outputs.append(self.value_info(name, dtype, shape))

    def body(self):
        """A builder for a subgraph (Scan's body) that shares this model's names."""
        return GraphBuilder(self.opset, self._counter)

    def graph(self, name):
        return self.onnx.helper.make_graph(self.nodes, name, self.inputs, self.outputs, self.initializers)
