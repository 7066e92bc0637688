"""How a layer is called: the one call path of `Layer` (symbolic, eager, nested, traced).

`layer(...)` on symbolic tensors records a node (`input_layer.symbolic_call`); on arrays it
builds the layer and runs `apply`. `apply(params, inputs, ctx, *args, **kwargs)` is the one way a
layer runs, pure in `params`: a built-in layer's `call(params, inputs, ctx, ...)` gets the values
directly; a Keras-style `call(self, inputs, ...)` runs under a value scope, so `self.w` reads
the value given in `params` (a traced one inside a compiled step).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.layers import remat, shape_inference, tensor_masks
from lstmkit.layers.context import CallContext, with_overrides
from lstmkit.layers.variables import Variable, current_scope, value_scope


_name_scopes: list = []  # the paths of the Keras-style layers whose build or call is running


@contextlib.contextmanager
def name_scope(layer):
    """Layers built inside `layer`'s build or call get paths under its own, as in Keras
    ('outer/inner', and their weights 'outer/inner/kernel')."""
    _name_scopes.append(layer.path)
    try:
        yield
    finally:
        _name_scopes.pop()


def path_for(name) -> str:
    return f"{_name_scopes[-1]}/{name}" if _name_scopes else name


class CallMixin:
    """The calling half of `Layer` (see the module docstring)."""

    @property
    def path(self) -> str:
        """Keras's path of the layer: its name, under the layers it was built inside."""
        return self.__dict__.get("_path") or self.name

    @classmethod
    def _keras_style(cls) -> bool:
        """True when `call` is written the Keras way, `call(self, inputs, ...)`."""
        cached = cls.__dict__.get("_keras_style_cache")
        if cached is None:
            names = list(inspect.signature(cls.call).parameters)
            cached = not (len(names) >= 2 and names[1] == "params")
            type.__setattr__(cls, "_keras_style_cache", cached)
        return cached

    # ----------------------------------------------------------------- call-context arguments
    @property
    def _call_context_args(self) -> frozenset:
        return frozenset({"training"} | set(self.__dict__.get("_context_arg_names", ())))

    def _register_call_context_args(self, *names):
        """Keras's call-context arguments: given to this layer's call, they reach the nested layers
        that registered the same names (unless passed to them explicitly), like `training`."""
        if self.__dict__.get("_called"):
            raise RuntimeError("Cannot add call-context args after the layer has been called.")
        object.__setattr__(self, "_context_arg_names", tuple(self.__dict__.get("_context_arg_names", ())) + names)

    # ----------------------------------------------------------------- running
    def apply(self, params, inputs, ctx, *args, mask=None, **kwargs):
        """The one way a layer runs: pure in `params`; returns (outputs, output_mask).

        `args` are further positional inputs (`layer(a, b)`); `training` (and registered call-context
        arguments) in kwargs override the context's for this layer and those it calls.
        """
        training = kwargs.pop("training", None)
        own = {k: kwargs.pop(k) for k in list(kwargs) if k in self._call_context_args}
        if training is not None or own:
            ctx = with_overrides(ctx, training, own)
        for name in self._call_context_args - {"training"}:
            if name in ctx.context_args and self._call_accepts(name):
                kwargs[name] = ctx.context_args[name]
        if mask is not None and not self.supports_masking and not self._call_accepts("mask"):
            _warn_mask_dropped(self, mask)
        run = functools.partial(self._dispatch_call, mask=mask, training=training)
        if self.__dict__.get("_remat_mode") is not None:
            outputs = remat.call_rematerialized(self, run, params, inputs, ctx, args, kwargs)
        else:
            outputs = run(params, inputs, ctx, args, kwargs)
        if self.activity_regularizer is not None:
            for out in jax.tree_util.tree_leaves(outputs):
                loss = self.activity_regularizer(out)
                if out.ndim > 0:  # Keras: the mean over the batch (0 for an empty batch)
                    loss = loss / out.shape[0] if out.shape[0] else jnp.zeros_like(loss)
                ctx.losses.append(loss)
                self._losses.append(loss)
        return outputs, self.compute_mask(inputs, mask)

    def _dispatch_call(self, params, inputs, ctx, args, kwargs, mask=None, training=None):
        kwargs = dict(kwargs)
        if self._keras_style():
            return self._call_keras_style(params, inputs, ctx, args, mask, training, kwargs)
        if mask is not None and self._call_accepts("mask"):
            kwargs["mask"] = mask
        if training is not None and self._call_accepts("training"):
            kwargs["training"] = training
        return self.call(params, inputs, ctx, *args, **kwargs)

    def rematerialized_call(self, layer_call, *args, **kwargs):
        """Keras's: `layer_call`, rematerialized as this layer's RematScope mode says (unchanged without one)."""
        return remat.rematerialized_call(self, layer_call)

    def _call_keras_style(self, params, inputs, ctx, args, mask, training, kwargs):
        if mask is not None and self._call_accepts("mask"):
            kwargs["mask"] = mask
        if self._call_accepts("training"):
            if training is not None:
                kwargs["training"] = bool(training)
            elif not getattr(ctx, "_eager_default", False):
                kwargs["training"] = ctx.training
        object.__setattr__(self, "_in_call", True)  # a built layer adds no state while it runs
        try:
            with value_scope(self._bind_params(params), ctx) as scope, name_scope(self):
                outputs = self.call(inputs, *args, **kwargs)
        finally:
            object.__setattr__(self, "_in_call", False)
        # Assigned variables: seen by the rest of an enclosing call, else handed to whoever runs it.
        if scope.parent is not None:
            scope.parent.values.update(scope.updates)
            scope.parent.updates.update(scope.updates)
        ctx.updates.update(scope.updates)
        return _to_arrays(outputs)

    @classmethod
    def _call_parameters(cls) -> tuple:
        """The names of `call`'s parameters (after self), read once per class."""
        cached = cls.__dict__.get("_call_parameters_cache")
        if cached is None:
            cached = tuple(inspect.signature(cls.call).parameters)[1:]
            type.__setattr__(cls, "_call_parameters_cache", cached)
        return cached

    def _call_accepts(self, name: str) -> bool:
        return name in self._call_parameters()

    # ----------------------------------------------------------------- layer(...)
    def __call__(self, *args, **kwargs):
        from lstmkit.layers.input_layer import KerasTensor, symbolic_call

        if not args:  # the inputs given by name, e.g. layer(inputs=x) or layer(x1=a, x2=b)
            first = self._first_call_argument()
            if first not in kwargs:
                raise TypeError(f"{type(self).__name__}() was called without inputs.")
            args = (kwargs.pop(first),)
        inputs, args = args[0], args[1:]
        _check_positional(args, self)
        object.__setattr__(self, "_called", True)
        leaves = jax.tree_util.tree_leaves((inputs, args, kwargs), is_leaf=lambda t: isinstance(t, KerasTensor))
        if any(isinstance(t, KerasTensor) for t in leaves):
            return symbolic_call(self, inputs, args, kwargs)
        return self._run_on_values(inputs, args, kwargs)

    def _first_call_argument(self) -> str:
        names = self._call_parameters()
        return names[0] if self._keras_style() and names else "inputs"

    def _run_on_values(self, inputs, args, kwargs):
        """A call on arrays: eagerly, or inside an enclosing (possibly traced) call."""
        training = kwargs.pop("training", None)
        mask = kwargs.pop("mask", None)
        to_array = lambda a: (a.value if isinstance(a, Variable) else a if a is None else
                              jnp.asarray(a, dtype=jnp.float32) if _is_floatlike(a) else jnp.asarray(a))
        is_var = lambda a: isinstance(a, Variable)
        inputs = jax.tree_util.tree_map(to_array, inputs, is_leaf=is_var)
        args = jax.tree_util.tree_map(to_array, args, is_leaf=is_var)
        shape_of = lambda t: jax.tree_util.tree_map(lambda a: tuple(a.shape), t)
        shapes = shape_of(inputs)
        if hasattr(self, "_check_input_shape"):
            self._check_input_shape(shapes)
        with jax.ensure_compile_time_eval():
            self._maybe_build(shapes, *[shape_of(a) for a in args], **_tensor_kwarg_shapes(kwargs))
        if mask is None:  # the mask the inputs carry from the layer that made them
            mask = tensor_masks.input_mask(inputs)
        if self._keras_style():  # Keras's `x1_mask=`, `x2_mask=` for call(self, x1, x2, ...)
            names = self._call_parameters()
            given = {**dict(zip(names, (inputs,) + tuple(args))), **kwargs}
            for name in names:
                if f"{name}_mask" in names and kwargs.get(f"{name}_mask") is None and given.get(name) is not None:
                    kwargs[f"{name}_mask"] = tensor_masks.input_mask(given[name])
        scope = current_scope()
        if scope is not None:  # inside another layer's call: its context, its traced values
            out, out_mask = self.apply(self.current_params(), inputs, scope.ctx, *args, mask=mask, training=training,
                                       **kwargs)
            shape_inference.record(self, out)
            tensor_masks.attach(out, out_mask)
            return out
        if self.stateful:
            self._ensure_states(jax.tree_util.tree_leaves(inputs)[0].shape[0])
        ctx = CallContext(training=bool(training), state_in=self._collect_states())
        ctx._eager_default = training is None  # a Keras-style call keeps its own `training` default
        self._clear_losses()
        out, out_mask = self.apply(self.current_params(), inputs, ctx, *args, mask=mask, training=training, **kwargs)
        tensor_masks.attach(out, out_mask)
        self._assign_states(ctx.state_out)
        if ctx.updates:
            variables = {v.key: v for v in self._all_variables()}
            for key, value in ctx.updates.items():
                if key in variables:
                    variables[key]._value = value
        return out

    def stateless_call(self, trainable_variables, non_trainable_variables, *args, return_losses=False,
                       **kwargs):
        """Keras 3's pure call: the given values stand for `trainable_variables` / `non_trainable_variables`
        (in those orders); returns (outputs, new non-trainable values[, losses]) and changes nothing."""
        mine_t, mine_n = self.trainable_variables, self.non_trainable_variables
        if len(trainable_variables) != len(mine_t) or len(non_trainable_variables) != len(mine_n):
            raise ValueError(
                f"stateless_call() of layer '{self.name}' expects {len(mine_t)} trainable and {len(mine_n)} "
                f"non-trainable values; received {len(trainable_variables)} and {len(non_trainable_variables)}.")
        values = {v.key: jnp.asarray(getattr(a, "value", a)) for v, a in zip(mine_t, trainable_variables)}
        values.update({v.key: jnp.asarray(getattr(a, "value", a)) for v, a in zip(mine_n, non_trainable_variables)})
        training = kwargs.pop("training", None)
        ctx = CallContext(training=bool(training))
        ctx._eager_default = training is None
        inputs, rest = args[0], args[1:]
        with value_scope(values, ctx) as scope:
            out, _ = self.apply(self.current_params(), inputs, ctx, *rest, training=training, **kwargs)
        updated = {**scope.updates, **ctx.updates}
        new_non_trainable = [updated.get(v.key, values[v.key]) for v in mine_n]
        if return_losses:  # add_loss terms, then the weights' regularization (as `layer.losses`)
            regularization = [v.regularizer(values[v.key]) for v in self.weights if v.regularizer is not None]
            return out, new_non_trainable, list(ctx.losses) + regularization
        return out, new_non_trainable

    def compute_output_spec(self, *args, **kwargs):
        """Keras 3: the symbolic outputs (KerasTensors) a call on these symbolic inputs would give."""
        from lstmkit.layers.input_layer import output_tensors

        return output_tensors(self, args[0], args[1:], kwargs)


