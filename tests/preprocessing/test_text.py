"""lstmkit.preprocessing.text against Keras 2's documented behaviour (values worked out by hand)."""

import hashlib
import json
import math

import numpy as np
import pytest

from lstmkit import Input, Sequential, layers
from lstmkit.preprocessing import text
from lstmkit.preprocessing.sequence import pad_sequences
from lstmkit.preprocessing.text import Tokenizer, hashing_trick, one_hot, text_to_word_sequence, tokenizer_from_json

CORPUS = ["The cat sat on the mat.", "The dog ate my homework!", "My cat ate the fish."]
# Counts: the 4; cat, ate, my 2 (first seen in that order); sat, on, mat, dog, homework, fish 1.
WORD_INDEX = {"the": 1, "cat": 2, "ate": 3, "my": 4, "sat": 5, "on": 6, "mat": 7, "dog": 8, "homework": 9,
              "fish": 10}


def _fitted(**kwargs):
    tok = Tokenizer(**kwargs)
    tok.fit_on_texts(CORPUS)
    return tok


def test_text_to_word_sequence_default_filters_keep_the_apostrophe():
    assert text.DEFAULT_FILTERS == '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
    assert text_to_word_sequence("Hello, World! It's  here.\tnow") == ["hello", "world", "it's", "here", "now"]
    assert text_to_word_sequence("A,b c", split=",") == ["a", "b c"]  # filtered characters become `split`
    assert text_to_word_sequence("A b", lower=False, filters="") == ["A", "b"]
    assert text_to_word_sequence(text="x y") == ["x", "y"]  # keras_preprocessing's keyword


def test_word_index_by_count_then_first_appearance():
    tok = _fitted()
    assert tok.word_index == WORD_INDEX
    assert tok.index_word == {i: w for w, i in WORD_INDEX.items()}
    assert list(tok.word_counts.items())[:3] == [("the", 4), ("cat", 2), ("sat", 1)]  # order of first appearance
    assert tok.word_docs["the"] == 3 and tok.word_docs["cat"] == 2 and tok.word_docs["fish"] == 1
    assert tok.index_docs[1] == 3 and tok.index_docs[2] == 2 and tok.index_docs[10] == 1
    assert tok.document_count == 3


def test_texts_to_sequences_num_words_and_oov():
    assert _fitted().texts_to_sequences(["the cat ate a fish"]) == [[1, 2, 3, 10]]  # "a" unknown: dropped
    assert _fitted(num_words=4).texts_to_sequences(["the cat ate a fish"]) == [[1, 2, 3]]
    oov = _fitted(oov_token="<OOV>")
    assert oov.word_index["<OOV>"] == 1 and oov.word_index["the"] == 2 and oov.word_index["fish"] == 11
    assert oov.texts_to_sequences(["the cat ate a fish"]) == [[2, 3, 4, 1, 11]]
    assert _fitted(oov_token="<OOV>", num_words=4).texts_to_sequences(["the cat ate a fish"]) == [[2, 3, 1, 1, 1]]
    assert list(_fitted().texts_to_sequences_generator(iter(["dog", "mat"]))) == [[8], [7]]


def test_sequences_to_texts():
    assert _fitted().sequences_to_texts([[1, 2, 3, 99]]) == ["the cat ate"]
    assert _fitted(num_words=3).sequences_to_texts([[1, 2, 3]]) == ["the cat"]
    tok = _fitted(oov_token="<OOV>", num_words=4)
    assert list(tok.sequences_to_texts_generator([[2, 3, 4, 99]])) == ["the cat <OOV> <OOV>"]


def test_texts_to_matrix_modes():
    tok = _fitted()
    texts = ["the cat the", "dog"]  # sequences [1, 2, 1] and [8]; width len(word_index) + 1 = 11
    binary, count, freq, tfidf = (np.zeros((2, 11)) for _ in range(4))
    binary[0, [1, 2]] = 1
    binary[1, 8] = 1
    count[0, 1], count[0, 2], count[1, 8] = 2, 1, 1
    freq[0, 1], freq[0, 2], freq[1, 8] = 2 / 3, 1 / 3, 1
    # (1 + ln c) * ln(1 + documents / (1 + documents with the word)); 3 documents
    tfidf[0, 1] = (1 + math.log(2)) * math.log(1 + 3 / 4)
    tfidf[0, 2] = math.log(1 + 3 / 3)
    tfidf[1, 8] = math.log(1 + 3 / 2)
    for mode, expected in (("binary", binary), ("count", count), ("freq", freq), ("tfidf", tfidf)):
        np.testing.assert_allclose(tok.texts_to_matrix(texts, mode=mode), expected, err_msg=mode)
    np.testing.assert_array_equal(tok.texts_to_matrix(texts), binary)  # binary by default


def test_sequences_to_matrix_num_words_width_and_freq_over_the_whole_sequence():
    tok = _fitted(num_words=3)
    # Index 10 is beyond the width (3) but still counts in the sequence's length, as in Keras 2.
    np.testing.assert_allclose(tok.sequences_to_matrix([[1, 10], []], mode="freq"), [[0, 0.5, 0], [0, 0, 0]])


