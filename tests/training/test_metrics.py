"""lstmkit.metrics against Keras 3: the same 3 batches give the same result; names like Keras's compile."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstmkit import losses as L  # noqa: E402
from lstmkit import metrics as M  # noqa: E402

N, C = 8, 4


def _batches(kind, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(3):
        if kind == "reg":
            y, p = rng.normal(size=(N, C)), rng.normal(size=(N, C))
        elif kind == "pos":
            y, p = rng.uniform(0.1, 2, (N, C)), rng.uniform(0.1, 2, (N, C))
        elif kind == "bin":
            y, p = rng.integers(0, 2, (N, 1)), rng.uniform(0, 1, (N, 1))
        elif kind == "multibin":
            y, p = rng.integers(0, 2, (N, C)), rng.uniform(0, 1, (N, C))
        elif kind == "cat":
            y, p = np.eye(C)[rng.integers(0, C, N)], np.asarray(jax.nn.softmax(rng.normal(size=(N, C))))
        elif kind == "sparse":
            y, p = rng.integers(0, C, (N, 1)), np.asarray(jax.nn.softmax(rng.normal(size=(N, C))))
        elif kind == "sparse1d":
            y, p = rng.integers(0, C, (N,)), np.asarray(jax.nn.softmax(rng.normal(size=(N, C))))
        elif kind == "seq":
            y, p = rng.normal(size=(N, 5, C)), rng.normal(size=(N, 5, C))
        out.append((y.astype(np.float32), p.astype(np.float32), rng.uniform(0, 2, N).astype(np.float32)))
    return out


CASES = [
    ("MeanSquaredError", {}, "reg"),
    ("MeanSquaredError", {}, "seq"),
    ("MeanAbsoluteError", {}, "reg"),
    ("MeanAbsolutePercentageError", {}, "reg"),
    ("MeanSquaredLogarithmicError", {}, "pos"),
    ("RootMeanSquaredError", {}, "reg"),
    ("LogCoshError", {}, "reg"),
    ("CosineSimilarity", {}, "reg"),
    ("Accuracy", {}, "sparse"),
    ("BinaryAccuracy", {}, "bin"),
    ("BinaryAccuracy", {"threshold": 0.3}, "multibin"),
    ("CategoricalAccuracy", {}, "cat"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse1d"),
    ("TopKCategoricalAccuracy", {"k": 2}, "cat"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("BinaryCrossentropy", {}, "bin"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "multibin"),
    ("CategoricalCrossentropy", {}, "cat"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1}, "sparse1d"),
    ("KLDivergence", {}, "pos"),
    ("Poisson", {}, "pos"),
    ("Hinge", {}, "multibin"),
    ("SquaredHinge", {}, "multibin"),
    ("CategoricalHinge", {}, "cat"),
    ("Precision", {}, "bin"),
    ("Precision", {"thresholds": [0.3, 0.5, 0.7]}, "multibin"),
    ("Precision", {"top_k": 2}, "multibin"),
    ("Recall", {}, "bin"),
    ("Recall", {"class_id": 1}, "multibin"),
    ("TruePositives", {}, "bin"),
    ("FalseNegatives", {}, "multibin"),
    ("AUC", {}, "bin"),
    ("AUC", {"curve": "PR"}, "bin"),
    ("AUC", {"curve": "PR", "summation_method": "majoring"}, "multibin"),
    ("AUC", {"multi_label": True}, "multibin"),
    ("AUC", {"thresholds": [0.2, 0.5, 0.9]}, "bin"),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "bin"),
    ("PrecisionAtRecall", {"recall": 0.5}, "bin"),
    ("R2Score", {}, "reg"),
    ("R2Score", {"class_aggregation": "variance_weighted_average", "num_regressors": 2}, "reg"),
]


KINDS = sorted({kind for _, _, kind in CASES})


def _ours_results(cases, batches):
    """Our pure accumulators over the batches (unweighted, weighted), compiled as the engine runs them."""
    metrics = []
    for name, kw, _ in cases:
        for _ in range(2):
            m = getattr(M, name)(**kw)
            m.build(batches[0][0].shape, batches[0][1].shape)
            metrics.append(m)

    def run(batches):
        out = []
        for i, metric in enumerate(metrics):
            state = metric.initial_state()
            for y, p, w in batches:
                state = metric.update(state, y, p, sample_weight=w if i % 2 else None)
            out.append(metric.result(state))
        return out

    return [np.asarray(r) for r in jax.jit(run)(batches)]


def _keras_results(cases, batches):
    """Keras's metrics over the same batches (their stateless API, compiled as Keras's fit runs them)."""
    metrics = []
    for name, kw, _ in cases:
        for _ in range(2):
            m = getattr(keras.metrics, name)(**kw)
            if isinstance(m, keras.metrics.R2Score):
                m._build(batches[0][0].shape, batches[0][1].shape)
            if isinstance(m, keras.metrics.AUC) and m.multi_label and not m._built:
                m._build(batches[0][1].shape)
            metrics.append(m)

    def run(variables, batches):
        out = []
        for i, (metric, vs) in enumerate(zip(metrics, variables)):
            for y, p, w in batches:
                vs = metric.stateless_update_state(vs, y, p, sample_weight=w if i % 2 else None)
            out.append(vs)
        return out

    final = jax.jit(run)([[v.value for v in m.variables] for m in metrics], batches)
    # (R2Score's result() branches in Python on its sample count, so results are computed outside jit.)
    return [np.asarray(m.stateless_result(vs)) for m, vs in zip(metrics, final)]


@pytest.mark.parametrize("kind", KINDS)
def test_pure_accumulators_match_keras(kind):
    cases = [c for c in CASES if c[2] == kind]
    batches = _batches(kind, seed=KINDS.index(kind))
    ours, theirs = _ours_results(cases, batches), _keras_results(cases, batches)
    for j, (a, b) in enumerate(zip(ours, theirs)):
        name, kw, _ = cases[j // 2]
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"{name} {kw} weighted={bool(j % 2)}")


def test_accumulates_inside_lax_scan():
    metric = M.get("mae")
    batches = _batches("reg")
    ys = jnp.stack([b[0] for b in batches])
    ps = jnp.stack([b[1] for b in batches])
    ws = jnp.stack([b[2] for b in batches])
    state, _ = jax.lax.scan(lambda s, b: (metric.update(s, b[0], b[1], sample_weight=b[2]), None),
                            metric.initial_state(), (ys, ps, ws))
    k = keras.metrics.MeanAbsoluteError()
    for y, p, w in batches:
        k.update_state(y, p, sample_weight=w)
    np.testing.assert_allclose(float(metric.result(state)), float(k.result()), rtol=1e-6)


def test_stateful_api():
    ours, theirs = M.AUC(), keras.metrics.AUC()
    for y, p, w in _batches("bin"):
        ours.update_state(y, p, sample_weight=w)
        theirs.update_state(y, p, sample_weight=w)
    np.testing.assert_allclose(float(ours.result()), float(theirs.result()), rtol=1e-6)
    ours.reset_state()
    y, p, _ = _batches("bin", seed=5)[0]
    np.testing.assert_allclose(float(ours(y, p)), float(keras.metrics.AUC()(y, p)), rtol=1e-6)
    mean = M.Mean()
    mean.update_state([1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 1.0])
    assert float(mean.result()) == 2.0
    total = M.Sum()
    total.update_state([1.0, 2.0, 3.0])
    assert float(total.result()) == 6.0
    r2 = M.R2Score()  # sized from the first batch
    y, p, _ = _batches("reg")[0]
    r2.update_state(y, p)
    np.testing.assert_allclose(float(r2.result()), float(keras.metrics.R2Score()(y, p)), rtol=1e-6)


def _keras_compiled_metric(identifier, y, p):
    from keras.src.trainers.compile_utils import get_metric

    return get_metric(identifier, y, p)


@pytest.mark.parametrize("y_kind, p_shape, cls", [
    ("binary", (N, 1), M.BinaryAccuracy),
    ("sparse1d", (N, C), M.SparseCategoricalAccuracy),
    ("sparse", (N, C), M.SparseCategoricalAccuracy),
    ("onehot", (N, C), M.CategoricalAccuracy),
])
@pytest.mark.parametrize("identifier", ["accuracy", "acc"])
def test_accuracy_resolution_like_keras_compile(identifier, y_kind, p_shape, cls):
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 1, p_shape).astype(np.float32)
    y = {"binary": rng.integers(0, 2, (N, 1)), "sparse1d": rng.integers(0, C, (N,)),
         "sparse": rng.integers(0, C, (N, 1)), "onehot": np.eye(C)[rng.integers(0, C, N)]}[y_kind].astype(np.float32)
    keras_metric = _keras_compiled_metric(identifier, y, p)
    ours = M.get(identifier, y_true_shape=y.shape, y_pred_shape=p.shape)
    assert type(ours) is cls and type(keras_metric).__name__ == cls.__name__
    assert ours.name == keras_metric.name == identifier
    # Without y_true's shape (as the engine calls it), the rule is applied on the data's shapes.
    lazy = M.get(identifier, y_pred_shape=(None,) + p_shape[1:])
    assert lazy.name == identifier
    keras_metric.update_state(y, p)
    for m in (ours, lazy):
        state = jax.jit(m.update)(m.initial_state(), y, p)
        np.testing.assert_allclose(float(m.result(state)), float(keras_metric.result()), rtol=1e-6)


def test_crossentropy_resolution():
    y, p, _ = _batches("sparse")[0]
    for identifier in ("crossentropy", "ce"):
        m = M.get(identifier)
        assert m.name == identifier
        state = m.update(m.initial_state(), y, p)
        want = keras.metrics.SparseCategoricalCrossentropy()(y, p)
        np.testing.assert_allclose(float(m.result(state)), float(want), rtol=1e-6)


def test_names_like_keras_history():
    assert M.get("accuracy").name == "accuracy"
    assert M.get("acc").name == "acc"
    assert M.get("mae").name == "mae" and isinstance(M.get("mae"), M.MeanAbsoluteError)
    assert M.get("mse").name == "mse" and isinstance(M.get("mse"), M.MeanSquaredError)
    assert M.get("mean_squared_error").name == "mean_squared_error"
    assert M.get("rmse").name == "rmse" and isinstance(M.get("rmse"), M.RootMeanSquaredError)
    assert M.get(M.RootMeanSquaredError()).name == "root_mean_squared_error"
    assert M.get(M.RootMeanSquaredError).name == "root_mean_squared_error"
    assert M.get("binary_accuracy").name == "binary_accuracy"
    assert M.get("categorical_accuracy").name == "categorical_accuracy"
    assert M.get("sparse_categorical_accuracy").name == "sparse_categorical_accuracy"
    assert M.get("top_k_categorical_accuracy").name == "top_k_categorical_accuracy"
    assert M.get("mape").name == "mape" and M.get("msle").name == "msle"
    assert isinstance(M.get("AUC"), M.AUC) and M.get("auc").name == "auc"
    assert M.get("logcosh").name == "logcosh" and M.LogCoshError().name == "logcosh"
    assert M.get("binary_crossentropy").name == "binary_crossentropy"
    # Keras 2 style: any loss function name works as a metric.
    assert M.get("huber").name == "huber"
    # Keras uniquifies default names of metrics created without a name.
    a, b = M.Precision(), M.Precision()
    assert a.name.startswith("precision") and b.name != a.name


def test_get_callables_configs_and_errors():
    def my_metric(y_true, y_pred):
        return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)

    m = M.get(my_metric)
    assert isinstance(m, M.MeanMetricWrapper) and m.name == "my_metric"
    y, p, w = _batches("reg")[0]
    state = m.update(m.initial_state(), y, p, sample_weight=w)
    want = keras.metrics.MeanMetricWrapper(my_metric)
    want.update_state(y, p, sample_weight=w)
    np.testing.assert_allclose(float(m.result(state)), float(want.result()), rtol=1e-6)
    inst = M.AUC(num_thresholds=50)
    assert M.get(inst) is inst
    cfg = M.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.7}})
    assert isinstance(cfg, M.BinaryAccuracy) and cfg.threshold == 0.7
    assert isinstance(M.get(keras.metrics.Recall(thresholds=0.3)), M.Recall)
    for metric, keras_metric in [(M.AUC(name="a"), keras.metrics.AUC(name="a")),
                                 (M.BinaryAccuracy(), keras.metrics.BinaryAccuracy()),
                                 (M.MeanSquaredError(), keras.metrics.MeanSquaredError()),
                                 (M.Precision(name="p", thresholds=0.4), keras.metrics.Precision(name="p", thresholds=0.4))]:
        assert M.serialize(metric) == keras.metrics.serialize(keras_metric)
        again = M.deserialize(M.serialize(metric))
        assert type(again) is type(metric) and again.get_config() == metric.get_config()
    with pytest.raises(ValueError) as err:
        M.get("acuracy")
    assert "'acuracy'" in str(err.value) and "'accuracy'" in str(err.value) and "'mae'" in str(err.value)
    with pytest.raises(ValueError, match="None"):
        M.get(None)


def test_user_metric_subclass():
    class MaxAbsError(M.Metric):
        def initial_state(self):
            return jnp.zeros(())

        def update(self, state, y_true, y_pred, sample_weight=None):
            return jnp.maximum(state, jnp.max(jnp.abs(jnp.asarray(y_true) - jnp.asarray(y_pred))))

        def result(self, state):
            return state

    m = M.get(MaxAbsError())
    assert m.name == "max_abs_error" or m.name.startswith("max_abs_error_")
    m.update_state(np.zeros(3), np.array([1.0, -4.0, 2.0]))
    assert float(m.result()) == 4.0
    assert float(m.result(m.update(m.initial_state(), np.zeros(2), np.ones(2)))) == 1.0


def test_loss_functions_are_shared_with_losses():
    y, p, _ = _batches("reg")[0]
    m = M.MeanSquaredError()
    state = m.update(m.initial_state(), y, p)
    np.testing.assert_allclose(float(m.result(state)), float(jnp.mean(L.mean_squared_error(y, p))), rtol=1e-6)
