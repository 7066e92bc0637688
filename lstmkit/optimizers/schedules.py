"""Learning-rate schedules with Keras 3's names, arguments and values.

Each schedule maps the optimizer's global step (Keras's `iterations`, the number
of updates applied so far) to a learning rate. `__call__` is written with
`jax.numpy` only, so the optimizer evaluates it inside the compiled training
program: a schedule never causes a recompile.

Subclass `LearningRateSchedule` for your own: implement `__call__(step)` with
jnp operations (the step arrives as an int32 array, possibly traced) and
`get_config()`.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

__all__ = [
    "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
    "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts", "serialize", "deserialize", "get",
]

_F32 = jnp.float32


def _tensor(x):
    """Like Keras's convert_to_tensor: Python floats -> float32, Python ints -> int32."""
    if isinstance(x, bool):
        return jnp.asarray(x)
    if isinstance(x, int):
        return jnp.asarray(x, jnp.int32)
    if isinstance(x, float):
        return jnp.asarray(x, _F32)
    x = jnp.asarray(x)
    if x.dtype == jnp.float64:
        x = x.astype(_F32)
    if x.dtype == jnp.int64:
        x = x.astype(jnp.int32)
    return x


def _float_dtype(x):
    return x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else _F32


class LearningRateSchedule:
    """Base class: a serializable map from the optimizer step to a learning rate."""

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{self.__class__.__name__}({args})"


