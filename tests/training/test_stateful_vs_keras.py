"""Stateful RNNs in fit / evaluate / predict against Keras 3: loss history, weights and states.

Keras 3 documents that a stateful RNN starts each batch from the states the previous batch left,
until the user resets them; fit, evaluate and predict never reset them (nothing in
keras/src/trainers/ or the callbacks calls `reset_state`), across epochs, into validation and back.
Its TensorFlow and PyTorch backends do exactly that. Its JAX backend does not: the state variables
are created untracked (`no_automatic_dependency_tracking` in keras/src/layers/rnn/rnn.py), so the
JAX trainer's pure step neither receives nor returns them — every batch of fit / evaluate / predict
starts from the value the variable had when the step was traced (baked in as a constant), and the
states after fit are the states before it. lstmkit follows the documented behaviour, so the Keras
reference below is built from Keras's own eager calls, which do carry states: for each batch, the
eager forward pass gives the next states (computed with the pre-update weights, as Keras's
TensorFlow / PyTorch train steps do), and a run_eagerly `train_on_batch` started from the carried
states gives the loss and the weight update.
"""

import keras
import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit.models import Sequential
from lstmkit.utils import Sequence

BATCH, STEPS, FEATURES = 4, 5, 2
RNG = np.random.default_rng(11)
X = RNG.normal(size=(8, STEPS, FEATURES)).astype("float32")  # two batches: a carry inside each epoch
Y = RNG.normal(size=(8, 1)).astype("float32")
VX = RNG.normal(size=(4, STEPS, FEATURES)).astype("float32")
VY = RNG.normal(size=(4, 1)).astype("float32")


def _pair(cell="LSTM", stacked=False):
    def layers(mod):
        extra = [mod.LSTM(3, stateful=True, return_sequences=True)] if stacked else []
        return extra + [getattr(mod, cell)(3, stateful=True), mod.Dense(1)]

    km = keras.Sequential([keras.Input(batch_shape=(BATCH, STEPS, FEATURES))] + layers(keras.layers))
    m = Sequential([L.Input(batch_shape=(BATCH, STEPS, FEATURES))] + layers(L))
    m.set_weights(km.get_weights())
    km.compile(keras.optimizers.SGD(0.1), "mse", run_eagerly=True)
    m.compile(lstmkit.optimizers.SGD(0.1), "mse")
    return km, m


def _rnns(model):
    return [layer for layer in model.layers if getattr(layer, "stateful", False)]


def _keras_states(km):
    return [[np.asarray(v.value) for v in layer.states] for layer in _rnns(km)]


def _set_keras_states(km, states):
    for layer, values in zip(_rnns(km), states):
        for v, value in zip(layer.states, values):
            v.assign(value)


def _keras_train_batch(km, xb, yb):
    before = _keras_states(km)
    km(xb, training=True)  # eager: assigns the states this batch leaves
    after = _keras_states(km)
    _set_keras_states(km, before)
    loss = km.train_on_batch(xb, yb)  # eager, starts from `before`; its own state updates are dropped
    _set_keras_states(km, after)
    return loss


def _keras_predict(km, x):
    return np.concatenate([np.asarray(km(x[i:i + BATCH])) for i in range(0, len(x), BATCH)])


def _keras_evaluate(km, x, y):
    return float(np.mean((_keras_predict(km, x) - y) ** 2))


def _keras_fit(km, x, y, epochs, validation_data=None, orders=None):
    history = {"loss": [], **({"val_loss": []} if validation_data else {})}
    for epoch in range(epochs):
        order = orders[epoch] if orders is not None else np.arange(len(x))
        xs, ys = x[order], y[order]
        losses = [_keras_train_batch(km, xs[i:i + BATCH], ys[i:i + BATCH]) for i in range(0, len(x), BATCH)]
        history["loss"].append(float(np.mean(losses)))
        if validation_data:
            history["val_loss"].append(_keras_evaluate(km, *validation_data))
    return history


def _assert_same(km, m, keras_history, history):
    assert history.keys() == keras_history.keys()
    for k in history:
        np.testing.assert_allclose(history[k], keras_history[k], rtol=1e-5, atol=1e-6, err_msg=k)
    for a, b in zip(m.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)
    for ours, theirs in zip(_rnns(m), _keras_states(km)):
        assert len(ours._states) == len(theirs)
        for a, b in zip(ours._states, theirs):
            np.testing.assert_allclose(np.asarray(a), b, atol=1e-6)


# Keras 3's compiled JAX fit does not carry a stateful RNN's states from batch to batch (its state
# variables are untracked, so the stateless training step drops their assignments): its fit loss equals
# a reset before every batch. lstmkit carries them, as Keras documents and its TF/torch trainers do;
# the reference above is built from Keras calls that carry states. (Not pinned as a test: the Keras
# behaviour depends on what else compiled in the process.)


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "SimpleRNN"])
def test_fit_epochs_validation_evaluate_predict_carry_states_as_keras(cell):
    km, m = _pair(cell)
    keras_history = _keras_fit(km, X, Y, 2, validation_data=(VX, VY))
    history = m.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0, validation_data=(VX, VY)).history
    _assert_same(km, m, keras_history, history)
    # evaluate, then predict, go on from the state fit left
    np.testing.assert_allclose(m.evaluate(X, Y, batch_size=BATCH, verbose=0), _keras_evaluate(km, X, Y), rtol=1e-5)
    np.testing.assert_allclose(m.predict(X, batch_size=BATCH, verbose=0), _keras_predict(km, X), atol=1e-5)
    _assert_same(km, m, {}, {})


