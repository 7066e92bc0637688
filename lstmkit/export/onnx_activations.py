"""lstmkit's activation functions as ONNX: whole operators for the layers, names for the RNN operators.

Keyed by the function objects of `lstmkit.activations`, so Keras 2's hard sigmoid
(`hard_sigmoid_keras2`, clip(0.2 x + 0.5, 0, 1)) and Keras 3's (relu6(x + 3) / 6) stay apart.
"""

from __future__ import annotations

from lstmkit import activations as A
from lstmkit.export.onnx_builder import ExportError

#: activation -> (ONNX RNN activation name, alpha, beta) for the `activations` lists of LSTM / GRU / RNN.
RNN_ACTIVATIONS = {
    A.sigmoid: ("Sigmoid", None, None),
    A.tanh: ("Tanh", None, None),
    A.relu: ("Relu", None, None),
    A.linear: ("Affine", 1.0, 0.0),
    A.hard_sigmoid: ("HardSigmoid", 1.0 / 6.0, 0.5),
    A.hard_sigmoid_keras2: ("HardSigmoid", 0.2, 0.5),
    A.softsign: ("Softsign", None, None),
    A.softplus: ("Softplus", None, None),
    A.elu: ("Elu", 1.0, None),
}


def _name(fn):
    return getattr(fn, "__name__", repr(fn))


def rnn_activation_lists(functions, where):
    """(names, alphas, betas) attributes for an ONNX recurrent operator, or an ExportError naming `where`.

    ONNX pairs `activation_alpha` / `activation_beta` with the activations by position, so every entry
    gets a value (ONNX's own default where the function takes none)."""
    names, alphas, betas = [], [], []
    for fn in functions:
        if fn not in RNN_ACTIVATIONS:
            raise ExportError(f"{where}: the activation {_name(fn)!r} has no ONNX recurrent form; ONNX's LSTM / GRU / "
                              f"RNN take {sorted(_name(f) for f in RNN_ACTIVATIONS)}.")
        name, alpha, beta = RNN_ACTIVATIONS[fn]
        names.append(name)
        alphas.append(alpha)
        betas.append(beta)
    if all(a is None for a in alphas) and all(b is None for b in betas):
        return names, None, None
    # Positions whose function takes no alpha/beta: ONNX ignores the value, any number will do.
    return names, [0.0 if a is None else a for a in alphas], [0.0 if b is None else b for b in betas]


def apply_activation(b, fn, x, where):
    """`fn(x)` as ONNX nodes; the identity for `linear` / None."""
    if fn is None or fn is A.linear:
        return x
    simple = {A.relu: "Relu", A.sigmoid: "Sigmoid", A.tanh: "Tanh", A.softplus: "Softplus", A.softsign: "Softsign",
              A.exponential: "Exp", A.selu: "Selu"}
    if fn in simple:
        return b.op(simple[fn], [x], simple[fn].lower())
    if fn is A.hard_sigmoid:
        return b.op("HardSigmoid", [x], "hard_sigmoid", alpha=1.0 / 6.0, beta=0.5)
    if fn is A.hard_sigmoid_keras2:
        return b.op("HardSigmoid", [x], "hard_sigmoid_keras2", alpha=0.2, beta=0.5)
    if fn is A.elu:
        return b.op("Elu", [x], "elu", alpha=1.0)
    if fn is A.leaky_relu:
        return b.op("LeakyRelu", [x], "leaky_relu", alpha=0.2)
    if fn is A.relu6:
        return b.op("Clip", [x, b.const(0.0, "zero"), b.const(6.0, "six")], "relu6")
    if fn is A.softmax:
        return b.op("Softmax", [x], "softmax", axis=-1)
    if fn is A.log_softmax:
        return b.op("LogSoftmax", [x], "log_softmax", axis=-1)
    if fn is A.silu:
        return b.op("Mul", [x, b.op("Sigmoid", [x])], "silu")
    if fn is A.hard_silu:
        return b.op("Mul", [x, b.op("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)], "hard_silu")
    if fn is A.gelu:  # the activation by name is the exact (erf) form, as in Keras 3
        if b.opset < 20:
            raise ExportError(f"{where}: gelu needs opset_version >= 20 (ONNX's Gelu); received {b.opset}.")
        return b.op("Gelu", [x], "gelu")
    raise ExportError(f"{where}: the activation {_name(fn)!r} cannot be exported to ONNX yet.")