def _check_positive(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class ExponentialDecay(LearningRateSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)` (floored exponent if `staircase`)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_positive("decay_steps", decay_steps)

    def __call__(self, step):
        lr0 = _tensor(self.initial_learning_rate)
        dtype = _float_dtype(lr0)
        lr0 = lr0.astype(dtype)
        p = jnp.asarray(step).astype(dtype) / jnp.asarray(self.decay_steps, dtype)
        if self.staircase:
            p = jnp.floor(p)
        return lr0 * jnp.power(jnp.asarray(self.decay_rate, dtype), p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[i]` while `boundaries[i-1] < step <= boundaries[i]`."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. Received: "
                f"boundaries={boundaries} of length {len(boundaries)}, and values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = _tensor(step)
        bounds = [_tensor(b).astype(step.dtype) for b in self.boundaries]
        vals = [_tensor(v) for v in self.values]
        dtype = vals[0].dtype
        out = jnp.asarray(0, dtype)
        out = out + (step <= bounds[0]).astype(dtype) * vals[0]
        out = out + (step > bounds[-1]).astype(dtype) * vals[-1]
        for low, high, v in zip(bounds[:-1], bounds[1:], vals[1:-1]):
            out = out + ((step > low) & (step <= high)).astype(dtype) * v
        return out

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from `initial_learning_rate` to `end_learning_rate` over `decay_steps`."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name="PolynomialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_positive("decay_steps", decay_steps)

    def __call__(self, step):
        lr0 = _tensor(self.initial_learning_rate)
        dtype = _float_dtype(lr0)
        lr0 = lr0.astype(dtype)
        end = jnp.asarray(self.end_learning_rate, dtype)
        power = jnp.asarray(self.power, dtype)
        s = jnp.asarray(step).astype(dtype)
        decay_steps = jnp.asarray(self.decay_steps, dtype)
        if self.cycle:
            multiplier = jnp.where(s == 0, jnp.asarray(1.0, dtype), jnp.ceil(s / jnp.asarray(self.decay_steps, dtype)))
            decay_steps = decay_steps * multiplier
        else:
            s = jnp.minimum(s, decay_steps)
        p = s / decay_steps
        return (lr0 - end) * jnp.power(1 - p, power) + end

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)` (floored ratio if `staircase`)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_positive("decay_steps", decay_steps)

    def __call__(self, step):
        lr0 = _tensor(self.initial_learning_rate)
        dtype = _float_dtype(lr0)
        lr0 = lr0.astype(dtype)
        p = jnp.asarray(step).astype(dtype) / jnp.asarray(self.decay_steps, dtype)
        if self.staircase:
            p = jnp.floor(p)
        return lr0 / (jnp.asarray(1, dtype) + jnp.asarray(self.decay_rate, dtype) * p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay over `decay_steps`, after an optional linear warmup to `warmup_target`."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_positive("decay_steps", decay_steps)

    def _decay(self, step, decay_steps, decay_from_lr, dtype):
        fraction = step / decay_steps
        cosine = 0.5 * (1.0 + jnp.cos(jnp.asarray(math.pi, dtype) * fraction))
        decayed = (1 - self.alpha) * cosine + self.alpha
        return decay_from_lr * decayed

    def __call__(self, step):
        lr0 = _tensor(self.initial_learning_rate)
        dtype = _float_dtype(lr0)
        lr0 = lr0.astype(dtype)
        decay_steps = jnp.asarray(self.decay_steps, dtype)
        s = jnp.asarray(step).astype(dtype)
        if self.warmup_target is None:
            return self._decay(jnp.minimum(s, decay_steps), decay_steps, lr0, dtype)
        target = jnp.asarray(self.warmup_target, dtype)
        warmup_steps = jnp.asarray(self.warmup_steps, dtype)
        s = jnp.minimum(s, decay_steps + warmup_steps)
        warm = (target - lr0) * (s / warmup_steps) + lr0
        decay = self._decay(s - warmup_steps, decay_steps, target, dtype)
        return jnp.where(s < warmup_steps, warm, decay)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods grow by `t_mul`, peaks scale by `m_mul`."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_positive("first_decay_steps", first_decay_steps)

    def __call__(self, step):
        lr0 = _tensor(self.initial_learning_rate)
        dtype = _float_dtype(lr0)
        lr0 = lr0.astype(dtype)
        first = jnp.asarray(self.first_decay_steps, dtype)
        alpha = jnp.asarray(self.alpha, dtype)
        t_mul = jnp.asarray(self._t_mul, dtype)
        m_mul = jnp.asarray(self._m_mul, dtype)
        fraction = jnp.asarray(step).astype(dtype) / first
        if float(np.float32(self._t_mul)) == 1.0:
            i_restart = jnp.floor(fraction)
            fraction = fraction - i_restart
        else:
            i_restart = jnp.floor(jnp.log((1.0 - fraction * (1.0 - t_mul)).astype(dtype)) / jnp.log(t_mul))
            sum_r = (1.0 - jnp.power(t_mul, i_restart)) / (1.0 - t_mul)
            fraction = (fraction - sum_r) / jnp.power(t_mul, i_restart)
        m_fac = jnp.power(m_mul, i_restart)
        cosine = 0.5 * m_fac * (1.0 + jnp.cos(jnp.asarray(math.pi, dtype) * fraction))
        decayed = (1 - alpha) * cosine + alpha
        return lr0 * decayed

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self._t_mul, "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_BUILTIN = {c.__name__: c for c in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
                                    CosineDecay, CosineDecayRestarts)}


def serialize(schedule) -> dict:
    """Keras 3's serialized form: {'module', 'class_name', 'config', 'registered_name'}."""
    if not isinstance(schedule, LearningRateSchedule):
        raise ValueError(f"serialize() expects a LearningRateSchedule; received {schedule!r}.")
    cls = type(schedule)
    builtin = _BUILTIN.get(cls.__name__) is cls
    return {
        "module": "keras.optimizers.schedules" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": schedule.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def deserialize(config, custom_objects=None) -> LearningRateSchedule:
    """Inverse of `serialize`; also takes the Keras 2 form {'class_name', 'config'}."""
    if isinstance(config, LearningRateSchedule):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret learning rate schedule config: {config!r}")
    name = config["class_name"]
    objects = dict(_BUILTIN)
    objects.update(custom_objects or {})
    cls = objects.get(name) or objects.get(config.get("registered_name") or "")
    if cls is None:
        raise ValueError(
            f"Unknown learning rate schedule: '{name}'. Valid names are {sorted(_BUILTIN)}; pass your own "
            "subclasses in `custom_objects`."
        )
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    return deserialize(identifier)
