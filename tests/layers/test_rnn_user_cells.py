"""`RNN` over cells written the Keras way (`class Cell(Layer)`, `self.kernel = self.add_weight(...)`,
`call(self, inputs, states)`): Keras 3's own expected numbers, the same numbers as Keras on random
weights, autodiff through the generic scan, and `fit`."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402
from lstmkit import ops as lops  # noqa: E402
from lstmkit.layers.base import CallContext  # noqa: E402


def cell_classes(base, ops):
    """Keras's test cells (keras/src/layers/rnn/rnn_test.py) and the docs' MinimalRNNCell, on `base`/`ops`."""

    class OneStateRNNCell(base):
        def __init__(self, units, state_size=None, init="ones", **kwargs):
            super().__init__(**kwargs)
            self.units, self.init = units, init
            self.state_size = state_size if state_size else units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer=self.init, name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer=self.init,
                                                    name="recurrent_kernel")

        def call(self, inputs, states):
            output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
            return output, [output]

    class TwoStatesRNNCell(base):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = [units, units]
            self.output_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones", name="kernel")
            self.recurrent_kernel_1 = self.add_weight(shape=(self.units, self.units), initializer="ones",
                                                      name="recurrent_kernel_1")
            self.recurrent_kernel_2 = self.add_weight(shape=(self.units, self.units), initializer="ones",
                                                      name="recurrent_kernel_2")

        def call(self, inputs, states):
            h = ops.matmul(inputs, self.kernel)
            output_1 = h + ops.matmul(states[0], self.recurrent_kernel_1)
            output_2 = h + ops.matmul(states[0], self.recurrent_kernel_2)
            return output_1 + output_2, [output_1, output_2]

    class MinimalRNNCell(base):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                    name="recurrent_kernel")

        def call(self, inputs, states):
            prev_output = states[0]
            h = ops.matmul(inputs, self.kernel)
            output = h + ops.matmul(prev_output, self.recurrent_kernel)
            return output, [output]

    return OneStateRNNCell, TwoStatesRNNCell, MinimalRNNCell


OneState, TwoStates, Minimal = cell_classes(L.Layer, lops)
KOneState, KTwoStates, KMinimal = cell_classes(keras.layers.Layer, keras.ops)
SEQ = np.arange(24).reshape((2, 3, 4)).astype("float32")


# ----------------------------------------------------------------------------------------------- Keras's numbers
def test_keras_expected_numbers_single_and_two_states():
    ones = np.ones((1, 2, 3), "float32")
    np.testing.assert_allclose(L.RNN(OneState(2))(ones), [[9.0, 9.0]])
    np.testing.assert_allclose(L.RNN(OneState(2), return_sequences=True)(ones), [[[3.0, 3.0], [9.0, 9.0]]])
    out, s1, s2 = L.RNN(TwoStates(2), return_state=True)(ones)
    np.testing.assert_allclose(out, [[18.0, 18.0]])
    np.testing.assert_allclose(s1, [[9.0, 9.0]])
    np.testing.assert_allclose(s2, [[9.0, 9.0]])
    out = L.RNN(OneState(2))(np.ones((2, 3, 2), "float32"), initial_state=np.ones((2, 2), "float32"))
    np.testing.assert_allclose(out, [[22.0, 22.0]] * 2)
    out = L.RNN(TwoStates(2))(np.ones((2, 3, 2), "float32"), initial_state=[np.ones((2, 2))] * 2)
    np.testing.assert_allclose(out, [[44.0, 44.0]] * 2)


def test_keras_expected_numbers_stateful_backwards_and_masked():
    ones = np.ones((1, 2, 3), "float32")
    layer = L.RNN(OneState(2), stateful=True)
    layer(ones)
    np.testing.assert_allclose(layer(ones), [[45.0, 45.0]])
    layer = L.RNN(TwoStates(2), stateful=True)
    layer(ones)
    np.testing.assert_allclose(layer(ones), [[90.0, 90.0]])
    np.testing.assert_allclose(L.RNN(OneState(2), go_backwards=True)(SEQ), [[202.0, 202.0], [538.0, 538.0]])
    seq = np.arange(24).reshape((2, 4, 3)).astype("float32")
    mask = np.array([[True, True, True, False], [True, True, False, False]])
    for unroll in (False, True):
        np.testing.assert_allclose(L.RNN(OneState(2), unroll=unroll)(seq, mask=mask), [[57.0, 57.0], [126.0, 126.0]])
        np.testing.assert_allclose(
            L.RNN(OneState(2), return_sequences=True, unroll=unroll)(seq, mask=mask),
            [[[3, 3], [18, 18], [57, 57], [57, 57]], [[39, 39], [126, 126], [126, 126], [126, 126]]])


def test_keras_expected_numbers_of_stacks():
    np.testing.assert_allclose(L.RNN([OneState(3), OneState(2)])(SEQ), [[786.0, 786.0], [4386.0, 4386.0]])
    out, s1, s2 = L.RNN([OneState(3), OneState(2)], return_sequences=True, return_state=True)(SEQ)
    np.testing.assert_allclose(out[:, 1], [[156.0, 156.0], [1020.0, 1020.0]])
    np.testing.assert_allclose(s1, [[158.0] * 3, [782.0] * 3])
    np.testing.assert_allclose(s2, [[786.0, 786.0], [4386.0, 4386.0]])
    out, s1, s2 = L.RNN([TwoStates(3), TwoStates(2)], return_state=True)(SEQ)
    np.testing.assert_allclose(out, [[3144.0, 3144.0], [17544.0, 17544.0]])
    np.testing.assert_allclose(s2[0], [[1572.0, 1572.0], [8772.0, 8772.0]])
    layer = L.RNN([TwoStates(3), TwoStates(2)], stateful=True)
    layer(SEQ)
    np.testing.assert_allclose(layer(SEQ), [[136368.0, 136368.0], [692784.0, 692784.0]])


# ----------------------------------------------------------------------------------------------- against Keras
RNG = np.random.default_rng(4)
X = RNG.normal(size=(3, 5, 2)).astype("float32")
MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [0, 1, 1, 0, 1]], bool)

STACKS = {
    "minimal": (lambda: Minimal(4), lambda: KMinimal(4)),
    "two_states": (lambda: TwoStates(3), lambda: KTwoStates(3)),
    # bare per-cell states (no get_initial_state): Keras's masked output is then the first cell's state
    # (so the cells need one size; Keras fails on [3, 2] too)
    "one_state_stack": (lambda: [OneState(3, init="uniform"), OneState(3, init="uniform")],
                        lambda: [KOneState(3, init="uniform"), KOneState(3, init="uniform")]),
    "with_stock_cells": (lambda: [Minimal(2), L.LSTMCell(2)], lambda: [KMinimal(2), keras.layers.LSTMCell(2)]),
    "stock_then_user": (lambda: [L.GRUCell(3), TwoStates(2)], lambda: [keras.layers.GRUCell(3), KTwoStates(2)]),
}
OPTIONS = {
    "last": {},
    "sequences_states": {"return_sequences": True, "return_state": True},
    "backwards_masked": {"return_sequences": True, "go_backwards": True, "mask": True, "return_state": True},
    "zero_output_masked": {"return_sequences": True, "zero_output_for_mask": True, "mask": True},
    "unrolled_masked": {"return_sequences": True, "unroll": True, "mask": True},
}


@pytest.mark.parametrize("option", sorted(OPTIONS))
@pytest.mark.parametrize("name", sorted(STACKS))
def test_user_cells_match_keras(name, option):
    ours, theirs = STACKS[name]
    opts = dict(OPTIONS[option])
    mask = MASK if opts.pop("mask", False) else None
    k = keras.layers.RNN(theirs(), **opts)
    k(X)
    weights = [RNG.uniform(-0.5, 0.5, size=w.shape).astype("float32") for w in k.get_weights()]
    k.set_weights(weights)
    m = L.RNN(ours(), **opts)
    m(X)
    m.set_weights(weights)
    a = [np.asarray(v) for v in jax.tree_util.tree_leaves(m(X, mask=mask))]
    b = [np.asarray(v) for v in jax.tree_util.tree_leaves(k(X, mask=mask))]
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=2e-5, atol=2e-6)


# ----------------------------------------------------------------------------------------------- training
def test_gradients_through_the_generic_scan_equal_the_same_cell_built_in():
    """MinimalRNNCell is SimpleRNNCell without bias or activation: same weights, same gradients."""
    user = L.RNN(Minimal(3), return_sequences=True)
    stock = L.RNN(L.SimpleRNNCell(3, activation=None, use_bias=False), return_sequences=True)
    user(X), stock(X)
    weights = [RNG.uniform(-0.5, 0.5, size=w.shape).astype("float32") for w in stock.get_weights()]
    user.set_weights(weights), stock.set_weights(weights)
    mask = jnp.asarray(MASK)

    def loss(layer, params):
        out = layer.call(params, jnp.asarray(X), CallContext(), mask=mask)
        return jnp.sum(jnp.sin(out))

    gu = jax.grad(lambda p: loss(user, p))(user.current_params())["cell"]
    gs = jax.grad(lambda p: loss(stock, p))(stock.current_params())["cell"]
    assert set(gu) == {"kernel", "recurrent_kernel"}
    for name in gu:
        np.testing.assert_allclose(np.asarray(gu[name]), np.asarray(gs[name]), rtol=1e-5, atol=1e-6)
        assert np.any(np.asarray(gu[name]))


def test_fit_trains_a_user_cell_in_compiled_epochs():
    lstmkit.utils.set_random_seed(0)
    x = RNG.normal(size=(32, 5, 2)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None] * 0.3
    model = lstmkit.Sequential([lstmkit.Input((5, 2)), L.RNN(Minimal(4)), L.Dense(1)])
    assert model.count_params() == 2 * 4 + 4 * 4 + 4 + 1
    model.compile(lstmkit.optimizers.Adam(0.02), "mse")
    before = [w.copy() for w in model.layers[0].get_weights()]
    history = model.fit(x, y, epochs=30, batch_size=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    after = model.layers[0].get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(before, after))
    np.testing.assert_allclose(model.predict(x[:4], verbose=0), model(x[:4]), rtol=1e-5, atol=1e-6)


def test_user_cell_config_needs_custom_objects_and_round_trips():
    from lstmkit.layers.recurrent import RNN

    layer = L.RNN(Minimal(4), return_sequences=True)
    config = layer.get_config()
    assert config["cell"]["class_name"] == "MinimalRNNCell"
    with pytest.raises(ValueError, match="MinimalRNNCell"):
        RNN.from_config(config)
    again = RNN.from_config(config, custom_objects={"MinimalRNNCell": Minimal})
    assert isinstance(again.cell, Minimal) and again.cell.units == 4 and again.return_sequences


# ----------------------------------------------------------------------------------------------- DropoutRNNCell
class RNNCellWithDropout(L.Layer, L.DropoutRNNCell):
    """Keras's dropout_rnn_cell_test cell."""

    def __init__(self, units, dropout=0.5, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = lstmkit.random.SeedGenerator(seed)
        self.units, self.state_size = units, units
        self.dropout, self.recurrent_dropout = dropout, recurrent_dropout

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="zeros",
                                                name="recurrent_kernel")

    def call(self, inputs, states, training=False):
        if training:
            inputs = inputs * self.get_dropout_mask(inputs)
        prev_output = states[0]
        if training and self.recurrent_dropout:
            prev_output = prev_output * self.get_recurrent_dropout_mask(prev_output)
        output = lops.matmul(inputs, self.kernel) + lops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]


