"""Ported from Keras 3 (Apache-2.0): keras/src/layers/regularization/gaussian_noise_test.py (Keras 3.15), run on
lstmkit.

Changed (with the reason): `expected_num_seed_generators=1` is checked on its own, as a strict xfail
(test_gaussian_noise_seed_generator_count): lstmkit's noise layers draw from the call context's key stream,
as its Dropout does, and keep no SeedGenerator (Keras's private `_seed_generators`).
- `backend.convert_to_numpy` (keras.src.backend's) is `ops.convert_to_numpy` (Keras 3's public name).
"""

import numpy as np

from lstmkit import layers
import _testing as testing
from _testing import ops


class TestGaussianNoise(testing.TestCase):
    def test_gaussian_noise_basics(self):
        self.run_layer_test(
            layers.GaussianNoise,
            init_kwargs={
                "stddev": 0.2,
            },
            input_shape=(2, 3),
            call_kwargs={"training": True},
            expected_output_shape=(2, 3),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
            expected_num_losses=0,
            supports_masking=True,
            assert_built_after_instantiation=True,
        )

    @testing.xfail("Keras-private: lstmkit's noise layers use the call context's key stream, not a SeedGenerator")
    def test_gaussian_noise_seed_generator_count(self):
        self.assertLen(testing.get_seed_generators(layers.GaussianNoise(0.2)), 1)

    def test_gaussian_noise_correctness(self):
        inputs = np.ones((20, 500))
        layer = layers.GaussianNoise(0.3, seed=1337)
        outputs = layer(inputs, training=True)
        self.assertAllClose(
            np.std(ops.convert_to_numpy(outputs)), 0.3, atol=0.02
        )
