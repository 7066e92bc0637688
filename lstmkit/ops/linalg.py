"""`keras.ops.linalg`: norms, inverses, solves and decompositions (thin `jax.numpy.linalg` wrappers)."""

from __future__ import annotations

import jax.numpy as jnp
import jax.scipy.linalg

from lstmkit.ops._dispatch import keras_op, as_float as _float


@keras_op
def norm(x, ord=None, axis=None, keepdims=False):
    return jnp.linalg.norm(_float(x), ord=ord, axis=axis, keepdims=keepdims)


@keras_op
def inv(x):
    return jnp.linalg.inv(_float(x))


@keras_op
def pinv(x, rcond=None):
    return jnp.linalg.pinv(_float(x), rtol=rcond)


@keras_op
def det(x):
    return jnp.linalg.det(_float(x))


@keras_op
def solve(a, b):
    return jnp.linalg.solve(_float(a), _float(b))


@keras_op
def solve_triangular(a, b, lower=False):
    return jax.scipy.linalg.solve_triangular(_float(a), _float(b), lower=lower)


@keras_op
def cholesky(x, upper=False):
    lower = jnp.linalg.cholesky(_float(x))
    return jnp.swapaxes(lower, -1, -2).conj() if upper else lower


@keras_op
def qr(x, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"`qr`: `mode` must be 'reduced' or 'complete'. Received: mode={mode!r}")
    return tuple(jnp.linalg.qr(_float(x), mode=mode))


@keras_op
def svd(x, full_matrices=True, compute_uv=True):
    out = jnp.linalg.svd(_float(x), full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


@keras_op
def eigh(x):
    return tuple(jnp.linalg.eigh(_float(x)))


@keras_op
def lstsq(a, b, rcond=None):
    return jnp.linalg.lstsq(_float(a), _float(b), rcond=rcond)[0]


@keras_op
def matrix_rank(x, tol=None):
    return jnp.linalg.matrix_rank(_float(x), rtol=tol).astype(jnp.int32)
