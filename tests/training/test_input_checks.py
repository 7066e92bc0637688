"""No silent wrong numbers and clear API errors: value ranges (Embedding indices, sparse class labels,
to_categorical), shape arguments at construction, and the bad calls of the [reliability] issues.

Each check here raised nothing, or the wrong kind of error, before `lstmkit/training/input_checks.py`.
The models are tiny and made once per module.
"""

import warnings

import numpy as np
import pytest

import lstmkit
from lstmkit import layers as L
from lstmkit.data import WindowedSeries
from lstmkit.models import Model, Sequential
from lstmkit.utils import Sequence, to_categorical


def _embedding_model(mask_zero=False):
    m = Sequential([lstmkit.Input((3,), dtype="int32"), L.Embedding(5, 2, mask_zero=mask_zero),
                    L.GlobalAveragePooling1D(), L.Dense(1)])
    m.compile("sgd", "mse")
    return m


@pytest.fixture(scope="module")
def emb():
    return _embedding_model()


GOOD_X = np.array([[0, 1, 2], [3, 4, 0], [1, 1, 1], [2, 3, 4]], np.int32)
Y1 = np.zeros((4, 1), np.float32)


def _bad_x(value):
    x = GOOD_X.copy()
    x[2, 1] = value
    return x


def _assert_index_error(excinfo, value, position="(2, 1)", where="`x`"):
    err = excinfo.value
    assert isinstance(err, ValueError) and isinstance(err, IndexError)
    msg = str(err)
    assert f"{where} holds the index {value} at position {position}" in msg, msg
    assert "takes indices in [0, 5)" in msg and "input_dim=5" in msg, msg


# ---------------------------------------------------------------- Embedding indices
@pytest.mark.parametrize("value", [5, 7, -1])
@pytest.mark.parametrize("method", ["predict", "fit", "evaluate", "train_on_batch", "test_on_batch",
                                    "predict_on_batch"])
def test_embedding_index_outside_input_dim_is_an_error_in_every_method(emb, method, value):
    x = _bad_x(value)
    call = {"predict": lambda: emb.predict(x, verbose=0), "fit": lambda: emb.fit(x, Y1, verbose=0),
            "evaluate": lambda: emb.evaluate(x, Y1, verbose=0), "train_on_batch": lambda: emb.train_on_batch(x, Y1),
            "test_on_batch": lambda: emb.test_on_batch(x, Y1), "predict_on_batch": lambda: emb.predict_on_batch(x)}
    before = [w.copy() for w in emb.get_weights()]
    with pytest.raises(ValueError) as excinfo:
        call[method]()
    _assert_index_error(excinfo, value)
    assert all(np.array_equal(a, b) for a, b in zip(before, emb.get_weights()))  # nothing ran


def test_embedding_check_on_the_fast_one_sample_predict_path(emb):
    one = GOOD_X[:1]
    emb.predict(one, verbose=0)  # this shape is now known: later calls take the short path
    emb.predict(one, verbose=0)
    with pytest.raises(ValueError) as excinfo:
        emb.predict(np.array([[0, 9, 1]], np.int32), verbose=0)
    _assert_index_error(excinfo, 9, position="(0, 1)")
    with pytest.raises(ValueError, match=r"index 6 at position \(0, 0\)"):  # int64 and floats (cast as int32 is)
        emb.predict(np.array([[6, 1, 1]], np.int64), verbose=0)
    with pytest.raises(ValueError, match=r"index 5.5 at position \(0, 2\)"):
        emb.predict(np.array([[1, 1, 5.5]], np.float32), verbose=0)
    emb.predict(np.array([[1, 1, 4.5]], np.float32), verbose=0)  # 4.5 is index 4, as Keras casts it


def test_embedding_direct_calls_on_arrays(emb):
    layer = emb.layers[0]
    with pytest.raises(ValueError) as excinfo:
        layer(_bad_x(5))
    _assert_index_error(excinfo, 5, where="The input")
    with pytest.raises(ValueError, match=r"index -3 at position \(2, 1\).*never negative"):
        emb(_bad_x(-3))
    assert np.asarray(layer(GOOD_X)).shape == (4, 3, 2)


