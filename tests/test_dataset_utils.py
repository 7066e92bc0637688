"""lstmkit.utils.timeseries_dataset_from_array / split_dataset against Keras 3.

Keras builds these with TensorFlow, which is not installed. The oracles are:
- a float64 NumPy reference of Keras's documented windowing (`_reference`), and Keras's own
  windowing code: its `format="grain"` branch run with a stand-in for the `grain` containers
  (`_keras_windows`), so Keras's code picks the windows and targets;
- Keras's own `split_dataset` run with a stand-in for `tf.data` that keeps the split arrays
  (`_keras_split`): sizes, order and shuffling are Keras's code;
- Keras's argument checks, which run before TensorFlow is needed: same types and messages;
- Keras's fit on the same batches (a PyDataset), for the weights after training.
"""

import random
import types

import keras
import numpy as np
import pytest
from keras.src.utils import dataset_utils as keras_dataset_utils
from keras.src.utils import timeseries_dataset_utils as keras_ts

from lstmkit import Input, Sequential, layers, utils
from lstmkit.utils.dataset_utils import BatchDataset, SampleDataset

RNG = np.random.default_rng(0)
DATA = RNG.normal(size=(41, 3))  # float64
TARGETS = RNG.normal(size=(41, 2))


def _reference(data, targets, sequence_length, sequence_stride=1, sampling_rate=1, batch_size=128,
               start_index=None, end_index=None):
    """Keras's documented windows, written plainly: window k starts at start_index + k * stride."""
    start = start_index or 0
    end = len(data) if end_index is None else end_index
    xs, ys = [], []
    i = start
    while i + (sequence_length - 1) * sampling_rate < end and (targets is None or i < len(targets)):
        xs.append(np.stack([data[i + j * sampling_rate] for j in range(sequence_length)]))
        if targets is not None:
            ys.append(targets[i])
        i += sequence_stride
    batches = []
    for b in range(0, len(xs), batch_size):
        x = np.stack(xs[b:b + batch_size])
        batches.append(x if targets is None else (x, np.stack(ys[b:b + batch_size])))
    return batches


class _Source(list):
    """Stands for grain's MapDataset: Keras's grain branch hands it its lists of windows / targets."""

    @classmethod
    def source(cls, items):
        return cls(items)

    def shuffle(self, seed):
        return self

    def to_iter_dataset(self):
        return self

    def batch(self, batch_size, batch_fn):
        return [self[i:i + batch_size] for i in range(0, len(self), batch_size)]


def _keras_windows(monkeypatch, *args, **kwargs):
    """Keras's windows and targets in Keras's order (its grain branch; grain's own shuffle left out)."""
    fake = types.SimpleNamespace(MapDataset=_Source, experimental=types.SimpleNamespace(
        ZipMapDataset=lambda parts: _Source(zip(*parts))))
    monkeypatch.setattr(keras_ts, "grain", fake)
    batches = keras_ts.timeseries_dataset_from_array(*args, format="grain", **kwargs)
    out = []
    for items in batches:
        if isinstance(items[0], tuple):
            out.append((np.stack([x for x, _ in items]), np.stack([y for _, y in items])))
        else:
            out.append(np.stack(items))
    return out


