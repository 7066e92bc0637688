"""lstmkit: Keras-compatible LSTM, GRU and SimpleRNN sequence models on JAX.

Change `from keras.models import Sequential` to `from lstmkit.models import Sequential`
(and likewise for layers, optimizers, losses, metrics, callbacks, ...).
"""

import importlib
import sys

from lstmkit._version import __version__

from lstmkit import _deferred_import, _jax_setup, _legacy_paths

# The public Keras-named submodules, and Keras 3's keras.ops / keras.random, Keras 2's keras.backend.
_SUBMODULES = (
    "activations", "callbacks", "constraints", "datasets", "initializers", "layers", "losses", "metrics", "models",
    "optimizers", "preprocessing", "regularizers", "saving", "utils", "ops", "random", "backend",
    "wrappers",
)
# Names at the top, as Keras 3 has them (keras.Input, keras.RematScope, keras.remat, keras.Variable, ...).
_NAMES = {
    "Input": ("lstmkit.layers", "Input"),
    "RematScope": ("lstmkit.layers.remat", "RematScope"),
    "remat": ("lstmkit.layers.remat", "remat"),
    "Variable": ("lstmkit.layers.variables", "Variable"),
    "Model": ("lstmkit.models", "Model"),
    "Sequential": ("lstmkit.models", "Sequential"),
}
# Modules that import neither JAX nor the rest of lstmkit: the command line checks its arguments
# and reads its files with these alone, so that an error takes a fraction of a second.
_LIGHT = (
    "lstmkit.__main__", "lstmkit._version", "lstmkit._jax_setup", "lstmkit._legacy_paths", "lstmkit._deferred_import",
    "lstmkit._paths", "lstmkit.cli", "lstmkit.cli.__main__", "lstmkit.cli.forecast", "lstmkit.cli.generate",
    "lstmkit.cli.checks", "lstmkit.forecasting", "lstmkit.forecasting.reading", "lstmkit.forecasting.series",
    "lstmkit.forecasting.dates", "lstmkit.forecasting.panel_reading", "lstmkit.cli.forecast_output",
    "lstmkit.cli.forecast_panel", "lstmkit.cli.forecast_options",
    "lstmkit.generation", "lstmkit.generation.store", "lstmkit.generation.vocabulary",
)


def _import_public_api():
    """What `import lstmkit` did before it was deferred, in the same order."""
    _jax_setup.configure()  # before any of our code can compile with JAX
    names = globals()
    for name in _SUBMODULES:
        names[name] = importlib.import_module(f"{__name__}.{name}")
    for name, (module, attribute) in _NAMES.items():
        names[name] = getattr(importlib.import_module(module), attribute)
    _legacy_paths.install()


_trigger = _deferred_import.ImportTrigger(__name__, _LIGHT, _import_public_api)
_trigger.install()

# `import lstmkit as tf` keeps `tf.keras.layers.LSTM(...)` code working unchanged.
keras = sys.modules[__name__]

__all__ = [
    "Input", "Model", "RematScope", "Sequential", "Variable", "activations", "backend", "callbacks", "constraints",
    "datasets", "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers", "preprocessing", "random",
    "regularizers", "remat", "saving", "utils", "wrappers", "__version__",
]


def __getattr__(name):
    """The public API on first use (PEP 562); any other submodule by its name, as an imported one would be."""
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name in _NAMES or name in _SUBMODULES:
        _trigger.ensure_loaded()
        names = globals()
        if name in names:
            return names[name]
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
