"""`MultiHeadAttention`, as Keras 3's: query, key and value projected per head by `EinsumDense`
sub-layers ('query', 'key', 'value', and 'gate' with `use_gate`), scaled dot-product attention over
`attention_axes`, and an 'attention_output' `EinsumDense` back to the query's size (or `output_shape`).

Called `mha(query, value, key=None, ...)`. Masks: the query's mask (an `Embedding(mask_zero=True)`
upstream) masks its rows and passes on to the output; `value_mask` / `key_mask` mask the value
steps (eager and nested calls fill them from the tensors' masks, as Keras); `attention_mask`
(batch, Tq, Tv) and `use_causal_mask` / `sliding_window` combine with them. As in Keras, an
explicit `query_mask=` is not used: the query tensor's own mask is.

The weights, their order and their paths in Keras's files are Keras's, so a `.keras` file written by
Keras 3 loads here. Written the Keras way (`build(query_shape, value_shape, key_shape)`,
`call(self, query, value, ...)`), so `_compute_attention` and friends can be overridden as in Keras.
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import random as random_mod
from lstmkit import regularizers as regularizers_mod
from lstmkit.layers import calling, tensor_masks
from lstmkit.layers.base import Layer
from lstmkit.layers.einsum_dense import EinsumDense
from lstmkit.layers.multi_head_attention_equations import (_as_bool, _build_attention_equation, _build_proj_equation,
                                                           _get_output_shape, _NoWeights, _softmax)

_LARGE_NEGATIVE = -1e9  # Keras's Softmax pushes masked scores down to this


def _positive_int_arg(value, argname, allow_none=False):
    if allow_none and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        expected = "a positive integer or `None`" if allow_none else "a positive integer"
        raise ValueError(f"Received an invalid value for argument `{argname}`, expected {expected}. "
                         f"Received: {argname}={value}")
    return int(value)


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al.): `num_heads` heads of size `key_dim` (`value_dim` for values)."""

    supports_masking = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        num_heads = _positive_int_arg(num_heads, "num_heads")
        key_dim = _positive_int_arg(key_dim, "key_dim")
        value_dim = _positive_int_arg(value_dim, "value_dim", allow_none=True)
        super().__init__(**kwargs)  # the activity regularizer goes to the sub-layers, as in Keras
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.floating, np.integer)) \
                or not 0 <= dropout < 1:
            raise ValueError(f"MultiHeadAttention: `dropout` must be a float in [0, 1); received dropout={dropout!r}.")
        self._num_heads, self._key_dim = num_heads, key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = float(dropout)
        self._use_bias = bool(use_bias)
        self._use_gate = bool(use_gate)
        if output_shape:
            if isinstance(output_shape, (int, np.integer)) and not isinstance(output_shape, bool):
                output_shape = (int(output_shape),)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(f"Invalid `output_shape`: {output_shape}. When specified, the `output_shape` "
                                 "should be of type tuple, list, or int.") from None
        self._output_shape = output_shape
        if flash_attention and self._dropout > 0.0:
            raise ValueError("Dropout is not supported when flash attention is enabled. Please set dropout to 0.0 "
                             "to use flash attention.")
        if flash_attention:
            raise ValueError("MultiHeadAttention(flash_attention=True) is not supported by lstmkit (it computes "
                             "attention in float32 with XLA); pass flash_attention=None or False.")
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers_mod.get(kernel_initializer)
        self._bias_initializer = initializers_mod.get(bias_initializer)
        self._kernel_regularizer = regularizers_mod.get(kernel_regularizer)
        self._bias_regularizer = regularizers_mod.get(bias_regularizer)
        self._activity_regularizer = regularizers_mod.get(activity_regularizer)
        self._kernel_constraint = constraints_mod.get(kernel_constraint)
        self._bias_constraint = constraints_mod.get(bias_constraint)
        if isinstance(attention_axes, (int, np.integer)) and not isinstance(attention_axes, bool):
            attention_axes = (int(attention_axes),)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"`attention_axes` must be an int, list, or tuple.Received: attention_axes={attention_axes}")
        self._attention_axes = attention_axes
        if sliding_window is not None and (isinstance(sliding_window, bool)
                                           or not isinstance(sliding_window, (int, np.integer)) or sliding_window <= 0):
            raise ValueError(f"`sliding_window` must be `None` or a positive integer. Received: "
                             f"sliding_window={sliding_window}")
        self._sliding_window = sliding_window
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        # Keras keeps it in its Dropout sub-layer; lstmkit draws the scores' dropout here.
        if self._dropout > 0:
            self._dropout_seed_generator = random_mod.SeedGenerator(seed=seed)
        # Keras's `compute_output_shape(query_shape, value_shape, key_shape)`, as an attribute of the
        # instance: graphs find the outputs' shapes (also the scores' with return_attention_scores) by tracing.
        object.__setattr__(self, "compute_output_shape", self._compute_output_shape)

    # --- Keras's read-only views
    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    def get_config(self):
        base = super().get_config()
        base.pop("activity_regularizer", None)  # written among the regularizers, as Keras orders them
        ser = lambda mod, obj: None if obj is None else mod.serialize(obj)
        return {**base, "num_heads": self._num_heads, "key_dim": self._key_dim, "value_dim": self._value_dim,
                "dropout": self._dropout, "use_bias": self._use_bias, "use_gate": self._use_gate,
                "output_shape": self._output_shape,
                "attention_axes": self._attention_axes,
                "sliding_window": self._sliding_window,
                "kernel_initializer": initializers_mod.serialize(self._kernel_initializer),
                "bias_initializer": initializers_mod.serialize(self._bias_initializer),
                "kernel_regularizer": ser(regularizers_mod, self._kernel_regularizer),
                "bias_regularizer": ser(regularizers_mod, self._bias_regularizer),
                "activity_regularizer": ser(regularizers_mod, self._activity_regularizer),
                "kernel_constraint": ser(constraints_mod, self._kernel_constraint),
                "bias_constraint": ser(constraints_mod, self._bias_constraint), "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("output_shape", "attention_axes"):  # JSON has no tuples
            if isinstance(config.get(key), list):
                config[key] = tuple(config[key])
        return cls(**config)

    # --- building
    def build(self, query_shape, value_shape, key_shape=None):
        # Keras's build_config: the shapes of the arguments the layer was built with.
        self._build_shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not None:
            self._build_shapes["key_shape"] = key_shape
        key_shape = value_shape if key_shape is None else key_shape
        query_shape, value_shape, key_shape = tuple(query_shape), tuple(value_shape), tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                             f"value_shape={value_shape} and key_shape={key_shape}")
        heads = [self._num_heads, self._key_dim]
        # Sub-layers in Keras's order (their weights are listed in it): query, key, gate, value, output.
        with calling.name_scope(self):
            self._query_dense = self._projection(query_shape, heads, "query")
            self._key_dense = self._projection(key_shape, heads, "key")
            if self._use_gate:
                self._gate_dense = self._projection(query_shape, [self._num_heads, self._value_dim], "gate",
                                                    activation="sigmoid")
            self._value_dense = self._projection(value_shape, [self._num_heads, self._value_dim], "value")
            self._build_attention(len(value_shape) + 1)
            self._output_dense = self._make_output_dense(query_shape, self._common_kwargs(), "attention_output")
            projected = list(self._query_dense.compute_output_shape(query_shape))
            projected[-1] = self._value_dim
            self._output_dense._maybe_build(tuple(projected))
        self.built = True

    def _common_kwargs(self):
        # Each sub-layer gets its own copy of the initializers, so their kernels start different.
        clone = lambda init: type(init).from_config(init.get_config())
        return dict(kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer, kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, kernel_initializer=clone(self._kernel_initializer),
                    bias_initializer=clone(self._bias_initializer))

    def _projection(self, input_shape, known_last_dims, name, activation=None):
        equation, bias_axes, output_rank = _build_proj_equation(len(input_shape) - 1, bound_dims=1, output_dims=2)
        layer = EinsumDense(equation, output_shape=_get_output_shape(output_rank - 1, known_last_dims),
                            bias_axes=bias_axes if self._use_bias else None, activation=activation, name=name,
                            **self._common_kwargs())
        layer._maybe_build(input_shape)
        return layer

    def _make_output_dense(self, query_shape, common_kwargs, name=None):
        output_shape = self._output_shape if self._output_shape else [query_shape[-1]]
        equation, bias_axes, output_rank = _build_proj_equation(len(query_shape) - 1, bound_dims=2,
                                                                output_dims=len(output_shape))
        return EinsumDense(equation, output_shape=_get_output_shape(output_rank - 1, output_shape),
                           bias_axes=bias_axes if self._use_bias else None, name=name, **common_kwargs)

    def _build_attention(self, rank):
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = _build_attention_equation(
            rank, attn_axes=self._attention_axes)
        self._norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))

    # --- calling
    def apply(self, params, inputs, ctx, *args, mask=None, **kwargs):
        # Keras takes the query's mask from the query tensor itself (`mask` here: the first input's),
        # whatever `query_mask=` says.
        given = kwargs.get("query_mask")
        if given is not None and given is not mask and not self.__dict__.get("_query_mask_warned"):
            object.__setattr__(self, "_query_mask_warned", True)
            warnings.warn(f"MultiHeadAttention '{self.name}': `query_mask=` is not used, as in Keras 3: the query's "
                          "mask is the one the query tensor carries (e.g. from Embedding(mask_zero=True)). Mask "
                          "query rows through `attention_mask` instead.", stacklevel=3)
        kwargs["query_mask"] = mask
        return super().apply(params, inputs, ctx, *args, mask=mask, **kwargs)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        if key is None:
            key = value
        # The inputs' masks are used here; the projections must not see them (Keras clears them too).
        for t in (query, value, key):
            tensor_masks.set_keras_mask(t, None)
        causal_only = (use_causal_mask and query_mask is None and value_mask is None and key_mask is None
                       and attention_mask is None and self._sliding_window is None
                       and type(self)._compute_attention is MultiHeadAttention._compute_attention)
        if causal_only:
            attention_mask = None
        else:
            attention_mask = self._compute_attention_mask(query, value, query_mask=query_mask, value_mask=value_mask,
                                                          key_mask=key_mask, attention_mask=attention_mask,
                                                          use_causal_mask=use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        extra = {"use_causal_mask": True} if causal_only else {}
        output, scores = self._compute_attention(query, key, value, attention_mask, training,
                                                 return_attention_scores, **extra)
        output = self._output_dense(output * gate if gate is not None else output)
        if return_attention_scores:
            return output, scores
        return output

    def _compute_attention(self, query, key, value, attention_mask=None, training=None, return_attention_scores=False,
                           use_causal_mask=False):
        """Attention of the projected (batch, T, heads, dim) tensors; returns (output, scores or None)."""
        fused = not (self._dropout > 0.0 or return_attention_scores or len(query.shape) != 4)
        # Keras's path through dot_product_attention (the same numbers, no scores kept). It needs values of the
        # keys' size; Keras then fails, lstmkit takes the einsum path below.
        if fused and value.shape[-1] == key.shape[-1]:
            if attention_mask is not None:
                attention_mask = jnp.asarray(attention_mask)
                for _ in range(4 - attention_mask.ndim):
                    attention_mask = jnp.expand_dims(attention_mask, -len(self._attention_axes) * 2 - 1)
                attention_mask = attention_mask.astype(bool)
            output = jax.nn.dot_product_attention(query, key, value, mask=attention_mask,
                                                  scale=self._inverse_sqrt_key_dim, is_causal=bool(use_causal_mask),
                                                  implementation="xla")
            return output, None
        if use_causal_mask:
            causal = self._compute_causal_mask(query, value)
            attention_mask = causal if attention_mask is None else jnp.logical_and(_as_bool(attention_mask), causal)
        query = query * jnp.asarray(self._inverse_sqrt_key_dim, query.dtype)
        scores = jnp.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        final = scores
        if self._dropout > 0.0 and training:
            final = random_mod.dropout(scores, self._dropout, seed=self._dropout_seed_generator)
        return jnp.einsum(self._combine_equation, final, value), scores

    def _masked_softmax(self, attention_scores, attention_mask=None):
        if attention_mask is None:
            return _softmax(attention_scores, self._norm_axes)
        attention_mask = jnp.asarray(attention_mask)
        for _ in range(attention_scores.ndim - attention_mask.ndim):
            attention_mask = jnp.expand_dims(attention_mask, -len(self._attention_axes) * 2 - 1)
        if attention_mask.ndim > attention_scores.ndim:
            raise ValueError("The `mask` must be broadcastable to `inputs` and must not have more dimensions. "
                             f"Received: inputs.shape={attention_scores.shape}, mask.shape={attention_mask.shape}")
        mask = attention_mask if attention_mask.dtype == jnp.bool_ else attention_mask > 0.5
        out = _softmax(jnp.where(mask, attention_scores, _LARGE_NEGATIVE), self._norm_axes)
        return jnp.where(mask, out, 0.0)  # a row masked out entirely attends to nothing

    def _compute_attention_mask(self, query, value, query_mask=None, value_mask=None, key_mask=None,
                                attention_mask=None, use_causal_mask=False):
        auto_mask = None
        if query_mask is not None:
            auto_mask = jnp.expand_dims(_as_bool(query_mask), -1)  # (B, T, 1)
        for m in (value_mask, key_mask):
            if m is not None:
                m = jnp.expand_dims(_as_bool(m), -2)  # (B, 1, S)
                auto_mask = m if auto_mask is None else auto_mask & m
        if use_causal_mask:
            m = self._compute_causal_mask(query, value)
            auto_mask = m if auto_mask is None else auto_mask & m
        if self._sliding_window is not None:
            m = self._compute_sliding_window_mask(query, value)
            auto_mask = m if auto_mask is None else auto_mask & m
        if attention_mask is not None:
            attention_mask = _as_bool(attention_mask)
        if auto_mask is not None:
            attention_mask = auto_mask if attention_mask is None else attention_mask & auto_mask
        return attention_mask

    def _compute_causal_mask(self, query, value=None):
        tq = jnp.shape(query)[1]
        tv = tq if value is None else jnp.shape(value)[1]
        return (jnp.arange(tq)[:, None] >= jnp.arange(tv)[None, :])[None]  # (1, Tq, Tv)

    def _compute_sliding_window_mask(self, query, value=None):
        tq = jnp.shape(query)[1]
        tv = tq if value is None else jnp.shape(value)[1]
        rows, cols = jnp.arange(tq).reshape(1, tq, 1), jnp.arange(tv).reshape(1, 1, tv)
        return jnp.abs(rows - cols) < self._sliding_window

    def _compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                             f"value_shape={value_shape} and key_shape={key_shape}")
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    def keras_serialized(self):
        # The usual entry, but with Keras's build_config for a `build` of several shapes (Keras 3 builds the
        # layer from it before loading the weights).
        if self.__dict__.get("_serializing") or not self.built or "_build_shapes" not in self.__dict__:
            return None
        from lstmkit.layers.serialization import serialize_layer

        object.__setattr__(self, "_serializing", True)
        try:
            entry = serialize_layer(self)
        finally:
            object.__setattr__(self, "_serializing", False)
        as_list = lambda shape: None if shape is None else [None if d is None else int(d) for d in shape]
        entry["build_config"] = {"shapes_dict": {k: as_list(v) for k, v in self._build_shapes.items()}}
        return entry

    def keras_children(self):
        if not self.built:
            return []
        children = [("key_dense", self._key_dense), ("output_dense", self._output_dense),
                    ("query_dense", self._query_dense), ("value_dense", self._value_dense),
                    ("_dropout_layer", _NoWeights("dropout")), ("_softmax", _NoWeights("softmax"))]
        if self._use_gate:
            children.append(("_gate_dense", self._gate_dense))
        return children

    def param_count_formula(self):
        if not self.built:
            return None
        parts, count, names = [], 0, []
        for attr in ("_query_dense", "_key_dense", "_gate_dense", "_value_dense", "_output_dense"):
            sub = self.__dict__.get(attr)
            found = sub.param_count_formula() if sub is not None else None
            if found is None:
                continue
            parts.append(f"({found[0]})")
            count += found[1]
            names.append(sub.name)
        return " + ".join(parts), count, "EinsumDense projections: " + ", ".join(names)

    @classmethod
    def keras2_config(cls, config, where):
        config = dict(config)
        for key in ("query_shape", "key_shape", "value_shape"):  # tf.keras 2 recorded its build shapes here
            config.pop(key, None)
        return config
