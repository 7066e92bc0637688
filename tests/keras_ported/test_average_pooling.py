"""Ported from Keras 3 (Apache-2.0): keras/src/layers/pooling/average_pooling_test.py (Keras 3.15), run on lstmkit.

Left out (with the reason):
- 2-D / 3-D layers (a later issue): AveragePoolingBasicTest.test_average_pooling2d, test_average_pooling3d,
  AveragePoolingCorrectnessTest.test_average_pooling2d, test_average_pooling2d_same_padding,
  test_average_pooling3d, test_average_pooling3d_same_padding (and np_avgpool2d, np_avgpool3d).

Changed: Keras's skip of the 1-D same-padding case on torch is dropped (lstmkit runs on JAX).
"""

import numpy as np
from _testing import parameterized
from numpy.lib.stride_tricks import as_strided

from lstmkit import layers
import _testing as testing


def _same_padding(input_size, pool_size, stride):
    if input_size % stride == 0:
        return max(pool_size - stride, 0)
    else:
        return max(pool_size - (input_size % stride), 0)


def np_avgpool1d(x, pool_size, strides, padding, data_format):
    if data_format == "channels_first":
        x = x.swapaxes(1, 2)
    if isinstance(pool_size, (tuple, list)):
        pool_size = pool_size[0]
    if isinstance(strides, (tuple, list)):
        h_stride = strides[0]
    else:
        h_stride = strides

    if padding == "same":
        n_batch, h_x, ch_x = x.shape
        pad_value = _same_padding(h_x, pool_size, h_stride)
        npad = [(0, 0)] * x.ndim
        npad[1] = (0, pad_value)
        x = np.pad(x, pad_width=npad, mode="edge")

    n_batch, h_x, ch_x = x.shape
    out_h = int((h_x - pool_size) / h_stride) + 1

    stride_shape = (n_batch, out_h, ch_x, pool_size)
    strides = (x.strides[0], h_stride * x.strides[1], x.strides[2], x.strides[1])
    windows = as_strided(x, shape=stride_shape, strides=strides)
    out = np.mean(windows, axis=(3,))
    if data_format == "channels_first":
        out = out.swapaxes(1, 2)
    return out


class TestAveragePoolingBasic(testing.TestCase):
    @parameterized.parameters(
        (2, 1, "valid", "channels_last", (3, 5, 4), (3, 4, 4)),
        (2, 1, "same", "channels_first", (3, 5, 4), (3, 5, 4)),
        ((2,), (2,), "valid", "channels_last", (3, 5, 4), (3, 2, 4)),
    )
    def test_average_pooling1d(self, pool_size, strides, padding, data_format, input_shape, output_shape):
        self.run_layer_test(
            layers.AveragePooling1D,
            init_kwargs={"pool_size": pool_size, "strides": strides, "padding": padding, "data_format": data_format},
            input_shape=input_shape,
            expected_output_shape=output_shape,
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
            expected_num_losses=0,
            supports_masking=False,
            run_mixed_precision_check=False,
            assert_built_after_instantiation=True,
        )


class TestAveragePoolingCorrectness(testing.TestCase):
    @parameterized.parameters(
        (2, 1, "valid", "channels_last"),
        (2, 1, "valid", "channels_first"),
        ((2,), (2,), "valid", "channels_last"),
        ((2,), (2,), "valid", "channels_first"),
    )
    def test_average_pooling1d(self, pool_size, strides, padding, data_format):
        inputs = np.arange(24, dtype="float32").reshape((2, 3, 4))

        layer = layers.AveragePooling1D(pool_size=pool_size, strides=strides, padding=padding,
                                        data_format=data_format)
        outputs = layer(inputs)
        expected = np_avgpool1d(inputs, pool_size, strides, padding, data_format)
        self.assertAllClose(outputs, expected)

    @parameterized.parameters(
        (2, 1, "same", "channels_last"),
        (2, 1, "same", "channels_first"),
        ((2,), (2,), "same", "channels_last"),
        ((2,), (2,), "same", "channels_first"),
    )
    def test_average_pooling1d_same_padding(self, pool_size, strides, padding, data_format):
        inputs = np.arange(24, dtype="float32").reshape((2, 3, 4))

        layer = layers.AveragePooling1D(pool_size=pool_size, strides=strides, padding=padding,
                                        data_format=data_format)
        outputs = layer(inputs)
        expected = np_avgpool1d(inputs, pool_size, strides, padding, data_format)
        self.assertAllClose(outputs, expected)
