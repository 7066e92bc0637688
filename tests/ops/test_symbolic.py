"""lstmkit.ops on symbolic tensors: recorded as graph nodes (as Keras 3 does), with shapes and dtypes
inferred, in a functional model that trains, predicts, and refuses clearly to be saved."""

import numpy as np
import pytest

import lstmkit
from lstmkit import layers, ops
from lstmkit.layers.input_layer import KerasTensor


def test_shapes_and_dtypes_of_symbolic_results():
    a = lstmkit.Input((3,))
    b = lstmkit.Input((2,))
    c = ops.concatenate([a, b], axis=-1)
    assert isinstance(c, KerasTensor) and c.shape == (None, 5) and c.dtype == "float32"
    values, indices = ops.top_k(c, 2)
    assert values.shape == indices.shape == (None, 2) and indices.dtype == "int32"
    assert ops.argmax(c, axis=-1).shape == (None,) and ops.argmax(c, axis=-1).dtype == "int32"
    assert ops.greater(a, 0.0).dtype == "bool"
    # a real dimension equal to a stand-in size is still known
    assert ops.expand_dims(b, 1).shape == (None, 1, 2)
    assert ops.reshape(a, (-1, 3, 1)).shape == (None, 3, 1)
    assert ops.matmul(a, np.ones((3, 7), "float32")).shape == (None, 7)
    assert [t.shape for t in ops.split(c, [1, 3], axis=-1)] == [(None, 1), (None, 2), (None, 2)]
    assert ops.shape(c) == (None, 5)  # a tuple with None, not a node
    seq = lstmkit.Input((None, 4))
    assert ops.mean(seq, axis=1).shape == (None, 4)
    assert ops.transpose(seq, (0, 2, 1)).shape == (None, 4, None)
    assert ops.sum(seq, axis=-1).shape == (None, None)


def test_symbolic_errors_name_the_op():
    a = lstmkit.Input((3,))
    b = lstmkit.Input((4, 2))
    with pytest.raises(ValueError, match=r"ops\.concatenate"):
        ops.concatenate([a, b], axis=-1)
    with pytest.raises(ValueError, match=r"ops\.unstack.*number or rank of its outputs"):
        ops.unstack(a)  # as many outputs as the unknown batch size


def test_functional_model_with_ops_trains_predicts_and_refuses_to_save(tmp_path):
    lstmkit.utils.set_random_seed(0)
    seq = lstmkit.Input((5, 3))
    extra = lstmkit.Input((2,))
    h = layers.LSTM(4, return_sequences=True)(seq)
    scores = ops.softmax(ops.sum(h, axis=-1), axis=-1)          # (None, 5)
    context = ops.sum(ops.multiply(h, ops.expand_dims(scores, -1)), axis=1)  # (None, 4)
    merged = ops.concatenate([ops.tanh(context), extra], axis=-1)  # (None, 6)
    out = layers.Dense(1)(merged)
    model = lstmkit.Model([seq, extra], out)
    assert merged.shape == (None, 6)
    rng = np.random.default_rng(0)
    x1 = rng.standard_normal((32, 5, 3)).astype("float32")
    x2 = rng.standard_normal((32, 2)).astype("float32")
    y = (x1.sum(axis=(1, 2)) * 0.1 + x2[:, :1].ravel()).reshape(-1, 1).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    history = model.fit([x1, x2], y, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    pred = model.predict([x1, x2], verbose=0)
    assert pred.shape == (32, 1)
    # the graph's numbers are the ops' numbers applied to the layers' outputs
    h_val = np.asarray(lstmkit.Model(seq, h).predict(x1, verbose=0))
    s = np.exp(h_val.sum(-1)) / np.exp(h_val.sum(-1)).sum(-1, keepdims=True)
    ctx = (h_val * s[..., None]).sum(1)
    kernel, bias = model.layers[-1].get_weights()
    np.testing.assert_allclose(pred, np.concatenate([np.tanh(ctx), x2], -1) @ kernel + bias, rtol=1e-4, atol=1e-5)
    with pytest.raises(NotImplementedError, match=r"ops\.\w+.*layer"):
        model.save(tmp_path / "m.keras")


def test_op_nodes_are_named_as_keras_names_them_and_never_shadow_layers():
    from lstmkit import _object_registration

    a = lstmkit.Input((3,))
    b = lstmkit.Input((3,))
    node = ops.top_k(ops.concatenate([a, b], axis=-1), 2)[0]._node.layer
    assert type(node).__name__ == "TopK" and node.name.startswith("top_k")  # as in Keras's summary
    # `layers.Concatenate` stays the class a file's "Concatenate" means; op nodes load by no name.
    assert _object_registration.builtin_class("Concatenate") is layers.Concatenate
    assert _object_registration.builtin_class("TopK") is None
    assert layers.Concatenate()([a, b]).shape == (None, 6)


def test_a_layers_weight_used_by_an_op_is_shared_and_trained():
    lstmkit.utils.set_random_seed(2)
    x = lstmkit.Input((3,))
    dense = layers.Dense(3, use_bias=False)
    y = ops.add(dense(x), ops.matmul(ops.tanh(x), dense.kernel))  # the kernel used twice: tied weights
    model = lstmkit.Model(x, y)
    assert len(model.weights) == 1
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((16, 3)).astype("float32")
    model.compile(optimizer="sgd", loss="mse")
    before = dense.get_weights()[0].copy()
    model.predict(xv, verbose=0)  # a compiled program exists before the weights change
    model.fit(xv, rng.standard_normal((16, 3)).astype("float32"), epochs=2, verbose=0)
    kernel = dense.get_weights()[0]
    assert not np.allclose(kernel, before)
    np.testing.assert_allclose(model.predict(xv, verbose=0), xv @ kernel + np.tanh(xv) @ kernel, rtol=1e-5, atol=1e-6)
