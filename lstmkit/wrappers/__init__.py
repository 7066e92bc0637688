"""scikit-learn wrappers for lstmkit models (Keras 3's `keras.wrappers`).

`SKLearnRegressor`, `SKLearnClassifier` and `SKLearnTransformer` make a compiled model, or a
function building one, a scikit-learn estimator: cloneable, usable in `Pipeline`,
`GridSearchCV` and `cross_val_score` (with `TimeSeriesSplit` for windows in time order).
Models rebuilt for each fold share the programs compiled for the first one (lstmkit caches
programs per architecture), so a grid search compiles once per architecture.

scikit-learn is an optional dependency: `pip install lstmkit[sklearn]`. This package imports it
only when one of the classes is first used.
"""

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def __getattr__(name):
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        import sklearn  # noqa: F401
    except ImportError as e:
        raise ImportError(f"lstmkit.wrappers.{name} needs scikit-learn, which is not installed. Install it with "
                          f"`pip install lstmkit[sklearn]` (or `pip install scikit-learn`). ({e})") from None
    from lstmkit.wrappers import sklearn_wrapper

    return getattr(sklearn_wrapper, name)


def __dir__():
    return sorted(set(globals()) | set(__all__))
