"""Hostile model files: seeded mutations of real Keras 2/3 files and of lstmkit's own, each loaded
by a worker process under a time and memory limit.

    python -m bench.fuzz_files --n 2000 [--seed 0] [--timeout 20] [--mem-gb 3] [--show 10]

Every mutated file must give a `ValueError`/`OSError` naming the file, or load and predict. The
worker is one process that loads file after file and reports on each (a restarted one replaces it
when it dies or hangs), so a run costs about as much as the loads themselves. The suite's
`tests/saving/test_fuzz_files.py` runs a few hundred of the same mutations.

Outcomes: `clear error` (ValueError/OSError naming the file), `loaded` (and predicted), `wrong error`
(another type, or a message without the path), `predict failed` (loaded, then predict raised),
`hang` (over the time limit), `crash` (the worker died), `memory` (MemoryError, or died allocating).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
OUTCOMES = ("clear error", "loaded", "wrong error", "predict failed", "hang", "crash", "memory")
GOOD = ("clear error", "loaded")


# ----------------------------------------------------------------------------------------------- sources
def fixture_sources() -> list:
    """[(path, mode)] of the stored Keras 2 / Keras 3 files; mode 'model' means load_model."""
    out = []
    for sub, exts in (("keras3", (".keras", ".h5")), ("keras2", (".h5",))):
        folder = os.path.join(FIXTURES, sub)
        for name in sorted(os.listdir(folder)):
            if name.endswith(exts):
                out.append((os.path.join(folder, name), "model"))
    return out


def lstmkit_sources(folder) -> list:
    """Files lstmkit writes (a Sequential LSTM and a functional GRU model, .keras / .h5 / .weights.h5)."""
    import lstmkit
    from lstmkit import layers as L

    os.makedirs(folder, exist_ok=True)
    seq = lstmkit.models.Sequential([lstmkit.Input((4, 2)), L.LSTM(3), L.Dense(1)])
    seq.compile("adam", "mse")
    inp = lstmkit.Input((5, 3))
    x = L.GRU(2, return_sequences=True)(inp)
    x = L.Dropout(0.1)(x)
    out = L.Dense(2)(L.Flatten()(x))
    fun = lstmkit.models.Model(inp, out)
    files = []
    for model, name in ((seq, "lk_seq"), (fun, "lk_fun")):
        for ext in (".keras", ".h5"):
            path = os.path.join(folder, name + ext)
            model.save(path)
            files.append((path, "model"))
    weights = os.path.join(folder, "lk_seq.weights.h5")
    seq.save_weights(weights)
    files.append((weights, "weights:" + os.path.join(folder, "lk_seq.keras")))
    legacy = os.path.join(folder, "lk_seq_legacy_weights.h5")
    seq.save_weights(legacy)
    files.append((legacy, "weights:" + os.path.join(folder, "lk_seq.keras")))
    return files


# ----------------------------------------------------------------------------------------------- mutations
_HUGE = [10 ** 5, 10 ** 6, 10 ** 9, 2 ** 31, 2 ** 62, -1, -7, 0, 2.5, 1e300, "7", None, True, [], {}]


def _bytes_flip(rng, data):
    data = bytearray(data)
    k = int(rng.integers(1, 32))
    for pos in rng.integers(0, len(data), size=k):
        data[pos] ^= int(rng.integers(1, 256))
    return bytes(data), f"flip {k} bytes"


def _bytes_zero(rng, data):
    start = int(rng.integers(0, len(data)))
    length = int(rng.choice([8, 64, 512, 4096]))
    data = bytearray(data)
    data[start:start + length] = bytes(min(length, len(data) - start))
    return bytes(data), f"zero bytes {start}..{start + length}"


def _bytes_truncate(rng, data):
    cut = int(rng.integers(0, len(data)))
    return data[:cut], f"truncate at {cut}"


def _number_paths(obj, path=()):
    """Paths to the numbers (and number lists) of a JSON value."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _number_paths(v, path + (k,))
    elif isinstance(obj, list):
        if obj and all(isinstance(v, (int, float)) or v is None for v in obj):
            out.append(path)
        for i, v in enumerate(obj):
            out += _number_paths(v, path + (i,))
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        out.append(path)
    return out


