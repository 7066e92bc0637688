"""ReversibleEmbedding: an Embedding that also projects back to the vocabulary (Keras 3's
`keras.layers.ReversibleEmbedding`), the tied input / output embedding of language models."""

from __future__ import annotations

import numbers

import jax.numpy as jnp
import numpy as np

from lstmkit.layers.core import Embedding


def _check_reverse_dtype(reverse_dtype):
    name = reverse_dtype if reverse_dtype is None or isinstance(reverse_dtype, str) else \
        getattr(reverse_dtype, "name", str(reverse_dtype))
    if name not in (None, "float32"):
        raise NotImplementedError(f"ReversibleEmbedding(reverse_dtype={reverse_dtype!r}): lstmkit computes in "
                                  "float32 only; pass reverse_dtype=None or 'float32'.")
    return name


class ReversibleEmbedding(Embedding):
    """`layer(ids)` embeds like `Embedding`; `layer(hidden, reverse=True)` gives logits `hidden @ W`, with
    `W` the embeddings transposed (`tie_weights=True`) or a weight of its own, `reverse_embeddings`.

    `logit_soft_cap=c` bounds the logits: `c * tanh(logits / c)`.
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        if not isinstance(tie_weights, (bool, np.bool_)):
            raise TypeError(f"ReversibleEmbedding: `tie_weights` must be True or False; received {tie_weights!r}.")
        if logit_soft_cap is not None and (isinstance(logit_soft_cap, bool)
                                           or not isinstance(logit_soft_cap, numbers.Real) or logit_soft_cap <= 0):
            raise ValueError(f"ReversibleEmbedding: `logit_soft_cap` must be a positive number or None; received "
                             f"{logit_soft_cap!r}.")
        # Set before Embedding's __init__, which builds at once when given `weights`.
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = _check_reverse_dtype(reverse_dtype)
        self.logit_soft_cap = logit_soft_cap
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer, embeddings_constraint=embeddings_constraint,
                         mask_zero=mask_zero, **kwargs)

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            # Keras draws it with the embeddings' initializer, no regularizer or constraint.
            self.reverse_embeddings = self.add_weight(name="reverse_embeddings", shape=(self.output_dim, self.input_dim),
                                                      initializer=self.embeddings_initializer, trainable=True)
        self.built = True

    def call(self, params, inputs, ctx, reverse=False):
        if not reverse:
            return super().call(params, inputs, ctx)
        kernel = params["embeddings"].T if self.tie_weights else params["reverse_embeddings"]
        logits = jnp.matmul(inputs.astype(jnp.float32), kernel)
        if self.logit_soft_cap is not None:
            logits = jnp.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def input_value_range(self, reverse=False, **call_kwargs):
        return None if reverse else super().input_value_range()  # a reverse call takes vectors, not indices

    def apply(self, params, inputs, ctx, *args, mask=None, reverse=False, **kwargs):
        # Keras masks the embedded ids only: logits of a reverse call carry no mask.
        outputs, out_mask = super().apply(params, inputs, ctx, *args, mask=mask, reverse=reverse, **kwargs)
        return outputs, (None if reverse else out_mask)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                "logit_soft_cap": self.logit_soft_cap}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    def param_count_formula(self):
        v, d = self.input_dim, self.output_dim
        if self.tie_weights:
            return f"{v} × {d}", v * d, "input_dim (vocabulary) × output_dim, tied for the reverse projection"
        return f"{v} × {d} + {d} × {v}", 2 * v * d, "embeddings + reverse_embeddings (untied)"
