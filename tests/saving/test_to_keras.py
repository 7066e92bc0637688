"""Files written by lstmkit load in the real Keras 3 (`keras.models.load_model`, `load_weights`)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402
from lstmkit.models import Model, Sequential  # noqa: E402

RNG = np.random.default_rng(5)


def _seq_x(n, t, d):
    return RNG.normal(size=(n, t, d)).astype("float32")


def trained_lstm():
    lstmkit.utils.set_random_seed(2)
    model = Sequential([lstmkit.Input((5, 2)), L.LSTM(4), L.Dense(1)])
    model.compile(lstmkit.optimizers.Adam(0.01), "mse", metrics=["mae"])
    x, y = _seq_x(8, 5, 2), RNG.normal(size=(8, 1)).astype("float32")
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    return model, x


def encoder_decoder():
    enc_in = lstmkit.Input((4, 2), name="enc_in")
    _, h, c = L.LSTM(3, return_state=True, name="encoder")(enc_in)
    dec_in = lstmkit.Input((3, 1), name="dec_in")
    seq = L.LSTM(3, return_sequences=True, name="decoder")(dec_in, initial_state=[h, c])
    model = Model([enc_in, dec_in], L.TimeDistributed(L.Dense(1), name="head")(seq))
    return model, [_seq_x(4, 4, 2), _seq_x(4, 3, 1)]


def masked_bidirectional():
    ids = lstmkit.Input((6,))
    x = L.Embedding(9, 3, mask_zero=True)(ids)
    x = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="ave")(x)
    x = L.GRU(2, reset_after=False)(x)
    model = Model(ids, L.Dense(1)(x))
    data = RNG.integers(1, 9, size=(4, 6))
    data[1, 3:] = 0
    return model, data


def stacked_time_distributed():
    model = Sequential([lstmkit.Input((5, 2)), L.SimpleRNN(3, return_sequences=True),
                        L.TimeDistributed(L.Dense(2)), L.Flatten(), L.Dense(1)])
    return model, _seq_x(4, 5, 2)


BUILDERS = {"trained_lstm": trained_lstm, "encoder_decoder": encoder_decoder,
            "masked_bidirectional": masked_bidirectional, "stacked_time_distributed": stacked_time_distributed}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Each model saved by lstmkit as .keras and .h5, with an input and lstmkit's prediction."""
    out = {}
    root = tmp_path_factory.mktemp("to_keras")
    for name, build in BUILDERS.items():
        model, x = build()
        for ext in (".keras", ".h5"):
            model.save(str(root / f"{name}{ext}"))
        out[name] = (model, x, model.predict(x, verbose=0), root / name)
    return out


@pytest.mark.parametrize("name", sorted(BUILDERS))
@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_keras_loads_our_files_with_equal_predictions(saved, name, ext):
    model, x, expected, stem = saved[name]
    k = keras.models.load_model(str(stem) + ext)
    from lstmkit.models.config import keras_layer_order

    assert [l.name for l in k.layers] == [l.name for l in keras_layer_order(model)]
    np.testing.assert_allclose(k.predict(x, verbose=0), expected, atol=1e-5)


def test_keras_reads_our_optimizer_state(saved):
    model, _, _, stem = saved["trained_lstm"]
    k = keras.models.load_model(str(stem) + ".keras")
    assert type(k.optimizer).__name__ == "Adam" and int(k.optimizer.iterations) == 2
    assert float(k.optimizer.learning_rate) == pytest.approx(0.01)
    from lstmkit.saving.optimizer_state import optimizer_variables

    ours = optimizer_variables(model)
    assert len(ours) == len(k.optimizer.variables) == 2 + 2 * len(model.weights)
    assert np.abs(ours[2][1]).max() > 0  # trained: the first moments are not zero
    for (_, value), variable in zip(ours, k.optimizer.variables):
        np.testing.assert_allclose(np.asarray(variable.value), value, rtol=1e-6)


def test_h5_optimizer_weights_are_laid_out_as_keras3_writes_them(saved):
    """Keras 3.15 cannot read optimizer state back from any .h5 (its own included: it builds the optimizer
    on an empty variable list), so compare with the .h5 Keras 3 wrote for the same architecture."""
    import h5py

    from pathlib import Path

    def layout(path):
        with h5py.File(path, "r") as f:
            group = f["optimizer_weights"]
            names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
            return [(n.split("/")[-1].rsplit("_", 1)[-1], group[n].shape, group[n].dtype) for n in names]

    keras_file = Path(__file__).resolve().parent.parent / "fixtures" / "keras3" / "lstm.h5"  # LSTM(4), Dense(1), Adam
    _, _, _, stem = saved["trained_lstm"]
    assert layout(str(stem) + ".h5") == layout(keras_file)


