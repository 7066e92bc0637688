"""ONNX rules of LSTM, GRU, SimpleRNN and Bidirectional.

Without a mask the layers become ONNX's own `LSTM` / `GRU` / `RNN` operators: Keras's gate blocks are
reordered (Keras LSTM i, f, c, o -> ONNX i, o, f, c; GRU z, r, h is ONNX's order), GRU's
`reset_after=True` is `linear_before_reset=1`, and the activations go in the operators' activation
lists (Relu, HardSigmoid with Keras 3's alpha 1/6 or Keras 2's 0.2...). With a mask, coupled gates,
or an activation those lists lack, the recurrence is an ONNX `Scan` over the cell written out in
operators (`onnx_cells`), with lstmkit's masked-step rules: the state is held, the output is the
previous state (`zero_output_for_mask`: zeros; `unroll`: the previous output).

`go_backwards` returns the outputs in processing order, as Keras does. A stateful layer reads its
state from the graph inputs '<layer>_state_<h|c>' and gives its final state as the outputs
'<layer>_state_<h|c>_out'.
"""

from __future__ import annotations

import numpy as np

from lstmkit.export.onnx_activations import RNN_ACTIVATIONS, rnn_activation_lists
from lstmkit.export.onnx_builder import ExportError
from lstmkit.export.onnx_cells import scan_recurrence
from lstmkit.export.onnx_layers import as_float
from lstmkit.export.onnx_rules import rule
from lstmkit.layers import bidirectional, gru, lstm, rnn, simple_rnn

#: The recurrent layers and stock cells that export, by family (exact classes: a subclass may change `call`).
FAMILIES = {lstm.LSTM: "lstm", gru.GRU: "gru", simple_rnn.SimpleRNN: "rnn",
            lstm.LSTMCell: "lstm", gru.GRUCell: "gru", simple_rnn.SimpleRNNCell: "rnn"}
RECURRENT = (lstm.LSTM, gru.GRU, simple_rnn.SimpleRNN)


class _RNNOfCell:
    """`RNN(cell)` over a stock cell, seen as the recurrent layer it computes: the RNN's name and sequence
    options, the cell's weights, activations and equations."""

    def __init__(self, rnn):
        self._cell = rnn.cell
        self.name = rnn.name
        for attr in ("stateful", "go_backwards", "return_sequences", "return_state", "unroll"):
            setattr(self, attr, getattr(rnn, attr))
        self._masked_output_mode = rnn._masked_output_mode

    def __getattr__(self, name):
        return getattr(self._cell, name)


def _weights(layer):
    """(kernel, recurrent_kernel, bias or None) as float32 arrays."""
    def get(name):
        var = getattr(layer, name, None)
        return None if var is None else np.asarray(var.numpy(), np.float32)

    return get("kernel"), get("recurrent_kernel"), get("bias") if layer.use_bias else None


def family(layer):
    """'lstm', 'gru' or 'rnn' for a layer (or `RNN(cell)` view) that exports, else None."""
    cls = type(layer._cell) if isinstance(layer, _RNNOfCell) else type(layer)
    return FAMILIES.get(cls)


def _activations(layer):
    """The layer's activations in the order of ONNX's activation list for its operator."""
    kind = family(layer)
    if kind == "lstm":
        return [layer.recurrent_activation, layer.activation, layer.activation]  # f (gates), g, h
    if kind == "gru":
        return [layer.recurrent_activation, layer.activation]  # f (gates), g
    return [layer.activation]


def _initial_states(call, layer, given):
    """The starting states as (batch, units) values: `given` (initial_state=), the stateful graph inputs,
    or None (zeros)."""
    names = layer._state_names
    if given is not None:
        if len(given) != len(names):
            raise ExportError(f"{call.where}: expects {len(names)} initial states ({', '.join(names)}); "
                              f"received {len(given)}.")
        return [v.name for v in given]
    if layer.stateful:
        return [call.b.add_input(f"{layer.name}_state_{n}", np.float32, (None, layer.units)) for n in names]
    return None


def run_recurrent(call, layer, x, mask, given_states):
    """(last output, outputs or None, final states) of one recurrent layer on the value `x`."""
    where = f"layer {layer.name!r} ({type(layer).__name__})"
    if family(layer) is None:
        raise ExportError(f"{where} cannot be exported to ONNX: the recurrent layers that export are "
                          f"{[c.__name__ for c in RECURRENT]} and RNN over {['LSTMCell', 'GRUCell', 'SimpleRNNCell']}.")
    states = _initial_states(call, layer, given_states)
    native = (mask is None and not getattr(layer, "coupled_gates", False)
              and all(fn in RNN_ACTIVATIONS for fn in _activations(layer)))
    if native:
        last, seq, final = _onnx_operator(call.b, layer, x, states, where)
    else:
        last, seq, final = scan_recurrence(call.b, layer, family(layer), _weights(layer), x, mask, states, where)
    if layer.stateful:
        for name, value in zip(layer._state_names, final):
            call.states.append((value, f"{layer.name}_state_{name}_out", (None, layer.units)))
    return last, seq, final


def _lstm_blocks(array, axis=-1):
    """Keras's [i, f, c, o] blocks -> ONNX's [i, o, f, c]."""
    i, f, c, o = np.split(array, 4, axis=axis)
    return np.concatenate([i, o, f, c], axis=axis)