def test_embedding_batches_of_generators_sequences_and_windows(emb):
    def gen():
        yield GOOD_X, Y1
        yield _bad_x(5), Y1

    with pytest.raises(ValueError) as excinfo:
        emb.fit(gen(), epochs=1, verbose=0)
    _assert_index_error(excinfo, 5)

    class Batches(Sequence):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return (GOOD_X if i == 0 else _bad_x(-1)), Y1

    for run in (lambda: emb.evaluate(Batches(), verbose=0), lambda: emb.predict(Batches(), verbose=0)):
        with pytest.raises(ValueError) as excinfo:
            run()
        _assert_index_error(excinfo, -1)

    series = np.array([0, 1, 2, 3, 4, 1, 2, 8, 1, 0], np.float32)
    windows = WindowedSeries(series, window=3)
    m = Sequential([lstmkit.Input((3, 1)), L.Reshape((3,)), L.Embedding(5, 2), L.GlobalAveragePooling1D(),
                    L.Dense(1)])
    m.compile("sgd", "mse")
    for run in (lambda: m.fit(windows, verbose=0), lambda: m.predict(windows, verbose=0)):
        with pytest.raises(ValueError, match=r"The series of the WindowedSeries' inputs holds the index 8 at "
                                             r"position \(7, 0\).*\[0, 5\)"):
            run()


def test_mask_zero_says_what_input_dim_means():
    m = _embedding_model(mask_zero=True)
    with pytest.raises(ValueError, match=r"index 5 at position \(2, 1\).*mask_zero=True, 0 is the padding index, "
                                         r"so input_dim must be the vocabulary size \+ 1"):
        m.predict(_bad_x(5), verbose=0)
    assert m.predict(_bad_x(4), verbose=0).shape == (4, 1)  # 4 < input_dim is fine, 0 masks


def test_embedding_through_value_moving_layers_and_nested_models():
    inp = lstmkit.Input((6,))
    ids = L.Reshape((2, 3))(inp)
    out = L.Flatten()(L.Embedding(5, 2)(ids))
    m = Model(inp, out)
    x = np.zeros((2, 6), np.float32)
    x[1, 4] = 5
    with pytest.raises(ValueError, match=r"`x` holds the index 5 at position \(1, 4\)"):
        m.predict(x, verbose=0)

    inner = Sequential([lstmkit.Input((3,)), L.Embedding(4, 2), L.GlobalAveragePooling1D()])
    a, b = lstmkit.Input((3,)), lstmkit.Input((2,))
    outer = Model([a, b], L.Concatenate()([inner(a), L.Dense(2)(b)]))
    with pytest.raises(ValueError, match=r"`x\[0\]` holds the index 4 at position \(0, 0\)"):
        outer.predict([np.array([[4, 0, 0]]), np.ones((1, 2))], verbose=0)
    # a value computed by another layer is not the user's index, and a reverse call takes vectors: not checked
    c = lstmkit.Input((3,))
    assert Model(c, L.Embedding(4, 2)(L.Dense(3)(c))).predict(np.full((1, 3), 9.0), verbose=0).shape == (1, 3, 2)
    tied = L.ReversibleEmbedding(5, 3)
    d = lstmkit.Input((3,))
    assert Model(d, tied(d, reverse=True)).predict(np.full((1, 3), 9.0), verbose=0).shape == (1, 5)
    with pytest.raises(ValueError, match=r"index 5 at position \(0, 0\)"):
        Model(c, tied(c)).predict(np.array([[5, 0, 0]]), verbose=0)


def test_the_layer_owns_its_value_range(emb):
    assert emb.layers[0].input_value_range() == (0, 5)
    assert emb.layers[-1].input_value_range() is None


# ---------------------------------------------------------------- sparse class labels
LABEL_X = np.ones((4, 2), np.float32)


@pytest.fixture(scope="module")
def classifier():
    m = Sequential([lstmkit.Input((2,)), L.Dense(3, activation="softmax")])
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


@pytest.mark.parametrize("label", [3, 7, -1])
def test_sparse_loss_label_outside_the_classes_is_an_error(classifier, label):
    y = np.array([0, 1, label, 2])
    for run in (lambda: classifier.evaluate(LABEL_X, y, verbose=0), lambda: classifier.fit(LABEL_X, y, verbose=0),
                lambda: classifier.train_on_batch(LABEL_X, y[:, None])):
        with pytest.raises(ValueError) as excinfo:
            run()
        msg = str(excinfo.value)
        assert isinstance(excinfo.value, IndexError)
        assert f"`y` holds the class label {label} at position (2" in msg, msg
        assert "loss 'sparse_categorical_crossentropy' on output 0" in msg and "[0, 3)" in msg, msg


def test_ignore_class_is_allowed_and_other_labels_are_not():
    m = Sequential([lstmkit.Input((2,)), L.Dense(3)])
    m.compile("sgd", lstmkit.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1))
    m.evaluate(LABEL_X, np.array([0, -1, 2, -1]), verbose=0)
    with pytest.raises(ValueError, match=r"class label 3 at position \(3,\).*\[0, 3\) \(or ignore_class=-1\)"):
        m.evaluate(LABEL_X, np.array([0, -1, 2, 3]), verbose=0)


