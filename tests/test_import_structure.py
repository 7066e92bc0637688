"""The package's structure: dependencies point down, and facts about one layer live in that layer.

Reads the import statements of lstmkit's modules (module-level and inside functions) with `ast`;
imports nothing of lstmkit.
"""

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1] / "lstmkit"


def _modules() -> dict:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _import_graph() -> dict:
    modules = _modules()

    def resolve(name):
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {m: set() for m in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from pkg import sub` imports the submodule when there is one.
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                           for a in node.names]
            graph[module] |= {t for t in map(resolve, targets) if t and t != module}
    return graph


def _cycles(graph) -> list:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in graph:
        if v not in index:
            visit(v)
    return out


def _package(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_no_import_circle_between_layers_saving_and_models():
    for comp in _cycles(_import_graph()):
        packages = {_package(m) for m in comp}
        assert len(packages & {"layers", "saving", "models"}) <= 1 and "lstmkit" not in comp, sorted(comp)


def test_saving_imports_no_model_and_no_concrete_layer():
    graph = _import_graph()
    allowed_layers = {"lstmkit.layers", "lstmkit.layers.base", "lstmkit.layers.serialization"}
    for module, targets in graph.items():
        if module.startswith("lstmkit.saving"):
            assert not {t for t in targets if t.startswith("lstmkit.models")}, module
            assert {t for t in targets if t.startswith("lstmkit.layers")} <= allowed_layers, module


def test_the_layers_do_not_import_saving_or_models():
    for module, targets in _import_graph().items():
        if module.startswith("lstmkit.layers"):
            assert not {t for t in targets if t.startswith(("lstmkit.saving", "lstmkit.models"))}, module


def test_no_module_outside_a_layer_knows_particular_layers():
    # The facts about one layer (weight paths, parameter counts, traced gates) live in its own file.
    pattern = re.compile(r"RNNBase|TimeDistributed|Bidirectional|LSTM\b")
    paths = list((ROOT / "saving").rglob("*.py")) + [ROOT / "models" / "param_counts.py", ROOT / "inspect.py"]
    found = [f"{p.name}:{i}" for p in paths for i, line in enumerate(p.read_text().splitlines(), 1)
             if pattern.search(line)]
    assert not found, found


# --- `import lstmkit` is light; the public API arrives whole on first use (the CLI's speed, issue 15) ---

def _fresh(code, tmp_path):
    """Run `code` in a new interpreter with the cache directory under tmp_path; its stdout as JSON."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "LSTMKIT_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # not the working folder: its lstmkit/ would shadow ours
    proc = subprocess.run([sys.executable, "-c", "import json, sys\n" + code], capture_output=True, text=True,
                          timeout=300, env=env, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_import_lstmkit_and_the_cli_parser_import_no_jax(tmp_path):
    loaded = _fresh("import lstmkit, lstmkit.cli\n"
                    "lstmkit.cli.build_parser()\n"
                    "print(json.dumps(sorted(m for m in sys.modules if m == 'jax' or m == 'numpy'\n"
                    "                        or m.startswith(('lstmkit.layers', 'lstmkit.models')))))", tmp_path)
    assert loaded == []


def test_the_public_api_and_the_cache_setting_arrive_on_first_use(tmp_path):
    cache = str(tmp_path / "cache" / "lstmkit" / "jax")
    for first in ("from lstmkit.layers import LSTM", "import lstmkit.ops",  # a module that uses JAX, alone
                  "import jax; from lstmkit import Sequential"):  # JAX imported first: configured all the same
        found = _fresh(first + "\n"
                       "import jax, lstmkit\n"
                       "names = [n for n in lstmkit.__all__ if not hasattr(lstmkit, n)]\n"
                       "print(json.dumps([jax.config.jax_compilation_cache_dir, names,\n"
                       "                  sorted(set(lstmkit.__all__) - set(dir(lstmkit))),\n"
                       "                  lstmkit.layers.LSTM is sys.modules['lstmkit.layers.lstm'].LSTM,\n"
                       "                  'lstmkit.engine.training' in sys.modules]))", tmp_path)
        assert found == [cache, [], [], True, True], first



def test_a_module_imported_first_is_the_one_the_library_uses(tmp_path):
    # The first import of a module that the deferred public API imports too must not run its file twice
    # (two `lstmkit._random` modules would be two random streams).
    for first in ("from lstmkit import _random", "import lstmkit._random", "import lstmkit.layers"):
        same = _fresh(first + "\n"
                      "import lstmkit._random, lstmkit.layers, lstmkit.training.trainer as t, lstmkit.layers.lstm\n"
                      "print(json.dumps([t._random is sys.modules['lstmkit._random'],\n"
                      "                  lstmkit.layers.LSTM is sys.modules['lstmkit.layers.lstm'].LSTM]))", tmp_path)
        assert same == [True, True], first


def test_reading_a_csv_imports_no_jax(tmp_path):
    # The CLI reads and checks a CSV (constant column, inf, no value column) before it loads JAX: its
    # content errors come in well under a second. lstmkit.forecasting loads its names on first use.
    loaded = _fresh("import lstmkit.forecasting, lstmkit.forecasting.reading, lstmkit.forecasting.panel_reading\n"
                    "import lstmkit.cli.forecast, lstmkit.cli.forecast_panel\n"
                    "print(json.dumps(sorted(m for m in sys.modules if m == 'jax'\n"
                    "                        or m.startswith(('lstmkit.layers', 'lstmkit.models', 'lstmkit.training')))))",
                    tmp_path)
    assert loaded == []
    assert _fresh("import lstmkit.forecasting as f\nprint(json.dumps([f.Forecaster.__name__, f.mase.__name__]))",
                  tmp_path) == ["Forecaster", "mase"]
