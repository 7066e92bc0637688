"""`Lambda`: shapes, masks, and files both ways with Keras 3 (never running code from a file)."""

import numpy as np
import pytest

import keras
import lstmkit
from lstmkit import Input, Sequential, layers, ops

X = np.arange(6, dtype=np.float32).reshape(2, 3)


def stacker(x):
    return ops.concatenate([x, x], axis=1)


def keras_stacker(x):
    return keras.ops.concatenate([x, x], axis=1)


def test_shapes_inferred_given_or_computed():
    assert layers.Lambda(stacker)(Input((3,))).shape == (None, 6)
    assert layers.Lambda(stacker, output_shape=(6,))(Input((3,))).shape == (None, 6)
    assert layers.Lambda(stacker, output_shape=lambda s: (s[0], 2 * s[1]))(Input((3,))).shape == (None, 6)
    np.testing.assert_array_equal(np.asarray(layers.Lambda(lambda x, k: x * k, arguments={"k": 3.0})(X)), X * 3)


def test_mask_argument_and_training_flag():
    seen = {}

    def fn(x, mask=None, training=None):
        seen["training"] = training
        return x

    layer = layers.Lambda(fn, mask=lambda x, m: None)
    assert layer.supports_masking and layer.compute_mask(X, None) is None
    layer(X, training=True)
    assert seen["training"] is True
    with pytest.raises(TypeError, match=r"Lambda\(function=...\) must be callable"):
        layers.Lambda(3)


def test_named_function_file_round_trip_both_ways(tmp_path):
    m = Sequential([Input((3,)), layers.Lambda(stacker), layers.Dense(2)])
    path = tmp_path / "named.keras"
    m.save(path)
    with pytest.raises(ValueError, match=r"the function 'stacker', which lstmkit does not know"):
        lstmkit.saving.load_model(path)
    loaded = lstmkit.saving.load_model(path, custom_objects={"stacker": stacker})
    np.testing.assert_allclose(loaded.predict(X, verbose=0), m.predict(X, verbose=0), rtol=1e-6)
    km = keras.saving.load_model(path, custom_objects={"stacker": keras_stacker})
    np.testing.assert_allclose(km.predict(X, verbose=0), m.predict(X, verbose=0), rtol=1e-6)
    km.save(tmp_path / "from_keras.keras")
    back = lstmkit.saving.load_model(tmp_path / "from_keras.keras", custom_objects={"keras_stacker": stacker})
    np.testing.assert_allclose(back.predict(X, verbose=0), km.predict(X, verbose=0), rtol=1e-6)


def test_a_python_lambda_in_a_file_is_refused_but_keras_can_read_it(tmp_path):
    m = Sequential([Input((3,)), layers.Lambda(lambda t: t * 2.0)])
    path = tmp_path / "lambda.keras"
    m.save(path)
    with pytest.raises(ValueError, match=r"lstmkit never runs code from a file"), \
            pytest.warns(UserWarning, match=r"safe_mode=False"):
        lstmkit.saving.load_model(path, safe_mode=False)
    km = keras.saving.load_model(path, safe_mode=False)
    np.testing.assert_allclose(km.predict(X, verbose=0), X * 2.0)
    # In-process, an explicit safe_mode=False rebuilds it, as Keras's Lambda.from_config does.
    layer = layers.Lambda.from_config(m.layers[0].get_config(), safe_mode=False)
    np.testing.assert_allclose(np.asarray(layer(X)), X * 2.0)
