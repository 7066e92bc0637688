"""scikit-learn estimators around lstmkit models: Keras 3's `keras.wrappers` classes.

Imported by `lstmkit.wrappers` on first use (scikit-learn is the optional extra `lstmkit[sklearn]`).

Differences from Keras 3's wrappers, each where Keras's behaviour is a gap:
* X may have more than two dimensions (samples, time steps, features): sequence models need it.
* A compiled model given as `model` is cloned *and compiled with the same settings* (a fresh
  optimizer of the same configuration); Keras's clone is left uncompiled and its fit fails.
* `warm_start=True` is honoured: the first fit trains the given model itself (from its weights),
  later fits continue from the previous fit's weights.
* A clone keeps `fit_kwargs`; `fit` does not write the call's keyword arguments into `fit_kwargs`.
* `history_` is the `History.history` dict (as Keras documents it); `epoch_` the number of epochs run.
* `predict` / `transform` run silently (`verbose=0`): they are called once per fold by searches.
* A fitted estimator pickles (its model travels as a `.keras` file), so `n_jobs` > 1 works.
"""

import copy
import os
import tempfile

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

try:
    from sklearn.utils.validation import validate_data
except ImportError:  # scikit-learn < 1.6
    def validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

from lstmkit.models.cloning import clone_model
from lstmkit.models.model import Model

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def _checked_target_type(y):
    target_type = type_of_target(y, input_name="y")
    if target_type == "unknown":
        raise ValueError(f"Unknown label type for y: {y!r}")
    return target_type


def _check_model(model):
    if not isinstance(model, Model):
        raise TypeError(f"`model` must be an lstmkit Model or a function returning one; it gave {model!r} "
                        f"(of type {type(model).__name__}).")
    if not model.compiled or not model.loss or not model.optimizer:
        raise RuntimeError("Given model needs to be compiled, and have a loss and an optimizer.")


def _compiled_clone(model):
    """A new model of `model`'s architecture, with fresh weights, compiled as `model` is (a new
    optimizer of the same configuration). Same architecture: it runs the programs compiled for `model`."""
    clone = clone_model(model)
    optimizer = type(model.optimizer).from_config(model.optimizer.get_config())
    clone.compile(optimizer=optimizer, **model._compile_args)
    return clone


def _model_bytes(model):
    from lstmkit.saving.api import save_model

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        save_model(model, path)
        with open(path, "rb") as f:
            return f.read()


def _model_from_bytes(data):
    from lstmkit.saving.api import load_model

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        return load_model(path)