@pytest.mark.parametrize("metric", ["sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
                                    "accuracy", lstmkit.metrics.SparseTopKCategoricalAccuracy(k=2)])
def test_sparse_metrics_check_their_labels(metric):
    m = Sequential([lstmkit.Input((2,)), L.Dense(3)])
    m.compile("sgd", lambda y, p: (p - p) ** 2, metrics=[metric])  # a user's loss: only the metric has a rule
    with pytest.raises(ValueError, match=r"class label 5 at position \(1, 0\), but metric '.*' on output 0"):
        m.evaluate(LABEL_X, np.array([[0], [5], [1], [2]]), verbose=0)


def test_sparse_functions_called_on_arrays():
    p = np.full((2, 3), 1 / 3, np.float32)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: `y_true` holds the class label 3 at "
                                         r"position \(1,\).*3 classes"):
        lstmkit.losses.sparse_categorical_crossentropy(np.array([0, 3]), p)
    with pytest.raises(ValueError, match="class label 3"):
        lstmkit.losses.SparseCategoricalCrossentropy()(np.array([0, 3]), p)
    with pytest.raises(ValueError, match="class label -2"):
        lstmkit.metrics.sparse_categorical_accuracy(np.array([0, -2]), p)
    with pytest.raises(ValueError, match="class label 4"):
        lstmkit.metrics.SparseTopKCategoricalAccuracy(k=2).update_state(np.array([4, 0]), p)
    assert float(lstmkit.losses.sparse_categorical_crossentropy(np.array([0, 2]), p)[0]) > 0


@pytest.mark.parametrize("labels, num_classes, value, position", [([0, 3], 3, 3, "(1,)"), ([[0, 1], [-1, 0]], 3, -1, "(1, 0)")])
def test_to_categorical_names_the_label_and_its_position(labels, num_classes, value, position):
    with pytest.raises(ValueError) as excinfo:
        to_categorical(labels, num_classes=num_classes)
    assert isinstance(excinfo.value, IndexError)  # numpy's (and so Keras's) type for a label >= num_classes
    assert f"label {value} at position {position}, outside [0, {num_classes})" in str(excinfo.value)


# ---------------------------------------------------------------- shape arguments at construction
@pytest.mark.parametrize("make, pattern", [
    (lambda: lstmkit.Input(shape=(-5, 2)), r"Cannot convert '\(-5, 2\)' to a shape. Negative dimensions are not "
                                           r"allowed \(`shape`, position 0 is -5\)"),
    (lambda: lstmkit.Input(shape=(2.5, 2)), r"invalid dimension '2.5'.*`shape`, position 0"),
    (lambda: lstmkit.Input(batch_shape=(None, 3, -2)), r"Negative dimensions.*`batch_shape`, position 2 is -2"),
    (lambda: lstmkit.Input(batch_shape=(None, 2.0)), r"invalid dimension '2.0'.*`batch_shape`, position 1"),
    (lambda: lstmkit.Input(shape=(2,), batch_size=-1), r"`batch_size` must be an integer >= 0 or None.*-1"),
    (lambda: lstmkit.Input(shape=(2,), batch_size=2.5), r"`batch_size` must be an integer >= 0 or None.*2.5"),
    (lambda: L.Dense(2, input_shape=(-1,)), r"Negative dimensions.*`input_shape`"),
    (lambda: L.LSTM(2, batch_input_shape=(4, 3.5, 1)), r"invalid dimension '3.5'.*`batch_input_shape`"),
    (lambda: L.Reshape((-2, 3)), r"must be a non-negative integer, or `-1`.*target_shape=\(-2, 3\)"),
    (lambda: L.Reshape((2.5,)), r"must be an integer; received 2.5"),
    (lambda: L.Reshape((-1, -1)), r"at most one unknown dimension \(-1\)"),
])
def test_shape_arguments_are_checked_at_construction(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


# ---------------------------------------------------------------- clear API errors
@pytest.fixture(scope="module")
def regression():
    m = Sequential([lstmkit.Input((2,)), L.Dense(1)])
    m.compile("sgd", "mse")
    return m


X2, Y2 = np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)


def test_empty_arrays(regression):
    for run in (lambda: regression.fit(X2[:0], Y2[:0], verbose=0),
                lambda: regression.evaluate(X2[:0], Y2[:0], verbose=0),
                lambda: regression.predict(X2[:0], verbose=0)):
        with pytest.raises(ValueError, match=r"`x` is empty: received arrays of shape \(0, 2\) with 0 samples"):
            run()


