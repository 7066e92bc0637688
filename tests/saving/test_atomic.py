"""Saving is atomic: a process killed (SIGKILL) in the middle of a save leaves the previous file loadable."""

import glob
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit.models import Sequential, load_model

# Saves a model over `path`, and stops in the middle of writing the file (after its first part) until killed.
SAVER = textwrap.dedent("""
    import sys, time, zipfile
    import lstmkit
    from lstmkit import layers as L
    from lstmkit.saving import weights

    def pause():
        print("midway", flush=True)
        time.sleep(120)

    write_weights, writestr = weights.write_legacy_weights, zipfile.ZipFile.writestr
    def weights_then_pause(*args, **kwargs):  # .h5: model config and weights written, file not closed
        write_weights(*args, **kwargs)
        pause()
    def member_then_pause(self, *args, **kwargs):  # .keras: first archive member written
        writestr(self, *args, **kwargs)
        pause()
    weights.write_legacy_weights, zipfile.ZipFile.writestr = weights_then_pause, member_then_pause

    model = lstmkit.Sequential([lstmkit.Input((50,)), L.Dense(40), L.Dense(1)])
    model.save(sys.argv[1])
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("ext", [".h5", ".keras"])
def test_killed_save_leaves_the_previous_file_intact(tmp_path, ext):
    path = str(tmp_path / f"model{ext}")
    first = Sequential([lstmkit.Input((3,)), L.Dense(2)])
    first.save(path)
    expected = first.get_weights()
    repo = str(Path(__file__).resolve().parent.parent.parent)  # this checkout's lstmkit, not an installed one
    env = {**os.environ, "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": os.pathsep.join(p for p in (repo, os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.Popen([sys.executable, "-c", SAVER, path], stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline().strip() == b"midway"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert glob.glob(str(tmp_path / ".*.tmp")), "the killed save left no partial file: it was not mid-save"
    model = load_model(path)
    assert [w.shape for w in model.get_weights()] == [w.shape for w in expected]
    for a, b in zip(model.get_weights(), expected):
        np.testing.assert_array_equal(a, b)
