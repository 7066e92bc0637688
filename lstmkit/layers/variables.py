"""Layer weights (`Variable`) and the value scope that lets Keras-style code read traced values.

A `Variable` holds a concrete array between calls. While a model runs inside
`jax.jit` / `lax.scan`, its weights are traced values passed in as arguments; a
`value_scope` maps each variable's key to that traced value, so code written the
Keras way (`x * self.w`, `ops.matmul(x, self.kernel)`, `self.moving_mean.assign(m)`)
reads and writes the traced values without knowing it is being traced — what
Keras 3 does with `stateless_call` and its `StatelessScope`. Built-in layers do
not need it: their `call(params, inputs, ctx)` receives the values directly.
"""

from __future__ import annotations

import contextlib
import itertools
import threading

import jax
import jax.numpy as jnp
import numpy as np

_var_counter = itertools.count()
_local = threading.local()
_open_scopes = 0  # value scopes open in any thread: Variable.value looks further only while one is


class ValueScope:
    """Traced values of variables (key -> array) and the call context they run in.

    `updates` collects `assign`s made inside the scope; the caller decides what
    becomes of them (written back eagerly, or carried through a compiled step).
    """

    def __init__(self, values, ctx, parent=None):
        self.values = dict(parent.values) if parent is not None else {}
        self.values.update(values)
        self.ctx = ctx
        self.updates: dict = {}
        self.parent = parent


def current_scope() -> ValueScope | None:
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


@contextlib.contextmanager
def value_scope(values, ctx, isolated=False):
    """Within the block, `Variable.value` of the given keys is the given (traced) value.

    `isolated`: the scope has no parent, so what is assigned inside it is not passed outwards (a
    rematerialized call hands its assignments back as results instead)."""
    global _open_scopes
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    scope = ValueScope(values, ctx, None if isolated or not stack else stack[-1])
    stack.append(scope)
    _open_scopes += 1
    try:
        yield scope
    finally:
        stack.pop()
        _open_scopes -= 1


def _auto_name():
    from lstmkit.layers.base import unique_name

    return unique_name("variable")


def tracing() -> bool:
    """True while JAX traces (jit, scan, eval_shape): new arrays are then tracers."""
    return isinstance(jnp.zeros(()), jax.core.Tracer)


def _unwrap(x):
    return x.value if isinstance(x, Variable) else x


class Variable:
    """A layer weight: a named array with trainability, regularizer and constraint.

    It behaves like an array in arithmetic, indexing, `np.asarray` and lstmkit's ops,
    as a Keras variable does; `assign`, `assign_add` and `assign_sub` change it.
    """

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True, aggregation="none",
                 synchronization="auto", name=None, *, regularizer=None, constraint=None, layer=None):
        """Keras 3's `keras.Variable(initializer, shape=None, dtype=None, trainable=True, name=None)`:
        `initializer` is the value itself (an array) or an initializer (name or callable) given a `shape`."""
        if isinstance(initializer, (str,)) or (callable(initializer) and not hasattr(initializer, "shape")):
            if shape is None:
                raise ValueError(f"Variable(initializer={initializer!r}) needs a `shape` to create its value.")
            from lstmkit import initializers as initializers_mod

            init = initializers_mod.get(initializer)
            with jax.ensure_compile_time_eval():
                initializer = np.asarray(init(tuple(shape), dtype=dtype or "float32"))
        value = _unwrap(initializer)
        if dtype is not None:
            value = np.asarray(value, dtype=np.dtype(getattr(dtype, "name", dtype)))
        if shape is not None and tuple(np.shape(value)) != tuple(shape):
            raise ValueError(f"Variable: the initial value has shape {tuple(np.shape(value))}, but shape={tuple(shape)} "
                             "was given.")
        # device_put transfers without compiling (jnp.asarray of a NumPy array compiles a small program);
        # compile-time evaluation keeps the value concrete when a layer is built while being traced.
        with jax.ensure_compile_time_eval():
            self._value = jax.device_put(value if isinstance(value, jax.Array) else np.array(value))
        self.name = name or _auto_name()
        self._trainable = bool(trainable)
        self.regularizer = regularizer
        self.constraint = constraint
        self.layer = layer
        # Unique across the process: the key of this weight in a model's params dict.
        self.key = f"{next(_var_counter):06d}"

    @property
    def path(self) -> str:
        return f"{self.layer.path}/{self.name}" if self.layer is not None else self.name

    @property
    def trainable(self) -> bool:
        return self._trainable and (self.layer is None or self.layer.trainable)

    @trainable.setter
    def trainable(self, value: bool):
        self._trainable = bool(value)

    @property
    def value(self):
        if not _open_scopes:  # no call is running: the stored value (the common, fast case)
            return self._value
        scope = current_scope()
        if scope is not None:
            traced = scope.values.get(self.key)
            if traced is not None:
                return traced
        return self._value

    @property
    def shape(self) -> tuple:
        return tuple(self._value.shape)

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def ndim(self) -> int:
        return self._value.ndim

    def _checked(self, value):
        value = _unwrap(value)
        if not isinstance(value, jax.Array) or isinstance(value, jax.core.Tracer):
            value = jnp.asarray(value, self._value.dtype) if isinstance(value, jax.core.Tracer) else \
                jax.device_put(np.array(value, self._value.dtype))  # a private copy, transferred without compiling
        else:
            value = value.astype(self._value.dtype)
        if tuple(value.shape) != self.shape:
            raise ValueError(
                f"Cannot assign a value of shape {tuple(value.shape)} to weight "
                f"'{self.path}' of shape {self.shape}."
            )
        return value

    def assign(self, value):
        value = self._checked(value)
        scope = current_scope()
        if scope is not None and (self.key in scope.values or isinstance(value, jax.core.Tracer)):
            # Inside a (traced) call: the new value is seen by the rest of the call and handed to the caller.
            scope.values[self.key] = value
            scope.updates[self.key] = value
        else:
            self._value = value
        return self

    def assign_add(self, delta):
        return self.assign(self.value + _unwrap(delta))

    def assign_sub(self, delta):
        return self.assign(self.value - _unwrap(delta))

    def numpy(self) -> np.ndarray:
        return np.asarray(self.value)

    def __array__(self, dtype=None, copy=None):
        a = np.asarray(self.value)
        return a.astype(dtype) if dtype is not None else a

    def __jax_array__(self):
        return self.value

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"

    # Array behaviour (Keras variables support the same operators).
    def __getitem__(self, idx):
        return self.value[idx]

    def __len__(self):
        return self.shape[0]

    def astype(self, dtype):
        return self.value.astype(dtype)

    @property
    def T(self):
        return self.value.T

    def __neg__(self):
        return -self.value

    def __pos__(self):
        return self.value

    def __abs__(self):
        return abs(self.value)


def _binary(op):
    def forward(self, other):
        return op(self.value, _unwrap(other))

    def reverse(self, other):
        return op(_unwrap(other), self.value)

    return forward, reverse


for _name, _op in {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b, "floordiv": lambda a, b: a // b, "mod": lambda a, b: a % b,
    "pow": lambda a, b: a ** b, "matmul": lambda a, b: a @ b,
}.items():
    _f, _r = _binary(_op)
    setattr(Variable, f"__{_name}__", _f)
    setattr(Variable, f"__r{_name}__", _r)
for _name, _op in {"lt": jnp.less, "le": jnp.less_equal, "gt": jnp.greater, "ge": jnp.greater_equal}.items():
    setattr(Variable, f"__{_name}__", _binary(_op)[0])
