"""Ported from Keras 3 (Apache-2.0): keras/src/layers/pooling/global_max_pooling_test.py (Keras 3.15), run on lstmkit.

The 2-D parts (the 1-D ones are in test_global_max_pooling.py).

Left out (with the reason):
- 1-D cases (in test_global_max_pooling.py): test_global_max_pooling1d (both classes).
- 3-D (lstmkit has no GlobalMaxPooling3D): test_global_max_pooling3d (both classes).
"""

import numpy as np
import pytest
from _testing import parameterized
from numpy.lib.stride_tricks import as_strided

from lstmkit import layers
import _testing as testing


class TestGlobalMaxPoolingBasic(testing.TestCase):
    @parameterized.parameters(
        ("channels_last", False, (3, 5, 6, 4), (3, 4)),
        ("channels_last", True, (3, 5, 6, 4), (3, 1, 1, 4)),
        ("channels_first", False, (3, 5, 6, 4), (3, 5)),
    )
    def test_global_max_pooling2d(
        self,
        data_format,
        keepdims,
        input_shape,
        output_shape,
    ):
        self.run_layer_test(
            layers.GlobalMaxPooling2D,
            init_kwargs={
                "data_format": data_format,
                "keepdims": keepdims,
            },
            input_shape=input_shape,
            expected_output_shape=output_shape,
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
            expected_num_losses=0,
            supports_masking=False,
            assert_built_after_instantiation=True,
        )


class TestGlobalMaxPoolingCorrectness(testing.TestCase):
    @parameterized.parameters(
        ("channels_last", False),
        ("channels_last", True),
        ("channels_first", False),
        ("channels_first", True),
    )
    def test_global_max_pooling2d(self, data_format, keepdims):
        def np_global_max_pool2d(x, data_format, keepdims):
            steps_axis = [1, 2] if data_format == "channels_last" else [2, 3]
            res = np.apply_over_axes(np.max, x, steps_axis)
            if not keepdims:
                res = res.squeeze()
            return res

        inputs = np.arange(96, dtype="float32").reshape((2, 3, 4, 4))
        layer = layers.GlobalMaxPooling2D(
            data_format=data_format,
            keepdims=keepdims,
        )
        outputs = layer(inputs)
        expected = np_global_max_pool2d(inputs, data_format, keepdims)
        self.assertAllClose(outputs, expected)
