"""models.clone_model: Keras 3's function (a new model of the same architecture, freshly initialised)."""

import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit.models import Model, Sequential, clone_model


def _functional():
    a, b = L.Input((5, 2), name="a"), L.Input((3,), name="b")
    h = L.Concatenate()([L.LSTM(3)(a), L.Dense(2)(b)])
    return Model([a, b], L.Dense(1)(h))


def test_a_clone_has_the_architecture_and_new_weights():
    m = Sequential([L.Input((5, 2)), L.LSTM(3), L.Dense(1)])
    c = clone_model(m)
    assert type(c) is Sequential and [type(l) for l in c.layers] == [type(l) for l in m.layers]
    assert [w.shape for w in c.get_weights()] == [w.shape for w in m.get_weights()]
    assert not np.allclose(c.get_weights()[0], m.get_weights()[0])  # initialised anew, not copied
    assert all(a is not b for a, b in zip(c.layers, m.layers))


def test_clone_function_and_input_tensors():
    m = _functional()
    seen = []

    def renamed(layer):
        seen.append(layer.name)
        return layer.__class__.from_config({**layer.get_config(), "name": "c_" + layer.name})

    c = clone_model(m, clone_function=renamed)
    assert sorted(seen) == sorted(l.name for l in m.layers if not isinstance(l, L.InputLayer))
    x = [np.ones((2, 5, 2), np.float32), np.ones((2, 3), np.float32)]
    assert c.predict(x, verbose=0).shape == (2, 1)
    inputs = [L.Input((5, 2), name="x1"), L.Input((3,), name="x2")]
    c2 = clone_model(m, input_tensors=inputs)
    assert [l.name for l in c2.layers[:2]] == ["x1", "x2"]
    s = Sequential([L.Input((5, 2)), L.LSTM(3), L.Dense(1)])
    on = clone_model(s, input_tensors=L.Input((5, 2)))
    assert isinstance(on, Model) and on.predict(x[0], verbose=0).shape == (2, 1)


def test_bad_arguments_are_clear_errors():
    m = Sequential([L.Input((5, 2)), L.Dense(1)])
    with pytest.raises(ValueError, match="expects a Model"):
        clone_model(L.Dense(1))
    with pytest.raises(ValueError, match="must be callable"):
        clone_model(m, clone_function=3)
    with pytest.raises(ValueError, match="call_function"):
        clone_model(m, call_function=lambda *a: None)
    with pytest.raises(TypeError, match="unexpected keyword"):
        clone_model(m, colne_function=None)
    with pytest.raises(ValueError, match="2 inputs"):
        clone_model(_functional(), input_tensors=[L.Input((5, 2))])
