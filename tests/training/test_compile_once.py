"""Programs are compiled once per architecture: a rebuilt model of the same architecture reuses them,
with its own weights and optimizer state, and gets the numbers it would get alone."""

import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit.models import Model, Sequential
from lstmkit.training import programs

RNG = np.random.default_rng(0)
X = RNG.normal(size=(24, 5, 2)).astype(np.float32)
Y = RNG.normal(size=(24, 1)).astype(np.float32)


def _seq(units=3, activation="tanh", name=None, **dense):
    return Sequential([L.Input((5, 2)), L.LSTM(units, activation=activation, name=name), L.Dense(1, **dense)])


def _fit(model, optimizer="adam", loss="mse", **kw):
    model.compile(optimizer, loss, metrics=["mae"])
    h = model.fit(X, Y, epochs=3, batch_size=8, verbose=0, validation_split=0.25, **kw)
    return h.history


def _traces_of(work):
    before = programs.trace_count()
    out = work()
    return programs.trace_count() - before, out


def test_a_rebuilt_model_reuses_the_programs_and_trains_as_it_would_alone():
    def work(m):
        return _fit(m), m.evaluate(X, Y, verbose=0), m.predict(X, verbose=0), m.predict(X[:1], verbose=0)

    lstmkit.utils.set_random_seed(1)
    work(_seq())
    lstmkit.utils.set_random_seed(2)
    b = _seq()
    start = b.get_weights()
    assert _traces_of(lambda: work(b))[0] == 0
    # The same model trained with no program to share: same numbers.
    programs.clear()
    c = _seq()
    c.set_weights(start)
    lstmkit.utils.set_random_seed(2)
    alone = _fit(c)
    lstmkit.utils.set_random_seed(2)
    b.set_weights(start)
    b.compile("adam", "mse", metrics=["mae"])
    shared = b.fit(X, Y, epochs=3, batch_size=8, verbose=0, validation_split=0.25).history
    for key in alone:
        np.testing.assert_allclose(shared[key], alone[key], rtol=1e-6)
    for w, v in zip(b.get_weights(), c.get_weights()):
        np.testing.assert_allclose(w, v, rtol=1e-6, atol=1e-7)


def test_names_do_not_matter_but_configs_do():
    _fit(_seq())
    assert _traces_of(lambda: _fit(_seq(name="my_lstm")))[0] == 0
    assert _traces_of(lambda: _fit(_seq(units=4)))[0] > 0
    assert _traces_of(lambda: _fit(_seq(activation="relu")))[0] > 0
    assert _traces_of(lambda: _fit(_seq(), loss="mae"))[0] > 0
    assert _traces_of(lambda: _fit(_seq(), optimizer="rmsprop"))[0] > 0


def test_the_learning_rate_is_a_value_not_part_of_the_program():
    _fit(_seq(), optimizer=lstmkit.optimizers.Adam(0.01))
    n, _ = _traces_of(lambda: _fit(_seq(), optimizer=lstmkit.optimizers.Adam(0.05)))
    assert n == 0
    # ...and it is used: a different rate gives different weights from the same start
    a, b = _seq(), _seq()
    b.set_weights(a.get_weights())
    lstmkit.utils.set_random_seed(3)
    _fit(a, optimizer=lstmkit.optimizers.Adam(0.01))
    lstmkit.utils.set_random_seed(3)
    _fit(b, optimizer=lstmkit.optimizers.Adam(0.05))
    assert not np.allclose(a.get_weights()[0], b.get_weights()[0])


def test_frozen_layers_change_the_program():
    _fit(_seq())
    m = _seq()
    m.layers[0].trainable = False
    start = m.get_weights()[0].copy()
    assert _traces_of(lambda: _fit(m))[0] > 0
    np.testing.assert_array_equal(m.get_weights()[0], start)


def test_clone_from_config_and_load_model_reuse_the_programs(tmp_path):
    a = _seq()
    _fit(a)
    clone = lstmkit.models.clone_model(a)
    again = Sequential.from_config(a.get_config())
    path = tmp_path / "m.keras"
    a.save(path)
    loaded = lstmkit.models.load_model(path)
    for m in (clone, again):
        assert _traces_of(lambda: _fit(m))[0] == 0
    # load_model restores the compiled state; its optimizer state goes on from the saved one
    assert _traces_of(lambda: loaded.fit(X, Y, epochs=1, batch_size=8, verbose=0, validation_split=0.25))[0] == 0


def test_functional_models_share_by_connections():
    def build(swap=False):
        a, b = L.Input((5, 2)), L.Input((3,))
        h = L.LSTM(3)(a)
        d = L.Dense(3)(b)
        c = L.Concatenate()([d, h] if swap else [h, d])
        return Model([a, b], L.Dense(1)(c))

    xb = RNG.normal(size=(24, 3)).astype(np.float32)

    def fit(m):
        m.compile("adam", "mse")
        return m.fit([X, xb], Y, epochs=2, batch_size=8, verbose=0)

    fit(build())
    assert _traces_of(lambda: fit(build()))[0] == 0
    assert _traces_of(lambda: fit(build(swap=True)))[0] > 0


