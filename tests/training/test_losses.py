"""lstmkit.losses against Keras 3: per-sample values, reductions, sample weights, lookup."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstmkit import losses as L  # noqa: E402

N, C = 6, 4
_rng = np.random.default_rng(0)
REG_T = _rng.normal(size=(N, C)).astype(np.float32)
REG_P = _rng.normal(size=(N, C)).astype(np.float32)
POS_T = _rng.uniform(0.1, 2.0, size=(N, C)).astype(np.float32)
POS_P = _rng.uniform(0.1, 2.0, size=(N, C)).astype(np.float32)
LOGITS = _rng.normal(size=(N, C)).astype(np.float32)
PROBS = np.asarray(jax.nn.softmax(LOGITS)).astype(np.float32)
LABELS = _rng.integers(0, C, size=N)
ONEHOT = np.eye(C, dtype=np.float32)[LABELS]
BIN_T = _rng.integers(0, 2, size=(N, C)).astype(np.float32)
BIN_P = _rng.uniform(0.01, 0.99, size=(N, C)).astype(np.float32)
SEQ_T = _rng.normal(size=(N, 3, C)).astype(np.float32)
SEQ_P = _rng.normal(size=(N, 3, C)).astype(np.float32)
SW = _rng.uniform(0.0, 2.0, size=N).astype(np.float32)

# name -> (y_true, y_pred, kwargs)
FUNCTIONS = {
    "mean_squared_error": (REG_T, REG_P, {}),
    "mean_absolute_error": (REG_T, REG_P, {}),
    "mean_absolute_percentage_error": (REG_T, REG_P, {}),
    "mean_squared_logarithmic_error": (POS_T, REG_P, {}),
    "cosine_similarity": (REG_T, REG_P, {}),
    "huber": (REG_T, REG_P, {"delta": 0.7}),
    "log_cosh": (REG_T, REG_P, {}),
    "hinge": (BIN_T, REG_P, {}),
    "squared_hinge": (BIN_T * 2 - 1, REG_P, {}),
    "categorical_hinge": (ONEHOT, REG_P, {}),
    "kl_divergence": (PROBS, PROBS[::-1].copy(), {}),
    "poisson": (POS_T, POS_P, {}),
    "binary_crossentropy": (BIN_T, BIN_P, {}),
    "categorical_crossentropy": (ONEHOT, PROBS, {}),
    "sparse_categorical_crossentropy": (LABELS, PROBS, {}),
    "binary_focal_crossentropy": (BIN_T, BIN_P, {"gamma": 1.5, "apply_class_balancing": True}),
    "categorical_focal_crossentropy": (ONEHOT, PROBS, {}),
}
VARIANTS = [
    ("binary_crossentropy", (BIN_T, REG_P, {"from_logits": True})),
    ("binary_crossentropy", (BIN_T, BIN_P, {"label_smoothing": 0.1})),
    ("categorical_crossentropy", (ONEHOT, LOGITS, {"from_logits": True, "label_smoothing": 0.2})),
    ("sparse_categorical_crossentropy", (LABELS, LOGITS, {"from_logits": True})),
    ("sparse_categorical_crossentropy", (LABELS[:, None], PROBS, {})),
    ("sparse_categorical_crossentropy", (LABELS, PROBS, {"ignore_class": 1})),
    ("mean_squared_error", (SEQ_T, SEQ_P, {})),
    ("mean_squared_error", (REG_T[:, :1], REG_P[:, 0], {})),
    ("hinge", (BIN_T * 2 - 1, REG_P, {})),
]


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_functions_match_keras(name):
    y, p, kw = FUNCTIONS[name]
    want = getattr(keras.losses, name)(y, p, **kw)
    _close(getattr(L, name)(y, p, **kw), want)
    _close(jax.jit(lambda a, b: getattr(L, name)(a, b, **kw))(y, p), want)


@pytest.mark.parametrize("i", range(len(VARIANTS)))
def test_function_variants_match_keras(i):
    name, (y, p, kw) = VARIANTS[i]
    _close(getattr(L, name)(y, p, **kw), getattr(keras.losses, name)(y, p, **kw))


def test_aliases():
    assert L.mse is L.MSE is L.mean_squared_error
    assert L.mae is L.mean_absolute_error and L.mape is L.mean_absolute_percentage_error
    assert L.msle is L.mean_squared_logarithmic_error and L.kld is L.kl_divergence
    assert L.logcosh is L.log_cosh and L.kullback_leibler_divergence is L.kl_divergence


CLASSES = [
    ("MeanSquaredError", {}, REG_T, REG_P),
    ("MeanAbsoluteError", {}, REG_T, REG_P),
    ("MeanAbsolutePercentageError", {}, REG_T, REG_P),
    ("MeanSquaredLogarithmicError", {}, POS_T, POS_P),
    ("CosineSimilarity", {"axis": -1}, REG_T, REG_P),
    ("Huber", {"delta": 0.5}, REG_T, REG_P),
    ("LogCosh", {}, REG_T, REG_P),
    ("Hinge", {}, BIN_T, REG_P),
    ("SquaredHinge", {}, BIN_T, REG_P),
    ("CategoricalHinge", {}, ONEHOT, REG_P),
    ("KLDivergence", {}, PROBS, PROBS[::-1].copy()),
    ("Poisson", {}, POS_T, POS_P),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, BIN_T, REG_P),
    ("BinaryFocalCrossentropy", {"alpha": 0.3}, BIN_T, BIN_P),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, ONEHOT, PROBS),
    ("CategoricalFocalCrossentropy", {}, ONEHOT, PROBS),
    ("SparseCategoricalCrossentropy", {}, LABELS, PROBS),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, LABELS, LOGITS),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}, LABELS, PROBS),
    ("MeanSquaredError", {}, SEQ_T, SEQ_P),
]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "none", None, "mean_with_sample_weight"]


@pytest.mark.parametrize("i", range(len(CLASSES)))
def test_classes_match_keras_with_reductions_and_sample_weight(i):
    name, kw, y, p = CLASSES[i]
    weights = SW if y.ndim == 2 else SW[:, None]  # (N,) weights do not broadcast over (N, T) losses
    for reduction in REDUCTIONS:
        for sw in (None, weights):
            ours = getattr(L, name)(reduction=reduction, **kw)
            theirs = getattr(keras.losses, name)(reduction=reduction, **kw)
            _close(ours(y, p, sample_weight=sw), theirs(y, p, sample_weight=sw))
    ours = getattr(L, name)(**kw)
    _close(jax.jit(lambda a, b, w: ours(a, b, sample_weight=w))(y, p, weights),
           getattr(keras.losses, name)(**kw)(y, p, sample_weight=weights))


def test_configs_match_keras():
    for name, kw, _, _ in CLASSES:
        if name in ("Huber", "CosineSimilarity"):
            continue  # Keras 3 drops `delta` / `axis` from these configs; ours keep them
        ours, theirs = getattr(L, name)(**kw), getattr(keras.losses, name)(**kw)
        assert ours.get_config() == theirs.get_config(), name
        assert L.serialize(ours) == keras.losses.serialize(theirs), name
        again = L.deserialize(L.serialize(ours))
        assert type(again) is type(ours) and again.get_config() == ours.get_config()
    huber = L.deserialize(L.serialize(L.Huber(delta=0.3)))
    assert huber.delta == 0.3


def test_get_every_keras_name():
    y, p = REG_T, REG_P
    for name in ["mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "mean_squared_error",
                 "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
                 "cosine_similarity", "huber", "log_cosh", "logcosh", "hinge", "squared_hinge", "categorical_hinge",
                 "kl_divergence", "kld", "KLD", "kullback_leibler_divergence", "poisson", "MeanSquaredError",
                 "MeanAbsoluteError", "Huber", "LogCosh", "Poisson", "KLDivergence", "CosineSimilarity"]:
        loss = L.get(name)
        assert isinstance(loss, L.Loss), name
        if name in ("logcosh", "kullback_leibler_divergence"):  # Keras 2 names, absent from Keras 3
            continue
        keras_obj = keras.losses.get(name)
        # compile() wraps a function with 'sum_over_batch_size': the mean of the per-sample losses.
        want = keras_obj(y, p) if isinstance(keras_obj, keras.losses.Loss) else np.mean(keras_obj(y, p))
        _close(loss(y, p), want)
    for name in ["binary_crossentropy", "bce", "BinaryCrossentropy"]:
        _close(L.get(name)(BIN_T, BIN_P), keras.losses.BinaryCrossentropy()(BIN_T, BIN_P))
    for name in ["categorical_crossentropy", "CategoricalCrossentropy"]:
        _close(L.get(name)(ONEHOT, PROBS), keras.losses.CategoricalCrossentropy()(ONEHOT, PROBS))
    for name in ["sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"]:
        _close(L.get(name)(LABELS, PROBS), keras.losses.SparseCategoricalCrossentropy()(LABELS, PROBS))
    assert L.get("mse").name == "mse" and L.get("MeanSquaredError").name == "mean_squared_error"


def test_get_crossentropy_by_shapes():
    ce = L.get("ce")
    _close(ce(LABELS, PROBS), keras.losses.SparseCategoricalCrossentropy()(LABELS, PROBS))
    _close(ce(LABELS[:, None], PROBS), keras.losses.SparseCategoricalCrossentropy()(LABELS[:, None], PROBS))
    _close(ce(ONEHOT, PROBS), keras.losses.CategoricalCrossentropy()(ONEHOT, PROBS))
    _close(L.get("crossentropy")(BIN_T[:, :1], BIN_P[:, :1]), keras.losses.BinaryCrossentropy()(BIN_T[:, :1], BIN_P[:, :1]))


def test_get_instances_callables_configs_and_errors():
    inst = L.Huber(delta=2.0)
    assert L.get(inst) is inst
    assert isinstance(L.get(L.MeanAbsoluteError), L.MeanAbsoluteError)
    cfg = L.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(cfg, L.CategoricalCrossentropy) and cfg.from_logits

    def myLoss(y_true, y_pred):
        return jnp.mean(jnp.abs(y_true - y_pred) ** 3, axis=-1)

    wrapped = L.get(myLoss)
    assert isinstance(wrapped, L.LossFunctionWrapper) and wrapped.name == "my_loss"
    _close(wrapped(REG_T, REG_P, sample_weight=SW), np.sum(np.mean(np.abs(REG_T - REG_P) ** 3, -1) * SW) / N)
    # Keras objects given to lstmkit become lstmkit losses.
    assert isinstance(L.get(keras.losses.MeanSquaredError()), L.MeanSquaredError)
    assert L.get(keras.losses.mean_squared_error).fn is L.mean_squared_error
    with pytest.raises(ValueError) as err:
        L.get("mean_sqared_error")
    assert "'mean_sqared_error'" in str(err.value) and "'mse'" in str(err.value)
    with pytest.raises(ValueError, match="reduction"):
        L.MeanSquaredError(reduction="avg")


def test_user_loss_subclass():
    class Cubed(L.Loss):
        def call(self, y_true, y_pred):
            return jnp.mean(jnp.abs(y_true - y_pred) ** 3, axis=-1)

    loss = Cubed(reduction="sum")
    assert loss.name == "cubed" or loss.name.startswith("cubed_")
    _close(loss(REG_T, REG_P), np.sum(np.mean(np.abs(REG_T - REG_P) ** 3, -1)))
    assert L.get(loss) is loss


def test_ignore_class_mask_is_exposed_for_the_engine():
    loss = L.SparseCategoricalCrossentropy(ignore_class=2)
    values, mask = loss.call_with_mask(LABELS.astype(np.float32), PROBS)
    np.testing.assert_array_equal(np.asarray(mask), LABELS != 2)
    assert np.all(np.asarray(values)[LABELS == 2] == 0)
    assert L.MeanSquaredError().call_with_mask(REG_T, REG_P)[1] is None


def test_a_loss_subclass_with_its_own_call_method_trains_and_warns_about_padding():
    import warnings as _w

    import lstmkit
    from lstmkit import Input, Sequential, layers

    class SumOfSquares(lstmkit.losses.Loss):
        def __call__(self, y_true, y_pred, sample_weight=None):
            return lstmkit.ops.sum(sample_weight[:, None] * (y_true - y_pred) ** 2)

    x = np.ones((6, 2), np.float32)
    y = np.zeros((6, 1), np.float32)
    m = Sequential([Input((2,)), layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")])
    m.compile("sgd", SumOfSquares())
    assert m.evaluate(x, y, batch_size=6, verbose=0) == pytest.approx(6 * 4.0)
    with _w.catch_warnings():
        _w.simplefilter("error")
        m.fit(x, y, batch_size=3, epochs=1, verbose=0)  # 3 divides 6: no padding, no warning
    with pytest.warns(UserWarning, match=r"defines __call__ itself: the last batch \(2 samples\) is padded to 4 rows"):
        m.fit(x, y, batch_size=4, epochs=1, verbose=0)
