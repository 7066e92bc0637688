"""Where a fresh W1/W2 compile goes, and what XLA options do to it.

`python -m bench.compile_profile W1 W2 --runs 5` starts fresh processes with the persistent compilation
cache off (`LSTMKIT_CACHE_DIR=off`), variants interleaved (A, B, A, B, ...), and prints the median of
each stage of the first fit:

- import: `import jax` and lstmkit; build: the model built and compiled (Python);
- trace, lower, xla: jaxpr tracing, StableHLO lowering and XLA's compile, as JAX reports them
  (`jax.monitoring` durations, summed over every program compiled in the first fit);
- run: the rest of the first fit (running the program, Python around it);
- again: a second fit of the same model (steady state); fresh: the process up to the end of its first fit.

A variant is `name=item;item;...`: an item `--flag=v` goes into `XLA_FLAGS`, `jax:option=v` into
`jax.config`, and `key=v` into the compiler options of lstmkit's shared programs (what
`jax.jit(..., compiler_options=...)` in `lstmkit/training/programs.py` would pass). `--hlo` also
counts the instructions and fusions of each compiled program (a separate, untimed process).
Every variant's trained weights are compared with the first variant's (same seed).
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

AGAIN = int(os.environ.get("COMPILE_PROFILE_AGAIN", "5"))  # steady fits after the first (their median is 'again')
STAGES = ["import", "build", "trace", "lower", "xla", "run", "fit", "fresh", "again"]
CPU_STAGES = ["cpu_import", "cpu_build", "cpu_trace", "cpu_lower", "cpu_xla", "cpu_fit", "cpu_again"]


def parse_variant(text):
    name, _, spec = text.partition("=")
    flags, jax_opts, opts = [], {}, {}
    for item in filter(None, spec.split(";")):
        key, _, value = item.partition("=")
        if key.startswith("--"):
            flags.append(item)
        elif key.startswith("jax:"):
            jax_opts[key[4:]] = _value(value)
        else:
            opts[key] = _value(value)
    return name, flags, jax_opts, opts


def _value(v):
    low = v.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v


# ------------------------------------------------------------------------------------ the child
def child(workload, variant, weights_path, hlo, xla_trace=False):
    os.environ["LSTMKIT_CACHE_DIR"] = "off"
    _, _, jax_opts, opts = parse_variant(variant)
    import jax

    events = []  # (event, program, wall seconds, process CPU seconds when it ended)
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, dur, **kw: events.append((event, kw.get("fun_name"), dur, time.process_time())))
    for k, v in jax_opts.items():
        jax.config.update(k, v)
    if opts:
        # lstmkit's shared programs are `jax.jit(body)` in programs.program: give them the options.
        real_jit = jax.jit

        def jit(fun=None, **kw):
            if fun is not None and getattr(fun, "__qualname__", "") == "program.<locals>.body":
                kw = {**kw, "compiler_options": {**opts, **(kw.get("compiler_options") or {})}}
            return real_jit(fun, **kw)

        jax.jit = jit
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from bench import workloads
    import lstmkit
    from lstmkit.utils import set_random_seed

    t_import, c_import = time.perf_counter(), time.process_time()
    hlo_stats = {}
    if hlo:
        _count_hlo(hlo_stats, opts)
    mods = workloads.lstmkit_modules()
    set_random_seed(0)
    t0, c0 = time.perf_counter(), time.process_time()
    fit = workloads.training_fit(mods, workloads.SPECS[workload])
    t1, c1 = time.perf_counter(), time.process_time()
    n_events = len(events)
    if xla_trace:
        trace_dir = tempfile.mkdtemp(prefix="lstmkit-compile-trace-")
        with jax.profiler.trace(trace_dir):
            fit()
        xla_parts = compiler_trace(trace_dir)
    else:
        fit()
        xla_parts = {}
    t2, c2 = time.perf_counter(), time.process_time()
    again, cpu_again = [], []
    for _ in range(AGAIN):
        t2b, c2b = time.perf_counter(), time.process_time()
        fit()
        again.append(time.perf_counter() - t2b)
        cpu_again.append(time.process_time() - c2b)
    first = events[n_events:]

    def total(name):
        return sum(d for e, _, d, _ in first if e == name)

    # CPU seconds of the process (all threads) between the ends of consecutive stages: steadier than
    # wall time on a shared machine. Stages of one program follow each other (trace, lower, compile).
    cpu = {"trace": 0.0, "lower": 0.0, "xla": 0.0}
    stage_of = {"/jax/core/compile/jaxpr_trace_duration": "trace",
                "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
                "/jax/core/compile/backend_compile_duration": "xla"}
    last = c1
    for e, _, _, c in first:
        if e in stage_of:
            cpu[stage_of[e]] += c - last
            last = c

    trace = total("/jax/core/compile/jaxpr_trace_duration")
    lower = total("/jax/core/compile/jaxpr_to_mlir_module_duration")
    xla = total("/jax/core/compile/backend_compile_duration")
    out = {
        "import": t_import - T_START, "build": t1 - t0, "trace": trace, "lower": lower, "xla": xla,
        "run": (t2 - t1) - trace - lower - xla, "fit": t2 - t1, "fresh": t2 - T_START, "again": statistics.median(again),
        "cpu_import": c_import, "cpu_build": c1 - c0, "cpu_trace": cpu["trace"], "cpu_lower": cpu["lower"],
        "cpu_xla": cpu["xla"], "cpu_fit": c2 - c1, "cpu_again": statistics.median(cpu_again),
        "programs": [n for e, n, _, _ in first if e == "/jax/core/compile/backend_compile_duration"],
        "traced": [n for e, n, _, _ in first if e == "/jax/core/compile/jaxpr_trace_duration"],
        "hlo": hlo_stats, "xla_parts": xla_parts,
    }
    model = fit.__closure__[0].cell_contents if fit.__closure__ else None
    if model is not None and weights_path:
        np.savez(weights_path, *[np.asarray(w) for w in model.get_weights()])
    del lstmkit
    print("RESULT " + json.dumps(out))


# XLA:CPU's own trace events (TraceMe) on its compiler threads, by what they do.
XLA_PARTS = {
    "compile": ("PjRtCpuClient::Compile",),
    "hlo_passes": ("HLO passes through layout assignment", "HLO passes after layout assignment"),
    "emit_kernels": ("ThunkEmitter::EmitEntryComputation", "ThunkEmitter::ConsumeKernels"),
    "llvm_codegen": ("JitCompiler::Compile",),
}


def compiler_trace(trace_dir):
    """ms of each part of XLA's compile in a profiler trace (slower than untraced: read the shares), and
    the fusions compiled one by one through the MLIR fusion emitters (`FusionCompiler::Compile`, on the
    codegen threads, in parallel)."""
    import glob

    from jax.profiler import ProfileData

    path = sorted(glob.glob(os.path.join(trace_dir, "**", "*.xplane.pb"), recursive=True))[-1]
    out = {k: 0.0 for k in XLA_PARTS} | {"fusion_compiles": 0, "fusion_compile_ms": 0.0}
    for plane in ProfileData.from_file(path).planes:
        for line in plane.lines:
            if line.name.startswith("tf_PjRtCompilerThreadPool"):
                for e in line.events:
                    for part, prefixes in XLA_PARTS.items():
                        if e.name.startswith(prefixes):
                            out[part] += e.duration_ns / 1e6
            elif line.name.startswith("tf_xla-cpu-codegen"):
                for e in line.events:
                    if e.name.startswith("FusionCompiler::Compile"):
                        out["fusion_compiles"] += 1
                        out["fusion_compile_ms"] += e.duration_ns / 1e6
    return out


def _count_hlo(stats, opts):
    """Wrap programs.program so each shared program's first call also lowers and compiles it ahead of time
    (untimed), counting the compiled HLO's instructions and fusions."""
    from lstmkit.training import programs

    real = programs.program

    def program(owner, key, build):
        call = real(owner, key, build)
        kind = key[0] if isinstance(key, tuple) else key

        def counted(*args):
            if kind not in stats:
                lowered = call.lower(*args)
                mlir = lowered.as_text()
                compiled = lowered.compile(compiler_options=opts or None)
                text = compiled.as_text()
                if os.environ.get("COMPILE_PROFILE_DUMP"):
                    with open(os.path.join(os.environ["COMPILE_PROFILE_DUMP"], f"{kind}.hlo.txt"), "w") as f:
                        f.write(text)
                    with open(os.path.join(os.environ["COMPILE_PROFILE_DUMP"], f"{kind}.stablehlo.txt"), "w") as f:
                        f.write(mlir)
                stats[kind] = hlo_counts(text) | {"stablehlo_ops": len(re.findall(r"= stablehlo\.|stablehlo\.\w+ ", mlir)),
                                                  "stablehlo_chars": len(mlir)}
            return call(*args)

        counted.lower = call.lower
        return counted

    programs.program = program


