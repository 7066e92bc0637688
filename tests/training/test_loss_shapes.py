"""Which target shapes a loss takes against which output shapes: exactly Keras 3's (see lstmkit.losses.shapes).

Keras 3 has no shape check of its own: `y` is accepted when the loss computes on it, after
dropping (or, for rank 1, adding) a trailing axis of size 1. The table below is Keras 3.15 on
JAX, read off `fit` (SGD, batch = all samples); the tests compare every case live with Keras's
compiled loss on the same predictions, run a real `fit` for the cases the issues name, and check
the clear error and the one warning.
"""

import warnings

import keras
import numpy as np
import pytest
from keras.src.trainers import compile_utils as keras_compile

from lstmkit import layers as L
from lstmkit._value_ranges import ValueRangeError
from lstmkit.models import Sequential
from lstmkit.training import programs
from lstmkit.training.data import TargetShapeError

N = 4  # samples: not equal to any other axis, so no broadcast works by coincidence
OUTPUTS = {"(None, 1)": ((2,), 1), "(None, 3)": ((2,), 3), "(None, 5, 1)": ((5, 2), 1), "(None, 5, 2)": ((5, 2), 2)}
TARGETS = ["(n,)", "(n, 1)", "(n, 3)", "(n, 5)", "(n, 5, 1)", "(n, 1, 1)", "(n, 3, 1)"]
LOSSES = ["mse", "mae", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
          "huber"]
# One letter per entry of TARGETS: '.' trains, 'w' trains and lstmkit warns (Keras is silent),
# 'V' / 'T' Keras raises ValueError / TypeError.
TABLE = {
    "(None, 1)": {"mse": "..www.w", "mae": "..www.w", "binary_crossentropy": "..VVV.V",
                  "categorical_crossentropy": "..VVV.V", "sparse_categorical_crossentropy": "..VVV.V",
                  "huber": "..www.w"},
    "(None, 3)": {"mse": "Vw.TTw.", "mae": "Vw.TTw.", "binary_crossentropy": "VV.VVV.",
                  "categorical_crossentropy": "VV.VVV.", "sparse_categorical_crossentropy": "..VVV.V",
                  "huber": "Vw.TTw."},
    "(None, 5, 1)": {"mse": "wwT..wT", "mae": "wwT..wT", "binary_crossentropy": "VVV..VV",
                     "categorical_crossentropy": "VVVw.VV", "sparse_categorical_crossentropy": "VwVV.VV",
                     "huber": "wwT..wT"},
    "(None, 5, 2)": {"mse": "VVVVwwT", "mae": "VVVVwwT", "binary_crossentropy": "VVVVVVV",
                     "categorical_crossentropy": "VVVVVVV", "sparse_categorical_crossentropy": "VVV..VV",
                     "huber": "VVVVwwT"},
}
CASES = [(o, t, loss) for o in OUTPUTS for loss in LOSSES for t in TARGETS]
MISTAKE = "almost always a mistake"


def _target_shape(spec):
    return tuple(N if d == "n" else int(d) for d in spec.strip("()").replace(" ", "").split(",") if d)


def _target(spec):
    # 0/1 labels: valid for every loss here (class 1 of a one-class output counts as Keras counts it)
    return np.random.default_rng(3).integers(0, 2, size=_target_shape(spec)).astype(np.float32)


def _models(out):
    """The same tiny model in Keras and lstmkit, same weights. The losses see only the output's shape, so a
    Dense layer stands in for a recurrent one (a Dense on (None, 5, 2) inputs gives return_sequences' shape)."""
    inp, k = OUTPUTS[out]
    km = keras.Sequential([keras.Input(inp), keras.layers.Dense(k, activation="sigmoid")])
    m = Sequential([L.Dense(k, activation="sigmoid", input_shape=inp)])
    rng = np.random.default_rng(1)
    weights = [rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in km.get_weights()]
    km.set_weights(weights)
    m.set_weights(weights)
    x = np.random.default_rng(2).normal(size=(N,) + inp).astype(np.float32)
    return km, m, x, weights


@pytest.fixture(scope="module")
def pairs():
    """Per output shape: the models, inputs, weights and predictions (Keras's and lstmkit's agree)."""
    out = {}
    for name in OUTPUTS:
        km, m, x, weights = _models(name)
        kp = np.asarray(km(x))
        p = m.predict(x, verbose=0)
        np.testing.assert_allclose(p, kp, rtol=1e-5, atol=1e-6)
        out[name] = (km, m, x, weights, kp)
    return out