def test_foreign_functions_share_only_with_the_same_function():
    def act(x):
        return lstmkit.ops.tanh(x)

    def other(x):  # same name in a config ('act'), another computation
        return lstmkit.ops.relu(x)

    other.__name__ = other.__qualname__ = "act"

    def build(fn):
        return Sequential([L.Input((5, 2)), L.LSTM(3), L.Dense(1, activation=fn)])

    _fit(build(act))
    assert _traces_of(lambda: _fit(build(act)))[0] == 0
    m = build(other)
    start = m.get_weights()
    assert _traces_of(lambda: m.predict(X, verbose=0))[0] > 0
    # and the numbers are its own function's
    ref = build(other)
    ref.set_weights(start)
    assert float(np.min(m.predict(X, verbose=0))) >= 0.0  # relu output


def test_a_lambda_layer_shares_only_with_the_same_function():
    fn = lambda t: t * 2.0  # noqa: E731

    def build(f):
        return Sequential([L.Input((5, 2)), L.Lambda(f), L.LSTM(3), L.Dense(1)])

    build(fn).predict(X, verbose=0)
    assert _traces_of(lambda: build(fn).predict(X, verbose=0))[0] == 0
    assert _traces_of(lambda: build(lambda t: t * 3.0).predict(X, verbose=0))[0] > 0


def test_users_layers_are_never_shared():
    class Scale(L.Layer):
        def __init__(self, factor, **kw):
            super().__init__(**kw)
            self.factor = factor  # not in get_config: its config cannot tell two apart

        def call(self, x):
            return x * self.factor

    def build(f):
        return Sequential([L.Input((5, 2)), Scale(f), L.LSTM(3), L.Dense(1)])

    assert programs.architecture_key(build(2.0)) is None
    a, b = build(2.0), build(-2.0)
    b.set_weights(a.get_weights())
    assert not np.allclose(a.predict(X, verbose=0), b.predict(X, verbose=0))


@pytest.mark.parametrize("make", [
    lambda: [L.Bidirectional(L.GRU(3, return_sequences=True)), L.SimpleRNN(2), L.Dropout(0.2), L.Dense(1)],
    lambda: [L.Conv1D(4, 2, activation="relu"), L.MaxPooling1D(2), L.LSTM(3), L.BatchNormalization(), L.Dense(1)],
    lambda: [L.Masking(), L.LSTM(3, return_sequences=True), L.TimeDistributed(L.Dense(2)), L.Flatten(), L.Dense(1)],
    lambda: [L.LSTM(3, kernel_regularizer=lstmkit.regularizers.L2(0.01), dropout=0.1), L.Dense(1)],
], ids=["recurrent", "cnn_lstm", "masked", "regularized"])
def test_everyday_architectures_are_shared(make):
    def build():
        return Sequential([L.Input((5, 2))] + make())

    assert programs.architecture_key(build()) is not None
    assert programs.architecture_key(build()) == programs.architecture_key(build())
    _fit(build())
    assert _traces_of(lambda: _fit(build()))[0] == 0


def test_datasets_of_other_sizes_share_the_program_and_keep_their_numbers():
    # 40 and 48 samples at batch 8: 5 and 6 batches, both padded to 8; the loop stops after the real ones.
    _fit(_seq())
    rng = np.random.default_rng(5)
    for n in (40, 48):
        x = rng.normal(size=(n, 5, 2)).astype(np.float32)
        y = rng.normal(size=(n, 1)).astype(np.float32)
        m = _seq()
        start = m.get_weights()
        m.compile("sgd", "mse")
        m.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)  # traces at most once per bucket
        ref = _seq()
        ref.set_weights(start)
        ref.compile("sgd", "mse")
        before = programs.trace_count()
        ref.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        assert programs.trace_count() == before
        # two SGD epochs done by hand on the real batches only
        again = _seq()
        again.set_weights(start)
        again.compile("sgd", "mse")
        for _ in range(2):
            for i in range(0, n, 8):
                again.train_on_batch(x[i:i + 8], y[i:i + 8])
        for a, b in zip(ref.get_weights(), again.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    before = programs.trace_count()
    _seq().compile("sgd", "mse")
    m = _seq()
    m.compile("sgd", "mse")
    m.fit(rng.normal(size=(44, 5, 2)).astype(np.float32), rng.normal(size=(44, 1)).astype(np.float32),
          epochs=1, batch_size=8, verbose=0, shuffle=False)
    assert programs.trace_count() == before  # 44 samples: 6 batches, the same bucket


_CROSS_PROCESS = """
import sys, numpy as np, lstmkit as lk
L = lk.layers
names = sys.argv[1] == "renamed"
if names:
    for _ in range(3):
        lk.Sequential([L.Input((3,)), L.Dense(7)])  # other layers first: every default name shifts
m = lk.Sequential([L.Input((4, 1)), L.LSTM(2, name="zz" if names else None), L.Dense(1, name="head" if names else None)])
m.compile("sgd", "mse")
m.fit(np.ones((8, 4, 1), "float32"), np.ones((8, 1), "float32"), epochs=1, batch_size=8, verbose=0)
"""


def test_the_persistent_cache_serves_a_new_process_whatever_the_names(tmp_path):
    import os
    import subprocess
    import sys

    cache = tmp_path / "cache"
    env = {**os.environ, "LSTMKIT_CACHE_DIR": str(cache), "JAX_PLATFORMS": "cpu"}

    def run(arg):
        subprocess.run([sys.executable, "-c", _CROSS_PROCESS, arg], env=env, check=True, capture_output=True)
        return sorted(p.name for p in cache.rglob("*") if p.is_file())

    first = run("plain")
    assert first  # the programs were written to the cache
    assert run("renamed") == first  # ...and found again: no new entry for new names
