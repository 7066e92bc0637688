"""Keras 3's optimizers: the same arguments, defaults and update rules, step for step.

Each `_update` mirrors the order of float32 operations of the Keras 3 update
step so that results agree to float32 rounding.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lstmkit.optimizers._base import Optimizer

_F32 = jnp.float32
_tree_map = jax.tree_util.tree_map


def _zeros(params):
    # Host zeros: creating the state compiles nothing (eager jnp.zeros_like compiles one program per shape).
    return _tree_map(lambda p: np.zeros(np.shape(p), p.dtype), params)


def _full(params, value):
    return _tree_map(lambda p: np.full(np.shape(p), value, p.dtype), params)


def _split(tree_of_tuples, like, n):
    """Unzip a pytree whose leaves (shaped like `like`) became n-tuples into n pytrees."""
    treedef = jax.tree_util.tree_structure(like)
    leaves = treedef.flatten_up_to(tree_of_tuples)
    return tuple(treedef.unflatten([leaf[i] for leaf in leaves]) for i in range(n))


def _step_f32(iterations, offset=1):
    return (iterations + offset).astype(_F32)


def _epsilon(epsilon):
    # Keras 2 accepted epsilon=None for the backend's epsilon, 1e-7.
    return 1e-7 if epsilon is None else epsilon


_COMMON_DOC = """
    Common arguments (as Keras 3): `weight_decay`, `clipnorm`, `clipvalue`,
    `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
    `loss_scale_factor`, `gradient_accumulation_steps`, `name`; and Keras 2's
    `lr` (alias of `learning_rate`) and `decay` (lr / (1 + decay * iterations)).
"""


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum.

    `m = momentum * m - lr * g; var += m` (Nesterov: `var += momentum * m - lr * g`).
    """ + _COMMON_DOC

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        if isinstance(momentum, int) and not isinstance(momentum, bool):
            momentum = float(momentum)
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def _init_slots(self, params):
        return {"momentum": _zeros(params)} if self.momentum != 0 else {}

    def _update(self, grads, params, slots, lr, iterations):
        if self.momentum == 0:
            return _tree_map(lambda g: -(g * lr), grads), slots
        mom = jnp.asarray(self.momentum, _F32)

        def one(g, m):
            m = m * mom - g * lr
            delta = (m * mom - g * lr) if self.nesterov else m
            return delta, m

        out = _tree_map(one, grads, slots["momentum"])
        delta, m = _split(out, grads, 2)
        return delta, {"momentum": m}

    def _hyper_config(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam as Keras computes it: `lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t)`,
    `var -= lr_t * m / (sqrt(v) + epsilon)` (epsilon outside the bias correction).
    """ + _COMMON_DOC

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = _epsilon(epsilon)
        self.amsgrad = amsgrad

    def _init_slots(self, params):
        slots = {"momentum": _zeros(params), "velocity": _zeros(params)}
        if self.amsgrad:
            slots["velocity_hat"] = _zeros(params)
        return slots

    def _update(self, grads, params, slots, lr, iterations):
        t = _step_f32(iterations)
        b1p = jnp.power(jnp.asarray(self.beta_1, _F32), t)
        b2p = jnp.power(jnp.asarray(self.beta_2, _F32), t)
        alpha = lr * jnp.sqrt(1 - b2p) / (1 - b1p)
        b1, b2, eps = self.beta_1, self.beta_2, self.epsilon
        m = _tree_map(lambda g, m: m + (g - m) * (1 - b1), grads, slots["momentum"])
        v = _tree_map(lambda g, v: v + (jnp.square(g) - v) * (1 - b2), grads, slots["velocity"])
        new = {"momentum": m, "velocity": v}
        v_used = v
        if self.amsgrad:
            v_used = _tree_map(jnp.maximum, slots["velocity_hat"], v)
            new["velocity_hat"] = v_used
        delta = _tree_map(lambda m, v: -((m * alpha) / (jnp.sqrt(v) + eps)), m, v_used)
        return delta, new

    def _hyper_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (`var -= var * weight_decay * lr` before each update)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")


class RMSprop(Optimizer):
    """RMSprop: `v = rho * v + (1 - rho) * g^2; var -= lr * g / sqrt(v + epsilon)` (centered: v - mean(g)^2)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = _epsilon(epsilon)
        self.centered = centered

    def _init_slots(self, params):
        slots = {"velocity": _zeros(params)}
        if self.momentum > 0:
            slots["momentum"] = _zeros(params)
        if self.centered:
            slots["average_gradient"] = _zeros(params)
        return slots

    def _update(self, grads, params, slots, lr, iterations):
        rho, eps = self.rho, self.epsilon
        v = _tree_map(lambda g, v: rho * v + (1 - rho) * jnp.square(g), grads, slots["velocity"])
        new = {"velocity": v}
        if self.centered:
            avg = _tree_map(lambda g, a: rho * a + (1 - rho) * g, grads, slots["average_gradient"])
            new["average_gradient"] = avg
            denom = _tree_map(lambda v, a: v - jnp.square(a) + eps, v, avg)
        else:
            denom = _tree_map(lambda v: v + eps, v)
        inc = _tree_map(lambda g, d: (lr * g) / jnp.sqrt(d), grads, denom)
        if self.momentum > 0:
            mom = self.momentum
            m = _tree_map(lambda m, i: mom * m + i, slots["momentum"], inc)
            new["momentum"] = m
            return _tree_map(jnp.negative, m), new
        return _tree_map(jnp.negative, inc), new

    def _hyper_config(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}


class Adagrad(Optimizer):
    """Adagrad: `acc += g^2; var -= lr * g / sqrt(acc + epsilon)`, acc starting at `initial_accumulator_value`."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = _epsilon(epsilon)

    def _init_slots(self, params):
        return {"accumulator": _full(params, self.initial_accumulator_value)}

    def _update(self, grads, params, slots, lr, iterations):
        eps = self.epsilon
        acc = _tree_map(lambda g, a: a + jnp.square(g), grads, slots["accumulator"])
        delta = _tree_map(lambda g, a: -((lr * g) / jnp.sqrt(a + eps)), grads, acc)
        return delta, {"accumulator": acc}

    def _hyper_config(self):
        return {"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Adadelta as Keras 3 computes it (the update is scaled by `learning_rate`)."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.rho = rho
        self.epsilon = _epsilon(epsilon)

    def _init_slots(self, params):
        return {"accumulated_grad": _zeros(params), "accumulated_delta_var": _zeros(params)}

    def _update(self, grads, params, slots, lr, iterations):
        rho, eps = self.rho, self.epsilon

        def one(g, ag, adv):
            ag = rho * ag + (1 - rho) * jnp.square(g)
            dv = -((jnp.sqrt(adv + eps) * g) / jnp.sqrt(ag + eps))
            adv = rho * adv + (1 - rho) * jnp.square(dv)
            return lr * dv, ag, adv

        out = _tree_map(one, grads, slots["accumulated_grad"], slots["accumulated_delta_var"])
        delta, ag, adv = _split(out, grads, 3)
        return delta, {"accumulated_grad": ag, "accumulated_delta_var": adv}

    def _hyper_config(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


class Adamax(Optimizer):
    """Adamax (Adam with the infinity norm): `u = max(beta_2 * u, |g|)`."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = _epsilon(epsilon)

    def _init_slots(self, params):
        return {"momentum": _zeros(params), "norm": _zeros(params)}

    def _update(self, grads, params, slots, lr, iterations):
        b1p = jnp.power(jnp.asarray(self.beta_1, _F32), _step_f32(iterations))
        b1, b2, eps = self.beta_1, self.beta_2, self.epsilon
        m = _tree_map(lambda g, m: m + (g - m) * (1 - b1), grads, slots["momentum"])
        u = _tree_map(lambda g, u: jnp.maximum(b2 * u, jnp.abs(g)), grads, slots["norm"])
        delta = _tree_map(lambda m, u: -((lr * m) / ((1 - b1p) * (u + eps))), m, u)
        return delta, {"momentum": m, "norm": u}

    def _hyper_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Nesterov Adam with Keras's momentum schedule `u_t = beta_1 * (1 - 0.5 * 0.96^t)`."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        if "schedule_decay" in kwargs:
            raise NotImplementedError(
                "Nadam(schedule_decay=...) is Keras 2.2's momentum schedule; Keras 3 (and lstmkit) use the fixed "
                "schedule u_t = beta_1 * (1 - 0.5 * 0.96**t). Remove `schedule_decay`."
            )
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = _epsilon(epsilon)

    def _init_slots(self, params):
        return {"momentum": _zeros(params), "velocity": _zeros(params), "u_product": np.ones((), np.float32)}

    def _update(self, grads, params, slots, lr, iterations):
        t = _step_f32(iterations)
        t_next = _step_f32(iterations, 2)
        u_product = slots["u_product"] * self.beta_1 * (1.0 - 0.5 * jnp.power(jnp.asarray(0.96, _F32), t))
        decay = jnp.asarray(0.96, _F32)
        beta_1 = jnp.asarray(self.beta_1, _F32)
        beta_2 = jnp.asarray(self.beta_2, _F32)
        u_t = beta_1 * (1.0 - 0.5 * jnp.power(decay, t))
        u_t_1 = beta_1 * (1.0 - 0.5 * jnp.power(decay, t_next))
        u_product_t_1 = u_product * u_t_1
        beta_2_power = jnp.power(beta_2, t)
        eps = self.epsilon
        m = _tree_map(lambda g, m: m + (g - m) * (1 - beta_1), grads, slots["momentum"])
        v = _tree_map(lambda g, v: v + (jnp.square(g) - v) * (1 - beta_2), grads, slots["velocity"])

        def step(g, m, v):
            m_hat = (u_t_1 * m) / (1 - u_product_t_1) + ((1 - u_t) * g) / (1 - u_product)
            v_hat = v / (1 - beta_2_power)
            return -((m_hat * lr) / (jnp.sqrt(v_hat) + eps))

        delta = _tree_map(step, grads, m, v)
        return delta, {"momentum": m, "velocity": v, "u_product": u_product}

    def _hyper_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Lion(Optimizer):
    """Lion: `var -= lr * sign(beta_1 * m + (1 - beta_1) * g); m = beta_2 * m + (1 - beta_2) * g`."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates to SignSGD. "
                f"Received: beta_1={beta_1}."
            )

    def _init_slots(self, params):
        return {"momentum": _zeros(params)}

    def _update(self, grads, params, slots, lr, iterations):
        b1 = jnp.asarray(self.beta_1, _F32)
        b2 = jnp.asarray(self.beta_2, _F32)
        delta = _tree_map(lambda g, m: -(lr * jnp.sign(m * b1 + g * (1.0 - b1))), grads, slots["momentum"])
        m = _tree_map(lambda g, m: m * b2 + g * (1.0 - b2), grads, slots["momentum"])
        return delta, {"momentum": m}

    def _hyper_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2}


class Ftrl(Optimizer):
    """Follow-the-regularized-leader, as Keras 3 (assigns the weights directly)."""

    _assigns_weights = True

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        checks = [
            ("initial_accumulator_value", initial_accumulator_value < 0.0, "needs to be positive or zero"),
            ("learning_rate_power", learning_rate_power > 0.0, "needs to be negative or zero"),
            ("l1_regularization_strength", l1_regularization_strength < 0.0, "needs to be positive or zero"),
            ("l2_regularization_strength", l2_regularization_strength < 0.0, "needs to be positive or zero"),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength < 0.0,
             "needs to be positive or zero"),
        ]
        for arg, bad, what in checks:
            if bad:
                raise ValueError(f"`{arg}` {what}. Received: {arg}={locals()[arg]}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _init_slots(self, params):
        return {"accumulator": _full(params, self.initial_accumulator_value),
                "linear": _zeros(params)}

    def _update(self, grads, params, slots, lr, iterations):
        lr_power = self.learning_rate_power
        l2_reg = self.l2_regularization_strength + self.beta / (2.0 * lr)
        l1 = self.l1_regularization_strength
        shrink = 2 * self.l2_shrinkage_regularization_strength

        def one(g, var, accum, linear):
            grad_to_use = g + shrink * var
            new_accum = accum + jnp.square(g)
            linear = linear + (grad_to_use - ((jnp.power(new_accum, -lr_power) - jnp.power(accum, -lr_power)) / lr) * var)
            quadratic = jnp.power(new_accum, -lr_power) / lr + 2 * l2_reg
            linear_clipped = jnp.clip(linear, -l1, l1)
            return (linear_clipped - linear) / quadratic, new_accum, linear

        out = _tree_map(one, grads, params, slots["accumulator"], slots["linear"])
        new_var, accum, linear = _split(out, grads, 3)
        return new_var, {"accumulator": accum, "linear": linear}

    def _hyper_config(self):
        return {
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
