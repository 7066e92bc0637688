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
from lstmkit.layers.attention import AdditiveAttention, Attention  # noqa: F401
from lstmkit.layers.multi_head_attention import MultiHeadAttention  # noqa: F401
from lstmkit.layers.pooling import (AveragePooling1D, AvgPool1D, GlobalAveragePooling1D, GlobalAvgPool1D,  # noqa: F401
                                    GlobalMaxPool1D, GlobalMaxPooling1D, MaxPool1D, MaxPooling1D)
from lstmkit.layers.convolution_2d import Conv2D, Conv3D, Convolution2D, Convolution3D  # noqa: F401
from lstmkit.layers.convolution_extra import (Conv1DTranspose, Conv2DTranspose, Convolution1DTranspose,  # noqa: F401
                                              Convolution2DTranspose, DepthwiseConv1D, DepthwiseConv2D,
                                              SeparableConv1D, SeparableConv2D, SeparableConvolution1D,
                                              SeparableConvolution2D)
from lstmkit.layers.pooling_2d import (AveragePooling2D, AvgPool2D, Cropping2D, GlobalAveragePooling2D,  # noqa: F401
                                       GlobalAvgPool2D, GlobalMaxPool2D, GlobalMaxPooling2D, MaxPool2D, MaxPooling2D,
                                       UpSampling2D, ZeroPadding2D)
from lstmkit.layers.regularization import (ActivityRegularization, AlphaDropout, GaussianDropout,  # noqa: F401
                                           GaussianNoise)
from lstmkit.layers.group_normalization import GroupNormalization, UnitNormalization  # noqa: F401
from lstmkit.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax  # noqa: F401
from lstmkit.layers.merging import Dot, dot  # noqa: F401
from lstmkit.layers.reshaping import Permute  # noqa: F401
from lstmkit.layers.preprocessing_layers import Normalization, Rescaling  # noqa: F401
from lstmkit.layers.conv_lstm_layers import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D  # noqa: F401

__all__ = [
    "Activation", "Add", "Average", "BatchNormalization", "Bidirectional", "Concatenate", "Dense", "Dropout", "DropoutRNNCell",
    "EinsumDense", "Embedding", "Flatten", "GRU", "GRUCell", "Identity", "Input", "InputLayer", "KerasTensor", "LSTM", "LayerNormalization", "LSTMCell", "Lambda",
    "Layer", "Masking", "Maximum", "Minimum", "Multiply", "RNN", "RepeatVector", "Reshape", "ReversibleEmbedding", "SimpleRNN",
    "SimpleRNNCell", "StackedRNNCells", "Subtract", "TimeDistributed", "Variable", "Wrapper", "add", "concatenate",
    # 1-D convolution and pooling (CNN-LSTM programs)
    "AveragePooling1D", "AvgPool1D", "Conv1D", "Convolution1D", "Cropping1D", "GlobalAveragePooling1D",
    "GlobalAvgPool1D", "GlobalMaxPool1D", "GlobalMaxPooling1D", "MaxPool1D", "MaxPooling1D", "SpatialDropout1D",
    "UpSampling1D", "ZeroPadding1D",
    # 2-D / 3-D convolution, the other convolutions, 2-D pooling and image shape layers (CNN-LSTM on video)
    "AveragePooling2D", "AvgPool2D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "Conv3D", "Convolution1DTranspose",
    "Convolution2D", "Convolution2DTranspose", "Convolution3D", "Cropping2D", "DepthwiseConv1D", "DepthwiseConv2D",
    "GlobalAveragePooling2D", "GlobalAvgPool2D", "GlobalMaxPool2D", "GlobalMaxPooling2D", "MaxPool2D", "MaxPooling2D",
    "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D", "UpSampling2D",
    "ZeroPadding2D",
    # noise, activity regularization, group and unit normalization
    "ActivityRegularization", "AlphaDropout", "GaussianDropout", "GaussianNoise", "GroupNormalization",
    "UnitNormalization",
    # activation layers, Permute, Dot, and the preprocessing layers time-series models use
    "Dot", "ELU", "LeakyReLU", "Normalization", "PReLU", "Permute", "ReLU", "Rescaling", "Softmax", "dot",
    # convolutional LSTMs
    "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
    # attention (seq2seq with attention, LSTM + attention classifiers)
    "AdditiveAttention", "Attention", "MultiHeadAttention",
]
