"""Ported from Keras 3 (Apache-2.0): keras/src/layers/regularization/spatial_dropout_test.py (Keras 3.15), run on
lstmkit.

Left out (with the reason):
- 2-D / 3-D layers (a later issue): test_spatial_dropout_2d, test_spatial_dropout_3d,
  test_spatial_dropout_2D_dynamic, test_spatial_dropout_2D_correctness, test_spatial_dropout_3D_dynamic,
  test_spatial_dropout_3D_correctness.
"""

import numpy as np

from lstmkit import layers
import _testing as testing


class TestSpatialDropout(testing.TestCase):
    def test_spatial_dropout_1d(self):
        self.run_layer_test(
            layers.SpatialDropout1D,
            init_kwargs={"rate": 0.5},
            call_kwargs={"training": True},
            input_shape=(2, 3, 4),
            assert_built_after_instantiation=True,
        )

        self.run_layer_test(
            layers.SpatialDropout1D,
            init_kwargs={"rate": 0.5},
            call_kwargs={"training": False},
            input_shape=(2, 3, 4),
            assert_built_after_instantiation=True,
        )

    def test_spatial_dropout_1D_dynamic(self):
        inputs = layers.Input((3, 2))
        layer = layers.SpatialDropout1D(0.5)
        layer(inputs, training=True)

    def test_spatial_dropout_1D_correctness(self):
        inputs = np.ones((10, 3, 10))
        layer = layers.SpatialDropout1D(0.5)
        outputs = layer(inputs, training=True)
        self.assertAllClose(outputs[:, 0, :], outputs[:, 1, :])
