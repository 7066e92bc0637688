"""Compiled programs shared by every model of one architecture.

A rebuilt model of the same architecture (a new `Sequential` in a loop, `clone_model`, `load_model`,
`from_config`) must not trace and compile its programs again. So programs are cached process-wide
under an *architecture key*: what determines the computation — layer classes and their configs
without names, the graph's connections, each weight's shape, dtype and trainability, the loss,
metrics and optimizer configuration (the learning rate is not in it: it travels in the optimizer
state) — and never names or object identities of lstmkit's own objects.

The programs take their weights, optimizer state and carried states under *program keys*
(`w0000`, `s000`: a weight's position in `model.weights`), not under the model's own variable keys,
so the traced program is the same for every model of the architecture; `Binding` translates at
the program's boundary. While a program traces, it runs the calling model's own layers
(`Programs.active`), which have the same structure as every other model under that key.

A model is shared only when every piece of it is one of lstmkit's own classes whose config says
everything about its computation. A user's layer class, subclassed model, custom loss object or
foreign function (a `Lambda`'s function, `activation=my_fn`) is keyed by the object itself, so it
shares programs only with models holding that same object — never a wrong program, at worst the
compile the model would have paid anyway.
"""

from __future__ import annotations

import collections
import json
import time

import numpy as np

# [scale out] placement's hooks are the identity without a distribution
from lstmkit.distribution import placement
from lstmkit.training import memory

# How many architectures keep their programs (a grid search over sizes makes many; each holds
# compiled XLA executables, a few MB at most).
MAX_ARCHITECTURES = 64

_TRACE_COUNT = collections.Counter()  # program kind -> traces (tests count compilations with it)

# Seconds spent compiling programs before their first run, and who wants to know when one starts or ends
# (a progress bar shows "compiling…" and keeps compile time out of its ETA).
_COMPILE_SECONDS = [0.0]
COMPILE_WATCHERS: list = []  # functions called with True when a program starts compiling, False when done

# XLA:CPU options for the programs of small models. A short fit of a small model is mostly XLA compiling
# its one program, and most of that is generating code for its 40-60 tiny fusions: XLA's LLVM IR emitters
# do it in about half the time of its MLIR fusion emitters, and one LLVM module (not split for parallel
# codegen) saves more on a few cores. Same numbers to the bit; but the LLVM IR emitters make some
# elementwise kernels slower, which shows from about 10k weights (W2: steady fit +25%), so bigger models
# keep XLA's defaults. See bench/PROFILE.md, "Where a fresh compile goes".
SMALL_MODEL_WEIGHTS = 4096
SMALL_MODEL_CPU_OPTIONS = {"xla_cpu_use_fusion_emitters": False, "xla_cpu_parallel_codegen_split_count": 1}


def compiler_options(model):
    """XLA options for a program of `model` (None: XLA's defaults)."""
    import jax

    if jax.default_backend() != "cpu":
        return None
    size = sum(int(np.prod(v.shape)) for v in getattr(model, "weights", ()))
    return dict(SMALL_MODEL_CPU_OPTIONS) if size <= SMALL_MODEL_WEIGHTS else None


class Programs:
    """The compiled programs of one architecture, and the engine they are running for."""

    def __init__(self):
        self.jitted: dict = {}
        self.active = None  # the Engine whose call is running (its model's layers trace the program)
        # Whether a program may trace now. A trace outside `_compiled` (a first run with these shapes)
        # raises memory.FirstRun, so that `call` compiles, checks the memory, and only then runs.
        self.may_trace = False


_CACHE: "collections.OrderedDict[object, Programs]" = collections.OrderedDict()


def programs_for(key) -> Programs:
    """The shared programs for an architecture key (None: a fresh, unshared set)."""
    if key is None:
        return Programs()
    progs = _CACHE.get(key)
    if progs is None:
        progs = _CACHE[key] = Programs()
        while len(_CACHE) > MAX_ARCHITECTURES:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return progs


def clear():
    """Forget every shared program (tests; a long session's memory)."""
    _CACHE.clear()


def compile_seconds() -> float:
    """Seconds this process spent compiling programs ahead of their first run (see `program`)."""
    return _COMPILE_SECONDS[0]


