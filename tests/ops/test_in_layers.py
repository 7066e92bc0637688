"""lstmkit.ops inside a user's Keras-style layer: `self.w` read through ops while fit traces the call."""

import numpy as np

import lstmkit
from lstmkit import layers, ops


class ScaledAttentionPool(layers.Layer):
    """Keras 3 style: weights from add_weight, computation with keras.ops on them."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 1), initializer="glorot_uniform", name="w")
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

    def call(self, x):
        scores = ops.squeeze(ops.matmul(x, self.w), axis=-1) * self.scale   # (batch, time)
        weights = ops.softmax(scores, axis=-1)
        return ops.sum(x * ops.expand_dims(weights, -1), axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


def test_user_layer_written_with_ops_trains_its_weights():
    lstmkit.utils.set_random_seed(1)
    inp = lstmkit.Input((6, 3))
    pool = ScaledAttentionPool()
    out = layers.Dense(1)(pool(layers.LSTM(4, return_sequences=True)(inp)))
    model = lstmkit.Model(inp, out)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 6, 3)).astype("float32")
    y = x[:, :, :1].mean(axis=1)
    before = [np.array(w) for w in pool.get_weights()]
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    after = pool.get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(before, after))  # gradients reached self.w and self.scale
    assert model.predict(x, verbose=0).shape == (32, 1)
