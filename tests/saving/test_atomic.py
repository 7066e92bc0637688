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
    first.save(path)  # the next save to the path removes what the killed one left
    assert not glob.glob(str(tmp_path / ".*.tmp"))


def test_stale_temporary_files_go_and_live_ones_stay(tmp_path):
    path = tmp_path / "m.keras"
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)  # a process that has ended
    stale = tmp_path / f".m.keras.{dead}-0123456789ab.tmp"
    live = tmp_path / f".m.keras.{os.getppid()}-0123456789ab.tmp"  # a running process's save
    old_style = tmp_path / ".m.keras.0123456789ab.tmp"  # written before temporary names held a process id
    other = tmp_path / f".other.keras.{dead}-0123456789ab.tmp"  # another file's
    for p in (stale, live, old_style, other):
        p.write_bytes(b"partial")
    os.utime(old_style, (0, 0))
    Sequential([lstmkit.Input((3,)), L.Dense(2)]).save(str(path))
    assert not stale.exists() and not old_style.exists()
    assert live.exists() and other.exists()
    assert load_model(str(path)).layers[0].units == 2


def test_saving_onto_a_directory_names_it(tmp_path):
    target = tmp_path / "model.keras"
    target.mkdir()
    model = Sequential([lstmkit.Input((3,)), L.Dense(2)])
    for path in (str(target), str(tmp_path / "model.h5")):
        os.makedirs(path, exist_ok=True)
        with pytest.raises(IsADirectoryError) as e:
            model.save(path)
        assert f"Cannot save to '{path}': it is a directory" in str(e.value)
    with pytest.raises(IsADirectoryError, match="it is a directory"):
        model.save_weights(str(tmp_path / "model.h5"))
    assert not glob.glob(str(tmp_path / ".*.tmp"))


def test_a_folder_that_cannot_be_written_names_the_path(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = str(folder / "model.keras")
    model = Sequential([lstmkit.Input((3,)), L.Dense(2)])
    if os.geteuid() == 0:  # root writes anywhere: make the folder refuse as a read-only one does
        from lstmkit.saving import atomic

        def refuse(tmp):
            raise PermissionError(13, "Permission denied", tmp)

        monkeypatch.setattr(atomic, "_create", refuse)
    else:
        os.chmod(folder, 0o500)
    try:
        for save in (model.save, model.save_weights):
            target = path if save == model.save else path.replace(".keras", ".weights.h5")
            with pytest.raises(PermissionError) as e:
                save(target)
            msg = str(e.value)
            assert f"Cannot save to '{target}'" in msg and "no permission to write into" in msg, msg
            assert ".tmp" not in msg, msg
    finally:
        os.chmod(folder, 0o700)
