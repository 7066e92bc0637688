"""fit / evaluate / predict on Python generators and Sequences, against the same data as arrays."""

import numpy as np
import pytest

import keras
import lstmkit
from lstmkit import Input, Sequential, layers
from lstmkit.utils import Sequence

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 4, 2)).astype("float32")
Y = X.sum(axis=(1, 2))[:, None]


def _pair():
    km = keras.Sequential([keras.Input((4, 2)), keras.layers.LSTM(3), keras.layers.Dense(1)])
    m = Sequential([Input((4, 2)), layers.LSTM(3), layers.Dense(1)])
    m.set_weights(km.get_weights())
    for model, lib in ((km, keras), (m, lstmkit)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return km, m


def _batches(bs=8):
    return [(X[i:i + bs], Y[i:i + bs]) for i in range(0, len(X), bs)]  # 8, 8, 4


class Batches(Sequence):
    def __init__(self):
        super().__init__()
        self.ends = 0

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return _batches()[i]

    def on_epoch_end(self):
        self.ends += 1


def _generator():
    while True:
        yield from _batches()


def test_a_sequence_trains_like_keras_on_the_same_batches():
    km, m = _pair()

    class KerasBatches(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return _batches()[i]

    hk = km.fit(KerasBatches(), epochs=2, verbose=0, shuffle=False).history
    seq = Batches()
    h = m.fit(seq, epochs=2, verbose=0, shuffle=False).history
    np.testing.assert_allclose(h["loss"], hk["loss"], rtol=1e-5)
    np.testing.assert_allclose(h["mae"], hk["mae"], rtol=1e-5)
    assert seq.ends == 2
    np.testing.assert_allclose(m.predict(X, verbose=0), km.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_a_generator_with_steps_and_validation_matches_arrays_batch_by_batch():
    _, m = _pair()
    _, ref = _pair()
    ref.set_weights(m.get_weights())
    h = m.fit(_generator(), steps_per_epoch=3, epochs=2, validation_data=_generator(), validation_steps=3,
              verbose=0).history
    r = ref.fit(X, Y, batch_size=8, epochs=2, shuffle=False, validation_data=(X, Y), verbose=0).history
    for key in ("loss", "mae", "val_loss", "val_mae"):
        np.testing.assert_allclose(h[key], r[key], rtol=1e-5)
    assert m.evaluate(_generator(), steps=3, verbose=0) == pytest.approx(ref.evaluate(X, Y, verbose=0), rel=1e-5)
    np.testing.assert_allclose(m.predict((x for x, _ in _batches()), verbose=0), ref.predict(X, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_a_finite_generator_that_runs_out_stops_with_keras_warning():
    _, m = _pair()
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        h = m.fit(iter(_batches()), steps_per_epoch=3, epochs=3, verbose=0).history
    assert len(h["loss"]) == 1


def test_generator_errors_are_clear():
    _, m = _pair()
    with pytest.raises(ValueError, match=r"`y` and `sample_weight` must be None when `x` is a generator"):
        m.fit(_generator(), Y, steps_per_epoch=1)
    with pytest.raises(ValueError, match=r"`steps_per_epoch` must be a positive integer"):
        m.fit(_generator(), steps_per_epoch=0)
    with pytest.raises(ValueError, match=r"expects arrays of shape \(None, 4, 2\)"):
        m.fit(iter([(X[:, :, :1], Y)]), epochs=1, verbose=0)


def test_parallel_loading_options_are_accepted_with_a_warning():
    with pytest.warns(UserWarning, match=r"reads the batches of a Sequence in this process"):
        Sequence(workers=4, use_multiprocessing=True)


def test_a_sequence_is_shuffled_by_batch_unless_asked_not_to():
    _, m = _pair()

    class Recording(Batches):
        """Records the batch indices each epoch asks for (the first epoch's batch 0 was read to build)."""

        def __init__(self):
            super().__init__()
            self.asked, self.epochs = [], []

        def __getitem__(self, i):
            self.asked.append(i)
            return super().__getitem__(i)

        def on_epoch_end(self):
            self.epochs.append(tuple(self.asked))
            self.asked = []

    lstmkit.utils.set_random_seed(0)
    seq = Recording()
    m.fit(seq, epochs=6, verbose=0)
    later = seq.epochs[1:]
    assert all(sorted(o) == [0, 1, 2] for o in later) and len(set(later)) > 1  # every batch, in new orders
    seq = Recording()
    m.fit(seq, epochs=3, shuffle=False, verbose=0)
    assert seq.epochs[1:] == [(0, 1, 2), (0, 1, 2)]


def test_keras2_generator_methods_warn_and_give_fit_evaluate_predict():
    _, m = _pair()
    _, ref = _pair()
    ref.set_weights(m.get_weights())
    with pytest.warns(UserWarning, match=r"`Model.fit_generator` is deprecated"):
        h = m.fit_generator(_generator(), steps_per_epoch=3, epochs=2, verbose=0, shuffle=False).history
    r = ref.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h["loss"], r["loss"], rtol=1e-5)
    with pytest.warns(UserWarning, match=r"evaluate_generator"):
        loss = m.evaluate_generator(_generator(), steps=3)
    assert loss[0] == pytest.approx(ref.evaluate(X, Y, verbose=0)[0], rel=1e-5)
    with pytest.warns(UserWarning, match=r"workers and use_multiprocessing change nothing"):
        out = m.predict_generator((x for x, _ in _batches()), steps=3, workers=4, use_multiprocessing=True)
    assert out.shape == (20, 1)


def test_batches_go_to_the_program_in_chunks_with_the_numbers_of_one_at_a_time():
    import lstmkit
    from lstmkit import callbacks as C

    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 5, 2)).astype(np.float32)
    y = rng.normal(size=(100, 1)).astype(np.float32)

    class Batches(lstmkit.utils.Sequence):
        def __len__(self):
            return 13  # the last one has 4 samples

        def __getitem__(self, i):
            return x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

    class BatchHook(C.Callback):  # batch hooks: one compiled call per batch
        def on_train_batch_end(self, batch, logs=None):
            pass

    results = []
    for callbacks in ([], [BatchHook()]):
        lstmkit.utils.set_random_seed(1)
        m = lstmkit.Sequential([lstmkit.Input((5, 2)), lstmkit.layers.LSTM(4, dropout=0.2), lstmkit.layers.Dense(1)])
        m.compile("adam", "mse", metrics=["mae"])
        h = m.fit(Batches(), epochs=2, verbose=0, callbacks=callbacks, validation_data=(x[:20], y[:20]))
        results.append((m.get_weights(), h.history))
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_array_equal(a, b)
    for k in results[0][1]:
        np.testing.assert_array_equal(results[0][1][k], results[1][1][k])
