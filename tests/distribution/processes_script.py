"""Run by test_processes.py as each of two processes of one cluster on 127.0.0.1 (Gloo), with
KERAS_DISTRIBUTION_JOB_ADDRESSES / _NUM_PROCESSES / _PROCESS_ID set: trains the same tiny model on
this process's one device and then data-parallel over both processes (every process passing the
same arrays, with ModelCheckpoint, BackupAndRestore, CSVLogger and a progress bar; then each passing
its own shard, auto_shard_dataset=False), writes what it got to `argv[1]`, then process 1 is killed
and process 0 trains again, which must fail with a clear error."""

import os
import signal
import sys
import time

import numpy as np

from lstmkit import distribution as dist

dist.initialize()  # before any computation, from the KERAS_DISTRIBUTION_* variables

import jax

import lstmkit.callbacks
from lstmkit import layers, models, saving, utils

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 6, 3)).astype("float32")
Y = rng.normal(size=(40, 1)).astype("float32")


def build():
    utils.set_random_seed(1)
    m = models.Sequential([layers.Input((6, 3)), layers.LSTM(4, return_sequences=True), layers.LSTM(4),
                           layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return m


def run(callbacks=None, verbose=0):
    m = build()
    m.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=verbose, callbacks=callbacks)
    return m, m.get_weights(), m.predict(X, verbose=0), np.asarray(m.evaluate(X, Y, verbose=0))


def rel(a, b):
    return max(float(np.max(np.abs(x - y)) / (np.max(np.abs(x)) + 1e-12)) for x, y in zip(a, b))


T0 = time.perf_counter()


def phase(name):  # where the time goes, in the logs
    print(f"PHASE {name} at {time.perf_counter() - T0:.1f}s", flush=True)


out = {}
ref_model, ref_w, ref_p, ref_e = run()  # no distribution: this process's own device
ref_tb = ref_model.train_on_batch(X[:8], Y[:8])

phase("one device")
# Every process passes the same arrays; process 0 writes the files, prints, logs.
me = jax.process_index()
folder = os.path.dirname(os.path.abspath(sys.argv[1]))
ckpt, final, backup = (os.path.join(folder, name) for name in ("ckpt.keras", "final.keras", "backup"))
dist.set_distribution(dist.DataParallel())
callbacks = [lstmkit.callbacks.ModelCheckpoint(ckpt), lstmkit.callbacks.BackupAndRestore(backup, delete_checkpoint=False),
             lstmkit.callbacks.CSVLogger(os.path.join(folder, f"log_{me}.csv"))]
model, w, p, e = run(callbacks, verbose=2)
phase("data-parallel fit")
model.save(final)
out["ckpt"] = rel(w, saving.load_model(ckpt).get_weights())  # every process reads what process 0 wrote
out["final"] = rel(w, saving.load_model(final).get_weights())
resumed = build()  # the backup is at the end of epoch 3: nothing is left to train
resumed.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0,
            callbacks=[lstmkit.callbacks.BackupAndRestore(backup)])
out["restored"] = rel(w, resumed.get_weights())
print("BACKUP LEFT", os.path.exists(backup), flush=True)

phase("saved, loaded, restored")
# auto_shard_dataset=False: each process passes its own rows, batches of 4; the global batches of 8 are
# the two processes' batches side by side, here X's batches of 8 (the same programs as above).
dist.set_distribution(dist.DataParallel(auto_shard_dataset=False))
own = np.concatenate([np.arange(j * 8 + me * 4, j * 8 + me * 4 + 4) for j in range(5)])
sharded = build()
sharded.fit(X[own], Y[own], batch_size=4, epochs=3, shuffle=False, verbose=0)
out["shard_w"] = rel(ref_w, sharded.get_weights())
out["shard_p"] = float(np.max(np.abs(sharded.predict(X[own], batch_size=16, verbose=0) - ref_p[own])))
out["shard_e"] = rel(ref_e, np.asarray(sharded.evaluate(X[own], Y[own], batch_size=16, verbose=0)))
out["shard_tb"] = rel(np.asarray(ref_tb), np.asarray(sharded.train_on_batch(X[me * 4:me * 4 + 4], Y[me * 4:me * 4 + 4])))
try:
    sharded.evaluate(X[own][:16 if me == 0 else 20], Y[own][:16 if me == 0 else 20], verbose=0)
    out["unequal_error"] = ""
except ValueError as err:
    out["unequal_error"] = str(err)

phase("own shards")
dist.set_distribution(dist.DataParallel())
np.savez(sys.argv[1], processes=jax.process_count(), devices=len(jax.devices()), ref_p=ref_p, ref_e=ref_e, p=p, e=e,
         **{f"ref_w{i}": a for i, a in enumerate(ref_w)}, **{f"w{i}": a for i, a in enumerate(w)},
         **{k: np.asarray(v) for k, v in out.items()}, folder=folder, sharded_w0=sharded.get_weights()[0])
print("SAVED", flush=True)
from jax.experimental import multihost_utils

multihost_utils.sync_global_devices("saved")  # both are done with the collectives above

if jax.process_index() == 1:
    os.kill(os.getpid(), signal.SIGKILL)  # killed, as a lost worker is
time.sleep(1.0)
t0 = time.perf_counter()
try:
    model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    print("NO ERROR", flush=True)
except RuntimeError as err:
    print(f"FAILED after {time.perf_counter() - t0:.1f}s: {err}", flush=True)
# Exiting waits for the cluster's shutdown barrier (JAX's heartbeat timeout): the test stops us first.
os._exit(0)
