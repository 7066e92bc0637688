"""`Attention` (Luong's dot-product or concat scores) and `AdditiveAttention` (Bahdanau's), as Keras 3's.

Both are called on a list, `layer([query, value])` or `layer([query, value, key])` (the key defaults
to the value), with `mask=[query_mask, value_mask]`. When the inputs carry masks (an
`Embedding(mask_zero=True)` upstream) the list of their masks is passed as `mask`, as in Keras. The
scores are a (batch, Tq, Tv) softmax over the value steps; value steps masked out (and, with
`use_causal_mask=True`, steps after the query's) get no weight, and masked query steps give zeros.
The layer passes on the query's mask.

Written the Keras way (`build` / `call(self, inputs, ...)`), so the methods Keras's users override
in their own attention layers (`_calculate_scores`, `_apply_scores`, `_calculate_score_mask`) are
the same methods here.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit import random as random_mod
from lstmkit.layers.base import Layer

# Keras pushes masked scores down by this much before the softmax.
_MASKED_SCORE_OFFSET = 1.0e9


def _as_bool(mask):
    mask = jnp.asarray(mask)
    return mask if mask.dtype == jnp.bool_ else mask != 0


def _check_dropout(dropout, layer):
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.floating, np.integer)) \
            or not 0 <= dropout < 1:
        raise ValueError(f"{layer}: `dropout` must be a float in [0, 1); received dropout={dropout!r}.")
    return float(dropout)


class Attention(Layer):
    """Dot-product attention (Luong's): scores `query · keyᵀ` (times `scale` with `use_scale`), or with
    `score_mode="concat"` `concat_score_weight · Σ tanh(scale · (query + key))`."""

    supports_masking = True

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = _check_dropout(dropout, type(self).__name__)
        self.seed = seed
        if self.dropout > 0:
            self.seed_generator = random_mod.SeedGenerator(seed=seed)
        if self.score_mode not in ["dot", "concat"]:
            raise ValueError("Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                             f"Received: score_mode={score_mode}")

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones", trainable=True)
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(), initializer="ones",
                                                       trainable=True)
        self.built = True

    # --- Keras's override points
    def _calculate_scores(self, query, key):
        """(batch, Tq, Tv) scores of `query` (batch, Tq, dim) against `key` (batch, Tv, dim)."""
        query, key = jnp.asarray(query, jnp.float32), jnp.asarray(key, jnp.float32)
        scale = None if self.scale is None else self.scale.value
        if self.score_mode == "dot":
            scores = jnp.matmul(query, jnp.swapaxes(key, -2, -1))
            return scores if scale is None else scores * scale
        summed = jnp.expand_dims(query, -2) + jnp.expand_dims(key, -3)
        if scale is not None:
            summed = scale * summed
        return self.concat_score_weight.value * jnp.sum(jnp.tanh(summed), axis=-1)

    def _apply_scores(self, scores, value, scores_mask=None, training=False):
        """softmax(scores) (masked where `scores_mask` is False) applied to `value`; returns (output, weights)."""
        scores = jnp.asarray(scores, jnp.float32)
        if scores_mask is not None:
            padding = jnp.logical_not(_as_bool(scores_mask))
            if padding.ndim == 2:
                padding = jnp.expand_dims(padding, -2)
            scores = jnp.where(padding, scores - _MASKED_SCORE_OFFSET, scores)
        weights = jax.nn.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = random_mod.dropout(weights, self.dropout, seed=self.seed_generator)
        return jnp.matmul(weights, jnp.asarray(value, jnp.float32)), weights

    def _calculate_score_mask(self, scores, v_mask, use_causal_mask):
        if not use_causal_mask:
            return v_mask
        tq, tv = jnp.shape(scores)[-2], jnp.shape(scores)[-1]
        causal = (jnp.arange(tq)[:, None] >= jnp.arange(tv)[None, :])[None]  # (1, Tq, Tv)
        if v_mask is None:
            return causal
        return jnp.logical_and(jnp.expand_dims(_as_bool(v_mask), -2), causal)

    # --- the call
    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._validate_inputs(inputs=inputs, mask=mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._calculate_scores(query=q, key=k)
        scores_mask = self._calculate_score_mask(scores, v_mask, use_causal_mask)
        output, weights = self._apply_scores(scores=scores, value=v, scores_mask=scores_mask, training=training)
        if q_mask is not None:
            output = jnp.where(jnp.expand_dims(_as_bool(q_mask), -1), output, 0.0)
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs=inputs, mask=mask)
        if mask is None or mask[0] is None:
            return None
        return jnp.asarray(mask[0])

    def compute_output_shape(self, input_shape, return_attention_scores=False, **kwargs):
        """(*query[:-1], value[-1]); with `return_attention_scores`, also the scores' (*query[:-1], Tv)."""
        query_shape, value_shape = tuple(input_shape[0]), tuple(input_shape[1])
        output_shape = (*query_shape[:-1], value_shape[-1])
        if return_attention_scores:
            key_shape = tuple(input_shape[2]) if len(input_shape) > 2 else value_shape
            return output_shape, (*query_shape[:-1], key_shape[-2])
        return output_shape

    def _validate_inputs(self, inputs, mask=None):
        class_name = type(self).__name__
        if not isinstance(inputs, list):
            raise ValueError(f"{class_name} layer must be called on a list of inputs, namely [query, value] or "
                             f"[query, value, key]. Received: inputs={inputs}.")
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(f"{class_name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                             f"[query, value, key]. Received length: {len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, list):
                raise ValueError(f"{class_name} layer mask must be a list, namely [query_mask, value_mask]. "
                                 f"Received: mask={mask}.")
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(f"{class_name} layer accepts mask list of length 2 or 3. Received: "
                                 f"inputs={inputs}, mask={mask}.")

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    @classmethod
    def keras2_config(cls, config, where):
        config = dict(config)
        if config.pop("causal", False):  # tf.keras 2.4's constructor flag, later a call argument
            raise ValueError(f"{where}: `causal=True` in the layer's config is tf.keras 2's old form; lstmkit, like "
                             "Keras 3, takes it per call: `layer([query, value], use_causal_mask=True)`.")
        return config


class AdditiveAttention(Attention):
    """Additive attention (Bahdanau's): scores `Σ scale · tanh(query + key)`, `scale` a (dim,) weight
    when `use_scale` (the default)."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],), initializer="glorot_uniform",
                                         trainable=True)
        self.built = True

    def _calculate_scores(self, query, key):
        query, key = jnp.asarray(query, jnp.float32), jnp.asarray(key, jnp.float32)
        scale = self.scale.value if self.use_scale else 1.0
        return jnp.sum(scale * jnp.tanh(jnp.expand_dims(query, -2) + jnp.expand_dims(key, -3)), axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
