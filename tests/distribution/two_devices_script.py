"""Run by test_two_devices.py in a subprocess with two CPU devices
(XLA_FLAGS=--xla_force_host_platform_device_count=2): trains the same tiny models on one device and
under each distribution, and prints one JSON line of what the test checks."""

import json
import sys

import jax
import numpy as np

from lstmkit import distribution as dist
from lstmkit import layers, models, utils
from lstmkit.data import WindowedSeries
from lstmkit.training import many

EPOCHS, BS = 3, 8
rng = np.random.default_rng(0)
X = rng.normal(size=(40, 6, 3)).astype("float32")
Y = rng.normal(size=(40, 1)).astype("float32")
SERIES = np.sin(np.arange(60, dtype="float32") / 4)[:, None]


def build(features=3):
    utils.set_random_seed(1)
    m = models.Sequential([layers.Input((6, features)), layers.LSTM(4, return_sequences=True), layers.LSTM(4),
                           layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return m


def rel(a, b):
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y))) / (np.max(np.abs(np.asarray(x))) + 1e-12))
               for x, y in zip(a, b))


def arrays_run():
    m = build()
    m.fit(X, Y, batch_size=BS, epochs=EPOCHS, shuffle=False, verbose=0)
    tb = m.train_on_batch(X[:BS], Y[:BS])
    return m, m.get_weights(), m.predict(X, verbose=0), m.evaluate(X, Y, verbose=0), tb


def windows_run():
    m = build(features=1)
    m.fit(WindowedSeries(SERIES, window=6), batch_size=BS, epochs=EPOCHS, shuffle=False, verbose=0)
    return m.get_weights()


def generator_run():
    def batches():
        for epoch in range(EPOCHS):
            for s in range(0, 40, BS):
                yield X[s:s + BS], Y[s:s + BS]

    m = build()
    m.fit(batches(), steps_per_epoch=40 // BS, epochs=EPOCHS, verbose=0)
    return m.get_weights()


def many_run():
    fit = many.fit_many(build, X, Y, n=2, epochs=EPOCHS, batch_size=BS, shuffle=False, seed=[1, 2])
    return [w for m in fit.models for w in m.get_weights()]


def epoch_program_text(m):
    """The compiled text of the model's epoch program (no validation, no shuffling) under the current
    distribution, lowered with the arguments `fit` passes."""
    from lstmkit.training.engine import padded_device_arrays

    eng = m._engine
    train = m._prepare_data(X, Y)
    data, _ = padded_device_arrays(train, BS)
    tv, ntv = eng.split_values()
    carry = (tv, ntv, m._opt_state_for(eng, tv), m._states())
    lowered = eng.run_epochs_fn(BS, False, 0, train.batches).lower(
        carry, data, (), np.zeros((0,), np.int32), np.zeros(2, np.uint32), np.int32(0), np.int32(1), np.int32(40),
        np.int32(0))
    return lowered.compile().as_text()


out = {"devices": len(jax.devices())}
ref_model, ref_w, ref_p, ref_e, ref_tb = arrays_run()
ref_windows, ref_gen, ref_many = windows_run(), generator_run(), many_run()

with dist.DataParallel().scope():
    m, w, p, e, tb = arrays_run()
    out["dp_weights"] = rel(ref_w, w)
    out["dp_predict"] = float(np.max(np.abs(ref_p - p)))
    out["dp_evaluate"] = rel(ref_e, e)
    out["dp_train_on_batch"] = rel(ref_tb, tb)
    out["dp_weight_sharding"] = str(m.weights[0].value.sharding.spec)
    out["dp_weight_devices"] = len(m.weights[0].value.sharding.device_set)
    # the epoch program itself: split in two, the gradients summed by an all-reduce inside it
    text = epoch_program_text(m)
    out["dp_all_reduces"] = text.count("all-reduce(")
    out["dp_partitions"] = "num_partitions=2" in text
    out["dp_windows"] = rel(ref_windows, windows_run())
    out["dp_generator"] = rel(ref_gen, generator_run())
    out["many_models"] = rel(ref_many, many_run())
    try:
        build().fit(X, Y, batch_size=5, epochs=1, verbose=0)
        out["odd_batch_error"] = None
    except ValueError as err:
        out["odd_batch_error"] = str(err)
    # a stateful model's batch of 5 cannot be split either: an error in every mode, before compiling
    utils.set_random_seed(1)
    stateful = models.Sequential([layers.Input((6, 3), batch_size=5), layers.LSTM(4, stateful=True), layers.Dense(1)])
    stateful.compile(optimizer="adam", loss="mse")
    try:
        stateful.predict(X[:10], batch_size=5, verbose=0)
        out["stateful_error"] = None
    except ValueError as err:
        out["stateful_error"] = str(err)

mesh = dist.DeviceMesh((1, 2), ["batch", "model"])
layout_map = dist.LayoutMap(mesh)
layout_map["lstm.*/kernel"] = (None, "model")
layout_map["lstm.*/recurrent_kernel"] = (None, "model")
with dist.ModelParallel(layout_map=layout_map, batch_dim_name="batch").scope():
    m, w, p, e, tb = arrays_run()
    out["mp_weights"] = rel(ref_w, w)
    out["mp_predict"] = float(np.max(np.abs(ref_p - p)))
    out["mp_kernel_sharding"] = str(m.weights[0].value.sharding.spec)

# after the scope: the same model trains on one device again, with its single-device programs
ref_model.fit(X, Y, batch_size=BS, epochs=1, shuffle=False, verbose=0)
out["after_scope_devices"] = len(ref_model.weights[0].value.sharding.device_set)
print("RESULT " + json.dumps(out))
sys.stdout.flush()
