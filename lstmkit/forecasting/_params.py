"""scikit-learn's estimator protocol for lstmkit's forecasters: `get_params(deep=True)`,
`set_params(**params)`, and so `sklearn.base.clone` (which rebuilds an estimator from
`get_params(deep=False)` and checks that each value comes back as the very object it passed).

The parameters are the constructor's arguments. The constructor may store a normalized value
(``float(0)`` for ``validation_split=0``); `get_params` returns the value as it was given while
the attribute still equals it, so clone's identity check holds, and the attribute once it was
changed. `set_params` validates by building a new estimator with the changed arguments (the
constructor's own checks and messages) and takes its state: the estimator is then unfitted, since
a model fitted with other settings would forecast with the old ones.
"""

from __future__ import annotations

import inspect
import numbers

__all__ = ["ParamsMixin"]


class ParamsMixin:
    """`get_params` / `set_params` from the constructor's signature (no *args or **kwargs in it)."""

    # Private state the constructor derives from a parameter, kept by set_params while that parameter
    # is the same object (a given Model's starting weights: after a fit the model holds trained ones).
    _derived_state = {"model": ("_initial_weights",)}

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        try:
            bound = inspect.signature(cls.__init__).bind(self, *args, **kwargs)
            self._given_params = {k: v for k, v in bound.arguments.items() if k != "self"}
        except TypeError:  # the constructor will say what is wrong
            self._given_params = {}
        return self

    @classmethod
    def _param_names(cls):
        names = []
        for name, p in inspect.signature(cls.__init__).parameters.items():
            if name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ takes *args/**kwargs: its parameters cannot be listed")
            names.append(name)
        return names

    def get_params(self, deep=True) -> dict:
        """The constructor's arguments, by name; with `deep`, also ``name__sub`` for a parameter that
        has parameters of its own (an object with `get_params`)."""
        given = getattr(self, "_given_params", {})
        out = {}
        for name in self._param_names():
            value = getattr(self, name)
            if name in given and _same(given[name], value):
                value = given[name]
            out[name] = value
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update({f"{name}__{k}": v for k, v in value.get_params(deep=True).items()})
        return out

    def set_params(self, **params):
        """Change parameters (``name=value``, or ``name__sub=value`` for a parameter's own); returns
        self, unfitted. An unknown name is a ValueError naming the valid ones."""
        if not params:
            return self
        current = self.get_params(deep=False)
        nested = {}
        for key, value in params.items():
            name, sub, rest = key.partition("__")
            if name not in current:
                raise ValueError(f"Invalid parameter {name!r} for estimator {type(self).__name__}. "
                                 f"Valid parameters are: {sorted(current)!r}.")
            if sub:
                nested.setdefault(name, {})[rest] = value
            else:
                current[name] = value
        for name, sub_params in nested.items():
            current[name].set_params(**sub_params)
        fresh = type(self)(**current)  # the constructor's checks, with its messages
        kept = {attr: getattr(self, attr) for param, attrs in self._derived_state.items()
                if param in current and current[param] is getattr(self, param, None)
                for attr in attrs if hasattr(self, attr)}
        self.__dict__.clear()
        self.__dict__.update(fresh.__dict__)
        self.__dict__.update(kept)
        return self


def _same(given, stored):
    """Whether a stored attribute still is the given argument (maybe normalized: 0 -> 0.0)."""
    if given is stored:
        return True
    if isinstance(given, bool) or isinstance(stored, bool):
        return isinstance(given, bool) and isinstance(stored, bool) and given == stored
    if isinstance(given, numbers.Number) and isinstance(stored, numbers.Number):
        return given == stored
    return False
