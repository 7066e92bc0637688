"""Ported from Keras 3 (Apache-2.0): keras/src/layers/activations/elu_test.py (Keras 3.15), run on lstmkit.

Left out (with the reason):
(nothing: every test is ported)
"""

import numpy as np

from lstmkit import layers
import _testing as testing


class TestELU(testing.TestCase):
    def test_config(self):
        elu_layer = layers.ELU()
        self.run_class_serialization_test(elu_layer)

    def test_elu(self):
        self.run_layer_test(
            layers.ELU,
            init_kwargs={},
            input_shape=(2, 3, 4),
            supports_masking=True,
            assert_built_after_instantiation=True,
        )

    def test_correctness(self):
        def np_elu(x, alpha=1.0):
            return (x > 0) * x + (x <= 0) * alpha * (np.exp(x) - 1)

        x = np.random.random((2, 2, 5))
        elu_layer = layers.ELU()
        self.assertAllClose(elu_layer(x), np_elu(x))

        elu_layer = layers.ELU(alpha=0.7)
        self.assertAllClose(elu_layer(x), np_elu(x, alpha=0.7))
