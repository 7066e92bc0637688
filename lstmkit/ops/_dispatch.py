"""How every public op is called: Variables become their values, symbolic tensors become graph nodes.

Each function in `lstmkit.ops` is written for arrays and decorated with `keras_op`. The decorator
looks at the leaves of the arguments once per call (in Python, so under `jax.jit` it costs nothing
at run time):

* a `KerasTensor` anywhere in the arguments (functional API): the call is recorded as a node of
  the graph (see `_symbolic.py`) and symbolic tensors come back, as Keras 3 does;
* an lstmkit `Variable`: replaced by its current value (inside a layer's traced call that is the
  traced value), so `ops.matmul(x, self.kernel)` works as in Keras.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

_classes: dict = {}


def _kt_class():
    # Imported on first use: lstmkit.layers may itself import lstmkit.ops.
    cls = _classes.get("kt")
    if cls is None:
        from lstmkit.layers.input_layer import KerasTensor

        cls = _classes["kt"] = KerasTensor
    return cls


def _var_class():
    cls = _classes.get("var")
    if cls is None:
        from lstmkit.layers.base import Variable

        cls = _classes["var"] = Variable
    return cls


def is_keras_tensor(x) -> bool:
    return isinstance(x, _kt_class())


def _is_leaf(x) -> bool:
    return isinstance(x, (_kt_class(), _var_class()))


def unwrap(x):
    """`x` with every Variable leaf replaced by its value (other leaves untouched)."""
    var = _var_class()
    if isinstance(x, var):
        return x.value
    if isinstance(x, (list, tuple, dict)):
        return jax.tree_util.tree_map(lambda t: t.value if isinstance(t, var) else t, x, is_leaf=_is_leaf)
    return x


def has_symbolic(args, kwargs) -> bool:
    kt = _kt_class()
    return any(isinstance(t, kt) for t in jax.tree_util.tree_leaves((args, kwargs), is_leaf=_is_leaf))


def keras_op(fn=None, *, name=None):
    """Make `fn` (written for arrays) a public op: Variables unwrapped, KerasTensors recorded."""
    if fn is None:
        return lambda f: keras_op(f, name=name)
    op_name = name or fn.__name__

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if has_symbolic(args, kwargs):
            from lstmkit.ops._symbolic import symbolic_op

            return symbolic_op(fn, op_name, args, kwargs)
        args = tuple(unwrap(a) for a in args)
        kwargs = {k: unwrap(v) for k, v in kwargs.items()}
        return fn(*args, **kwargs)

    op._array_fn = fn  # the plain array function, for callers that have unwrapped already
    op.__name__ = op.__qualname__ = op_name  # an alias (ops.absolute of abs) has its own name
    return op


def check_int(value, argname, fn_name, minimum=None):
    """A Python int argument, or a ValueError naming it (what Keras raises for such arguments)."""
    import numpy as np

    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"`{fn_name}`: argument `{argname}` must be an integer. Received: {argname}={value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{fn_name}`: argument `{argname}` must be >= {minimum}. Received: {argname}={value!r}")
    return int(value)


def as_array(x):
    """A JAX array (Python scalars stay weakly typed, so `x + 1.0` keeps x's float dtype)."""
    return jnp.asarray(x)


def as_float(x):
    """Keras gives float results for many functions even on int or bool inputs."""
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(jnp.float32)
