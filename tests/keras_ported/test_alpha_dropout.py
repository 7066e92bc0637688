"""Ported from Keras 3 (Apache-2.0): keras/src/layers/regularization/alpha_dropout_test.py (Keras 3.15), run on
lstmkit.

Changed (with the reason): `expected_num_seed_generators=1` is checked on its own, as a strict xfail
(test_alpha_dropout_seed_generator_count): lstmkit's noise layers draw from the call context's key stream,
as its Dropout does, and keep no SeedGenerator (Keras's private `_seed_generators`).
- `backend.convert_to_numpy` (keras.src.backend's) is `ops.convert_to_numpy` (Keras 3's public name).
"""

import numpy as np

from lstmkit import layers
import _testing as testing
from _testing import ops


class TestAlphaDropout(testing.TestCase):
    def test_alpha_dropout_basics(self):
        self.run_layer_test(
            layers.AlphaDropout,
            init_kwargs={
                "rate": 0.2,
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
    def test_alpha_dropout_seed_generator_count(self):
        self.assertLen(testing.get_seed_generators(layers.AlphaDropout(0.2)), 1)

    def test_alpha_dropout_correctness(self):
        inputs = np.ones((20, 500)).astype("float32")
        layer = layers.AlphaDropout(0.3, seed=1337)
        outputs = layer(inputs, training=True)
        self.assertAllClose(
            np.std(ops.convert_to_numpy(outputs)), 1.0, atol=1e-1
        )

    def test_alpha_dropout_partial_noise_shape_dynamic(self):
        inputs = np.ones((20, 5, 10))
        layer = layers.AlphaDropout(0.5, noise_shape=(None, 1, None))
        outputs = layer(inputs, training=True)
        self.assertAllClose(outputs[:, 0, :], outputs[:, 1, :])

    def test_alpha_dropout_partial_noise_shape_static(self):
        inputs = np.ones((20, 5, 10))
        layer = layers.AlphaDropout(0.5, noise_shape=(20, 1, 10))
        outputs = layer(inputs, training=True)
        self.assertAllClose(outputs[:, 0, :], outputs[:, 1, :])

    def test_alpha_dropout_negative_rate(self):
        with self.assertRaisesRegex(
            ValueError,
            "Invalid value received for argument `rate`. "
            "Expected a float value between 0 and 1.",
        ):
            _ = layers.AlphaDropout(rate=-0.5)

    def test_alpha_dropout_rate_greater_than_one(self):
        with self.assertRaisesRegex(
            ValueError,
            "Invalid value received for argument `rate`. "
            "Expected a float value between 0 and 1.",
        ):
            _ = layers.AlphaDropout(rate=1.5)
