"""Weight initializers with Keras 3's classes, arguments, defaults and configs.

Initial weights are made with NumPy on the host (fast, and no XLA compile per weight
shape): `init(shape, dtype='float32')` returns a `numpy.ndarray`. An unseeded
initializer draws from the global generator (`lstmkit._random.numpy_rng()`, reseeded
by `lstmkit.utils.set_random_seed`); a seeded one builds a Generator from its seed on
every call, so it returns the same values each time, as a seeded Keras initializer
does. The distributions are Keras's (fans, limits, the truncated normal cut at two
standard deviations); the random draws themselves are NumPy's, not Keras's.
"""

from __future__ import annotations

import math
import re

import numpy as np

from lstmkit import _random
from lstmkit._registry import deserialize_object, serialize_object

_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978  # stddev of a standard normal truncated to [-2, 2]


def _np_dtype(dtype) -> np.dtype:
    if dtype is None:
        return np.dtype("float32")
    try:
        return np.dtype(dtype)
    except TypeError:
        import ml_dtypes  # bfloat16 & co. (installed with jax)

        return np.dtype(getattr(ml_dtypes, str(dtype)))


def _float_dtype(dtype, cls_name) -> np.dtype:
    dt = _np_dtype(dtype)
    if not np.issubdtype(dt, np.floating) and dt.name not in ("bfloat16", "float16"):
        raise ValueError(f"{cls_name} can only produce floating-point weights. Received: dtype={dtype}")
    return dt


def _shape(shape) -> tuple:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def compute_fans(shape, input_axes=None, output_axes=None):
    """`(fan_in, fan_out)` of a weight shape, as Keras computes them.

    Scalars: (1, 1); 1-D `(n,)`: (n, n); 2-D `(a, b)`: (a, b); higher rank (kernels,
    `(..., input_depth, depth)`): both multiplied by the receptive field size
    `prod(shape[:-2])`. With `input_axes` and `output_axes`, the products of those axes.
    """
    shape = _shape(shape)
    if input_axes is not None and output_axes is not None:
        return int(math.prod(shape[a] for a in input_axes)), int(math.prod(shape[a] for a in output_axes))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


