"""lstmkit.backend against Keras 2's documented `keras.backend` semantics.

tf.keras cannot run here, so each function is compared with a float64 NumPy reference written from
Keras 2's documentation and source (tf.keras 2.x `backend.py`): the n-d `dot` rule, `batch_dot`'s
`axes`, `sqrt` clipping at 0, Keras 2's `hard_sigmoid` and `relu(alpha, max_value, threshold)`,
`switch`, the Keras 2 defaults (`concatenate(axis=-1)`, `expand_dims(axis=-1)`, `argmax(axis=-1)`,
`cumsum(axis=0)`), and the variable API.
"""

import numpy as np
import pytest

import lstmkit
from lstmkit import backend as K
from lstmkit import layers
from lstmkit.layers.base import Variable

rng = np.random.default_rng(1)
X3 = rng.standard_normal((4, 3, 5)).astype("float32")
X2 = rng.standard_normal((4, 5)).astype("float32")
M = rng.standard_normal((3, 5)).astype("float32")
W = rng.standard_normal((5, 2)).astype("float32")


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=tol, atol=tol)


# ------------------------------------------------------------------ dot and batch_dot
def ref_dot(x, y):
    """Keras 2: x's last axis against y's second-to-last; shape x[:-1] + y[:-2] + y[-1:]."""
    x, y = np.float64(x), np.float64(y)
    return np.tensordot(x, y, axes=(x.ndim - 1, y.ndim - 2))


def ref_batch_dot(x, y, axes=None):
    """Keras 2's pseudocode: per sample, xi.dot(yi) over `axes`; a rank-1 result becomes (batch, 1)."""
    x, y = np.float64(x), np.float64(y)
    if isinstance(axes, int):
        axes = (axes, axes)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 1 if y.ndim == 2 else y.ndim - 2)
    a0, a1 = (a % n for a, n in zip(axes, (x.ndim, y.ndim)))
    out = np.stack([np.tensordot(xi, yi, axes=(a0 - 1, a1 - 1)) for xi, yi in zip(x, y)])
    return out[:, None] if out.ndim == 1 else out


@pytest.mark.parametrize("x,y", [(M, W), (X3, W), (X3, rng.standard_normal((2, 5, 6)).astype("float32"))])
def test_dot_nd(x, y):
    out = K.dot(x, y)
    assert out.shape == ref_dot(x, y).shape
    close(out, ref_dot(x, y))


@pytest.mark.parametrize("xs,ys,axes", [
    ((4, 5), (4, 5), None), ((4, 5), (4, 5), 1), ((4, 3, 5), (4, 5), None), ((4, 5), (4, 5, 6), None),
    ((4, 3, 5), (4, 5, 6), None), ((4, 20, 1), (4, 30, 20), (1, 2)), ((4, 3, 5), (4, 3, 6), (1, 1)),
    ((4, 3, 5, 2), (4, 2, 7), (3, 1)), ((4, 3, 5), (4, 6, 5), (-1, -1)), ((4, 2, 3, 5), (4, 5, 2, 3), (3, 1)),
])
def test_batch_dot_axes(xs, ys, axes):
    x = rng.standard_normal(xs).astype("float32")
    y = rng.standard_normal(ys).astype("float32")
    out = K.batch_dot(x, y, axes=axes)
    ref = ref_batch_dot(x, y, axes)
    assert out.shape == ref.shape
    close(out, ref, 1e-4)


def test_batch_dot_documented_example_and_errors():
    close(K.batch_dot(np.array([[1.0, 2], [3, 4]]), np.array([[5.0, 6], [7, 8]]), axes=1), [[17], [53]])
    assert K.int_shape(K.batch_dot(K.ones((32, 20, 1)), K.ones((32, 30, 20)), axes=(1, 2))) == (32, 1, 30)
    with pytest.raises(ValueError, match="axis 0"):
        K.batch_dot(X3, X3, axes=0)
    with pytest.raises(ValueError, match="rank < 2"):
        K.batch_dot(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="shapes"):
        K.batch_dot(X3, X3, axes=(1, 2))


