"""Keras 3's optimizers on optax, numerically identical to Keras's update rules.

```python
from lstmkit.optimizers import Adam
opt = Adam(learning_rate=1e-3)
tx = opt.transformation()          # an optax.GradientTransformation
state = tx.init(params)
updates, state = tx.update(grads, state, params)
params = optax.apply_updates(params, updates)
```

The learning rate lives in the optax state: `opt.set_state_learning_rate(state, v)`
changes it without recompiling, `opt.get_state_learning_rate(state)` reads it,
`opt.get_state_iterations(state)` gives Keras's `optimizer.iterations`.

What a training loop does around the transformation, as Keras's `fit` does:

- differentiate `opt.scale_loss(loss)` (a no-op unless `loss_scale_factor` is set;
  the update divides the gradients by the factor, as Keras's);
- at the end of training, `params = opt.finalize_variable_values(state, params)`
  (with `use_ema=True` the weights become their moving average);
- pass `transformation(param_names={key: variable_name})` when the param keys are
  not the variables' names, so `exclude_from_weight_decay(var_names=[...])` can match.
"""

from __future__ import annotations

import inspect

from lstmkit.optimizers import schedules
from lstmkit.optimizers._base import Optimizer, OptimizerState
from lstmkit.optimizers._optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Ftrl,
    Lion,
    Nadam,
    RMSprop,
)

__all__ = [
    "Optimizer", "OptimizerState", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam",
    "Ftrl", "Lion", "schedules", "get", "serialize", "deserialize",
]

_CLASSES = (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Ftrl, Lion)
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in _CLASSES}
# Keras 3 optimizers lstmkit does not provide (named in the error message).
_KERAS_ONLY = ("adafactor", "lamb", "muon", "lossscaleoptimizer", "multioptimizer", "schedulefreeadamw")


def _valid_names() -> str:
    return ", ".join(repr(n) for n in sorted(ALL_OBJECTS_DICT))


def _lookup(name: str):
    cls = ALL_OBJECTS_DICT.get(str(name).lower())
    if cls is not None:
        return cls
    if str(name).lower() in _KERAS_ONLY:
        raise ValueError(
            f"Could not interpret optimizer identifier: {name!r}. Keras's {name} is not implemented in lstmkit; "
            f"valid names are {_valid_names()}."
        )
    raise ValueError(f"Could not interpret optimizer identifier: {name!r}. Valid names are {_valid_names()}.")


def serialize(optimizer) -> dict:
    """Keras 3's serialized form: {'module', 'class_name', 'config', 'registered_name'}."""
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"serialize() expects an lstmkit optimizer; received {optimizer!r}.")
    cls = type(optimizer)
    builtin = ALL_OBJECTS_DICT.get(cls.__name__.lower()) is cls
    return {
        "module": "keras.optimizers" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": optimizer.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def deserialize(config, custom_objects=None) -> Optimizer:
    """An optimizer from `serialize`'s dict, or Keras 2's {'class_name': ..., 'config': ...}."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret optimizer identifier: {config!r}")
    name = config["class_name"]
    custom = dict(custom_objects or {})
    cls = custom.get(name) or custom.get(config.get("registered_name") or "")
    if cls is None:
        cls = _lookup(name)
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects)


def get(identifier):
    """Resolve an optimizer: an instance, a name ('adam', 'SGD', ...), a config dict, or a class.

    A Keras optimizer object is converted through its `get_config()`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Optimizer):
        return identifier()
    get_config = getattr(identifier, "get_config", None)
    name = type(identifier).__name__.lower()
    if callable(get_config) and name in ALL_OBJECTS_DICT:
        return ALL_OBJECTS_DICT[name].from_config(get_config())
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Valid names are {_valid_names()}.")
