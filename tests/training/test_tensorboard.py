"""callbacks.TensorBoard: event files read back with TensorBoard's own reader, checked against History.

Two tiny models: an LSTM regressor (whole epochs per compiled call) and an Embedding + LSTM one
(batch-level logging, embeddings). Each compiles once for the whole file.
"""

import glob
import json
import os
import sys

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

import lstmkit  # noqa: E402
from lstmkit.callbacks import Callback, CallbackList  # noqa: E402
from lstmkit.callbacks.tensorboard import TensorBoard  # noqa: E402
from lstmkit.optimizers.schedules import ExponentialDecay  # noqa: E402

EPOCHS, N, BATCH = 5, 24, 8
STEPS = N // BATCH
N_TRAIN, N_VAL = 18, 6  # validation_split=0.25
TRAIN_STEPS = -(-N_TRAIN // BATCH)


def _read(run_dir):
    acc = event_accumulator.EventAccumulator(run_dir, size_guidance={
        event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0, event_accumulator.IMAGES: 0,
        event_accumulator.TENSORS: 0})
    acc.Reload()
    return acc


def _scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def _schedule():
    return ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5)


def _regressor(seed):
    lstmkit.backend.clear_session()  # Keras's default names in the tags ('sequential/lstm/...'), whatever ran before
    lstmkit.utils.set_random_seed(seed)
    model = lstmkit.Sequential([lstmkit.Input((4, 2)), lstmkit.layers.LSTM(3), lstmkit.layers.Dense(1)])
    model.compile(lstmkit.optimizers.Adam(_schedule()), "mse", metrics=["mae"])
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.random((N, 4, 2), np.float32), rng.random((N, 1), np.float32)


class _Calls(Callback):
    """Counts the compiled calls of a fit (the engine asks `_epochs_per_call` before each one)."""

    _live_epochs = False

    def __init__(self):
        super().__init__()
        self.calls = []

    def _epochs_per_call(self, epoch):
        self.calls.append(epoch)
        return None


class _LiveWeights(Callback):
    """The weights after each epoch, seen live (one epoch per call)."""

    _live_epochs = True

    def __init__(self):
        super().__init__()
        self.weights = {}

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch] = [np.asarray(w) for w in self.model.weights]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("tb")
    x, y = _data()
    model = _regressor(0)
    tb = TensorBoard(log_dir, histogram_freq=2, write_images=True, write_steps_per_second=True)
    calls = _Calls()
    history = model.fit(x, y, epochs=EPOCHS, batch_size=BATCH, validation_split=0.25, shuffle=False,
                        callbacks=[tb, calls], verbose=0)
    # The same run again, seen live: the weights each epoch really had.
    live = _LiveWeights()
    _regressor(0).fit(x, y, epochs=EPOCHS, batch_size=BATCH, validation_split=0.25, shuffle=False,
                      callbacks=[live], verbose=0)
    return {"dir": str(log_dir), "model": model, "history": history.history, "calls": calls.calls,
            "live": live.weights, "train": _read(os.path.join(log_dir, "train")),
            "val": _read(os.path.join(log_dir, "validation"))}


def test_runs_are_laid_out_as_keras_does(run):
    assert sorted(os.listdir(run["dir"])) == ["train", "validation"]
    for sub in ("train", "validation"):
        assert glob.glob(os.path.join(run["dir"], sub, "events.out.tfevents.*"))


def test_epoch_scalars_are_the_history(run):
    hist, train, val = run["history"], run["train"], run["val"]
    assert set(train.Tags()["scalars"]) == {"epoch_loss", "epoch_mae", "epoch_learning_rate",
                                            "epoch_steps_per_second"}
    assert set(val.Tags()["scalars"]) == {"epoch_loss", "epoch_mae", "evaluation_loss_vs_iterations",
                                          "evaluation_mae_vs_iterations"}
    for name in ("loss", "mae"):
        assert [s for s, _ in _scalars(train, f"epoch_{name}")] == list(range(EPOCHS))
        np.testing.assert_allclose([v for _, v in _scalars(train, f"epoch_{name}")], hist[name], rtol=1e-6)
        np.testing.assert_allclose([v for _, v in _scalars(val, f"epoch_{name}")], hist[f"val_{name}"], rtol=1e-6)
        # Keras's fit evaluates with the callbacks after each epoch: the values at the optimizer's step.
        got = _scalars(val, f"evaluation_{name}_vs_iterations")
        assert [s for s, _ in got] == [TRAIN_STEPS * (e + 1) for e in range(EPOCHS)]
        np.testing.assert_allclose([v for _, v in got], hist[f"val_{name}"], rtol=1e-6)
    assert all(v > 0 for _, v in _scalars(train, "epoch_steps_per_second"))


