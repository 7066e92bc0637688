"""Data- and model-parallel training over two in-process CPU devices, against one device.

The devices exist only in a subprocess (XLA_FLAGS=--xla_force_host_platform_device_count=2): the
test process keeps its one device. One subprocess runs every case (two_devices_script.py)."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).with_name("two_devices_script.py")


@pytest.fixture(scope="module")
def result():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=400)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT ")), None)
    assert proc.returncode == 0 and line is not None, proc.stdout[-2000:] + proc.stderr[-4000:]
    out = json.loads(line[len("RESULT "):])
    assert out["devices"] == 2
    return out


def test_data_parallel_fit_predict_evaluate_equal_one_device(result):
    assert result["dp_weights"] <= 1e-4
    assert result["dp_predict"] <= 1e-5
    assert result["dp_evaluate"] <= 1e-4
    assert result["dp_train_on_batch"] <= 1e-4


def test_data_parallel_weights_are_replicated_and_the_epoch_program_is_split(result):
    assert result["dp_weight_sharding"] == "P(None, None)" and result["dp_weight_devices"] == 2
    assert result["dp_partitions"] and result["dp_all_reduces"] >= 1


def test_data_parallel_windowed_series_and_generator(result):
    assert result["dp_windows"] <= 1e-4
    assert result["dp_generator"] <= 1e-4


def test_many_models_split_over_the_devices(result):
    assert result["many_models"] <= 1e-4


def test_a_batch_the_devices_do_not_divide_is_an_error(result):
    msg = result["odd_batch_error"]
    assert msg is not None and "multiple of 2" in msg and "batch size 5" in msg


def test_a_stateful_batch_the_devices_do_not_divide_is_an_error(result):
    msg = result["stateful_error"]
    assert msg is not None and "stateful model has batch size 5" in msg and "multiple of 2" in msg


def test_model_parallel_lays_out_the_kernels(result):
    assert result["mp_kernel_sharding"] == "P(None, 'model')"
    assert result["mp_weights"] <= 1e-4 and result["mp_predict"] <= 1e-5


def test_outside_the_scope_training_is_on_one_device_again(result):
    assert result["after_scope_devices"] == 1
