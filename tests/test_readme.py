"""The README's custom-layer example runs as written, and its saved file loads back."""

import pathlib
import re

import numpy as np

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_custom_layer_example_runs_as_written(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    example = next(b for b in blocks if "class Attention(layers.Layer)" in b)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(example, "README.md", "exec"), namespace)
    from lstmkit.saving import load_model

    loaded = load_model(tmp_path / "forecaster.keras", custom_objects={"Forecaster": namespace["Forecaster"]})
    x = namespace["x"][:4]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), namespace["model"].predict(x, verbose=0), rtol=1e-6)


def test_recurrent_cell_example_runs_as_written():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    example = next(b for b in blocks if "class MinimalRNNCell(layers.Layer)" in b)
    namespace = {}
    exec(compile(example, "README.md", "exec"), namespace)
    model = namespace["cells_model"]
    assert model.count_params() == (2 * 8 + 8 * 8) + 4 * ((8 + 4) * 4 + 4) + (4 + 1)
    assert model.predict(np.ones((1, 10, 2), "float32"), verbose=0).shape == (1, 10, 1)
