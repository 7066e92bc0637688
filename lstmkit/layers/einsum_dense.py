"""EinsumDense: a dense layer whose product is an einsum equation (Keras 3's `keras.layers.EinsumDense`).

The equation names the input's axes, the kernel's and the output's: `"abc,cde->abde"` maps (batch, time,
features) to (batch, time, heads, size) with a (features, heads, size) kernel. Keras accepts three forms,
and so does this layer: `X,Y->Z`, `...X,Y->...Z` (leading axes elided) and `X...,Y->Z...` (trailing
axes elided, X of two letters at least). `output_shape` gives the output's sizes without the batch
axis and without the elided axes.
"""

from __future__ import annotations

import copy
import re

import jax.numpy as jnp
import numpy as np

from lstmkit import activations as activations_mod
from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import regularizers as regularizers_mod
from lstmkit.layers.base import Layer
from lstmkit.layers.core import _no_lora, _no_quantization, _ser

_FORMS = (  # (pattern, where the ellipsis is); "..." is first replaced by "*"
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), None),
    (re.compile(r"\*([a-zA-Z]+),([a-zA-Z]+)->\*([a-zA-Z]+)"), "left"),
    (re.compile(r"([a-zA-Z]{2,})\*,([a-zA-Z]+)->([a-zA-Z]+)\*"), "right"),
)


def _split_equation(equation):
    """(input letters, kernel letters, output letters, ellipsis side or None)."""
    if not isinstance(equation, str):
        raise TypeError(f"EinsumDense: `equation` must be a string such as 'ab,bc->ac'; received {equation!r} "
                        f"(of type {type(equation).__name__}).")
    marked = equation.replace("...", "*")
    for pattern, side in _FORMS:
        found = pattern.fullmatch(marked)
        if found:
            return found.group(1), found.group(2), found.group(3), side
    raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form "
                     "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def _analyze_einsum_string(equation, bias_axes, input_shape, output_shape):
    """Keras's rules for the weights of `equation` on inputs of `input_shape`.

    Returns (kernel_shape, bias_shape or None, full_output_shape, input_axes, output_axes), the last two
    the kernel axes sized by the input and by the output (the fans of a VarianceScaling initializer).
    """
    in_spec, k_spec, out_spec, side = _split_equation(equation)
    input_shape = tuple(input_shape)
    partial = [output_shape] if isinstance(output_shape, (int, np.integer)) else list(output_shape)
    # Input axes the letters do not name: elided by "..." (Keras also lets a plain equation have extra
    # trailing axes, carried to the output unchanged).
    extra = len(input_shape) - len(in_spec)
    if extra < 0 or (side == "left" and extra < 1):
        need = len(in_spec) + (side == "left")
        raise ValueError(f"EinsumDense with equation '{equation}' needs inputs of rank {need} or more; received "
                         f"input_shape={input_shape}.")
    # The batch axis comes first; then the leading elided axes, the given sizes, the trailing elided ones.
    if side == "left":
        full = [input_shape[0], *input_shape[1:extra], *partial]
        shift = extra  # where the first letter of the input (and of the output) stands
    else:
        full = [input_shape[0], *partial, *input_shape[len(input_shape) - extra:]]
        shift = 0
    in_dims = {ch: input_shape[i + shift] for i, ch in enumerate(in_spec)}
    if len(full) < len(out_spec) + shift:  # too few sizes (Keras lets extra ones through, and so do we)
        raise ValueError(f"EinsumDense: `output_shape` {tuple(partial)} is too short for the output '{out_spec}' "
                         f"of equation '{equation}': expected {len(out_spec) - (side != 'left')} sizes (without "
                         f"the batch axis{' and the elided axes' if side else ''}).")
    out_dims = {ch: full[i + shift] for i, ch in enumerate(out_spec)}

    for ch, size in in_dims.items():
        if ch in out_dims and out_dims[ch] is not None and out_dims[ch] != size:
            raise ValueError(f"Input shape and output shape do not match at shared dimension '{ch}'. Input shape "
                             f"is {size}, and output shape is {out_dims[ch]}.")
    for ch in out_spec:
        if ch not in in_dims and ch not in k_spec:
            raise ValueError(f"Dimension '{ch}' was specified in the output '{out_spec}' but has no corresponding "
                             f"dim in the input spec '{in_spec}' or weight spec '{k_spec}'")

    kernel_shape, input_axes, output_axes = [], [], []
    for i, ch in enumerate(k_spec):
        if ch in out_dims:  # the output's size wins, as in Keras
            kernel_shape.append(out_dims[ch])
            output_axes.append(i)
        elif ch in in_dims:
            kernel_shape.append(in_dims[ch])
            input_axes.append(i)
        else:
            raise ValueError(f"Weight dimension '{ch}' did not have a match in either the input spec '{in_spec}' "
                             f"or the output spec '{out_spec}'. For this layer, the weight must be fully specified.")

    bias_shape = None
    if bias_axes is not None:
        for ch in bias_axes:
            if ch not in out_spec:
                raise ValueError(f"Bias dimension '{ch}' was requested, but is not part of the output spec "
                                 f"'{out_spec}'")
        # The bias broadcasts from its first axis on: 1 for the output axes after it that it lacks.
        first = min(out_spec.index(ch) for ch in bias_axes)
        bias_shape = [out_dims[ch] if ch in bias_axes else 1 for ch in out_spec[first:]]
        if side != "left":
            bias_shape += [1] * extra
    return kernel_shape, bias_shape, full, input_axes, output_axes