def test_states_carried_from_before_fit_and_kept_until_reset():
    """Two stacked stateful layers; fit starts from the states an earlier call left, and from zeros after a reset."""
    km, m = _pair(stacked=True)
    km(X[:BATCH])
    m.predict(X[:BATCH], batch_size=BATCH, verbose=0)  # both now hold the states of a first batch
    _assert_same(km, m, _keras_fit(km, X, Y, 1), m.fit(X, Y, batch_size=BATCH, shuffle=False, verbose=0).history)
    for layer in _rnns(km):
        layer.reset_state()
    m.reset_states()
    _assert_same(km, m, _keras_fit(km, X, Y, 1), m.fit(X, Y, batch_size=BATCH, shuffle=False, verbose=0).history)


class _BatchHook(lstmkit.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        pass


def test_whole_epoch_per_batch_and_sequence_paths_match_keras():
    """fit's whole-epoch program, its one-step-per-batch path (a batch-hook callback) and a Sequence."""
    km, m = _pair()
    per_batch, on_sequence = (Sequential.from_config(m.get_config()) for _ in range(2))
    for model in (per_batch, on_sequence):
        model.set_weights(m.get_weights())
        model.compile(lstmkit.optimizers.SGD(0.1), "mse")
    keras_history = _keras_fit(km, X, Y, 2, validation_data=(VX, VY))

    class Batches(Sequence):
        def __len__(self):
            return len(X) // BATCH

        def __getitem__(self, i):
            return X[i * BATCH:(i + 1) * BATCH], Y[i * BATCH:(i + 1) * BATCH]

    fits = [m.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0, validation_data=(VX, VY)),
            per_batch.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0, validation_data=(VX, VY),
                          callbacks=[_BatchHook()]),
            on_sequence.fit(Batches(), epochs=2, shuffle=False, verbose=0, validation_data=(VX, VY))]
    for model, fit in zip((m, per_batch, on_sequence), fits):
        _assert_same(km, model, keras_history, fit.history)


def test_shuffle_true_shuffles_samples_and_carries_states_as_keras(monkeypatch):
    """Keras 3 shuffles a stateful model's samples too (its data adapters do not look at statefulness);
    lstmkit does the same and warns. The Keras reference is given lstmkit's sample orders."""
    orders = []
    real_default_rng = np.random.default_rng

    class Recording:
        def __init__(self, *args, **kwargs):
            self._rng = real_default_rng(*args, **kwargs)

        def permutation(self, n):
            order = self._rng.permutation(n)
            orders.append(order)
            return order

        def __getattr__(self, name):
            return getattr(self._rng, name)

    km, m = _pair()
    monkeypatch.setattr(np.random, "default_rng", Recording)
    with pytest.warns(UserWarning, match="shuffle=False"):
        history = m.fit(X, Y, batch_size=BATCH, epochs=2, verbose=0).history
    monkeypatch.undo()
    assert len(orders) == 2 and not all(np.array_equal(o, np.arange(len(X))) for o in orders)
    _assert_same(km, m, _keras_fit(km, X, Y, 2, orders=orders), history)


@pytest.mark.parametrize("size", [2, 8])
def test_generator_batch_of_another_size_is_refused_as_in_keras(size):
    """Keras refuses a batch whose size is not the stateful batch size; lstmkit used to start states of
    the batch's own size instead."""
    def batches(with_y=True):
        yield (X[:size], Y[:size]) if with_y else X[:size]

    km, m = _pair()
    km.compile("sgd", "mse")
    with pytest.raises(ValueError, match="batch size of the input sequences must be the same"):
        km.fit(batches(), verbose=0)
    for call in (lambda: m.fit(batches(), verbose=0), lambda: m.evaluate(batches(), verbose=0),
                 lambda: m.predict(batches(False), verbose=0)):
        with pytest.raises(ValueError, match=rf"batch size {BATCH}, but .*\b{size}\b"):
            call()
    assert np.shape(m.layers[0]._states[0]) == (BATCH, 3)


def test_short_generator_batch_and_uneven_validation_arrays_are_refused_as_in_keras():
    """Padding a short batch would carry the padding rows' states into the next batch; Keras refuses it."""
    def batches(with_y=True):
        for size in (BATCH, BATCH - 1):
            yield (X[:size], Y[:size]) if with_y else X[:size]

    km, m = _pair()
    km.compile("sgd", "mse")
    with pytest.raises(ValueError, match="batch size of the input sequences must be the same"):
        km.fit(batches(), verbose=0)
    for call in (lambda: m.fit(batches(), verbose=0), lambda: m.evaluate(batches(), verbose=0),
                 lambda: m.predict(batches(False), verbose=0),
                 lambda: m.fit(iter([(X[:BATCH], Y[:BATCH])]), validation_data=batches(), verbose=0)):
        with pytest.raises(ValueError, match=f"built for batch size {BATCH}, but a batch given to .* has {BATCH - 1} "):
            call()
    with pytest.raises(ValueError, match=r"divisible by its batch size: fit \(validation\)\(\) got 6 samples"):
        m.fit(iter([(X[:BATCH], Y[:BATCH])]), validation_data=(X[:6], Y[:6]), verbose=0)