# ----------------------------------------------------------------------------- base classes
class Initializer:
    """Base class: subclasses implement `__call__(shape, dtype=None) -> numpy array`."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError("Initializer subclasses must implement the `__call__()` method.")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("dtype", None)  # TF-1-era Keras 2 initializer configs carry a dtype
        return cls(**config)

    def clone(self):
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _seed_value(seed):
    """An int seed (or None) from what Keras accepts: int, None, or a serialized SeedGenerator."""
    if seed is None:
        return None
    if isinstance(seed, dict):  # {'class_name': 'SeedGenerator', 'config': {'seed': n}, ...}
        inner = seed.get("config", seed)
        seed = inner.get("seed") if isinstance(inner, dict) else inner
        if seed is None:
            return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(
            "`seed` argument should be an integer (or None). "
            f"Received: seed={seed!r}"
        )
    return int(seed)


class RandomInitializer(Initializer):
    """Base of the random initializers: holds `seed` and picks the Generator to draw from."""

    def __init__(self, seed=None):
        self.seed = _seed_value(seed)

    def _rng(self) -> np.random.Generator:
        if self.seed is None:
            return _random.numpy_rng()
        return np.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _normal(rng, shape, dtype):
    draw_dtype = np.float32 if dtype == np.float32 else np.float64
    return np.asarray(rng.standard_normal(shape, dtype=draw_dtype))


def _truncated_standard_normal(rng, shape, dtype):
    """Standard normal values redrawn until all lie in [-2, 2] (Keras's truncation)."""
    out = _normal(rng, shape, dtype)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = _normal(rng, int(bad.sum()), dtype)
        bad = np.abs(out) > 2.0
    return out


def _uniform(rng, shape, dtype, minval, maxval):
    draw_dtype = np.float32 if dtype == np.float32 else np.float64
    u = rng.random(shape, dtype=draw_dtype)
    return np.asarray(minval + (maxval - minval) * u, dtype=dtype)


# ----------------------------------------------------------------------------- constants
class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return np.zeros(_shape(shape), dtype=_np_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(_shape(shape), dtype=_np_dtype(dtype))


class Constant(Initializer):
    """Every value equal to `value` (a scalar, or an array that broadcasts to the shape)."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        dt = _np_dtype(dtype)
        return np.broadcast_to(np.asarray(self.value, dtype=dt), _shape(shape)).copy()

    def get_config(self):
        value = self.value
        if isinstance(value, np.ndarray):
            value = {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
        elif isinstance(value, np.generic):
            value = value.item()
        return {"value": value}

    @classmethod
    def from_config(cls, config):
        value = config.get("value", 0.0)
        if isinstance(value, dict) and isinstance(value.get("config"), dict) and "value" in value["config"]:
            value = np.asarray(value["config"]["value"], dtype=value["config"].get("dtype"))
        return cls(value)


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; non-square gives `eye(rows, cols)`)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dt = _np_dtype(dtype)
        return (self.gain * np.eye(*shape)).astype(dt)

    def get_config(self):
        return {"gain": self.gain}


IdentityInitializer = Identity


# ----------------------------------------------------------------------------- random
class RandomNormal(RandomInitializer):
    """Normal distribution with `mean` and `stddev`."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dt = _float_dtype(dtype, type(self).__name__)
        z = _normal(self._rng(), _shape(shape), dt)
        return np.asarray(z * self.stddev + self.mean, dtype=dt)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Normal distribution with `mean` and `stddev`, cut at two standard deviations (redrawn)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dt = _float_dtype(dtype, type(self).__name__)
        z = _truncated_standard_normal(self._rng(), _shape(shape), dt)
        return np.asarray(z * self.stddev + self.mean, dtype=dt)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Uniform distribution on `[minval, maxval)`."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dt = _float_dtype(dtype, type(self).__name__)
        return _uniform(self._rng(), _shape(shape), dt, self.minval, self.maxval)

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class VarianceScaling(RandomInitializer):
    """Scale-aware initializer: variance `scale / n` with `n` the fan given by `mode`.

    `distribution`: 'truncated_normal' (alias 'normal'; stddev `sqrt(scale / n) / .8796...`
    before truncation at two stddevs), 'untruncated_normal' (stddev `sqrt(scale / n)`) or
    'uniform' (limit `sqrt(3 * scale / n)`).
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        allowed_modes = ("fan_in", "fan_out", "fan_avg")
        if mode not in allowed_modes:
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of {set(allowed_modes)}")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        allowed = ("uniform", "truncated_normal", "untruncated_normal")
        if distribution not in allowed:
            raise ValueError(f"Invalid `distribution` argument: {distribution}. Please use one of {set(allowed)}")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def _variance(self, shape) -> float:
        fan_in, fan_out = compute_fans(shape, input_axes=self.input_axes, output_axes=self.output_axes)
        if self.mode == "fan_in":
            n = max(1.0, fan_in)
        elif self.mode == "fan_out":
            n = max(1.0, fan_out)
        else:
            n = max(1.0, (fan_in + fan_out) / 2.0)
        return self.scale / n

    def __call__(self, shape, dtype=None):
        dt = _float_dtype(dtype, type(self).__name__)
        shape = _shape(shape)
        variance = self._variance(shape)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATED_NORMAL_STDDEV
            return np.asarray(_truncated_standard_normal(rng, shape, dt) * stddev, dtype=dt)
        if self.distribution == "untruncated_normal":
            return np.asarray(_normal(rng, shape, dt) * math.sqrt(variance), dtype=dt)
        limit = math.sqrt(3.0 * variance)
        return _uniform(rng, shape, dt, -limit, limit)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    _scale = 1.0
    _mode = "fan_in"
    _distribution = "truncated_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(scale=self._scale, mode=self._mode, distribution=self._distribution, seed=seed,
                         input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Uniform on `[-limit, limit]`, `limit = sqrt(6 / (fan_in + fan_out))`."""

    _mode, _distribution = "fan_avg", "uniform"


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal, `stddev = sqrt(2 / (fan_in + fan_out))` (after truncation)."""

    _mode, _distribution = "fan_avg", "truncated_normal"


class LecunUniform(_FixedVarianceScaling):
    """Uniform on `[-limit, limit]`, `limit = sqrt(3 / fan_in)`."""

    _mode, _distribution = "fan_in", "uniform"


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal, `stddev = sqrt(1 / fan_in)` (after truncation)."""

    _mode, _distribution = "fan_in", "truncated_normal"


class HeUniform(_FixedVarianceScaling):
    """Uniform on `[-limit, limit]`, `limit = sqrt(6 / fan_in)`."""

    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


class HeNormal(_FixedVarianceScaling):
    """Truncated normal, `stddev = sqrt(2 / fan_in)` (after truncation)."""

    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times `gain`, from the QR decomposition of a normal matrix.

    Shapes of rank > 2 are flattened to `(prod(shape[:-1]), shape[-1])` first.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dt = _float_dtype(dtype, type(self).__name__)
        num_rows = math.prod(shape[:-1])
        num_cols = shape[-1]
        flat = (max(num_rows, num_cols), min(num_rows, num_cols))
        a = self._rng().standard_normal(flat)  # float64: QR in double precision
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))  # makes the distribution uniform over orthogonal matrices
        if num_rows < num_cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dt)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


