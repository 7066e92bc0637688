"""The recurrent cells written out in ONNX operators, run by an ONNX `Scan` over time.

Used where ONNX's own LSTM / GRU / RNN operators cannot give lstmkit's numbers: masked sequences
(ONNX's `sequence_lens` only cuts a sequence's end; lstmkit skips any masked step), coupled gates,
and activations outside the operators' lists. The equations are those of `lstmkit._kernels.recurrent`
(`lstm_gates`, `gru_gates`, `gru_gates_reset_before`, `simple_rnn_step`).
"""

from __future__ import annotations

import numpy as np

from lstmkit.export.onnx_activations import apply_activation
from lstmkit.export.onnx_builder import ExportError


def _zeros_like_state(b, x, units):
    """(batch, units) zeros, the batch read from `x` (batch, time, features)."""
    batch = b.op("Slice", [b.op("Shape", [x]), b.ints([0]), b.ints([1])], "batch")
    shape = b.concat([batch, b.ints([units])], 0, "state_shape")
    value = b.onnx.helper.make_tensor("value", b.onnx.TensorProto.FLOAT, [1], [0.0])
    return b.op("ConstantOfShape", [shape], "zeros", value=value)


def _split(b, z, units, n):
    return b.op("Split", [z, b.ints([units] * n, "split")], "gate", outputs=n, axis=-1)


def _lstm_cell(b, layer, weights, x_t, state, where):
    h, c = state
    _, recurrent, _ = weights
    act, ract = layer.activation, layer.recurrent_activation
    coupled, u = getattr(layer, "coupled_gates", False), layer.units
    z = b.op("Add", [x_t, b.op("MatMul", [h, b.const(recurrent, f"{layer.name}/recurrent_kernel")])], "z")
    peep = {}
    if getattr(layer, "peephole", False):
        from lstmkit.layers.lstm import PEEPHOLE_NAMES

        for gate in ("i", "o") if coupled else ("i", "f", "o"):
            peep[gate] = b.const(np.asarray(getattr(layer, PEEPHOLE_NAMES[gate]).numpy(), np.float32),
                                 f"{layer.name}/p_{gate}")

    def gate(pre, name, cell):
        if name in peep:
            pre = b.op("Add", [pre, b.op("Mul", [peep[name], cell])])
        return apply_activation(b, ract, pre, where)

    if coupled:
        z_i, z_c, z_o = _split(b, z, u, 3)
        i = gate(z_i, "i", c)
        f = b.op("Sub", [b.const(1.0, "one"), i], "f")
    else:
        z_i, z_f, z_c, z_o = _split(b, z, u, 4)
        i, f = gate(z_i, "i", c), gate(z_f, "f", c)
    g = apply_activation(b, act, z_c, where)
    c_new = b.op("Add", [b.op("Mul", [f, c]), b.op("Mul", [i, g])], "c")
    o = gate(z_o, "o", c_new)  # the output gate's peephole sees the new cell state
    h_new = b.op("Mul", [o, apply_activation(b, act, c_new, where)], "h")
    return h_new, (h_new, c_new)


def _gru_cell(b, layer, weights, x_t, state, where):
    (h,) = state
    _, recurrent, bias = weights
    act, ract, u = layer.activation, layer.recurrent_activation, layer.units
    x_z, x_r, x_h = _split(b, x_t, u, 3)
    one = b.const(1.0, "one")
    if layer.reset_after:
        zh = b.op("MatMul", [h, b.const(recurrent, f"{layer.name}/recurrent_kernel")], "zh")
        if bias is not None:
            zh = b.op("Add", [zh, b.const(bias[1], f"{layer.name}/recurrent_bias")], "zh")
        h_z, h_r, h_h = _split(b, zh, u, 3)
        z = apply_activation(b, ract, b.op("Add", [x_z, h_z]), where)
        r = apply_activation(b, ract, b.op("Add", [x_r, h_r]), where)
        hh = apply_activation(b, act, b.op("Add", [x_h, b.op("Mul", [r, h_h])]), where)
    else:  # the reset gate acts on h before the recurrent matmul
        zr = b.op("MatMul", [h, b.const(recurrent[:, :2 * u], f"{layer.name}/recurrent_zr")], "zr")
        h_z, h_r = _split(b, zr, u, 2)
        z = apply_activation(b, ract, b.op("Add", [x_z, h_z]), where)
        r = apply_activation(b, ract, b.op("Add", [x_r, h_r]), where)
        rh = b.op("MatMul", [b.op("Mul", [r, h]), b.const(recurrent[:, 2 * u:], f"{layer.name}/recurrent_h")])
        hh = apply_activation(b, act, b.op("Add", [x_h, rh]), where)
    h_new = b.op("Add", [b.op("Mul", [z, h]), b.op("Mul", [b.op("Sub", [one, z]), hh])], "h")
    return h_new, (h_new,)


