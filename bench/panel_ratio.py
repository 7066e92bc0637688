"""`lstmkit forecast` on a panel of nine series against one of them: `python -m bench.panel_ratio`.

The check of the [forecasting at scale] issue: nine series take at most 3x the wall time of one. The
panel is synthetic and monthly (9 series of 120-180 rows: level, trend, a yearly cycle and noise, plus
one series too short to forecast); the single series is its first. Each run is a fresh process (as a
user runs the command), the two alternate (`--rounds` times), and the persistent compilation cache is
left as it is (`--cold` gives each run an empty one, as on a first run on a new machine). Prints the wall
time of each run and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def write_panel(folder):
    """panel.csv (long: series, date, value) and one.csv (its first series: date, value) in `folder`."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    rows = []
    for k in range(9):
        n = int(rng.integers(120, 181))
        t = np.arange(n)
        level, trend = rng.uniform(50, 500), rng.uniform(-0.2, 1.5)
        amp, phase, noise = rng.uniform(0.05, 0.3) * level, rng.uniform(0, 2 * np.pi), rng.uniform(0.02, 0.08) * level
        y = level + trend * t + amp * np.sin(2 * np.pi * t / 12 + phase) + rng.normal(0, noise, n)
        dates = pd.date_range(end="2024-12-01", periods=n, freq="MS")
        rows += [dict(series=f"store_{k}", date=d.strftime("%Y-%m-%d"), value=round(float(v), 3))
                 for d, v in zip(dates, y)]
    dates = pd.date_range(end="2024-12-01", periods=20, freq="MS")
    rows += [dict(series="new_store", date=d.strftime("%Y-%m-%d"), value=100.0 + i) for i, d in enumerate(dates)]
    frame = pd.DataFrame(rows)
    frame.to_csv(os.path.join(folder, "panel.csv"), index=False)
    frame[frame.series == "store_0"][["date", "value"]].to_csv(os.path.join(folder, "one.csv"), index=False)


def run(args, folder, cache):
    env = dict(os.environ)
    if cache is not None:
        env["JAX_COMPILATION_CACHE_DIR"] = cache
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lstmkit", "forecast", *args, "--quiet"], cwd=folder, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"lstmkit forecast {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return time.perf_counter() - t0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cold", action="store_true", help="an empty compilation cache for every run")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        write_panel(folder)
        times = {"one": [], "panel": []}
        for r in range(opts.rounds):
            for name, args in (("one", ["one.csv", "--out", "o1"]),
                               ("panel", ["panel.csv", "--id-column", "series", "--out", "op"])):
                cache = tempfile.mkdtemp(dir=folder) if opts.cold else None
                times[name].append(run(args, folder, cache))
                print(f"round {r + 1}: {name:<5} {times[name][-1]:6.1f} s", flush=True)
    one, panel = statistics.median(times["one"]), statistics.median(times["panel"])
    print(f"one series {one:.1f} s, nine series {panel:.1f} s: ratio {panel / one:.2f} (target <= 3)")


if __name__ == "__main__":
    main()