def _warn_mask_dropped(layer, mask):
    """Keras's warning when a mask reaches a layer that cannot pass it on (said once per layer here:
    a compiled program traces the layer more than once)."""
    if layer.__dict__.get("_mask_warned") or all(m is None for m in jax.tree_util.tree_leaves(
            mask, is_leaf=lambda m: m is None)):
        return
    object.__setattr__(layer, "_mask_warned", True)
    warnings.warn(f"Layer '{layer.name}' (of type {type(layer).__name__}) was passed an input with a mask attached "
                  "to it. However, this layer does not support masking and will therefore destroy the mask "
                  "information. Downstream layers will not see the mask.", stacklevel=3)


def _is_floatlike(a) -> bool:
    dt = np.asarray(a).dtype if not hasattr(a, "dtype") else np.dtype(a.dtype)
    return np.issubdtype(dt, np.floating)


def _is_tensor(x) -> bool:
    from lstmkit.layers.input_layer import KerasTensor

    return x is None or isinstance(x, (KerasTensor, np.ndarray, jax.Array, Variable, np.generic))


def _check_positional(args, layer):
    """Keras's rule: positional arguments after the first are tensors; options go by keyword."""
    for a in args:
        for leaf in jax.tree_util.tree_leaves(a, is_leaf=lambda t: t is None or isinstance(t, Variable)):
            if not _is_tensor(leaf):
                raise ValueError(
                    f"Only input tensors may be passed as positional arguments to {type(layer).__name__}. The "
                    f"following argument value should be passed as a keyword argument: {leaf!r} "
                    f"(of type {type(leaf)})")


