"""Ported from Keras 3 (Apache-2.0): keras/src/layers/core/dense_test.py (Keras 3.15), run on lstmkit.

Left out (with the reason):
- quantization (out of scope): test_dense_quantize_config, test_quantize_int, test_quantize_on_unbuilt_layer,
  test_quantize_on_subclass, test_quantize_when_already_quantized, test_quantize_by_setting_dtype_policy,
  test_quantize_invalid_mode, test_quantize_dtype_argument, test_quantize_float8, test_quantize_float8_fitting,
  test_quantize_float8_inference, test_gptq_serialization, test_awq_serialization,
  test_int4_kernel_returns_unpacked_form, test_int4_gptq_kernel_returns_unpacked_form, test_gptq_kernel_packing,
  test_int4_awq_kernel_returns_unpacked_form, test_awq_kernel_packing, test_dense_int8_custom_quantizer,
  test_dense_int8_weight_only_quantizer, test_dense_int4_custom_quantizer, test_int4_quantization_block_size,
  test_int4_block_size_serialization, test_int4_grouped_vs_perchannel_scale_shapes,
  test_int4_subchannel_g_idx_created, test_int4_perchannel_no_g_idx, test_int4_subchannel_g_idx_serialization;
  and the int8 / int4 / float8 / GPTQ / AWQ stores of test_legacy_load_own_variables (its float32 store is
  ported below as test_legacy_load_own_variables_float32).
- LoRA (out of scope): test_enable_lora, test_enable_lora_with_alpha, test_lora_weight_name,
  test_lora_rank_argument, test_enable_lora_with_kernel_constraint, test_enable_lora_on_unbuilt_layer,
  test_enable_lora_when_already_enabled, test_quantize_lora_integration, test_int4_block_size_with_lora.
- sparse / ragged inputs (out of scope): test_dense_sparse.
"""

import numpy as np
import pytest
from _testing import parameterized

from lstmkit import constraints
from lstmkit import layers
import _testing as testing
from _testing import ops
from _testing import backend


class TestDense(testing.TestCase):
    def test_dense_basics(self):
        # 2D case, no bias.
        self.run_layer_test(
            layers.Dense,
            init_kwargs={
                "units": 4,
                "activation": "relu",
                "kernel_initializer": "random_uniform",
                "bias_initializer": "ones",
                "use_bias": False,
            },
            input_shape=(2, 3),
            expected_output_shape=(2, 4),
            expected_num_trainable_weights=1,
            expected_num_non_trainable_weights=0,
            expected_num_seed_generators=0,
            expected_num_losses=0,
            supports_masking=True,
        )
        # 3D case, some regularizers.
        self.run_layer_test(
            layers.Dense,
            init_kwargs={
                "units": 5,
                "activation": "sigmoid",
                "kernel_regularizer": "l2",
                "bias_regularizer": "l2",
            },
            input_shape=(2, 3, 4),
            expected_output_shape=(2, 3, 5),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
            expected_num_seed_generators=0,
            expected_num_losses=2,  # we have 2 regularizers.
            supports_masking=True,
        )

    @parameterized.named_parameters(
        ("zero", 0),
        ("negative", -3),
        ("float", 2.5),
        ("none", None),
        ("string", "64"),
    )
    def test_dense_invalid_units_raises(self, units):
        with self.assertRaisesRegex(ValueError, "positive integer"):
            layers.Dense(units)

    def test_dense_correctness(self):
        # With bias and activation.
        layer = layers.Dense(units=2, activation="relu")
        layer.build((1, 2))
        layer.set_weights(
            [
                np.array([[1.0, -2.0], [3.0, -4.0]]),
                np.array([5.0, -6.0]),
            ]
        )
        inputs = np.array(
            [[-1.0, 2.0]],
        )
        self.assertAllClose(layer(inputs), [[10.0, 0.0]])

        # Just a kernel matmul.
        layer = layers.Dense(units=2, use_bias=False)
        layer.build((1, 2))
        layer.set_weights(
            [
                np.array([[1.0, -2.0], [3.0, -4.0]]),
            ]
        )
        inputs = np.array(
            [[-1.0, 2.0]],
        )
        self.assertEqual(layer.bias, None)
        self.assertAllClose(layer(inputs), [[5.0, -6.0]])

    def test_dense_errors(self):
        with self.assertRaisesRegex(ValueError, "incompatible with the layer"):
            layer = layers.Dense(units=2, activation="relu")
            layer(layers.KerasTensor((1, 2)))
            layer(layers.KerasTensor((1, 3)))

    def test_dense_no_activation(self):
        layer = layers.Dense(units=2, use_bias=False, activation=None)
        layer.build((1, 2))
        layer.set_weights(
            [
                np.array([[1.0, -2.0], [3.0, -4.0]]),
            ]
        )
        inputs = np.array(
            [[-1.0, 2.0]],
        )
        self.assertEqual(layer.bias, None)
        self.assertAllClose(layer(inputs), [[5.0, -6.0]])

    def test_dense_without_activation_set(self):
        layer = layers.Dense(units=2, use_bias=False)
        layer.build((1, 2))
        layer.set_weights(
            [
                np.array([[1.0, -2.0], [3.0, -4.0]]),
            ]
        )
        layer.activation = None
        inputs = np.array(
            [[-1.0, 2.0]],
        )
        self.assertEqual(layer.bias, None)
        self.assertAllClose(layer(inputs), [[5.0, -6.0]])

    def test_dense_with_activation(self):
        layer = layers.Dense(units=2, use_bias=False, activation="relu")
        layer.build((1, 2))
        layer.set_weights(
            [
                np.array([[1.0, -2.0], [3.0, -4.0]]),
            ]
        )

        inputs = np.array(
            [[-1.0, 2.0]],
        )
        output = layer(inputs)
        expected_output = np.array([[5.0, 0.0]])
        self.assertAllClose(output, expected_output)

    def test_dense_constraints(self):
        layer = layers.Dense(units=2, kernel_constraint="non_neg")
        layer.build((None, 2))
        self.assertIsInstance(layer.kernel.constraint, constraints.NonNeg)
        layer = layers.Dense(units=2, bias_constraint="non_neg")
        layer.build((None, 2))
        self.assertIsInstance(layer.bias.constraint, constraints.NonNeg)

    def test_legacy_load_own_variables_float32(self):
        # In previous versions, `load_own_variables` accepted a store with
        # numeric keys.
        float32_store = {
            "0": np.random.random((8, 16)).astype("float32"),
            "1": np.random.random((16,)).astype("float32"),
        }

        # Test float32 layer. (Keras reads the private `layer._kernel`; for a
        # float32 layer it is what the public `layer.kernel` returns.)
        layer = layers.Dense(units=16)
        layer.build((None, 8))
        layer.load_own_variables(float32_store)
        self.assertAllClose(layer.kernel, float32_store["0"])
        self.assertAllClose(layer.bias, float32_store["1"])
