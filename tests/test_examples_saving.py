"""Seed 001's save/load program (examples/seed001_save_load.py): the loaded model is the trained one."""

import runpy
from pathlib import Path

import numpy as np

import lstmkit

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "seed001_save_load.py"


def test_seed001_save_and_load(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the program writes lstm_model.h5 into the working directory
    lstmkit.utils.set_random_seed(0)
    g = runpy.run_path(str(EXAMPLE), run_name="__main__")
    assert (tmp_path / "lstm_model.h5").is_file()
    loaded = g["model"]
    assert loaded.optimizer.iterations == 1000 and loaded.loss == "mean_squared_error"
    # The trained sequence 0.0, 0.2, ..., 0.8 comes back from the file (the seed's result).
    np.testing.assert_allclose(g["yhat"].ravel(), [0.0, 0.2, 0.4, 0.6, 0.8], atol=0.05)
    again = lstmkit.models.load_model(tmp_path / "lstm_model.h5")
    np.testing.assert_array_equal(again.predict(g["X"], verbose=0), g["yhat"])
    assert "[[" in capsys.readouterr().out