def test_learning_rate_is_each_epochs_even_when_epochs_are_replayed(run):
    # Epochs 3 and 4 ran in one compiled call; each gets the schedule's value at its own last step.
    expected = [float(np.asarray(_schedule()(TRAIN_STEPS * (e + 1)))) for e in range(EPOCHS)]
    np.testing.assert_allclose([v for _, v in _scalars(run["train"], "epoch_learning_rate")], expected, rtol=1e-6)
    assert len(set(expected)) == EPOCHS


def test_whole_epochs_per_call_and_calls_end_at_histogram_epochs(run):
    # histogram_freq=2: calls end at epochs 0, 2, 4; nothing runs batch by batch or one epoch per call.
    assert run["calls"] == [0, 1, 3]
    cbs = CallbackList([TensorBoard(run["dir"] + "-unused", write_graph=False)])
    assert not cbs.needs_batch_hooks() and not cbs.needs_live_epochs()
    assert TensorBoard(run["dir"] + "-unused", histogram_freq=3)._epochs_per_call(1) == 3


def test_histograms_hold_that_epochs_weights(run):
    train, model = run["train"], run["model"]
    tags = [t for t in train.Tags()["histograms"]]
    assert tags == ["sequential/lstm/lstm_cell/kernel/histogram", "sequential/lstm/lstm_cell/recurrent_kernel/histogram",
                    "sequential/lstm/lstm_cell/bias/histogram", "sequential/dense/kernel/histogram",
                    "sequential/dense/bias/histogram"]
    for i, tag in enumerate(tags):
        events = train.Histograms(tag)
        assert [e.step for e in events] == [0, 2, 4]
        for event in events:
            w = run["live"][event.step][i]
            h = event.histogram_value
            assert h.num == w.size
            np.testing.assert_allclose([h.min, h.max, h.sum], [w.min(), w.max(), w.sum()], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run["live"][4][0], np.asarray(model.weights[0]), rtol=1e-6)


def test_weight_images_as_keras_draws_them(run):
    train = run["train"]
    assert set(train.Tags()["images"]) == {"sequential/lstm/lstm_cell/kernel/image",
                                           "sequential/lstm/lstm_cell/recurrent_kernel/image",
                                           "sequential/lstm/lstm_cell/bias/image", "sequential/dense/kernel/image"}
    kernel = train.Images("sequential/lstm/lstm_cell/kernel/image")  # (2, 12): one image 2 high, 12 wide
    assert [e.step for e in kernel] == [0, 2, 4]
    assert (kernel[0].height, kernel[0].width) == (2, 12)
    dense = train.Images("sequential/dense/kernel/image")[0]  # (3, 1) squeezed to (3,): Keras's bias layout
    assert (dense.height, dense.width) == (3, 1)


def test_graph_is_the_keras_model_json(run):
    from tensorboard.plugins.graph import keras_util

    train = run["train"]
    assert train.SummaryMetadata("keras").plugin_data.plugin_name == "graph_keras_model"
    text = train.Tensors("keras")[0].tensor_proto.string_val[0].decode()
    assert json.loads(text) == json.loads(run["model"].to_json())
    graph = keras_util.keras_model_to_graph_def(json.loads(text))  # what TensorBoard's Graphs tab draws
    assert [n.name for n in graph.node] == ["sequential/input_layer", "sequential/lstm", "sequential/dense"]


def test_evaluate_writes_results_at_the_optimizer_step(run, tmp_path):
    x, y = _data()
    model = run["model"]
    result = model.evaluate(x, y, batch_size=BATCH, verbose=0, callbacks=[TensorBoard(tmp_path, write_graph=False)],
                            return_dict=True)
    val = _read(os.path.join(tmp_path, "validation"))
    got = _scalars(val, "evaluation_loss_vs_iterations")
    assert got[0][0] == model.optimizer.iterations == TRAIN_STEPS * EPOCHS
    np.testing.assert_allclose(got[0][1], result["loss"], rtol=1e-6)


def test_profile_batch_writes_a_jax_trace(run, tmp_path):
    x, y = _data()
    tb = TensorBoard(tmp_path, profile_batch=(2, 4), write_graph=False)
    assert CallbackList([tb]).needs_live_epochs()  # the trace starts before its epochs run
    calls = _Calls()
    run["model"].fit(x, y, epochs=3, batch_size=BATCH, callbacks=[tb, calls], verbose=0)
    assert glob.glob(os.path.join(tmp_path, "train", "plugins", "profile", "*", "*.xplane.pb"))
    assert not tb._is_tracing


