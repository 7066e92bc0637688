"""lstmkit.optimizers against Keras 3: the same weights after 20 updates, schedules, config, lookup."""

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402

from lstmkit import optimizers as O  # noqa: E402
from lstmkit.optimizers import schedules as S  # noqa: E402

KO = keras.optimizers
KS = keras.optimizers.schedules
STEPS = 20
SHAPES = {"bias": (4,), "kernel": (3, 4)}


def _data(steps=STEPS, seed=0):
    rng = np.random.default_rng(seed)
    params = {k: rng.normal(size=s).astype(np.float32) for k, s in SHAPES.items()}
    grads = [{k: rng.normal(size=s).astype(np.float32) for k, s in SHAPES.items()} for _ in range(steps)]
    return params, grads


def _keras_run(opt, params, grads):
    variables = [keras.Variable(params[k]) for k in sorted(params)]
    for g in grads:
        opt.apply_gradients(zip([jnp.asarray(g[k]) for k in sorted(params)], variables))
    return {k: np.asarray(v.value) for k, v in zip(sorted(params), variables)}, opt


def _ours_run(opt, params, grads, jit=False, loss_scale=1.0):
    tx = opt.transformation()
    p = {k: jnp.asarray(v) for k, v in params.items()}
    state = tx.init(p)

    def step(p, state, g):
        updates, state = tx.update(g, state, p)
        return optax.apply_updates(p, updates), state

    if jit:
        step = jax.jit(step)
    for g in grads:
        g = {k: jnp.asarray(v) * loss_scale for k, v in g.items()}
        p, state = step(p, state, g)
    return {k: np.asarray(v) for k, v in p.items()}, state


def _assert_same(ours, theirs, rtol=1e-6, atol=1e-7):
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=rtol, atol=atol, err_msg=k)