def _keras_first_batch_loss(loss, y, p):
    """Keras 3's compiled loss on one batch (what fit's first step reports): a value or the exception."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # categorical_crossentropy's one-class warning
            return float(keras_compile.get_loss(loss, y, p)(y, p)), None
    except (ValueError, TypeError) as exc:
        return None, exc


def _fit_checks(m, x, y, **kwargs):
    """fit's data checks only (epochs=0 trains nothing): the error, and the shape warnings given."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            m.fit(x, y, epochs=0, verbose=0, **kwargs)
            error = None
        except Exception as exc:  # noqa: BLE001 - the test looks at which
            error = exc
    return error, [w for w in caught if issubclass(w.category, UserWarning) and MISTAKE in str(w.message)]


@pytest.mark.parametrize("out,target,loss", CASES, ids=[f"{o}-y{t}-{l}".replace(" ", "") for o, t, l in CASES])
def test_accepts_what_keras_accepts_with_keras_loss(pairs, out, target, loss):
    km, m, x, _, kp = pairs[out]
    y = _target(target)
    code = TABLE[out][loss][TARGETS.index(target)]
    k_value, k_error = _keras_first_batch_loss(loss, y, kp)
    # the table is Keras's behaviour today: a Keras change shows here first
    assert (code in ".w") == (k_error is None), f"Keras: {k_error!r}"
    if code in "VT":
        assert type(k_error) is {"V": ValueError, "T": TypeError}[code]

    m.compile(optimizer="sgd", loss=loss)
    error, shape_warnings = _fit_checks(m, x, y)
    if isinstance(error, ValueRangeError):
        # Keras computes these (a label >= the output's one class gives loss 0, silently): lstmkit refuses them
        assert k_error is None and loss == "sparse_categorical_crossentropy" and out.endswith("1)")
        assert y.max() >= 1 and "takes labels in [0, 1)" in str(error)
        return
    if k_error is not None:
        assert isinstance(error, TargetShapeError), repr(error)
        assert isinstance(error, type(k_error))  # Keras's type (TargetShapeError is both ValueError and TypeError)
        assert str(error).startswith(f"Target `y` has shape {y.shape}, which does not match output 0 of model "
                                     f"'{m.name}' with shape {out} under loss '{loss}': ")
        return
    assert error is None, repr(error)
    assert len(shape_warnings) == (code == "w")
    if shape_warnings:
        assert f"`y` has shape {y.shape} and output 0 of model '{m.name}' has shape {out}" in str(
            shape_warnings[0].message)
    # the value: lstmkit's compiled loss (what its training step runs) on the same batch
    ones = np.ones((N,), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # categorical_crossentropy's one-class warning, as Keras's
        value = m._engine.loss([y], [m.predict(x, verbose=0)], [None], ones, ones)[0]
    np.testing.assert_allclose(float(value), k_value, rtol=1e-5, atol=1e-6)


FIT_CASES = [  # newly accepted shapes, one per output shape, one real fit each (the case is below)
    ("(None, 1)", "(n, 1, 1)", "binary_crossentropy"), ("(None, 3)", "(n, 3, 1)", "categorical_crossentropy"),
    ("(None, 5, 1)", "(n,)", "mse"), ("(None, 5, 2)", "(n, 1, 1)", "huber"),
]


@pytest.mark.parametrize("out,target,loss", FIT_CASES, ids=[f"{o}-y{t}-{l}".replace(" ", "") for o, t, l in FIT_CASES])
def test_fit_first_batch_loss_equals_keras(pairs, out, target, loss):
    km, m, x, weights, kp = pairs[out]
    y = _target(target)
    k_value, k_error = _keras_first_batch_loss(loss, y, kp)
    assert k_error is None
    m.set_weights(weights)
    m.compile(optimizer="sgd", loss=loss)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = m.fit(x, y, batch_size=N, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(h.history["loss"][0], k_value, rtol=1e-5, atol=1e-6)
    m.set_weights(weights)


def test_keras_fit_reports_its_compiled_loss_and_lstmkit_trains_the_same():
    """The oracle above is what Keras's own fit reports; one SGD step ends at Keras's weights."""
    km, m, x, _ = _models("(None, 1)")
    y = _target("(n, 3, 1)")  # the issue: (n, 3, 1) targets against a (None, 1) output
    oracle, _ = _keras_first_batch_loss("mse", y, np.asarray(km(x)))
    km.compile(optimizer="sgd", loss="mse")
    m.compile(optimizer="sgd", loss="mse")
    kh = km.fit(x, y, batch_size=N, epochs=1, shuffle=False, verbose=0)
    with pytest.warns(UserWarning, match=MISTAKE):
        h = m.fit(x, y, batch_size=N, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(kh.history["loss"][0], oracle, rtol=1e-6)
    np.testing.assert_allclose(h.history["loss"], kh.history["loss"], rtol=1e-5, atol=1e-6)
    for a, b in zip(m.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _regression(n_out=1):
    m = Sequential([L.Dense(n_out, input_shape=(2,))])
    m.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 2)).astype(np.float32)
    return m, x


def test_broadcast_warns_once_per_fit_naming_both_shapes():
    m, x = _regression()
    y = np.random.default_rng(1).normal(size=(32, 3)).astype(np.float32)
    # four batches, two epochs, validation data with the same mistake: still one warning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=(x[:8], y[:8]))
    shape_warnings = [w for w in caught if MISTAKE in str(w.message)]
    assert len(shape_warnings) == 1
    w = shape_warnings[0]
    assert w.category is UserWarning
    assert "`y` has shape (32, 3) and output 0 of model" in str(w.message) and "has shape (None, 1)" in str(w.message)
    assert "broadcasts them to shape (32, 3)" in str(w.message)
    assert w.filename == __file__  # points at the user's fit call
    # a second fit warns again (once)
    error, again = _fit_checks(m, x, y, batch_size=8)
    assert error is None and len(again) == 1
    # evaluate too
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m.evaluate(x, y, batch_size=8, verbose=0)
    assert len([w for w in caught if MISTAKE in str(w.message)]) == 1


def test_no_warning_when_shapes_match_or_only_a_trailing_one_differs():
    m, x = _regression()
    for y_shape in [(32, 1), (32,), (32, 1, 1)]:
        error, shape_warnings = _fit_checks(m, x, np.zeros(y_shape, np.float32), batch_size=8)
        assert error is None and shape_warnings == [], y_shape
    m3, x = _regression(3)
    error, shape_warnings = _fit_checks(m3, x, np.zeros((32, 3, 1), np.float32), validation_data=(x, np.zeros((32, 3))))
    assert error is None and shape_warnings == []


def test_validation_data_with_its_own_mistake_warns_for_it():
    m, x = _regression()
    error, shape_warnings = _fit_checks(m, x, np.zeros((32, 1), np.float32),
                                        validation_data=(x[:8], np.zeros((8, 5), np.float32)))
    assert error is None and len(shape_warnings) == 1
    assert "`y` has shape (8, 5)" in str(shape_warnings[0].message)


def test_error_comes_before_compiling_and_names_the_shapes():
    m, x = _regression(2)
    traces = programs.trace_count()
    with pytest.raises(TargetShapeError, match=r"^Target `y` has shape \(32, 3\), which does not match output 0 "
                                               r"of model '\w+' with shape \(None, 2\) under loss 'mse': "
                                               r"sub got incompatible shapes for broadcasting"):
        m.fit(x, np.zeros((32, 3), np.float32), verbose=0)
    assert programs.trace_count() == traces  # nothing traced or compiled
    # Keras's hint-worthy mix-up: integer labels under categorical_crossentropy
    c = Sequential([L.Dense(3, activation="softmax", input_shape=(2,))])
    c.compile(optimizer="sgd", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"with shape \(None, 3\) under loss 'categorical_crossentropy': .*"
                                         r"use loss='sparse_categorical_crossentropy'"):
        c.fit(x, np.zeros((32, 1), np.float32), verbose=0)


def test_batch_size_does_not_decide_the_verdict():
    """Keras would take (3,) targets against a (None, 3) output when a batch happens to hold 3 samples;
    lstmkit decides for every batch size at once, and says with which batch size it checked."""
    m, x = _regression(3)
    with pytest.raises(TargetShapeError, match=r"^Target `y` has shape \(3,\).*\(checked with batches of 2 samples\)"):
        m.fit(x[:3], np.zeros((3,), np.float32), verbose=0)


def test_a_users_loss_function_gets_the_check_but_no_warning():
    def my_loss(y_true, y_pred):
        return (y_true - y_pred) ** 2

    m = Sequential([L.Dense(1, input_shape=(2,))])
    m.compile(optimizer="sgd", loss=my_loss)
    x = np.zeros((8, 2), np.float32)
    error, shape_warnings = _fit_checks(m, x, np.zeros((8, 3), np.float32))
    assert error is None and shape_warnings == []
    m2 = Sequential([L.Dense(2, input_shape=(2,))])
    m2.compile(optimizer="sgd", loss=my_loss)
    with pytest.raises(TargetShapeError, match=r"has shape \(8, 3\).*\(None, 2\) under loss 'my_loss'"):
        m2.fit(x, np.zeros((8, 3), np.float32), verbose=0)