def _partial_output_shape(output_shape):
    if isinstance(output_shape, (int, np.integer)) and not isinstance(output_shape, bool):
        return (int(output_shape),)
    try:
        dims = tuple(output_shape)
    except TypeError:
        raise TypeError(f"EinsumDense: `output_shape` must be an int or a tuple of ints (None for unknown sizes); "
                        f"received {output_shape!r}.") from None
    if isinstance(output_shape, str) or any(
            d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer))) for d in dims):
        raise TypeError(f"EinsumDense: `output_shape` must be an int or a tuple of ints (None for unknown sizes); "
                        f"received {output_shape!r}.")
    return tuple(None if d is None else int(d) for d in dims)


class EinsumDense(Layer):
    """`activation(einsum(equation, inputs, kernel) + bias)`, the bias on the output axes `bias_axes`."""

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, gptq_unpacked_column_size=None,
                 quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        _no_lora(lora_rank, "EinsumDense")
        _no_quantization(quantization_config, "EinsumDense")
        if gptq_unpacked_column_size is not None:
            raise NotImplementedError("EinsumDense(gptq_unpacked_column_size=...) is not supported by lstmkit "
                                      "(lstmkit layers are not quantized).")
        if not isinstance(equation, str):
            raise TypeError(f"EinsumDense: `equation` must be a string such as 'ab,bc->ac'; received {equation!r} "
                            f"(of type {type(equation).__name__}).")
        if bias_axes is not None and not isinstance(bias_axes, str):
            raise TypeError(f"EinsumDense: `bias_axes` must be a string of output letters (e.g. 'c') or None; "
                            f"received {bias_axes!r}.")
        if bias_axes == "":
            raise ValueError("EinsumDense: `bias_axes` must name at least one output letter, or be None for no "
                             "bias; received ''.")
        self.equation = equation
        self.partial_output_shape = _partial_output_shape(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations_mod.get(activation)
        self.kernel_initializer = initializers_mod.get(kernel_initializer)
        self.bias_initializer = initializers_mod.get(bias_initializer)
        self.kernel_regularizer = regularizers_mod.get(kernel_regularizer)
        self.bias_regularizer = regularizers_mod.get(bias_regularizer)
        self.kernel_constraint = constraints_mod.get(kernel_constraint)
        self.bias_constraint = constraints_mod.get(bias_constraint)
        self.lora_rank, self.lora_alpha, self.lora_enabled = None, None, False
        self.quantization_config = None
        self._ndim = None

    def _fan_aware_initializer(self, input_axes, output_axes):
        # A kernel of rank > 2: Keras's VarianceScaling takes its fans from the axes the equation
        # contracts and produces, not from the last two axes.
        init = self.kernel_initializer
        if isinstance(init, initializers_mod.VarianceScaling) and (init.input_axes is None or init.output_axes is None):
            init = copy.copy(init)  # the configured initializer (and its config) stays as given
            init.input_axes, init.output_axes = list(input_axes), list(output_axes)
        return init

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = _analyze_einsum_string(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        for what, shape in (("kernel", kernel_shape), ("bias", bias_shape)):
            if shape is not None and any(d is None for d in shape):
                raise ValueError(f"EinsumDense '{self.name}': the {what} shape {tuple(shape)} has an unknown size; "
                                 f"give it in `output_shape` (received {self.partial_output_shape}) or in the input "
                                 f"shape (received {tuple(input_shape)}).")
        self._ndim = len(input_shape)
        self._kernel = self.add_weight(name="kernel", shape=tuple(kernel_shape),
                                       initializer=self._fan_aware_initializer(input_axes, output_axes),
                                       regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None  # Keras: `bias` is None without bias_axes
        if bias_shape is not None:
            self.bias = self.add_weight(name="bias", shape=tuple(bias_shape), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    @property
    def kernel(self):
        if not self.built or "_kernel" not in self.__dict__:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        return self._kernel

    def _check_input_shape(self, shape):
        # Keras's InputSpec(ndim=...) set by build: a built layer takes inputs of that rank only.
        if self._ndim is not None and isinstance(shape, tuple) and len(shape) != self._ndim:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                             f"ndim={self._ndim}, found ndim={len(shape)}. Full shape received: {shape}")

    def call(self, params, inputs, ctx):
        y = jnp.einsum(self.equation, inputs.astype(jnp.float32), params["kernel"])
        if self.bias is not None:
            y = y + params["bias"]
        return y if self.activation is None else self.activation(y)  # Keras lets users set it to None

    def compute_output_shape(self, input_shape):
        return tuple(_analyze_einsum_string(self.equation, self.bias_axes, input_shape, self.partial_output_shape)[2])

    def get_config(self):
        base = super().get_config()
        base.pop("activity_regularizer", None)  # Keras writes it among the regularizers, always
        return {**base, "output_shape": self.partial_output_shape, "equation": self.equation,
                "activation": activations_mod.serialize(self.activation), "bias_axes": self.bias_axes,
                "kernel_initializer": initializers_mod.serialize(self.kernel_initializer),
                "bias_initializer": initializers_mod.serialize(self.bias_initializer),
                "kernel_regularizer": _ser(regularizers_mod, self.kernel_regularizer),
                "bias_regularizer": _ser(regularizers_mod, self.bias_regularizer),
                "activity_regularizer": _ser(regularizers_mod, self.activity_regularizer),
                "kernel_constraint": _ser(constraints_mod, self.kernel_constraint),
                "bias_constraint": _ser(constraints_mod, self.bias_constraint), "quantization_config": None}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("output_shape"), list):  # JSON has no tuples
            config["output_shape"] = tuple(config["output_shape"])
        return cls(**config)

    # --- facts a layer owns (saving, summary, inspect): the hooks at the end of `Layer`
    def param_count_formula(self):
        if not self.built:
            return None
        k = tuple(self._kernel.shape)
        parts = [" × ".join(str(d) for d in k)]
        count = int(np.prod(k))
        if self.bias is not None:
            parts.append(" × ".join(str(d) for d in self.bias.shape))
            count += int(np.prod(self.bias.shape))
        return " + ".join(parts), count, f"kernel of '{self.equation}'" + (" + bias" if self.bias is not None else "")
