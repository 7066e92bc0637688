"""Subclassed models (`class M(Model)` with its own `call`) against Keras 3."""

import numpy as np
import pytest

import keras
import lstmkit

X = np.random.default_rng(0).normal(size=(16, 5, 2)).astype("float32")
Y = X.sum(axis=(1, 2))[:, None]


def _make(lib, units=4):
    class TwoLayer(lib.Model):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.rnn = lib.layers.LSTM(units, return_sequences=True)
            self.blocks = [lib.layers.LSTM(units), lib.layers.Dense(3, activation="tanh")]
            self.out = lib.layers.Dense(1)

        def call(self, inputs, training=None):
            x = self.rnn(inputs)
            for block in self.blocks:
                x = block(x)
            return self.out(x)

    return TwoLayer(units)


@pytest.fixture(scope="module")
def pair():
    km, m = _make(keras), _make(lstmkit)
    km(X[:1])
    m(X[:1])
    m.set_weights(km.get_weights())
    return km, m


def test_weights_names_and_counts_match_keras(pair):
    km, m = pair
    assert [w.shape for w in m.weights] == [tuple(w.shape) for w in km.weights]
    assert m.count_params() == km.count_params()
    assert m.name.startswith("two_layer")
    assert [type(l).__name__ for l in m.layers] == [type(l).__name__ for l in km.layers]


def test_fit_and_predict_match_keras(pair):
    km, m = pair
    for model, lib in ((km, keras), (m, lstmkit)):
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    hk = km.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0).history
    h = m.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h["loss"], hk["loss"], rtol=1e-4)
    np.testing.assert_allclose(h["mae"], hk["mae"], rtol=1e-4)
    np.testing.assert_allclose(m.predict(X, verbose=0), km.predict(X, verbose=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m.evaluate(X, Y, verbose=0), km.evaluate(X, Y, verbose=0), rtol=1e-4)


def test_built_by_fit_without_a_call_first():
    m = _make(lstmkit)
    m.compile("adam", "mse")
    m.fit(X, Y, epochs=1, verbose=0)
    assert m.built and m.predict(X[:2], verbose=0).shape == (2, 1)


def test_build_with_an_input_shape_then_summary(capsys):
    m = _make(lstmkit)
    m.build((None, 5, 2))
    m.summary()
    out = capsys.readouterr().out
    assert "two_layer" in out and "Total params: 275" in out
    assert "(None, 5, 4)" in out and "(None, 1)" in out  # each layer's output shape, seen when built


def test_save_weights_and_load_weights_round_trip(tmp_path, pair):
    _, m = pair
    path = tmp_path / "m.weights.h5"
    m.save_weights(path)
    other = _make(lstmkit)
    other(X[:1])
    other.load_weights(path)
    np.testing.assert_allclose(other.predict(X, verbose=0), m.predict(X, verbose=0), rtol=1e-6)


def test_unbuilt_model_says_how_to_build_it():
    m = _make(lstmkit)
    with pytest.raises(ValueError, match=r"build\(\) needs an `input_shape`"):
        m.build()


def test_keras_file_round_trip_with_custom_objects(tmp_path):
    m = _make(lstmkit, units=3)
    m.compile("adam", "mse")
    m.fit(X, Y, epochs=1, verbose=0)
    path = tmp_path / "sub.keras"
    m.save(path)
    cls = type(m)
    with pytest.raises((TypeError, ValueError), match="TwoLayer"):
        lstmkit.saving.load_model(path)  # the class is not known to the loader: never imported from the file
    loaded = lstmkit.saving.load_model(path, custom_objects={"TwoLayer": cls})
    assert type(loaded) is cls and loaded.units == 3
    np.testing.assert_allclose(loaded.predict(X, verbose=0), m.predict(X, verbose=0), rtol=1e-6)


def test_keras_reads_a_subclassed_model_file_written_by_lstmkit(tmp_path):
    m = _make(lstmkit, units=3)
    m(X[:1])
    path = tmp_path / "sub.keras"
    m.save(path)
    kcls = type(_make(keras, units=3))
    km = keras.saving.load_model(path, custom_objects={"TwoLayer": kcls}, compile=False)
    np.testing.assert_allclose(km.predict(X, verbose=0), m.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
