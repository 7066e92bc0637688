"""Ported from Keras 3 (Apache-2.0): keras/src/utils/dataset_utils_test.py (Keras 3.15), run on lstmkit.

Keras's cardinality (`tf.data.Dataset.cardinality` or `len`) is `len()` here.

Left out (with the reason):
- tf.data and torch datasets as input, and `preferred_backend` (lstmkit returns its own datasets, without
  TensorFlow or torch): the dataset_type "tensorflow" / "torch" and preferred_backend "tensorflow" / "torch"
  cases of test_split_dataset; test_split_dataset_nested_structures (its datasets are tf.data / torch ones)
"""

import itertools

import numpy as np

from _testing import parameterized
from lstmkit.utils import split_dataset
import _testing as testing


class TestDatasetUtils(testing.TestCase):
    @parameterized.product(dataset_type=["list", "tuple"], features_shape=[(2,), (100, 2), (10, 10, 2)])
    def test_split_dataset(self, dataset_type, features_shape):
        n_sample, left_size, right_size = 100, 0.2, 0.8
        features = np.random.sample((n_sample,) + features_shape)
        labels = np.random.sample((n_sample, 1))
        cardinality_function = len

        if dataset_type == "list":
            dataset = [features, labels]
        elif dataset_type == "tuple":
            dataset = (features, labels)
        else:
            raise ValueError(f"Unknown dataset_type: {dataset_type}")

        dataset_left, dataset_right = split_dataset(dataset, left_size=left_size, right_size=right_size)
        self.assertEqual(int(cardinality_function(dataset_left)), int(n_sample * left_size))
        self.assertEqual(int(cardinality_function(dataset_right)), int(n_sample * right_size))
        n = 0
        for sample in itertools.chain(dataset_left, dataset_right):
            self.assertEqual(sample[0].shape, features_shape)
            self.assertEqual(sample[1].shape, (1,))
            n += 1
        self.assertEqual(n, n_sample)  # added: the loop above passes on empty splits
