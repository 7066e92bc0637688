"""`Vocabulary`: the characters of a text and their integer ids, both ways."""

from __future__ import annotations

import numpy as np

__all__ = ["Vocabulary"]


class Vocabulary:
    """Characters <-> ids 0..n-1, in the order given (`from_text` sorts them, as the seed's tutorial does)."""

    def __init__(self, chars):
        chars = list(chars)
        if not chars:
            raise ValueError("Vocabulary needs at least one character; received none.")
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            shown = repr(bad[:5])
            raise ValueError(f"Vocabulary takes single characters; received {shown[:80]}.")
        if len(set(chars)) != len(chars):
            seen, repeated = set(), set()
            for c in chars:  # one pass: counting each character would be quadratic in a long list
                (repeated if c in seen else seen).add(c)
            dup = sorted(repeated)
            raise ValueError(f"Vocabulary characters must be unique; repeated: {dup!r}.")
        self.chars = chars
        self._ids = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> "Vocabulary":
        if not isinstance(text, str) or not text:
            raise ValueError(f"Vocabulary.from_text needs a non-empty str; received {type(text).__name__} "
                             f"of length {len(text) if hasattr(text, '__len__') else '?'}.")
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char) -> bool:
        return char in self._ids

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and other.chars == self.chars

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} characters: {''.join(self.chars)!r})"

    def encode(self, text: str) -> np.ndarray:
        """The ids of the characters of `text`, int32."""
        unknown = sorted({c for c in text if c not in self._ids})
        if unknown:
            raise ValueError(f"Characters {unknown!r} are not in the vocabulary of {len(self)} characters "
                             f"({''.join(self.chars)!r}).")
        return np.fromiter((self._ids[c] for c in text), dtype=np.int32, count=len(text))

    def decode(self, ids) -> str:
        ids = np.asarray(ids).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"ids must be in [0, {len(self)}); received values from {ids.min()} to {ids.max()}.")
        return "".join(self.chars[int(i)] for i in ids)

    def to_config(self) -> dict:
        return {"chars": list(self.chars)}

    @classmethod
    def from_config(cls, config) -> "Vocabulary":
        if not isinstance(config, dict) or not isinstance(config.get("chars"), list):
            shown = repr(config)
            raise ValueError("Vocabulary.from_config expects {'chars': [a list of characters]}; received "
                             f"{shown[:80] + '...' if len(shown) > 80 else shown}.")
        return cls(config["chars"])
