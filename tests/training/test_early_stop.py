"""EarlyStopping's rule run on the device (training/early_stop.py) decides as the callback does.

The callback compares in float64, the device in float32: every epoch the device decides must be
decided the same way, and comparisons too close to call are left to the host ("pending")."""

import jax.numpy as jnp
import numpy as np
import pytest

from lstmkit.callbacks import EarlyStopping
from lstmkit.training import early_stop


class _Model:
    """Stands in for a model: its weights are the epoch number."""

    def __init__(self):
        self.epoch = 0
        self.stop_training = False

    def get_weights(self):
        return [np.array(self.epoch, np.float32)]


def _drive(settings, values):
    """Run the host callback and the device rule side by side; returns how many epochs were pending."""
    cb = EarlyStopping(monitor="loss", **settings)
    model = _Model()
    cb.set_model(model)
    cb.on_train_begin()
    plan, _ = early_stop.plan_for(type("Cbs", (), {"callbacks": [cb]})(), ["loss"])
    params = early_stop.params_of(cb)
    snapshot = {"w": jnp.float32(-1)}
    pending = 0
    for epoch, value in enumerate(values):
        state = early_stop.state_from(cb, snapshot)
        model.epoch = epoch
        new = early_stop.step(plan, state, params, jnp.asarray([value], jnp.float32), jnp.int32(epoch),
                              {"w": jnp.float32(epoch)})
        cb.on_epoch_end(epoch, {"loss": float(np.float32(value))})
        if bool(new.pending):
            pending += 1
            if cb.restore_best_weights and cb.best_epoch == epoch:
                snapshot = {"w": jnp.float32(epoch)}
        else:
            assert float(new.best) == float(cb.best) if cb.best is not None else not bool(new.has_best)
            assert int(new.wait) == cb.wait
            assert int(new.best_epoch) == cb.best_epoch
            assert bool(new.stopped) == bool(model.stop_training)
            assert bool(new.has_snapshot) == (cb.best_weights is not None)
            if cb.best_weights is not None:
                assert float(new.snapshot["w"]) == float(cb.best_weights[0])
            snapshot = new.snapshot
        if model.stop_training:
            break
    return pending


def _ties(rng, n, delta):
    """A sequence whose steps are often exactly min_delta (or a few ulps around it)."""
    values = [1.0]
    for _ in range(n - 1):
        kind = rng.integers(4)
        step = (delta, delta * (1 + 1e-7 * rng.integers(-3, 4)), rng.normal(0, 0.01), 0.0)[kind]
        values.append(float(np.float32(values[-1] - step)))
    return values


@pytest.mark.parametrize("seed", range(6))
def test_device_rule_decides_like_the_callback(seed):
    rng = np.random.default_rng(seed)
    for trial in range(8):
        settings = dict(patience=int(rng.integers(0, 4)), restore_best_weights=bool(rng.integers(2)),
                        start_from_epoch=int(rng.integers(0, 3)), mode=("min", "max")[int(rng.integers(2))])
        delta = float(rng.choice([0.0, 1e-3, 0.1]))
        settings["min_delta"] = delta
        if rng.integers(3) == 0:
            settings["baseline"] = float(rng.choice([0.999, 1.0, 0.95]))
        pending = _drive(settings, _ties(rng, 30, delta))
        if delta == 0 and "baseline" not in settings:
            assert pending == 0  # exact comparisons are never left to the host


def test_ties_at_min_delta_are_left_to_the_host():
    values = [1.0]
    for _ in range(10):
        values.append(values[-1] - 1e-3)  # each step exactly min_delta in float64, not in float32
    assert _drive(dict(min_delta=1e-3, patience=3), values) > 0


def test_plan_only_for_a_plain_early_stopping():
    class Mine(EarlyStopping):
        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)

    lists = lambda *cbs: type("Cbs", (), {"callbacks": list(cbs)})()
    assert early_stop.plan_for(lists(EarlyStopping(monitor="loss")), ["loss"]) is not None
    assert early_stop.plan_for(lists(Mine(monitor="loss")), ["loss"]) is None
    assert early_stop.plan_for(lists(EarlyStopping(monitor="val_loss")), ["loss"]) is None  # not logged
    two = lists(EarlyStopping(monitor="loss"), EarlyStopping(monitor="loss", patience=3))
    assert early_stop.plan_for(two, ["loss"]) is None
