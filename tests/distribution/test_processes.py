"""Data-parallel training over two processes on 127.0.0.1 (JAX's distributed runtime, Gloo on CPU)."""

import os
import pathlib
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

SCRIPT = pathlib.Path(__file__).with_name("processes_script.py")
TIMEOUT_S = 240


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cluster")
    port = _free_port()
    procs, logs = [], []
    for i in range(2):
        env = dict(os.environ, KERAS_DISTRIBUTION_JOB_ADDRESSES=f"127.0.0.1:{port}",
                   KERAS_DISTRIBUTION_NUM_PROCESSES="2", KERAS_DISTRIBUTION_PROCESS_ID=str(i), JAX_PLATFORMS="cpu")
        env.pop("XLA_FLAGS", None)  # one device per process
        logs.append(open(tmp / f"p{i}.log", "w+"))
        procs.append(subprocess.Popen([sys.executable, str(SCRIPT), str(tmp / f"p{i}.npz")], env=env,
                                      stdout=logs[-1], stderr=subprocess.STDOUT, text=True))
    deadline = time.monotonic() + TIMEOUT_S
    try:
        for p in procs:
            p.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    outputs = []
    for f in logs:
        f.seek(0)
        outputs.append(f.read())
        f.close()
    results = [dict(np.load(tmp / f"p{i}.npz")) if (tmp / f"p{i}.npz").exists() else None for i in range(2)]
    return results, outputs


def _weights(result, prefix):
    return [result[f"{prefix}{i}"] for i in range(sum(1 for k in result if k.startswith("ref_w")))]


def test_two_processes_train_to_the_single_device_weights(cluster):
    results, outputs = cluster
    assert all(r is not None for r in results), outputs
    for r in results:
        assert int(r["processes"]) == 2 and int(r["devices"]) == 2
        for ref, got in zip(_weights(r, "ref_w"), _weights(r, "w")):
            np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * np.max(np.abs(ref)))
        np.testing.assert_allclose(r["p"], r["ref_p"], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(r["e"], r["ref_e"], rtol=1e-4)
    for a, b in zip(_weights(results[0], "w"), _weights(results[1], "w")):
        np.testing.assert_array_equal(a, b)


def test_a_dead_process_makes_the_other_fail_clearly(cluster):
    _, outputs = cluster
    line = next((l for l in outputs[0].splitlines() if l.startswith(("FAILED", "NO ERROR"))), None)
    assert line is not None, outputs[0][-3000:]
    assert line.startswith("FAILED"), line
    assert "another process of the cluster stopped" in line
    seconds = float(line.split("after ")[1].split("s:")[0])
    assert seconds < 60, line
