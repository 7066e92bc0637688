"""ONNX rules of the non-recurrent layers (see `onnx_rules` for the contract).

Shapes are (batch, ...) with batch symbolic; the weights are read from the layers as they are now.
"""

from __future__ import annotations

import numpy as np

from lstmkit.export import onnx_rules
from lstmkit.export.onnx_activations import apply_activation
from lstmkit.export.onnx_builder import ExportError
from lstmkit.export.onnx_rules import rule
from lstmkit.layers import (activation_layers, convolution, core, merging, normalization, pooling, regularization,
                            reshaping, time_distributed)


def weight(layer, name):
    """A weight of `layer` as a float32 numpy array (None when the layer has none by that name)."""
    var = getattr(layer, name, None)
    return None if var is None else np.asarray(var.numpy(), np.float32)


def as_float(call, index=0):
    """Input `index` as float32 (the layers compute in float32 whatever the input's dtype)."""
    value = call.inputs[index]
    if value.dtype == np.float32:
        return value.name
    return call.b.op("Cast", [value.name], "as_float", to=call.b.onnx.TensorProto.FLOAT)


# ----------------------------------------------------------------- core
@rule(core.Dense)
def dense(call):
    b, layer = call.b, call.layer
    y = b.op("MatMul", [as_float(call), b.const(weight(layer, "kernel"), f"{layer.name}/kernel")], layer.name)
    if layer.use_bias:
        y = b.op("Add", [y, b.const(weight(layer, "bias"), f"{layer.name}/bias")], layer.name)
    return apply_activation(b, layer.activation, y, call.where)


@rule(core.Activation)
def activation(call):
    return apply_activation(call.b, call.layer.activation, as_float(call), call.where)


@rule(core.Dropout, core.Identity, convolution.SpatialDropout1D, regularization.GaussianNoise,
      regularization.GaussianDropout, regularization.AlphaDropout, regularization.ActivityRegularization)
def identity(call):
    """Dropout and noise layers do nothing at inference."""
    return call.b.op("Identity", [call.x], call.layer.name)


@rule(core.Embedding, masks=True)
def embedding(call):
    b, layer = call.b, call.layer
    table = b.const(weight(layer, "embeddings"), f"{layer.name}/embeddings")
    ids = b.op("Cast", [call.x], "ids", to=b.onnx.TensorProto.INT64)  # floats are truncated, as lstmkit does
    # ONNX's Gather counts negative ids from the end; lstmkit refuses them. Moved out of range, they make
    # onnxruntime raise instead of returning a row silently.
    negative = b.op("Less", [ids, b.ints([0])], "negative")
    ids = b.op("Where", [negative, b.ints([layer.input_dim]), ids], "ids")
    out = b.op("Gather", [table, ids], layer.name, axis=0)
    mask = None
    if layer.mask_zero:
        zero = b.const(0, "zero", call.inputs[0].dtype)
        mask = b.op("Not", [b.op("Equal", [call.x, zero])], f"{layer.name}/mask")
    return out, mask


@rule(core.Masking, masks=True)
def masking(call):
    b, layer = call.b, call.layer
    x = as_float(call)
    differs = b.op("Not", [b.op("Equal", [x, b.const(layer.mask_value, "mask_value")])])
    keep = b.op("Cast", [differs], "keep", to=b.onnx.TensorProto.FLOAT)
    keep = b.reduce("ReduceMax", keep, [-1], keepdims=True, hint="keep")
    out = b.op("Mul", [x, keep], layer.name)
    mask = b.op("Cast", [b.squeeze(keep, [-1])], f"{layer.name}/mask", to=b.onnx.TensorProto.BOOL)
    return out, mask


@rule(core.Flatten)
def flatten(call):
    b, x = call.b, call.x
    if call.layer.data_format == "channels_first" and len(call.shape) > 2:
        x = b.op("Transpose", [x], "to_channels_last", perm=[0] + list(range(2, len(call.shape))) + [1])
    return b.reshape(x, [0, -1], call.layer.name)