def _assert_batches_equal(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        if isinstance(e, tuple):
            assert isinstance(g, tuple) and len(g) == 2
            for a, b in zip(g, e):
                assert a.dtype == b.dtype and a.shape == b.shape
                np.testing.assert_array_equal(a, b)
        else:
            assert g.dtype == e.dtype and g.shape == e.shape
            np.testing.assert_array_equal(g, e)


CASES = [
    dict(sequence_length=4),
    dict(sequence_length=4, batch_size=5),
    dict(sequence_length=3, sequence_stride=2, batch_size=4),
    dict(sequence_length=3, sampling_rate=3, batch_size=6),
    dict(sequence_length=5, sequence_stride=3, sampling_rate=2, batch_size=2, start_index=4, end_index=37),
    dict(sequence_length=2, batch_size=7, end_index=20),
    dict(sequence_length=1, batch_size=41),
    dict(sequence_length=40, batch_size=3),  # one window
    dict(sequence_length=41, batch_size=3),  # none
]


@pytest.mark.parametrize("with_targets", [True, False])
@pytest.mark.parametrize("kwargs", CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_windows_match_reference_and_keras(kwargs, with_targets, monkeypatch):
    targets = TARGETS if with_targets else None
    ds = utils.timeseries_dataset_from_array(DATA, targets, **kwargs)
    assert isinstance(ds, BatchDataset)
    expected = _reference(DATA, targets, **kwargs)
    got = list(ds)
    assert len(ds) == len(expected)
    _assert_batches_equal(got, expected)
    _assert_batches_equal(got, _keras_windows(monkeypatch, DATA, targets, **kwargs))
    _assert_batches_equal(list(ds), expected)  # a second pass is the same


def test_targets_shorter_than_data_cut_the_windows(monkeypatch):
    # Keras: the number of windows is at most len(targets); targets[i] belongs to the window at i.
    ds = utils.timeseries_dataset_from_array(DATA, TARGETS[:10], 4, batch_size=4)
    expected = _reference(DATA, TARGETS[:10], 4, batch_size=4)
    _assert_batches_equal(list(ds), expected)
    _assert_batches_equal(list(ds), _keras_windows(monkeypatch, DATA, TARGETS[:10], 4, batch_size=4))
    assert sum(len(x) for x, _ in ds) == 10


def test_targets_too_short_for_start_index():
    # Keras's tf.gather would fail while iterating; lstmkit says so when the dataset is made.
    with pytest.raises(ValueError, match=r"the window starting at data\[10\] takes its target from targets\[10\], "
                                         r"but `targets` has 10 entries \(start_index=5\)"):
        utils.timeseries_dataset_from_array(DATA, TARGETS[:10], 4, start_index=5)


def test_docstring_examples():
    # Keras's docstring, example 1: indices 0..98, length 10, rate 2, stride 3.
    ds = utils.timeseries_dataset_from_array(np.arange(99), None, 10, sequence_stride=3, sampling_rate=2)
    (x,) = list(ds)
    np.testing.assert_array_equal(x[0], np.arange(0, 20, 2))
    np.testing.assert_array_equal(x[1], np.arange(3, 23, 2))
    np.testing.assert_array_equal(x[-1], np.arange(78, 98, 2))
    # Example 2: the past 10 steps predict the next one.
    data = np.arange(50, dtype="float64") ** 1.5
    inputs, targets = next(iter(utils.timeseries_dataset_from_array(data[:-10], data[10:], 10)))
    np.testing.assert_array_equal(inputs[0], data[:10])
    assert targets[0] == data[10]
    # Example 3: two datasets zipped, windows of 20 without overlap.
    X = np.arange(100)
    inputs_ds = utils.timeseries_dataset_from_array(X, None, 20, sequence_stride=20)
    targets_ds = utils.timeseries_dataset_from_array(X * 2, None, 20, sequence_stride=20)
    inputs, targets = next(iter(zip(inputs_ds, targets_ds)))
    np.testing.assert_array_equal(inputs[0], X[:20])
    np.testing.assert_array_equal(targets[1], X[20:40] * 2)


def test_unbatched_yields_samples():
    ds = utils.timeseries_dataset_from_array(DATA, TARGETS, 4, batch_size=None)
    assert isinstance(ds, SampleDataset) and len(ds) == 38
    samples = list(ds)
    (x, y), = _reference(DATA, TARGETS, 4, batch_size=38)
    np.testing.assert_array_equal(np.stack([s[0] for s in samples]), x)
    np.testing.assert_array_equal(np.stack([s[1] for s in samples]), y)
    _assert_batches_equal(list(ds.batch(16)), _reference(DATA, TARGETS, 4, batch_size=16))
    assert len(ds.batch(16, drop_remainder=True)) == 2
    assert [len(x) for x, _ in ds.batch(16, drop_remainder=True)] == [16, 16] and ds.cardinality() == 38
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer. Received: batch_size=0"):
        ds.batch(0)


def _first_positions(ds):
    return np.concatenate([x[:, 0, 0] for x, _ in ds])


def test_shuffle_is_keras_permutation_then_a_local_shuffle_per_pass():
    data = np.arange(300, dtype="float64")[:, None]
    ds = utils.timeseries_dataset_from_array(data, data[:, 0] * 2, 5, batch_size=4, shuffle=True, seed=123)
    # Keras first shuffles the window starts with NumPy's RandomState(seed) ...
    keras_order = np.arange(296)
    np.random.RandomState(123).shuffle(keras_order)
    passes = [_first_positions(ds) for _ in range(3)]
    for order in passes:
        # ... then tf.data's shuffle buffer (batch_size * 8 windows) moves each window earlier by less than 32
        # places (later by any number: it may wait in the buffer).
        assert sorted(order) == list(range(296))
        where = {int(v): k for k, v in enumerate(keras_order)}
        moved_earlier = np.array([where[int(v)] - k for k, v in enumerate(order)])
        assert moved_earlier.max() == 31 and moved_earlier.min() < -31
        assert not np.array_equal(order, keras_order)
    assert not np.array_equal(passes[0], passes[1]) and not np.array_equal(passes[1], passes[2])
    for x, y in ds:
        np.testing.assert_array_equal(x[:, 0, 0] * 2, y)  # targets travel with their windows
        np.testing.assert_array_equal(x[:, :, 0] - x[:, :1, 0], np.tile(np.arange(5.0), (len(x), 1)))
    # The same seed gives the same passes, in a new dataset.
    again = utils.timeseries_dataset_from_array(data, data[:, 0] * 2, 5, batch_size=4, shuffle=True, seed=123)
    for order in passes:
        np.testing.assert_array_equal(_first_positions(again), order)
    other = utils.timeseries_dataset_from_array(data, data[:, 0] * 2, 5, batch_size=4, shuffle=True, seed=124)
    assert not np.array_equal(_first_positions(other), passes[0])


def test_shuffle_without_seed_draws_from_numpy_global_generator():
    data = np.arange(60.0)[:, None]
    np.random.seed(7)
    first = _first_positions(utils.timeseries_dataset_from_array(data, data, 3, batch_size=4, shuffle=True))
    np.random.seed(7)
    seed = np.random.randint(1e6)  # what Keras draws
    np.random.seed(7)
    second = _first_positions(utils.timeseries_dataset_from_array(data, data, 3, batch_size=4, shuffle=True))
    np.testing.assert_array_equal(first, second)
    seeded = utils.timeseries_dataset_from_array(data, data, 3, batch_size=4, shuffle=True, seed=seed)
    np.testing.assert_array_equal(_first_positions(seeded), first)


def test_unbatched_shuffle_uses_a_1024_buffer():
    data = np.arange(3000.0)[:, None]
    ds = utils.timeseries_dataset_from_array(data, None, 1, batch_size=None, shuffle=True, seed=1)
    base = np.arange(3000)
    np.random.RandomState(1).shuffle(base)
    where = {int(v): k for k, v in enumerate(base)}
    moved_earlier = [where[int(x[0, 0])] - k for k, x in enumerate(ds)]
    assert 1000 < max(moved_earlier) < 1024


def test_iterators_are_independent():
    ds = utils.timeseries_dataset_from_array(DATA, TARGETS, 4, batch_size=8)
    a, b = iter(ds), iter(ds)
    first_a = next(a)
    np.testing.assert_array_equal(next(b)[0], first_a[0])
    np.testing.assert_array_equal(next(a)[0], _reference(DATA, TARGETS, 4, batch_size=8)[1][0])
    # an iterator whose pass ended starts the next pass on the following next()
    rest = list(a)
    assert len(rest) == len(ds) - 2
    np.testing.assert_array_equal(next(a)[0], first_a[0])


# ----------------------------------------------------------------- argument checks: Keras's types and messages
BAD = [
    dict(start_index=-1), dict(start_index=41), dict(start_index=10, end_index=5), dict(end_index=41),
    dict(end_index=-3), dict(sampling_rate=0), dict(sampling_rate=41), dict(sequence_stride=0),
    dict(sequence_stride=50), dict(start_index=45, sampling_rate=0),
]


@pytest.mark.parametrize("kwargs", BAD, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_bad_arguments_raise_keras_errors(kwargs):
    with pytest.raises(Exception) as keras_error:
        keras.utils.timeseries_dataset_from_array(DATA, None, 3, **kwargs)
    with pytest.raises(type(keras_error.value)) as ours:
        utils.timeseries_dataset_from_array(DATA, None, 3, **kwargs)
    assert str(ours.value).strip() == str(keras_error.value).strip()


@pytest.mark.parametrize("kwargs,message", [
    (dict(sequence_length=2.5), "`sequence_length` must be an integer. Received: sequence_length=2.5"),
    (dict(sampling_rate=True), "`sampling_rate` must be an integer"),
    (dict(batch_size=0), "`batch_size` must be 1 or greater. Received: batch_size=0"),
    (dict(batch_size="8"), "`batch_size` must be an integer or None"),
    (dict(shuffle="yes"), "`shuffle` must be True or False"),
    (dict(seed=-1), "`seed` must be between 0 and 2\\*\\*32 - 1"),
    (dict(seed=1.5), "`seed` must be an integer"),
])
def test_lstmkit_own_argument_checks(kwargs, message):
    args = {"sequence_length": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        utils.timeseries_dataset_from_array(DATA, None, **args)


def test_end_index_zero_gives_an_empty_dataset_as_keras():
    ds = utils.timeseries_dataset_from_array(DATA, None, 3, end_index=0)
    assert len(ds) == 0 and list(ds) == []


# ----------------------------------------------------------------- fit / evaluate / predict
SERIES = np.sin(np.arange(70) / 4.0)


def _windows(batch_size=16, shuffle=False, seed=None):
    return utils.timeseries_dataset_from_array(SERIES[:-4, None], SERIES[4:], 4, batch_size=batch_size,
                                               shuffle=shuffle, seed=seed)


def _model(seed=0):
    utils.set_random_seed(seed)
    model = Sequential([Input((4, 1)), layers.LSTM(3), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_fit_gives_the_weights_of_the_same_batches_as_arrays():
    ds = _windows()
    x = np.concatenate([b[0] for b in ds])
    y = np.concatenate([b[1] for b in ds])
    assert len(x) == 63 and len(ds) == 4  # 16, 16, 16, 15
    m1, m2 = _model(), _model()
    h1 = m1.fit(ds, epochs=3, verbose=0, validation_data=ds)  # fit's shuffle=True leaves the dataset's order
    h2 = m2.fit(x, y, batch_size=16, epochs=3, verbose=0, shuffle=False, validation_data=(x, y))
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(h1.history["val_loss"], h2.history["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(m1.evaluate(ds, verbose=0), m2.evaluate(x, y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(m1.predict(ds, verbose=0), m2.predict(x, verbose=0), rtol=1e-5, atol=1e-7)
    assert m1.predict(_windows(shuffle=True, seed=1), verbose=0).shape == (63, 1)


def test_fit_matches_keras_on_the_same_batches():
    batches = _reference(SERIES[:-4, None].astype("float32"), SERIES[4:].astype("float32"), 4, batch_size=16)

    class KerasBatches(keras.utils.PyDataset):
        def __len__(self):
            return len(batches)

        def __getitem__(self, i):
            return batches[i]

    km = keras.Sequential([keras.Input((4, 1)), keras.layers.LSTM(3), keras.layers.Dense(1)])
    m = _model()
    m.set_weights(km.get_weights())
    km.compile(optimizer="adam", loss="mse")
    km.fit(KerasBatches(), epochs=2, verbose=0, shuffle=False)
    m.fit(utils.timeseries_dataset_from_array(SERIES[:-4, None].astype("float32"), SERIES[4:].astype("float32"), 4,
                                              batch_size=16), epochs=2, verbose=0)
    for a, b in zip(m.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_fit_shuffled_each_epoch_sees_every_window_once():
    seen = []
    ds = _windows(batch_size=8, shuffle=True, seed=3)
    orders = [_first_positions(ds) for _ in range(2)]
    replay = _windows(batch_size=8, shuffle=True, seed=3)
    m = _model()
    original = replay._batch

    def spy(order, b):
        batch = original(order, b)
        seen.append(batch[0][:, 0, 0])
        return batch

    replay._batch = spy
    m.fit(replay, epochs=2, verbose=0)
    per_epoch = len(replay)
    np.testing.assert_array_equal(np.concatenate(seen[:per_epoch]), orders[0])
    np.testing.assert_array_equal(np.concatenate(seen[per_epoch:]), orders[1])


def test_fit_steps_per_epoch_equal_to_length_runs_every_epoch():
    m = _model()
    with_steps = m.fit(_windows(), epochs=3, steps_per_epoch=4, verbose=0)
    assert len(with_steps.history["loss"]) == 3


def test_unbatched_dataset_in_fit_says_to_batch_it():
    left, _ = utils.split_dataset((SERIES[:20, None, None], SERIES[:20, None]), left_size=0.5)
    with pytest.raises(ValueError, match=r"batch it first, e.g. `model.fit\(dataset.batch\(32\)\)`"):
        _model().fit(left, epochs=1, verbose=0)


# ----------------------------------------------------------------- split_dataset against Keras's own code
class _FakeTFDataset:
    def __init__(self, value):
        self.value = value

    def prefetch(self, _):
        return self


def _keras_split(monkeypatch, dataset, **kwargs):
    """Keras's split_dataset (its tf branch) with tf.data standing aside: the split structures it makes."""
    fake_tf = types.SimpleNamespace(data=types.SimpleNamespace(
        Dataset=types.SimpleNamespace(from_tensor_slices=_FakeTFDataset), AUTOTUNE=-1))
    import keras.src.utils.module_utils as module_utils

    monkeypatch.setattr(module_utils, "tensorflow", fake_tf)
    state = random.getstate()
    try:
        left, right = keras_dataset_utils.split_dataset(dataset, **kwargs)
    finally:
        random.setstate(state)  # Keras reseeds Python's global random
    return left.value, right.value


def _as_samples(structure):
    if isinstance(structure, tuple):
        return [tuple(a[i] for a in structure) for i in range(len(structure[0]))]
    return list(structure)


SPLITS = [
    dict(left_size=0.2), dict(right_size=0.3), dict(left_size=0.2, right_size=0.5), dict(left_size=7),
    dict(right_size=3, left_size=4), dict(left_size=0.25, shuffle=True, seed=5), dict(left_size=0.5, shuffle=True),
    dict(left_size=0.45),  # 4.5 rounds to 4, as Python's round
]


@pytest.mark.parametrize("kind", ["array", "tuple", "list"])
@pytest.mark.parametrize("kwargs", SPLITS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_split_dataset_matches_keras(kind, kwargs, monkeypatch):
    x = RNG.normal(size=(10, 3, 2))
    y = np.arange(10.0)[:, None]
    dataset = {"array": x, "tuple": (x, y), "list": [x, y]}[kind]
    if kwargs.get("shuffle") and "seed" not in kwargs:
        random.seed(11)
        state = random.getstate()
        ours = utils.split_dataset(dataset, **kwargs)
        random.setstate(state)
    else:
        ours = utils.split_dataset(dataset, **kwargs)
    expected = _keras_split(monkeypatch, dataset, **kwargs)
    for part, exp in zip(ours, expected):
        assert isinstance(part, SampleDataset)
        samples, exp_samples = list(part), _as_samples(exp)
        assert len(part) == len(samples) == len(exp_samples)
        for s, e in zip(samples, exp_samples):
            for a, b in zip(s if isinstance(s, tuple) else (s,), e if isinstance(e, tuple) else (e,)):
                np.testing.assert_array_equal(a, b)


def test_split_shuffle_leaves_python_random_alone_and_is_seeded():
    x = np.arange(20)
    random.seed(0)
    state = random.getstate()
    a = [int(v) for v in utils.split_dataset(x, left_size=10, shuffle=True, seed=2)[0]]
    assert random.getstate() == state
    b = [int(v) for v in utils.split_dataset(x, left_size=10, shuffle=True, seed=2)[0]]
    c = [int(v) for v in utils.split_dataset(x, left_size=10, shuffle=True, seed=3)[0]]
    assert a == b and a != c and a != list(range(10))


@pytest.mark.parametrize("dataset,kwargs", [
    ({"a": np.zeros(3)}, dict(left_size=1)), (np.zeros(5), {}), ([], dict(left_size=1)), ((), dict(left_size=1)),
    ([np.zeros(3), [1, 2, 3]], dict(left_size=1)), ((np.zeros(3), np.zeros(4)), dict(left_size=1)),
    (np.zeros(0), dict(left_size=1)), (np.zeros(5), dict(left_size=np.int64(2))),
    (np.zeros(5), dict(left_size="2", right_size=[1])), (np.zeros(5), dict(right_size=True)),
    (np.zeros(5), dict(left_size=0, right_size=0)), (np.zeros(5), dict(left_size=5)),
    (np.zeros(5), dict(left_size=1.0)), (np.zeros(5), dict(right_size=-1)), (np.zeros(5), dict(right_size=1.5)),
    (np.zeros(5), dict(left_size=0.6, right_size=0.6)), (np.zeros(5), dict(left_size=3, right_size=3)),
    (np.zeros(5), dict(left_size=0.05)), (np.zeros(5), dict(left_size=4, right_size=0.01)),
])
def test_split_bad_arguments_raise_keras_error_types(dataset, kwargs, monkeypatch):
    with pytest.raises(Exception) as keras_error:
        _keras_split(monkeypatch, dataset, **kwargs)
    assert type(keras_error.value) in (TypeError, ValueError)
    with pytest.raises(type(keras_error.value)) as ours:
        utils.split_dataset(dataset, **kwargs)
    # Keras's opening words (its messages lack some spaces, which lstmkit's have)
    words = lambda e: str(e).replace(",", " ").replace(".", " ").split()[:3]  # noqa: E731
    assert words(ours.value) == words(keras_error.value)


def test_split_a_timeseries_dataset_keeps_its_batch_size():
    ds = _windows(batch_size=8)
    left, right = utils.split_dataset(ds, left_size=0.75)
    assert isinstance(left, BatchDataset) and left.batch_size == 8
    x = np.concatenate([b[0] for b in ds])
    np.testing.assert_array_equal(np.concatenate([b[0] for b in left]), x[:47])
    np.testing.assert_array_equal(np.concatenate([b[0] for b in right]), x[47:])
    _model().fit(left, validation_data=right, epochs=1, verbose=0)
