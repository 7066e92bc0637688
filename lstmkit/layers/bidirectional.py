"""`Bidirectional`: run a recurrent layer forwards and a copy backwards, and merge the two."""

from __future__ import annotations

import copy

import jax.numpy as jnp

from lstmkit.layers.base import Layer
from lstmkit.layers.rnn import RNN
from lstmkit.layers.rnn_base import NotStatefulError, RNNBase

_RECURRENT = (RNNBase, RNN)  # LSTM, GRU, SimpleRNN and RNN(cell)

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _serialize_layer(layer: Layer) -> dict:
    """A layer as Keras 3 serializes it inside a wrapper's config."""
    from lstmkit.layers.serialization import serialize_layer

    return serialize_layer(layer)


def _deserialize_layer(config) -> Layer:
    if isinstance(config, Layer):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Bidirectional.from_config: expected a layer config {{'class_name', 'config'}}, "
                         f"received {config!r}.")
    from lstmkit.layers.serialization import deserialize_layer

    return deserialize_layer(config, build=True)  # built for its build_config, as Keras does


def _strip_prefix(name: str, prefix: str) -> str:
    return name[len(prefix):] if name.startswith(prefix) else name


def _classes_in(layer) -> dict:
    """The classes of `layer` and everything it holds, by name (a user's cell inside RNN(...))."""
    out = {type(layer).__name__: type(layer)}
    for sub in layer._sublayers.values():
        out.update(_classes_in(sub))
    return out


def _copy_layer(layer: RNNBase, name: str, go_backwards=None) -> RNNBase:
    from lstmkit.layers.serialization import current_context, load_context

    config = copy.deepcopy(layer.get_config())
    config["name"] = name
    if go_backwards is not None:
        config["go_backwards"] = go_backwards
    # The copy is rebuilt from the config, so the classes in hand must be found by name, registered or not.
    custom, keras2 = current_context()
    with load_context({**custom, **_classes_in(layer)}, keras2):
        copied = type(layer).from_config(config)
    if hasattr(layer, "use_cudnn"):  # not part of the config, but kept by Keras's Bidirectional
        copied.use_cudnn = layer.use_cudnn
    return copied


