"""Side-by-side benchmark: `python -m bench [--workloads W1,W2] [--repeats 3] [--write] [--smoke]`.

Every workload runs for lstmkit and each installed peer (Keras 3 on JAX, on
TensorFlow, plain PyTorch) in fresh processes; the median of the repeats is
reported with the ratio lstmkit / peer (lower is faster).
"""

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import date

from bench.workloads import TRAINING, lstm_train_flops

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W9", "W10", "W11", "W12"]
DESCRIPTIONS = {
    "W1": "seed 003 one-to-one: LSTM(5)+Dense(1), 5 samples, batch 5, 1000 epochs",
    "W2": "seed 000 univariate: LSTM(50, relu)+Dense(1), 96 windows, batch 32, 200 epochs",
    "W3": "stacked LSTM(64)x2+Dense(1), 2000 windows of 30, batch 60, 5 epochs",
    "W4": "LSTM(256)+Dense(1), 1280 x 100 x 32, batch 64, 1 epoch",
    "W5": "W2's model, predict on one sample (per call)",
    "W6": "Embedding(65,64)+LSTM(256, stateful)+Dense(65), 1000 sampled steps at batch 1: 'total' is a Python "
          "loop of predict calls in every framework; 'generate' is lstmkit.generation.generate doing the same "
          "steps in one compiled loop, its ratio taken against the peers' loop",
    "W7": "seed 001's repeated runs: build, compile and fit LSTM(10)+Dense(1) 10 times (300 epochs, 11 samples, "
          "validation data, shuffle=False) in a plain loop in every framework; 'repeat_runs' is "
          "lstmkit.forecasting.repeat_runs doing the same 10 runs as one compiled program (its first call, compiling "
          "that program, then again), its ratio taken against the peers' loop ('again')",
    "W9": "the tutorials' univariate CNN-LSTM: TimeDistributed(Conv1D(64, 1, relu)), TimeDistributed(MaxPooling1D(2)), "
          "TimeDistributed(Flatten()), LSTM(50, relu), Dense(1); 2000 windows of (2 subsequences, 2 steps, 1 feature), "
          "batch 32, 10 epochs (the PyTorch peer writes the relu LSTM out)",
    "W10": "W2 (model, data, batch 32, 200 epochs) with its batches served by a utils.Sequence / keras.utils.PyDataset",
    "W11": "the job of `lstmkit forecast` on the bundled airline data: a 3-fold rolling-origin backtest (a new "
           "LSTM(32)+Dense(12) per fold, up to 200 epochs, batch 16, EarlyStopping(patience 20, best weights)), then "
           "the final model for the folds' median best epoch and its forecast; lstmkit with Forecaster.backtest "
           "(the folds trained together), Keras in a plain loop on the same windows (bench/forecast_job.py)",
    "W12": "W11's job on a panel of 9 monthly series (bench/panel_ratio.py's): 3 backtest folds per series, then a "
           "final model per series, 27 + 9 LSTM(32)+Dense(12) models; lstmkit with PanelForecaster('local') (the 27 "
           "fold models trained together, then the 9 final ones), Keras in a plain loop on the same windows "
           "(bench/panel_job.py)",
}
# Row names: "again" is the same model fitted again in the same process.
MEASURE_NAMES = {"steady": "again", "repeat_runs_again": "repeat_runs again"}
PEER_MEASURE = {"generate": "total", "repeat_runs": "steady", "repeat_runs_again": "steady"}


# TensorFlow is large and its pins can clash with JAX's: it may live in another environment.
# BENCH_TF_PYTHON names that environment's python (with tensorflow, keras 3 and numpy installed).
TF_PYTHON = os.environ.get("BENCH_TF_PYTHON")


def peers():
    out = ["lstmkit"]
    if importlib.util.find_spec("keras"):
        out.append("keras-jax")
        if TF_PYTHON or importlib.util.find_spec("tensorflow"):
            out.append("keras-tensorflow")
    if importlib.util.find_spec("torch"):
        out.append("torch")
    return out


