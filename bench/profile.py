"""Where a training workload's time goes: `python -m bench.profile W2 W3 W4 [--top 15] [--write]`.

Builds lstmkit's model for the workload (as `python -m bench` does), fits once to
compile, then fits again under the JAX profiler with XLA's per-kernel trace
events on. Prints the time of each XLA kernel (matmuls are `ynn_fusion` /
`dot`, elementwise work is the other fusions and copies), summed over the
fit, and a summary by kind. Loops (`while`) and the executor's own events
contain the kernels, so they are left out of the sums; what the kernels do
not cover is dispatch, the loops' bookkeeping and waiting between kernels.
`--write` puts the tables in bench/PROFILE.md.

Tracing costs about a microsecond per kernel, so small models run about twice
as slowly under it: read the shares, not the absolute times, for them. W1 is
left out: its 1000 one-batch epochs overflow the profiler's event buffers,
which then drop kernels."""

import argparse
import glob
import os
import sys
import tempfile
import time
from collections import defaultdict

# XLA reads its flags when JAX starts: ask for one trace event per kernel before importing it.
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_enable_xprof_traceme=true").strip()

CONTAINERS = ("while", "ThunkExecutor", "SlinkyThreadPool", "conditional", "call")


def kind(name):
    if name.startswith(("ynn_fusion", "xnn_fusion", "dot", "onednn")):
        return "matmul"
    if "dynamic-update-slice" in name or name.startswith(("copy", "wrapped_copy", "concatenate", "wrapped_broadcast")):
        return "copies and stores"
    return "elementwise"


def kernel_times(trace_dir):
    from jax.profiler import ProfileData

    path = sorted(glob.glob(os.path.join(trace_dir, "**", "*.xplane.pb"), recursive=True))[-1]
    total, calls, spans = defaultdict(float), defaultdict(int), []
    for plane in ProfileData.from_file(path).planes:
        for line in plane.lines:
            if not line.name.startswith("tf_XLAEigen"):  # XLA's worker threads run the kernels
                continue
            for event in line.events:
                if event.name.startswith(CONTAINERS):
                    continue
                total[event.name] += event.duration_ns / 1e3
                calls[event.name] += 1
                spans.append((event.start_ns, event.end_ns))
    return total, calls, busy_seconds(spans)


def busy_seconds(spans):
    """Wall time during which at least one kernel ran (kernels on the two threads may overlap)."""
    busy, end = 0.0, float("-inf")
    for start, stop in sorted(spans):
        if stop > end:
            busy += stop - max(start, end)
            end = stop
    return busy / 1e9


def profile(workload, top):
    """The markdown tables for one workload."""
    import jax

    from bench import workloads

    fit = workloads.training_fit(workloads.lstmkit_modules(), workloads.SPECS[workload])
    fit()  # compiles
    t0 = time.perf_counter()
    fit()
    steady = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as trace_dir:
        jax.profiler.start_trace(trace_dir)
        t0 = time.perf_counter()
        fit()
        traced = time.perf_counter() - t0
        jax.profiler.stop_trace()
        total, calls, busy = kernel_times(trace_dir)

    out = [f"## {workload}", "", f"Steady fit {steady * 1e3:.1f} ms; under the profiler {traced * 1e3:.1f} ms.", "",
           "| kernel | calls | total ms | per call µs | share of the traced fit |", "|---|---|---|---|---|"]
    for name, us in sorted(total.items(), key=lambda kv: -kv[1])[:top]:
        out.append(f"| {name} | {calls[name]} | {us / 1e3:.1f} | {us / calls[name]:.1f} | {us / 1e6 / traced:.1%} |")
    by_kind, n_kind = defaultdict(float), defaultdict(int)
    for name, us in total.items():
        by_kind[kind(name)] += us
        n_kind[kind(name)] += calls[name]
    out += ["", "| kind | kernels run | total ms | share of the traced fit |", "|---|---|---|---|"]
    for k, us in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        out.append(f"| {k} | {n_kind[k]} | {us / 1e3:.1f} | {us / 1e6 / traced:.1%} |")
    out += ["", f"Some kernel ran for {busy * 1e3:.1f} ms of the traced fit ({busy / traced:.1%}); the rest is "
                "dispatch, loop bookkeeping and waiting. Kernel sums can exceed the fit when both threads run "
                "kernels at once.", ""]
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workloads", nargs="+", choices=["W2", "W3", "W4"])
    p.add_argument("--top", type=int, default=15, help="kernels to list per workload (default 15)")
    p.add_argument("--write", action="store_true", help="write the tables to bench/PROFILE.md")
    args = p.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.dirname(here))
    from bench.__main__ import machine_line

    lines = [machine_line(), ""]
    for workload in args.workloads:
        lines += profile(workload, args.top)
    text = "\n".join(lines)
    print(text)
    if args.write:
        path = os.path.join(here, "PROFILE.md")
        # The sections written by hand (from "## Where a fresh compile goes" on) are kept.
        kept = ""
        if os.path.exists(path):
            old = open(path).read()
            cut = old.find("## Where a fresh compile goes")
            kept = old[cut:] if cut >= 0 else ""
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            fh.write("# Where the time goes\n\n`python -m bench.profile " + " ".join(args.workloads) +
                     " --write`: XLA's kernels during one steady fit of each workload, under the JAX profiler.\n\n"
                     + text + "\n" + ("\n" + kept if kept else ""))
        os.replace(tmp, path)


if __name__ == "__main__":
    main()