def hlo_counts(text):
    """Instructions, fusions and loops of an optimized HLO module's text."""
    lines = [l.strip() for l in text.splitlines()]
    instr = [l for l in lines if re.match(r"^(ROOT )?%?[\w.\-]+ = ", l)]
    ops = [re.search(r"= .*? ([a-z][\w\-]*)\(", l) for l in instr]
    ops = [m.group(1) for m in ops if m]
    computations = [l for l in lines if re.match(r"^(ENTRY )?%?[\w.\-]+ [(\{]", l) and l.endswith("{")]
    return {"instructions": len(instr), "fusions": ops.count("fusion"), "while_loops": ops.count("while"),
            "custom_calls": ops.count("custom-call"), "computations": len(computations), "hlo_chars": len(text)}


# ----------------------------------------------------------------------------------- the parent
def run_child(workload, variant, weights_path=None, hlo=False, xla_trace=False):
    name, flags, _, _ = parse_variant(variant)
    env = dict(os.environ, LSTMKIT_CACHE_DIR="off")
    if flags:
        env["XLA_FLAGS"] = " ".join(filter(None, [env.get("XLA_FLAGS", ""), *flags]))
    cmd = [sys.executable, "-m", "bench.compile_profile", "--child", workload, "--variant", variant]
    if weights_path:
        cmd += ["--weights", weights_path]
    if hlo:
        cmd += ["--hlo"]
    if xla_trace:
        cmd += ["--xla-trace"]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{name} failed:\n{proc.stderr[-3000:]}")


