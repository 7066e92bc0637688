"""Layers, with Keras 3's names and arguments."""

from lstmkit.layers.base import Layer, Variable
from lstmkit.layers.core import (Activation, Dense, Dropout, Embedding, Flatten, Identity, Masking, RepeatVector,
                                 Reshape)
from lstmkit.layers.input_layer import Input, InputLayer, KerasTensor
from lstmkit.layers.lambda_layer import Lambda
from lstmkit.layers.merging import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, concatenate, add
from lstmkit.layers.time_distributed import TimeDistributed
from lstmkit.layers.wrapper import Wrapper
from lstmkit.layers.recurrent import GRU, LSTM, SimpleRNN  # noqa: F401
from lstmkit.layers.recurrent import RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells  # noqa: F401
from lstmkit.layers.bidirectional import Bidirectional  # noqa: F401
from lstmkit.layers.dropout_rnn_cell import DropoutRNNCell  # noqa: F401
from lstmkit.layers.einsum_dense import EinsumDense  # noqa: F401
from lstmkit.layers.reversible_embedding import ReversibleEmbedding  # noqa: F401
from lstmkit.layers.normalization import BatchNormalization, LayerNormalization  # noqa: F401
from lstmkit.layers.convolution import (Conv1D, Convolution1D, Cropping1D, SpatialDropout1D,  # noqa: F401
                                        UpSampling1D, ZeroPadding1D)
from lstmkit.layers.pooling import (AveragePooling1D, AvgPool1D, GlobalAveragePooling1D, GlobalAvgPool1D,  # noqa: F401
                                    GlobalMaxPool1D, GlobalMaxPooling1D, MaxPool1D, MaxPooling1D)

__all__ = [
    "Activation", "Add", "Average", "BatchNormalization", "Bidirectional", "Concatenate", "Dense", "Dropout", "DropoutRNNCell",
    "EinsumDense", "Embedding", "Flatten", "GRU", "GRUCell", "Identity", "Input", "InputLayer", "KerasTensor", "LSTM", "LayerNormalization", "LSTMCell", "Lambda",
    "Layer", "Masking", "Maximum", "Minimum", "Multiply", "RNN", "RepeatVector", "Reshape", "ReversibleEmbedding", "SimpleRNN",
    "SimpleRNNCell", "StackedRNNCells", "Subtract", "TimeDistributed", "Variable", "Wrapper", "add", "concatenate",
    # 1-D convolution and pooling (CNN-LSTM programs)
    "AveragePooling1D", "AvgPool1D", "Conv1D", "Convolution1D", "Cropping1D", "GlobalAveragePooling1D",
    "GlobalAvgPool1D", "GlobalMaxPool1D", "GlobalMaxPooling1D", "MaxPool1D", "MaxPooling1D", "SpatialDropout1D",
    "UpSampling1D", "ZeroPadding1D",
]
