"""Keras 2's `keras.preprocessing.text`: `Tokenizer`, `tokenizer_from_json`, `text_to_word_sequence`, `one_hot`,
`hashing_trick`.

NumPy only. Behaviour follows Keras 2 (keras_preprocessing / tf_keras): the default filters keep `'`, index 0
is never a word, `word_index` ranks words by count with ties in order of first appearance, and an
`oov_token` takes index 1.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import warnings
from collections import OrderedDict, defaultdict

import numpy as np

__all__ = ["Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence", "tokenizer_from_json"]

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
MODES = ("binary", "count", "tfidf", "freq")


def _text_argument(owner, input_text, text):
    # tf_keras names the first argument `input_text`, keras_preprocessing `text`; accept either keyword.
    if text is not None:
        if input_text is not None:
            raise TypeError(f"{owner}() got both `input_text` and `text`; pass one.")
        input_text = text
    if not isinstance(input_text, str):
        raise TypeError(f"{owner}: the text must be a string; received {input_text!r} "
                        f"(of type {type(input_text).__name__}).")
    return input_text


def _check_split(owner, split):
    if not isinstance(split, str) or not split:
        raise ValueError(f"{owner}: `split` must be a non-empty string; received split={split!r}.")


def text_to_word_sequence(input_text=None, filters=DEFAULT_FILTERS, lower=True, split=" ", *, text=None):
    """The words of a text: lowercased (`lower`), each character of `filters` turned into `split`, split on it,
    empty pieces dropped."""
    input_text = _text_argument("text_to_word_sequence", input_text, text)
    _check_split("text_to_word_sequence", split)
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [w for w in input_text.split(split) if w]


def one_hot(input_text=None, n=None, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None, *, text=None):
    """`hashing_trick` with Python's `hash`: each word to an index in [1, n), collisions possible.

    Python salts `hash` of strings per process (PYTHONHASHSEED), so the indices differ from run to run, as in
    Keras 2; use `hashing_trick(..., hash_function='md5')` for stable ones.
    """
    input_text = _text_argument("one_hot", input_text, text)
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower, split=split,
                         analyzer=analyzer)


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """Each word of `text` to `hash_function(word) % (n - 1) + 1`, an index in [1, n) (0 stays reserved).

    `hash_function`: None for Python's `hash` (as Keras 2; salted per process by PYTHONHASHSEED, so not stable
    across runs), 'md5' for a stable hash, or a callable from a string to an int. `analyzer`, when given,
    splits the text instead of `text_to_word_sequence`.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        raise ValueError(f"hashing_trick: `n` (the size of the hashing space) must be an integer >= 2; "
                         f"received n={n!r}.")
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        def hash_function(word):
            return int(hashlib.md5(word.encode()).hexdigest(), 16)
    elif not callable(hash_function):
        raise ValueError("hashing_trick: `hash_function` must be None, 'md5' or a callable from a string to an int; "
                         f"received hash_function={hash_function!r}.")
    if analyzer is None:
        words = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    else:
        words = analyzer(text)
    return [hash_function(w) % (int(n) - 1) + 1 for w in words]