# ------------------------------------------------------------------ element-wise and activations
def test_elementwise_and_activations():
    x = np.float64(M)
    close(K.tanh(M), np.tanh(x))
    close(K.sigmoid(M), 1 / (1 + np.exp(-x)))
    close(K.exp(M), np.exp(x))
    close(K.log(np.abs(M) + 0.1), np.log(np.abs(x) + 0.1))
    close(K.abs(M), np.abs(x))
    close(K.square(M), x ** 2)
    close(K.sqrt(M), np.sqrt(np.maximum(x, 0)))  # negatives clip to 0, no NaN
    close(K.pow(np.abs(M), 1.5), np.abs(x) ** 1.5)
    close(K.hard_sigmoid(M * 4), np.clip(0.2 * x * 4 + 0.5, 0, 1))  # Keras 2's, not Keras 3's
    close(K.softplus(M), np.log1p(np.exp(x)))
    close(K.softsign(M), x / (1 + np.abs(x)))
    close(K.elu(M, 0.5), np.where(x > 0, x, 0.5 * (np.exp(x) - 1)))
    close(K.sign(M), np.sign(x))
    close(K.round(np.array([0.5, 1.5, 2.5, -0.5])), [0, 2, 2, -0])  # half to even, as tf.round
    for axis in (-1, 0):
        e = np.exp(x - x.max(axis, keepdims=True))
        close(K.softmax(M, axis=axis), e / e.sum(axis, keepdims=True))
    close(K.l2_normalize(M, axis=1), x / np.sqrt(np.maximum((x ** 2).sum(1, keepdims=True), 1e-12)))
    close(K.l2_normalize(M), x / np.sqrt((x ** 2).sum()))


def ref_relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Keras 2's documented rule: max_value above max_value, x from threshold on, alpha (x - threshold) below."""
    x = np.float64(x)
    out = np.where(x >= threshold, x, alpha * (x - threshold))
    return out if max_value is None else np.where(x >= max_value, max_value, out)


@pytest.mark.parametrize("kw", [{}, {"alpha": 0.1}, {"max_value": 0.8}, {"max_value": 6.0}, {"threshold": 0.4},
                                {"alpha": 0.3, "max_value": 1.0, "threshold": 0.4}, {"alpha": 0.2, "threshold": 0.4}])
def test_relu_options(kw):
    x = np.linspace(-3, 8, 23).astype("float32") + 0.013  # no point sits exactly on a threshold
    close(K.relu(x, **kw), ref_relu(x, **kw))


def test_comparisons_and_clip():
    a, b = M, M[::-1]
    for fn, ref in [(K.equal, np.equal), (K.not_equal, np.not_equal), (K.greater, np.greater),
                    (K.greater_equal, np.greater_equal), (K.less, np.less), (K.less_equal, np.less_equal)]:
        np.testing.assert_array_equal(fn(a, b), ref(a, b))
    close(K.maximum(a, b), np.maximum(a, b))
    close(K.minimum(a, b), np.minimum(a, b))
    close(K.clip(M, -0.5, 0.5), np.clip(M, -0.5, 0.5))
    close(K.clip(M, 0.5, 0.1), np.full(M.shape, 0.5))  # max < min: max becomes min (Keras 2)
    close(K.clip(M, None, 0.2), np.minimum(M, 0.2))


# ------------------------------------------------------------------ reductions
@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, False), (-1, True), ([0, 2], False)])
def test_reductions(axis, keepdims):
    x = np.float64(X3)
    ax = tuple(axis) if isinstance(axis, list) else axis
    for fn, ref in [(K.sum, np.sum), (K.mean, np.mean), (K.max, np.max), (K.min, np.min), (K.prod, np.prod),
                    (K.std, np.std), (K.var, np.var)]:
        close(fn(X3, axis=axis, keepdims=keepdims), ref(x, axis=ax, keepdims=keepdims), 1e-4)
    b = X3 > 0
    np.testing.assert_array_equal(K.any(b, axis=axis, keepdims=keepdims), np.any(b, axis=ax, keepdims=keepdims))
    np.testing.assert_array_equal(K.all(b, axis=axis, keepdims=keepdims), np.all(b, axis=ax, keepdims=keepdims))


