"""Texts to train on: the bundled one, reading a file safely, the unigram baseline, next-character windows."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["bundled_text", "next_char_windows", "read_text_file", "unigram_entropy"]

BUNDLED = "tinyshakespeare.txt"


def bundled_text() -> str:
    """The public-domain text shipped with lstmkit (47,906 characters of Shakespeare; see data/PROVENANCE.md)."""
    return resources.files("lstmkit.generation").joinpath("data").joinpath(BUNDLED).read_text(encoding="utf-8")


def read_text_file(path) -> str:
    """The contents of a UTF-8 text file; a clear error for a missing, empty or binary file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"text file {str(path)!r} does not exist")
    if not path.is_file():
        raise ValueError(f"{str(path)!r} is not a file")
    data = path.read_bytes()
    if not data.strip():
        raise ValueError(f"text file {str(path)!r} is empty" + (" (only whitespace)" if data else ""))
    if b"\x00" in data:
        raise ValueError(f"{str(path)!r} is a binary file (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{str(path)!r} is not UTF-8 text (undecodable byte at offset {error.start})") from None


def unigram_entropy(ids) -> float:
    """Entropy in nats of the characters' frequencies: the loss of a model that ignores context."""
    ids = np.asarray(ids).reshape(-1)
    if ids.size == 0:
        raise ValueError("unigram_entropy() needs at least one id.")
    counts = np.bincount(ids - ids.min()).astype(np.float64)
    p = counts[counts > 0] / ids.size
    return float(-(p * np.log(p)).sum())


def next_char_windows(ids, batch_size, seq_length):
    """Inputs and next-character targets laid out for a stateful model, as (x, y, windows).

    The text is cut into `batch_size` streams of consecutive characters; stream s
    is row s of every batch, so batch k+1 continues where batch k stopped and the
    carried LSTM state is the state after the previous window of the same text.
    x, y: (windows * batch_size, seq_length) int32, y = x shifted by one character;
    rows k * batch_size ... (k + 1) * batch_size - 1 are batch k.
    """
    ids = np.asarray(ids, dtype=np.int32).reshape(-1)
    stream = ids.size // batch_size
    windows = (stream - 1) // seq_length
    if windows < 1:
        need = batch_size * (seq_length + 1)
        raise ValueError(f"the text has {ids.size} characters; training with batch_size={batch_size} and "
                         f"seq_length={seq_length} needs at least {need}")
    streams = ids[: batch_size * stream].reshape(batch_size, stream)
    span = windows * seq_length
    x = streams[:, :span].reshape(batch_size, windows, seq_length)
    y = streams[:, 1:span + 1].reshape(batch_size, windows, seq_length)
    # (batch, windows, L) -> (windows, batch, L): batch k holds window k of every stream
    x = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(windows * batch_size, seq_length)
    y = np.ascontiguousarray(y.transpose(1, 0, 2)).reshape(windows * batch_size, seq_length)
    return x, y, windows
