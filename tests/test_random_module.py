"""lstmkit.random (Keras 3's keras.random) and SeedGenerator in users' layers."""

import numpy as np
import pytest

import lstmkit
from lstmkit import Input, Sequential, layers, random


def test_seeded_draws_repeat_and_generators_advance():
    np.testing.assert_array_equal(random.uniform((4,), seed=3), random.uniform((4,), seed=3))
    g, h = random.SeedGenerator(5), random.SeedGenerator(5)
    a, b = random.normal((4,), seed=g), random.normal((4,), seed=g)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, random.normal((4,), seed=h))  # same seed, same stream


def test_distributions_have_keras_shapes_and_ranges():
    n = random.truncated_normal((20000,), stddev=2.0, seed=1)
    assert float(np.max(np.abs(n))) <= 4.0 and abs(float(np.std(n)) - 2 * 0.8796) < 0.05
    r = random.randint((1000,), 2, 5, seed=1)
    assert r.dtype == np.int32 and set(np.unique(r)) == {2, 3, 4}
    c = random.categorical(np.log([[0.999, 0.001], [0.001, 0.999]]), 50, seed=0)
    assert c.shape == (2, 50) and np.mean(c[0]) < 0.1 and np.mean(c[1]) > 0.9
    d = random.dropout(np.ones(10000, np.float32), 0.25, seed=2)
    np.testing.assert_allclose(np.unique(d), [0.0, 4 / 3], rtol=1e-6)
    assert abs(float(np.mean(d)) - 1.0) < 0.05
    with pytest.raises(ValueError, match=r"`seed` must be None, an integer, a SeedGenerator"):
        random.normal((2,), seed="x")


def test_a_noise_layer_draws_anew_at_every_compiled_step_and_counts_its_seed_state():
    class Noise(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = random.SeedGenerator(42)

        def build(self, input_shape):
            self.draws = self.add_weight(shape=(4, 3), initializer="zeros", trainable=False, name="draws")
            self.step = self.add_weight(shape=(), initializer="zeros", trainable=False, name="step")

        def call(self, x, training=None):
            if training:
                noise = random.normal(lstmkit.ops.shape(x), seed=self.seed_generator)
                self.draws.assign(self._record(noise))
                self.step.assign_add(1.0)
                return x + noise
            return x

        def _record(self, noise):
            # row i of `draws` keeps the first noise value of step i
            onehot = lstmkit.ops.one_hot(lstmkit.ops.cast(self.step, "int32"), 4)[:, None]
            return self.draws * (1 - onehot) + onehot * noise[0, 0]

    layer = Noise()
    assert len(layer.non_trainable_variables) == 1 and layer.weights == []
    m = Sequential([Input((3,)), layer, layers.Dense(1)])
    m.compile("sgd", "mse")
    m.fit(np.zeros((8, 3), np.float32), np.zeros((8, 1), np.float32), batch_size=2, epochs=1, shuffle=False,
          verbose=0)
    firsts = layer.draws.numpy()[:, 0]
    assert float(layer.step.numpy()) == 4.0
    assert len(set(np.round(firsts, 6))) == 4  # a new draw at each of the 4 steps, not one frozen constant
    assert len(layer.non_trainable_variables) == 3 and len(layer.non_trainable_weights) == 2


def test_keras2_backend_noise_in_a_layer_is_new_at_every_compiled_step():
    from lstmkit import backend as K

    class Gaussianish(layers.Layer):
        def build(self, input_shape):
            self.total = self.add_weight(shape=(), initializer="zeros", trainable=False, name="total")
            self.seen = self.add_weight(shape=(4,), initializer="zeros", trainable=False, name="seen")

        def call(self, x, training=None):
            if training:
                noise = K.random_normal(K.shape(x), seed=7)
                step = K.cast(self.total, "int32")
                self.seen.assign(self.seen + K.one_hot(step, 4) * noise[0, 0])
                self.total.assign_add(1.0)
                return x + noise
            return x

    layer = Gaussianish()
    m = Sequential([Input((3,)), layer, layers.Dense(1)])
    m.compile("sgd", "mse")
    m.fit(np.zeros((8, 3), np.float32), np.zeros((8, 1), np.float32), batch_size=2, epochs=1, shuffle=False,
          verbose=0)
    assert len(set(np.round(layer.seen.numpy(), 6))) == 4