def test_keras2_defaults_and_dtypes():
    np.testing.assert_array_equal(K.argmax(X3), np.argmax(X3, axis=-1))   # axis=-1, not None
    np.testing.assert_array_equal(K.argmin(X3), np.argmin(X3, axis=-1))
    close(K.cumsum(M), np.cumsum(np.float64(M), axis=0))                   # axis=0
    close(K.cumprod(M), np.cumprod(np.float64(M), axis=0))
    assert K.mean(M > 0).dtype == np.float32                               # bools averaged as floatx
    assert K.mean(np.array([1, 2], "int32")).dtype == np.int32 and int(K.mean(np.array([1, 2], "int32"))) == 1
    close(K.logsumexp(M, axis=1), np.log(np.exp(np.float64(M)).sum(1)))


# ------------------------------------------------------------------ shapes
def test_shape_functions():
    close(K.concatenate([M, M]), np.concatenate([M, M], axis=-1))         # axis=-1
    close(K.concatenate([X3, X3], axis=1), np.concatenate([X3, X3], axis=1))
    close(K.stack([M, M]), np.stack([M, M]))
    assert K.expand_dims(M).shape == (3, 5, 1)                             # axis=-1
    assert K.squeeze(M[:, None], 1).shape == (3, 5)
    close(K.reshape(X3, (4, 15)), X3.reshape(4, 15))
    close(K.permute_dimensions(X3, (0, 2, 1)), X3.transpose(0, 2, 1))
    close(K.transpose(X3), X3.T)                                           # all axes reversed
    close(K.repeat(M, 2), np.repeat(M[:, None, :], 2, axis=1))             # (samples, n, dim)
    close(K.repeat_elements(M, 3, axis=1), np.repeat(M, 3, axis=1))
    close(K.tile(M, (2, 1)), np.tile(M, (2, 1)))
    close(K.flatten(X3), X3.ravel())
    close(K.batch_flatten(X3), X3.reshape(4, -1))
    close(K.gather(M, [2, 0, 2]), M[[2, 0, 2]])
    close(K.one_hot(np.array([0, 2, 1]), 3), np.eye(3)[[0, 2, 1]])
    close(K.reverse(M, 1), M[:, ::-1])
    np.testing.assert_array_equal(K.arange(5), np.arange(5))
    assert K.cast(M, "int32").dtype == np.int32 and K.dtype(K.cast(M, "float16")) == "float16"
    with pytest.raises(ValueError, match="2D"):
        K.repeat(X3, 2)


def test_switch_and_train_phase():
    close(K.switch(np.array(True), M, -M), M)
    close(K.switch(np.array(0), lambda: M, lambda: -M), -M)                # callables, scalar condition
    cond = M > 0
    close(K.switch(cond, M, np.zeros_like(M)), np.where(cond, M, 0))
    cond3 = X3[..., 0] > 0                                                  # rank 2 < rank 3: trailing axes added
    close(K.switch(cond3, X3, -X3), np.where(cond3[..., None], X3, -X3))
    with pytest.raises(ValueError, match="Rank of `condition`"):
        K.switch(X3 > 0, M, M)
    assert K.learning_phase() == 0
    close(K.in_train_phase(M, -M), -M)
    close(K.in_train_phase(lambda: M, -M, training=1), M)
    close(K.in_train_phase(M, -M, training=np.array(True)), M)
    close(K.in_test_phase(M, -M, training=False), M)


