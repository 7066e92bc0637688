"""Python operators on symbolic tensors (Keras 3's KerasTensor operators), through lstmkit.ops."""

import numpy as np
import pytest

import lstmkit
from lstmkit import layers
from lstmkit.layers.input_layer import KerasTensor
from lstmkit.ops.tensor_operators import TensorOperators


@pytest.fixture
def operators(monkeypatch):
    # Until KerasTensor inherits the mixin itself, lend it the mixin's methods for this test.
    if not issubclass(KerasTensor, TensorOperators):
        for name, fn in vars(TensorOperators).items():
            if name.startswith("__") and name not in ("__module__", "__doc__", "__dict__", "__weakref__", "__qualname__"):
                monkeypatch.setattr(KerasTensor, name, fn, raising=False)


def test_operators_build_graph_nodes(operators):
    a = lstmkit.Input((4,))
    b = lstmkit.Input((4,))
    y = -(a * 2.0 + b) / 4.0
    last = y[:, -1:]
    assert last.shape == (None, 1)
    assert (a > b).dtype == "bool" and (a != b).dtype == "bool"
    assert (a @ np.ones((4, 3), "float32")).shape == (None, 3)
    assert a == a and a in [a] and len({a, b}) == 2  # identity equality and hashing kept
    out = layers.Dense(1)(last + y[:, :1] ** 2)
    model = lstmkit.Model([a, b], out)
    x1 = np.arange(8, dtype="float32").reshape(2, 4)
    x2 = np.ones((2, 4), "float32")
    yv = -(x1 * 2.0 + x2) / 4.0
    kernel, bias = model.layers[-1].get_weights()
    ref = (yv[:, -1:] + yv[:, :1] ** 2) @ kernel + bias
    np.testing.assert_allclose(model.predict([x1, x2], verbose=0), ref, rtol=1e-5)


def test_computing_with_a_symbolic_tensor_directly_is_a_clear_error(operators):
    import jax.numpy as jnp

    a = lstmkit.Input((4,))
    with pytest.raises(ValueError, match="symbolic"):
        np.asarray(a)
    with pytest.raises(ValueError, match="symbolic"):
        jnp.asarray(a)