class _compiling:
    """Within: a program compiles (timed, and told to `COMPILE_WATCHERS`)."""

    def __enter__(self):
        for watch in list(COMPILE_WATCHERS):
            watch(True)
        self.t0 = time.perf_counter()

    def __exit__(self, *exc):
        _COMPILE_SECONDS[0] += time.perf_counter() - self.t0
        for watch in list(COMPILE_WATCHERS):
            watch(False)


def trace_count(kind=None) -> int:
    """How many times shared programs were traced (all kinds, or one: 'epochs', 'predict', ...)."""
    return sum(_TRACE_COUNT.values()) if kind is None else _TRACE_COUNT[kind]


# ------------------------------------------------------------------------------------------ keys
class _Identity:
    """Stands for an object that must be the same object to share a program (hashed by identity)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self):
        return id(self.obj)

    def __eq__(self, other):
        return isinstance(other, _Identity) and other.obj is self.obj

    def __repr__(self):
        return f"<same object {self.obj!r}>"


def _own_class(cls) -> bool:
    """One of lstmkit's own classes (not a user's subclass of one)."""
    mod = getattr(cls, "__module__", "") or ""
    return mod == "lstmkit" or mod.startswith("lstmkit.")


def _own_function(fn) -> bool:
    mod = getattr(fn, "__module__", None) or ""
    return (mod == "lstmkit" or mod.startswith("lstmkit.") or mod.startswith("jax.")
            or mod == "jax" or mod.startswith("numpy") or mod.startswith("optax"))


def describe(obj):
    """A hashable description of a compile() argument (a loss, metric, optimizer or its parts)."""
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (list, tuple)):
        return tuple(describe(o) for o in obj)
    if isinstance(obj, dict):
        return tuple(sorted((str(k), describe(v)) for k, v in obj.items()))
    if isinstance(obj, type):
        return ("class", obj.__module__, obj.__qualname__) if _own_class(obj) else _Identity(obj)
    cls = type(obj)
    if hasattr(obj, "get_config") and _own_class(cls):
        try:
            config = dict(obj.get_config())
        except Exception:  # noqa: BLE001 - an object that cannot describe itself is shared by identity
            return _Identity(obj)
        config.pop("name", None)
        return ("object", cls.__module__, cls.__qualname__, describe(config))
    if callable(obj) and _own_function(obj) and hasattr(obj, "__qualname__"):
        return ("function", obj.__module__, obj.__qualname__)
    return _Identity(obj)


def _foreign_callables(layer) -> tuple:
    """Functions and objects a layer holds that its config cannot describe (a Lambda's function,
    `activation=my_fn`, a user's regularizer): the program is shared only with the same objects."""
    out = []
    for attr, value in sorted(vars(layer).items()):
        if isinstance(value, type):
            continue
        for v in (value if isinstance(value, (list, tuple)) else (value,)):
            if callable(v) and not _own_class(type(v)) and not _own_function(v):
                out.append((attr, _Identity(v)))
    return tuple(out)


def _remat(layer):
    """The RematScope a layer was made in (not in its config, but it changes the program)."""
    mode = layer.__dict__.get("_remat_mode")
    if mode is None:
        return None
    if mode.mode == "list_of_layers":
        return (mode.mode, layer.name in mode.layer_names)
    return (mode.mode, getattr(mode, "output_size_threshold", None))


def _all_layers(layer, seen=None):
    seen = set() if seen is None else seen
    if id(layer) in seen:
        return
    seen.add(id(layer))
    yield layer
    for sub in layer.__dict__.get("_sublayers", {}).values():
        yield from _all_layers(sub, seen)
    for sub in getattr(layer, "_layers", None) or ():
        yield from _all_layers(sub, seen)


# Config keys that name layers: replaced by the layer's position so names do not enter the key.
_NAME_LISTS = ("input_layers", "output_layers")


def _canonical(config, names):
    """`config` with layer names replaced by their ordinals (and DTypePolicy configs left alone)."""
    if isinstance(config, dict):
        if config.get("class_name") in ("DTypePolicy", "FloatDTypePolicy", "DTypePolicyMap"):
            return config
        out = {}
        for k, v in config.items():
            if k == "name" and isinstance(v, str):
                out[k] = names.setdefault(v, f"#{len(names)}")
            elif k == "keras_history" and isinstance(v, list) and v and isinstance(v[0], str):
                out[k] = [names.setdefault(v[0], f"#{len(names)}")] + v[1:]
            elif k in _NAME_LISTS:
                out[k] = _canonical_name_list(v, names)
            else:
                out[k] = _canonical(v, names)
        return out
    if isinstance(config, list):
        return [_canonical(v, names) for v in config]
    return config


def _canonical_name_list(v, names):
    if isinstance(v, list) and v and isinstance(v[0], str):  # one [name, node, tensor]
        return [names.setdefault(v[0], f"#{len(names)}")] + v[1:]
    if isinstance(v, list):
        return [_canonical_name_list(x, names) for x in v]
    return v


def architecture_key(model):
    """What determines the model's forward computation, without names; None when it cannot be shared."""
    from lstmkit.models import subclassed

    if subclassed.is_subclassed(model) or not getattr(model, "_graph_ready", False):
        return None
    from lstmkit.models.model import Model

    parts = []
    for layer in _all_layers(model):
        cls = type(layer)
        if not _own_class(cls):
            return None  # a user's layer class: its config need not say what it computes
        # A graph model computes only through its layers; its own attributes (loss, optimizer) are not its layers'.
        parts.append((cls.__module__, cls.__qualname__, () if isinstance(layer, Model) else _foreign_callables(layer),
                      _remat(layer)))
    try:
        config = json.dumps(_canonical(model.get_config(), {}), sort_keys=True, default=repr)
    except Exception:  # noqa: BLE001 - a model whose config cannot be written is not shared
        return None
    weights = tuple((tuple(v.shape), str(v.dtype), bool(v.trainable)) for v in model.weights)
    return (config, tuple(parts), weights, len(model._stateful_layers()))


def compile_key(model, optimizer, compiled_loss, metrics, weighted):
    """The architecture key plus compile()'s configuration; None when the model cannot be shared."""
    arch = architecture_key(model)
    if arch is None:
        return None
    opt = describe(optimizer)
    if isinstance(opt, tuple) and opt and opt[0] == "object":
        # the learning rate is a value in the optimizer state, not part of the program
        opt = opt[:3] + (tuple(kv for kv in opt[3] if kv[0] != "learning_rate" or isinstance(kv[1], tuple)),)
    names = tuple(v.name for v in model.weights)  # exclude_from_weight_decay matches variable names
    return (arch, opt, names, describe(compiled_loss.losses), tuple(compiled_loss.weights),
            describe(metrics), describe(weighted))


# ------------------------------------------------------------------------------------ translation
def rekey(tree, mapping):
    """`tree` with every dict whose keys are all in `mapping` re-keyed (recursively; other dicts,
    tuples, named tuples and lists are rebuilt around their re-keyed contents)."""
    if isinstance(tree, dict):
        if tree and all(k in mapping for k in tree):
            return {mapping[k]: rekey(v, mapping) for k, v in tree.items()}
        return {k: rekey(v, mapping) for k, v in tree.items()}
    if isinstance(tree, tuple):
        items = [rekey(v, mapping) for v in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else tuple(items)
    if isinstance(tree, list):
        return [rekey(v, mapping) for v in tree]
    return tree


class Binding:
    """A model's variable keys and state keys <-> the program keys of its architecture."""

    def __init__(self, model):
        weights = model.weights
        self.to_program = {v.key: f"w{i:04d}" for i, v in enumerate(weights)}
        for i, layer in enumerate(model._stateful_layers()):
            self.to_program[layer._state_key] = f"s{i:03d}"
        self.to_model = {p: m for m, p in self.to_program.items()}

    def program(self, tree):
        return rekey(tree, self.to_program)

    def model(self, tree):
        return rekey(tree, self.to_model)


# ------------------------------------------------------------------------------------ programs
class Owner:
    """What calls shared programs: their `Programs`, the caller's `Binding`, and the object whose
    model traces them (an `Engine`, or the model itself for inference without compile())."""

    __slots__ = ("programs", "binding", "tracer", "model", "calls")

    def __init__(self, programs, binding, tracer, model):
        self.programs = programs
        self.binding = binding
        self.tracer = tracer
        self.model = model
        self.calls = {}  # program key -> this owner's bound call (made once, not per call)


def program(owner, key, build):
    """The jitted program `key` of the owner's architecture, as a function of the owner's own keys.

    `build(active_owner)` returns the function to trace; it is called only when the program traces,
    with the owner whose call is running, so a program never keeps a model alive or runs a stale one.
    """
    key = placement.program_key(key)  # [scale out] a program traced for one mesh never runs on another
    call = owner.calls.get(key)
    if call is not None:
        return call
    import jax

    progs = owner.programs
    fn = progs.jitted.get(key)
    if fn is None:
        kind = key[0] if isinstance(key, tuple) else key

        def body(*args):
            if not progs.may_trace:
                raise memory.FirstRun  # before anything is traced: the caller checks memory first
            _TRACE_COUNT[kind] += 1
            active = progs.active
            with placement.tracing(key):  # [scale out]
                return active.binding.program(build(active)(*active.binding.model(args)))

        fn = progs.jitted[key] = jax.jit(body, compiler_options=compiler_options(owner.model))
    binding = owner.binding

    def run(args):
        # [scale out] fn(*binding.program(args)), with the inputs on the mesh under a distribution
        return placement.run(owner.model, key, fn, binding.program, args)

    def call(*args):
        previous, progs.active = progs.active, owner
        try:
            try:
                return binding.model(run(args))
            except memory.FirstRun:
                pass
            # The first run with these shapes: compiled ahead of the run (the run reuses the executable),
            # so that a program too large for the memory is a clear error before anything is allocated.
            pargs = binding.program(placement.arguments(owner.model, key, args))
            inside_trace = memory.has_tracers(pargs)  # called while another program traces: nothing runs now
            if not (inside_trace or memory.check_disabled()):
                try:
                    with _compiling():
                        executable = _compiled(progs, fn, pargs)
                    memory.check(executable, key, pargs)
                except memory.ResourceExhaustedError:
                    fn.clear_cache()  # so that the same call again is checked again, not run from the cache
                    raise
            with _tracing_allowed(progs):
                out = run(args)
            if not inside_trace:
                # A failed allocation shows where the results are read; the first run waits for them, so
                # that it is reported here, as the error below.
                jax.block_until_ready(out)
            return binding.model(out)
        except jax.errors.JaxRuntimeError as error:
            if not memory.is_exhausted(error):
                raise
            pargs = binding.program(placement.arguments(owner.model, key, args))
            clear = memory.exhausted(error, key, pargs, _figures(progs, fn, pargs))
            fn.clear_cache()  # the next call is checked again
            raise clear from None
        finally:
            progs.active = previous

    def lower(*args):  # jax.jit's ahead-of-time lowering (memory analysis in tests)
        previous, progs.active = progs.active, owner
        try:
            with _tracing_allowed(progs):
                return fn.lower(*binding.program(placement.arguments(owner.model, key, args)))  # [scale out]
        finally:
            progs.active = previous

    call.lower = lower
    owner.calls[key] = call
    return call


class _tracing_allowed:
    """Within: the programs of `progs` may trace (see `Programs.may_trace`)."""

    def __init__(self, progs):
        self.progs = progs

    def __enter__(self):
        self.was, self.progs.may_trace = self.progs.may_trace, True

    def __exit__(self, *exc):
        self.progs.may_trace = self.was


def _compiled(progs, fn, pargs):
    """`fn` compiled for the program arguments `pargs` (jax.jit keeps it: the call that follows reuses it)."""
    with _tracing_allowed(progs):
        return fn.lower(*pargs).compile()


def _figures(progs, fn, pargs):
    """The memory estimate of the program that just failed to allocate (None when it cannot be had)."""
    try:
        return memory.estimate(_compiled(progs, fn, pargs))
    except Exception:  # noqa: BLE001 - the error is reported without an estimate
        return None
