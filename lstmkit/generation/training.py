"""`train`: fit the character model on a text, next character at every step, with the state carried."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from lstmkit.generation.text import next_char_windows, unigram_entropy
from lstmkit.generation.vocabulary import Vocabulary

__all__ = ["TrainingResult", "train"]

MAX_CHUNK = 20  # batches per compiled call: one progress report each


@dataclass
class TrainingResult:
    """What `train` did: steps run, the loss of each chunk of steps, the final loss and the baseline.

    loss: mean cross-entropy (nats per character) over the last pass through the
    text (the last `steps_per_epoch` steps, or all of them if fewer).
    unigram_entropy: the loss of predicting every character by its frequency in the text.
    history: (step, loss of the chunk ending there, seconds since the start) tuples.
    """

    steps: int
    steps_per_epoch: int
    loss: float
    unigram_entropy: float
    seconds: float
    history: list = field(default_factory=list)


def _batch_size(model) -> int:
    batch = model.inputs[0].shape[0] if model.inputs else None
    if batch is None:
        raise ValueError("train() needs a model with a fixed batch size, as build_model(..., batch_size) makes "
                         "(`batch_input_shape=[batch_size, None]`); this model's batch size is not fixed.")
    return int(batch)


def _chunk(steps, windows):
    """Batches per fit call, so that every call has the same shape (one compile).

    With `steps`, a divisor of it; for whole passes, a divisor of the windows per
    pass, or MAX_CHUNK if the best divisor is small (the pass is then cut to whole chunks).
    """
    limit = min(MAX_CHUNK, windows)
    target = steps if steps is not None else windows
    best = max(d for d in range(1, limit + 1) if target % d == 0)
    if steps is None and 2 * best <= limit:
        best = limit
    return best


def _check_count(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"train(): `{name}` must be a positive int; received {value!r}.")
    return int(value)


def train(model, text, vocab, *, steps=None, epochs=None, seq_length=100, learning_rate=0.005, log=None):
    """Train `model` (from `build_model`) on `text` to predict each next character; returns a `TrainingResult`.

    text: the training text (str). vocab: its `Vocabulary`. steps: batches to run,
    or epochs: passes through the text (one of the two; default 1 epoch).
    seq_length: characters per window (truncated backpropagation through time:
    the state is carried from window to window along the text, the gradient is not).
    learning_rate: Adam's, used when the model is not compiled yet (an already
    compiled model keeps its optimizer and loss). log: called with one line of
    progress per chunk of up to 20 steps (e.g. `print`), or None.
    The model's stateful layers are reset at the start of every pass through the
    text, and once more at the end so generation starts from a clean state.
    """
    from lstmkit.losses import SparseCategoricalCrossentropy
    from lstmkit.optimizers import Adam

    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"train(): `vocab` must be a Vocabulary; received {type(vocab).__name__}.")
    steps, epochs = _check_count(steps, "steps"), _check_count(epochs, "epochs")
    seq_length = _check_count(seq_length, "seq_length")
    if steps is not None and epochs is not None:
        raise ValueError(f"train(): give `steps` or `epochs`, not both; received steps={steps}, epochs={epochs}.")
    if not isinstance(text, str) or not text:
        raise ValueError("train(): `text` must be a non-empty str.")
    vocab_size = model.outputs[0].shape[-1]
    if vocab_size != len(vocab):
        raise ValueError(f"train(): the model predicts {vocab_size} classes but the vocabulary has {len(vocab)} "
                         "characters; build the model with vocab_size=len(vocab).")
    ids = vocab.encode(text)
    batch = _batch_size(model)
    x, y, windows = next_char_windows(ids, batch, seq_length)
    chunk = _chunk(steps, windows)
    windows = (windows // chunk) * chunk  # whole chunks per pass (drops at most chunk - 1 windows per stream)
    total = steps if steps is not None else (epochs or 1) * windows
    if getattr(model, "optimizer", None) is None:
        model.compile(optimizer=Adam(learning_rate), loss=SparseCategoricalCrossentropy(from_logits=True))
    start = time.perf_counter()
    history = []
    done = 0
    while done < total:
        first = done % windows
        if first == 0:
            model.reset_states()  # a new pass starts at the beginning of every stream
        rows = slice(first * batch, (first + chunk) * batch)
        logs = model.fit(x[rows], y[rows], batch_size=batch, epochs=1, shuffle=False, verbose=0)
        done += chunk
        loss = float(logs.history["loss"][-1])
        history.append((done, loss, time.perf_counter() - start))
        if log is not None:
            log(f"step {done}/{total}  loss {loss:.3f}  ({history[-1][2]:.1f} s)")
    model.reset_states()
    last = history[-max(1, min(len(history), windows // chunk)):]
    return TrainingResult(steps=total, steps_per_epoch=windows, loss=float(np.mean([h[1] for h in last])),
                          unigram_entropy=unigram_entropy(ids), seconds=time.perf_counter() - start,
                          history=history)
