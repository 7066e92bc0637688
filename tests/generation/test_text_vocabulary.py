"""lstmkit.generation: vocabulary, texts, the unigram baseline and the stateful training layout."""

import hashlib
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from lstmkit import generation as gen


def test_vocabulary_round_trip_and_errors():
    vocab = gen.Vocabulary.from_text("hello world")
    assert vocab.chars == sorted(set("hello world")) and len(vocab) == 8
    ids = vocab.encode("low hell")
    assert ids.dtype == np.int32 and ids.tolist() == [vocab.chars.index(c) for c in "low hell"]
    assert vocab.decode(ids) == "low hell"
    assert gen.Vocabulary.from_config(vocab.to_config()) == vocab
    with pytest.raises(ValueError, match=r"Characters \['z'\] are not in the vocabulary"):
        vocab.encode("zoo")
    with pytest.raises(ValueError, match=r"ids must be in \[0, 8\)"):
        vocab.decode([8])
    with pytest.raises(ValueError, match="unique; repeated: \\['a'\\]"):
        gen.Vocabulary("aba")
    with pytest.raises(ValueError, match="non-empty str"):
        gen.Vocabulary.from_text("")


def test_bundled_text_is_the_recorded_file():
    text = gen.bundled_text()
    provenance = (Path(gen.__file__).parent / "data" / "PROVENANCE.md").read_text()
    assert len(text) == 47906 and text.startswith("First Citizen:\nBefore we proceed")
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() in provenance


def test_unigram_entropy_is_the_frequency_entropy():
    text = "aaabbc"
    p = [3 / 6, 2 / 6, 1 / 6]
    expected = -sum(q * math.log(q) for q in p)
    ids = gen.Vocabulary.from_text(text).encode(text)
    assert gen.unigram_entropy(ids) == pytest.approx(expected, abs=1e-12)
    counts = Counter(gen.bundled_text())
    n = sum(counts.values())
    full = gen.unigram_entropy(gen.Vocabulary.from_text(gen.bundled_text()).encode(gen.bundled_text()))
    assert full == pytest.approx(-sum(c / n * math.log(c / n) for c in counts.values()), abs=1e-9)


def test_windows_continue_each_stream_from_batch_to_batch():
    ids = np.arange(103)
    x, y, windows = gen.next_char_windows(ids, batch_size=4, seq_length=6)
    stream = 103 // 4  # 25 characters per stream, so 4 windows of 6 (+1 for the last target)
    assert windows == (stream - 1) // 6 == 4 and x.shape == y.shape == (16, 6)
    np.testing.assert_array_equal(y, x + 1)  # targets are the next character
    for k in range(windows):
        for s in range(4):
            np.testing.assert_array_equal(x[k * 4 + s], ids[s * stream + 6 * k: s * stream + 6 * k + 6])
    with pytest.raises(ValueError, match="the text has 20 characters; .* needs at least 28"):
        gen.next_char_windows(np.arange(20), batch_size=4, seq_length=6)


def test_read_text_file_errors(tmp_path):
    good = tmp_path / "t.txt"
    good.write_text("héllo\n", encoding="utf-8")
    assert gen.read_text_file(good) == "héllo\n"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gen.read_text_file(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("  \n")
    with pytest.raises(ValueError, match="is empty"):
        gen.read_text_file(tmp_path / "empty.txt")
    (tmp_path / "bin").write_bytes(b"abc\x00def")
    with pytest.raises(ValueError, match="binary file"):
        gen.read_text_file(tmp_path / "bin")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8 text"):
        gen.read_text_file(tmp_path / "latin1.txt")
    with pytest.raises(ValueError, match="is not a file"):
        gen.read_text_file(tmp_path)
