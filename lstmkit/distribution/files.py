"""Saving in a cluster: process 0 writes, every process can then read.

Under a distribution every process of a cluster runs the same script, so each calls `model.save`,
`ModelCheckpoint`'s saves and `BackupAndRestore`'s backups at the same points. `one_writer` is the
hook `lstmkit.saving.atomic.atomic_write_path` goes through:

- process 0 writes as in a lone process (a temporary name, then a rename) and then posts, in the
  cluster's key-value store, that its k-th write of that path is complete (or failed, and why);
- every other process still runs the writing code (gathering weights split over processes needs
  every process), but into a private temporary folder that is then deleted, and then waits for
  process 0's post of the same write: when its save returns, the file is complete and loadable.

A process that saves a path process 0 never saves (e.g. a name holding the process id) waits in
vain: after `WAIT_S` seconds that is a clear error. With a shared filesystem every process can load
the file; without one only process 0's host has it.
"""

from __future__ import annotations

import collections
import contextlib
import os
import shutil
import tempfile

from lstmkit.distribution import cluster, placement

WAIT_S = 300  # how long a process waits for process 0 to finish writing a file

_writes = collections.Counter()  # path -> how many writes of it this process has made


def _key(path, count):
    return f"lstmkit/written/{count}/{path}"


@contextlib.contextmanager
def one_writer(filepath, write):
    """`write(filepath)` (a context manager yielding the temporary path to write into), done by process 0
    only while a distribution spans a cluster; see the module docstring."""
    client = cluster.client()
    if client is None or placement.current() is None:
        with write(filepath) as tmp:
            yield tmp
        return
    given = os.fspath(filepath)
    _writes[given] += 1
    key = _key(given, _writes[given])
    if placement.is_writer():
        try:
            with write(filepath) as tmp:
                yield tmp
        except BaseException as e:
            client.key_value_set(key, f"failed: {type(e).__name__}: {e}")
            raise
        client.key_value_set(key, "ok")
        return
    folder = tempfile.mkdtemp(prefix="lstmkit-not-written-")
    try:
        yield os.path.join(folder, os.path.basename(given) or "file")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _wait(client, key, given)


def _wait(client, key, path):
    try:
        status = client.blocking_key_value_get(key, WAIT_S * 1000)
    except Exception as e:  # noqa: BLE001 - the client's deadline or lost-cluster error, reported as one
        raise TimeoutError(
            f"Process {cluster.cluster_process_id()} waited {WAIT_S} s for process 0 to write '{path}', in vain "
            f"({type(e).__name__}: {e}). Under a distribution in a cluster process 0 writes the files: every "
            "process must save the same paths at the same points (a path naming the process id is never "
            "written by process 0), and process 0 must still be running.") from None
    if status != "ok":
        raise OSError(f"Process 0 could not write '{path}' ({status.removeprefix('failed: ')}); this process's "
                      "save fails with it.")
