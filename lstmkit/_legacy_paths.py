"""Keras 2's old module paths, so `from keras.layers.wrappers import Bidirectional` works with `keras` ->
`lstmkit` (Keras 2.4+ and Keras 3 removed these paths; old programs still use them).

Each path is a module made here that holds the same objects as the current names.
"""

from __future__ import annotations

import sys
import types

# path (under lstmkit) -> {name: (module holding it, attribute)}
_PATHS = {
    "layers.wrappers": ("lstmkit.layers", ["Bidirectional", "TimeDistributed", "Wrapper"]),
    "layers.embeddings": ("lstmkit.layers", ["Embedding"]),
    "layers.merge": ("lstmkit.layers", ["Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply",
                                         "Subtract", "add", "concatenate", "dot"]),
    "layers.experimental": ("lstmkit.layers", []),
    "layers.experimental.preprocessing": ("lstmkit.layers", ["Normalization", "Rescaling"]),
    "layers.convolutional": ("lstmkit.layers", [
        "Conv1D", "Convolution1D", "UpSampling1D", "ZeroPadding1D", "Cropping1D", "Conv2D", "Convolution2D", "Conv3D",
        "Convolution3D", "Conv1DTranspose", "Conv2DTranspose", "Convolution1DTranspose", "Convolution2DTranspose", "SeparableConv1D",
        "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D", "DepthwiseConv1D", "DepthwiseConv2D",
        "UpSampling2D", "ZeroPadding2D", "Cropping2D",
        # Keras 2 re-exported the poolings here; tutorials import MaxPooling1D from this path
        "AveragePooling1D", "AveragePooling2D", "MaxPooling1D", "MaxPooling2D"]),
    "layers.convolutional_recurrent": ("lstmkit.layers", ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]),
    "layers.advanced_activations": ("lstmkit.layers", ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]),
    "layers.dense_attention": ("lstmkit.layers", ["AdditiveAttention", "Attention"]),
    "layers.noise": ("lstmkit.layers", ["AlphaDropout", "GaussianDropout", "GaussianNoise"]),
    "engine": ("lstmkit.layers", ["Input", "InputLayer", "Layer"]),
    "engine.topology": ("lstmkit.layers", ["Input", "InputLayer", "Layer"]),
    "engine.base_layer": ("lstmkit.layers", ["Layer"]),
    "engine.input_layer": ("lstmkit.layers", ["Input", "InputLayer"]),
    "engine.training": ("lstmkit.models", ["Model"]),
    "engine.sequential": ("lstmkit.models", ["Sequential"]),
    "engine.functional": ("lstmkit.models", ["Model"]),
    "utils.np_utils": ("lstmkit.utils", ["to_categorical"]),
    "utils.data_utils": ("lstmkit.utils", ["Sequence", "get_file"]),
    "utils.vis_utils": ("lstmkit.utils", ["model_to_dot", "plot_model"]),
}

# Names Keras 2 kept in modules that exist here under the same path (e.g. `keras.layers.core.Lambda`).
_EXTRA = {
    "lstmkit.layers.core": ("lstmkit.layers", ["ActivityRegularization", "Lambda", "Permute"]),
    "lstmkit.layers.normalization": ("lstmkit.layers", ["GroupNormalization", "UnitNormalization"]),
    "lstmkit.models": ("lstmkit.layers", ["Input", "InputLayer"]),  # Keras 2.0-2.3: `from keras.models import Input`
    # `lstmkit.layers.pooling` is a real module (the 1-D poolings); Keras 2 kept the 2-D ones there too.
    "lstmkit.layers.pooling": ("lstmkit.layers", ["AveragePooling2D", "AvgPool2D", "GlobalAveragePooling2D",
                                                  "GlobalAvgPool2D", "GlobalMaxPool2D", "GlobalMaxPooling2D",
                                                  "MaxPool2D", "MaxPooling2D"]),
}


def install():
    import importlib

    for path, (source, names) in _PATHS.items():
        full = f"lstmkit.{path}"
        if full in sys.modules:
            continue
        module = types.ModuleType(full, f"Keras 2's `keras.{path}`: {', '.join(names)}.")
        origin = importlib.import_module(source)
        for name in names:
            setattr(module, name, getattr(origin, name))
        module.__all__ = list(names)
        sys.modules[full] = module
        parent_name, _, leaf = full.rpartition(".")
        parent = sys.modules.get(parent_name) or importlib.import_module(parent_name)
        setattr(parent, leaf, module)
    for target, (source, names) in _EXTRA.items():
        module, origin = importlib.import_module(target), importlib.import_module(source)
        for name in names:
            setattr(module, name, getattr(origin, name))
