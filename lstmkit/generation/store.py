"""Saving a trained character model with its vocabulary in a directory, and loading it back.

The directory holds `vocab.json` (the characters, the model's sizes and any
extra information such as a default prompt) and the weights: `model.keras`
when lstmkit's Keras-format saving (`model.save`, `lstmkit.models.load_model`)
is available, otherwise `weights.npz` (the weights in `model.get_weights()`
order), from which `load` rebuilds the model with `build_model`.

`load` trusts nothing in the directory: `vocab.json` must have the expected keys and types,
sizes within limits and a vocabulary that fits the model's input and output; the weights file
it names must be a regular file inside the directory (symlinks resolved). Each problem is one
`ValueError` (or `OSError`) naming the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lstmkit._paths import PathProblem, inside, open_regular_file
from lstmkit.generation.vocabulary import Vocabulary

__all__ = ["load", "save"]

FORMAT = "lstmkit.generation/1"
META = "vocab.json"
KERAS_FILE = "model.keras"
WEIGHTS_FILE = "weights.npz"
# What a vocab.json may declare before anything is built from it.
META_MAX_BYTES = 16 * 1024 * 1024
SIZE_KEYS = ("vocab_size", "embedding_dim", "rnn_units", "batch_size")
MAX_SIZE = {"vocab_size": 1_114_112, "embedding_dim": 16_384, "rnn_units": 16_384, "batch_size": 65_536}
MAX_PARAMS = 200_000_000  # 800 MB of float32 weights


def _keras_saving():
    """`lstmkit.models.load_model` if lstmkit can save and load .keras files, else None."""
    try:
        from lstmkit.models import load_model
    except ImportError:
        return None
    return load_model


def _sizes(model) -> dict:
    """The build_model() arguments that rebuild `model`, if it has build_model's layout."""
    from lstmkit.layers import LSTM, Dense, Embedding

    layers = model.layers
    if len(layers) != 3 or not (isinstance(layers[0], Embedding) and isinstance(layers[1], LSTM)
                                and isinstance(layers[2], Dense)):
        raise ValueError("save() stores the character model of build_model() (Embedding, LSTM, Dense); received "
                         f"a model with layers {[type(l).__name__ for l in layers]}.")
    return {"vocab_size": layers[0].input_dim, "embedding_dim": layers[0].output_dim,
            "rnn_units": layers[1].units, "batch_size": model.inputs[0].shape[0]}


def save(model, vocab, directory, info=None) -> Path:
    """Write `model`, its `vocab` and a JSON-able `info` dict (e.g. a default prompt) to `directory`."""
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"save(): `vocab` must be a Vocabulary; received {type(vocab).__name__}.")
    sizes = _sizes(model)
    if sizes["vocab_size"] != len(vocab):
        raise ValueError(f"save(): the model has {sizes['vocab_size']} classes but the vocabulary "
                         f"{len(vocab)} characters.")
    import numpy as np

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if _keras_saving() is not None and hasattr(model, "save"):
        model.save(str(directory / KERAS_FILE))
        (directory / WEIGHTS_FILE).unlink(missing_ok=True)
        weights = KERAS_FILE
    else:
        np.savez(directory / WEIGHTS_FILE, *model.get_weights())
        (directory / KERAS_FILE).unlink(missing_ok=True)
        weights = WEIGHTS_FILE
    meta = {"format": FORMAT, "weights": weights, "model": sizes, "vocabulary": vocab.to_config(),
            "info": dict(info or {})}
    (directory / META).write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
    return directory


def _read_meta(directory: Path):
    meta_path = directory / META
    try:
        handle = open_regular_file(meta_path)
    except PathProblem as problem:
        if problem.reason == "missing":
            what = "does not exist" if not directory.exists() else f"has no {META}"
            raise FileNotFoundError(f"no saved character model in {str(directory)!r}: the directory {what}") from None
        raise
    with handle:
        raw = handle.read(META_MAX_BYTES + 1)
    if len(raw) > META_MAX_BYTES:
        raise ValueError(f"{str(meta_path)!r} is larger than {META_MAX_BYTES // 2**20} MB: not a {META}")
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"{str(meta_path)!r} is not a valid {META}: {error}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{str(meta_path)!r} was not written by lstmkit.generation.save "
                         f"(expected format {FORMAT!r}).")
    return meta_path, meta


