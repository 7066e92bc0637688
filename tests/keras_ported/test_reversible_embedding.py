"""Ported from Keras 3 (Apache-2.0): keras/src/layers/core/reversible_embedding_test.py (Keras 3.15), run on lstmkit.

Left out (with the reason):
- quantization (out of scope): test_reversible_embedding_quantize, test_quantize_int, test_quantize_dtype_argument,
  test_reversible_embedding_int8_custom_quantizer, test_int4_quantization_block_size,
  test_int4_block_size_serialization, test_int4_grouped_vs_perchannel_scale_shapes,
  test_int4_subchannel_g_idx_created, test_int4_perchannel_no_g_idx, test_int4_subchannel_g_idx_serialization.
- float16 / bfloat16 (out of scope): the `reverse_dtype="float16"` half of test_reverse_dtype (its float32 half is
  ported below); lstmkit raises NotImplementedError for a reverse_dtype other than float32.
"""

import os

import numpy as np
from _testing import parameterized

from lstmkit import layers
from lstmkit import models
from lstmkit import saving
import _testing as testing
from _testing import backend
from _testing import ops


class TestReversibleEmbedding(testing.TestCase):
    @parameterized.named_parameters(
        ("tie_weights", True),
        ("untie_weights", False),
    )
    def test_reversible_embedding_basics(self, tie_weights):
        self.run_layer_test(
            layers.ReversibleEmbedding,
            init_kwargs={
                "input_dim": 100,
                "output_dim": 32,
                "tie_weights": tie_weights,
                "embeddings_initializer": "HeNormal",
                "logit_soft_cap": 50,
            },
            input_data=np.random.randint(low=0, high=100, size=(4, 10)),
            expected_output_shape=(4, 10, 32),
            expected_num_trainable_weights=1 if tie_weights else 2,
        )

    @parameterized.named_parameters(
        ("tie_weights", True),
        ("untie_weights", False),
    )
    def test_saving(self, tie_weights):
        input_data = np.random.randint(low=0, high=100, size=(4, 10))
        model = models.Sequential(
            [
                layers.ReversibleEmbedding(
                    input_dim=100,
                    output_dim=32,
                    tie_weights=tie_weights,
                )
            ]
        )
        path = os.path.join(self.get_temp_dir(), "model.keras")
        model_output = model(input_data)
        model.save(path)
        restored_model = saving.load_model(path)
        restored_output = restored_model(input_data)
        self.assertAllClose(model_output, restored_output)

    def test_correctness(self):
        layer = layers.ReversibleEmbedding(input_dim=3, output_dim=2)
        layer.build()
        layer.embeddings.assign(np.array([[0.0, 0.0], [2.0, 2.0], [3.0, 3.0]]))
        out = layer(np.array(([2, 1, 0])))
        self.assertAllClose(out, np.array([[3.0, 3.0], [2.0, 2.0], [0.0, 0.0]]))

        layer = layers.ReversibleEmbedding(input_dim=3, output_dim=2)
        layer.build()
        layer.embeddings.assign(np.array([[0.0, 0.0], [2.0, 2.0], [3.0, 3.0]]))
        out = layer(np.array(([[1.0, 1.0]])), reverse=True)
        self.assertAllClose(out, np.array([[0.0, 4.0, 6.0]]))

        layer = layers.ReversibleEmbedding(
            input_dim=3, output_dim=2, logit_soft_cap=5
        )
        layer.build()
        layer.embeddings.assign(np.array([[0.0, 0.0], [2.0, 2.0], [3.0, 3.0]]))
        out = layer(np.array(([[1.0, 1.0]])), reverse=True)
        self.assertAllClose(out, np.array([[0.0, 3.320184, 4.168273]]))

    def test_reverse_dtype(self):
        embedding = layers.ReversibleEmbedding(100, 16, reverse_dtype="float32")
        input_data = ops.ones(shape=(4, 10, 16))
        output_data = embedding(input_data, reverse=True)
        self.assertEqual(output_data.shape, (4, 10, 100))
        self.assertDType(output_data, "float32")

    def test_masking(self):
        layer = layers.ReversibleEmbedding(3, 2, mask_zero=True)
        layer.build()

        out = layer(np.array(([2, 1, 0])))
        mask = backend.get_keras_mask(out)
        self.assertAllClose(mask, np.array([True, True, False]))

        out = layer(np.array(([[1.0, 2.0], [0.0, 0.0]])), reverse=True)
        mask = backend.get_keras_mask(out)
        self.assertIsNone(mask)
