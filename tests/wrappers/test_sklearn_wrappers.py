"""lstmkit.wrappers on sequence models: cloning, Pipeline, GridSearchCV with TimeSeriesSplit, compiled
programs reused by rebuilt models, warm starts, pickling, and the errors. One LSTM architecture
(windows of 6 steps, 1 feature) throughout, so the file compiles it once per data shape."""

import pickle
import sys

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit.training import programs  # noqa: E402
from lstmkit.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402

STEPS = 6
FIT = {"epochs": 3, "batch_size": 10, "verbose": 0}
# Every training fold has 20 windows and every test fold 10: each fold runs the same programs.
CV = TimeSeriesSplit(n_splits=3, test_size=10, max_train_size=20)


def _windows(n=50):
    series = np.sin(0.4 * np.arange(n + STEPS)).astype(np.float32)
    x = np.stack([series[i:i + STEPS] for i in range(n)])[:, :, None]
    return x, series[STEPS:STEPS + n]


def build(X, y, learning_rate=1e-3, units=4):
    model = lstmkit.Sequential([lstmkit.Input(X.shape[1:]), lstmkit.layers.LSTM(units), lstmkit.layers.Dense(1)])
    model.compile(lstmkit.optimizers.Adam(learning_rate), "mse")
    return model


def build_flat(X, y):
    """For a Pipeline whose scaler needs 2-D rows: each row is a window, reshaped in the model."""
    model = lstmkit.Sequential([lstmkit.Input((X.shape[1],)), lstmkit.layers.Reshape((X.shape[1], 1)),
                                lstmkit.layers.LSTM(4), lstmkit.layers.Dense(1)])
    model.compile("adam", "mse")
    return model


def test_grid_search_over_learning_rates_picks_the_better_one():
    lstmkit.utils.set_random_seed(0)
    x, y = _windows()
    grid = {"model_kwargs": [{"learning_rate": 1e-5}, {"learning_rate": 3e-2}]}
    fit = {**FIT, "epochs": 15}
    search = GridSearchCV(SKLearnRegressor(build, fit_kwargs=fit), grid, cv=CV, scoring="neg_mean_squared_error")
    search.fit(x, y)
    assert search.best_params_ == {"model_kwargs": {"learning_rate": 3e-2}}
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] > scores[0]
    # The same search again builds 7 new models (2 rates x 3 folds + the refit): no program is traced again.
    before = programs.trace_count()
    again = GridSearchCV(SKLearnRegressor(build, fit_kwargs=fit), grid, cv=CV, scoring="neg_mean_squared_error")
    again.fit(x, y)
    assert programs.trace_count() == before
    assert again.best_params_ == search.best_params_


def test_a_cloned_estimator_fits_without_tracing_again():
    x, y = _windows(20)
    est = SKLearnRegressor(build, fit_kwargs=FIT).fit(x, y)
    est.predict(x)
    before = programs.trace_count()
    twin = clone(est)
    assert not hasattr(twin, "model_") and twin.get_params()["fit_kwargs"] == FIT
    twin.fit(x, y)
    twin.predict(x)
    assert programs.trace_count() == before
    assert twin.model_ is not est.model_


def test_sequences_in_and_one_dimensional_predictions_out():
    x, y = _windows(20)
    est = SKLearnRegressor(build, model_kwargs={"units": 4}, fit_kwargs=FIT).fit(x, y)
    assert est.n_features_in_ == STEPS
    assert est.predict(x).shape == (20,)
    assert set(est.history_) == {"loss"} and est.epoch_ == 3
    with pytest.raises(ValueError, match="features"):
        est.predict(x[:, :4])


def test_pipeline_scaler_then_regressor():
    x, y = _windows(20)
    pipe = make_pipeline(StandardScaler(), SKLearnRegressor(build_flat, fit_kwargs=FIT))
    pipe.fit(x[:, :, 0], y)
    assert pipe.predict(x[:, :, 0]).shape == (20,)
    assert np.isfinite(pipe.score(x[:, :, 0], y))


