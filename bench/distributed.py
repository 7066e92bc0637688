"""W4 data-parallel over 2 processes (Gloo on 127.0.0.1) against 1 process: `python -m bench.distributed`.

Each run fits W4's model once to compile, then times a second fit of the same shapes. The 2-process
run is the same script in two processes (KERAS_DISTRIBUTION_* variables), each with one CPU device,
under `DataParallel` (every process passing the same arrays). Prints both times and their ratio.
`--quick`: a tiny W4 (64 sequences of 10 steps) to check it runs, not to time it. On a machine with
few cores both processes share them: expect little gain, or a loss.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time

RESULT = "DISTRIBUTED_RESULT"


def _data(quick):
    from bench.workloads import SPECS

    x, y = SPECS["W4"]["data"]()
    return (x[:64, :10], y[:64]) if quick else (x, y)


def worker(quick):
    """One process: (with the KERAS_DISTRIBUTION_* variables) join the cluster and train data-parallel."""
    from lstmkit import distribution as dist

    several = "KERAS_DISTRIBUTION_PROCESS_ID" in os.environ
    if several:
        dist.initialize()
    from lstmkit import layers, models, utils

    x, y = _data(quick)
    spec_units, batch = 256, 64
    utils.set_random_seed(0)
    model = models.Sequential([layers.Input(x.shape[1:]), layers.LSTM(spec_units), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    if several:
        dist.set_distribution(dist.DataParallel())
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True)  # compiles
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True)
    print(f"{RESULT} {time.perf_counter() - t0:.4f}", flush=True)
    if several:
        os._exit(0)  # skip the cluster's shutdown barrier


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(n, quick, timeout):
    port = _free_port()
    procs = []
    for i in range(n):
        env = dict(os.environ, JAX_PLATFORMS="cpu")
        env.pop("XLA_FLAGS", None)
        if n > 1:
            env.update(KERAS_DISTRIBUTION_JOB_ADDRESSES=f"127.0.0.1:{port}", KERAS_DISTRIBUTION_NUM_PROCESSES=str(n),
                       KERAS_DISTRIBUTION_PROCESS_ID=str(i))
        cmd = [sys.executable, "-m", "bench.distributed", "--worker"] + (["--quick"] if quick else [])
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    times = []
    for p in procs:
        out, _ = p.communicate(timeout=timeout)
        line = next((l for l in out.splitlines() if l.startswith(RESULT)), None)
        if p.returncode != 0 or line is None:
            raise RuntimeError(f"a worker of the {n}-process run failed (exit {p.returncode}):\n{out[-3000:]}")
        times.append(float(line.split()[1]))
    return max(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a tiny W4, to check that it runs")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per run")
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args.quick)
    one = _launch(1, args.quick, args.timeout)
    two = _launch(2, args.quick, args.timeout)
    size = "W4 --quick (64 x 10 x 32)" if args.quick else "W4 (1280 x 100 x 32)"
    print(f"{size}, LSTM(256)+Dense(1), batch 64, 1 epoch after compiling, on {os.cpu_count()} CPU cores")
    print(f"| processes | fit | speed-up |\n|---|---|---|\n| 1 | {one:.2f} s | 1.00 |\n| 2 (DataParallel, Gloo) | "
          f"{two:.2f} s | {one / two:.2f} |")


if __name__ == "__main__":
    main()
