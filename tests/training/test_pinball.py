"""lstmkit.losses.Pinball / pinball_loss: a float64 NumPy reference, errors, config and a saved model."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstmkit import losses as L  # noqa: E402

QS = (0.1, 0.5, 0.9)
RNG = np.random.default_rng(0)
Y = RNG.normal(size=(4, 5))
P = RNG.normal(size=(4, 5, 3))


def reference(y, p, qs):
    """Per-element pinball loss, float64: mean over the quantile axis of max(q e, (q - 1) e)."""
    q = np.asarray(qs, dtype=np.float64)
    e = np.asarray(y, np.float64)[..., None] - np.asarray(p, np.float64)
    return np.mean(np.where(e >= 0, q * e, (q - 1) * e), axis=-1)


def test_function_matches_the_reference_for_both_target_shapes():
    want = reference(Y, P, QS)
    np.testing.assert_allclose(L.pinball_loss(Y, P, QS), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(L.pinball_loss(Y[..., None], P, QS), want, rtol=1e-5, atol=1e-6)
    # one quantile: the median's loss is half the absolute error
    np.testing.assert_allclose(L.pinball_loss(Y, P[..., :1], (0.5,)), 0.5 * np.abs(Y - P[..., 0]), rtol=1e-5)


def test_class_reductions_and_sample_weight():
    per = reference(Y, P, QS)
    np.testing.assert_allclose(L.Pinball(QS)(Y, P), per.mean(), rtol=1e-5)
    np.testing.assert_allclose(L.Pinball(QS, reduction="sum")(Y, P), per.sum(), rtol=1e-5)
    np.testing.assert_allclose(L.Pinball(QS, reduction="none")(Y, P), per, rtol=1e-5, atol=1e-6)
    w = np.array([1.0, 0.0, 2.0, 0.5])
    np.testing.assert_allclose(L.Pinball(QS)(Y, P, sample_weight=w), (per * w[:, None]).mean(), rtol=1e-5)
    # exact values: y = 0, every output 1 -> over-forecasts cost (1 - q): (0.9 + 0.5 + 0.1) / 3
    assert float(L.Pinball(QS)(np.zeros((2, 3)), np.ones((2, 3, 3)))) == pytest.approx(0.5)
    assert float(L.Pinball(QS)(np.ones((2, 3)), np.zeros((2, 3, 3)))) == pytest.approx(0.5)


@pytest.mark.parametrize("quantiles, message", [
    ((0.1, 1.5), "strictly between 0 and 1; received 1.5"),
    ((0.0,), "strictly between 0 and 1; received 0.0"),
    ((0.1, 0.1), "must be distinct; 0.1 appears twice"),
    ("abc", "must be a sequence of numbers in \\(0, 1\\); received 'abc'"),
    ((), "at least one quantile"),
    ((True,), "strictly between 0 and 1; received True"),
])
def test_bad_quantiles(quantiles, message):
    with pytest.raises(ValueError, match=message):
        L.Pinball(quantiles)


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match="y_pred must end in an axis of 2 quantile\\(s\\); received shape "
                                         "\\(4, 5, 3\\)"):
        L.pinball_loss(Y, P, (0.1, 0.9))
    with pytest.raises(ValueError, match="y_true must have shape \\(4, 5\\) or \\(4, 5, 1\\)"):
        L.pinball_loss(np.zeros((4, 5, 2)), P, QS)


def test_config_round_trip_and_lookup():
    loss = L.Pinball([0.2, 0.5, 0.8], reduction="sum", name="q")
    config = loss.get_config()
    assert config == {"name": "q", "reduction": "sum", "quantiles": [0.2, 0.5, 0.8]}
    again = L.Pinball.from_config(config)
    assert again.quantiles == (0.2, 0.5, 0.8) and again.reduction == "sum" and again.name == "q"
    entry = L.serialize(loss)
    assert entry["module"] == "lstmkit.losses" and entry["class_name"] == "Pinball"
    back = L.deserialize(entry)
    assert type(back) is L.Pinball and back.get_config() == config
    assert type(L.get("Pinball")) is L.Pinball and L.get("Pinball").quantiles == QS


def test_a_saved_model_with_it_loads_without_custom_objects(tmp_path):
    from lstmkit.layers import LSTM, Dense, Input, Reshape
    from lstmkit.models import Sequential
    from lstmkit.saving import load_model
    from lstmkit.utils import set_random_seed

    set_random_seed(1)
    model = Sequential([Input((4, 2)), LSTM(3), Dense(2 * 3), Reshape((2, 3))])
    model.compile(optimizer="adam", loss=L.Pinball(QS))
    x = RNG.normal(size=(16, 4, 2)).astype("float32")
    y = RNG.normal(size=(16, 2)).astype("float32")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "q.keras"
    model.save(path)
    loaded = load_model(path)
    assert isinstance(loaded.loss, L.Pinball) and loaded.loss.quantiles == QS
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)
    want = reference(y, model.predict(x, verbose=0), QS).mean()
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(want, rel=1e-5)
