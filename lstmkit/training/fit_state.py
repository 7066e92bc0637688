"""Where a `fit` on arrays stands, so that a killed fit can go on as if it had never stopped.

`fit` draws its randomness once, at its start: a base key (each epoch's dropout keys are folded
from it and the epoch number, each batch's from that and the batch number) and a NumPy generator
that draws one sample order per epoch. With the weights and the optimizer state, these decide
everything that follows. A `FitState` records them at a point of the run (the epoch and the
batches of it already done), with the shuffle generator's state *before* it drew that epoch's
order, and the global random state (`lstmkit._random`) as the fit's draws left it, so that code
after a resumed `fit` draws the same numbers as after an uninterrupted one.

`BackupAndRestore` saves a `FitState` with the weights and puts it back in `on_train_begin`;
a `.keras` file saved during `fit` carries the state of its epoch boundary in its metadata
(lstmkit's own key, which Keras ignores), which `fit(initial_epoch=k)` uses.
"""

from __future__ import annotations

import copy
import json

import numpy as np

from lstmkit import _random

#: The `.keras` metadata key (an lstmkit extension: Keras 3 ignores keys it does not know).
METADATA_KEY = "lstmkit_training_state"
_MAX_JSON = 1 << 20  # a state is about a kilobyte: refuse a file that claims more