def _simple_cell(b, layer, weights, x_t, state, where):
    (h,) = state
    _, recurrent, _ = weights
    pre = b.op("Add", [x_t, b.op("MatMul", [h, b.const(recurrent, f"{layer.name}/recurrent_kernel")])])
    h_new = apply_activation(b, layer.activation, pre, where)
    return h_new, (h_new,)


_CELLS = {"lstm": _lstm_cell, "gru": _gru_cell, "rnn": _simple_cell}


def _input_bias(layer, bias):
    if bias is None:
        return None
    return bias[0] if bias.ndim == 2 else bias  # GRU reset_after: (input bias, recurrent bias)


def scan_recurrence(b, layer, family, weights, x, mask, states, where):
    """(last output, outputs (batch, time, units) or None, final states) of `layer` (of `family`: 'lstm',
    'gru' or 'rnn') over `x`."""
    kernel, _, bias = weights
    u, n_states = layer.units, len(layer._state_names)
    mode = layer._masked_output_mode()
    projected = b.op("MatMul", [x, b.const(kernel, f"{layer.name}/kernel")], f"{layer.name}/projected")
    input_bias = _input_bias(layer, bias)
    if input_bias is not None:
        projected = b.op("Add", [projected, b.const(input_bias, f"{layer.name}/bias")], f"{layer.name}/projected")
    if states is None:
        states = [_zeros_like_state(b, x, u) for _ in range(n_states)]
    scan_inputs = [projected]
    if mask is not None:
        scan_inputs.append(b.unsqueeze(mask, [-1], "keep"))

    body = b.body()
    state_in = [body.fresh(f"{n}_prev") for n in layer._state_names]
    prev_out = body.fresh("out_prev")
    x_t, keep = body.fresh("x_t"), body.fresh("keep_t") if mask is not None else None
    for name in state_in + [prev_out, x_t]:
        body.inputs.append(body.value_info(name, np.float32, None))
    if keep is not None:
        body.inputs.append(body.value_info(keep, np.bool_, None))
    out, new_states = _CELLS[family](body, layer, weights, x_t, state_in, where)
    if keep is not None:  # a masked step holds the state; its output follows lstmkit's masked-step rule
        new_states = tuple(body.op("Where", [keep, s, old], "held") for s, old in zip(new_states, state_in))
        fill = {"state": state_in[0], "previous": prev_out}.get(mode)
        if fill is None:  # zero_output_for_mask
            fill = body.op("Mul", [state_in[0], body.const(0.0, "zero")], "zero_output")
        out = body.op("Where", [keep, out, fill], "out")
    results = [body.op("Identity", [s], "state_next") for s in new_states]
    results += [body.op("Identity", [out], "out_next"), body.op("Identity", [out], "out_t")]
    for name in results:
        body.outputs.append(body.value_info(name, np.float32, None))
    graph = body.graph(f"{layer.name}_step")

    n_scan = len(scan_inputs)
    initial_out = _zeros_like_state(b, x, u)
    outs = b.op("Scan", list(states) + [initial_out] + scan_inputs, f"{layer.name}/scan",
                outputs=n_states + 2, body=graph, num_scan_inputs=n_scan, scan_input_axes=[1] * n_scan,
                scan_input_directions=[int(layer.go_backwards)] * n_scan, scan_output_axes=[1])
    finals, last, seq = outs[:n_states], outs[n_states], outs[n_states + 1]
    if mode not in ("state", "zero", "previous"):
        raise ExportError(f"{where}: masked-step rule {mode!r} has no ONNX form.")
    return last, (seq if layer.return_sequences else None), finals