# ------------------------------------------------------------------ variables and facts
def test_variables_and_values():
    v = K.variable(np.arange(6).reshape(2, 3))
    assert isinstance(v, Variable) and v.dtype == np.float32 and K.dtype(v) == "float32"
    close(K.get_value(v), np.arange(6).reshape(2, 3))
    K.set_value(v, np.ones((2, 3)))
    close(K.get_value(v), np.ones((2, 3)))
    w = K.variable([1.0, 2.0], name="w")
    K.batch_set_value([(v, np.zeros((2, 3))), (w, [3.0, 4.0])])
    got = K.batch_get_value([v, w])
    close(got[0], np.zeros((2, 3)))
    close(got[1], [3, 4])
    assert K.count_params(v) == 6 and K.int_shape(v) == (2, 3) and K.ndim(v) == 2
    close(K.dot(M, K.variable(W)), np.float64(M) @ W)                      # Variables work in every function
    z, o, e = K.zeros((2, 2)), K.ones((3,), dtype="int32"), K.eye((2, 3))
    assert isinstance(z, Variable) and isinstance(e, Variable)              # Keras 2: these are variables
    close(K.get_value(z), np.zeros((2, 2)))
    assert K.get_value(o).dtype == np.int32
    close(K.get_value(e), np.eye(2, 3))
    close(K.zeros_like(M), np.zeros_like(M))
    assert K.ones_like(np.ones(2, "int32")).dtype == np.int32
    c = K.constant(2, shape=(2, 2))
    assert c.dtype == np.float32 and c.shape == (2, 2)                     # floatx, filled
    with pytest.raises(TypeError, match="Variable"):
        K.set_value(np.ones(3), np.zeros(3))


def test_facts_and_config():
    assert K.int_shape(X3) == (4, 3, 5) and K.int_shape(lstmkit.Input((None, 7))) == (None, None, 7)
    assert K.int_shape([1, 2]) is None
    np.testing.assert_array_equal(K.shape(X3), [4, 3, 5])
    assert K.ndim(X3) == 3 and K.dtype(X3) == "float32"
    assert K.is_keras_tensor(lstmkit.Input((3,))) and not K.is_keras_tensor(np.ones(3))
    with pytest.raises(ValueError, match="symbolic tensor"):
        K.is_keras_tensor([1, 2])
    assert K.epsilon() == 1e-7 and K.floatx() == "float32" and K.image_data_format() == "channels_last"
    K.set_epsilon(1e-5)
    try:
        assert K.epsilon() == 1e-5
    finally:
        K.set_epsilon(1e-7)
    K.set_floatx("float32")
    with pytest.raises(ValueError, match="float32 only"):
        K.set_floatx("float64")
    with pytest.raises(ValueError, match="floatx"):
        K.set_floatx("int8")
    with pytest.raises(NotImplementedError, match="Input"):
        K.placeholder(shape=(None, 3))


def test_random_tensors():
    u = np.asarray(K.random_uniform((2000,), -1.0, 3.0, seed=1))
    assert u.dtype == np.float32 and u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1) < 0.1
    n = np.asarray(K.random_normal((2000,), mean=2.0, stddev=0.5, seed=2))
    assert abs(n.mean() - 2) < 0.05 and abs(n.std() - 0.5) < 0.05
    np.testing.assert_array_equal(K.random_uniform((3,), seed=5), K.random_uniform((3,), seed=5))


def test_clear_session_restarts_layer_names():
    K.clear_session()
    first = layers.Dense(2).name
    assert layers.Dense(2).name == first + "_1"
    K.clear_session()
    assert layers.Dense(2).name == first == "dense"


# ------------------------------------------------------------------ in models
def test_backend_functions_between_layers():
    a = lstmkit.Input((3,))
    b = lstmkit.Input((3,))
    joined = K.concatenate([K.tanh(a), K.expand_dims(K.sum(b, axis=-1))])
    assert joined.shape == (None, 4)
    model = lstmkit.Model([a, b], layers.Dense(1)(joined))
    x1, x2 = M[:, :3], M[:, 2:]
    kernel, bias = model.layers[-1].get_weights()
    ref = np.concatenate([np.tanh(x1), x2.sum(-1, keepdims=True)], -1) @ kernel + bias
    close(model.predict([x1, x2], verbose=0), ref, 1e-4)


