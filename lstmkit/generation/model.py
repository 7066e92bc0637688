"""The character model of seed 000's text-generation tutorial: Embedding, stateful LSTM, Dense(vocab)."""

from __future__ import annotations

from lstmkit.layers import LSTM, Dense, Embedding
from lstmkit.models import Sequential

__all__ = ["build_model"]


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"build_model(): `{name}` must be a positive int; received {value!r}.")
    return value


def build_model(vocab_size, embedding_dim, rnn_units, batch_size):
    """The seed's `build_model`: ids (batch_size, time) -> next-character logits (batch_size, time, vocab_size).

    Embedding(vocab_size, embedding_dim) -> LSTM(rnn_units, return_sequences=True,
    stateful=True, recurrent_initializer='glorot_uniform') -> Dense(vocab_size), with
    the batch size fixed by `batch_input_shape=[batch_size, None]` (any length of sequence).
    """
    vocab_size, embedding_dim = _positive(vocab_size, "vocab_size"), _positive(embedding_dim, "embedding_dim")
    rnn_units, batch_size = _positive(rnn_units, "rnn_units"), _positive(batch_size, "batch_size")
    return Sequential([
        Embedding(vocab_size, embedding_dim, batch_input_shape=[batch_size, None]),
        LSTM(rnn_units, return_sequences=True, stateful=True, recurrent_initializer="glorot_uniform"),
        Dense(vocab_size),
    ])