def test_callbacks_of_the_wrong_kind(regression):
    for bad in ("x", [lstmkit.callbacks.History(), 3]):
        for run in (lambda: regression.fit(X2, Y2, verbose=0, callbacks=bad),
                    lambda: regression.evaluate(X2, Y2, verbose=0, callbacks=bad),
                    lambda: regression.predict(X2, verbose=0, callbacks=bad)):
            with pytest.raises(TypeError, match=r"`callbacks` must be a list of `keras.callbacks.Callback` "
                                                r"instances; received .* \(of type (str|int)\)"):
                run()


def test_fit_before_compile_is_keras_valueerror():
    m = Sequential([lstmkit.Input((2,)), L.Dense(1)])
    for run in (lambda: m.fit(X2, Y2, verbose=0), lambda: m.evaluate(X2, Y2, verbose=0),
                lambda: m.fit(iter([(X2, Y2)]), verbose=0)):
        with pytest.raises(ValueError, match=r"^You must call `compile\(\)` before using the model") as excinfo:
            run()
        assert isinstance(excinfo.value, RuntimeError)  # what lstmkit raised before: still caught


def test_ragged_lists_name_the_first_mismatch(regression):
    with pytest.raises(ValueError, match=r"`x` is a ragged list: `x\[0\]` has length 2 but `x\[1\]` has length 1"):
        regression.fit([[1.0, 2.0], [1.0]], np.ones((2, 1)), verbose=0)


def test_set_weights_says_expected_and_received(regression):
    with pytest.raises(ValueError, match=r"expects 2 weights, but set_weights\(\) received 1. Expected shapes: "
                                         r"\[\(2, 1\), \(1,\)\]; received shapes: \[\(3, 1\)\]"):
        regression.set_weights([np.ones((3, 1))])


def test_class_weight_and_sample_weight(regression):
    with pytest.raises(ValueError, match=r"`class_weight` keys must be class indices \(integers >= 0\); "
                                         r"received the key 'a' \(str\)"):
        regression.fit(X2, Y2, verbose=0, class_weight={"a": 1})
    with pytest.raises(ValueError, match=r"`class_weight` values must be finite numbers; received 'x' for class 0"):
        regression.fit(X2, Y2, verbose=0, class_weight={0: "x"})
    regression.fit(X2, Y2, verbose=0, class_weight={"0": 1.0, 1: 2})  # JSON's string keys still work
    with pytest.raises(ValueError, match=r"`sample_weight` must have one weight per sample: expected shape \(4,\), "
                                         r"received shape \(3,\)"):
        regression.fit(X2, Y2, verbose=0, sample_weight=np.ones(3))


def test_a_generator_warns_about_target_shapes_once_per_fit(regression):
    batches = [(X2, np.ones((4, 3), np.float32))] * 4
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        regression.fit(iter(batches), epochs=1, verbose=0)
        regression.evaluate(iter(batches), verbose=0)
    shape_warnings = [w for w in caught if "`y` has shape (4, 3)" in str(w.message)]
    assert len(shape_warnings) == 2, [str(w.message) for w in caught]  # one for fit, one for evaluate


# ---------------------------------------------------------------- a failed compile changes nothing
def test_failed_compile_leaves_an_uncompiled_model_uncompiled():
    m = Sequential([lstmkit.Input((2,)), L.Dense(1)])
    with pytest.raises(ValueError, match="nope"):
        m.compile("adam", "mse", metrics=["nope"])
    assert not m.compiled and m.optimizer is None and m.loss is None
    with pytest.raises(ValueError, match=r"compile\(\)"):
        m.fit(X2, Y2, verbose=0)
    unbuilt = Sequential([L.Dense(1)])  # no graph yet: the metric names are still checked now
    with pytest.raises(ValueError, match="nope"):
        unbuilt.compile("adam", "mse", metrics=[["mae", "nope"]])
    assert not unbuilt.compiled


def test_failed_compile_keeps_the_previous_compile(regression):
    optimizer, engine = regression.optimizer, regression._engine
    for bad in (dict(metrics=["nope"]), dict(loss="nope"), dict(optimizer="nope")):
        args = {"optimizer": "adam", "loss": "mae", **bad}
        with pytest.raises(ValueError):
            regression.compile(**args)
        assert regression.compiled and regression.loss == "mse" and regression.optimizer is optimizer
        assert regression._engine is engine
    assert regression.evaluate(X2, Y2, verbose=0, return_dict=True).keys() == {"loss"}