def test_a_compiled_model_is_cloned_and_compiled_alike():
    x, y = _windows(20)
    lstmkit.utils.set_random_seed(1)
    given = build(x, y, learning_rate=0.02)
    weights = [w.copy() for w in given.get_weights()]
    est = SKLearnRegressor(given, fit_kwargs=FIT).fit(x, y)
    assert est.model_ is not given
    assert est.model_.optimizer is not given.optimizer
    assert est.model_.optimizer.get_config() == given.optimizer.get_config()
    for before, after in zip(weights, given.get_weights()):
        np.testing.assert_array_equal(before, after)  # the given model is left as it was


def test_warm_start_trains_the_given_model_and_continues():
    x, y = _windows(20)
    given = build(x, y)
    est = SKLearnRegressor(given, warm_start=True, fit_kwargs=FIT).fit(x, y)
    assert est.model_ is given
    first = [w.copy() for w in given.get_weights()]
    est.fit(x, y)
    assert est.model_ is given and given.optimizer.iterations == 2 * 3 * 2  # 2 fits, 3 epochs, 2 batches
    assert any(not np.array_equal(a, b) for a, b in zip(first, given.get_weights()))
    # Its clone gets a copy of the model, so fitting the clone leaves this one alone.
    twin = clone(est)
    assert twin.model is not given


def test_classifier_on_sequences():
    x, _ = _windows(20)
    labels = np.where(x[:, -1, 0] > 0, "up", "down")
    def build_classifier(X, y):
        model = lstmkit.Sequential([lstmkit.Input(X.shape[1:]), lstmkit.layers.LSTM(4),
                                    lstmkit.layers.Dense(y.shape[1], activation="softmax")])
        model.compile("adam", "categorical_crossentropy")
        return model

    clf = SKLearnClassifier(build_classifier, fit_kwargs=FIT).fit(x, labels)
    assert list(clf.classes_) == ["down", "up"]
    assert set(clf.predict(x)) <= {"down", "up"} and clf.predict(x).shape == (20,)
    scores = clf.decision_function(x)
    assert scores.shape == (20, 2)
    np.testing.assert_array_equal(clf.predict(x), clf.classes_[scores.argmax(axis=1)])


def test_transformer_gives_the_models_outputs():
    x, y = _windows(20)
    trs = SKLearnTransformer(build, fit_kwargs=FIT).fit(x, y)
    np.testing.assert_allclose(trs.transform(x), trs.model_.predict(x, verbose=0), rtol=1e-6)


def test_a_fitted_estimator_pickles():
    x, y = _windows(20)
    est = SKLearnRegressor(build, fit_kwargs=FIT).fit(x, y)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(back.predict(x), est.predict(x), rtol=1e-6)


def test_errors_name_the_problem():
    x, y = _windows(20)
    uncompiled = lstmkit.Sequential([lstmkit.Input((STEPS, 1)), lstmkit.layers.LSTM(4), lstmkit.layers.Dense(1)])
    with pytest.raises(RuntimeError, match="needs to be compiled"):
        SKLearnRegressor(uncompiled).fit(x, y)
    with pytest.raises(TypeError, match="`model` must be an lstmkit Model or a function returning one"):
        SKLearnRegressor(lambda X, y: "not a model").fit(x, y)
    with pytest.raises(ValueError, match="Only binary and multiclass"):
        SKLearnClassifier(build).fit(x, y)


def test_without_scikit_learn_the_error_names_the_extra(monkeypatch):
    import lstmkit.wrappers as wrappers

    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match=r"pip install lstmkit\[sklearn\]"):
        wrappers.__getattr__("SKLearnRegressor")


def test_scikeras_wraps_an_lstmkit_model_too():
    pytest.importorskip("scikeras")
    from scikeras.wrappers import KerasRegressor

    x, y = _windows(20)
    est = KerasRegressor(model=lambda: build(x, y), **FIT).fit(x, y)
    assert est.predict(x).shape == (20,)
