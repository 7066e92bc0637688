"""ONNX rules of `Attention` (dot or concat scores) and `AdditiveAttention`, masks and causal masks included.

The equations are those of `lstmkit.layers.attention`: masked scores are lowered by 1e9 before the
softmax, and a masked query step gives zeros.
"""

from __future__ import annotations

import numpy as np

from lstmkit.export.onnx_builder import ExportError
from lstmkit.export.onnx_layers import as_float
from lstmkit.export.onnx_rules import rule
from lstmkit.layers import attention

_MASKED_SCORE_OFFSET = 1.0e9  # lstmkit.layers.attention's


def _scalar_or_vector(layer, name):
    var = getattr(layer, name, None)
    return None if var is None else np.asarray(var.numpy(), np.float32)


def _scores(b, layer, q, k):
    """(batch, Tq, Tv) scores."""
    if isinstance(layer, attention.AdditiveAttention) or layer.score_mode == "concat":
        summed = b.op("Add", [b.unsqueeze(q, [-2]), b.unsqueeze(k, [-3])], "summed")  # (batch, Tq, Tv, dim)
        scale = _scalar_or_vector(layer, "scale")
        if isinstance(layer, attention.AdditiveAttention):
            tanh = b.op("Tanh", [summed])
            if scale is not None:
                tanh = b.op("Mul", [tanh, b.const(scale, f"{layer.name}/scale")])
            return b.reduce("ReduceSum", tanh, [-1], keepdims=False, hint="scores")
        if scale is not None:
            summed = b.op("Mul", [summed, b.const(scale, f"{layer.name}/scale")])
        total = b.reduce("ReduceSum", b.op("Tanh", [summed]), [-1], keepdims=False, hint="scores")
        return b.op("Mul", [total, b.const(_scalar_or_vector(layer, "concat_score_weight"), "concat_score_weight")])
    scores = b.op("MatMul", [q, b.op("Transpose", [k], "key_t", perm=[0, 2, 1])], "scores")
    scale = _scalar_or_vector(layer, "scale")
    return scores if scale is None else b.op("Mul", [scores, b.const(scale, f"{layer.name}/scale")], "scores")


@rule(attention.Attention, attention.AdditiveAttention, masks=True,
      options=("use_causal_mask", "return_attention_scores"))
def attention_layer(call):
    b, layer = call.b, call.layer
    if len(call.inputs) not in (2, 3) or any(len(v.shape) != 3 for v in call.inputs):
        raise ExportError(f"{call.where}: exported for [query, value] or [query, value, key] of rank 3.")
    q, v = as_float(call, 0), as_float(call, 1)
    k = as_float(call, 2) if len(call.inputs) > 2 else v
    q_mask, v_mask = call.inputs[0].mask, call.inputs[1].mask
    scores = _scores(b, layer, q, k)
    keep = None
    if v_mask is not None:
        keep = b.unsqueeze(v_mask, [-2], "value_keep")  # (batch, 1, Tv)
    if call.options.get("use_causal_mask", False):
        ones = b.op("ConstantOfShape", [b.op("Slice", [b.op("Shape", [scores]), b.ints([1]), b.ints([3])])],
                    value=b.onnx.helper.make_tensor("value", b.onnx.TensorProto.FLOAT, [1], [1.0]))
        causal = b.op("Cast", [b.op("Trilu", [ones], upper=0)], "causal", to=b.onnx.TensorProto.BOOL)
        causal = b.unsqueeze(causal, [0])
        keep = causal if keep is None else b.op("And", [keep, causal], "keep")
    if keep is not None:
        lowered = b.op("Sub", [scores, b.const(_MASKED_SCORE_OFFSET, "masked_offset")])
        scores = b.op("Where", [keep, scores, lowered], "scores")
    weights = b.op("Softmax", [scores], "attention_weights", axis=-1)
    out = b.op("MatMul", [weights, v], layer.name)
    if q_mask is not None:
        out = b.op("Where", [b.unsqueeze(q_mask, [-1]), out, b.const(0.0, "zero")], layer.name)
    if call.options.get("return_attention_scores", False):
        return [out, weights], [q_mask, None]
    return out, q_mask
