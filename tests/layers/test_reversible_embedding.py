"""ReversibleEmbedding against Keras 3's: same weights, same numbers, configs, `.keras` files both ways."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402

RNG = np.random.default_rng(4)


@pytest.mark.parametrize("tie_weights", [True, False])
@pytest.mark.parametrize("logit_soft_cap", [None, 3.0])
def test_same_weights_same_numbers_as_keras(tie_weights, logit_soft_cap):
    kwargs = dict(tie_weights=tie_weights, logit_soft_cap=logit_soft_cap, mask_zero=True)
    k, ours = keras.layers.ReversibleEmbedding(7, 4, **kwargs), L.ReversibleEmbedding(7, 4, **kwargs)
    k.build(), ours.build()
    assert [v.name for v in k.weights] == [v.name for v in ours.weights]
    weights = [RNG.normal(size=w.shape).astype("float32") for w in k.weights]
    k.set_weights(weights)
    ours.set_weights(weights)
    ids = np.array([[1, 6, 0], [3, 0, 0]])
    np.testing.assert_allclose(np.asarray(ours(ids)), np.asarray(k(ids)), rtol=1e-6)
    hidden = RNG.normal(size=(2, 3, 4)).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(hidden, reverse=True)), np.asarray(k(hidden, reverse=True)),
                               rtol=1e-5, atol=1e-6)
    assert ours.get_config() == k.get_config()
    assert L.ReversibleEmbedding.from_config(ours.get_config()).get_config() == ours.get_config()


def _model(lib):
    ids = lib.Input((5,), dtype="int32")
    emb = lib.layers.ReversibleEmbedding(9, 4, tie_weights=False, logit_soft_cap=10.0, name="emb")
    x = emb(ids)
    x = lib.layers.Dense(4, activation="tanh")(x)
    return lib.Model(ids, emb(x, reverse=True))


@pytest.mark.parametrize("writer,reader", [(lstmkit, keras), (keras, lstmkit)], ids=["lstmkit->keras", "keras->lstmkit"])
def test_keras_files_both_ways(tmp_path, writer, reader):
    model = _model(writer)
    ids = RNG.integers(0, 9, size=(3, 5))
    path = str(tmp_path / "m.keras")
    model.save(path)
    restored = reader.models.load_model(path)
    np.testing.assert_allclose(restored.predict(ids, verbose=0), model.predict(ids, verbose=0), rtol=1e-5, atol=1e-6)
    assert restored.get_layer("emb").get_config() == model.get_layer("emb").get_config()


def test_tied_model_trains_and_reverse_dtype_is_float32_only():
    lstmkit.utils.set_random_seed(1)
    model = _model(lstmkit)
    model.compile("adam", lstmkit.losses.SparseCategoricalCrossentropy(from_logits=True))
    ids = RNG.integers(0, 9, size=(32, 5))
    history = model.fit(ids, ids, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    with pytest.raises(NotImplementedError, match="reverse_dtype"):
        L.ReversibleEmbedding(9, 4, reverse_dtype="float16")
