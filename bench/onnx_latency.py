"""Single-sample latency: onnxruntime on an exported model against lstmkit's `predict`.

    python -m bench.onnx_latency [--calls 200] [--threads 1]

W5: LSTM(50, relu) + Dense(1) on one (1, 3, 1) window, as bench.workloads' W5.
W6: Embedding(65, 64) + LSTM(256, stateful) + Dense(65), one token per call, as W6's sampling loop
    (the exported graph takes and returns the LSTM's state; lstmkit carries it in the layer).
Each row also prints the largest difference between the two answers. Needs `pip install lstmkit[onnx]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np


def _timed(fn, calls, least=1.0, warmup=20):
    """Median and mean seconds per call over at least `calls` calls and `least` seconds, after a warm-up."""
    for _ in range(warmup):
        fn()
    times, t0 = [], time.perf_counter()
    while len(times) < calls or time.perf_counter() - t0 < least:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), sum(times) / len(times)


def _session(model, directory, threads):
    import onnxruntime as ort

    path = os.path.join(directory, f"{model.name}.onnx")
    model.export(path, format="onnx", verbose=False)
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def w5(directory, calls, threads):
    from lstmkit import Input
    from lstmkit.layers import LSTM, Dense
    from lstmkit.models import Sequential

    model = Sequential([Input((3, 1)), LSTM(50, activation="relu"), Dense(1)], name="w5")
    x = np.array([70, 80, 90], np.float32).reshape(1, 3, 1)
    session = _session(model, directory, threads)
    feed = {session.get_inputs()[0].name: x}
    diff = float(np.max(np.abs(session.run(None, feed)[0] - model.predict(x, verbose=0))))
    return {"predict": _timed(lambda: model.predict(x, verbose=0), calls),
            "onnxruntime": _timed(lambda: session.run(None, feed), calls), "max_abs_diff": diff}


def w6(directory, calls, threads):
    from lstmkit import Input
    from lstmkit.layers import LSTM, Dense, Embedding
    from lstmkit.models import Sequential

    model = Sequential([Input(batch_shape=(1, 1)), Embedding(65, 64), LSTM(256, stateful=True, return_sequences=True),
                        Dense(65)], name="w6")
    token = np.zeros((1, 1), np.float32)
    session = _session(model, directory, threads)
    names = [i.name for i in session.get_inputs()]
    state = [np.zeros((1, 256), np.float32), np.zeros((1, 256), np.float32)]
    model.reset_states()
    logits, *new_state = session.run(None, dict(zip(names, [token] + state)))
    diff = float(np.max(np.abs(logits - model.predict(token, verbose=0))))

    def onnx_step():  # the state goes back in, as a sampling loop does
        nonlocal state
        _, *state = session.run(None, dict(zip(names, [token] + state)))

    return {"predict": _timed(lambda: model.predict(token, verbose=0), calls), "onnxruntime": _timed(onnx_step, calls),
            "max_abs_diff": diff}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads (0: its default)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        for name, run in (("W5", w5), ("W6", w6)):
            row = run(directory, args.calls, args.threads)
            (p_med, p_mean), (o_med, o_mean) = row["predict"], row["onnxruntime"]
            print(f"{name}: lstmkit predict {p_med * 1e3:.3f} ms (mean {p_mean * 1e3:.3f}), onnxruntime "
                  f"{o_med * 1e3:.3f} ms (mean {o_mean * 1e3:.3f}), {p_med / o_med:.1f}x; "
                  f"max |difference| {row['max_abs_diff']:.2e}")


if __name__ == "__main__":
    main()
