"""Ported from Keras 3 (Apache-2.0): keras/src/layers/convolutional/conv_test.py (Keras 3.15), run on lstmkit.

Left out (with the reason):
- 2-D / 3-D layers (a later issue): ConvBasicTest.test_conv2d_basic, test_conv3d_basic; the Conv2D
  assertions of test_bad_init_args (kernel_size / strides with a 0, strides with dilation, groups=0, filters not
  divisible by groups; lstmkit's Conv1D raises them with Keras's messages);
  the Conv2D / Conv3D cases of test_conv_symbolic_invalid_configuration; ConvCorrectnessTest.test_conv2d,
  test_conv3d, test_conv_constraints (Conv2D), test_conv_raises_exception_on_zero_dims (Conv2D); the numpy
  references np_conv2d, np_conv3d.
- LoRA (out of scope): test_enable_lora, test_lora_weight_name, test_enable_lora_with_alpha,
  test_lora_rank_argument (lstmkit's Conv1D raises NotImplementedError for lora_rank).
"""

import numpy as np
from _testing import parameterized
from numpy.lib.stride_tricks import as_strided

from lstmkit import layers
import _testing as testing


def _same_padding(input_size, kernel_size, stride):
    if input_size % stride == 0:
        padding = max(kernel_size - stride, 0)
    else:
        padding = max(kernel_size - (input_size % stride), 0)
    return padding // 2, padding - padding // 2


def np_conv1d(x, kernel_weights, bias_weights, strides, padding, data_format, dilation_rate, groups):
    if data_format == "channels_first":
        x = x.swapaxes(1, 2)
    if isinstance(strides, (tuple, list)):
        h_stride = strides[0]
    else:
        h_stride = strides
    if isinstance(dilation_rate, (tuple, list)):
        dilation_rate = dilation_rate[0]
    kernel_size, ch_in, ch_out = kernel_weights.shape

    if dilation_rate > 1:
        new_kernel_size = kernel_size + (dilation_rate - 1) * (kernel_size - 1)
        new_kernel_weights = np.zeros((new_kernel_size, ch_in, ch_out), dtype=kernel_weights.dtype)
        new_kernel_weights[::dilation_rate] = kernel_weights
        kernel_weights = new_kernel_weights
        kernel_size = kernel_weights.shape[0]

    if padding != "valid":
        n_batch, h_x, _ = x.shape
        h_pad = _same_padding(h_x, kernel_size, h_stride)
        npad = [(0, 0)] * x.ndim
        if padding == "causal":
            npad[1] = (h_pad[0] + h_pad[1], 0)
        else:
            npad[1] = h_pad
        x = np.pad(x, pad_width=npad, mode="constant", constant_values=0)

    n_batch, h_x, _ = x.shape
    h_out = int((h_x - kernel_size) / h_stride) + 1

    kernel_weights = kernel_weights.reshape(-1, ch_out)
    bias_weights = bias_weights.reshape(1, ch_out)

    out_grps = []
    for grp in range(1, groups + 1):
        x_in = x[..., (grp - 1) * ch_in: grp * ch_in]
        stride_shape = (n_batch, h_out, kernel_size, ch_in)
        strides = (x_in.strides[0], h_stride * x_in.strides[1], x_in.strides[1], x_in.strides[2])
        inner_dim = kernel_size * ch_in
        x_strided = as_strided(x_in, shape=stride_shape, strides=strides).reshape(n_batch, h_out, inner_dim)
        ch_out_groups = ch_out // groups
        kernel_weights_grp = kernel_weights[..., (grp - 1) * ch_out_groups: grp * ch_out_groups]
        bias_weights_grp = bias_weights[..., (grp - 1) * ch_out_groups: grp * ch_out_groups]
        out_grps.append(x_strided @ kernel_weights_grp + bias_weights_grp)
    out = np.concatenate(out_grps, axis=-1)
    if data_format == "channels_first":
        out = out.swapaxes(1, 2)
    return out