@pytest.fixture(scope="module")
def tokens():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 7, size=(N, 4))
    y = rng.random((N, 1), np.float32)
    lstmkit.utils.set_random_seed(2)
    model = lstmkit.Sequential([lstmkit.Input((4,), dtype="int32"), lstmkit.layers.Embedding(7, 2, name="tokens"),
                                lstmkit.layers.LSTM(2), lstmkit.layers.Dense(1)])
    model.compile("adam", "mse")
    return model, x, y


class _BatchLogs(Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append(dict(logs))


def test_batch_level_scalars_every_n_batches(tokens, tmp_path):
    model, x, y = tokens
    tb = TensorBoard(tmp_path, update_freq=2, write_steps_per_second=True, embeddings_freq=2,
                     embeddings_metadata={"tokens": "words.tsv"})
    assert CallbackList([tb]).needs_batch_hooks(mode="train")
    seen = _BatchLogs()
    history = model.fit(x, y, epochs=2, batch_size=BATCH, callbacks=[tb, seen], verbose=0)
    train = _read(os.path.join(tmp_path, "train"))
    got = _scalars(train, "batch_loss")
    assert [s for s, _ in got] == [2, 4, 6]  # batches counted from 1 over the fit, as Keras does
    np.testing.assert_allclose([v for _, v in got], [seen.logs[s - 1]["loss"] for s, _ in got], rtol=1e-6)
    assert [s for s, _ in _scalars(train, "batch_steps_per_second")] == [2, 4, 6]
    np.testing.assert_allclose([v for _, v in _scalars(train, "epoch_loss")], history.history["loss"], rtol=1e-6)

    # embeddings_freq=2: epoch 0 only, in Keras's file and as the Projector's TSV.
    assert os.path.exists(os.path.join(tmp_path, "train", "keras_embedding.ckpt-0.weights.h5"))
    assert not os.path.exists(os.path.join(tmp_path, "train", "keras_embedding.ckpt-1.weights.h5"))
    config = open(os.path.join(tmp_path, "projector_config.pbtxt")).read()
    assert 'tensor_name: "tokens/embeddings (epoch 0)"' in config and 'metadata_path: "words.tsv"' in config
    tsv = np.loadtxt(os.path.join(tmp_path, "train", "keras_embedding.ckpt-0", "tokens.tsv"), delimiter="\t")
    assert tsv.shape == (7, 2)


def test_embeddings_metadata_names_must_be_embedding_layers(tokens, tmp_path):
    model, x, y = tokens
    with pytest.raises(ValueError, match=r"Unrecognized `Embedding` layer names.*'nope'"):
        model.fit(x, y, epochs=1, callbacks=[TensorBoard(tmp_path, embeddings_freq=1,
                                                         embeddings_metadata={"nope": "m.tsv"})], verbose=0)


class _Optimizer:
    learning_rate = 0.1
    iterations = 0
    _raw_iterations = 0


class _Model:
    """A model whose optimizer never moves: as fit_many reports epochs it ran without writing them back."""

    name = "m"
    layers = []
    weights = []
    optimizer = _Optimizer()


def test_refuses_weights_it_cannot_know(tmp_path):
    tb = TensorBoard(tmp_path, histogram_freq=1, write_graph=False)
    tb.set_model(_Model())
    tb.set_params({"epochs": 2, "steps": 3, "verbose": 0})
    tb.on_train_begin()
    tb.on_epoch_begin(0)
    with pytest.raises(RuntimeError, match="weights of epoch 0 cannot be known"):
        tb.on_epoch_end(0, {"loss": 1.0})
    tb.on_train_end()


@pytest.mark.parametrize("kwargs, message", [
    ({"update_freq": "sometimes"}, "`update_freq` must be 'epoch', 'batch' or a positive integer"),
    ({"update_freq": 0}, "`update_freq` must be"),
    ({"histogram_freq": -1}, "`histogram_freq` must be an integer >= 0"),
    ({"embeddings_freq": 1.5}, "`embeddings_freq` must be an integer >= 0"),
    ({"profile_batch": (5, 2)}, "profile_batch must be a non-negative integer or 2-tuple"),
    ({"profile_batch": "a,b"}, "profile_batch must be"),
])
def test_bad_arguments(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        TensorBoard(tmp_path, **kwargs)


def test_without_tensorboardx_the_error_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"pip install lstmkit\[tensorboard\]"):
        TensorBoard(tmp_path)
