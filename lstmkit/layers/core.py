"""Dense, Activation, Dropout, Flatten, RepeatVector, Reshape, Masking, Embedding and Identity."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit import _value_ranges
from lstmkit import activations as activations_mod
from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import regularizers as regularizers_mod
from lstmkit.layers.base import Layer


def _positive_int(value, argname, layer):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"Received an invalid value for `{argname}` of {layer}: expected a positive integer, received {value!r}.")
    return int(value)


def _no_lora(lora_rank, layer):
    if lora_rank is not None:
        raise NotImplementedError(f"{layer}(lora_rank=...) is not supported by lstmkit.")


def _ser(mod, obj):
    return None if obj is None else mod.serialize(obj)


def _no_quantization(quantization_config, layer):
    # Keras 3 records `quantization_config: None` in Dense/Embedding configs; lstmkit computes in float32 only.
    if quantization_config is not None:
        raise NotImplementedError(f"{layer}(quantization_config={quantization_config!r}): lstmkit layers are not "
                                  "quantized; pass quantization_config=None.")


class Dense(Layer):
    """`activation(inputs @ kernel + bias)` on the last axis (so it also maps every time step of a sequence)."""

    supports_masking = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        _no_lora(lora_rank, "Dense")
        _no_quantization(quantization_config, "Dense")
        self.units = _positive_int(units, "units", "Dense")
        self.activation = activations_mod.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers_mod.get(kernel_initializer)
        self.bias_initializer = initializers_mod.get(bias_initializer)
        self.kernel_regularizer = regularizers_mod.get(kernel_regularizer)
        self.bias_regularizer = regularizers_mod.get(bias_regularizer)
        self.kernel_constraint = constraints_mod.get(kernel_constraint)
        self.bias_constraint = constraints_mod.get(bias_constraint)

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Dense layer '{self.name}' needs inputs with a known last dimension; received shape {input_shape}.")
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None  # Keras: `bias` is None without a bias
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def _check_input_shape(self, shape):
        kernel = self.__dict__.get("kernel")
        if kernel is not None and isinstance(shape, tuple) and shape and shape[-1] is not None \
                and shape[-1] != kernel.shape[0]:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis -1 of '
                             f"input shape to have value {kernel.shape[0]}, but received input with shape {shape}")

    def call(self, params, inputs, ctx):
        y = jnp.matmul(inputs.astype(jnp.float32), params["kernel"])
        if self.use_bias:
            y = y + params["bias"]
        return y if self.activation is None else self.activation(y)  # Keras lets users set it to None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": activations_mod.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers_mod.serialize(self.kernel_initializer),
                "bias_initializer": initializers_mod.serialize(self.bias_initializer),
                "kernel_regularizer": _ser(regularizers_mod, self.kernel_regularizer),
                "bias_regularizer": _ser(regularizers_mod, self.bias_regularizer),
                "kernel_constraint": _ser(constraints_mod, self.kernel_constraint),
                "bias_constraint": _ser(constraints_mod, self.bias_constraint), "quantization_config": None}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    def param_count_formula(self):
        kernel = next((v for v in self._vars if v.name == "kernel"), None)
        if kernel is None:
            return None
        i, o = kernel.shape
        if self.use_bias:
            return f"{i} × {o} + {o}", i * o + o, "inputs × units + units"
        return f"{i} × {o}", i * o, "inputs × units, no bias"


class Activation(Layer):
    """Applies an activation function: `Activation('sigmoid')`."""

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations_mod.get(activation)
        self._build_at_init()  # no weights: built at once, as Keras does

    def call(self, params, inputs, ctx):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations_mod.serialize(self.activation)}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_built_at_init = True  # Keras builds it in __init__, so its files hold no build_config


class Dropout(Layer):
    """Sets a fraction `rate` of inputs to 0 while training, scaling the rest by 1/(1-rate)."""

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate` of Dropout: expected a float between 0 and 1, received {rate!r}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._build_at_init()

    def call(self, params, inputs, ctx):
        if not ctx.training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return jnp.zeros_like(inputs)
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(inputs.shape, self.noise_shape))
        key = ctx.next_rng()
        if self.seed is not None:
            key = jax.random.fold_in(key, self.seed)
        keep = jax.random.bernoulli(key, 1.0 - self.rate, shape)
        return jnp.where(keep, inputs / (1.0 - self.rate), 0.0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape)}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_built_at_init = True  # Keras builds it in __init__, so its files hold no build_config


class Flatten(Layer):
    """Flattens each sample to one dimension: (batch, a, b) -> (batch, a*b)."""

    _passes_input_values = True  # its outputs are its input's values, moved: see LayerFacts

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"Flatten: `data_format` must be 'channels_last' or 'channels_first', received {data_format!r}.")
        self.data_format = data_format or "channels_last"

    def call(self, params, inputs, ctx):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = jnp.moveaxis(inputs, 1, -1)
        return inputs.reshape((inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else int(np.prod(rest)) if rest else 1
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class RepeatVector(Layer):
    """Repeats a (batch, features) input n times: (batch, n, features)."""

    _passes_input_values = True  # its outputs are its input's values, moved: see LayerFacts

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n}")
        self.n = int(n)

    def _check_input_shape(self, shape):
        if len(shape) != 2:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected ndim=2, '
                             f"found ndim={len(shape)}. Full shape received: {tuple(shape)}")

    def call(self, params, inputs, ctx):
        return jnp.repeat(inputs[:, None, :], self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Reshape(Layer):
    """Reshapes each sample: `Reshape((3, 4))`; one dimension may be -1."""

    _passes_input_values = True  # its outputs are its input's values, moved: see LayerFacts

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target_shape = tuple(target_shape)
        except TypeError:
            raise TypeError(f"Reshape: `target_shape` must be a tuple of integers; received "
                            f"target_shape={target_shape!r}.") from None
        for d in target_shape:  # a float such as 2.5 would be cut to 2 silently
            if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
                raise ValueError(f"Each dimension in `target_shape` must be an integer; received {d!r} of type "
                                 f"{type(d).__name__} in target_shape={target_shape}.")
            if d < -1:
                raise ValueError("Each dimension in `target_shape` must be a non-negative integer, or `-1` for a "
                                 f"single unknown dimension. Received: target_shape={target_shape}.")
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError("There must be at most one unknown dimension (-1) in `target_shape`. Received: "
                             f"target_shape={self.target_shape}.")
        self._build_at_init()

    def _resolved(self, input_shape):
        rest = input_shape[1:]
        if any(d is None for d in rest):
            return tuple(None if d == -1 else d for d in self.target_shape)
        total = int(np.prod(rest))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        if -1 in self.target_shape:
            if total % known:
                raise ValueError(f"Reshape: cannot reshape samples of shape {tuple(rest)} into {self.target_shape}.")
            return tuple(total // known if d == -1 else d for d in self.target_shape)
        if known != total:
            raise ValueError(f"Reshape: total size of samples {tuple(rest)} ({total}) differs from target_shape {self.target_shape} ({known}).")
        return self.target_shape

    def call(self, params, inputs, ctx):
        return inputs.reshape((inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolved(input_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": tuple(self.target_shape)}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_built_at_init = True  # Keras builds it in __init__, so its files hold no build_config


class Masking(Layer):
    """Masks time steps whose features all equal `mask_value`; downstream RNNs skip them."""

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)
        self._build_at_init()

    def compute_mask(self, inputs, mask=None):
        return jnp.any(inputs != self.mask_value, axis=-1)

    def call(self, params, inputs, ctx):
        keep = jnp.any(inputs != self.mask_value, axis=-1, keepdims=True)
        return inputs * keep.astype(inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    _keras_built_at_init = True  # Keras builds it in __init__, so its files hold no build_config


class Embedding(Layer):
    """Maps integer ids (batch, time) to vectors (batch, time, output_dim); `mask_zero` masks id 0."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 input_length=None, quantization_config=None, **kwargs):
        if input_length is not None and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        _no_lora(lora_rank, "Embedding")
        _no_quantization(quantization_config, "Embedding")
        for argname, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"`{argname}` must be a positive integer. Received: {argname}={value} "
                                 f"(of type {type(value).__name__}).")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers_mod.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers_mod.get(embeddings_regularizer)
        self.embeddings_constraint = constraints_mod.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.input_length = input_length
        self._initial_weights = weights
        if weights is not None:  # the pretrained-embedding pattern: built at once with these values
            self.build()
            self._build_shape = None

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(name="embeddings", shape=(self.input_dim, self.output_dim), initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint)
        self.built = True
        if self._initial_weights is not None:
            weights = self._initial_weights
            # Keras 2 took a list of arrays, Keras 3 takes the array itself.
            self.set_weights(weights if isinstance(weights, (list, tuple)) else [weights])
            self._initial_weights = None

    def call(self, params, inputs, ctx):
        # A direct call on concrete arrays is checked here; compiled calls (fit, predict) are checked on the
        # host before compiling, through `input_value_range`: JAX would clamp a bad index silently.
        bad = _value_ranges.first_outside_device(inputs, 0, self.input_dim)
        if bad is not None:
            raise _value_ranges.ValueRangeError(self.input_value_message(bad[1], bad[0], "The input"))
        ids = inputs.astype(jnp.int32)
        return jnp.take(params["embeddings"], ids, axis=0, mode="clip")

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    @classmethod
    def from_config(cls, config):
        for argname in ("input_dim", "output_dim"):  # a config is not an argument list: Keras's TypeError
            value = config.get(argname)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise TypeError(f"`{argname}` must be a positive integer. Received: {argname}={value} "
                                f"(of type {type(value).__name__}).")
        return super().from_config(config)

    def get_config(self):
        base = super().get_config()
        base.pop("activity_regularizer", None)  # placed after the embeddings regularizer, as Keras orders them
        return {**base, "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers_mod.serialize(self.embeddings_initializer),
                "embeddings_regularizer": _ser(regularizers_mod, self.embeddings_regularizer),
                "activity_regularizer": _ser(regularizers_mod, self.activity_regularizer),
                "embeddings_constraint": _ser(constraints_mod, self.embeddings_constraint),
                "mask_zero": self.mask_zero, "quantization_config": None}

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    def input_value_range(self, **call_kwargs):
        return (0, self.input_dim)

    def input_value_message(self, value, position, where) -> str:
        if value < 0:
            why = "indices are never negative"
        elif self.mask_zero:
            why = ("input_dim is the number of indices: with mask_zero=True, 0 is the padding index, so input_dim "
                   "must be the vocabulary size + 1")
        else:
            why = "input_dim is the number of indices (the largest index + 1)"
        return (f"{where} holds the index {value} at position {position}, but layer '{self.name}' "
                f"(Embedding, input_dim={self.input_dim}) takes indices in [0, {self.input_dim}): {why}.")

    def param_count_formula(self):
        v, d = self.input_dim, self.output_dim
        return f"{v} × {d}", v * d, "input_dim (vocabulary) × output_dim"


class Identity(Layer):
    """Returns its inputs unchanged (masks pass through)."""

    _passes_input_values = True  # its outputs are its input's values, moved: see LayerFacts

    supports_masking = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._build_at_init()

    def call(self, params, inputs, ctx):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