class FitState:
    """The random and progress state of one fit (see the module docstring).

    Attributes:
        base_key: the fit's base PRNG key, uint32 (2,) (JAX's default threefry key).
        shuffle_state: the shuffle generator's `bit_generator.state` before drawing epoch `epoch`'s order.
        epoch: the epoch under way (all epochs before it are done).
        batch: how many batches of `epoch` are done (0 at an epoch boundary).
        sums, count: the running sums of that epoch's batch logs (weighted by real samples) and the
            samples seen, so a resumed epoch reports the same averages.
        global_random: the global random state after the fit's draws (None: not recorded).
    """

    def __init__(self, base_key, shuffle_state, epoch, batch=0, sums=(), count=0, global_random=None):
        self.base_key = np.asarray(base_key, np.uint32)
        self.shuffle_state = shuffle_state
        self.epoch = int(epoch)
        self.batch = int(batch)
        self.sums = [float(s) for s in sums]
        self.count = int(count)
        self.global_random = global_random

    @classmethod
    def begin(cls, base_key, shuffle_rng, epoch):
        """The state at the start of a fit, just after its draws."""
        return cls(base_key, copy.deepcopy(shuffle_rng.bit_generator.state), epoch,
                   global_random=global_random_state())

    def at_epoch(self, epoch, shuffle_rng):
        """This fit's state at the boundary before `epoch` (the generator has drawn the earlier orders)."""
        self.shuffle_state = copy.deepcopy(shuffle_rng.bit_generator.state)
        self.epoch, self.batch, self.sums, self.count = int(epoch), 0, [], 0

    def shuffle_rng(self):
        """A NumPy generator in this state."""
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = copy.deepcopy(self.shuffle_state)
        return rng

    def restore_global_random(self):
        if self.global_random is not None:
            set_global_random_state(self.global_random)

    # ----------------------------------------------------------------- files
    def to_json(self, include_global=True) -> str:
        return json.dumps(self.to_dict(include_global))

    def to_dict(self, include_global=True) -> dict:
        """A JSON-ready dict (what `from_dict` reads back)."""
        out = {"epoch": self.epoch, "batch": self.batch, "base_key": [int(k) for k in self.base_key.ravel()],
               "shuffle_state": _ints_to_str(self.shuffle_state), "sums": self.sums, "count": self.count}
        if include_global and self.global_random is not None:
            out["global_random"] = _ints_to_str(self.global_random)
        return out

    @classmethod
    def from_json(cls, text, where):
        """A state read from a file: every field checked (a ValueError naming `where` otherwise)."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if not isinstance(text, str) or len(text) > _MAX_JSON:
            raise ValueError(f"{where}: the saved training state is not a JSON text of at most {_MAX_JSON} bytes.")
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"{where}: the saved training state is not valid JSON ({e}).") from None
        return cls.from_dict(raw, where)

    @classmethod
    def from_dict(cls, raw, where):
        def bad(what):
            return ValueError(f"{where}: the saved training state is malformed: {what}.")

        if not isinstance(raw, dict):
            raise bad(f"expected a JSON object, found {type(raw).__name__}")
        for name in ("epoch", "batch", "count"):
            value = raw.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**62:
                raise bad(f"'{name}' must be a non-negative integer, found {value!r:.40}")
        key = raw.get("base_key")
        if (not isinstance(key, list) or len(key) not in (2, 4)
                or not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k < 2**32 for k in key)):
            raise bad(f"'base_key' must be a PRNG key: 2 (or 4) 32-bit unsigned integers, found {key!r:.60}")
        sums = raw.get("sums", [])
        if not isinstance(sums, list) or len(sums) > 4096 or not all(
                isinstance(s, (int, float)) and not isinstance(s, bool) for s in sums):
            raise bad("'sums' must be a list of numbers")
        shuffle_state = _pcg64_state(raw.get("shuffle_state"), bad, "shuffle_state")
        global_random = raw.get("global_random")
        if global_random is not None:
            if not isinstance(global_random, dict):
                raise bad("'global_random' must be an object")
            global_random = {"numpy": _pcg64_state(global_random.get("numpy"), bad, "global_random.numpy")}
            for name in ("key_base", "counter"):
                value = _from_str(raw["global_random"].get(name))
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
                    raise bad(f"'global_random.{name}' must be a 64-bit unsigned integer")
                global_random[name] = value
            seed = raw["global_random"].get("seed")
            seed = _from_str(seed)
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
                raise bad("'global_random.seed' must be a non-negative integer or null")
            global_random["seed"] = seed
        return cls(np.asarray(key, np.uint32), shuffle_state, raw.get("epoch", 0), raw.get("batch", 0), sums,
                   raw.get("count", 0), global_random)


# --------------------------------------------------------------------------- fit's side
def begin(model, initial_epoch):
    """fit's draws (a base key, a shuffle generator) and its `FitState`, made before `on_train_begin`.

    A model carrying the state of a run at the boundary before `initial_epoch` (left by an earlier fit,
    or read from a `.keras` file saved during one) continues that run's randomness instead. The draws
    are made either way, so the global random state moves on as in any fit."""
    base_key = _random.next_key()
    shuffle_rng = np.random.default_rng(int(_random.numpy_rng().integers(2**63)))
    state = FitState.begin(base_key, shuffle_rng, initial_epoch)
    carried = getattr(model, "_fit_state", None)
    if carried is not None and initial_epoch > 0 and carried.epoch == initial_epoch and carried.batch == 0:
        state = FitState(carried.base_key, carried.shuffle_state, initial_epoch, global_random=state.global_random)
        shuffle_rng = state.shuffle_rng()
    # Read by callbacks: `_fit_state` is where the run stands; in `on_train_begin` a callback may set
    # `_fit_restore` (a FitState to continue from) or, as in Keras, `_initial_epoch`.
    model._fit_state = state
    model._fit_resumable = True
    model._fit_restore = None
    model._initial_epoch = None
    return state, shuffle_rng


def restored(model, state, shuffle_rng):
    """After `on_train_begin`: the state (and shuffle generator) a callback asked to continue from, if any."""
    restore, initial = model._fit_restore, model._initial_epoch
    model._fit_restore = model._initial_epoch = None
    if restore is not None:
        restore.restore_global_random()
        state, shuffle_rng = restore, restore.shuffle_rng()
    elif initial:
        state.epoch, state.batch = int(initial), 0
    model._fit_state = state
    return state, shuffle_rng


def epochs_before_save(callbacks, epoch, most=1 << 30):
    """How many epochs from `epoch` one compiled call may hold: a callback that saves the training state
    every few epochs (`BackupAndRestore` with an integer save_freq, `_epochs_per_call`) sees each of its
    saving points."""
    limits = [cb._epochs_per_call(epoch) for cb in callbacks if hasattr(cb, "_epochs_per_call")]
    return max(1, min([lim for lim in limits if lim is not None], default=most))


# --------------------------------------------------------------------------- the global random state
def global_random_state() -> dict:
    """The global random state of `lstmkit._random` (its NumPy generator and its key stream)."""
    with _random._lock:
        return {"numpy": copy.deepcopy(_random._np_rng.bit_generator.state), "key_base": _random._key_base,
                "counter": _random._counter, "seed": _random._seed}


def set_global_random_state(state: dict) -> None:
    """Put back a state from `global_random_state()` (the one Generator object is set in place)."""
    with _random._lock:
        _random._np_rng.bit_generator.state = copy.deepcopy(state["numpy"])
        _random._key_base = int(state["key_base"])
        _random._counter = int(state["counter"])
        _random._seed = state["seed"]


# --------------------------------------------------------------------------- JSON helpers
# PCG64's state holds 128-bit integers: written as decimal strings, which every JSON reader keeps exact.
def _ints_to_str(value):
    if isinstance(value, dict):
        return {k: _ints_to_str(v) for k, v in value.items()}
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return value


def _from_str(value):
    if isinstance(value, str) and value.isdigit() and len(value) <= 40:
        return int(value)
    return value


def _pcg64_state(raw, bad, name):
    """A `PCG64` `bit_generator.state` dict from its JSON form, each field checked."""
    if not isinstance(raw, dict) or raw.get("bit_generator") != "PCG64" or not isinstance(raw.get("state"), dict):
        raise bad(f"'{name}' must be the state of a PCG64 generator")
    inner = {k: _from_str(raw["state"].get(k)) for k in ("state", "inc")}
    outer = {k: _from_str(raw.get(k)) for k in ("has_uint32", "uinteger")}
    for k, v in {**inner, **outer}.items():
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2**128:
            raise bad(f"'{name}.{k}' must be a non-negative integer below 2**128")
    state = {"bit_generator": "PCG64", "state": inner, **outer}
    try:  # the generator itself says whether the values are a state it can take
        np.random.PCG64().state = state
    except (ValueError, TypeError, OverflowError) as e:
        raise bad(f"'{name}' is not a valid PCG64 state ({e})") from None
    return state
