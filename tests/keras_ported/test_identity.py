"""Ported from Keras 3 (Apache-2.0): keras/src/layers/core/identity_test.py (Keras 3.15), run on lstmkit.

Left out (with the reason):
- sparse / ragged inputs (out of scope): the `sparse` case of test_identity_basics (its dense case is ported below).
"""

from _testing import parameterized

from lstmkit import layers
import _testing as testing


class TestIdentity(testing.TestCase):
    @parameterized.named_parameters(
        [
            {"testcase_name": "dense", "sparse": False},
        ]
    )
    def test_identity_basics(self, sparse):
        self.run_layer_test(
            layers.Identity,
            init_kwargs={},
            input_shape=(2, 3),
            input_sparse=sparse,
            expected_output_shape=(2, 3),
            expected_output_sparse=sparse,
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
            expected_num_seed_generators=0,
            expected_num_losses=0,
            run_training_check=not sparse,
            supports_masking=True,
            assert_built_after_instantiation=True,
        )
