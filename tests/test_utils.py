"""lstmkit.utils against keras.utils."""

import keras
import numpy as np
import pytest

from lstmkit import utils


@pytest.mark.parametrize("labels,num_classes", [([0, 2, 1, 2], None), ([[1], [0], [3]], 5), (np.array([[0, 1], [2, 0]]), 3)])
def test_to_categorical_matches_keras(labels, num_classes):
    np.testing.assert_array_equal(utils.to_categorical(labels, num_classes), keras.utils.to_categorical(labels, num_classes))


def test_to_categorical_errors():
    with pytest.raises(ValueError, match=r"label 3 at position \(1,\), outside \[0, 2\) \(num_classes=2\)"):
        utils.to_categorical([0, 3], 2)
    with pytest.raises(IndexError, match="never negative"):  # NumPy's type, as Keras's to_categorical raises
        utils.to_categorical([-1, 0])
    with pytest.raises(ValueError, match="`num_classes` must be a positive integer"):
        utils.to_categorical([0, 1], 0)


@pytest.mark.parametrize("kwargs", [{}, {"maxlen": 2}, {"padding": "post"}, {"truncating": "post", "maxlen": 2},
                                    {"value": -1, "maxlen": 5}, {"dtype": "float32", "padding": "post", "value": 0.5}])
def test_pad_sequences_matches_keras(kwargs):
    seqs = [[1, 2, 3], [4], [], [5, 6]]
    np.testing.assert_array_equal(utils.pad_sequences(seqs, **kwargs), keras.utils.pad_sequences(seqs, **kwargs))


def test_pad_sequences_bad_padding():
    with pytest.raises(ValueError, match='`padding` must be "pre" or "post"'):
        utils.pad_sequences([[1]], padding="middle")