class TestConvBasic(testing.TestCase):
    @parameterized.parameters(
        {"filters": 5, "kernel_size": 2, "strides": 1, "padding": "valid", "data_format": "channels_last",
         "dilation_rate": 1, "groups": 1, "input_shape": (3, 5, 4), "output_shape": (3, 4, 5)},
        {"filters": 6, "kernel_size": 2, "strides": 1, "padding": "same", "data_format": "channels_last",
         "dilation_rate": (2,), "groups": 2, "input_shape": (3, 4, 4), "output_shape": (3, 4, 6)},
        {"filters": 6, "kernel_size": 2, "strides": 1, "padding": "causal", "data_format": "channels_last",
         "dilation_rate": (2,), "groups": 2, "input_shape": (3, 4, 4), "output_shape": (3, 4, 6)},
        {"filters": 6, "kernel_size": 2, "strides": (2,), "padding": "valid", "data_format": "channels_last",
         "dilation_rate": 1, "groups": 2, "input_shape": (3, 5, 4), "output_shape": (3, 2, 6)},
    )
    def test_conv1d_basic(self, filters, kernel_size, strides, padding, data_format, dilation_rate, groups,
                          input_shape, output_shape):
        self.run_layer_test(
            layers.Conv1D,
            init_kwargs={"filters": filters, "kernel_size": kernel_size, "strides": strides, "padding": padding,
                         "data_format": data_format, "dilation_rate": dilation_rate, "groups": groups},
            input_shape=input_shape,
            expected_output_shape=output_shape,
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
            expected_num_losses=0,
            supports_masking=False,
        )

    def test_bad_init_args(self):
        # `filters` is not positive.
        with self.assertRaisesRegex(
            ValueError,
            "Invalid value for argument `filters`. Expected a strictly positive value. Received filters=0.",
        ):
            layers.Conv1D(filters=0, kernel_size=1)

    @parameterized.parameters(
        (layers.Conv1D, (10, 3), 2, 10),
    )
    def test_conv_symbolic_invalid_configuration(self, layer_cls, input_shape, kernel_size, dilation_rate):
        inputs = layers.Input(shape=input_shape)
        layer = layer_cls(filters=1, kernel_size=kernel_size, dilation_rate=dilation_rate)

        with self.assertRaises(ValueError):
            layer(inputs)


class TestConvCorrectness(testing.TestCase):
    @parameterized.parameters(
        {"filters": 5, "kernel_size": 2, "strides": 1, "padding": "valid", "data_format": "channels_last",
         "dilation_rate": 1, "groups": 1},
        {"filters": 6, "kernel_size": 2, "strides": 1, "padding": "same", "data_format": "channels_last",
         "dilation_rate": (2,), "groups": 2},
        {"filters": 6, "kernel_size": 2, "strides": 1, "padding": "causal", "data_format": "channels_last",
         "dilation_rate": (2,), "groups": 2},
        {"filters": 6, "kernel_size": (2,), "strides": (2,), "padding": "valid", "data_format": "channels_last",
         "dilation_rate": 1, "groups": 2},
        {"filters": 6, "kernel_size": (2,), "strides": (2,), "padding": "valid", "data_format": "channels_first",
         "dilation_rate": 1, "groups": 2},
    )
    def test_conv1d(self, filters, kernel_size, strides, padding, data_format, dilation_rate, groups):
        layer = layers.Conv1D(filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
                              data_format=data_format, dilation_rate=dilation_rate, groups=groups)

        inputs = np.random.normal(size=[2, 8, 4])
        layer.build(input_shape=inputs.shape)

        kernel_shape = layer.kernel.shape
        kernel_weights = np.random.normal(size=kernel_shape)
        bias_weights = np.random.normal(size=(filters,))
        layer.kernel.assign(kernel_weights)
        layer.bias.assign(bias_weights)

        outputs = layer(inputs)
        expected = np_conv1d(inputs, kernel_weights, bias_weights, strides=strides, padding=padding,
                             data_format=data_format, dilation_rate=dilation_rate, groups=groups)
        self.assertAllClose(outputs, expected, tpu_atol=1e-1, tpu_rtol=1e-1)