def _tensor_kwarg_shapes(kwargs) -> dict:
    out = {}
    for k, v in kwargs.items():
        leaves = jax.tree_util.tree_leaves(v)
        if leaves and all(isinstance(t, (np.ndarray, jax.Array)) for t in leaves):
            out[k] = jax.tree_util.tree_map(lambda a: tuple(a.shape), v)
    return out


def _to_arrays(outputs):
    """A Keras-style call may return a weight itself; the graph carries arrays."""
    return jax.tree_util.tree_map(lambda t: t.value if isinstance(t, Variable) else t, outputs,
                                  is_leaf=lambda t: isinstance(t, Variable))


def also_keras_callable(pure_call):
    """A built-in layer's pure `call(params, inputs, ctx, ...)` that a user's subclass can also reach the
    Keras way, `super().call(inputs, ...)`: the weights then come from the enclosing value scope."""

    @functools.wraps(pure_call)
    def call(self, *args, **kwargs):
        if len(args) >= 3 and isinstance(args[2], CallContext) or "ctx" in kwargs or not args:
            return pure_call(self, *args, **kwargs)
        scope = current_scope()
        ctx = scope.ctx if scope is not None else CallContext()
        if kwargs.get("training") is not None:
            # `super().call(x, training=True)`: the flag reaches the built-in through its context, whether
            # or not its pure call takes `training` (Dropout reads `ctx.training`).
            ctx = with_overrides(ctx, kwargs["training"])
        params = inspect.signature(pure_call).parameters
        for name in ("training", "mask"):
            if name not in params or kwargs.get(name) is None:
                kwargs.pop(name, None)
        return pure_call(self, self.current_params(), args[0], ctx, *args[1:], **kwargs)

    return call