class SKLBase(BaseEstimator):
    """Base class of the scikit-learn wrappers.

    Args:
        model: a compiled lstmkit `Model`, or a callable returning one. A model is cloned (new
            weights, the same compile settings) for each fit unless `warm_start=True`. A callable
            is called as `model(X=X, y=y, **model_kwargs)` with the validated training data (a
            classifier's `y` one-hot encoded), so it can size the inputs and outputs from them.
        warm_start: reuse the weights: the first fit trains the given model itself (a callable's
            model is built), each later fit continues training the previous fit's model.
        model_kwargs: keyword arguments for `model` when it is a callable.
        fit_kwargs: keyword arguments for `model.fit` (e.g. `{"epochs": 20, "batch_size": 32}`);
            those given to `fit` itself take precedence.

    Attributes:
        model_: the fitted model.
        history_: the last fit's `History.history` dict.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6 reads its tags here
        return {"non_deterministic": True}

    def __sklearn_clone__(self):
        # A model instance is only read (cloned) by fit, so clones may share it, except with
        # warm_start, where fit trains it: then each clone gets its own copy.
        model = self.model
        if isinstance(model, Model) and self.warm_start:
            model = copy.deepcopy(model)
        return type(self)(model=model, warm_start=self.warm_start, model_kwargs=copy.deepcopy(self.model_kwargs),
                          fit_kwargs=copy.deepcopy(self.fit_kwargs))

    @property
    def epoch_(self):
        """How many epochs the last fit ran."""
        history = getattr(self, "history_", None) or {}
        return len(next(iter(history.values()), []))

    # ----------------------------------------------------------------- pickling
    def __getstate__(self):
        state = dict(super().__getstate__())
        for key in ("model", "model_"):
            if isinstance(state.get(key), Model):
                state[key] = ("lstmkit-model", _model_bytes(state[key]))
        return state

    def __setstate__(self, state):
        state = dict(state)
        for key in ("model", "model_"):
            value = state.get(key)
            if isinstance(value, tuple) and len(value) == 2 and value[0] == "lstmkit-model":
                state[key] = _model_from_bytes(value[1])
        super().__setstate__(state)

    # ----------------------------------------------------------------- fitting
    def _get_model(self, X, y):
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            _check_model(self.model)  # before cloning: the clone is compiled as the given model is
            return self.model if self.warm_start else _compiled_clone(self.model)
        if not callable(self.model):
            raise TypeError(f"`model` must be an lstmkit Model or a function returning one; received {self.model!r}.")
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Fit the model.

        Args:
            X: array-like (samples, features) or (samples, time steps, features, ...).
            y: array-like (samples,) or (samples, outputs).
            sample_weight: optional weights per sample, passed to `model.fit`.
            **kwargs: keyword arguments for `model.fit`, over `fit_kwargs`.
        """
        X, y = validate_data(self, X, y, allow_nd=True, multi_output=True, y_numeric=not isinstance(self,
                                                                                                 ClassifierMixin))
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        _check_model(model)
        fit_kwargs = {**(self.fit_kwargs or {}), **kwargs}
        if sample_weight is not None:
            fit_kwargs["sample_weight"] = _check_sample_weight(sample_weight, X)
        history = model.fit(X, y, **fit_kwargs)
        self.history_ = dict(getattr(history, "history", {}) or {})
        self.model_ = model
        return self

    def _raw_predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, allow_nd=True)
        return self.model_.predict(X, verbose=0)

    def predict(self, X):
        """The model's predictions for X (a classifier's: class labels)."""
        return self._reverse_process_target(self._raw_predict(X))

    def _process_target(self, y, reset=False):
        """Regressors and transformers: y as 2-D; classifiers: one-hot."""
        _checked_target_type(y)
        if reset:
            self._y_ndim = np.ndim(y)
        return y.reshape(-1, 1) if np.ndim(y) == 1 else y

    def _reverse_process_target(self, y):
        if self._y_ndim == 1 and y.ndim == 2 and y.shape[1] == 1:
            return y[:, 0]
        return y


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """scikit-learn classifier around an lstmkit model (Keras 3's `keras.wrappers.SKLearnClassifier`).

    The labels are one-hot encoded for the model (a callable `model` sees the one-hot `y`, so it
    can give its last layer `y.shape[1]` units); `predict` returns the label of the largest
    output, `decision_function` the model's outputs. Arguments and attributes as `SKLBase`'s,
    plus `classes_`, the labels seen by fit.

    Example:

    ```python
    def build(X, y, units=16):
        model = lstmkit.Sequential([lstmkit.Input(X.shape[1:]), lstmkit.layers.LSTM(units),
                                    lstmkit.layers.Dense(y.shape[1], activation="softmax")])
        model.compile("adam", "categorical_crossentropy")
        return model

    clf = SKLearnClassifier(build, model_kwargs={"units": 8}, fit_kwargs={"epochs": 10})
    clf.fit(X_windows, labels)
    ```
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags

    def _more_tags(self):
        return {"non_deterministic": True, "poor_score": True}

    def decision_function(self, X):
        """The model's raw outputs for X."""
        return self._raw_predict(X)

    def _process_target(self, y, reset=False):
        target_type = _checked_target_type(y)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(f"Only binary and multiclass target types are supported. Target type: {target_type}")
        column = np.asarray(y).reshape(-1, 1)
        if reset:
            self._y_ndim = np.ndim(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
            self._encoder = OneHotEncoder(sparse_output=False).fit(column)
        return self._encoder.transform(column)

    def _reverse_process_target(self, y):
        labels = self.classes_[np.argmax(y, axis=1)]
        return labels if self._y_ndim == 1 else labels.reshape(-1, 1)


class SKLearnRegressor(RegressorMixin, SKLBase):
    """scikit-learn regressor around an lstmkit model (Keras 3's `keras.wrappers.SKLearnRegressor`).

    A 1-D `y` reaches the model as one column and `predict` returns it 1-D again. Arguments and
    attributes as `SKLBase`'s.

    Example: a grid search over learning rates on windows, with folds in time order:

    ```python
    def build(X, y, learning_rate=1e-3):
        model = lstmkit.Sequential([lstmkit.Input(X.shape[1:]), lstmkit.layers.LSTM(16),
                                    lstmkit.layers.Dense(1)])
        model.compile(lstmkit.optimizers.Adam(learning_rate), "mse")
        return model

    search = GridSearchCV(SKLearnRegressor(build, fit_kwargs={"epochs": 20}),
                          {"model_kwargs": [{"learning_rate": 1e-3}, {"learning_rate": 1e-2}]},
                          cv=TimeSeriesSplit(3), scoring="neg_mean_squared_error")
    search.fit(X_windows, y)
    ```
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags

    def _more_tags(self):
        return {"non_deterministic": True, "poor_score": True}


class SKLearnTransformer(TransformerMixin, SKLBase):
    """scikit-learn transformer around an lstmkit model (Keras 3's `keras.wrappers.SKLearnTransformer`):
    `transform(X)` is the fitted model's output, e.g. an encoder's features for a later step of a
    `Pipeline`. Arguments and attributes as `SKLBase`'s."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _more_tags(self):
        return {"non_deterministic": True, "preserves_dtype": []}

    def transform(self, X):
        """The fitted model's outputs for X."""
        return self._raw_predict(X)