class Attention(layers.Layer):
    """The additive attention layer of many Keras 2 LSTM programs, written with K. functions."""

    def build(self, input_shape):
        self.W = self.add_weight(name="att_weight", shape=(input_shape[-1], 1), initializer="normal")
        self.b = self.add_weight(name="att_bias", shape=(input_shape[1], 1), initializer="zeros")
        super().build(input_shape)

    def call(self, x):
        e = K.tanh(K.dot(x, self.W) + self.b)
        a = K.softmax(K.squeeze(e, axis=-1))
        a = K.expand_dims(a, axis=-1)
        return K.sum(x * a, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


def test_keras2_attention_layer_trains_and_predicts():
    lstmkit.utils.set_random_seed(3)
    inp = lstmkit.Input((6, 2))
    h = layers.LSTM(4, return_sequences=True)(inp)
    att = Attention()
    out = layers.Dense(1)(att(h))
    model = lstmkit.Model(inp, out)
    x = rng.standard_normal((32, 6, 2)).astype("float32")
    y = x[:, -1, :1] * 2.0
    model.compile(optimizer="adam", loss="mse")
    hist = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    hv = np.float64(lstmkit.Model(inp, h).predict(x, verbose=0))
    w, b = (np.float64(v) for v in att.get_weights())
    e = np.tanh(hv @ w + b)[..., 0]
    a = np.exp(e) / np.exp(e).sum(-1, keepdims=True)
    kernel, bias = model.layers[-1].get_weights()
    close(model.predict(x, verbose=0), (hv * a[..., None]).sum(1) @ kernel + bias, 1e-4)


# ------------------------------------------------------------------ losses, normalization, state
def test_losses_match_keras2_documented_values():
    a = np.eye(3, dtype="float32")
    b = np.array([[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]], "float32")
    close(K.categorical_crossentropy(a, b), [0.10536055, 0.8046684, 0.06187541])  # Keras 2's docstring
    b64 = np.float64(b)
    close(K.categorical_crossentropy(a, np.log(b), from_logits=True), -np.log(np.diag(b64) / b64.sum(-1)))
    close(K.sparse_categorical_crossentropy(np.array([0, 1, 2]), b), -np.log(np.clip(b, 1e-7, 1))[[0, 1, 2], [0, 1, 2]])
    logits = np.float64(M)
    lsm = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    close(K.sparse_categorical_crossentropy(np.array([[1], [0], [4]]), M, from_logits=True), -lsm[[0, 1, 2], [1, 0, 4]])
    t = (M > 0).astype("float32")
    p = np.clip(np.float64(1 / (1 + np.exp(-M))), 1e-7, 1 - 1e-7)
    close(K.binary_crossentropy(t, p.astype("float32")), -(t * np.log(p + 1e-7) + (1 - t) * np.log(1 - p + 1e-7)), 1e-4)
    close(K.binary_crossentropy(t, M, from_logits=True), np.log1p(np.exp(-np.abs(logits))) + np.maximum(logits, 0) - t * logits)


def test_in_top_k():
    preds = np.array([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1], [0.3, 0.3, 0.4]], "float32")
    targets = np.array([2, 2, 0])
    ref = [(p > p[t]).sum() < 2 for p, t in zip(preds, targets)]
    np.testing.assert_array_equal(K.in_top_k(preds, targets, 2), ref)
    np.testing.assert_array_equal(K.in_top_k(preds, targets, 1), [False, False, False])


def test_bias_add_and_batch_normalization():
    bias = np.arange(5, dtype="float32")
    close(K.bias_add(X3, bias), X3 + bias)
    close(K.bias_add(X3, bias[:3], data_format="channels_first"), X3 + bias[:3, None])
    close(K.bias_add(X3, np.ones((3, 5), "float32")), X3 + 1)
    with pytest.raises(ValueError, match="bias dimensions"):
        K.bias_add(X3, np.ones((1, 3, 5)))
    mean, var = X3.mean((0, 1)), X3.var((0, 1))
    gamma, beta = np.full(5, 2.0, "float32"), np.full(5, 0.5, "float32")
    close(K.batch_normalization(X3, mean, var, beta, gamma, epsilon=1e-3),
          (np.float64(X3) - mean) / np.sqrt(var + 1e-3) * gamma + beta, 1e-4)