def test_dropout_rnn_cell_masks_are_drawn_once_per_sequence():
    x = np.repeat(RNG.normal(size=(4, 1, 6)).astype("float32"), 5, axis=1)  # the same input at every step
    cell = RNNCellWithDropout(3, dropout=0.5, seed=7)
    layer = L.RNN(cell, return_sequences=True)
    plain = np.asarray(layer(x))
    dropped = np.asarray(layer(x, training=True))
    assert not np.allclose(dropped, plain)
    np.testing.assert_allclose(dropped, np.repeat(dropped[:, :1], 5, axis=1), rtol=1e-6)  # one mask, every step
    assert getattr(cell, "_dropout_mask", None) is None  # cleared after the call: no traced value kept
    again = np.asarray(layer(x, training=True))
    assert not np.allclose(again, dropped)  # a new mask for the next sequence


def test_dropout_rnn_cell_trains_in_a_stack():
    lstmkit.utils.set_random_seed(1)
    x = RNG.normal(size=(16, 4, 3)).astype("float32")
    y = x[:, -1, :1]
    model = lstmkit.Sequential([lstmkit.Input((4, 3)),
                                L.RNN([RNNCellWithDropout(4, dropout=0.3, recurrent_dropout=0.3, seed=1),
                                       L.GRUCell(2)]),
                                L.Dense(1)])
    model.compile(lstmkit.optimizers.Adam(0.01), "mse")
    losses = model.fit(x, y, epochs=3, batch_size=8, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses))


