"""examples/counter.py and examples/memory.py: both experiments find their unit and draw it."""

import runpy
from pathlib import Path

import numpy as np
import pytest

import lstmkit

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples write their picture to the current directory
    lstmkit.utils.set_random_seed(0)
    return runpy.run_path(str(EXAMPLES / name), run_name="__main__")


def _is_png(path):
    return path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_counter_finds_the_counting_cell(tmp_path, monkeypatch, capsys):
    g = _run("counter.py", tmp_path, monkeypatch)
    counter, traces, count = g["counter"], g["traces"], g["count"]
    assert abs(counter.correlation) > 0.9
    c = traces["lstm"].c[..., counter.unit]
    real = ~np.isnan(count)
    assert abs(np.corrcoef(c[real], count[real])[0, 1] - counter.correlation) < 1e-9  # recomputed independently
    assert all(g["after_x"])  # the model really counts: every b and the end mark right
    assert _is_png(tmp_path / "counter.png")
    assert f"unit {counter.unit}: correlation" in capsys.readouterr().out


def test_memory_finds_the_unit_that_remembers_a_or_b(tmp_path, monkeypatch):
    g = _run("memory.py", tmp_path, monkeypatch)
    final, is_a = g["final"], g["is_a"]
    assert g["recalled"].all()
    assert final[is_a].min() > final[~is_a].max() or final[is_a].max() < final[~is_a].min()
    lstm = g["traces"]["lstm"]
    rows, last = np.arange(len(is_a)), g["last_step"]
    np.testing.assert_array_equal(final, lstm.c[rows, last, g["unit"]])
    assert all(g["strings"][r][last[r]] == "Y" for r in rows)  # the separating step is the one before a/b
    assert _is_png(tmp_path / "memory.png")