def max_rel_diff(a_path, b_path):
    a, b = np.load(a_path), np.load(b_path)
    worst = 0.0
    for k in a.files:
        x, y = a[k].astype(np.float64), b[k].astype(np.float64)
        worst = max(worst, float(np.max(np.abs(x - y) / np.maximum(np.abs(x), 1e-6))))
    return worst


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workloads", nargs="*", default=["W1", "W2"])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--variant", action="append", default=[], help="name=item;item;... (repeatable)")
    p.add_argument("--hlo", action="store_true", help="also count each compiled program's HLO (untimed process)")
    p.add_argument("--xla-trace", action="store_true",
                   help="also split XLA's compile into its parts under the JAX profiler (untimed process)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--weights", default=None, help=argparse.SUPPRESS)
    p.add_argument("--json", default=None, help="write all runs here")
    args = p.parse_args(argv)
    if args.child:
        return child(args.workloads[0], args.variant[0] if args.variant else "default=", args.weights, args.hlo,
                     args.xla_trace)
    variants = args.variant or ["default="]
    tmp = tempfile.mkdtemp(prefix="lstmkit-compile-profile-")
    report = {}
    for w in args.workloads:
        runs = {v: [] for v in variants}
        for r in range(args.runs):
            for i, v in enumerate(variants):
                path = os.path.join(tmp, f"{w}-{i}.npz") if r == 0 else None
                runs[v].append(run_child(w, v, path))
        report[w] = {}
        print(f"\n## {w} (median of {args.runs} fresh processes, ms)\n")
        print("| variant | " + " | ".join(STAGES) + " | weights vs first |")
        print("|---" * (len(STAGES) + 2) + "|")
        for i, v in enumerate(variants):
            med = {s: 1000 * statistics.median(r[s] for r in runs[v]) for s in STAGES + CPU_STAGES}
            diff = max_rel_diff(os.path.join(tmp, f"{w}-0.npz"), os.path.join(tmp, f"{w}-{i}.npz"))
            report[w][v] = {"median_ms": med, "weights_rel_diff": diff, "programs": runs[v][0]["programs"],
                            "runs": runs[v]}
            print(f"| {parse_variant(v)[0]} | " + " | ".join(f"{med[s]:.0f}" for s in STAGES) + f" | {diff:.1e} |")
        print("\nCPU seconds of the process (all threads), median ms:\n")
        print("| variant | " + " | ".join(s[4:] for s in CPU_STAGES) + " |")
        print("|---" * (len(CPU_STAGES) + 1) + "|")
        for v in variants:
            med = report[w][v]["median_ms"]
            print(f"| {parse_variant(v)[0]} | " + " | ".join(f"{med[s]:.0f}" for s in CPU_STAGES) + " |")
        print(f"\nprograms compiled in the first fit: {runs[variants[0]][0]['programs']}")
        for v in variants:
            if args.hlo:
                report[w][v]["hlo"] = run_child(w, v, hlo=True)["hlo"]
                print(f"HLO of {parse_variant(v)[0]}: {report[w][v]['hlo']}")
            if args.xla_trace:
                report[w][v]["xla_parts"] = run_child(w, v, xla_trace=True)["xla_parts"]
                print(f"XLA compile of {parse_variant(v)[0]} under the profiler (ms): {report[w][v]['xla_parts']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