@rule(core.Reshape)
def reshape(call):
    b = call.b
    # The batch from the input, then the target shape taken literally (allowzero: a 0 is a 0).
    batch = b.op("Slice", [b.op("Shape", [call.x]), b.ints([0]), b.ints([1])], "batch")
    shape = b.concat([batch, b.ints(call.layer.target_shape)], 0, "target_shape")
    return b.op("Reshape", [call.x, shape], call.layer.name, allowzero=1)


@rule(core.RepeatVector)
def repeat_vector(call):
    b = call.b
    return b.op("Tile", [b.unsqueeze(call.x, [1]), b.ints([1, call.layer.n, 1])], call.layer.name)


@rule(reshaping.Permute)
def permute(call):
    return call.b.op("Transpose", [call.x], call.layer.name, perm=[0] + [int(d) for d in call.layer.dims])


# ----------------------------------------------------------------- merging
# The merges' values ignore masks; their output mask is the AND of the inputs' (Keras's `_Merge`).
def _merged_mask(call):
    masks = [v.mask for v in call.inputs if v.mask is not None]
    out = masks[0] if masks else None
    for other in masks[1:]:
        out = call.b.op("And", [out, other], f"{call.layer.name}/mask")
    return out


def _ones_mask(b, value):
    """An all-True mask for `value` (its shape without the last axis)."""
    shape = b.op("Slice", [b.op("Shape", [value.name]), b.ints([0]), b.ints([-1])], "mask_shape")
    ones = b.op("ConstantOfShape", [shape], "ones", value=b.onnx.helper.make_tensor("value", b.onnx.TensorProto.BOOL,
                                                                                    [1], [True]))
    return ones


@rule(merging.Concatenate, masks=True)
def concatenate(call):
    b, axis = call.b, call.layer.axis
    out = b.concat([v.name for v in call.inputs], axis, call.layer.name)
    rank = len(call.shape)
    if all(v.mask is None for v in call.inputs) or axis % rank == rank - 1:
        return out, _merged_mask(call)
    masks = [v.mask if v.mask is not None else _ones_mask(b, v) for v in call.inputs]
    return out, b.concat(masks, axis, f"{call.layer.name}/mask")


def _fold(call, op_type):
    names = [v.name for v in call.inputs]
    out = names[0]
    for other in names[1:]:
        out = call.b.op(op_type, [out, other], call.layer.name)
    return out


@rule(merging.Add, masks=True)
def add(call):
    return _fold(call, "Add"), _merged_mask(call)


@rule(merging.Multiply, masks=True)
def multiply(call):
    return _fold(call, "Mul"), _merged_mask(call)


@rule(merging.Maximum, masks=True)
def maximum(call):
    return call.b.op("Max", [v.name for v in call.inputs], call.layer.name), _merged_mask(call)


@rule(merging.Minimum, masks=True)
def minimum(call):
    return call.b.op("Min", [v.name for v in call.inputs], call.layer.name), _merged_mask(call)


@rule(merging.Average, masks=True)
def average(call):
    count = call.b.const(float(len(call.inputs)), "count")
    return call.b.op("Div", [_fold(call, "Add"), count], call.layer.name), _merged_mask(call)


@rule(merging.Subtract, masks=True)
def subtract(call):
    if len(call.inputs) != 2:
        raise ExportError(f"{call.where}: Subtract takes exactly 2 inputs; received {len(call.inputs)}.")
    return call.b.op("Sub", [call.inputs[0].name, call.inputs[1].name], call.layer.name), _merged_mask(call)


# ----------------------------------------------------------------- normalization
def _broadcast_shape(ndim, axes, sizes):
    shape = [1] * ndim
    for a, n in zip(axes, sizes):
        shape[a] = n
    return shape


