"""Devices and processes: what `DeviceMesh` is made of, and `initialize` for a cluster of processes."""

from __future__ import annotations

import os

import jax
import numpy as np


# ------------------------------------------------------------------------------------ devices
def list_devices(device_type=None):
    """The devices available for distributed computation, as strings "cpu:0", "gpu:1", ...

    In a multi-process setting these are the global devices (every process's). Without `device_type`,
    the default backend's devices (GPUs or TPUs if present, else CPUs)."""
    device_type = device_type.lower() if device_type else None
    return [f"{d.platform}:{d.id}" for d in jax.devices(backend=device_type)]


def get_device_count(device_type=None):
    """How many devices `list_devices(device_type)` returns."""
    device_type = device_type.lower() if device_type else None
    return jax.device_count(device_type)


def _to_device(name):
    if isinstance(name, jax.Device):
        return name
    name = str(name)
    kind, _, index = name.partition(":")
    try:
        index = int(index or 0)
        candidates = jax.devices(backend=kind)
    except (ValueError, RuntimeError) as e:
        raise ValueError(f"Device not found: {name!r} ({e}). Available: {list_devices()}.") from None
    for d in candidates:
        if d.id == index:
            return d
    raise ValueError(f"Device not found: {name!r}. Available: {list_devices(kind)}.")


# ------------------------------------------------------------------------------------ processes
def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Join (or form) a cluster of processes, one per host; call it first, before any computation.

    Arguments, each read from the environment when None, as in Keras: `job_addresses`
    (`KERAS_DISTRIBUTION_JOB_ADDRESSES`: "host:port" of process 0, the coordinator, or a
    comma-separated list of every process's address whose first entry is the coordinator),
    `num_processes` (`KERAS_DISTRIBUTION_NUM_PROCESSES`), `process_id`
    (`KERAS_DISTRIBUTION_PROCESS_ID`, 0 to num_processes - 1). With none of them set, JAX detects the
    cluster itself (SLURM, Open MPI, cloud TPU). On CPU the processes talk over Gloo.

    Every process then agrees on one random seed (process 0's, unless `set_random_seed` was called),
    so the models every process builds start from the same weights.
    """
    if job_addresses is None:
        job_addresses = os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in os.environ:
        num_processes = _env_int("KERAS_DISTRIBUTION_NUM_PROCESSES")
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in os.environ:
        process_id = _env_int("KERAS_DISTRIBUTION_PROCESS_ID")
    coordinator = job_addresses
    if job_addresses and "," in job_addresses:
        addresses = [a.strip() for a in job_addresses.split(",")]
        if num_processes is not None and num_processes != len(addresses):
            raise ValueError(f"`job_addresses` lists {len(addresses)} jobs ({addresses}), but num_processes is "
                             f"{num_processes}.")
        coordinator = addresses[0]
    if num_processes is not None and process_id is not None and not 0 <= process_id < num_processes:
        raise ValueError(f"`process_id` must be in [0, {num_processes - 1}] for num_processes={num_processes}; "
                         f"received {process_id}.")
    # Gloo is JAX's CPU collectives; it must be chosen before the CPU backend starts. Harmless on GPUs.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes, process_id=process_id)
    _agree_on_seed()


def _env_int(name):
    value = os.environ[name]
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"Environment variable {name} must be an integer; received {value!r}.") from None


def _agree_on_seed():
    from lstmkit import _random

    if jax.process_count() == 1 or _random.get_seed() is not None:
        return
    from jax.experimental import multihost_utils

    local = np.asarray(int.from_bytes(os.urandom(4), "little") & 0x7FFFFFFF, np.int64)
    _random.set_seed(int(multihost_utils.broadcast_one_to_all(local)))


def num_processes():
    return jax.process_count()


def process_id():
    return jax.process_index()


def client():
    """The cluster's coordination client after `initialize` (None in a lone process).

    Read from JAX's own state rather than `jax.process_count()`, which would start the backends: a
    file saved before `initialize` must not make `initialize` impossible."""
    try:
        from jax._src import distributed
    except ImportError:  # pragma: no cover - JAX moved it: behave as a lone process
        return None
    return distributed.global_state.client


def cluster_process_id():
    """This process's id in the cluster (0 in a lone process), without starting the backends."""
    if client() is None:
        return 0
    from jax._src import distributed

    return int(distributed.global_state.process_id or 0)
