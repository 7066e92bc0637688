"""Training fidelity: the same model, initial weights and data trained 20 steps (shuffle=False) in lstmkit
and in Keras 3 end with the same weights (within 1e-5 of each weight array's scale)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import optimizers as O  # noqa: E402

RNG = np.random.default_rng(21)
X = RNG.normal(size=(40, 5, 2)).astype("float32")
Y = RNG.normal(size=(40, 1)).astype("float32")
BATCH, EPOCHS = 8, 4  # 5 steps per epoch: 20 steps

CASES = {
    "sgd": (lambda: O.SGD(0.05), lambda: keras.optimizers.SGD(0.05)),
    "sgd_momentum": (lambda: O.SGD(0.05, momentum=0.9), lambda: keras.optimizers.SGD(0.05, momentum=0.9)),
    "sgd_nesterov": (lambda: O.SGD(0.05, momentum=0.9, nesterov=True),
                     lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True)),
    "adam": (lambda: O.Adam(0.01), lambda: keras.optimizers.Adam(0.01)),
    "rmsprop": (lambda: O.RMSprop(0.01), lambda: keras.optimizers.RMSprop(0.01)),
    "adagrad": (lambda: O.Adagrad(0.1), lambda: keras.optimizers.Adagrad(0.1)),
    "adam_clipnorm": (lambda: O.Adam(0.01, clipnorm=0.1), lambda: keras.optimizers.Adam(0.01, clipnorm=0.1)),
}


@pytest.fixture(scope="module")
def pair():
    k = keras.Sequential([keras.Input((5, 2)), keras.layers.LSTM(4), keras.layers.Dense(1)])
    ours = lstmkit.Sequential([lstmkit.Input((5, 2)), lstmkit.layers.LSTM(4), lstmkit.layers.Dense(1)])
    return k, ours, [np.asarray(w) for w in k.get_weights()]


@pytest.mark.parametrize("case", sorted(CASES))
def test_twenty_steps_match_keras(pair, case):
    k, ours, initial = pair
    ours_opt, keras_opt = CASES[case]
    k.set_weights(initial)
    ours.set_weights(initial)
    k.compile(keras_opt(), "mse")
    ours.compile(ours_opt(), "mse")
    k.fit(X, Y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    ours.fit(X, Y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    assert ours.optimizer.iterations == int(k.optimizer.iterations) == 20
    moved = 0.0
    for a, b, w0 in zip(ours.get_weights(), k.get_weights(), initial):
        b = np.asarray(b)
        assert np.max(np.abs(a - b)) <= 1e-5 * np.max(np.abs(b)), case
        moved = max(moved, np.max(np.abs(b - w0)))
    assert moved > 1e-3  # the comparison is between weights that actually trained
