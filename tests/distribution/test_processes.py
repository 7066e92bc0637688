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


def test_saved_by_process_zero_loaded_by_every_process(cluster):
    results, outputs = cluster
    assert all(r is not None for r in results), outputs
    for r in results:  # ModelCheckpoint's file, model.save's, and a fit resumed by BackupAndRestore
        assert float(r["ckpt"]) == 0.0 and float(r["final"]) == 0.0 and float(r["restored"]) == 0.0
    assert "BACKUP LEFT False" in outputs[0]  # process 0 deleted it at the end of the resumed fit


def test_only_process_zero_prints_and_logs(cluster):
    results, outputs = cluster
    assert all(r is not None for r in results), outputs
    assert "Epoch 1/3" in outputs[0] and "Epoch 1/3" not in outputs[1]
    folder = pathlib.Path(results[0]["folder"].item())
    assert (folder / "log_0.csv").exists() and not (folder / "log_1.csv").exists()


def test_each_process_passing_its_own_shard(cluster):
    """auto_shard_dataset=False: the global batches are the processes' batches side by side."""
    results, outputs = cluster
    assert all(r is not None for r in results), outputs
    for r in results:
        assert float(r["shard_w"]) <= 1e-4 and float(r["shard_e"]) <= 1e-4 and float(r["shard_tb"]) <= 1e-4
        assert float(r["shard_p"]) <= 1e-5  # predict returns this process's own rows
        assert "16 rows" in str(r["unequal_error"]) and "20 rows" in str(r["unequal_error"])
    np.testing.assert_array_equal(results[0]["sharded_w0"], results[1]["sharded_w0"])


def test_a_dead_process_makes_the_other_fail_clearly(cluster):
    _, outputs = cluster
    line = next((l for l in outputs[0].splitlines() if l.startswith(("FAILED", "NO ERROR"))), None)
    assert line is not None, outputs[0][-3000:]
    assert line.startswith("FAILED"), line
    assert "another process of the cluster stopped" in line
    seconds = float(line.split("after ")[1].split("s:")[0])
    assert seconds < 60, line