def _onnx_operator(b, layer, x, states, where):
    kind, u = family(layer), layer.units
    kernel, recurrent, bias = _weights(layer)
    if kind == "lstm":
        kernel, recurrent = _lstm_blocks(kernel), _lstm_blocks(recurrent)
        bias = np.zeros(4 * u, np.float32) if bias is None else _lstm_blocks(bias)
        bias = np.concatenate([bias, np.zeros(4 * u, np.float32)])
    elif kind == "gru":
        if bias is None:
            bias = np.zeros(6 * u, np.float32)
        elif layer.reset_after:  # (input bias, recurrent bias): ONNX's Wb then Rb
            bias = np.concatenate([bias[0], bias[1]])
        else:
            bias = np.concatenate([bias, np.zeros(3 * u, np.float32)])
    else:
        bias = np.zeros(2 * u, np.float32) if bias is None else np.concatenate([bias, np.zeros(u, np.float32)])
    names, alphas, betas = rnn_activation_lists(_activations(layer), where)
    time_major = b.op("Transpose", [x], "time_major", perm=[1, 0, 2])
    inputs = [time_major, b.const(kernel.T[None], f"{layer.name}/W"), b.const(recurrent.T[None], f"{layer.name}/R"),
              b.const(bias[None], f"{layer.name}/B"), ""]  # "" = no sequence_lens
    inputs += [b.unsqueeze(s, [0], "initial") for s in states] if states is not None else [""] * len(layer._state_names)
    if getattr(layer, "peephole", False):
        p_i, p_f, p_o = (np.asarray(getattr(layer, lstm.PEEPHOLE_NAMES[g]).numpy(), np.float32) for g in "ifo")
        inputs.append(b.const(np.concatenate([p_i, p_o, p_f])[None], f"{layer.name}/P"))
    op_type = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}[kind]
    extra = {"linear_before_reset": int(layer.reset_after)} if kind == "gru" else {}
    outs = b.op(op_type, inputs, layer.name, outputs=1 + len(layer._state_names), hidden_size=u,
                direction="reverse" if layer.go_backwards else "forward", activations=names,
                activation_alpha=alphas, activation_beta=betas, **extra)
    y, finals = outs[0], [b.squeeze(s, [0], f"{layer.name}/final") for s in outs[1:]]
    seq = None
    if layer.return_sequences:  # (time, 1, batch, u) -> (batch, time, u)
        seq = b.op("Transpose", [b.squeeze(y, [1])], f"{layer.name}/sequence", perm=[1, 0, 2])
        if layer.go_backwards:  # ONNX keeps input order; Keras returns processing order
            seq = b.flip_time(seq, f"{layer.name}/sequence")
    return finals[0], seq, finals


@rule(*RECURRENT, rnn.RNN, masks=True)
def recurrent_layer(call):
    layer = call.layer
    if isinstance(layer, rnn.RNN):
        if type(layer.cell) not in FAMILIES:
            raise ExportError(f"{call.where}: RNN over a {type(layer.cell).__name__} cannot be exported to ONNX; "
                              "RNN over LSTMCell, GRUCell or SimpleRNNCell can.")
        layer = _RNNOfCell(layer)
    if len(call.inputs) != 1:
        raise ExportError(f"{call.where}: takes one input; received {len(call.inputs)}.")
    last, seq, final = run_recurrent(call, layer, as_float(call), call.mask, call.initial_state)
    out = seq if layer.return_sequences else last
    out_mask = call.mask if layer.return_sequences else None
    if layer.return_state:
        return [out, *final], [out_mask] + [None] * len(final)
    return out, out_mask


@rule(bidirectional.Bidirectional, masks=True)
def bidirectional_layer(call):
    b, layer = call.b, call.layer
    fw_layer, bw_layer = layer.forward_layer, layer.backward_layer
    given = call.initial_state
    fw_init = bw_init = None
    if given is not None:
        half = len(given) // 2
        fw_init, bw_init = given[:half], given[half:]
    x = as_float(call)
    fw = run_recurrent(call, fw_layer, x, call.mask, fw_init)
    bw = run_recurrent(call, bw_layer, x, call.mask, bw_init)
    if layer.return_sequences:
        y, y_rev = fw[1], b.flip_time(bw[1], f"{bw_layer.name}/in_order")
    else:
        y, y_rev = fw[0], bw[0]
    mode = layer.merge_mode
    if mode == "concat":
        outputs = [b.concat([y, y_rev], -1, layer.name)]
    elif mode == "sum":
        outputs = [b.op("Add", [y, y_rev], layer.name)]
    elif mode == "mul":
        outputs = [b.op("Mul", [y, y_rev], layer.name)]
    elif mode == "ave":
        outputs = [b.op("Mul", [b.op("Add", [y, y_rev]), b.const(0.5, "half")], layer.name)]
    else:
        outputs = [y, y_rev]
    out_mask = call.mask if layer.return_sequences else None
    masks = [out_mask] * len(outputs)
    if layer.return_state:
        states = list(fw[2]) + list(bw[2])
        return outputs + states, masks + [None] * len(states)
    return outputs, masks
