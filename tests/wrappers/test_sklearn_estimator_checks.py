"""Keras 3's wrapper tests (keras/src/wrappers/sklearn_test.py), ported: scikit-learn's estimator
checks on the three wrappers, with Keras's model builder and Keras's list of expected failures."""

import os
import unittest

import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit.layers import Dense, Input  # noqa: E402
from lstmkit.models import Model  # noqa: E402
from lstmkit.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402


def dynamic_model(X, y, loss, out_activation_function="softmax", layers=[10]):
    """Keras's builder: an MLP sized from X and y (binary or multiclass through the loss and activation)."""
    n_features_in = X.shape[1]
    inp = Input(shape=(n_features_in,))
    hidden = inp
    for layer_size in layers:
        hidden = Dense(layer_size, activation="relu")(hidden)
    n_outputs = y.shape[1] if len(y.shape) > 1 else 1
    out = [Dense(n_outputs, activation=out_activation_function)(hidden)]
    model = Model(inp, out)
    model.compile(loss=loss, optimizer="rmsprop")
    return model


# Keras's expected failures, less those only older scikit-learn versions have.
EXPECTED_FAILED_CHECKS = {
    "SKLearnClassifier": {
        "check_classifiers_one_label_sample_weights": "0 sample weight is not ignored",
        "check_classifiers_classes": "with small test cases the estimator returns not all classes sometimes",
        "check_classifier_data_not_an_array": "This test assumes reproducibility in fit.",
        "check_supervised_y_2d": "This test assumes reproducibility in fit.",
        "check_fit_idempotent": "This test assumes reproducibility in fit.",
        "check_classifiers_train": "decision_function can return both probabilities and logits",
        "check_sample_weight_equivalence_on_dense_data": "This test assumes reproducibility in fit.",
    },
    "SKLearnRegressor": {
        "check_sample_weight_equivalence_on_dense_data": "This test assumes reproducibility in fit.",
        "check_supervised_y_2d": "This test assumes reproducibility in fit.",
    },
    "SKLearnTransformer": {
        "check_sample_weight_equivalence_on_dense_data": "This test assumes reproducibility in fit.",
    },
}


# About 4 minutes on 2 cores (each check compiles new shapes): only with LSTMKIT_SKLEARN_CHECKS=1. Defined
# only then, because the checks' test ids hold the builder function's address, which differs between
# pytest-xdist workers (run them with `-p no:xdist`).
if os.environ.get("LSTMKIT_SKLEARN_CHECKS"):
    @parametrize_with_checks(
        estimators=[
            SKLearnClassifier(model=dynamic_model, model_kwargs={"loss": "categorical_crossentropy",
                                                                 "layers": [20, 20, 20]}, fit_kwargs={"epochs": 5}),
            SKLearnRegressor(model=dynamic_model, model_kwargs={"loss": "mse"}),
            SKLearnTransformer(model=dynamic_model, model_kwargs={"loss": "mse"}),
        ],
        expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS[type(estimator).__name__],
    )
    def test_sklearn_estimator_checks(estimator, check):
        """Checks that can be passed with sklearn's default tolerances and in a single epoch."""
        try:
            check(estimator)
        except unittest.SkipTest as exc:
            pytest.skip(str(exc))


@pytest.mark.parametrize("estimator", [
    SKLearnClassifier(model=dynamic_model, model_kwargs={"out_activation_function": "softmax",
                                                         "loss": "binary_crossentropy"}, fit_kwargs={"epochs": 1}),
    SKLearnClassifier(model=dynamic_model, model_kwargs={"out_activation_function": "linear",
                                                         "loss": "binary_crossentropy"}, fit_kwargs={"epochs": 1}),
])
def test_sklearn_estimator_decision_function(estimator):
    """The argmax of `decision_function` is `predict` for classifiers."""
    X, y = sklearn.datasets.make_classification(n_samples=10, n_features=10, n_informative=4, n_classes=2,
                                                random_state=42)
    estimator.fit(X, y)
    assert estimator.decision_function(X[:1]).argmax(axis=-1) == estimator.predict(X[:1]).flatten()
