"""lstmkit.preprocessing.sequence against Keras 2's documented behaviour (values worked out by hand)."""

import ast
import pathlib
import random

import numpy as np
import pytest

import lstmkit
from lstmkit import Input, Sequential, layers
from lstmkit.preprocessing import sequence, text
from lstmkit.preprocessing.sequence import TimeseriesGenerator, make_sampling_table, pad_sequences, skipgrams

DATA = np.arange(10).reshape(10, 1)
TARGETS = np.arange(10) * 10


def _x(*windows):
    return np.array(windows)[..., None]


def test_keras_2_import_paths():
    from lstmkit.preprocessing.text import Tokenizer

    assert sequence.pad_sequences is lstmkit.utils.pad_sequences  # re-exported, not copied
    assert lstmkit.preprocessing.sequence is sequence and lstmkit.preprocessing.text is text
    assert Tokenizer is text.Tokenizer
    assert issubclass(TimeseriesGenerator, lstmkit.utils.Sequence)


def test_the_package_imports_no_layers_models_or_training():
    root = pathlib.Path(lstmkit.__file__).parent / "preprocessing"
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith(("lstmkit.layers", "lstmkit.models", "lstmkit.training", "jax")), (
                    path.name, name)


def test_pad_sequences_pre_and_post():
    assert pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist() == [[2, 3], [0, 4]]
    assert pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post", truncating="post").tolist() == [[1, 2], [4, 0]]


def test_batches_length_3():
    gen = TimeseriesGenerator(DATA, TARGETS, length=3, batch_size=2)
    # Rows 3..9 (7 targets), two a batch.
    assert len(gen) == 4
    x, y = gen[0]
    np.testing.assert_array_equal(x, _x([0, 1, 2], [1, 2, 3]))
    np.testing.assert_array_equal(y, [30, 40])
    x, y = gen[3]
    np.testing.assert_array_equal(x, _x([6, 7, 8]))
    np.testing.assert_array_equal(y, [90])


def test_stride_2():
    gen = TimeseriesGenerator(DATA, TARGETS, length=3, stride=2, batch_size=2)
    assert len(gen) == 2  # rows 3, 5 | 7, 9
    x, y = gen[0]
    np.testing.assert_array_equal(x, _x([0, 1, 2], [2, 3, 4]))
    np.testing.assert_array_equal(y, [30, 50])
    x, y = gen[1]
    np.testing.assert_array_equal(x, _x([4, 5, 6], [6, 7, 8]))
    np.testing.assert_array_equal(y, [70, 90])


def test_sampling_rate_and_reverse():
    x, y = TimeseriesGenerator(DATA, TARGETS, length=4, sampling_rate=2, batch_size=2)[0]
    np.testing.assert_array_equal(x, _x([0, 2], [1, 3]))  # data[r-4:r:2] for r = 4, 5
    np.testing.assert_array_equal(y, [40, 50])
    x, _ = TimeseriesGenerator(DATA, TARGETS, length=3, reverse=True, batch_size=2)[0]
    np.testing.assert_array_equal(x, _x([2, 1, 0], [3, 2, 1]))


def test_start_and_end_index():
    gen = TimeseriesGenerator(DATA, TARGETS, length=3, start_index=2, end_index=7)
    assert len(gen) == 1  # rows 5, 6, 7 (end_index inclusive)
    x, y = gen[0]
    np.testing.assert_array_equal(x, _x([2, 3, 4], [3, 4, 5], [4, 5, 6]))
    np.testing.assert_array_equal(y, [50, 60, 70])


def test_shuffle_draws_rows_from_numpys_global_generator():
    gen = TimeseriesGenerator(DATA, TARGETS, length=3, shuffle=True, batch_size=4)
    assert len(gen) == 2  # as without shuffling: (9 - 3 + 4) // 4
    np.random.seed(0)  # np.random.randint(3, 10, size=4) is then [7, 8, 3, 6]
    x, y = gen[0]
    np.testing.assert_array_equal(x, _x([4, 5, 6], [5, 6, 7], [0, 1, 2], [3, 4, 5]))
    np.testing.assert_array_equal(y, [70, 80, 30, 60])


def test_keras_2_docstring_example():
    data = np.array([[i] for i in range(50)])
    gen = TimeseriesGenerator(data, data, length=10, sampling_rate=2, batch_size=2)
    assert len(gen) == 20
    x, y = gen[0]
    np.testing.assert_array_equal(x, _x([0, 2, 4, 6, 8], [1, 3, 5, 7, 9]))
    np.testing.assert_array_equal(y, [[10], [11]])