def test_fit_on_sequences_and_tfidf():
    tok = Tokenizer(num_words=5)
    tok.fit_on_sequences([[1, 2, 2], [2, 3]])
    assert tok.document_count == 2 and dict(tok.index_docs) == {1: 1, 2: 2, 3: 1}
    expected = np.zeros((1, 5))
    expected[0, 2] = math.log(1 + 2 / 3)
    np.testing.assert_allclose(tok.sequences_to_matrix([[2]], mode="tfidf"), expected)


def test_char_level_and_token_lists():
    tok = Tokenizer(char_level=True)
    tok.fit_on_texts(["abba", "Ac!"])  # lowercased; filters are not applied to characters
    assert tok.word_index == {"a": 1, "b": 2, "c": 3, "!": 4}
    assert tok.texts_to_sequences(["cab"]) == [[3, 1, 2]]
    tok = Tokenizer()
    tok.fit_on_texts([["New York", "is"], ["new york"]])  # lists are tokens as they are (lowercased)
    assert tok.word_index == {"new york": 1, "is": 2}


def test_one_string_is_a_text_per_character_as_in_keras_2():
    tok = Tokenizer(char_level=True)
    tok.fit_on_texts("hello")  # char-level programs pass their whole text
    assert tok.document_count == 5 and tok.word_index == {"l": 1, "h": 2, "e": 3, "o": 4}
    assert tok.texts_to_sequences("hole") == [[2], [4], [1], [3]]


def test_analyzer():
    tok = Tokenizer(analyzer=lambda s: s.split("-"))
    tok.fit_on_texts(["a-b-b"])
    assert tok.word_index == {"b": 1, "a": 2}


def test_json_round_trip():
    tok = _fitted(num_words=8, oov_token="<OOV>")
    config = json.loads(tok.to_json())
    assert config["class_name"] == "Tokenizer"
    assert json.loads(config["config"]["word_index"])["the"] == 2
    back = tokenizer_from_json(tok.to_json())
    assert back.word_index == tok.word_index and back.index_word == tok.index_word
    assert back.num_words == 8 and back.oov_token == "<OOV>" and back.document_count == 3
    texts = ["the cat ate a fish", "my homework"]
    assert back.texts_to_sequences(texts) == tok.texts_to_sequences(texts)
    np.testing.assert_allclose(back.texts_to_matrix(texts, mode="tfidf"), tok.texts_to_matrix(texts, mode="tfidf"))
    back.fit_on_texts(["a new text"])  # a loaded tokenizer can go on fitting
    assert back.document_count == 4 and back.word_docs["new"] == 1


def test_hashing_trick_and_one_hot():
    md5 = [int(hashlib.md5(w.encode()).hexdigest(), 16) % 9 + 1 for w in ("the", "cat", "the")]
    assert hashing_trick("The cat, the", 10, hash_function="md5") == md5
    assert hashing_trick("a bb ccc", 3, hash_function=len) == [2, 1, 2]  # len % (3 - 1) + 1
    assert hashing_trick("x y", 5) == [hash("x") % 4 + 1, hash("y") % 4 + 1]  # Python's hash by default
    encoded = one_hot("the cat the dog", 7)
    assert len(encoded) == 4 and encoded[0] == encoded[2] and all(1 <= i < 7 for i in encoded)


def test_keras_2_program_tokenizer_pad_embedding_lstm():
    texts = ["good movie", "great film, loved it", "bad movie", "terrible, boring film", "loved it", "boring"]
    labels = np.array([1, 1, 0, 0, 1, 0], dtype="float32")
    tok = Tokenizer(num_words=50, oov_token="<unk>")
    tok.fit_on_texts(texts)
    x = pad_sequences(tok.texts_to_sequences(texts), maxlen=5)
    assert x.shape == (6, 5) and x.dtype == np.int32
    model = Sequential([Input((5,)), layers.Embedding(len(tok.word_index) + 1, 8, mask_zero=True),
                        layers.LSTM(4), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, labels, epochs=2, batch_size=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.all(np.isfinite(history.history["loss"]))
    assert model.predict(pad_sequences(tok.texts_to_sequences(["a good film"]), maxlen=5), verbose=0).shape == (1, 1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="Unknown vectorization mode.*received mode='bogus'"):
        _fitted().texts_to_matrix(["the"], mode="bogus")
    with pytest.raises(ValueError, match="Specify a dimension"):
        Tokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match="before using tfidf"):
        Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
        Tokenizer(num_word=3)
    with pytest.warns(UserWarning, match="renamed `num_words`"):
        assert Tokenizer(nb_words=3).num_words == 3
    with pytest.raises(ValueError, match="`num_words`.*received num_words='10'"):
        Tokenizer(num_words="10")
    with pytest.raises(TypeError, match="each text must be a string or a list of tokens; received 3"):
        Tokenizer().fit_on_texts([3])
    with pytest.raises(ValueError, match="`n`.*>= 2; received n=1"):
        hashing_trick("a", 1)
    with pytest.raises(ValueError, match="`hash_function`.*received hash_function='sha1'"):
        hashing_trick("a", 5, hash_function="sha1")
    with pytest.raises(ValueError, match="`split` must be a non-empty string; received split=''"):
        text_to_word_sequence("a b", split="")
