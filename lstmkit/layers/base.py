"""The Layer base class, layer weights (`Variable`) and the call context.

A layer owns its weights as `Variable` objects (as in Keras), but its
computation is a pure function: `call(params, inputs, ctx, **kwargs)` receives
the weight *values* in `params` (a dict: weight name -> array, plus one nested
dict per sub-layer), so the same code runs eagerly on arrays and inside
`jax.jit` / `lax.scan` during training.
"""

from __future__ import annotations

import functools
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

from lstmkit.layers.calling import CallMixin, also_keras_callable
from lstmkit.layers import remat as remat_mod
from lstmkit.layers.facts import LayerFacts
from lstmkit.layers.context import CallContext, with_overrides  # noqa: F401  (re-exported)
from lstmkit.layers.variables import Variable, current_scope, value_scope  # noqa: F401  (re-exported)

_uid_counters: dict[str, itertools.count] = {}


def unique_name(prefix: str) -> str:
    """Keras-style auto names: 'lstm', 'lstm_1', 'lstm_2', ..."""
    counter = _uid_counters.setdefault(prefix, itertools.count())
    n = next(counter)
    return prefix if n == 0 else f"{prefix}_{n}"


def reset_uids():
    """Start the automatic names again ('lstm', 'dense', ...): Keras's `clear_session()`."""
    _uid_counters.clear()


