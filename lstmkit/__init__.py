"""lstmkit: Keras-compatible LSTM, GRU and SimpleRNN sequence models on JAX.

Change `from keras.models import Sequential` to `from lstmkit.models import Sequential`
(and likewise for layers, optimizers, losses, metrics, callbacks, ...).
"""

from lstmkit._version import __version__

from lstmkit import _jax_setup

_jax_setup.configure()

from lstmkit import (  # noqa: E402  (public Keras-named submodules)
    activations,
    callbacks,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    preprocessing,
    regularizers,
    saving,
    utils,
)
from lstmkit import ops  # noqa: E402  (Keras 3's keras.ops)
from lstmkit import random  # noqa: E402  (Keras 3's keras.random)
from lstmkit import backend  # noqa: E402  (Keras 2's keras.backend, `from lstmkit import backend as K`)
from lstmkit.layers import Input  # noqa: E402
from lstmkit.layers.remat import RematScope, remat  # noqa: E402  (Keras 3's keras.RematScope, keras.remat)
from lstmkit.layers.variables import Variable  # noqa: E402  (keras.Variable)
from lstmkit.models import Model, Sequential  # noqa: E402

from lstmkit import _legacy_paths  # noqa: E402

_legacy_paths.install()

# `import lstmkit as tf` keeps `tf.keras.layers.LSTM(...)` code working unchanged.
keras = __import__("sys").modules[__name__]

__all__ = [
    "Input", "Model", "RematScope", "Sequential", "Variable", "activations", "backend", "callbacks", "constraints",
    "datasets", "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers", "preprocessing", "random",
    "regularizers", "remat", "saving", "utils", "__version__",
]
