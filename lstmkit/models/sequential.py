"""`Sequential`: a plain stack of layers, built into a graph once its input shape is known."""

from __future__ import annotations

import numpy as np

from lstmkit.layers.base import Layer
from lstmkit.layers.input_layer import InputLayer, KerasTensor
from lstmkit.models.model import Model


class Sequential(Model):
    """`Sequential([LSTM(50, input_shape=(3, 1)), Dense(1)])` or `Sequential()` + `.add(...)`.

    The input shape comes from an `Input`/`InputLayer`, from `input_shape=` /
    `batch_input_shape=` on the first layer, or from the first data the model sees.
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(name=name, trainable=trainable)
        self._seq_layers: list[Layer] = []
        self._input_layer: InputLayer | None = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    @classmethod
    def _default_name(cls):
        return "sequential"

    def add(self, layer, rebuild=True):
        """Append a layer (or an `Input`) to the stack."""
        if isinstance(layer, KerasTensor):
            if not isinstance(layer._node.layer, InputLayer):
                raise ValueError(
                    "Sequential.add() accepts layers and `Input(...)` tensors only; received the output "
                    f"of layer '{layer._node.layer.name}'. Use the functional API (`Model(inputs, outputs)`) for graphs."
                )
            layer = layer._node.layer
        if isinstance(layer, InputLayer):
            if self._seq_layers or self._input_layer is not None:
                raise ValueError("An `Input` can only be the first element of a Sequential model.")
            self._input_layer = layer
        elif isinstance(layer, Layer):
            if any(l.name == layer.name for l in self._seq_layers):
                raise ValueError(
                    f"All layers added to a Sequential model should have unique names. Name '{layer.name}' "
                    "is already the name of a layer in this model. Update the `name` argument to pass a unique name."
                )
            if not self._seq_layers and self._input_layer is None and layer._batch_input_shape is not None:
                self._input_layer = InputLayer(batch_shape=layer._batch_input_shape)
            self._seq_layers.append(layer)
        else:
            raise TypeError(
                f"Sequential.add() expects a Layer instance; received {layer!r} of type {type(layer).__name__}."
            )
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        """Remove the last layer; returns it."""
        if not self._seq_layers:
            raise TypeError("There are no layers in the model.")
        layer = self._seq_layers.pop()
        self._graph_ready = False
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self):
        if self._input_layer is not None:
            self._build_graph(self._input_layer)
        else:
            self._graph_ready = False
            self._sublayers = {l.name: l for l in self._seq_layers}

    def _build_graph(self, input_layer: InputLayer):
        x = input_layer.output
        for layer in self._seq_layers:
            x = layer(x)
            if isinstance(x, (list, tuple)):
                raise ValueError(
                    f"Layer '{layer.name}' returns several tensors (e.g. return_state=True); "
                    "a Sequential model needs single-output layers. Use the functional API instead."
                )
        self._init_graph(input_layer.output, x)

    def build(self, input_shape=None):
        if self._graph_ready:
            return
        if input_shape is None:
            raise ValueError("Sequential.build() needs an `input_shape`, e.g. (None, timesteps, features).")
        self._input_layer = InputLayer(batch_shape=tuple(input_shape))
        self._build_graph(self._input_layer)

    def _build_from_data(self, inputs):
        if self._graph_ready:
            return
        arr = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        if isinstance(arr, KerasTensor):
            self.build(arr.shape)
            return
        shape = np.shape(arr)
        if len(shape) == 0:
            raise ValueError("Model input must have a batch dimension; received a scalar.")
        if not self._seq_layers:
            raise ValueError("This Sequential model has no layers; add layers before using it.")
        batch = shape[0] if any(l.stateful for l in self._seq_layers) else None
        self.build((batch,) + tuple(shape[1:]))

    @property
    def layers(self) -> list[Layer]:
        return list(self._seq_layers)

    @property
    def input_shape(self):
        self._require_graph()
        return self._input_layer.batch_shape

    @property
    def output_shape(self):
        self._require_graph()
        return self._flat_outputs[0].shape

    def _stateful_layers(self):
        out = []
        for l in self._seq_layers:
            out.extend(l._stateful_layers())
        return out