# ----------------------------------------------------------------------------------------------- subclassed stock cells
def _doubled(lib, base):
    class Doubled(getattr(lib.layers, base)):
        def call(self, inputs, states, training=None):
            out, new = super().call(inputs, states, training=training)
            return out * 2.0, new

    return Doubled(3)


@pytest.mark.parametrize("base", ["LSTMCell", "GRUCell"])
def test_a_subclassed_stock_cell_runs_its_own_call(base, monkeypatch):
    from lstmkit._kernels import fused as fused_ops

    k = keras.layers.RNN(_doubled(keras, base), return_sequences=True)
    k(X)
    m = L.RNN(_doubled(lstmkit, base), return_sequences=True)
    m(X)
    weights = [RNG.uniform(-0.5, 0.5, size=w.shape).astype("float32") for w in k.get_weights()]
    k.set_weights(weights)
    m.set_weights(weights)
    monkeypatch.setattr(fused_ops, "fused_rnn_scan", lambda *a, **kw: pytest.fail("the stock kernel ran"))
    np.testing.assert_allclose(np.asarray(m(X, mask=MASK)), np.asarray(k(X, mask=MASK)), rtol=2e-5, atol=2e-6)
    assert not m.traces_steps()


def test_bidirectional_over_a_user_cell_matches_keras():
    def make(lib, cell):
        return lib.layers.Bidirectional(lib.layers.RNN(cell, return_sequences=True), merge_mode="sum")

    with keras.saving.custom_object_scope({"MinimalRNNCell": KMinimal}):  # Keras copies by config too
        k = make(keras, KMinimal(3))
    m = make(lstmkit, Minimal(3))  # lstmkit finds the classes of the layer it copies
    k(X)
    m(X)
    weights = [RNG.uniform(-0.5, 0.5, size=w.shape).astype("float32") for w in k.get_weights()]
    k.set_weights(weights)
    m.set_weights(weights)
    assert isinstance(m.backward_layer.cell, Minimal) and m.backward_layer.cell is not m.forward_layer.cell
    np.testing.assert_allclose(np.asarray(m(X, mask=MASK)), np.asarray(k(X, mask=MASK)), rtol=2e-5, atol=2e-6)


def test_a_loss_added_inside_a_cell_step_is_refused_not_dropped():
    class LossyCell(Minimal):
        def call(self, inputs, states):
            self.add_loss(lops.sum(inputs))
            return super().call(inputs, states)

    with pytest.raises(NotImplementedError, match="loss in its step"):
        L.RNN(LossyCell(2))(X)
