"""Run one workload for one framework in this (fresh) process and print its timings as JSON."""

import argparse
import json
import os
import resource
import sys
import tempfile
import time

T_START = time.perf_counter()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--framework", required=True, choices=["lstmkit", "keras-jax", "keras-tensorflow", "torch"])
    p.add_argument("--workload", required=True)
    args = p.parse_args()
    if args.framework.startswith("keras-"):
        os.environ["KERAS_BACKEND"] = args.framework.split("-", 1)[1]
    if args.framework == "lstmkit":
        # A cold persistent compilation cache, so 'fresh' includes compiling.
        os.environ["LSTMKIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="lstmkit-bench-cache-")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from bench import workloads

    if args.framework == "torch":
        result = workloads.run_torch(args.workload)
    else:
        result = workloads.run_keras_like(args.framework, args.workload)
    if result is None:
        print(json.dumps(None))
        return
    if "first_done" in result:
        # Fresh = this whole new process up to the end of its first fit (imports, build, compile, train).
        result["fresh"] = result.pop("first_done") - T_START
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.workload == "W4" and args.framework == "lstmkit":
        result["matmul_flops"] = workloads.matmul_rate()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
