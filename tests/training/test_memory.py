"""Memory: a compiled program's estimate, the clear error for a batch that cannot fit, and the LSTM's footprint.

Each test uses a shape no other test compiles, so that its program runs for the first time here (the
check runs before a program's first run with given shapes).
"""

import jax
import numpy as np
import pytest

import lstmkit
from lstmkit import _random
from lstmkit import layers as L
from lstmkit.training import memory
from lstmkit.training.engine import epochs_per_call, padded_device_arrays

F32 = 4


def _model(steps, features, units):
    m = lstmkit.Sequential([L.Input((steps, features)), L.LSTM(units), L.Dense(1)])
    m.compile("adam", "mse")
    return m


def _data(n, steps, features, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, steps, features)).astype(np.float32),
            rng.normal(size=(n, 1)).astype(np.float32))


def _fit_program(m, x, y, bs):
    """fit's whole-epoch program for (x, y) in batches of bs, compiled (not run), and its arguments."""
    train = m._prepare_data(x, y, None, None)
    eng = m._engine
    run = eng.run_epochs_fn(bs, True, 0, train.batches, None)
    data, n_pad = padded_device_arrays(train, bs)
    tv, ntv = eng.split_values()
    args = ((tv, ntv, m._opt_state_for(eng, tv), m._states()), data, (),
            np.zeros((epochs_per_call(n_pad, True), n_pad), np.int32), _random.next_key(), np.int32(0),
            np.int32(1), np.int32(train.n), np.int32(0))
    return run.lower(*args).compile(), args


def test_the_estimate_of_a_small_program_is_its_arguments_outputs_and_temporaries():
    steps, features, units, bs = 16, 2, 32, 64
    m = _model(steps, features, units)
    x, y = _data(bs, steps, features)
    compiled, args = _fit_program(m, x, y, bs)
    figures = memory.estimate(compiled)
    # The arguments are the arrays passed (weights, optimizer state, data, sample orders, scalars), less
    # the few scalars the program does not read (jax.jit drops unused arguments).
    passed = sum(np.asarray(a).nbytes for a in jax.tree_util.tree_leaves(args))
    assert passed - 64 <= figures["arguments"] <= passed
    # The temporaries hold at least what the LSTM's backward pass needs of every step (gates, tanh of the
    # cell state, previous h and c: 7 x units per sample and step), and not many times that.
    residuals = 7 * steps * bs * units * F32
    assert residuals <= figures["temporaries"] <= 3 * residuals
    assert figures["total"] == (figures["arguments"] + figures["outputs"] + figures["temporaries"]
                                - figures["aliased"])


def test_the_lstm_training_program_needs_less_memory_than_keras():
    """LSTM(64), batch 4000, 20 steps: the compiled fit program's temporaries in units of one
    (steps, batch, units) float32 array. Before the fix 20.3 units (415.8 MB): every step's outputs
    stacked though only the last was used, the bias added in a second (steps, batch, 4 units) buffer, and the
    inputs' error signals given a fresh one. Now 12.2 units; Keras 3's train step on JAX takes 13.8 (282.6 MB)."""
    steps, features, units, bs = 20, 3, 64, 4000
    m = _model(steps, features, units)
    x, y = _data(bs, steps, features)
    compiled, _ = _fit_program(m, x, y, bs)
    unit = steps * bs * units * F32
    assert compiled.memory_analysis().temp_size_in_bytes < 13.5 * unit


def test_a_batch_that_cannot_fit_is_a_clear_error_before_running(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda device=None: (100, "test memory"))
    m = _model(7, 2, 5)
    x, y = _data(48, 7, 2)
    before = m.get_weights()
    with pytest.raises(memory.ResourceExhaustedError) as info:
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    error = info.value
    assert isinstance(error, MemoryError) and isinstance(error, RuntimeError)
    text = str(error)
    assert "fit(batch_size=16)" in text and "is available (test memory)" in text
    # Available: the memory free plus the arguments already in device memory (the data put there by fit).
    assert error.batch_size == 16 and error.available > 100 and error.required > error.available
    assert f"about {memory._size(error.required)}" in text and f"{memory._size(error.available)} is" in text
    for w, v in zip(m.get_weights(), before):  # nothing ran
        np.testing.assert_array_equal(w, v)
    # Asked again, the same program is checked again (not run from the compiled cache unchecked).
    with pytest.raises(memory.ResourceExhaustedError, match=r"fit\(batch_size=16\)"):
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    with pytest.raises(memory.ResourceExhaustedError, match=r"predict\(batch_size=8\)"):
        m.predict(x, batch_size=8, verbose=0)
    monkeypatch.undo()
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)  # with the memory there, it trains


def test_an_allocation_that_fails_while_running_is_the_same_clear_error(monkeypatch):
    real = jax.block_until_ready
    failed = []

    def fail_once(out):
        if not failed:
            failed.append(True)
            raise jax.errors.JaxRuntimeError("RESOURCE_EXHAUSTED: Out of memory allocating 123456789 bytes.")
        return real(out)

    monkeypatch.setattr(jax, "block_until_ready", fail_once)
    m = _model(9, 2, 5)
    x, y = _data(40, 9, 2)
    with pytest.raises(memory.ResourceExhaustedError) as info:
        m.fit(x, y, batch_size=20, epochs=1, verbose=0)
    text = str(info.value)
    assert "fit(batch_size=20)" in text and "Out of memory allocating 123456789 bytes" in text
    assert "Its estimate is about" in text and info.value.__cause__ is None
    m.fit(x, y, batch_size=20, epochs=1, verbose=0)  # the next call runs (checked again first)


def test_the_available_memory_is_read_from_the_system():
    free, where = memory.available_bytes()
    assert free > 0 and isinstance(where, str)
