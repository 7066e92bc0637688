"""Keras 2's `keras.preprocessing`: `sequence` (pad_sequences, TimeseriesGenerator, skipgrams, ...) and `text`
(Tokenizer, one_hot, hashing_trick, ...). NumPy only: this package imports no layers, models or training."""

from lstmkit.preprocessing import sequence, text
from lstmkit.utils.dataset_utils import timeseries_dataset_from_array  # Keras 3 exports it here too

__all__ = ["sequence", "text", "timeseries_dataset_from_array"]
