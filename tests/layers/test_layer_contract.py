"""The Keras layer contract: users' layers written the Keras way, checked against Keras 3."""

import numpy as np
import pytest

import keras
import lstmkit
from lstmkit import Input, Model, Sequential, layers

X = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")


def _scale_class(lib):
    class Scale(lib.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    return Scale


def test_a_custom_layer_from_the_issue_runs_and_its_weight_is_an_array():
    Scale = _scale_class(lstmkit)
    s = Scale()
    np.testing.assert_array_equal(np.asarray(s(X)), X)
    assert s.built and [w.shape for w in s.weights] == [(3,)]
    s.w.assign(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(np.asarray(s(X)), X * [1.0, 2.0, 3.0])


def test_add_weight_keyword_and_default_names_are_unique():
    class Two(layers.Layer):
        def build(self, input_shape):
            self.a = self.add_weight(shape=(2,))
            self.b = self.add_weight(shape=(2,))
            self.n = self.add_weight(shape=(1,), trainable=False, name="n")
            self.t = self.add_weight(shape=(1,), name="t")

        def call(self, x):
            return x * self.a + self.b

    t = Two()
    t(np.ones((1, 2), np.float32))
    names = [w.name for w in t.weights]
    assert names[2:] == ["t", "n"]  # Keras's order: trainable weights first, then non-trainable
    assert names[0] != names[1] and names[0].startswith("variable")
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    t.set_weights([a, b, [0.0], [0.0]])
    np.testing.assert_allclose(np.asarray(t(np.ones((1, 2), np.float32))), [[4.0, 6.0]])


def test_keras2_positional_add_weight():
    class Old(layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", (input_shape[-1], 2), initializer="ones", trainable=True)

        def call(self, x):
            return x @ self.kernel

    o = Old()
    np.testing.assert_allclose(np.asarray(o(np.ones((1, 3), np.float32))), [[3.0, 3.0]])
    assert o.weights[0].name == "kernel"


def test_sublayers_in_attributes_lists_and_dicts_are_tracked_in_keras_order():
    def block(lib):
        class Block(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.first = lib.layers.Dense(4)
                self.blocks = []
                for _ in range(2):
                    self.blocks.append(lib.layers.Dense(3))
                self.heads = {"out": lib.layers.Dense(1)}

            def call(self, x):
                x = self.first(x)
                for b in self.blocks:
                    x = b(x)
                return self.heads["out"](x)

        return Block()

    ours, theirs = block(lstmkit), block(keras)
    theirs(X)
    ours(X)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(np.asarray(ours(X)), np.asarray(theirs(X)), rtol=1e-5, atol=1e-6)
    assert len(ours.layers) == 4


def test_a_functional_model_with_a_custom_layer_trains_like_keras():
    def build(lib):
        inp = lib.Input((3,))
        h = lib.layers.Dense(4, activation="tanh")(inp)
        out = _scale_class(lib)()(h)
        return lib.Model(inp, lib.layers.Dense(1)(out))

    km, m = build(keras), build(lstmkit)
    m.set_weights(km.get_weights())
    y = X.sum(axis=1, keepdims=True)
    for model in (km, m):
        model.compile(optimizer=(keras if model is km else lstmkit).optimizers.SGD(0.05), loss="mse")
    hk = km.fit(X, y, epochs=3, batch_size=4, shuffle=False, verbose=0).history["loss"]
    h = m.fit(X, y, epochs=3, batch_size=4, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h, hk, rtol=1e-4)
    np.testing.assert_allclose(m.predict(X, verbose=0), km.predict(X, verbose=0), rtol=1e-4, atol=1e-5)


def test_several_positional_inputs_reach_the_layer():
    class AddTwo(layers.Layer):
        def call(self, a, b):
            return a + b

    qa, qb = Input((3,)), Input((3,))
    m = Model([qa, qb], AddTwo()(qa, qb))
    out = m.predict([np.ones((2, 3), np.float32), np.full((2, 3), 10.0, np.float32)], verbose=0)
    np.testing.assert_array_equal(out, np.full((2, 3), 11.0))


def test_add_loss_counts_in_training_and_in_layer_losses():
    class Penalty(layers.Layer):
        def call(self, x):
            self.add_loss(0.5 * (x ** 2).sum())
            return x

    p = Penalty()
    p(np.ones((2, 2), np.float32))
    assert len(p.losses) == 1 and float(p.losses[0]) == pytest.approx(2.0)
    inp = Input((2,))
    out = layers.Dense(1, kernel_initializer="zeros")(Penalty()(inp))
    m = Model(inp, out)
    m.compile("sgd", "mse")
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    # mse is 0 with zero weights; the loss is the penalty of one batch: 0.5 * sum(x**2) = 4
    assert m.evaluate(x, y, batch_size=4, verbose=0) == pytest.approx(4.0)


def test_non_trainable_weights_assigned_in_training_are_carried_and_written_back():
    class RunningMean(layers.Layer):
        def build(self, input_shape):
            self.mean = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False,
                                        name="mean")
            self.steps = self.add_weight(shape=(), initializer="zeros", trainable=False, name="steps")

        def call(self, x, training=None):
            if training:
                self.mean.assign(0.5 * self.mean + 0.5 * x.mean(axis=0))
                self.steps.assign_add(1.0)
            return x - self.mean

    rm = RunningMean()
    m = Sequential([Input((3,)), rm, layers.Dense(1)])
    m.compile("sgd", "mse")
    x = np.ones((8, 3), np.float32)
    m.fit(x, np.zeros((8, 1), np.float32), epochs=2, batch_size=4, verbose=0)
    assert float(rm.steps.numpy()) == 4.0
    np.testing.assert_allclose(rm.mean.numpy(), np.full(3, 1 - 0.5 ** 4), rtol=1e-6)
    before = rm.mean.numpy().copy()
    m.predict(x, verbose=0)  # inference: no update
    np.testing.assert_array_equal(rm.mean.numpy(), before)
    m.train_on_batch(x[:4], np.zeros((4, 1), np.float32))
    assert float(rm.steps.numpy()) == 5.0


def test_assigning_a_trainable_weight_while_training_is_a_clear_error():
    class Bad(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x, training=None):
            self.w.assign(self.w * 2.0)
            return x * self.w

    m = Sequential([Input((3,)), Bad(), layers.Dense(1)])
    m.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"Trainable weights were assigned inside `call` while training"):
        m.fit(X, np.zeros((8, 1), np.float32), epochs=1, verbose=0)


def test_training_argument_reaches_a_custom_layer():
    class Noisy(layers.Layer):
        def call(self, x, training=None):
            return x + 1.0 if training else x

    n = Noisy()
    np.testing.assert_array_equal(np.asarray(n(X)), X)
    np.testing.assert_array_equal(np.asarray(n(X, training=True)), X + 1.0)


def test_output_shape_inference_keeps_a_real_dimension_of_83():
    class Same(layers.Layer):
        def call(self, x):
            return x * 2.0

    t = Same()(Input((83, 2)))
    assert t.shape == (None, 83, 2)


def test_auto_config_round_trip():
    class Scaled(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

    s = Scaled(3.0, name="scaled_x")
    config = s.get_config()
    assert config["factor"] == 3.0 and config["name"] == "scaled_x"
    clone = Scaled.from_config(config)
    assert clone.factor == 3.0 and clone.name == "scaled_x"


def test_pop_of_a_layer_without_weights_is_not_run_again():
    m = Sequential([Input((3,)), layers.Dense(2, kernel_initializer="zeros", bias_initializer="zeros"),
                    layers.Activation("sigmoid")])
    m.compile("adam", "mse")
    np.testing.assert_array_equal(m.predict(X[:1], verbose=0), [[0.5, 0.5]])
    m.pop()
    m.compile("adam", "mse")
    np.testing.assert_array_equal(m.predict(X[:1], verbose=0), [[0.0, 0.0]])


def test_a_subclass_of_a_built_in_layer_reaches_its_call_with_super():
    def doubled(lib):
        class Doubled(lib.layers.Dense):
            def call(self, inputs, training=None):
                return super().call(inputs) * 2.0

        return Doubled(2)

    ours, theirs = doubled(lstmkit), doubled(keras)
    theirs(X)
    ours(X)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(np.asarray(ours(X)), np.asarray(theirs(X)), rtol=1e-6)
    m = Sequential([Input((3,)), ours])
    m.compile("sgd", "mse")
    m.fit(X, np.zeros((8, 2), np.float32), epochs=1, verbose=0)  # trains through the compiled epoch


def test_custom_layers_inside_wrappers_and_with_masks():
    class Halve(layers.Layer):
        supports_masking = True

        def call(self, x, mask=None):
            return x * 0.5

    ids = np.array([[1, 2, 0], [3, 0, 0]])
    inp = Input((3,))
    emb = layers.Embedding(5, 4, mask_zero=True)(inp)
    h = layers.TimeDistributed(Halve())(emb)
    h = Halve()(h)
    out = layers.LSTM(2)(h)
    m = Model(inp, out)
    e = np.asarray(m.layers[1].embeddings.numpy())
    ref = Model(inp, layers.LSTM(2)(layers.Embedding(5, 4, mask_zero=True)(inp)))
    ref.set_weights([e * 0.25] + m.get_weights()[1:])
    # the mask survives the custom layers: padded steps are skipped as in the reference
    np.testing.assert_allclose(m.predict(ids, verbose=0), ref.predict(ids, verbose=0), rtol=1e-5, atol=1e-6)


def test_a_mask_reaching_a_layer_that_cannot_pass_it_on_is_said_as_keras_says_it():
    inp = Input((4,))
    x = layers.Embedding(6, 3, mask_zero=True)(inp)
    out = layers.Dense(1)(layers.Flatten()(x))
    m = Model(inp, out)
    with pytest.warns(UserWarning, match=r"Layer 'flatten.*' \(of type Flatten\) was passed an input with a mask"):
        m.predict(np.array([[1, 2, 0, 0]]), verbose=0)
