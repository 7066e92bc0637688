"""Keras 2's old module paths hold the same objects as the current names."""

import importlib

import pytest

import lstmkit

CASES = [
    ("lstmkit.layers.wrappers", "Bidirectional", lstmkit.layers.Bidirectional),
    ("lstmkit.layers.wrappers", "TimeDistributed", lstmkit.layers.TimeDistributed),
    ("lstmkit.layers.embeddings", "Embedding", lstmkit.layers.Embedding),
    ("lstmkit.layers.merge", "concatenate", lstmkit.layers.concatenate),
    ("lstmkit.layers.core", "Lambda", lstmkit.layers.Lambda),
    ("lstmkit.layers.core", "Dense", lstmkit.layers.Dense),
    ("lstmkit.layers.recurrent", "LSTM", lstmkit.layers.LSTM),
    ("lstmkit.layers.normalization", "BatchNormalization", lstmkit.layers.BatchNormalization),
    ("lstmkit.engine.topology", "Layer", lstmkit.layers.Layer),
    ("lstmkit.engine", "Input", lstmkit.layers.Input),
    ("lstmkit.engine.training", "Model", lstmkit.models.Model),
    ("lstmkit.utils.np_utils", "to_categorical", lstmkit.utils.to_categorical),
    ("lstmkit.utils.data_utils", "Sequence", lstmkit.utils.Sequence),
]


@pytest.mark.parametrize("path, name, obj", CASES)
def test_old_paths_import_the_same_objects(path, name, obj):
    assert getattr(importlib.import_module(path), name) is obj


def test_a_keras2_style_program_header_runs():
    namespace = {}
    exec("from lstmkit.models import Sequential\n"
         "from lstmkit.layers.core import Dense, Dropout, Activation\n"
         "from lstmkit.layers.recurrent import LSTM\n"
         "from lstmkit.layers.embeddings import Embedding\n"
         "from lstmkit.layers.wrappers import Bidirectional\n"
         "model = Sequential([Embedding(10, 4, input_length=5), Bidirectional(LSTM(3)), Dense(1), "
         "Activation('sigmoid')])\n", namespace)
    assert namespace["model"].count_params() == 10 * 4 + 2 * 4 * ((4 + 3) * 3 + 3) + 7