class Bidirectional(Layer):
    """`Bidirectional(LSTM(10), merge_mode='concat')`, as in Keras 3; also over `ConvLSTM1D/2D/3D`.

    The forward layer is a fresh copy of `layer` named `forward_<name>`; the backward one a copy with
    `go_backwards` flipped named `backward_<name>` (or `backward_layer`). Weights: forward then
    backward. With `return_sequences` the backward outputs are put back in input order (axis 1, time)
    before merging; the merge works on the last axis, whatever the outputs' rank (ConvLSTM's are 4-D+).
    merge_mode: 'concat' | 'sum' | 'mul' | 'ave' | None (a list [forward, backward]). With
    `return_state`: `[merged, *forward_states, *backward_states]` (`[fw, bw, *states]` when None).
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, _RECURRENT):
            raise ValueError(
                "Bidirectional wraps a recurrent layer (LSTM, GRU, SimpleRNN or RNN(cell)), e.g. "
                "Bidirectional(LSTM(10)); "
                f"received {layer!r}."
            )
        if backward_layer is not None and not isinstance(backward_layer, _RECURRENT):
            raise ValueError(f"`backward_layer` must be a recurrent layer (LSTM, GRU, SimpleRNN or RNN(cell)); received "
                             f"{backward_layer!r}.")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode!r}. Merge mode should be one of "
                             '{"sum", "mul", "ave", "concat", None}')
        if not any(k in kwargs for k in ("input_shape", "batch_input_shape", "input_dim")) \
                and layer._batch_input_shape is not None:
            kwargs["batch_input_shape"] = layer._batch_input_shape  # LSTM(..., input_shape=...) inside the wrapper
        super().__init__(**kwargs)
        forward = _copy_layer(layer, f"forward_{_strip_prefix(layer.name, 'forward_')}")
        if backward_layer is None:
            backward = _copy_layer(layer, f"backward_{_strip_prefix(layer.name, 'backward_')}",
                                   go_backwards=not layer.go_backwards)
        else:
            backward = backward_layer
        self._verify(forward, backward)
        # Keras 3 has both directions emit zeros at masked steps when returning sequences.
        for sub in (forward, backward):
            sub.zero_output_for_mask = sub.return_sequences
        self.forward_layer = self._track("forward_layer", forward)
        self.backward_layer = self._track("backward_layer", backward)
        self.merge_mode = merge_mode
        self._initial_weights = list(weights) if weights is not None and len(weights) else None
        self.stateful = forward.stateful
        self.return_sequences = forward.return_sequences
        self.return_state = forward.return_state

    @staticmethod
    def _verify(forward, backward):
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` value. Received: "
                f"forward_layer.go_backwards={forward.go_backwards}, "
                f"backward_layer.go_backwards={backward.go_backwards}"
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attr) != getattr(backward, attr):
                raise ValueError(
                    f'Forward layer and backward layer are expected to have the same value for attribute "{attr}", '
                    f'got "{getattr(forward, attr)}" for forward layer and "{getattr(backward, attr)}" for '
                    "backward layer"
                )

    @classmethod
    def _sequence_input(cls) -> bool:
        return True

    # ----------------------------------------------------------------- shapes
    def _check_input_shape(self, shape):
        if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        # The wrapped layer knows its inputs (3-D for LSTM, rank + 3 for ConvLSTM); Keras reads its input_spec
        # and names the wrapper in the message.
        forward = self.forward_layer
        try:
            forward._check_input_shape(tuple(shape))
        except ValueError as error:
            message = str(error).replace(f'layer "{forward.name}"', f'layer "{self.name}"')
            raise ValueError(message) from None

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.forward_layer._maybe_build(input_shape)
        self.backward_layer._maybe_build(input_shape)
        self.built = True
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            half = len(weights) // 2
            self.forward_layer.set_weights(weights[:half])
            self.backward_layer.set_weights(weights[half:])

    def compute_output_shape(self, input_shape, initial_state=None, **kwargs):
        out = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            out, states = out[0], list(out[1:])
        if self.merge_mode == "concat":
            out = tuple(out[:-1]) + (out[-1] * 2,)
            outs = [out]
        elif self.merge_mode is None:
            outs = [out, out]
        else:
            outs = [out]
        if self.return_state:
            return outs + states + states
        return outs if self.merge_mode is None else outs[0]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        out = mask if self.return_sequences else None
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            return outs + [None] * (2 * self._state_count(inputs))
        return outs if self.merge_mode is None else out

    def _state_count(self, inputs):
        """How many state tensors one direction returns, as its own masks count them (ConvLSTM's
        state_size is -1, yet it has h and c; a stack's nested states count one by one)."""
        first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        return len(self.forward_layer.compute_mask(first, None)) - 1

    # ----------------------------------------------------------------- state
    def reset_states(self, states=None):
        """Reset both directions; `states` (optional) lists the forward states then the backward ones."""
        if not self.stateful:
            raise NotStatefulError("Layer must be stateful.")
        fixed = self._fixed_batch_size()
        half = None
        if states is not None:
            states = list(states)
            half = len(states) // 2
        for i, sub in enumerate((self.forward_layer, self.backward_layer)):
            if sub._states is None and fixed is not None:
                sub._states = sub.initial_state(fixed)
            sub.reset_states(None if states is None else (states[:half] if i == 0 else states[half:]))

    reset_state = reset_states

    @property
    def states(self):
        fw, bw = self.forward_layer.states, self.backward_layer.states
        return None if fw is None or bw is None else fw + bw

    # ----------------------------------------------------------------- call
    def call(self, params, inputs, ctx, mask=None, initial_state=None, training=None):
        self._check_input_shape(inputs.shape)
        forward_state = backward_state = None
        if initial_state is not None:
            initial_state = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y, _ = self.forward_layer.apply(params["forward_layer"], inputs, ctx, mask=mask,
                                        initial_state=forward_state, training=training)
        y_rev, _ = self.backward_layer.apply(params["backward_layer"], inputs, ctx, mask=mask,
                                             initial_state=backward_state, training=training)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            outputs = [jnp.concatenate([y, y_rev], axis=-1)]
        elif self.merge_mode == "sum":
            outputs = [y + y_rev]
        elif self.merge_mode == "ave":
            outputs = [(y + y_rev) / 2]
        elif self.merge_mode == "mul":
            outputs = [y * y_rev]
        else:
            outputs = [y, y_rev]
        if self.return_state:
            return outputs + states
        return outputs if self.merge_mode is None else outputs[0]

    # ----------------------------------------------------------------- config
    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": _serialize_layer(self.forward_layer),
                "backward_layer": _serialize_layer(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        config = copy.deepcopy(config)
        config["layer"] = _deserialize_layer(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = _deserialize_layer(config["backward_layer"])
        return cls(**config)

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    @classmethod
    def keras2_config(cls, config, where):
        if config.pop("num_constants", None):
            raise ValueError(f"{where}: Bidirectional with constants (num_constants > 0) is not supported by lstmkit.")
        return config

    @classmethod
    def to_keras2_config(cls, config, where, convert):
        forward = convert(config["layer"], where)
        forward["config"]["name"] = _strip_prefix(forward["config"]["name"], "forward_")
        config["layer"] = forward
        # The backward copy Keras 2 makes itself is the one lstmkit made; write it only if it differs.
        backward = convert(config.pop("backward_layer"), where)
        auto = dict(forward["config"], name=backward["config"]["name"], go_backwards=not forward["config"]["go_backwards"])
        if backward["config"] != auto:
            config["backward_layer"] = backward
        return config

    @classmethod
    def keras2_states_as_inputs(cls) -> bool:
        return True

    def param_count_formula(self):
        fw, bw = self.forward_layer.checked_param_count_formula(), self.backward_layer.checked_param_count_formula()
        if fw is None or bw is None:
            return None
        if fw[0] == bw[0]:
            return f"2 × ({fw[0]})", 2 * fw[1], f"2 directions × ({fw[2]})"
        return (f"({fw[0]}) + ({bw[0]})", fw[1] + bw[1],
                f"forward {type(self.forward_layer).__name__} + backward {type(self.backward_layer).__name__}")

    def traces_steps(self) -> bool:
        return self.forward_layer.traces_steps() and self.backward_layer.traces_steps()  # not yet ConvLSTM's

    def trace_steps(self, params, inputs, mask=None, initial_state=None, states=None):
        """Both directions, as '/forward' and '/backward' (`initial_state`: the forward states, then the backward)."""
        inits = (None, None)
        if initial_state is not None:
            half = len(initial_state) // 2
            inits = (initial_state[:half], initial_state[half:])
        out = {}
        for suffix, layer, key, init in (("/forward", self.forward_layer, "forward_layer", inits[0]),
                                         ("/backward", self.backward_layer, "backward_layer", inits[1])):
            for inner, record in layer.trace_steps(params[key], inputs, mask, init, states).items():
                out[suffix + inner] = record
        return out
