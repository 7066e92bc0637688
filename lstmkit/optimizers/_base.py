"""The optimizer base class: Keras 3's arguments and update order as an optax transformation.

An optimizer object holds hyperparameters only. `opt.transformation()` returns an
`optax.GradientTransformation` whose state (`OptimizerState`) carries everything
that changes during training: the step count, the learning rate, the
per-variable slots (momenta, ...), gradient accumulators and EMA averages. One
`tx.update` reproduces one Keras 3 `optimizer.apply(grads)` on the JAX backend:

1. gradients divided by `loss_scale_factor`;
2. gradient accumulation (every `gradient_accumulation_steps`-th call updates
   with the mean of the accumulated gradients; the others leave weights and
   slots unchanged);
3. clipping (`clipnorm` per variable, `global_clipnorm`, or `clipvalue`);
4. weight decay, `var -= var * weight_decay * lr`, before the update;
5. the optimizer's own update rule;
6. the EMA of the weights and, every `ema_overwrite_frequency` steps, the
   weights overwritten with it.

The learning rate lives in the state, so changing it between compiled calls
(`set_state_learning_rate`) never retraces; a `LearningRateSchedule` is
evaluated on the state's step count inside the compiled program.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lstmkit.optimizers import schedules as schedules_mod
from lstmkit.optimizers._naming import auto_name

_F32 = jnp.float32
_tree_map = jax.tree_util.tree_map

# Keys of older Keras configs that carry no meaning for training here.
_IGNORED_CONFIG_KEYS = ("is_legacy_optimizer", "jit_compile")


class OptimizerState(NamedTuple):
    """The optax state of every lstmkit optimizer."""

    iterations: Any  # int32 scalar: updates applied so far (Keras's raw `_iterations`)
    learning_rate: Any  # float32 scalar: the base learning rate when it is not a schedule
    slots: Any  # dict name -> pytree like params (momenta, ...) or scalar (Nadam's u_product)
    accumulators: Any  # gradient accumulators (pytree like params) or ()
    ema: Any  # EMA of the weights (pytree like params) or ()


def _f32_scalar(value):
    return jax.device_put(np.asarray(value, np.float32))  # a transfer: no eager XLA program


def _host_zeros(params):
    return _tree_map(lambda p: np.zeros(np.shape(p), p.dtype), params)


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def _last_key(path) -> str:
    """The string key of a pytree leaf: its last dict key / attribute / index."""
    if not path:
        return ""
    k = path[-1]
    for attr in ("key", "name", "idx"):
        if hasattr(k, attr):
            return str(getattr(k, attr))
    return str(k)


def _path_str(path) -> str:
    return "/".join(_last_key((k,)) for k in path)


class Optimizer:
    """Base class of lstmkit's optimizers (Keras 3's `keras.optimizers.Optimizer` arguments).

    Subclasses define `_init_slots(params)` and `_update(grads, params, slots, lr, iterations)`
    returning `(delta, new_slots)` where `delta` is added to the weights (or, for
    `_assigns_weights = True`, is the new weights).
    """

    _assigns_weights = False

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if "lr" in kwargs:
            warnings.warn(
                "The `lr` argument is deprecated, use `learning_rate` instead.", DeprecationWarning, stacklevel=3
            )
            learning_rate = kwargs.pop("lr")
        decay = kwargs.pop("decay", None)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if decay is None:
            decay = 0.0
        if not _is_number(decay) or decay < 0:
            raise ValueError(f"Argument `decay` must be a float >= 0 (Keras 2's inverse-time decay); received decay={decay!r}.")
        # Keras 2 semantics: lr_t = lr / (1 + decay * iterations).
        self.decay = float(decay)

        self.name = name if name is not None else auto_name(self.__class__.__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        for arg in ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "loss_scale_factor"):
            v = getattr(self, arg)
            if v is not None and not _is_number(v):
                raise ValueError(f"Argument `{arg}` must be a float or None; received {arg}={v!r}.")
        if loss_scale_factor is not None and loss_scale_factor == 0:
            raise ValueError("Argument `loss_scale_factor` must not be 0.")
        if gradient_accumulation_steps:
            if not (isinstance(gradient_accumulation_steps, (int, np.integer)) and gradient_accumulation_steps >= 2):
                raise ValueError(
                    "`gradient_accumulation_steps` must be an integer >= 2. "
                    f"Received: gradient_accumulation_steps={gradient_accumulation_steps}"
                )
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, (int, np.integer)) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. "
                    f"Received: ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self._learning_rate = self._check_learning_rate(learning_rate)
        self._iterations = 0  # Keras's `optimizer.iterations` (host copy, set by the engine)
        self._raw_iterations = 0  # updates applied, counting accumulation steps (what schedules see)
        self._exclude_keys: set = set()
        self._exclude_pattern = None
        self._tx_created = False

    # ------------------------------------------------------------------ learning rate
    @staticmethod
    def _check_learning_rate(learning_rate):
        if isinstance(learning_rate, schedules_mod.LearningRateSchedule):
            return learning_rate
        if _is_number(learning_rate):
            return float(learning_rate)
        if isinstance(learning_rate, (np.ndarray, jax.Array)) and np.ndim(learning_rate) == 0:
            return float(learning_rate)
        if callable(learning_rate):
            return learning_rate
        raise ValueError(
            "Argument `learning_rate` should be float, or an instance of LearningRateSchedule, or a callable "
            f"(that takes in the current iteration value and returns the corresponding learning rate value). "
            f"Received instead: learning_rate={learning_rate!r}"
        )

    @property
    def learning_rate(self):
        """The current learning rate as a float (a schedule is evaluated at the current step)."""
        lr = self._learning_rate
        if isinstance(lr, schedules_mod.LearningRateSchedule):
            return float(np.asarray(lr(self._raw_iterations)))
        if callable(lr):
            return float(np.asarray(lr()))
        return float(np.float32(lr))

    @learning_rate.setter
    def learning_rate(self, value):
        is_schedule = isinstance(value, schedules_mod.LearningRateSchedule)
        if isinstance(self._learning_rate, schedules_mod.LearningRateSchedule) and not is_schedule:
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` constructor "
                "argument, hence its learning rate is not settable. If you need the learning rate to be settable, "
                "you should instantiate the optimizer with a float `learning_rate` argument."
            )
        value = self._check_learning_rate(value)
        if self._tx_created and (
            isinstance(value, schedules_mod.LearningRateSchedule)
            != isinstance(self._learning_rate, schedules_mod.LearningRateSchedule)
        ):
            raise TypeError(
                "Cannot switch this optimizer between a float learning rate and a LearningRateSchedule after it "
                "was compiled; create a new optimizer (and compile again) instead."
            )
        if self._tx_created and isinstance(value, schedules_mod.LearningRateSchedule) and value is not self._learning_rate:
            raise TypeError(
                "Cannot replace the LearningRateSchedule of an optimizer after it was compiled; create a new "
                "optimizer (and compile again) instead."
            )
        self._learning_rate = value

    @property
    def lr(self):
        """Keras 2's alias of `learning_rate`."""
        warnings.warn("`optimizer.lr` is deprecated, use `optimizer.learning_rate`.", DeprecationWarning, stacklevel=2)
        return self.learning_rate

    @lr.setter
    def lr(self, value):
        warnings.warn("`optimizer.lr` is deprecated, use `optimizer.learning_rate`.", DeprecationWarning, stacklevel=2)
        self.learning_rate = value

    @property
    def iterations(self) -> int:
        """Keras's `optimizer.iterations`: updates applied (divided by the accumulation steps, if any)."""
        return self._iterations

    @iterations.setter
    def iterations(self, value):
        self._iterations = int(value)
        steps = self.gradient_accumulation_steps
        # Keep the schedules' step in line when the engine did not report the raw count.
        if not steps:
            self._raw_iterations = self._iterations
        elif self._raw_iterations // steps != self._iterations:
            self._raw_iterations = self._iterations * steps

    # ------------------------------------------------------------------ engine-facing state access
    def get_state_learning_rate(self, state) -> float:
        """The learning rate the next update will use as its base rate (a schedule's value at the state's step)."""
        lr = self._learning_rate
        if isinstance(lr, schedules_mod.LearningRateSchedule):
            return float(np.asarray(lr(state.iterations)))
        return float(np.asarray(state.learning_rate))

    def set_state_learning_rate(self, state, value):
        """A new state whose learning rate is `value` (a float); same structure and dtypes, so no retrace.

        With a `LearningRateSchedule` the rate comes from the schedule at the state's step;
        the state is returned unchanged.
        """
        if isinstance(self._learning_rate, schedules_mod.LearningRateSchedule):
            if isinstance(value, schedules_mod.LearningRateSchedule) and value is not self._learning_rate:
                raise TypeError("Cannot replace the LearningRateSchedule of a compiled optimizer.")
            return state
        if isinstance(value, schedules_mod.LearningRateSchedule):
            raise TypeError(
                "This optimizer's transformation was built for a float learning rate; it cannot take a "
                "LearningRateSchedule now. Create a new optimizer with the schedule."
            )
        if callable(value) and not _is_number(value):
            value = value()
        return state._replace(learning_rate=_f32_scalar(value))

    def get_state_iterations(self, state) -> int:
        """Keras's `optimizer.iterations` for this state (and remembers the raw count for schedules)."""
        raw = int(np.asarray(state.iterations))
        self._raw_iterations = raw
        steps = self.gradient_accumulation_steps
        return raw // steps if steps else raw

    def set_state_iterations(self, state, iterations: int):
        """A new state at Keras step `iterations` (e.g. when restoring a saved optimizer)."""
        steps = self.gradient_accumulation_steps
        raw = int(iterations) * steps if steps else int(iterations)
        return state._replace(iterations=jax.device_put(np.asarray(raw, np.int32)))

    def finalize_variable_values(self, state, params):
        """What Keras's fit does at the end of training: with `use_ema`, the weights become their EMA."""
        if not self.use_ema:
            return params
        return state.ema

    def scale_loss(self, loss):
        """Keras's `optimizer.scale_loss`: the loss times `loss_scale_factor` (the update divides it back out)."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # ------------------------------------------------------------------ weight decay exclusions
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude variables from weight decay: `var_list` of variables (or their param keys), or
        `var_names`, substrings (regular expressions) searched in each variable's name.

        Names come from `transformation(param_names={key: name})`; without it, from the param keys.
        """
        if self._tx_created:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        keys = set()
        for v in var_list or ():
            keys.add(str(getattr(v, "key", v)))
        self._exclude_keys = keys
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _decay_flags(self, params, param_names):
        """Per leaf: True when weight decay applies to it."""
        names = param_names or {}

        def flag(path, _):
            key = _last_key(path)
            if key in self._exclude_keys or _path_str(path) in self._exclude_keys:
                return False
            if self._exclude_pattern is not None:
                name = names.get(key, _path_str(path))
                if re.search(self._exclude_pattern, str(name)) is not None:
                    return False
            return True

        flags = jax.tree_util.tree_map_with_path(flag, params)
        if self._exclude_pattern is not None and not param_names:
            paths = [_path_str(p) for p, _ in jax.tree_util.tree_flatten_with_path(params)[0]]
            if not any(re.search(self._exclude_pattern, p) for p in paths):
                raise ValueError(
                    f"exclude_from_weight_decay(var_names=...) (pattern {self._exclude_pattern.pattern!r}) matched "
                    f"none of the parameters {paths[:8]}{'...' if len(paths) > 8 else ''}: the transformation "
                    "needs the variables' names, `transformation(param_names={key: name})`."
                )
        return flags

    # ------------------------------------------------------------------ subclass hooks
    def _init_slots(self, params) -> dict:
        return {}

    def _update(self, grads, params, slots, lr, iterations):
        raise NotImplementedError

    # ------------------------------------------------------------------ the transformation
    def _lr_in_graph(self, state):
        lr = self._learning_rate
        raw = state.iterations
        if isinstance(lr, schedules_mod.LearningRateSchedule):
            value = jnp.asarray(lr(raw)).astype(_F32)
        else:
            value = state.learning_rate
        if self.decay:
            value = value / (1.0 + jnp.asarray(self.decay, _F32) * raw.astype(_F32))
        return value

    def _clip(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            c = self.clipnorm

            def clip_one(g):
                l2sum = jnp.sum(jnp.square(g), keepdims=True)
                pred = l2sum > 0
                l2norm = jnp.where(pred, jnp.sqrt(jnp.where(pred, l2sum, jnp.ones_like(l2sum))), l2sum)
                return (g * jnp.asarray(c, g.dtype)) / jnp.maximum(l2norm, jnp.asarray(c, g.dtype))

            return _tree_map(clip_one, grads)
        if self.global_clipnorm and self.global_clipnorm > 0:
            c = self.global_clipnorm
            leaves = jax.tree_util.tree_leaves(grads)
            norm = jnp.sqrt(jnp.sum(jnp.stack([jnp.sum(jnp.square(g)) for g in leaves])))
            scale = c * jnp.minimum(1.0 / norm, 1.0 / c)
            scale = scale + (norm - norm)
            return _tree_map(lambda g: g * scale, grads)
        if self.clipvalue and self.clipvalue > 0:
            v = self.clipvalue
            return _tree_map(lambda g: jnp.clip(g, -v, v), grads)
        return grads

    def transformation(self, param_names=None) -> optax.GradientTransformation:
        """The optax transformation for this optimizer's settings (pure and jittable).

        `param_names` (optional) maps param keys to variable names, for
        `exclude_from_weight_decay(var_names=...)`.
        """
        self._tx_created = True
        names = dict(param_names) if param_names else None
        steps = self.gradient_accumulation_steps
        wd = self.weight_decay
        use_ema = bool(self.use_ema)
        ema_momentum = self.ema_momentum
        ema_freq = self.ema_overwrite_frequency
        scale = self.loss_scale_factor

        def init_fn(params):
            lr = self._learning_rate
            if isinstance(lr, schedules_mod.LearningRateSchedule):
                lr0 = 0.0
            elif callable(lr):
                lr0 = lr()
            else:
                lr0 = lr
            # Built on the host and transferred in one go: no eager XLA program per slot shape, and
            # device arrays like the ones the compiled step returns (so its dispatch cache sees one
            # argument signature).
            return jax.device_put(OptimizerState(
                iterations=np.zeros((), np.int32),
                learning_rate=np.asarray(lr0, np.float32),
                slots=self._init_slots(params),
                accumulators=_host_zeros(params) if steps else (),
                ema=_host_zeros(params) if use_ema else (),
            ))

        def update_fn(grads, state, params=None):
            if params is None:
                raise ValueError(f"{type(self).__name__}'s transformation needs `params`: call tx.update(grads, state, params).")
            raw = state.iterations
            grads = _tree_map(lambda g, p: jnp.asarray(g).astype(p.dtype), grads, params)
            if scale is not None:
                grads = _tree_map(lambda g: g / scale, grads)
            lr = self._lr_in_graph(state)
            new_acc = state.accumulators
            if steps:
                is_update = (raw + 1) % steps == 0
                new_acc = _tree_map(lambda g, a: jnp.where(is_update, jnp.zeros_like(a), g + a), grads, state.accumulators)
                grads = _tree_map(lambda g, a: jnp.where(is_update, (g + a) / steps, g), grads, state.accumulators)
                iterations = raw // steps
            else:
                iterations = raw
            grads = self._clip(grads)
            p_in = params
            if wd is not None:
                flags = self._decay_flags(params, names)
                p_in = _tree_map(
                    lambda p, use: p - p * jnp.asarray(wd, p.dtype) * lr.astype(p.dtype) if use else p, params, flags)
            out, new_slots = self._update(grads, p_in, state.slots, lr, iterations)
            simple = not (steps or use_ema or wd is not None or self._assigns_weights)
            if simple:
                updates = out
            else:
                new_params = out if self._assigns_weights else _tree_map(jnp.add, p_in, out)
                if steps:
                    new_params = _tree_map(lambda n, p: jnp.where(is_update, n, p), new_params, params)
                    new_slots = _tree_map(lambda n, s: jnp.where(is_update, n, s), new_slots, state.slots)
                new_ema = state.ema
                if use_ema:
                    not_first = (iterations != 0).astype(_F32)
                    momentum = not_first * ema_momentum
                    new_ema = _tree_map(lambda avg, v: momentum * avg + (1 - momentum) * v, state.ema, new_params)
                    if ema_freq is not None:
                        overwrite = ((iterations + 1) % ema_freq == 0).astype(jnp.int32)
                        keep = 1 - overwrite
                        new_params = _tree_map(lambda avg, v: avg * overwrite + v * keep, new_ema, new_params)
                updates = _tree_map(jnp.subtract, new_params, params)
                state = state._replace(ema=new_ema)
            return updates, state._replace(iterations=raw + 1, slots=new_slots, accumulators=new_acc)

        return optax.GradientTransformation(init_fn, update_fn)

    # ------------------------------------------------------------------ config
    def _hyper_config(self) -> dict:
        return {}

    def get_config(self) -> dict:
        lr = self._learning_rate
        if isinstance(lr, schedules_mod.LearningRateSchedule):
            lr_cfg = schedules_mod.serialize(lr)
        elif callable(lr):
            lr_cfg = float(np.float32(lr()))
        else:
            lr_cfg = float(np.float32(lr))
        config = {
            "name": self.name,
            "learning_rate": lr_cfg,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }
        config.update(self._hyper_config())
        if self.decay:
            config["decay"] = self.decay  # Keras 2's argument; only written when set
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for k in _IGNORED_CONFIG_KEYS:
            config.pop(k, None)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules_mod.deserialize(config["learning_rate"], custom_objects)
        if isinstance(config.get("lr"), dict):
            config["lr"] = schedules_mod.deserialize(config["lr"], custom_objects)
        if "lr" in config and "learning_rate" in config:
            config.pop("lr")
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name} learning_rate={self._learning_rate!r}>"