def test_updates_and_uids():
    v = K.variable([1.0, 2.0])
    K.update(v, [3.0, 4.0])
    close(K.get_value(v), [3, 4])
    K.update_add(v, 1.0)
    K.update_sub(v, [0.5, 0.5])
    close(K.get_value(v), [3.5, 4.5])
    K.moving_average_update(v, np.zeros(2), 0.9)
    close(K.get_value(v), [3.15, 4.05])  # x * momentum + value * (1 - momentum)
    K.clear_session()
    assert [K.get_uid("a"), K.get_uid("a"), K.get_uid("b")] == [1, 2, 1]
    K.clear_session()
    assert K.get_uid("a") == 1
    layers.Dense(1)
    assert K.get_uid("dense") == 2 and layers.Dense(1).name == "dense_2"  # one count, as in Keras
    K.reset_uids()
    assert layers.Dense(1).name == "dense"


def test_keras3_backend_names():
    assert K.standardize_dtype(np.float32) == "float32" and K.standardize_dtype(None) == "float32"
    assert K.result_type("int32", "float32") == "float32" and K.result_type("int32", float) == "float32"
    assert K.result_type("int32", int) == "int32"
    assert K.is_float_dtype("float16") and not K.is_float_dtype("int32") and K.is_int_dtype("uint8")
    K.clear_session(free_memory=True)


def test_sequence_helpers():
    close(K.foldl(lambda acc, x: acc * 2 + x, np.arange(1.0, 5.0)), ((1 * 2 + 2) * 2 + 3) * 2 + 4)
    close(K.foldr(lambda acc, x: acc * 2 + x, np.arange(1.0, 5.0), initializer=0.0), ((4 * 2 + 3) * 2 + 2) * 2 + 1)
    close(K.map_fn(lambda r: r.sum(), M), M.sum(1))
    close(K.slice(X3, (1, 0, 2), (2, -1, 3)), X3[1:3, :, 2:5])
    close(K.print_tensor(M, message="M = "), M)
    close(K.cast_to_floatx([1, 2]), [1.0, 2.0])
    assert K.cast_to_floatx([1, 2]).dtype == np.float32
    r = K.random_uniform_variable((3, 2), 0.0, 1.0, seed=1)
    assert isinstance(r, Variable) and r.shape == (3, 2)
    kept = np.asarray(K.dropout(np.ones((200, 50), "float32"), 0.25, seed=0))
    assert set(np.unique(kept)) <= {0.0, np.float32(1 / 0.75)} and abs((kept > 0).mean() - 0.75) < 0.02
    assert not K.is_sparse(M) and K.to_dense(M) is M
    with pytest.raises(NotImplementedError, match="session"):
        K.get_session()


class RunningMean(layers.Layer):
    """A Keras 2 style layer keeping a non-trainable statistic with K.moving_average_update."""

    def build(self, input_shape):
        self.mean = self.add_weight(name="mean", shape=(input_shape[-1],), initializer="zeros", trainable=False)

    def call(self, x, training=None):
        if training:
            K.moving_average_update(self.mean, K.mean(x, axis=0), 0.5)
        return x - self.mean


def test_moving_average_update_inside_fit():
    inp = lstmkit.Input((3,))
    running = RunningMean()
    model = lstmkit.Model(inp, layers.Dense(1)(running(inp)))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.full((8, 3), 2.0, "float32"), np.zeros((8, 1)), epochs=2, batch_size=8, verbose=0)
    close(running.get_weights()[0], [1.5, 1.5, 1.5])  # 0 -> 1 -> 1.5 over two steps


class TrainOnlyZero(layers.Layer):
    """Keras 2 era: `K.in_train_phase` without `training=`, relying on the learning phase during fit."""

    def call(self, x):
        return K.in_train_phase(K.zeros_like(x), x)