def run_one(framework, workload):
    python = TF_PYTHON if (framework == "keras-tensorflow" and TF_PYTHON) else sys.executable
    proc = subprocess.run([python, "-m", "bench.one", "--framework", framework, "--workload", workload],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if proc.returncode != 0:
        raise RuntimeError(f"{framework} {workload} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_result(runs):
    runs = [r for r in runs if r]
    if not runs:
        return None
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def machine_line():
    return (f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or platform.platform()}; "
            f"Python {platform.python_version()}; {date.today().isoformat()}")


def fmt(v):
    if v is None:
        return "—"
    if v < 1e-3:
        return f"{v * 1e6:.0f} µs"
    if v < 1:
        return f"{v * 1e3:.1f} ms"
    return f"{v:.2f} s"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--write", action="store_true", help="write the table to bench/RESULTS.md")
    p.add_argument("--smoke", action="store_true",
                   help="run each workload once at a tiny size (BENCH_SMOKE=1) to check that it runs; no timings")
    args = p.parse_args()
    if args.smoke:
        if args.write:
            p.error("--smoke runs tiny workloads: their numbers are not results; leave out --write")
        os.environ["BENCH_SMOKE"] = "1"
        args.repeats = 1
    frameworks = peers()
    results = {}
    for w in args.workloads.split(","):
        for f in frameworks:
            print(f"running {w} on {f} ...", file=sys.stderr, flush=True)
            results[(w, f)] = median_result([run_one(f, w) for _ in range(args.repeats)])

    lines = [f"{machine_line()}; median of {args.repeats} fresh processes.", "", "| workload | measure | " + " | ".join(frameworks) + " | " +
             " | ".join(f"lstmkit / {f}" for f in frameworks[1:]) + " |",
             "|" + "---|" * (2 + 2 * len(frameworks) - 1)]
    for w in args.workloads.split(","):
        measures = ["fresh", "steady", "rebuilt"] if w in TRAINING else ["per_call"] if w == "W5" else \
            ["fresh", "steady", "repeat_runs", "repeat_runs_again"] if w == "W7" else \
            ["fresh", "steady"] if w in ("W11", "W12") else ["total", "generate"]
        for m in measures:
            # "generate" (W6 with lstmkit.generation.generate) is lstmkit's only; peers are compared by their loop.
            vals = [results[(w, f)].get(m) if results[(w, f)] else None for f in frameworks]
            peer = [results[(w, f)].get(PEER_MEASURE.get(m, m)) if results[(w, f)] else None for f in frameworks]
            ours = vals[0]
            m = MEASURE_NAMES.get(m, m)
            ratios = [f"{ours / v:.3f}" if (v and ours) else "—" for v in peer[1:]]
            lines.append(f"| {w} | {m} | " + " | ".join(fmt(v) for v in vals) + " | " + " | ".join(ratios) + " |")
    if "W4" in args.workloads:
        mem = [results[("W4", f)]["peak_rss_mb"] if results[("W4", f)] else None for f in frameworks]
        lines.append("| W4 | peak RSS | " + " | ".join("—" if m is None else f"{m:.0f} MB" for m in mem) + " | " +
                     " | ".join(f"{mem[0] / m:.2f}" if m else "—" for m in mem[1:]) + " |")
        r = results[("W4", "lstmkit")]
        if r:
            flops = lstm_train_flops(1280, 100, 32, 256)
            achieved = flops / r["steady"]
            lines += ["", f"W4 achieved {achieved / 1e9:.1f} GFLOP/s of matmul work "
                          f"({100 * achieved / r['matmul_flops']:.0f}% of this machine's measured float32 matmul rate, "
                          f"{r['matmul_flops'] / 1e9:.1f} GFLOP/s)."]
    lines += ["", "Workloads:"] + [f"- {w}: {DESCRIPTIONS[w]}" for w in args.workloads.split(",")]
    table = "\n".join(lines)
    print(table)
    if args.write:
        with open(os.path.join(HERE, "RESULTS.md.tmp"), "w") as fh:
            fh.write("# Benchmark results\n\n`python -m bench --write`\n\n" + table + "\n")
        os.replace(os.path.join(HERE, "RESULTS.md.tmp"), os.path.join(HERE, "RESULTS.md"))


if __name__ == "__main__":
    main()