def _all_paths(obj, path=()):
    out = [path]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _all_paths(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _all_paths(v, path + (i,))
    return out


def _set(obj, path, value):
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value


def _get(obj, path):
    for p in path:
        obj = obj[p]
    return obj


_SIZE_KEYS = ("units", "filters", "n", "input_dim", "output_dim", "target_shape", "dims", "batch_shape",
              "batch_input_shape", "input_shape", "kernel_size", "pool_size", "num_heads", "key_dim", "axis",
              "size", "cropping", "padding", "strides")


def _layers_list(config):
    inner = config.get("config") if isinstance(config, dict) else None
    if isinstance(inner, dict) and isinstance(inner.get("layers"), list):
        return inner["layers"]
    if isinstance(inner, list):
        return inner
    return None


def mutate_config(rng, config):
    """A JSON model config changed in one seeded way; returns (config or raw JSON text, description)."""
    kind = rng.choice(["number", "size_key", "drop_layer", "empty_layers", "no_build", "deep", "drop_key",
                       "rename_layer", "duplicate_layer", "class_name", "wide"])
    layers = _layers_list(config)
    if kind == "number":
        paths = _number_paths(config)
        if paths:
            path = paths[int(rng.integers(len(paths)))]
            value = _HUGE[int(rng.integers(len(_HUGE)))]
            if isinstance(_get(config, path), list) and rng.random() < 0.7:
                old = list(_get(config, path))
                if old:
                    old[int(rng.integers(len(old)))] = value
                value = old
            _set(config, path, value)
            return config, f"config {'/'.join(map(str, path))} = {json.dumps(value)[:40]}"
    if kind == "size_key":
        paths = [p for p in _all_paths(config) if p and p[-1] in _SIZE_KEYS]
        if paths:
            path = paths[int(rng.integers(len(paths)))]
            old = _get(config, path)
            value = _HUGE[int(rng.integers(len(_HUGE)))]
            if isinstance(old, list) and old:
                old = list(old)
                old[int(rng.integers(len(old)))] = value
                value = old
            _set(config, path, value)
            return config, f"config {'/'.join(map(str, path))} = {json.dumps(value)[:40]}"
    if kind == "drop_layer" and layers:
        i = int(rng.integers(len(layers)))
        removed = layers.pop(i)
        return config, f"config: layer {i} ({removed.get('class_name') if isinstance(removed, dict) else '?'}) removed"
    if kind == "empty_layers" and layers is not None:
        layers.clear()
        return config, "config: layers = []"
    if kind == "no_build":
        config.pop("build_config", None)
        if isinstance(config.get("config"), dict):
            config["config"].pop("build_input_shape", None)
        if layers and isinstance(layers[0], dict) and layers[0].get("class_name") == "InputLayer":
            layers.pop(0)
        for entry in layers or []:
            if isinstance(entry, dict):
                entry.pop("build_config", None)
                if isinstance(entry.get("config"), dict):
                    entry["config"].pop("batch_input_shape", None)
        return config, "config: InputLayer and build configs removed"
    if kind == "deep":
        depth = int(rng.choice([200, 5000, 100000]))
        text = json.dumps(config)
        key = '"config": '
        at = text.find(key, int(rng.integers(0, max(1, len(text) // 2))))
        if at < 0:
            at = text.find(key)
        if at >= 0:
            at += len(key)
            text = text[:at] + '{"config": ' * depth + "{}" + "}" * depth + ', "x": ' + text[at:]
            return text, f"config nested {depth} deep"
    if kind == "drop_key":
        paths = [p for p in _all_paths(config) if p and isinstance(p[-1], str)]
        if paths:
            path = paths[int(rng.integers(len(paths)))]
            parent = _get(config, path[:-1])
            parent.pop(path[-1], None)
            return config, f"config: key {'/'.join(map(str, path))} removed"
    if kind == "rename_layer" and layers:
        entry = layers[int(rng.integers(len(layers)))]
        if isinstance(entry, dict) and isinstance(entry.get("config"), dict):
            entry["config"]["name"] = "renamed_" + str(entry["config"].get("name"))
            return config, "config: a layer renamed"
    if kind == "duplicate_layer" and layers:
        i = int(rng.integers(len(layers)))
        layers.insert(i, json.loads(json.dumps(layers[i])))
        return config, f"config: layer {i} duplicated"
    if kind == "class_name" and layers:
        entry = layers[int(rng.integers(len(layers)))]
        if isinstance(entry, dict):
            entry["class_name"] = str(rng.choice(["LSTM", "Dense", "Sequential", "Functional", "Lambda",
                                                  "Bidirectional", "RepeatVector", "Nope"]))
            return config, f"config: a class_name = {entry['class_name']}"
    if kind == "wide" and layers is not None:
        n = int(rng.choice([1000, 100000]))
        layers.extend({"class_name": "Dense", "config": {"units": 1, "name": f"d{i}"}} for i in range(n))
        return config, f"config: {n} layers appended"
    paths = _number_paths(config)
    if paths:
        path = paths[int(rng.integers(len(paths)))]
        _set(config, path, 10 ** 9)
        return config, f"config {'/'.join(map(str, path))} = 1e9"
    return config, "config unchanged"


def _config_text(rng, text):
    try:
        config = json.loads(text)
    except (ValueError, RecursionError):
        return text, "config (unparsable, unchanged)"
    mutated, what = mutate_config(rng, config)
    return (mutated if isinstance(mutated, str) else json.dumps(mutated)), what


def mutate_h5(rng, path):
    """Change an HDF5 file in place (datasets and attributes, through h5py)."""
    import h5py

    with h5py.File(path, "r+") as f:
        datasets, groups = [], []
        f.visititems(lambda name, obj: (datasets if isinstance(obj, h5py.Dataset) else groups).append(name))
        kind = rng.choice(["reshape", "declared_empty", "dtype", "delete", "attr", "config", "link", "huge_stored"])
        if kind == "config" and "model_config" not in f.attrs:
            kind = "attr"
        if kind in ("reshape", "declared_empty", "dtype", "delete", "link", "huge_stored") and not datasets:
            kind = "attr"
        if kind == "config":
            raw = f.attrs["model_config"]
            text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
            text, what = _config_text(rng, text)
            f.attrs["model_config"] = text.encode("utf-8")
            return f"h5 model_config: {what}"
        if kind == "attr":
            holders = [f] + [f[g] for g in groups]
            holder = holders[int(rng.integers(len(holders)))]
            names = list(holder.attrs)
            if not names:
                holder.attrs["weight_names"] = np.array([b"nope:0"])
                return f"h5 attr {holder.name}/weight_names added"
            name = names[int(rng.integers(len(names)))]
            value = rng.choice(["garbage", "list", "empty", "number", "delete"])
            if value == "delete":
                del holder.attrs[name]
            elif value == "garbage":
                holder.attrs[name] = b"\xff\xfe not json {"
            elif value == "list":
                holder.attrs[name] = np.array([b"a", b"b", b"layer_x/kernel:0"])
            elif value == "empty":
                holder.attrs[name] = np.array([])
            else:
                holder.attrs[name] = np.int64(-5)
            return f"h5 attr {holder.name}/{name}: {value}"
        name = datasets[int(rng.integers(len(datasets)))]
        old = f[name]
        shape, dtype = old.shape, old.dtype
        del f[name]
        if kind == "reshape":
            new = tuple(int(d) + int(rng.choice([-1, 1, 3])) if d > 1 else 2 for d in shape) or (3,)
            f.create_dataset(name, data=np.zeros(new, np.float32))
            return f"h5 dataset {name}: shape {shape} -> {new}"
        if kind == "declared_empty":
            new = tuple(int(rng.choice([10 ** 5, 10 ** 6])) for _ in (shape or (1,)))
            f.create_dataset(name, shape=new, dtype="float64", chunks=True, compression="gzip")
            return f"h5 dataset {name}: declares {new}, stores nothing"
        if kind == "huge_stored":
            f.create_dataset(name, data=np.zeros((1500, 1500), np.float32), compression="gzip")
            return f"h5 dataset {name}: (1500, 1500) zeros, compressed"
        if kind == "dtype":
            choice = rng.choice(["str", "int", "bool", "compound"])
            if choice == "str":
                f.create_dataset(name, data=np.array([b"x"] * max(1, int(np.prod(shape)))))
            elif choice == "int":
                f.create_dataset(name, data=np.ones(shape, np.int64))
            elif choice == "bool":
                f.create_dataset(name, data=np.ones(shape, bool))
            else:
                f.create_dataset(name, data=np.zeros(shape, dtype=[("a", "f4"), ("b", "i4")]))
            return f"h5 dataset {name}: dtype {dtype} -> {choice}"
        if kind == "link":
            other = datasets[int(rng.integers(len(datasets)))]
            if rng.random() < 0.5:
                f[name] = h5py.SoftLink("/" + other if other != name else "/nowhere")
                return f"h5 dataset {name}: soft link"
            f[name] = h5py.ExternalLink("/etc/hostname", "/x")
            return f"h5 dataset {name}: external link"
        return f"h5 dataset {name} deleted"


def mutate_zip(rng, src, dst):
    """A `.keras` archive with one entry changed."""
    with zipfile.ZipFile(src) as zf:
        entries = [(info, zf.read(info.filename)) for info in zf.infolist()]
    kind = rng.choice(["config", "config", "weights", "drop", "metadata", "bomb", "duplicate", "deflate"])
    what = kind
    out = []
    for info, data in entries:
        if kind in ("config", "metadata") and info.filename == f"{kind}.json":
            text, what = _config_text(rng, data.decode("utf-8", "replace")) if kind == "config" else \
                (json.dumps({"keras_version": str(rng.choice(["2.15.0", "1.0", "x", ""]))}), "metadata version")
            data = text.encode("utf-8")
        elif kind == "weights" and info.filename == "model.weights.h5":
            with tempfile.TemporaryDirectory() as tmp:
                inner = os.path.join(tmp, "w.h5")
                with open(inner, "wb") as f:
                    f.write(data)
                what = "inner " + mutate_h5(rng, inner)
                with open(inner, "rb") as f:
                    data = f.read()
        elif kind == "drop" and info.filename == str(rng.choice([i.filename for i, _ in entries])):
            what = f"entry {info.filename} dropped"
            continue
        out.append((info.filename, data))
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED if kind in ("bomb", "deflate") else
                         zipfile.ZIP_STORED) as zf:
        for name, data in out:
            if kind == "bomb" and name == "model.weights.h5":
                data = data + bytes(8 << 20)  # compresses to about 8 KB
                what = "weights entry padded with 8 MB of zeros (deflated)"
            zf.writestr(name, data)
            if kind == "duplicate" and name == "config.json":
                zf.writestr(name, b'{"class_name": "Sequential", "config": {"layers": []}}')
                what = "config.json twice"
    return what


def make_mutant(rng, src, dst):
    """Write one mutation of `src` to `dst`; returns its description."""
    with open(src, "rb") as f:
        data = f.read()
    is_zip = data[:2] == b"PK"
    kinds = ["flip", "zero", "truncate"] + (["zip"] * 4 if is_zip else ["h5"] * 4)
    kind = kinds[int(rng.integers(len(kinds)))]
    if kind == "zip":
        return mutate_zip(rng, src, dst)
    if kind == "h5":
        shutil.copyfile(src, dst)
        return mutate_h5(rng, dst)
    data, what = {"flip": _bytes_flip, "zero": _bytes_zero, "truncate": _bytes_truncate}[kind](rng, data)
    with open(dst, "wb") as f:
        f.write(data)
    return what


def make_cases(n, seed, folder, sources) -> list:
    """[{'path', 'mode', 'source', 'what'}] of `n` seeded mutants of `sources`, written into `folder`."""
    cases = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        src, mode = sources[i % len(sources)]
        ext = ".weights.h5" if src.endswith(".weights.h5") else os.path.splitext(src)[1]
        dst = os.path.join(folder, f"m{i:05d}{ext}")
        try:
            what = make_mutant(rng, src, dst)
        except Exception as e:  # a mutation h5py itself refuses to write: use the source bytes flipped
            with open(src, "rb") as f:
                data, what = _bytes_flip(rng, f.read())
            with open(dst, "wb") as f:
                f.write(data)
            what += f" (after {type(e).__name__})"
        cases.append({"path": dst, "mode": mode, "source": os.path.basename(src), "what": what})
    return cases


# ----------------------------------------------------------------------------------------------- worker
def _predict(model):
    xs = []
    for t in model.inputs:
        shape = [2 if d is None else d for d in t.shape]
        dtype = np.dtype(getattr(t, "dtype", "float32") or "float32")
        # Values in [0, 1): valid for every input, an Embedding's included (they truncate to index 0).
        xs.append(np.zeros(shape, dtype) if dtype.kind in "iub" else
                  np.random.default_rng(0).random(size=shape).astype(dtype))
    y = model.predict(xs[0] if len(xs) == 1 else xs, verbose=0)
    for leaf in (y if isinstance(y, (list, tuple)) else [y]):
        np.asarray(leaf)


def _load_one(case) -> dict:
    from lstmkit.models import load_model

    path = case["path"]
    started = time.perf_counter()
    stage = "load"
    try:
        if case["mode"].startswith("weights:"):
            model = load_model(case["mode"][len("weights:"):], compile=False)
            model.load_weights(path)
        else:
            model = load_model(path, compile=True)
        stage = "predict"
        _predict(model)
        outcome, detail = "loaded", ""
    except MemoryError as e:
        outcome, detail = "memory", f"MemoryError: {e}"[:300]
    except (ValueError, OSError) as e:
        named = path in str(e)
        outcome = ("clear error" if named else "wrong error") if stage == "load" else "predict failed"
        detail = f"{type(e).__name__}: {e}"[:300]
    except BaseException as e:  # noqa: BLE001 - the point is to see every kind
        outcome = "wrong error" if stage == "load" else "predict failed"
        detail = f"{type(e).__name__}: {e}"[:300]
    return {"outcome": outcome, "detail": detail, "seconds": round(time.perf_counter() - started, 3),
            "maxrss_mb": resource_maxrss_mb()}


def resource_maxrss_mb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def worker_main(mem_bytes):
    import resource
    import warnings

    warnings.simplefilter("ignore")
    if mem_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))
    import lstmkit  # noqa: F401  (imported before the first file, so loads are timed alone)

    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in sys.stdin:
        case = json.loads(line)
        result = _load_one(case)
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


class Worker:
    """The loading process: one file at a time, answers one JSON line per file."""

    def __init__(self, mem_bytes, start_timeout=120):
        env = {**os.environ, "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3",
               "XLA_FLAGS": os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"}
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.fuzz_files", "--worker", "--mem-bytes",
                                      str(mem_bytes)], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True, bufsize=1)
        if self._readline(start_timeout) != "ready":
            raise RuntimeError(f"the fuzz worker did not start: {self._stderr_tail()}")

    def _readline(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        return self.proc.stdout.readline().strip()

    def _stderr_tail(self):
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")[-400:]

    def load(self, case, timeout) -> dict:
        try:
            self.proc.stdin.write(json.dumps(case) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        line = self._readline(timeout)
        if line:
            return json.loads(line)
        if line is None:  # still running
            self.kill()
            return {"outcome": "hang", "detail": f"no answer within {timeout} s", "seconds": timeout}
        self.proc.wait()
        code, tail = self.proc.returncode, self._stderr_tail()
        memoryish = any(s in tail for s in ("bad_alloc", "RESOURCE_EXHAUSTED", "MemoryError", "Cannot allocate",
                                             "out of memory"))
        return {"outcome": "memory" if memoryish else "crash",
                "detail": f"worker exited {code} ({signal.Signals(-code).name if code and code < 0 else code}): "
                          f"{tail[-200:]}", "seconds": None}

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def run_cases(cases, timeout=20.0, mem_bytes=3 << 30, progress=None) -> list:
    """Load every case in the worker (restarted after a death or hang); the cases with 'result' added."""
    worker = None
    try:
        for i, case in enumerate(cases):
            if worker is None or not worker.alive():
                worker = Worker(mem_bytes)
            case["result"] = worker.load({"path": case["path"], "mode": case["mode"]}, timeout)
            if progress:
                progress(i, case)
    finally:
        if worker is not None:
            worker.close()
    return cases


def summary_table(cases) -> str:
    counts = collections.Counter(c["result"]["outcome"] for c in cases)
    by_source = collections.defaultdict(collections.Counter)
    for c in cases:
        by_source[c["source"]][c["result"]["outcome"]] += 1
    rows = [["source"] + list(OUTCOMES)]
    for source in sorted(by_source):
        rows.append([source] + [str(by_source[source][o]) for o in OUTCOMES])
    rows.append(["total"] + [str(counts[o]) for o in OUTCOMES])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(r, widths)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    seconds = [c["result"]["seconds"] for c in cases if c["result"].get("seconds") is not None]
    rss = [c["result"].get("maxrss_mb") for c in cases if c["result"].get("maxrss_mb")]
    lines.append(f"{len(cases)} files; slowest load {max(seconds, default=0):.2f} s; "
                 f"worker peak RSS {max(rss, default=0)} MB")
    slowest = sorted((c for c in cases if c["result"].get("seconds") is not None),
                     key=lambda c: -c["result"]["seconds"])[:3]
    lines += [f"  slow: {c['result']['seconds']:.2f} s {os.path.basename(c['path'])} <- {c['source']}: {c['what']}"
              for c in slowest]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--mem-gb", type=float, default=3.0)
    parser.add_argument("--show", type=int, default=10, help="list this many failures of each kind")
    parser.add_argument("--keep", help="write the mutants into this folder and keep them")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mem-bytes", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args.mem_bytes)
        return 0
    folder = args.keep or tempfile.mkdtemp(prefix="lstmkit_fuzz_")
    os.makedirs(folder, exist_ok=True)
    try:
        sources = fixture_sources() + lstmkit_sources(os.path.join(folder, "sources"))
        cases = make_cases(args.n, args.seed, folder, sources)
        started = time.time()

        def progress(i, case):
            if (i + 1) % 50 == 0:
                print(f"  {i + 1}/{len(cases)} files, {time.time() - started:.0f} s", file=sys.stderr, flush=True)

        run_cases(cases, args.timeout, int(args.mem_gb * (1 << 30)), progress)
        print(summary_table(cases))
        for outcome in OUTCOMES:
            if outcome in GOOD:
                continue
            bad = [c for c in cases if c["result"]["outcome"] == outcome][:args.show]
            for c in bad:
                print(f"[{outcome}] {os.path.basename(c['path'])} <- {c['source']}: {c['what']}\n"
                      f"    {c['result']['detail'][:240]}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
