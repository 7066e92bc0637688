"""Saving a trained character model with its vocabulary in a directory, and loading it back.

The directory holds `vocab.json` (the characters, the model's sizes and any
extra information such as a default prompt) and the weights: `model.keras`
when lstmkit's Keras-format saving (`model.save`, `lstmkit.models.load_model`)
is available, otherwise `weights.npz` (the weights in `model.get_weights()`
order), from which `load` rebuilds the model with `build_model`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lstmkit.generation.model import build_model
from lstmkit.generation.vocabulary import Vocabulary

__all__ = ["load", "save"]

FORMAT = "lstmkit.generation/1"
META = "vocab.json"
KERAS_FILE = "model.keras"
WEIGHTS_FILE = "weights.npz"


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


def load(directory):
    """(model, vocab, info) from a directory written by `save`; a clear error if there is none."""
    directory = Path(directory)
    meta_path = directory / META
    if not meta_path.is_file():
        what = "does not exist" if not directory.exists() else f"has no {META}"
        raise FileNotFoundError(f"no saved character model in {str(directory)!r}: the directory {what}")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{str(meta_path)!r} is not a valid {META}: {error}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{str(meta_path)!r} was not written by lstmkit.generation.save "
                         f"(expected format {FORMAT!r}).")
    vocab = Vocabulary.from_config(meta["vocabulary"])
    weights = directory / meta["weights"]
    if not weights.is_file():
        raise FileNotFoundError(f"the saved model in {str(directory)!r} is incomplete: {meta['weights']} is missing")
    if meta["weights"] == KERAS_FILE:
        load_model = _keras_saving()
        if load_model is None:
            raise ValueError(f"{str(weights)!r} is a .keras file but this lstmkit cannot load .keras files.")
        model = load_model(str(weights))
    else:
        model = build_model(**meta["model"])
        with np.load(weights) as arrays:
            model.set_weights([arrays[f"arr_{i}"] for i in range(len(arrays.files))])
    return model, vocab, meta.get("info", {})