def test_keras_continues_training_from_our_optimizer_state(saved):
    # (.keras only: Keras 3.15 on JAX cannot train a model it loaded from any .h5 file, its own included.)
    model, x, _, stem = saved["trained_lstm"]
    k = keras.models.load_model(str(stem) + ".keras")
    ours = lstmkit.models.load_model(str(stem) + ".keras")
    y = RNG.normal(size=(len(x), 1)).astype("float32")
    for m in (k, ours):
        m.fit(x, y, epochs=2, batch_size=len(x), shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)


def test_stateful_model_loads_in_keras(tmp_path):
    model = Sequential([lstmkit.Input((3, 1), batch_size=2), L.LSTM(3, stateful=True), L.Dense(1)])
    x = _seq_x(2, 3, 1)
    first = model.predict(x, verbose=0)
    model.predict(x, verbose=0)  # the carried state is not part of the file
    model.save(str(tmp_path / "s.keras"))
    k = keras.models.load_model(str(tmp_path / "s.keras"))
    assert k.layers[0].stateful
    np.testing.assert_allclose(np.asarray(k(x)), first, atol=1e-5)


def test_weight_files_both_ways(saved, tmp_path):
    model, x, expected, _ = saved["encoder_decoder"]
    k = keras.models.model_from_json(model.to_json())
    # Keras 3 layout: ours -> Keras
    model.save_weights(str(tmp_path / "w.weights.h5"))
    k.load_weights(str(tmp_path / "w.weights.h5"))
    np.testing.assert_allclose(k.predict(x, verbose=0), expected, atol=1e-5)
    # legacy layout: ours -> Keras
    k2 = keras.models.model_from_json(model.to_json())
    model.save_weights(str(tmp_path / "w.h5"))
    k2.load_weights(str(tmp_path / "w.h5"))
    np.testing.assert_allclose(k2.predict(x, verbose=0), expected, atol=1e-5)
    # Keras -> ours, both layouts
    k.set_weights([w * 0.5 for w in k.get_weights()])
    k.save_weights(str(tmp_path / "k.weights.h5"))
    theirs = k.predict(x, verbose=0)
    clone = lstmkit.models.model_from_json(model.to_json())
    clone.load_weights(str(tmp_path / "k.weights.h5"))
    np.testing.assert_allclose(clone.predict(x, verbose=0), theirs, atol=1e-5)
    clone.load_weights(str(tmp_path / "w.h5"))
    np.testing.assert_allclose(clone.predict(x, verbose=0), expected, atol=1e-5)


def _nested(lib):
    Lm = lib.layers
    inner = lib.Sequential([lib.Input((3,), name="inner_in"), Lm.Dense(2, name="inner_d")], name="inner")
    per_step = lib.Sequential([lib.Input((3,), name="step_in"), Lm.Dense(2, name="step_d")], name="per_step")
    f_in = lib.Input((3,), name="f_in")
    finner = lib.Model(f_in, Lm.Dense(2, name="f_d")(f_in), name="finner")
    inp = lib.Input((4, 3), name="outer_in")
    seq = Lm.TimeDistributed(per_step, name="td")(inp)
    h = Lm.LSTM(3, name="l")(inp)
    out = Lm.Concatenate(name="cat")([finner(h), inner(h), Lm.Flatten(name="fl")(seq)])
    return lib.Model(inp, out, name="outer")


def test_nested_models_both_ways(tmp_path):
    """Models used as layers (Sequential, functional, inside TimeDistributed) keep Keras's node numbering
    and weight paths."""
    x = _seq_x(2, 4, 3)
    theirs = _nested(keras)
    theirs.save(str(tmp_path / "k.keras"))
    ours = lstmkit.models.load_model(tmp_path / "k.keras")
    expected = theirs.predict(x, verbose=0)
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, atol=1e-5)
    ours.save(str(tmp_path / "o.keras"))
    ours.save(str(tmp_path / "o.h5"))
    for path in ("o.keras", "o.h5"):
        np.testing.assert_allclose(keras.models.load_model(str(tmp_path / path)).predict(x, verbose=0), expected,
                                   atol=1e-5)
    built = _nested(lstmkit)
    from lstmkit.saving.model_object import serialize_model

    def strip(d):
        if isinstance(d, dict):
            return {k: strip(v) for k, v in d.items() if k not in ("shared_object_id", "training", "mask")}
        return [strip(v) for v in d] if isinstance(d, list) else d

    import json

    assert strip(json.loads(json.dumps(serialize_model(built)["config"]))) == \
        strip(json.loads(json.dumps(keras.saving.serialize_keras_object(theirs)["config"])))