@rule(normalization.LayerNormalization)
def layer_normalization(call):
    b, layer = call.b, call.layer
    ndim = len(call.shape)
    axes = sorted(a % ndim for a in (layer.axis if isinstance(layer.axis, list) else [layer.axis]))
    sizes = [call.shape[a] for a in axes]
    eps = 1e-7 if layer.epsilon is None else float(layer.epsilon)  # None: Keras's backend epsilon
    x = as_float(call)
    mean = b.reduce("ReduceMean", x, axes, hint="mean")
    centered = b.op("Sub", [x, mean], "centered")
    variance = b.reduce("ReduceMean", b.op("Mul", [centered, centered]), axes, hint="variance")
    inv = b.op("Reciprocal", [b.op("Sqrt", [b.op("Add", [variance, b.const(eps, "epsilon")])])], "inv_std")
    gamma, beta = weight(layer, "gamma"), weight(layer, "beta")
    if layer.rms_scaling:  # Keras's deprecated variant: x / sqrt(var + eps) (times gamma), no centering
        out = b.op("Mul", [x, inv], layer.name)
    else:
        out = b.op("Mul", [centered, inv], layer.name)
    if gamma is not None:
        out = b.op("Mul", [out, b.const(gamma.reshape(_broadcast_shape(ndim, axes, sizes)), "gamma")], layer.name)
    if beta is not None and not layer.rms_scaling:
        out = b.op("Add", [out, b.const(beta.reshape(_broadcast_shape(ndim, axes, sizes)), "beta")], layer.name)
    return out


@rule(normalization.BatchNormalization)
def batch_normalization(call):
    """Inference: the moving statistics, folded into one scale and one shift."""
    b, layer = call.b, call.layer
    ndim = len(call.shape)
    axis = layer.axis % ndim
    mean, var = weight(layer, "moving_mean"), weight(layer, "moving_variance")
    scale = 1.0 / np.sqrt(var + np.float32(layer.epsilon))
    if layer.scale:
        scale = scale * weight(layer, "gamma")
    shift = -mean * scale
    if layer.center:
        shift = shift + weight(layer, "beta")
    shape = _broadcast_shape(ndim, [axis], [mean.shape[0]])
    out = b.op("Mul", [as_float(call), b.const(scale.reshape(shape), f"{layer.name}/scale")], layer.name)
    return b.op("Add", [out, b.const(shift.reshape(shape), f"{layer.name}/shift")], layer.name)


# ----------------------------------------------------------------- convolution and pooling (1-D)
def _to_ncw(call, x):
    return x if call.layer.data_format == "channels_first" else call.b.op("Transpose", [x], "to_ncw", perm=[0, 2, 1])


def _from_ncw(call, y):
    return y if call.layer.data_format == "channels_first" else call.b.op("Transpose", [y], "to_nwc", perm=[0, 2, 1])


def _window_padding(padding, kernel, dilation=1):
    """ONNX's attributes for a Keras padding: 'same' is TensorFlow's (the extra step at the end)."""
    if padding == "same":
        return {"auto_pad": "SAME_UPPER"}
    if padding == "causal":
        return {"pads": [dilation * (kernel - 1), 0]}
    return {"pads": [0, 0]}


@rule(convolution.Conv1D)
def conv1d(call):
    b, layer = call.b, call.layer
    kernel = weight(layer, "kernel")  # (k, channels/groups, filters) -> ONNX's (filters, channels/groups, k)
    inputs = [_to_ncw(call, as_float(call)), b.const(kernel.transpose(2, 1, 0), f"{layer.name}/kernel")]
    if layer.use_bias:
        inputs.append(b.const(weight(layer, "bias"), f"{layer.name}/bias"))
    y = b.op("Conv", inputs, layer.name, kernel_shape=[layer.kernel_size[0]], strides=[layer.strides[0]],
             dilations=[layer.dilation_rate[0]], group=int(layer.groups),
             **_window_padding(layer.padding, layer.kernel_size[0], layer.dilation_rate[0]))
    return apply_activation(b, layer.activation, _from_ncw(call, y), call.where)


