"""The pieces of `MultiHeadAttention` that are not the layer: Keras's einsum equations (the same letters, so the
kernels' shapes are Keras's), the masked softmax over several axes, and the weightless groups of Keras's files."""

from __future__ import annotations

import string

import jax
import jax.numpy as jnp
import numpy as np


class _NoWeights:
    """Keras's Softmax and Dropout sub-layers of MultiHeadAttention: weightless, but each an (empty)
    group of Keras's weight files, written here so that the files have Keras's layout."""

    def __init__(self, name):
        self.name = name

    def keras_own_variables(self):
        return []

    def keras_layers(self):
        return None

    def keras_children(self):
        return []



def _as_bool(mask):
    mask = jnp.asarray(mask)
    return mask if mask.dtype == jnp.bool_ else mask.astype(bool)


def _softmax(x, axes):
    if len(axes) > 1:
        return jnp.exp(x - jax.nn.logsumexp(x, axis=axes, keepdims=True))
    return jax.nn.softmax(x, axis=axes[0])


def _build_attention_equation(rank, attn_axes):
    """(dot-product equation, combine equation, rank of the scores) for projected tensors of `rank`."""
    target = string.ascii_lowercase[:rank]
    batch_dims = tuple(np.delete(range(rank), attn_axes + (rank - 1,)))
    offset, source = rank, ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += string.ascii_lowercase[offset]
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes]
                      + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def _build_proj_equation(free_dims, bound_dims, output_dims):
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims:free_dims + bound_dims]
    out = letters[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out, len(free) + len(out)


def _get_output_shape(output_rank, known_last_dims):
    return [None] * (output_rank - len(known_last_dims)) + list(known_last_dims)
