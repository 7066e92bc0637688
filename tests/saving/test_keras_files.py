"""Files written by the real Keras 3 and Keras 2 (tests/fixtures, made by make_fixtures.py) load in lstmkit.

Each fixture holds Keras's own prediction for an input; loaded models must give it within 1e-5,
and compiled fixtures must continue training as Keras did (optimizer state restored).
"""

import warnings
from pathlib import Path

import numpy as np
import pytest

from lstmkit import activations
from lstmkit.layers import GRU
from lstmkit.models import load_model, model_from_json

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NAMES = sorted(p.stem for p in (FIXTURES / "keras3").glob("*.npz"))
TRAINED = ["gru_reset_after", "lstm", "simple_rnn", "time_distributed"]  # compiled and trained before saving


def arrays(version, name):
    data = dict(np.load(FIXTURES / version / f"{name}.npz"))
    inputs = [data.pop(k) for k in sorted(k for k in list(data) if k.startswith("x_"))]
    if inputs:
        data["x"] = inputs
    return data


def predict(model, x, name):
    # Stateful fixtures were predicted batch by batch (state carried on) with their built batch size.
    return model.predict(x, verbose=0, batch_size=2 if name.startswith("stateful") else None)


def test_fixture_set_is_complete():
    assert len(NAMES) == 12
    assert sorted(p.stem for p in (FIXTURES / "keras2").glob("*.npz")) == sorted(NAMES + ["lstm_legacy_optimizer"])
    for name in NAMES:
        for path in (f"keras3/{name}.keras", f"keras3/{name}.h5", f"keras2/{name}.h5", f"keras2/{name}.json",
                     f"keras2/{name}.npz"):
            assert (FIXTURES / path).is_file(), path


@pytest.mark.parametrize("name", NAMES)
def test_keras3_files_predict_as_keras(name):
    data = arrays("keras3", name)
    for ext in (".keras", ".h5"):
        model = load_model(FIXTURES / "keras3" / f"{name}{ext}")
        np.testing.assert_allclose(predict(model, data["x"], name), data["y"], atol=1e-5, err_msg=ext)


@pytest.mark.parametrize("name", NAMES)
def test_keras2_h5_predicts_as_keras2(name):
    data = arrays("keras2", name)
    model = load_model(FIXTURES / "keras2" / f"{name}.h5")
    np.testing.assert_allclose(predict(model, data["x"], name), data["y"], atol=1e-5)


@pytest.mark.parametrize("name", ["bidirectional", "encoder_decoder", "lstm_relu_hard_sigmoid", "stateful_lstm"])
def test_keras2_json_with_legacy_weights(name):
    data = arrays("keras2", name)
    model = model_from_json((FIXTURES / "keras2" / f"{name}.json").read_text())
    assert not model.compiled  # Keras 2's to_json holds the architecture only
    model.load_weights(FIXTURES / "keras2" / f"{name}.h5")  # legacy layout, by position
    np.testing.assert_allclose(predict(model, data["x"], name), data["y"], atol=1e-5)


def test_hard_sigmoid_keeps_the_meaning_of_the_keras_version_that_wrote_it():
    k2 = load_model(FIXTURES / "keras2" / "lstm_relu_hard_sigmoid.h5").layers[0]
    k3 = load_model(FIXTURES / "keras3" / "lstm_relu_hard_sigmoid.keras").layers[0]
    assert k2.recurrent_activation is activations.hard_sigmoid_keras2
    assert k3.recurrent_activation is activations.hard_sigmoid
    assert k2.activation is k3.activation is activations.relu
    # The two meanings differ enough that reading a Keras 2 file with Keras 3's would change predictions.
    data = arrays("keras2", "lstm_relu_hard_sigmoid")
    model = load_model(FIXTURES / "keras2" / "lstm_relu_hard_sigmoid.h5")
    model.layers[0].recurrent_activation = activations.hard_sigmoid
    assert np.abs(model.predict(data["x"], verbose=0) - data["y"]).max() > 1e-3


def test_keras2_gru_reset_after_and_stateful_states_not_saved():
    assert load_model(FIXTURES / "keras2" / "gru_reset_before.h5").layers[0].reset_after is False
    assert load_model(FIXTURES / "keras2" / "gru_reset_after.h5").layers[0].reset_after is True
    for path in ("keras2/stateful_lstm.h5", "keras3/stateful_lstm.keras"):
        layer = load_model(FIXTURES / path).layers[0]
        assert layer.stateful and layer.states is None  # Keras saves no RNN states: a loaded model starts at zero


def test_keras2_training_config_is_restored():
    model = load_model(FIXTURES / "keras2" / "lstm.h5")
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    assert model.optimizer.iterations == 2
    assert model.loss == "mse" and model.metrics_names == ["loss", "mae"]
    assert not load_model(FIXTURES / "keras2" / "lstm.h5", compile=False).compiled
    assert not load_model(FIXTURES / "keras2" / "stacked_lstm.h5").compiled  # saved uncompiled


