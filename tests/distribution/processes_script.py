"""Run by test_processes.py as each of two processes of one cluster on 127.0.0.1 (Gloo), with
KERAS_DISTRIBUTION_JOB_ADDRESSES / _NUM_PROCESSES / _PROCESS_ID set: trains the same tiny model on
this process's one device and then data-parallel over both processes, writes what it got to
`argv[1]`, then process 1 dies and process 0 trains again, which must fail with a clear error."""

import os
import sys
import time

import numpy as np

from lstmkit import distribution as dist

dist.initialize()  # before any computation, from the KERAS_DISTRIBUTION_* variables

import jax

from lstmkit import layers, models, utils

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 6, 3)).astype("float32")
Y = rng.normal(size=(40, 1)).astype("float32")


def build():
    utils.set_random_seed(1)
    m = models.Sequential([layers.Input((6, 3)), layers.LSTM(4, return_sequences=True), layers.LSTM(4),
                           layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return m


def run():
    m = build()
    m.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    return m, m.get_weights(), m.predict(X, verbose=0), np.asarray(m.evaluate(X, Y, verbose=0))


_, ref_w, ref_p, ref_e = run()  # no distribution: this process's own device
dist.set_distribution(dist.DataParallel())
model, w, p, e = run()
np.savez(sys.argv[1], processes=jax.process_count(), devices=len(jax.devices()), ref_p=ref_p, ref_e=ref_e, p=p, e=e,
         **{f"ref_w{i}": a for i, a in enumerate(ref_w)}, **{f"w{i}": a for i, a in enumerate(w)})
print("SAVED", flush=True)
from jax.experimental import multihost_utils

multihost_utils.sync_global_devices("saved")  # both are done with the collectives above

if jax.process_index() == 1:
    os._exit(0)  # dies without a goodbye, as a killed worker does
time.sleep(1.0)
t0 = time.perf_counter()
try:
    model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    print("NO ERROR", flush=True)
except RuntimeError as err:
    print(f"FAILED after {time.perf_counter() - t0:.1f}s: {err}", flush=True)
# Exiting waits for the cluster's shutdown barrier (JAX's heartbeat timeout): the test stops us first.
os._exit(0)