def test_lists_work_like_arrays():
    x, y = TimeseriesGenerator(list(range(10)), list(range(10)), length=2, batch_size=3)[0]
    np.testing.assert_array_equal(x, [[0, 1], [1, 2], [2, 3]])
    np.testing.assert_array_equal(y, [2, 3, 4])


def test_bad_arguments():
    with pytest.raises(ValueError, match="same length.*len\\(data\\)=10.*len\\(targets\\)=9"):
        TimeseriesGenerator(DATA, TARGETS[:9], length=3)
    with pytest.raises(ValueError, match="start_index\\+length=10 > end_index=9"):
        TimeseriesGenerator(DATA, TARGETS, length=10)
    with pytest.raises(ValueError, match="`stride`.*>= 1.*stride=0"):
        TimeseriesGenerator(DATA, TARGETS, length=3, stride=0)
    with pytest.raises(ValueError, match="`end_index` must be at most.* = 9; received end_index=10"):
        TimeseriesGenerator(DATA, TARGETS, length=3, end_index=10)
    with pytest.raises(TypeError, match="`length` must be an integer.*length=2.5"):
        TimeseriesGenerator(DATA, TARGETS, length=2.5)


def test_json_round_trip():
    gen = TimeseriesGenerator(DATA, TARGETS, length=3, stride=2, start_index=1, batch_size=2)
    back = sequence.timeseries_generator_from_json(gen.to_json())
    assert gen.get_config()["start_index"] == 4  # stored as start_index + length, as Keras 2 does
    assert len(back) == len(gen)
    for i in range(len(gen)):
        np.testing.assert_array_equal(back[i][0], gen[i][0])
        np.testing.assert_array_equal(back[i][1], gen[i][1])


@pytest.mark.parametrize("shuffle", [False, True])
def test_fit_on_a_timeseries_generator(shuffle):
    series = np.sin(np.arange(60) / 4.0).astype("float32")[:, None]
    gen = TimeseriesGenerator(series, series, length=5, batch_size=8, shuffle=shuffle)
    model = Sequential([Input((5, 1)), layers.LSTM(4), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(gen, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.all(np.isfinite(history.history["loss"]))
    assert model.predict(gen[0][0], verbose=0).shape == (8, 1)


def test_make_sampling_table():
    # rank (0 counted as 1): 1/f = r (ln r + 0.577) + 1/2 - 1/(12 r); p = min(1, sqrt(factor / f))
    np.testing.assert_allclose(make_sampling_table(3), [0.00315225, 0.00315225, 0.00547597], rtol=1e-5)
    np.testing.assert_allclose(make_sampling_table(3, sampling_factor=1.0), [0.9968283, 0.9968283, 1.0], rtol=1e-6)


def test_skipgrams_positive_pairs():
    couples, labels = skipgrams([1, 2, 0, 3], vocabulary_size=5, window_size=1, negative_samples=0, shuffle=False)
    assert couples == [[1, 2], [2, 1]] and labels == [1, 1]  # 0 is no word, on either side
    couples, labels = skipgrams([1, 2, 0, 3], 5, window_size=2, negative_samples=0, shuffle=False, categorical=True)
    assert couples == [[1, 2], [2, 1], [2, 3], [3, 2]]
    assert labels == [[0, 1]] * 4


def test_skipgrams_negative_pairs():
    random.seed(0)
    couples, labels = skipgrams([1, 2, 3], vocabulary_size=5, window_size=1, negative_samples=1.0, shuffle=False)
    assert couples[:4] == [[1, 2], [2, 1], [2, 3], [3, 2]] and labels == [1, 1, 1, 1, 0, 0, 0, 0]
    for word, context in couples[4:]:
        assert word in (1, 2, 3) and 1 <= context <= 4


def test_skipgrams_shuffle_is_keras_2s_seeded_shuffle():
    plain, plain_labels = skipgrams([1, 2, 3, 4], 6, window_size=1, negative_samples=0, shuffle=False)
    couples, labels = skipgrams([1, 2, 3, 4], 6, window_size=1, negative_samples=0, shuffle=True, seed=7)
    random.seed(7)  # Keras 2: random.seed(seed); random.shuffle(couples) (and the labels alike)
    expected = list(plain)
    random.shuffle(expected)
    assert couples == expected
    assert sorted(zip(map(tuple, couples), labels)) == sorted(zip(map(tuple, plain), plain_labels))


def test_skipgrams_sampling_table_drops_words():
    couples, _ = skipgrams([1, 2, 3], 4, window_size=1, negative_samples=0, shuffle=False,
                           sampling_table=np.array([0.0, 0.0, 1.0, 1.0]))
    assert couples == [[2, 1], [2, 3], [3, 2]]  # word 1 never sampled as the centre word
