"""A saved model keeps architecture, weights, compile settings and optimizer state: training resumes exactly."""

import copy
import warnings

import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit import optimizers as O
from lstmkit.models import Model, Sequential, load_model

RNG = np.random.default_rng(7)
X = RNG.normal(size=(12, 4, 2)).astype("float32")
Y = RNG.normal(size=(12, 1)).astype("float32")

OPTIMIZERS = {
    "adam": lambda: O.Adam(0.02),
    "sgd_nesterov": lambda: O.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop_centered": lambda: O.RMSprop(0.01, momentum=0.5, centered=True),
    "nadam_ema": lambda: O.Nadam(0.01, use_ema=True, ema_momentum=0.9),
    "adam_accumulation": lambda: O.Adam(0.01, gradient_accumulation_steps=2, clipnorm=1.0),
}


def _model():
    return Sequential([lstmkit.Input((4, 2)), L.LSTM(3), L.Dense(1)])


def _fit(model, epochs=2):
    return model.fit(X, Y, epochs=epochs, batch_size=4, shuffle=False, verbose=0)


@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_loaded_model_trains_on_exactly_like_the_saved_one(tmp_path, opt):
    lstmkit.utils.set_random_seed(1)
    model = _model()
    model.compile(OPTIMIZERS[opt](), "mse", metrics=["mae"])
    _fit(model)
    for ext in (".keras", ".h5"):
        model.save(str(tmp_path / f"m{ext}"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a state that could not be restored warns
        loaded = [load_model(str(tmp_path / f"m{ext}")) for ext in (".keras", ".h5")]
    _fit(model)
    for other in loaded:
        assert other.optimizer.get_config() == model.optimizer.get_config()
        assert sorted(_fit(other).history) == ["loss", "mae"]
        assert other.optimizer.iterations == model.optimizer.iterations
        for a, b in zip(other.get_weights(), model.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_without_the_state_training_would_differ(tmp_path):
    """The comparison above can fail: dropping the optimizer state changes the continued weights."""
    lstmkit.utils.set_random_seed(1)
    model = _model()
    model.compile(O.Adam(0.02), "mse")
    _fit(model)
    model.save(str(tmp_path / "m.keras"), include_optimizer=False)
    loaded = load_model(str(tmp_path / "m.keras"))
    assert loaded.compiled and loaded.optimizer.iterations == 0
    _fit(model)
    _fit(loaded)
    assert max(np.abs(a - b).max() for a, b in zip(loaded.get_weights(), model.get_weights())) > 1e-4
    model.save(str(tmp_path / "m.h5"), include_optimizer=False)
    assert not load_model(str(tmp_path / "m.h5")).compiled  # Keras's .h5 keeps no compile settings then


def test_compile_settings_of_a_two_output_model(tmp_path):
    inp = lstmkit.Input((4, 2))
    seq, h, _ = L.LSTM(3, return_sequences=True, return_state=True)(inp)
    a = L.Dense(1, name="a")(h)
    b = L.TimeDistributed(L.Dense(2), name="b")(seq)
    model = Model(inp, [a, b])
    model.compile(O.RMSprop(0.01), loss={"a": "mse", "b": lstmkit.losses.Huber(delta=0.5)},
                  loss_weights={"a": 1.0, "b": 0.3}, metrics={"a": ["mae"], "b": [lstmkit.metrics.RootMeanSquaredError()]})
    yb = RNG.normal(size=(12, 4, 2)).astype("float32")
    model.fit(X, [Y, yb], epochs=1, batch_size=6, shuffle=False, verbose=0)
    for ext in (".keras", ".h5"):
        model.save(str(tmp_path / f"two{ext}"))
        loaded = load_model(str(tmp_path / f"two{ext}"))
        assert loaded.metrics_names == model.metrics_names
        assert loaded._compile_args["loss_weights"] == {"a": 1.0, "b": 0.3}
        assert loaded._engine.loss.losses[1].get_config() == model._engine.loss.losses[1].get_config()
        ours = copy.deepcopy(loaded.evaluate(X, [Y, yb], verbose=0))
        np.testing.assert_allclose(ours, model.evaluate(X, [Y, yb], verbose=0), rtol=1e-6)


def test_stateful_states_are_not_saved(tmp_path):
    """As in Keras: the carried state of a stateful RNN is not part of the file."""
    model = Sequential([lstmkit.Input((4, 2), batch_size=4), L.LSTM(3, stateful=True), L.Dense(1)])
    fresh = model.predict(X[:4], verbose=0)
    carried = model.predict(X[:4], verbose=0)
    assert np.abs(fresh - carried).max() > 1e-4
    for ext in (".keras", ".h5"):
        model.save(str(tmp_path / f"s{ext}"))
        loaded = load_model(str(tmp_path / f"s{ext}"))
        np.testing.assert_allclose(loaded.predict(X[:4], verbose=0), fresh, atol=1e-6)


def test_learning_rate_changed_during_training_is_kept(tmp_path):
    model = _model()
    model.compile(O.Adam(0.02), "mse")
    _fit(model, epochs=1)
    model.optimizer.learning_rate = 0.005  # as ReduceLROnPlateau does
    _fit(model, epochs=1)
    model.save(str(tmp_path / "lr.keras"))
    assert load_model(str(tmp_path / "lr.keras")).optimizer.learning_rate == pytest.approx(0.005)
