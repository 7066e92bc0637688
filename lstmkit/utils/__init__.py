"""Utilities with Keras's names (`keras.utils.*`)."""

from __future__ import annotations

import random as _python_random

import numpy as _np

from lstmkit import _random


def set_random_seed(seed):
    """Sets all random seeds: Python's `random`, NumPy's legacy global, and lstmkit's own.

    lstmkit's own are the global NumPy Generator that initial weights and shuffling draw
    from and the JAX key stream used by dropout, so the same seed gives the same run.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, _np.integer)):
        raise ValueError(
            f"Expected `seed` argument to be an integer. Received: seed={seed} (of type {type(seed)})"
        )
    seed = int(seed)
    _python_random.seed(seed)
    _np.random.seed(seed)
    _random.set_seed(seed)


def get_random_seed():
    """The seed given to the last `set_random_seed`, or None if none was set."""
    return _random.get_seed()


from lstmkit._object_registration import (  # noqa: E402  (Keras exports these in keras.utils too)
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from lstmkit.utils.model_visualization import model_to_dot, plot_model  # noqa: E402
from lstmkit.utils.py_dataset import PyDataset, Sequence  # noqa: E402
from lstmkit.utils.file_utils import get_file  # noqa: E402
from lstmkit.utils.sequences import pad_sequences, to_categorical  # noqa: E402
from lstmkit.utils.dataset_utils import split_dataset, timeseries_dataset_from_array  # noqa: E402

__all__ = [
    "CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_file", "get_random_seed", "get_registered_name",
    "get_registered_object", "model_to_dot", "pad_sequences", "plot_model", "PyDataset", "Sequence", "register_keras_serializable", "set_random_seed", "to_categorical",
    "split_dataset", "timeseries_dataset_from_array",
]