class Tokenizer:
    """Keras 2's text tokenizer: a vocabulary fitted on texts, then texts to index sequences or to matrices.

    num_words: keep only the words of index < num_words (the `num_words - 1` most frequent) when converting;
        None keeps all. filters / lower / split: as `text_to_word_sequence`. char_level: each character is a
        token (filters are then not applied). oov_token: given index 1, and used for words outside the
        vocabulary (or beyond num_words) instead of dropping them. analyzer: a callable splitting a text,
        used instead of `text_to_word_sequence`.

    A text given as a list is taken as its tokens. After fitting: `word_counts` (OrderedDict, in order of
    first appearance), `word_docs` (documents each word is in), `word_index` / `index_word`, `index_docs`,
    `document_count`.
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ", char_level=False,
                 oov_token=None, analyzer=None, **kwargs):
        if "nb_words" in kwargs:  # Keras 1's name
            warnings.warn("The `nb_words` argument in `Tokenizer` has been renamed `num_words`.", stacklevel=2)
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
        if num_words is not None and (isinstance(num_words, bool) or not isinstance(num_words, numbers.Real)
                                      or num_words < 0):
            raise ValueError(f"Tokenizer: `num_words` must be None or a non-negative integer; received "
                             f"num_words={num_words!r}.")
        if not char_level and analyzer is None:
            _check_split("Tokenizer", split)
        if analyzer is not None and not callable(analyzer):
            raise ValueError(f"Tokenizer: `analyzer` must be None or a callable splitting a text; received "
                             f"analyzer={analyzer!r}.")
        self.num_words = num_words
        self.filters, self.lower, self.split = filters, lower, split
        self.char_level, self.oov_token, self.analyzer = char_level, oov_token, analyzer
        self.document_count = document_count
        self.word_counts = OrderedDict()
        self.word_docs = defaultdict(int)
        self.index_docs = defaultdict(int)
        self.word_index = {}
        self.index_word = {}

    def _tokens(self, text, method):
        if self.char_level or isinstance(text, list):
            if not self.lower:
                return text
            return [t.lower() for t in text] if isinstance(text, list) else text.lower()
        if self.analyzer is not None:
            return self.analyzer(text)
        if not isinstance(text, str):
            raise TypeError(f"Tokenizer.{method}: each text must be a string or a list of tokens; received "
                            f"{text!r} (of type {type(text).__name__}).")
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)

    def fit_on_texts(self, texts):
        """Add the words of `texts` (strings, lists of tokens, or a generator of either) to the vocabulary."""
        # One string is taken as Keras 2 takes it: each character a text (char-level programs rely on it).
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text, "fit_on_texts")
            for w in tokens:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(tokens):
                self.word_docs[w] += 1
        # A stable sort: equal counts keep the order of first appearance.
        ranked = sorted(self.word_counts.items(), key=lambda wc: wc[1], reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + [w for w, _ in ranked]
        self.word_index = {}
        for i, w in enumerate(vocabulary, start=1):
            self.word_index[w] = i
        self.index_word = {i: w for w, i in self.word_index.items()}
        for w, c in list(self.word_docs.items()):
            self.index_docs[self.word_index[w]] = c

    def fit_on_sequences(self, sequences):
        """Count documents per index from index sequences (needed for tfidf when no texts were fitted)."""
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    def texts_to_sequences(self, texts):
        """Each text as a list of word indices (unknown words and those of index >= num_words dropped, or oov)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        oov = self.word_index.get(self.oov_token)
        for text in texts:
            out = []
            for w in self._tokens(text, "texts_to_sequences"):
                i = self.word_index.get(w)
                if i is not None and not (self.num_words and i >= self.num_words):
                    out.append(i)
                elif oov is not None:
                    out.append(oov)
            yield out

    def sequences_to_texts(self, sequences):
        """Each index sequence back to a space-joined text (the same words kept as by texts_to_sequences)."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        oov = self.word_index.get(self.oov_token)
        for seq in sequences:
            words = []
            for i in seq:
                w = self.index_word.get(i)
                if w is not None and not (self.num_words and i >= self.num_words):
                    words.append(w)
                elif oov is not None:
                    words.append(self.index_word[oov])
            yield " ".join(words)

    def texts_to_matrix(self, texts, mode="binary"):
        """A (len(texts), num_words) matrix; see `sequences_to_matrix` for the modes."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """A (len(sequences), num_words) float matrix; row i, column j for index j in sequence i:
        'binary' 1, 'count' its count c, 'freq' c / len(sequence), 'tfidf' (1 + log c) *
        log(1 + document_count / (1 + index_docs[j])). Indices >= num_words are left out.
        Width: num_words, or len(word_index) + 1 when num_words is not set."""
        if mode not in MODES:
            raise ValueError(f"Unknown vectorization mode: `mode` must be one of {', '.join(MODES)}; "
                             f"received mode={mode!r}.")
        if self.num_words:
            width = int(self.num_words)
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError("Specify a dimension (`num_words` argument), or fit on some text data first.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using tfidf mode.")
        x = np.zeros((len(sequences), width))
        for row, seq in enumerate(sequences):
            if not len(seq):
                continue
            counts = defaultdict(int)
            for j in seq:
                if j < width:
                    counts[j] += 1
            for j, c in counts.items():
                if mode == "count":
                    x[row, j] = c
                elif mode == "freq":
                    x[row, j] = c / len(seq)  # over the whole sequence, cut indices included (as Keras 2)
                elif mode == "binary":
                    x[row, j] = 1
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[row, j] = (1 + np.log(c)) * idf
        return x

    def get_config(self):
        """Keras 2's config: the settings, and the vocabulary dictionaries as JSON strings (analyzer not kept)."""
        return {
            "num_words": self.num_words, "filters": self.filters, "lower": self.lower, "split": self.split,
            "char_level": self.char_level, "oov_token": self.oov_token, "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts), "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs), "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """`{"class_name": "Tokenizer", "config": get_config()}` as a string; `tokenizer_from_json` reads it."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """The `Tokenizer` saved by `Tokenizer.to_json()` (a Keras 2 tokenizer's JSON too)."""
    payload = json.loads(json_string)
    if not isinstance(payload, dict) or not isinstance(payload.get("config"), dict):
        raise ValueError("tokenizer_from_json expects the string of Tokenizer.to_json(), "
                         '{"class_name": "Tokenizer", "config": {...}}; received ' + repr(json_string[:80]))
    config = dict(payload["config"])
    vocab = {k: json.loads(config.pop(k)) for k in ("word_counts", "word_docs", "index_docs", "index_word",
                                                    "word_index")}
    tokenizer = Tokenizer(**config)
    # JSON turns integer keys to strings; the containers keep their types so fitting can go on.
    tokenizer.word_counts = OrderedDict(vocab["word_counts"])
    tokenizer.word_docs = defaultdict(int, vocab["word_docs"])
    tokenizer.index_docs = defaultdict(int, {int(k): v for k, v in vocab["index_docs"].items()})
    tokenizer.index_word = {int(k): v for k, v in vocab["index_word"].items()}
    tokenizer.word_index = vocab["word_index"]
    return tokenizer