OrthogonalInitializer = Orthogonal


class _ArrayInitializer(Initializer):
    """Returns a fixed array (what `get(numpy_array)` gives)."""

    def __init__(self, value):
        self.value = np.asarray(value)

    def __call__(self, shape, dtype=None):
        if _shape(shape) != tuple(self.value.shape):
            raise ValueError(
                f"Expected `shape` to be {tuple(self.value.shape)} for direct array as initializer. "
                f"Received shape={_shape(shape)}"
            )
        return self.value.astype(_np_dtype(dtype))

    def get_config(self):
        return {"value": self.value.tolist()}


# ----------------------------------------------------------------------------- registry
def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


_CLASSES = (Initializer, Constant, Identity, Ones, Zeros, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
            LecunNormal, LecunUniform, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling)

#: Every initializer name Keras accepts (class names, snake_case names, aliases) -> class.
INITIALIZERS: dict = {cls.__name__: cls for cls in _CLASSES}
INITIALIZERS.update({_snake(cls.__name__): cls for cls in _CLASSES})
INITIALIZERS.update({
    "IdentityInitializer": Identity,
    "OrthogonalInitializer": Orthogonal,
    "normal": RandomNormal,
    "uniform": RandomUniform,
    "one": Ones,
    "zero": Zeros,
})

# Snake-case aliases at module level, as `keras.initializers.glorot_uniform` etc.
zeros = zero = Zeros
ones = one = Ones
constant = Constant
identity = Identity
random_normal = normal = RandomNormal
random_uniform = uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = Orthogonal

_SNAKE_NAMES = sorted({k for k in INITIALIZERS if k == k.lower() and k != "initializer"})


def _unknown(identifier, argname=None):
    where = f" for argument `{argname}`" if argname else ""
    received = f"{argname}={identifier!r}" if argname else repr(identifier)
    return ValueError(
        f"Unknown initializer{where}: {identifier!r}. Expected one of: {', '.join(_SNAKE_NAMES)} "
        "(or their class names, e.g. 'GlorotUniform'), a config dict, an Initializer instance "
        f"or a callable(shape, dtype) (received: {received})"
    )


def get(identifier, argname=None, custom_objects=None):
    """Resolves an initializer identifier; None -> None.

    A name (class name, snake_case name or Keras alias), a config dict, a class (instantiated
    with defaults), an instance, a NumPy array (returned as is; the shape must match), or a
    callable `(shape, dtype=None)` -> itself. Unknown -> `ValueError` naming what was received.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier, custom_objects=custom_objects, argname=argname)
    if isinstance(identifier, type):
        if callable(identifier):
            return identifier()
    if isinstance(identifier, (np.ndarray, np.generic)):
        return _ArrayInitializer(identifier)
    if hasattr(identifier, "__array__") and hasattr(identifier, "shape") and not callable(identifier):
        return _ArrayInitializer(np.asarray(identifier))
    if callable(identifier):
        return identifier
    raise _unknown(identifier, argname)


def serialize(initializer):
    """Keras 3's config dict `{'module', 'class_name', 'config', 'registered_name'}`; None -> None."""
    return serialize_object(initializer, INITIALIZERS, "keras.initializers", "initializer")


def deserialize(config, custom_objects=None, argname=None):
    """A initializer from a name or a Keras 2/3 config dict (`{'class_name': ..., 'config': {...}}`)."""
    return deserialize_object(config, INITIALIZERS, custom_objects, lambda name: _unknown(name, argname), base=Initializer)