@rule(pooling.MaxPooling1D, pooling.AveragePooling1D)
def pooling_1d(call):
    b, layer = call.b, call.layer
    op_type = "MaxPool" if layer._reduce == "max" else "AveragePool"
    extra = {} if op_type == "MaxPool" else {"count_include_pad": 0}  # 'same' averages the real steps only
    y = b.op(op_type, [_to_ncw(call, as_float(call))], layer.name, kernel_shape=[layer.pool_size[0]],
             strides=[layer.strides[0]], **_window_padding(layer.padding, layer.pool_size[0]), **extra)
    return _from_ncw(call, y)


@rule(pooling.GlobalMaxPooling1D)
def global_max_pooling_1d(call):
    return call.b.reduce("ReduceMax", as_float(call), [call.layer._steps_axis()], keepdims=bool(call.layer.keepdims),
                         hint=call.layer.name)


@rule(pooling.GlobalAveragePooling1D, masks=True)
def global_average_pooling_1d(call):
    """The mean over the steps; with a mask, over the unmasked steps (an all-masked sample: NaN, as lstmkit)."""
    b, layer = call.b, call.layer
    axis, keepdims, x = layer._steps_axis(), bool(layer.keepdims), as_float(call)
    if call.mask is None:
        return b.reduce("ReduceMean", x, [axis], keepdims=keepdims, hint=layer.name), None
    keep = b.unsqueeze(call.mask, [2 if axis == 1 else 1], "keep")
    kept = b.op("Where", [keep, x, b.const(0.0, "zero")], "kept")
    total = b.reduce("ReduceSum", kept, [axis], keepdims=keepdims, hint="total")
    count = b.reduce("ReduceSum", b.op("Cast", [keep], to=b.onnx.TensorProto.FLOAT), [axis], keepdims=keepdims,
                     hint="count")
    return b.op("Div", [total, count], layer.name), None


# ----------------------------------------------------------------- activation layers
@rule(activation_layers.ReLU)
def relu_layer(call):
    b, layer = call.b, call.layer
    if layer.negative_slope or layer.threshold:
        raise ExportError(f"{call.where}: ReLU with negative_slope or threshold cannot be exported to ONNX yet.")
    y = b.op("Relu", [as_float(call)], layer.name)
    if layer.max_value is not None:
        y = b.op("Min", [y, b.const(float(layer.max_value), "max_value")], layer.name)
    return y


@rule(activation_layers.LeakyReLU)
def leaky_relu_layer(call):
    return call.b.op("LeakyRelu", [as_float(call)], call.layer.name, alpha=float(call.layer.negative_slope))


@rule(activation_layers.ELU)
def elu_layer(call):
    return call.b.op("Elu", [as_float(call)], call.layer.name, alpha=float(call.layer.alpha))


# ----------------------------------------------------------------- wrappers
@rule(time_distributed.TimeDistributed, masks=True)
def time_distributed_rule(call):
    """The inner layer on (batch * time, ...), reshaped back; the mask passes through."""
    b, inner = call.b, call.layer.layer
    if call.mask is not None and onnx_rules._reads_masks(inner):
        raise ExportError(f"{call.where}: its inner layer {inner.name!r} would read the mask; not exportable yet.")
    shape = call.shape
    if any(d is None for d in shape[2:]):
        raise ExportError(f"{call.where}: exporting needs known step shapes; received {shape}.")
    flat = b.reshape(call.x, [-1] + list(shape[2:]), "merge_time")
    inner_in = [type(call.inputs[0])(flat, None, (None,) + tuple(shape[2:]), call.inputs[0].dtype)]
    inner_out_shape = (None,) + tuple(call.out_shapes[0][2:])
    inner_call = type(call)(b, inner, inner_in, [inner_out_shape], None, call.states)
    outputs, _ = onnx_rules.run_rule(inner_call)
    if len(outputs) != 1 or any(d is None for d in inner_out_shape[1:]):
        raise ExportError(f"{call.where}: exported for inner layers with one output of known shape only.")
    lead = b.op("Slice", [b.op("Shape", [call.x]), b.ints([0]), b.ints([2])], "batch_time")
    out_shape = b.concat([lead, b.ints(inner_out_shape[1:])], 0, "out_shape")
    return b.op("Reshape", [outputs[0], out_shape], call.layer.name), call.mask