@pytest.mark.parametrize("path", [f"{v}/{n}{e}" for n in TRAINED for v, e in
                                  (("keras3", ".keras"), ("keras3", ".h5"), ("keras2", ".h5"))]
                         + ["keras2/lstm_legacy_optimizer.h5"])
def test_training_continues_as_in_keras(path):
    """Two more steps from the saved optimizer state give Keras's weights (Adam, RMSprop, SGD nesterov, Adagrad;
    and tf.keras's legacy OptimizerV2 Adam, whose file lists all first moments, then all second ones)."""
    version, name = path.split("/")[0], Path(path).stem
    data = arrays(version, name)
    expected = [data[f"w_{i}"] for i in range(sum(k.startswith("w_") for k in data))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a state that is not restored warns: fail on it
        model = load_model(FIXTURES / path)
    n = len(data["fit_x"])
    model.fit(data["fit_x"], data["fit_y"], epochs=2, batch_size=n, shuffle=False, verbose=0)
    assert model.optimizer.iterations == 4
    for ours, theirs in zip(model.get_weights(), expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_a_fresh_optimizer_would_not_match():
    """The check above can fail: without the saved Adam moments, the weights come out different."""
    data = arrays("keras3", "lstm")
    model = load_model(FIXTURES / "keras3" / "lstm.keras", compile=False)
    import lstmkit

    model.compile(lstmkit.optimizers.Adam(0.01), "mse")
    model.fit(data["fit_x"], data["fit_y"], epochs=2, batch_size=len(data["fit_x"]), shuffle=False, verbose=0)
    assert max(np.abs(a - data[f"w_{i}"]).max() for i, a in enumerate(model.get_weights())) > 1e-4


def test_keras2_reads_need_their_semantics():
    """Keras 2 config keys: time_major=True is refused; a GRU without reset_after is the reset-before GRU."""
    from lstmkit.saving import deserialize_layer
    from lstmkit.layers.serialization import load_context

    with load_context(keras2_semantics=True):
        gru = deserialize_layer({"class_name": "GRU", "config": {"units": 2, "implementation": 1}})
        assert isinstance(gru, GRU) and gru.reset_after is False and gru.implementation == 1
        rnn = deserialize_layer({"class_name": "SimpleRNN", "config": {"units": 2, "implementation": 2,
                                                                       "time_major": False}})
        assert rnn.units == 2
        with pytest.raises(ValueError, match="time_major=True"):
            deserialize_layer({"class_name": "LSTM", "config": {"units": 2, "time_major": True}})
    # Read as Keras 3, the same GRU config means Keras 3's default.
    assert deserialize_layer({"class_name": "GRU", "config": {"units": 2}}).reset_after is True


def test_keras3_mask_operations_in_functional_graphs(tmp_path):
    """Keras 3 writes the masks of a functional model as op nodes (NotEqual, ExpandDims, LogicalOr, the op
    Concatenate, Any) feeding `mask=` arguments; lstmkit's layers compute the same masks themselves."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    Lk = keras.layers
    ids = keras.Input((6,), name="ids")
    emb = Lk.Embedding(9, 4, mask_zero=True)(ids)
    seq = Lk.Bidirectional(Lk.LSTM(3, return_sequences=True))(emb)
    out = Lk.Dense(1)(Lk.GRU(2)(Lk.Concatenate()([seq, emb])))
    k = keras.Model(ids, out)
    x = np.random.default_rng(4).integers(1, 9, size=(4, 6))
    x[0, 3:] = 0
    x[2, 1:] = 0
    expected = k.predict(x, verbose=0)
    for ext in (".keras", ".h5"):
        k.save(str(tmp_path / f"m{ext}"))
        ours = load_model(tmp_path / f"m{ext}")
        assert [l.name for l in ours.layers] == [l.name for l in k.layers if isinstance(l, keras.layers.Layer)]
        np.testing.assert_allclose(ours.predict(x, verbose=0), expected, atol=1e-5)
    # Saved again by lstmkit, Keras reads it back (its masks recomputed by its layers).
    ours.save(str(tmp_path / "again.keras"))
    np.testing.assert_allclose(keras.models.load_model(str(tmp_path / "again.keras")).predict(x, verbose=0),
                               expected, atol=1e-5)


def test_keras3_ops_used_as_data_are_refused(tmp_path):
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    inp = keras.Input((3,))
    k = keras.Model(inp, keras.layers.Dense(1)(keras.ops.exp(inp)))
    k.save(str(tmp_path / "op.keras"))
    with pytest.raises(ValueError, match=r"op\.keras.*Keras operation 'Exp'.*not Keras ops"):
        load_model(tmp_path / "op.keras")
