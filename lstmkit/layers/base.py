"""The Layer base class, layer weights (`Variable`) and the call context.

A layer owns its weights as `Variable` objects (as in Keras), but its
computation is a pure function: `call(params, inputs, ctx, **kwargs)` receives
the weight *values* in `params` (a dict: weight name -> array, plus one nested
dict per sub-layer), so the same code runs eagerly on arrays and inside
`jax.jit` / `lax.scan` during training.
"""

from __future__ import annotations

import inspect
import itertools
import re
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit import constraints as constraints_mod
from lstmkit import initializers as initializers_mod
from lstmkit import regularizers as regularizers_mod

_uid_counters: dict[str, itertools.count] = {}
_var_counter = itertools.count()


def unique_name(prefix: str) -> str:
    """Keras-style auto names: 'lstm', 'lstm_1', 'lstm_2', ..."""
    counter = _uid_counters.setdefault(prefix, itertools.count())
    n = next(counter)
    return prefix if n == 0 else f"{prefix}_{n}"


def snake_case(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class Variable:
    """A layer weight: a named array with trainability, regularizer and constraint."""

    def __init__(self, value, name, trainable=True, regularizer=None, constraint=None, layer=None):
        # device_put transfers without compiling (jnp.asarray of a NumPy array compiles a small program).
        self._value = jax.device_put(value if isinstance(value, jax.Array) else np.array(value))
        self.name = name
        self._trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint
        self.layer = layer
        # Unique across the process: the key of this weight in a model's params dict.
        self.key = f"{next(_var_counter):06d}"

    @property
    def path(self) -> str:
        return f"{self.layer.name}/{self.name}" if self.layer is not None else self.name

    @property
    def trainable(self) -> bool:
        return self._trainable and (self.layer is None or self.layer.trainable)

    @trainable.setter
    def trainable(self, value: bool):
        self._trainable = bool(value)

    @property
    def value(self):
        return self._value

    @property
    def shape(self) -> tuple:
        return tuple(self._value.shape)

    @property
    def dtype(self):
        return self._value.dtype

    def assign(self, value):
        if isinstance(value, jax.Array):
            value = value.astype(self._value.dtype)
        else:  # a private copy (the caller may change their array later), transferred without compiling
            value = jax.device_put(np.array(value, self._value.dtype))
        if tuple(value.shape) != self.shape:
            raise ValueError(
                f"Cannot assign a value of shape {tuple(value.shape)} to weight "
                f"'{self.path}' of shape {self.shape}."
            )
        self._value = value

    def numpy(self) -> np.ndarray:
        return np.asarray(self._value)

    def __array__(self, dtype=None, copy=None):
        a = np.asarray(self._value)
        return a.astype(dtype) if dtype is not None else a

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"


class CallContext:
    """What a pure call needs besides weights and inputs.

    `training` switches dropout; `next_rng()` hands out PRNG keys; stateful
    layers read their carried state from `state_in` and write the new one to
    `state_out`; `losses` collects activity-regularization terms.
    """

    def __init__(self, training=False, rng=None, state_in=None):
        self.training = bool(training)
        self._rng = rng
        self.state_in = dict(state_in or {})
        self.state_out: dict = {}
        self.losses: list = []

    def next_rng(self):
        if self._rng is None:
            from lstmkit import _random

            self._rng = _random.next_key()
        elif callable(self._rng):
            # Keys are derived only when a layer asks for one, so models without
            # dropout compile no random-number code at all.
            self._rng = self._rng()
        self._rng, sub = jax.random.split(self._rng)
        return sub

    def get_state(self, layer):
        return self.state_out.get(layer._state_key, self.state_in.get(layer._state_key))

    def set_state(self, layer, value):
        self.state_out[layer._state_key] = value


class Layer:
    """Base class of all layers.

    Subclasses implement `build(input_shape)` (creating weights with
    `add_weight`), `call(params, inputs, ctx, **kwargs)` (pure), and
    `compute_output_shape(input_shape)`. Layers that accept a mask set
    `supports_masking = True` and take a `mask` keyword in `call`.
    """

    supports_masking = False

    def __init__(self, *, name=None, trainable=True, dtype=None, activity_regularizer=None, **kwargs):
        input_shape = kwargs.pop("input_shape", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        batch_size = kwargs.pop("batch_size", None)
        input_dim = kwargs.pop("input_dim", None)
        input_length = kwargs.pop("input_length", None)
        kwargs.pop("autocast", None)  # Keras accepts these; float32 is all we compute in.
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}"
            )
        if input_shape is None and input_dim is not None:
            # Keras 2 legacy: `input_dim` (and `input_length` for sequences).
            input_shape = (input_length, input_dim) if input_length is not None or self._sequence_input() else (input_dim,)
        self._batch_input_shape = None
        if batch_input_shape is not None:
            self._batch_input_shape = _as_shape(batch_input_shape, "batch_input_shape")
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + _as_shape(input_shape, "input_shape")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = _check_dtype(dtype, type(self).__name__)
        self.activity_regularizer = regularizers_mod.get(activity_regularizer)
        self.built = False
        self._vars: list[Variable] = []
        self._sublayers: dict[str, Layer] = {}
        self.stateful = getattr(self, "stateful", False)
        self._state_key = f"state_{id(self)}"
        self._inbound_nodes: list = []

    @classmethod
    def _sequence_input(cls) -> bool:
        return False

    # ----------------------------------------------------------------- weights
    def add_weight(self, name, shape, initializer="glorot_uniform", regularizer=None, constraint=None,
                   trainable=True, dtype="float32"):
        init = initializers_mod.get(initializer)
        value = np.asarray(init(tuple(shape), dtype=dtype) if _accepts_dtype(init) else init(tuple(shape)))
        if tuple(value.shape) != tuple(shape):
            raise ValueError(
                f"Initializer for weight '{name}' of layer '{self.name}' returned shape "
                f"{tuple(value.shape)}, expected {tuple(shape)}."
            )
        var = Variable(value.astype(dtype), name, trainable=trainable,
                       regularizer=regularizers_mod.get(regularizer),
                       constraint=constraints_mod.get(constraint), layer=self)
        self._vars.append(var)
        return var

    def _track(self, attr: str, layer: "Layer"):
        self._sublayers[attr] = layer
        return layer

    def _all_variables(self) -> list[Variable]:
        out = list(self._vars)
        for sub in self._sublayers.values():
            out.extend(sub._all_variables())
        return out

    @property
    def weights(self) -> list[Variable]:
        seen, out = set(), []
        for v in self._all_variables():
            if v.key not in seen:
                seen.add(v.key)
                out.append(v)
        return out

    @property
    def trainable_weights(self) -> list[Variable]:
        return [v for v in self.weights if v.trainable]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [v for v in self.weights if not v.trainable]

    # Keras 3 names these `*_variables` too.
    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool):
        self._trainable = bool(value)
        for sub in self._sublayers.values():
            sub.trainable = value

    def get_weights(self) -> list[np.ndarray]:
        return [np.array(v.value) for v in self.weights]

    def set_weights(self, weights):
        mine = self.weights
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(
                f"Layer '{self.name}' expects {len(mine)} weights, but set_weights() received "
                f"{len(weights)}. Expected shapes: {[v.shape for v in mine]}."
            )
        for v, w in zip(mine, weights):
            w = np.asarray(w)
            if tuple(w.shape) != v.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight '{v.name}' has shape {v.shape}, but set_weights() "
                    f"received an array of shape {tuple(w.shape)}."
                )
        for v, w in zip(mine, weights):
            v.assign(w)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. You can build it manually via: `layer.build(input_shape)`."
            )
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    def gather_params(self, values: dict) -> dict:
        """This layer's slice of a model-wide params dict (Variable.key -> array)."""
        p = {v.name: values[v.key] for v in self._vars}
        for attr, sub in self._sublayers.items():
            p[attr] = sub.gather_params(values)
        return p

    def current_params(self) -> dict:
        return self.gather_params({v.key: v.value for v in self._all_variables()})

    # ----------------------------------------------------------------- state
    def initial_state(self, batch_size):
        """Zero state of a stateful layer for `batch_size` samples (None if stateless)."""
        return None

    def _collect_states(self) -> dict:
        """Current carried state of every stateful layer in this layer (key -> arrays)."""
        out = {}
        if self.stateful and getattr(self, "_states", None) is not None:
            out[self._state_key] = self._states
        for sub in self._sublayers.values():
            out.update(sub._collect_states())
        return out

    def _stateful_layers(self) -> list["Layer"]:
        out = [self] if self.stateful else []
        for sub in self._sublayers.values():
            out.extend(sub._stateful_layers())
        return out

    def _assign_states(self, states: dict):
        if self.stateful and self._state_key in states:
            self._states = states[self._state_key]
        for sub in self._sublayers.values():
            sub._assign_states(states)

    # ----------------------------------------------------------------- building
    def build(self, input_shape):
        self.built = True

    def _maybe_build(self, input_shape):
        if not self.built:
            self.build(input_shape)
            self.built = True
            self._build_shape = input_shape  # Keras's `build_config` in saved files

    def compute_output_shape(self, input_shape, **kwargs):
        """Default: trace `call` abstractly (no compute) with placeholder sizes."""
        return _infer_output_shape(self, input_shape, kwargs)

    def compute_mask(self, inputs, mask=None):
        return mask if self.supports_masking else None

    def call(self, params, inputs, ctx, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not implement call().")

    # ----------------------------------------------------------------- invocation
    def apply(self, params, inputs, ctx, mask=None, **kwargs):
        """Pure forward pass with masks: returns (outputs, output_mask)."""
        if mask is not None and self._call_accepts("mask"):
            kwargs["mask"] = mask
        if "training" in kwargs:
            training = kwargs.pop("training")
            if training is not None and not self._call_accepts("training"):
                ctx = _with_training(ctx, training)
            elif self._call_accepts("training"):
                kwargs["training"] = training
        outputs = self.call(params, inputs, ctx, **kwargs)
        if self.activity_regularizer is not None:
            for out in jax.tree_util.tree_leaves(outputs):
                loss = self.activity_regularizer(out)
                if out.ndim > 0:
                    loss = loss / out.shape[0]
                ctx.losses.append(loss)
        out_mask = self.compute_mask(inputs, mask)
        return outputs, out_mask

    def _call_accepts(self, name: str) -> bool:
        cache = type(self).__dict__.get("_accepts_cache")
        if cache is None:
            cache = {}
            type(self)._accepts_cache = cache
        if name not in cache:
            cache[name] = name in inspect.signature(self.call).parameters
        return cache[name]

    def __call__(self, inputs, *args, **kwargs):
        from lstmkit.layers.input_layer import KerasTensor, symbolic_call

        if any(isinstance(t, KerasTensor) for t in jax.tree_util.tree_leaves((inputs, args, kwargs), is_leaf=lambda t: isinstance(t, KerasTensor))):
            return symbolic_call(self, inputs, args, kwargs)
        return self._eager_call(inputs, *args, **kwargs)

    def _eager_call(self, inputs, *args, training=None, mask=None, **kwargs):
        if args:
            raise TypeError(f"{type(self).__name__} takes one positional input; pass the others by keyword.")
        inputs = jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype=jnp.float32) if _is_floatlike(a) else jnp.asarray(a), inputs)
        self._maybe_build(jax.tree_util.tree_map(lambda a: tuple(a.shape), inputs))
        if self.stateful:
            self._ensure_states(jax.tree_util.tree_leaves(inputs)[0].shape[0])
        ctx = CallContext(training=bool(training), state_in=self._collect_states())
        out, _ = self.apply(self.current_params(), inputs, ctx, mask=mask, **kwargs)
        self._assign_states(ctx.state_out)
        return out

    def _fixed_batch_size(self):
        """The batch size this layer was built for, if one was declared (stateful layers need it)."""
        if self._batch_input_shape is not None and self._batch_input_shape[0] is not None:
            return self._batch_input_shape[0]
        for node in reversed(self._inbound_nodes):
            from lstmkit.layers.input_layer import KerasTensor

            first = jax.tree_util.tree_leaves(node.inputs, is_leaf=lambda t: isinstance(t, KerasTensor))
            if first and isinstance(first[0], KerasTensor) and first[0].shape and first[0].shape[0] is not None:
                return first[0].shape[0]
        return None

    def _ensure_states(self, batch_size):
        for layer in self._stateful_layers():
            states = getattr(layer, "_states", None)
            if states is None:
                layer._states = layer.initial_state(batch_size)

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict:
        # Keras 3's keys: `dtype` is a DTypePolicy config, and the declared input shape is not part of a
        # layer's config (a model records it in its InputLayer).
        config = {"name": self.name, "trainable": self.trainable, "dtype": dtype_policy_config(self.dtype)}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers_mod.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # Keras-2-era attributes people still read.
    @property
    def input(self):
        return self._node_attr("inputs")

    @property
    def output(self):
        return self._node_attr("outputs")

    def _node_attr(self, what):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called on a symbolic input, so it has no {what[:-1]}.")
        value = getattr(self._inbound_nodes[0], what)
        return value[0] if isinstance(value, (list, tuple)) and len(value) == 1 else value

    @property
    def output_shape(self):
        out = self.output
        return jax.tree_util.tree_map(lambda t: t.shape, out, is_leaf=lambda t: hasattr(t, "shape"))

    @property
    def input_shape(self):
        inp = self.input
        return jax.tree_util.tree_map(lambda t: t.shape, inp, is_leaf=lambda t: hasattr(t, "shape"))