def snake_case(name: str) -> str:
    """Keras's rule for default layer names: 'SimpleRNN' -> 'simple_rnn', 'Conv1D' -> 'conv1d'."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Layer(CallMixin, LayerFacts):
    """Base class of all layers.

    Two ways to write a layer's computation, both run by `apply`:

    - Keras's: `build(input_shape)` creates weights with `self.w = self.add_weight(...)`,
      and `call(self, inputs, *args, training=None, mask=None)` uses `self.w` as an array.
      Sub-layers and weights assigned as attributes (also in lists and dicts) are tracked.
      While the call is traced, `self.w` reads the traced value (a value scope).
    - lstmkit's built-in layers: `call(self, params, inputs, ctx, ...)`, pure, with the
      weight values in `params` (weight name -> array, one dict per sub-layer).

    `compute_output_shape` is optional: by default the output shape is found by
    tracing `call` abstractly. Layers that pass a mask on set `supports_masking = True`.
    """

    supports_masking = False

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        # Keras 3's automatic config for users' layers: the arguments they were created with.
        if not _is_lstmkit_class(cls):
            object.__setattr__(obj, "_auto_config", tracking.constructor_arguments(cls, args, kwargs))
        return obj

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
        if not isinstance(trainable, (bool, np.bool_)):
            raise ValueError(f"Expected `trainable` to be a boolean. Received: trainable={trainable} "
                             f"(of type {type(trainable)})")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}(name=...) must be a string; received {name!r}.")
        if input_shape is None and input_dim is not None:
            # Keras 2 legacy: `input_dim` (and `input_length` for sequences).
            input_shape = (input_length, input_dim) if input_length is not None or self._sequence_input() else (input_dim,)
        tracking.ensure_tracking(self)
        self._batch_input_shape = None
        if batch_input_shape is not None:
            self._batch_input_shape = _as_shape(batch_input_shape, "batch_input_shape")
        elif input_shape is not None:
            self._batch_input_shape = (_as_batch_size(batch_size),) + _as_shape(input_shape, "input_shape")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = _check_dtype(dtype, type(self).__name__)
        self.activity_regularizer = regularizers_mod.get(activity_regularizer)
        self.built = False
        self.stateful = getattr(self, "stateful", False)
        self._state_key = f"state_{id(self)}"
        self._inbound_nodes: list = []
        self._losses: list = []
        self._remat_mode = remat_mod.get_current_remat_mode()  # Keras: the RematScope the layer is made in

    @classmethod
    def _sequence_input(cls) -> bool:
        return False

    def __setattr__(self, name, value):
        if name in tracking._UNTRACKED or (type(value) in _PLAIN_TYPES
                                            and type(self.__dict__.get(name)) in _PLAIN_TYPES):
            object.__setattr__(self, name, value)  # nothing to track (the common case, kept cheap)
            return
        object.__setattr__(self, name, tracking.track_attribute(self, name, value))

    def __delattr__(self, name):
        tracking.untrack_attribute(self, name)
        object.__delattr__(self, name)

    # ----------------------------------------------------------------- weights
    def add_weight(self, *args, **kwargs):
        """Create a weight of this layer and return its `Variable`.

        Keras 3's signature, `add_weight(shape=None, initializer=None, dtype=None, trainable=True,
        autocast=True, regularizer=None, constraint=None, aggregation='none', name=None)`, and Keras 2's
        positional order `add_weight(name, shape, dtype, initializer, regularizer, trainable, constraint)`.
        `initializer` defaults to 'glorot_uniform' ('zeros' for integer dtypes); `name` to 'variable',
        'variable_1', ...
        """
        if (self.__dict__.get("_in_call") and self.built or self.__dict__.get("_state_locked")) \
                and not self.__dict__.get("_state_unlocked"):
            raise ValueError(f"You cannot add new elements of state (variables or sub-layers) to layer "
                             f"'{self.name}' once it is built: create its weights in `build` or `__init__`.")
        shape, initializer, dtype, trainable, name, regularizer, constraint = \
            weight_arguments.parse(self.name, args, kwargs)
        value = weight_arguments.initial_value(initializer, shape, dtype, name, self.name)
        var = Variable(value, name=name, trainable=bool(trainable),
                       regularizer=regularizers_mod.get(regularizer),
                       constraint=constraints_mod.get(constraint), layer=self)
        var._param_name = tracking.unique_param_name(self, name)
        self._vars.append(var)
        return var

    def _track(self, attr: str, layer: "Layer"):
        """A built-in wrapper names its sub-layer's slot of the params dict (e.g. 'forward_layer')."""
        tracking.track_sublayer(self, attr, layer)
        return layer

    def _all_variables(self) -> list[Variable]:
        # Keras's order: own trainable weights, own non-trainable weights, then the sub-layers'.
        out = [v for v in self._vars if v._trainable] + [v for v in self._vars if not v._trainable]
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
        # A frozen layer has no trainable weights, whatever its sub-layers say (as Keras's).
        return [v for v in self.weights if v.trainable] if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [v for v in self.weights if not v.trainable] if self.trainable else self.weights

    # Keras 3's `*_variables`: the weights, and (non-trainable) the states of the layer's SeedGenerators.
    trainable_variables = trainable_weights

    @property
    def variables(self) -> list[Variable]:
        return self.weights + self._seed_states()

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return self.non_trainable_weights + self._seed_states()

    @property
    def metrics(self) -> list:
        """The metrics this layer and its sub-layers keep as attributes (Keras's `layer.metrics`)."""
        out = list(self.__dict__.get("_metrics", ()))
        for sub in self._sublayers.values():
            out.extend(sub.metrics)
        return out

    @property
    def metrics_variables(self) -> list:
        return [v for m in self.metrics for v in m.variables]

    def _seed_states(self) -> list[Variable]:
        out = [g.state for g in self.__dict__.get("_seed_generators", ())]
        for sub in self._sublayers.values():
            out.extend(s for s in sub._seed_states() if all(s is not o for o in out))
        return out

    # Keras's private views that users' code and Keras's tests read.
    @property
    def _layers(self) -> list["Layer"]:
        return list(self._sublayers.values())

    @property
    def _trainable_variables(self) -> list[Variable]:
        return [v for v in self._vars if v._trainable]

    @property
    def _non_trainable_variables(self) -> list[Variable]:
        return [v for v in self._vars if not v._trainable]

    def save_own_variables(self, store):
        """Keras 3's: this layer's own variables into `store` (a dict-like), under '0', '1', ..."""
        for i, v in enumerate(self.keras_own_variables()):
            store[str(i)] = np.asarray(v.value)

    def load_own_variables(self, store):
        """Keras 3's: this layer's own variables from `store` ('0', '1', ... or 0, 1, ...), all checked first."""
        mine = self.keras_own_variables()
        keys = sorted(store.keys(), key=lambda k: int(k))
        if len(keys) != len(mine):
            raise ValueError(f"Layer '{self.name}' expected {len(mine)} variables, but received {len(keys)} "
                             "variables during loading. Expected: " + str([v.name for v in mine]))
        values = [np.asarray(store[k]) for k in keys]
        for v, value in zip(mine, values):
            if tuple(value.shape) != v.shape:
                raise ValueError(f"Layer '{self.name}': variable '{v.name}' has shape {v.shape}, but the value "
                                 f"loaded for it has shape {tuple(value.shape)}.")
        for v, value in zip(mine, values):
            v.assign(value)

    @property
    def _tracker(self):
        """Keras's state tracker: `unlock()` lets a built layer add weights again, `lock()` stops it."""
        return _StateLock(self)

    def _untrack_variable(self, variable):
        """Stop treating `variable` as one of this layer's weights."""
        self._vars[:] = [v for v in self._vars if v is not variable]

    @property
    def layers(self) -> list["Layer"]:
        """The sub-layers this layer tracks, in the order they were assigned."""
        return list(self._sublayers.values())

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool):
        self._trainable = bool(value)
        for sub in self._sublayers.values():
            sub.trainable = value

    # Keras 3's dtype-policy views (a user's call casts to `self.compute_dtype`): float32 throughout.
    @property
    def compute_dtype(self) -> str:
        return self.dtype

    @property
    def variable_dtype(self) -> str:
        return self.dtype

    def get_weights(self) -> list[np.ndarray]:
        return [np.array(v.value) for v in self.weights]

    def set_weights(self, weights):
        mine = self.weights
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(
                f"Layer '{self.name}' expects {len(mine)} weights, but set_weights() received "
                f"{len(weights)}. Expected shapes: {[v.shape for v in mine]}; received shapes: "
                f"{[tuple(np.shape(w)) for w in weights]}."
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
        p = {v._param_name: values[v.key] for v in self._vars}
        for attr, sub in self._sublayers.items():
            p[attr] = sub.gather_params(values)
        return p

    def _bind_params(self, params: dict, out: dict | None = None) -> dict:
        """The inverse of `gather_params`: Variable.key -> value, for a value scope."""
        out = {} if out is None else out
        # Weights made after `params` was gathered (a layer built during this call) keep their own values.
        for v in self._vars:
            if v._param_name in params:
                out[v.key] = params[v._param_name]
        for attr, sub in self._sublayers.items():
            if attr in params:
                sub._bind_params(params[attr], out)
        return out

    def current_params(self) -> dict:
        return self.gather_params({v.key: v.value for v in self._all_variables()})

    # ----------------------------------------------------------------- losses
    def add_loss(self, loss):
        """Add a scalar to the training loss (Keras's `add_loss`), from inside `call`."""
        scope = current_scope()
        value = jnp.asarray(loss.value if isinstance(loss, Variable) else loss, jnp.float32)
        if value.ndim:
            value = jnp.sum(value)
        if scope is not None:
            scope.ctx.losses.append(value)
        self._losses.append(value)

    @property
    def losses(self) -> list:
        """Losses of the last call (`add_loss`, activity regularizers) and the weights' regularization,
        this layer's and its sub-layers' (as Keras's `layer.losses`)."""
        out = [l for l in self._losses if not isinstance(l, jax.core.Tracer)]
        for v in self._vars:
            if v.regularizer is not None:
                out.append(v.regularizer(v.value))
        for sub in self._sublayers.values():
            out.extend(sub.losses)
        return out

    def _clear_losses(self):
        self._losses = []
        for sub in self._sublayers.values():
            sub._clear_losses()

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

    def _maybe_build(self, input_shape, *arg_shapes, **kwarg_shapes):
        if not self.built:
            if calling._name_scopes and "_path" not in self.__dict__:
                object.__setattr__(self, "_path", calling.path_for(self.name))
            with calling.name_scope(self):
                build_arguments.build(self, input_shape, arg_shapes, kwarg_shapes)
            if not _is_lstmkit_class(type(self)):  # Keras locks a user's layer once built
                object.__setattr__(self, "_state_locked", True)
            self.built = True
            self._build_shape = input_shape  # Keras's `build_config` in saved files

    def _build_at_init(self):
        """Keras's: a layer without a `build` of its own is built at once."""
        if type(self).build is Layer.build:
            self.built = True

    def compute_output_shape(self, input_shape, **kwargs):
        """Default: trace `call` abstractly (no compute)."""
        if type(self).call is Layer.call:
            raise NotImplementedError(f"Layer {type(self).__name__} does not have a `compute_output_shape` method "
                                      "implemented.")
        return shape_inference.infer_output_shape(self, (input_shape,), kwargs)

    def compute_mask(self, inputs, mask=None):
        return mask if self.supports_masking else None

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `call` method implemented.")

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
        user_classes = [k for k in type(self).__mro__ if not _is_lstmkit_class(k) and k is not object]
        if user_classes and not any("get_config" in k.__dict__ for k in user_classes):
            # A user's layer without its own get_config: Keras's automatic config from its arguments.
            config = tracking.auto_config(self, config)
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

    # ----------------------------------------------------------------- registration
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # lstmkit's own classes load by name; a user's only when registered or given in custom_objects.
        if cls.__module__.split(".")[0] == "lstmkit":
            from lstmkit import _object_registration

            _object_registration.register_builtin(cls)
            if "call" in cls.__dict__ and not cls._keras_style():
                cls.call = also_keras_callable(cls.__dict__["call"])


# Attribute values that hold no layers or weights (no tracking needed when set).
_PLAIN_TYPES = frozenset({bool, int, float, str, type(None), np.float32, np.float64, np.int32, np.int64})


class _StateLock:
    def __init__(self, layer):
        self.layer = layer

    def lock(self):
        object.__setattr__(self.layer, "_state_unlocked", False)

    def unlock(self):
        object.__setattr__(self.layer, "_state_unlocked", True)


def dtype_policy_config(name="float32") -> dict:
    """Keras 3's serialized DTypePolicy, the `dtype` entry of every layer config."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}


def _with_training(ctx, training):
    """A view of `ctx` with `training` overridden (e.g. `Dropout(...)(x, training=True)`)."""
    return with_overrides(ctx, training)


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


def _as_shape(shape, argname) -> tuple:
    """A shape argument as a tuple of non-negative ints and None, checked as Keras 3's `standardize_shape`
    (a float, even 2.0, a string or a negative size is refused), naming the argument and the dimension."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(f"`{argname}` must be a tuple of ints or None, received: {shape!r}") from None
    out = []
    for i, d in enumerate(dims):
        if d is None:
            out.append(None)
            continue
        if isinstance(d, (bool, str, float, np.floating)) or not isinstance(d, (int, np.integer)):
            raise ValueError(f"Cannot convert '{dims}' to a shape. Found invalid dimension '{d}' of type "
                             f"'{type(d)}' (`{argname}`, position {i}): sizes are integers or None.")
        if d < 0:
            raise ValueError(f"Cannot convert '{dims}' to a shape. Negative dimensions are not allowed "
                             f"(`{argname}`, position {i} is {d}).")
        out.append(int(d))
    return tuple(out)


def _as_batch_size(batch_size, argname="batch_size"):
    """A `batch_size` argument: None or an integer >= 0 (Keras 3 checks it as the first dimension of a shape)."""
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 0:
        raise ValueError(f"`{argname}` must be an integer >= 0 or None (it is the first dimension of the batch "
                         f"shape); received {argname}={batch_size!r}.")
    return int(batch_size)


def _is_lstmkit_class(cls) -> bool:
    return cls.__module__.split(".")[0] == "lstmkit"


from lstmkit.layers import build_arguments, calling, shape_inference, tracking, weight_arguments  # noqa: E402,I001

_accepts_dtype = weight_arguments.accepts_dtype  # noqa: E305  (older imports of this name)