CASES = {
    "sgd": (lambda: O.SGD(), lambda: KO.SGD()),
    "sgd_momentum": (lambda: O.SGD(0.1, momentum=0.9), lambda: KO.SGD(0.1, momentum=0.9)),
    "sgd_nesterov": (lambda: O.SGD(0.1, momentum=0.9, nesterov=True), lambda: KO.SGD(0.1, momentum=0.9, nesterov=True)),
    "adam": (lambda: O.Adam(0.01), lambda: KO.Adam(0.01)),
    "adam_amsgrad": (lambda: O.Adam(0.01, beta_1=0.8, amsgrad=True), lambda: KO.Adam(0.01, beta_1=0.8, amsgrad=True)),
    "adamw": (lambda: O.AdamW(0.01, weight_decay=0.05), lambda: KO.AdamW(0.01, weight_decay=0.05)),
    "rmsprop": (lambda: O.RMSprop(0.01), lambda: KO.RMSprop(0.01)),
    "rmsprop_centered_momentum": (lambda: O.RMSprop(0.01, centered=True, momentum=0.5),
                                  lambda: KO.RMSprop(0.01, centered=True, momentum=0.5)),
    "adagrad": (lambda: O.Adagrad(0.1), lambda: KO.Adagrad(0.1)),
    "adadelta": (lambda: O.Adadelta(1.0), lambda: KO.Adadelta(1.0)),
    "adamax": (lambda: O.Adamax(0.01), lambda: KO.Adamax(0.01)),
    "nadam": (lambda: O.Nadam(0.01), lambda: KO.Nadam(0.01)),
    "lion": (lambda: O.Lion(0.01), lambda: KO.Lion(0.01)),
    "ftrl": (lambda: O.Ftrl(0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.01, beta=0.1,
                            l2_shrinkage_regularization_strength=0.01),
             lambda: KO.Ftrl(0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.01, beta=0.1,
                             l2_shrinkage_regularization_strength=0.01)),
    "clipnorm": (lambda: O.Adam(0.01, clipnorm=1.0), lambda: KO.Adam(0.01, clipnorm=1.0)),
    "clipvalue": (lambda: O.SGD(0.1, clipvalue=0.5), lambda: KO.SGD(0.1, clipvalue=0.5)),
    "global_clipnorm": (lambda: O.SGD(0.1, momentum=0.5, global_clipnorm=1.0),
                        lambda: KO.SGD(0.1, momentum=0.5, global_clipnorm=1.0)),
    "weight_decay": (lambda: O.RMSprop(0.01, weight_decay=0.1), lambda: KO.RMSprop(0.01, weight_decay=0.1)),
    "schedule": (lambda: O.Adam(S.ExponentialDecay(0.01, 5, 0.5, staircase=True)),
                 lambda: KO.Adam(KS.ExponentialDecay(0.01, 5, 0.5, staircase=True))),
    "ema": (lambda: O.SGD(0.1, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=3),
            lambda: KO.SGD(0.1, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=3)),
    # Keras 2's `decay` is inverse-time decay with decay_steps=1.
    "legacy_lr_decay": (lambda: O.SGD(lr=0.1, momentum=0.5, decay=0.1),
                        lambda: KO.SGD(KS.InverseTimeDecay(0.1, 1, 0.1), momentum=0.5)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_keras_after_20_steps(case):
    ours_fn, keras_fn = CASES[case]
    params, grads = _data()
    theirs, _ = _keras_run(keras_fn(), params, grads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ours, _ = _ours_run(ours_fn(), params, grads)
    _assert_same(ours, theirs)


@pytest.mark.parametrize("case", ["adam", "nadam", "ema"])
def test_jitted_matches_keras(case):
    # XLA fuses multiply-adds under jit, so agreement is to float32 rounding of the weights' scale.
    ours_fn, keras_fn = CASES[case]
    params, grads = _data()
    theirs, _ = _keras_run(keras_fn(), params, grads)
    ours, _ = _ours_run(ours_fn(), params, grads, jit=True)
    for k in theirs:
        scale = np.max(np.abs(theirs[k]))
        assert np.max(np.abs(ours[k] - theirs[k])) <= 1e-6 * scale, k


def test_gradient_accumulation_matches_keras():
    params, grads = _data(steps=6)
    theirs, kopt = _keras_run(KO.Adam(0.01, gradient_accumulation_steps=3), params, grads)
    opt = O.Adam(0.01, gradient_accumulation_steps=3)
    ours, state = _ours_run(opt, params, grads)
    _assert_same(ours, theirs)
    assert opt.get_state_iterations(state) == int(kopt.iterations) == 2


def test_loss_scale_factor_matches_keras():
    # Keras divides the gradients (of the scaled loss) by the factor; the engine scales the loss with
    # `opt.scale_loss`, so here the gradients we feed are the scaled ones.
    params, grads = _data()
    theirs, _ = _keras_run(KO.SGD(0.1, loss_scale_factor=4.0), params, [{k: v * 4.0 for k, v in g.items()} for g in grads])
    opt = O.SGD(0.1, loss_scale_factor=4.0)
    assert float(opt.scale_loss(jnp.float32(2.0))) == 8.0
    ours, _ = _ours_run(opt, params, grads, loss_scale=4.0)
    _assert_same(ours, theirs)


def test_ema_finalize_gives_the_moving_average():
    params, grads = _data(steps=5)
    kopt = KO.Adam(0.01, use_ema=True)
    variables = [keras.Variable(params[k]) for k in sorted(params)]
    for g in grads:
        kopt.apply_gradients(zip([jnp.asarray(g[k]) for k in sorted(params)], variables))
    kopt.finalize_variable_values(variables)
    opt = O.Adam(0.01, use_ema=True)
    ours, state = _ours_run(opt, params, grads)
    final = opt.finalize_variable_values(state, ours)
    for k, v in zip(sorted(params), variables):
        np.testing.assert_allclose(np.asarray(final[k]), np.asarray(v.value), rtol=1e-6, atol=1e-7)


def test_exclude_from_weight_decay():
    params, grads = _data(steps=3)
    opt = O.SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    ours, _ = _ours_run(opt, params, grads)
    plain, _ = _ours_run(O.SGD(0.1), params, grads)
    decayed, _ = _ours_run(O.SGD(0.1, weight_decay=0.5), params, grads)
    np.testing.assert_array_equal(ours["bias"], plain["bias"])
    np.testing.assert_array_equal(ours["kernel"], decayed["kernel"])
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])
    # With opaque param keys (as the engine's), names come from `param_names`.
    keyed = {"000001": params["bias"], "000002": params["kernel"]}
    by_name = O.SGD(0.1, weight_decay=0.5)
    by_name.exclude_from_weight_decay(var_names=["bias"])
    tx = by_name.transformation(param_names={"000001": "bias", "000002": "kernel"})
    state = tx.init(keyed)
    updates, _ = tx.update({k: jnp.zeros_like(v) for k, v in keyed.items()}, state, keyed)
    assert float(jnp.max(jnp.abs(updates["000001"]))) == 0.0 and float(jnp.max(jnp.abs(updates["000002"]))) > 0
    unnamed = O.SGD(0.1, weight_decay=0.5)
    unnamed.exclude_from_weight_decay(var_names=["bias"])
    tx = unnamed.transformation()
    with pytest.raises(ValueError, match="param_names"):
        tx.update(keyed, tx.init(keyed), keyed)


def test_learning_rate_in_state_changes_without_retrace():
    opt = O.Adam(0.01)
    tx = opt.transformation()
    params = {"w": jnp.ones((3,))}
    traces = []

    @jax.jit
    def step(params, state, grads):
        traces.append(1)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    state = tx.init(params)
    state = opt.set_state_learning_rate(state, opt.learning_rate)
    grads = {"w": jnp.full((3,), 0.5)}
    p1, s1 = step(params, state, grads)
    assert opt.get_state_learning_rate(s1) == pytest.approx(0.01)
    opt.learning_rate = 0.5
    assert opt.learning_rate == pytest.approx(0.5)
    s1 = opt.set_state_learning_rate(s1, opt.learning_rate)
    assert opt.get_state_learning_rate(s1) == pytest.approx(0.5)
    p2, s2 = step(p1, s1, grads)
    assert len(traces) == 1
    # Adam's second step moves by about lr: the new rate took effect.
    assert float(jnp.max(jnp.abs(p2["w"] - p1["w"]))) > 0.1
    assert opt.get_state_iterations(s2) == 2
    opt.iterations = opt.get_state_iterations(s2)
    assert opt.iterations == 2


def test_schedule_runs_on_the_global_step_inside_jit():
    sched = S.PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
    opt = O.SGD(sched)
    tx = opt.transformation()
    params = {"w": jnp.zeros(())}
    state = tx.init(params)
    step = jax.jit(lambda p, s: tx.update({"w": jnp.ones(())}, s, p))
    moves = []
    for _ in range(6):
        updates, state = step(params, state)
        moves.append(-float(updates["w"]))
    np.testing.assert_allclose(moves, [1.0, 1.0, 1.0, 0.5, 0.5, 0.1])
    assert opt.get_state_iterations(state) == 6
    assert opt.learning_rate == pytest.approx(0.1)  # evaluated at the current step, as Keras
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.3
    assert opt.set_state_learning_rate(state, opt.learning_rate) is state


SCHEDULES = [
    (S.ExponentialDecay(0.1, 3, 0.7), KS.ExponentialDecay(0.1, 3, 0.7)),
    (S.ExponentialDecay(0.1, 3, 0.7, staircase=True), KS.ExponentialDecay(0.1, 3, 0.7, staircase=True)),
    (S.PiecewiseConstantDecay([3, 7], [0.1, 0.05, 0.01]), KS.PiecewiseConstantDecay([3, 7], [0.1, 0.05, 0.01])),
    (S.InverseTimeDecay(0.1, 2, 0.5), KS.InverseTimeDecay(0.1, 2, 0.5)),
    (S.InverseTimeDecay(0.1, 2, 0.5, staircase=True), KS.InverseTimeDecay(0.1, 2, 0.5, staircase=True)),
    (S.PolynomialDecay(0.1, 8, 0.01, power=2.0), KS.PolynomialDecay(0.1, 8, 0.01, power=2.0)),
    (S.PolynomialDecay(0.1, 4, 0.01, cycle=True), KS.PolynomialDecay(0.1, 4, 0.01, cycle=True)),
    (S.CosineDecay(0.1, 10, alpha=0.1), KS.CosineDecay(0.1, 10, alpha=0.1)),
    (S.CosineDecay(0.01, 10, warmup_target=0.1, warmup_steps=4),
     KS.CosineDecay(0.01, 10, warmup_target=0.1, warmup_steps=4)),
    (S.CosineDecayRestarts(0.1, 3), KS.CosineDecayRestarts(0.1, 3)),
    (S.CosineDecayRestarts(0.1, 3, t_mul=1.0, m_mul=0.5, alpha=0.1),
     KS.CosineDecayRestarts(0.1, 3, t_mul=1.0, m_mul=0.5, alpha=0.1)),
]


@pytest.mark.parametrize("i", range(len(SCHEDULES)))
def test_schedules_match_keras(i):
    ours, theirs = SCHEDULES[i]
    steps = np.arange(25, dtype=np.int32)
    got = np.asarray(jax.jit(jax.vmap(ours))(jnp.asarray(steps)))
    want = np.asarray(jax.jit(jax.vmap(theirs))(jnp.asarray(steps)))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    # Python ints work too (the optimizer passes an int32 array).
    assert float(ours(7)) == pytest.approx(float(want[7]), rel=1e-6)
    assert ours.get_config() == theirs.get_config()
    again = type(ours).from_config(ours.get_config())
    np.testing.assert_allclose(np.asarray(jax.vmap(again)(jnp.asarray(steps))), got, rtol=1e-6, atol=1e-8)


def test_user_schedule_subclass():
    class Halving(S.LearningRateSchedule):
        def __call__(self, step):
            return 0.1 * jnp.power(0.5, jnp.asarray(step, jnp.float32))

        def get_config(self):
            return {}

    opt = O.SGD(Halving())
    tx = opt.transformation()
    state = tx.init({"w": jnp.zeros(())})
    u1, state = tx.update({"w": jnp.ones(())}, state, {"w": jnp.zeros(())})
    u2, state = tx.update({"w": jnp.ones(())}, state, {"w": jnp.zeros(())})
    assert float(u1["w"]) == pytest.approx(-0.1) and float(u2["w"]) == pytest.approx(-0.05)
    with pytest.raises(NotImplementedError, match="__call__"):
        S.LearningRateSchedule()(0)


def test_get_config_matches_keras():
    pairs = [
        (O.SGD(0.05, momentum=0.9, nesterov=True, name="s"), KO.SGD(0.05, momentum=0.9, nesterov=True, name="s")),
        (O.Adam(name="a", clipnorm=1.0), KO.Adam(name="a", clipnorm=1.0)),
        (O.AdamW(name="w"), KO.AdamW(name="w")),
        (O.RMSprop(name="r", centered=True), KO.RMSprop(name="r", centered=True)),
        (O.Adagrad(name="g"), KO.Adagrad(name="g")),
        (O.Adadelta(name="d"), KO.Adadelta(name="d")),
        (O.Adamax(name="x"), KO.Adamax(name="x")),
        (O.Nadam(name="n", use_ema=True), KO.Nadam(name="n", use_ema=True)),
        (O.Ftrl(name="f"), KO.Ftrl(name="f")),
        (O.Lion(name="l"), KO.Lion(name="l")),
        (O.Adam(S.CosineDecay(0.1, 100), name="c"), KO.Adam(KS.CosineDecay(0.1, 100), name="c")),
    ]
    for ours, theirs in pairs:
        assert ours.get_config() == theirs.get_config(), type(ours).__name__
        assert O.serialize(ours) == KO.serialize(theirs)
        again = O.deserialize(O.serialize(ours))
        assert type(again) is type(ours) and again.get_config() == ours.get_config()
    # A Keras config (and a Keras optimizer object) load into lstmkit.
    assert O.get(KO.Adam(0.02)).learning_rate == pytest.approx(0.02)
    assert isinstance(O.deserialize(KO.serialize(KO.Nadam())), O.Nadam)


def test_legacy_arguments():
    with pytest.warns(DeprecationWarning, match="lr"):
        opt = O.Adam(lr=0.02, decay=1e-3)
    assert opt.learning_rate == pytest.approx(0.02)
    assert opt.get_config()["decay"] == 1e-3
    # Keras 2 file config: 'lr' and 'decay' keys.
    with pytest.warns(DeprecationWarning):
        old = O.get({"class_name": "Adam", "config": {"name": "Adam", "lr": 0.005, "decay": 0.0, "beta_1": 0.9,
                                                      "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}})
    assert old.learning_rate == pytest.approx(0.005) and old.decay == 0.0
    with pytest.raises(ValueError, match="not recognized.*foo"):
        O.SGD(foo=1)
    with pytest.raises(NotImplementedError, match="schedule_decay"):
        O.Nadam(schedule_decay=0.004)


def test_argument_errors():
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue` and `global_clipnorm`"):
        O.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        O.SGD(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="momentum"):
        O.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="weight_decay"):
        O.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="learning_rate"):
        O.SGD(learning_rate="fast")


def test_get_names_and_unknown():
    for name, cls in [("sgd", O.SGD), ("Adam", O.Adam), ("RMSprop", O.RMSprop), ("rmsprop", O.RMSprop),
                      ("adagrad", O.Adagrad), ("adadelta", O.Adadelta), ("adamax", O.Adamax), ("NADAM", O.Nadam),
                      ("adamw", O.AdamW), ("ftrl", O.Ftrl), ("lion", O.Lion)]:
        assert type(O.get(name)) is cls
    opt = O.SGD()
    assert O.get(opt) is opt
    assert isinstance(O.get({"class_name": "SGD", "config": {"learning_rate": 0.2}}), O.SGD)
    with pytest.raises(ValueError) as err:
        O.get("adamm")
    assert "'adamm'" in str(err.value) and "'adam'" in str(err.value) and "'rmsprop'" in str(err.value)
    with pytest.raises(ValueError, match="not implemented in lstmkit"):
        O.get("adafactor")