def _checked_sizes(meta, meta_path, vocab):
    sizes = meta.get("model")
    if not isinstance(sizes, dict) or set(sizes) != set(SIZE_KEYS):
        raise ValueError(f"{str(meta_path)!r}: 'model' must be an object with the keys {', '.join(SIZE_KEYS)}; "
                         f"received {sorted(sizes) if isinstance(sizes, dict) else type(sizes).__name__}")
    for key in SIZE_KEYS:
        value = sizes[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIZE[key]:
            raise ValueError(f"{str(meta_path)!r}: model.{key} must be an integer from 1 to {MAX_SIZE[key]:,}; "
                             f"received {value!r}")
    if sizes["vocab_size"] != len(vocab):
        raise ValueError(f"{str(meta_path)!r}: the vocabulary has {len(vocab)} characters but the model "
                         f"{sizes['vocab_size']} inputs and outputs (model.vocab_size)")
    v, e, u = sizes["vocab_size"], sizes["embedding_dim"], sizes["rnn_units"]
    params = v * e + 4 * (e + u + 1) * u + (u + 1) * v
    if params > MAX_PARAMS:
        raise ValueError(f"{str(meta_path)!r}: the model it describes has {params:,} parameters, more than the "
                         f"{MAX_PARAMS:,} a character model is allowed")
    return sizes


def _weights_path(meta, meta_path, directory):
    name = meta.get("weights")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{str(meta_path)!r}: 'weights' must be a file name; received {name!r}")
    try:
        path = inside(directory, name)
    except PathProblem as problem:
        raise ValueError(f"{str(meta_path)!r}: 'weights' {problem}; it must name a file in the model's "
                         "directory") from None
    if not os.path.exists(path):
        raise FileNotFoundError(f"the saved model in {str(directory)!r} is incomplete: {name} is missing")
    if not name.endswith((".keras", ".npz")):
        raise ValueError(f"{str(meta_path)!r}: 'weights' must be a .keras or .npz file; received {name!r}")
    open_regular_file(path).close()  # a named pipe or a device is refused here, not read
    return Path(path)


def _fits(model, vocab, source):
    """The loaded model takes ids 0..len(vocab)-1 and gives len(vocab) scores: else a ValueError."""
    layers = getattr(model, "layers", [])
    first, last = (layers[0], layers[-1]) if layers else (None, None)
    inputs = getattr(first, "input_dim", None)
    outputs = getattr(last, "units", None)
    if inputs != len(vocab) or outputs != len(vocab):
        raise ValueError(f"{str(source)!r}: the model takes {inputs} character ids and scores {outputs} characters, "
                         f"but the vocabulary has {len(vocab)}")


def load(directory):
    """(model, vocab, info) from a directory written by `save`; a clear error if there is none."""
    directory = Path(directory)
    meta_path, meta = _read_meta(directory)
    try:
        vocab = Vocabulary.from_config(meta.get("vocabulary"))
    except ValueError as error:
        raise ValueError(f"{str(meta_path)!r}: 'vocabulary' is damaged: {error}") from None
    weights = _weights_path(meta, meta_path, directory)
    sizes = _checked_sizes(meta, meta_path, vocab)
    info = meta.get("info", {})
    if not isinstance(info, dict):
        raise ValueError(f"{str(meta_path)!r}: 'info' must be an object; received {type(info).__name__}")
    prompt = info.get("prompt")
    if prompt is not None and not (isinstance(prompt, str) and prompt and all(c in vocab for c in prompt)):
        raise ValueError(f"{str(meta_path)!r}: info.prompt must be a non-empty text of the vocabulary's characters; "
                         f"received {prompt!r:.60}")
    if weights.suffix == ".keras":
        load_model = _keras_saving()
        if load_model is None:
            raise ValueError(f"{str(weights)!r} is a .keras file but this lstmkit cannot load .keras files.")
        model = load_model(str(weights))
    else:
        model = _load_npz(weights, sizes)
    _fits(model, vocab, weights)
    return model, vocab, info


def _load_npz(weights, sizes):
    import numpy as np

    from lstmkit.generation.model import build_model

    model = build_model(**sizes)
    expected = [tuple(w.shape) for w in model.get_weights()]
    try:
        with np.load(weights, allow_pickle=False) as arrays:
            names = [f"arr_{i}" for i in range(len(expected))]
            if sorted(arrays.files) != sorted(names):
                raise ValueError(f"{str(weights)!r} holds {len(arrays.files)} arrays; the model has {len(expected)} "
                                 "weights")
            # Compare the shapes the file declares before reading any array.
            for name, shape in zip(names, expected):
                declared = _npz_shape(arrays, name)
                if declared is not None and declared != shape:
                    raise ValueError(f"{str(weights)!r}: weight {name} has shape {declared}; the model expects {shape}")
            model.set_weights([arrays[name] for name in names])
    except (OSError, EOFError, KeyError, ValueError) as error:
        if isinstance(error, ValueError) and str(weights) in str(error):
            raise
        raise ValueError(f"{str(weights)!r} is not a readable weights file: {error}") from None
    return model


def _npz_shape(arrays, name):
    """The shape the .npy header of `name` declares, without reading its data (None if unreadable)."""
    import numpy as np

    try:
        with arrays.zip.open(name + ".npy") as member:
            version = np.lib.format.read_magic(member)
            reader = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
            shape, _, _ = reader[version](member)
            return tuple(shape)
    except (KeyError, ValueError, OSError):
        return None
