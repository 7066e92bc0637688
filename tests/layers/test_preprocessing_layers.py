"""Rescaling and Normalization against Keras 3: `adapt` from arrays and from batches (the same weights), given
means and variances broadcast as Keras does, `invert`, configs, a model's fit (the statistics stay), `.keras`
files written by Keras 3 loaded and predicting the same (and the other way), `.h5`, parameter counts, errors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import warnings  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402

RNG = np.random.default_rng(31)
DATA = RNG.normal(3.0, 2.0, size=(40, 6, 3)).astype("float32")


@pytest.fixture(autouse=True)
def keras_adapt_without_tensorflow(monkeypatch):
    """Keras's adapt() asks `isinstance(data, tf.data.Dataset)` before reading batches, which imports TensorFlow
    (not installed here): Keras sees a stand-in module whose Dataset nothing is an instance of."""
    import types

    from keras.src.layers.preprocessing import normalization as keras_normalization

    stand_in = types.SimpleNamespace(data=types.SimpleNamespace(Dataset=type("NoDataset", (), {})))
    monkeypatch.setattr(keras_normalization, "tf", stand_in)


def _weights(layer):
    return [np.asarray(v.value if hasattr(v, "value") else v) for v in layer.weights]


@pytest.mark.parametrize("axis", [-1, None, (1, 2), 1, (-2,)], ids=["last", "none", "both", "steps", "neg"])
@pytest.mark.parametrize("source", ["numpy", "numpy64", "jax", "list", "generator", "xy_tuples"])
def test_adapt_gives_keras_weights(axis, source):
    data = DATA.astype("float64") if source == "numpy64" else DATA
    batches = [DATA[i:i + 16] for i in range(0, 40, 16)]  # uneven: 16, 16, 8
    given = {"numpy": lambda: data, "numpy64": lambda: data, "jax": lambda: jnp.asarray(DATA),
             "list": lambda: list(batches), "generator": lambda: (b for b in batches),
             "xy_tuples": lambda: [(b, np.zeros(len(b))) for b in batches]}[source]
    k, ours = keras.layers.Normalization(axis=axis), L.Normalization(axis=axis)
    k.adapt(given())
    ours.adapt(given())
    assert [v.name for v in ours.weights] == [v.name for v in k.weights] == ["mean", "variance", "count"]
    assert [str(v.dtype) for v in ours.weights] == [str(v.dtype) for v in k.weights]
    for mine, theirs in zip(_weights(ours), _weights(k)):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ours.mean), np.asarray(k.mean), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ours.variance), np.asarray(k.variance), rtol=1e-6, atol=1e-6)
    x = RNG.normal(size=(4, 6, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(k(x)), rtol=1e-5, atol=1e-6)
    assert ours.get_config() == k.get_config()
    # The build_config written to files is the shape adapt() built it for, as Keras's.
    from lstmkit.layers.serialization import build_config

    assert build_config(ours) == {"input_shape": list(k.get_build_config()["input_shape"])}


def test_adapt_a_pydataset_of_xy_batches_as_keras():
    class Batches(lstmkit.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return DATA[i * 10:(i + 1) * 10], np.zeros(10)

    class KerasBatches(keras.utils.PyDataset):
        __len__, __getitem__ = Batches.__len__, Batches.__getitem__

    k, ours = keras.layers.Normalization(), L.Normalization()
    k.adapt(KerasBatches())
    ours.adapt(Batches())
    for mine, theirs in zip(_weights(ours), _weights(k)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kwargs,shape", [
    ({"mean": 2.0, "variance": 4.0}, (3, 4)), ({"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]}, (2, 5, 3)),
    ({"axis": 2, "mean": np.arange(5.0), "variance": np.ones(5)}, (2, 4, 5, 3)),
    ({"axis": (1, 2), "mean": np.arange(5.0), "variance": np.full(5, 0.5)}, (2, 7, 5, 3)),
    ({"axis": None, "mean": 1.5, "variance": 0.25, "invert": True}, (2, 3)),
    ({"mean": [0.5, -1.0], "variance": [0.0, 2.0]}, (3, 2)),  # a zero variance: divided by epsilon, as Keras
], ids=["scalar", "vector", "middle_axis", "partial_keep", "invert", "zero_var"])
def test_given_mean_and_variance_match_keras(kwargs, shape):
    x = RNG.normal(size=shape).astype("float32")
    k, ours = keras.layers.Normalization(**kwargs), L.Normalization(**kwargs)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(k(x)), rtol=1e-6, atol=1e-5)
    assert ours.weights == [] and len(k.weights) == 0
    assert tuple(ours.mean.shape) == tuple(k.mean.shape)
    assert ours.get_config() == k.get_config()
    assert L.Normalization.from_config(ours.get_config()).get_config() == ours.get_config()
    w = RNG.normal(size=shape).astype("float32")
    grads = [jax.grad(lambda v: jnp.sum(jnp.asarray(layer(v)) * w))(jnp.asarray(x)) for layer in (k, ours)]
    np.testing.assert_allclose(np.asarray(grads[1]), np.asarray(grads[0]), rtol=1e-6, atol=1e-5)


def test_invert_undoes_the_adapted_normalization():
    norm, back = L.Normalization(), L.Normalization(invert=True)
    norm.adapt(DATA)
    back.adapt(DATA)
    np.testing.assert_allclose(np.asarray(back(norm(DATA))), DATA, rtol=1e-5, atol=1e-5)
    k = keras.layers.Normalization(invert=True)
    k.adapt(DATA)
    np.testing.assert_allclose(np.asarray(back(DATA[:3])), np.asarray(k(DATA[:3])), rtol=1e-6, atol=1e-5)


def _forecaster(lib, norm):
    ly = lib.layers
    return lib.Sequential([lib.Input((6, 3)), norm, ly.Rescaling(0.5, offset=0.1), ly.LSTM(4), ly.Dense(1)])


Y = RNG.normal(size=(40, 1)).astype("float32")


def test_model_fit_keeps_the_statistics_and_matches_keras():
    kn, on = keras.layers.Normalization(), L.Normalization()
    kn.adapt(DATA)
    on.adapt(DATA)
    k, ours = _forecaster(keras, kn), _forecaster(lstmkit, on)
    ours.set_weights([np.asarray(w) for w in k.get_weights()])
    assert ours.count_params() == k.count_params()
    assert on.count_params() == kn.count_params() == 7 and len(on.non_trainable_weights) == 3
    stats = _weights(on)
    k.compile(keras.optimizers.Adam(0.01), "mse")
    ours.compile(lstmkit.optimizers.Adam(0.01), "mse")
    hk = k.fit(DATA, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    ho = ours.fit(DATA, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ho, hk, rtol=1e-5)
    for before, after in zip(stats, _weights(on)):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_allclose(ours.predict(DATA, verbose=0), k.predict(DATA, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("filename", ["m.keras", "m.h5"])
def test_files_both_ways(tmp_path, filename):
    kn, on = keras.layers.Normalization(axis=(1, 2)), L.Normalization(axis=(1, 2))
    kn.adapt(DATA)
    on.adapt(DATA)
    k, ours = _forecaster(keras, kn), _forecaster(lstmkit, on)
    ours.set_weights([np.asarray(w) for w in k.get_weights()])
    expected = np.asarray(k.predict(DATA, verbose=0))
    ours.save(tmp_path / f"ours_{filename}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's note that .h5 is a legacy format
        k.save(tmp_path / f"keras_{filename}")
        in_keras = keras.saving.load_model(tmp_path / f"ours_{filename}")
    in_ours = lstmkit.saving.load_model(tmp_path / f"keras_{filename}")
    again = lstmkit.saving.load_model(tmp_path / f"ours_{filename}")
    for m in (in_keras, in_ours, again):
        np.testing.assert_allclose(np.asarray(m.predict(DATA, verbose=0)), expected, rtol=1e-5, atol=1e-6)
    for mine, theirs in zip(_weights(in_ours.layers[0]), _weights(kn)):
        np.testing.assert_array_equal(mine, theirs)
    assert [l.get_config() for l in in_ours.layers[:2]] == [l.get_config() for l in k.layers[:2]]
    assert [l.get_config() for l in in_keras.layers[:2]] == [l.get_config() for l in ours.layers[:2]]


def test_keras_file_with_given_statistics_and_numpy_rescaling_loads(tmp_path):
    def make(lib):
        ly = lib.layers
        return lib.Sequential([lib.Input((6, 3)), ly.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 2.0, 0.5]),
                               ly.Rescaling(np.array([0.5, 1.0, 2.0], "float32"), offset=np.float32(0.25)),
                               ly.GlobalAveragePooling1D()])

    k = make(keras)
    k.save(tmp_path / "k.keras")
    ours = lstmkit.saving.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(ours.predict(DATA, verbose=0), np.asarray(k.predict(DATA, verbose=0)), rtol=1e-6,
                               atol=1e-6)
    assert [l.get_config() for l in ours.layers] == [l.get_config() for l in k.layers]
    make(lstmkit).save(tmp_path / "o.keras")
    back = keras.saving.load_model(tmp_path / "o.keras")
    np.testing.assert_allclose(np.asarray(back.predict(DATA, verbose=0)), np.asarray(k.predict(DATA, verbose=0)),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kwargs", [{"scale": 1 / 255.0}, {"scale": 2, "offset": -1}, {"scale": [0.5, 1.0, 2.0]},
                                    {"scale": np.array([0.5, 1.0, 2.0]), "offset": np.array(0.5)}],
                         ids=["float", "ints", "list", "numpy"])
def test_rescaling_matches_keras(kwargs):
    x = (RNG.uniform(size=(2, 4, 3)) * 255).astype("int32")
    k, ours = keras.layers.Rescaling(name="r", **kwargs), L.Rescaling(name="r", **kwargs)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(k(x)), rtol=1e-6)
    assert np.asarray(ours(x)).dtype == np.float32
    assert ours.get_config() == k.get_config()
    revived = L.Rescaling.from_config(ours.get_config())
    np.testing.assert_allclose(np.asarray(revived(x)), np.asarray(k(x)), rtol=1e-6)


@pytest.mark.parametrize("make,error,message", [
    (lambda lib: lib.layers.Normalization(mean=1.0), ValueError, "both `mean` and `variance` must be set"),
    (lambda lib: lib.layers.Normalization(mean=[1.0, 2.0], variance=[1.0]), ValueError, "must have the same shape"),
    (lambda lib: lib.layers.Normalization(axis=None, mean=[1.0], variance=[1.0]), ValueError, "rank of `mean`"),
    (lambda lib: lib.layers.Normalization(axis=2).build((3, 2)), ValueError, "must be in the range"),
    (lambda lib: lib.layers.Normalization(axis=1).build((None, None)), ValueError, "to be kept must have a known"),
    (lambda lib: lib.layers.Normalization().adapt([]), ValueError, "empty iterable"),
    (lambda lib: lib.layers.Normalization().adapt(3.0), TypeError, "Unsupported data type"),
    (lambda lib: lib.layers.Normalization().adapt([DATA[:4, 0, :2], DATA[:4, 0]]), ValueError, "incompatible shape"),
], ids=["mean_only", "shapes", "rank", "axis_range", "unknown_axis", "empty", "type", "batch_shape"])
def test_normalization_errors_are_keras_errors(make, error, message):
    with pytest.raises(error, match=message):
        make(keras)
    with pytest.raises(error, match=message):
        make(lstmkit)


def test_normalization_with_given_statistics_cannot_adapt_and_checks_inputs():
    layer = L.Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0])
    with pytest.raises(ValueError, match="no statistics for adapt"):
        layer.adapt(DATA[:, 0, :2])
    adapted = L.Normalization()
    adapted.adapt(DATA)
    with pytest.raises(ValueError, match="was built for inputs of shape"):
        adapted(np.zeros((2, 6, 4), "float32"))
    with pytest.raises(TypeError, match="scale"):
        L.Rescaling("big")


def test_set_weights_takes_effect_at_once():
    layer = L.Normalization()
    layer.build((None, 2))
    layer.set_weights([np.array([1.0, 2.0]), np.array([4.0, 9.0]), np.array(0)])
    np.testing.assert_allclose(np.asarray(layer(np.array([[3.0, 5.0]]))), [[1.0, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(layer.mean), [[1.0, 2.0]])