def dtype_policy_config(name="float32") -> dict:
    """Keras 3's serialized DTypePolicy, the `dtype` entry of every layer config."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}


def _with_training(ctx: CallContext, training) -> CallContext:
    """A view of `ctx` with `training` overridden (e.g. `Dropout(...)(x, training=True)`)."""
    view = CallContext.__new__(CallContext)
    view.__dict__ = ctx.__dict__.copy()
    view.training = bool(training)
    # Share the mutable containers so collected state and losses reach the caller.
    view.state_out = ctx.state_out
    view.losses = ctx.losses

    def next_rng():
        return ctx.next_rng()

    view.next_rng = next_rng
    return view


def _check_dtype(dtype, layer_name) -> str:
    """lstmkit computes in float32; say so rather than silently ignore another dtype."""
    name = dtype
    if isinstance(dtype, dict):  # a Keras 3 DTypePolicy config, as saved in model files
        name = dtype.get("config", {}).get("name")
    elif dtype is not None and not isinstance(dtype, str):
        name = getattr(dtype, "name", str(dtype))
    if name in (None, "float32"):
        return "float32"
    raise NotImplementedError(
        f"{layer_name}(dtype={name!r}): lstmkit layers compute in float32 only; "
        "pass dtype=None or 'float32'."
    )


def _accepts_dtype(fn) -> bool:
    try:
        return "dtype" in inspect.signature(fn).parameters or "dtype" in inspect.signature(fn.__call__).parameters
    except (TypeError, ValueError):
        return False


def _is_floatlike(a) -> bool:
    dt = np.asarray(a).dtype if not hasattr(a, "dtype") else np.dtype(a.dtype)
    return np.issubdtype(dt, np.floating) or dt == np.float64


def _as_shape(shape, argname) -> tuple:
    if isinstance(shape, int):
        shape = (shape,)
    try:
        out = tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"`{argname}` must be a tuple of ints or None, received: {shape!r}") from None
    return out


_PLACEHOLDER_DIMS = (83, 89, 97, 101, 103)


def _infer_output_shape(layer: Layer, input_shape, kwargs):
    """Shape inference by abstract evaluation, substituting placeholders for None dims."""
    used = iter(_PLACEHOLDER_DIMS)
    mapping = {}

    def concrete(shape):
        out = []
        for d in shape:
            if d is None:
                p = next(used)
                mapping[p] = None
                out.append(p)
            else:
                out.append(d)
        return jax.ShapeDtypeStruct(tuple(out), jnp.float32)

    is_shape = lambda s: isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)
    specs = jax.tree_util.tree_map(concrete, input_shape, is_leaf=is_shape)
    layer._maybe_build(input_shape)
    params = layer.current_params()

    def run(p, x):
        ctx = CallContext(training=False, rng=jax.random.PRNGKey(0))
        if layer.stateful:
            ctx.state_in[layer._state_key] = layer.initial_state(jax.tree_util.tree_leaves(x)[0].shape[0])
        return layer.call(p, x, ctx, **kwargs)

    out = jax.eval_shape(run, params, specs)
    return jax.tree_util.tree_map(lambda s: tuple(mapping.get(d, d) if d in mapping else d for d in s.shape), out)