def test_learning_phase_follows_the_running_call():
    layer = TrainOnlyZero()
    close(layer(M, training=True), np.zeros_like(M))
    close(layer(M), M)
    assert K.learning_phase() == 0  # outside any call
    with K.learning_phase_scope(1):
        assert K.learning_phase() == 1
        close(layer(M), np.zeros_like(M))
    assert K.learning_phase() == 0
    # inside fit the layer's call sees the training phase: the Dense after it learns from zeros only
    inp = lstmkit.Input((5,))
    model = lstmkit.Model(inp, layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")(TrainOnlyZero()(inp)))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(M, np.ones((3, 1), "float32"), epochs=2, verbose=0)
    close(model.layers[-1].get_weights()[0], np.ones((5, 1)))  # zero inputs: no kernel gradient
    assert model.layers[-1].get_weights()[1][0] > 0


class MaskedAttention(layers.Layer):
    """The attention layer of many public Keras 2 text classifiers, as they wrote it (masking included)."""

    def __init__(self, step_dim, bias=True, **kwargs):
        self.supports_masking = True
        self.step_dim = step_dim
        self.bias = bias
        self.features_dim = 0
        super(MaskedAttention, self).__init__(**kwargs)

    def build(self, input_shape):
        self.W = self.add_weight(shape=(input_shape[-1],), initializer="glorot_uniform", name="{}_W".format(self.name))
        self.features_dim = input_shape[-1]
        self.b = self.add_weight(shape=(input_shape[1],), initializer="zero", name="{}_b".format(self.name)) if self.bias else None
        self.built = True

    def compute_mask(self, input, input_mask=None):
        return None

    def call(self, x, mask=None):
        eij = K.reshape(K.dot(K.reshape(x, (-1, self.features_dim)), K.reshape(self.W, (self.features_dim, 1))),
                        (-1, self.step_dim))
        if self.bias:
            eij += self.b
        a = K.exp(K.tanh(eij))
        if mask is not None:
            a *= K.cast(mask, K.floatx())
        a /= K.cast(K.sum(a, axis=1, keepdims=True) + K.epsilon(), K.floatx())
        return K.sum(x * K.expand_dims(a), axis=1)

    def compute_output_shape(self, input_shape):
        return input_shape[0], self.features_dim


def test_keras2_masked_attention_program():
    lstmkit.utils.set_random_seed(4)
    steps = 8
    inp = lstmkit.Input((steps,))
    h = layers.LSTM(5, return_sequences=True)(layers.Embedding(20, 6, mask_zero=True)(inp))
    att = MaskedAttention(steps)
    model = lstmkit.Model(inp, layers.Dense(1, activation="sigmoid")(att(h)))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    x = rng.integers(1, 20, (32, steps))
    x[:, :3] = 0  # padded steps: masked out of the attention
    y = (x[:, -1] > 10).astype("float32")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    hv = np.float64(lstmkit.Model(inp, h).predict(x, verbose=0))
    w, b = (np.float64(v) for v in att.get_weights())
    a = np.exp(np.tanh(hv @ w + b)) * (x != 0)
    a /= a.sum(1, keepdims=True) + 1e-7
    kernel, bias = model.layers[-1].get_weights()
    ref = 1 / (1 + np.exp(-((hv * a[..., None]).sum(1) @ kernel + bias)))
    close(model.predict(x, verbose=0), ref, 1e-4)


def test_set_epsilon_reaches_lstmkit_ops():
    from lstmkit import ops

    K.set_epsilon(0.5)
    try:
        close(ops.normalize(np.array([0.1, 0.0])), [0.2, 0.0])  # x / max(||x||, epsilon)
    finally:
        K.set_epsilon(1e-7)
    close(ops.normalize(np.array([0.1, 0.0])), [1.0, 0.0])


def test_shape_arithmetic_stays_static_under_jit():
    import jax

    @jax.jit
    def flatten_tail(x):
        s = K.shape(x)
        return K.reshape(x, K.stack([s[0], K.prod(s[1:])]))

    close(flatten_tail(X3), X3.reshape(4, 15))
    assert isinstance(K.concatenate([K.shape(X3)[:1], np.array([-1])]), np.ndarray)
