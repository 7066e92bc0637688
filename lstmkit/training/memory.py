"""The memory a compiled program needs, against the memory there is: a batch that cannot fit is one clear error.

Before a program runs for the first time with given shapes, `check` compares its estimate (XLA's own
buffer assignment for the compiled executable: arguments + outputs + temporaries - what the outputs
reuse of the arguments) with the memory available (the device's allocator limit on a GPU or TPU; on
the CPU the memory the system can still give, and the process's cgroup limit). A program that does not
fit raises `ResourceExhaustedError` naming the batch size, the estimate and what is available, with a
batch size that would fit, instead of XLA's allocation failure (or, on the CPU, the kernel's OOM killer
halfway through an epoch). An allocation that fails anyway (another process took the memory, an address
space limit) is reported the same way by `exhausted`.

The estimate comes with the executable, so the check costs one reading of the memory figures.
"""

from __future__ import annotations

import os

import numpy as np


class ResourceExhaustedError(MemoryError, RuntimeError):
    """A compiled program needs more memory than the device has.

    A `MemoryError`, and a `RuntimeError` like the `JaxRuntimeError` (RESOURCE_EXHAUSTED) Keras 3 on JAX
    lets through, so code written for either catches it; TensorFlow's Keras names it the same way.
    Attributes: `batch_size` (None when the program has none), `required` and `available` (bytes).
    """

    def __init__(self, message, batch_size=None, required=None, available=None):
        super().__init__(message)
        self.batch_size = batch_size
        self.required = required
        self.available = available


class FirstRun(Exception):
    """Raised by a program as it starts tracing outside `compile_checked`: its caller checks memory first."""


# ------------------------------------------------------------------------------------------ figures
def estimate(compiled):
    """{'arguments', 'outputs', 'temporaries', 'aliased', 'total'} in bytes for a compiled executable, or
    None when the backend does not say."""
    try:
        ma = compiled.memory_analysis()
    except Exception:  # noqa: BLE001 - a backend without memory statistics is not checked
        return None
    if ma is None:
        return None
    figures = {"arguments": int(ma.argument_size_in_bytes), "outputs": int(ma.output_size_in_bytes),
               "temporaries": int(ma.temp_size_in_bytes), "aliased": int(ma.alias_size_in_bytes)}
    figures["total"] = figures["arguments"] + figures["outputs"] + figures["temporaries"] - figures["aliased"]
    return figures


def _meminfo_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_available():
    """What the process's cgroup (v2, else v1) still allows, or None without a limit."""
    for limit_path, usage_path in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit_path) as f:
                limit = f.read().strip()
            with open(usage_path) as f:
                usage = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit == "max" or not limit.isdigit() or int(limit) >= 1 << 60:
            return None
        return max(0, int(limit) - usage)
    return None


def available_bytes(device=None):
    """(bytes a program may still allocate on `device`, where the figure comes from), or None when unknown.

    GPU / TPU: the allocator's `bytes_limit` less `bytes_in_use` (`device.memory_stats()`). CPU: the
    system's available memory (/proc/meminfo, or psutil where installed), and the cgroup's limit when lower.
    """
    import jax

    device = device if device is not None else jax.devices()[0]
    if device.platform != "cpu":
        try:
            stats = device.memory_stats()
        except Exception:  # noqa: BLE001 - a device without statistics is not checked
            stats = None
        if not stats or "bytes_limit" not in stats:
            return None
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0)), f"{device.platform} memory"
    free, where = _meminfo_available(), "available RAM"
    if free is None:
        try:
            import psutil  # optional: only where the user has it

            free = int(psutil.virtual_memory().available)
        except Exception:  # noqa: BLE001 - no way to tell: not checked
            return None
    cgroup = _cgroup_available()
    if cgroup is not None and cgroup < free:
        free, where = cgroup, "the memory limit of this process's cgroup"
    return free, where


def _resident_bytes(args):
    """Bytes of the arguments already in device memory (jax arrays): counted in the estimate, not needed anew."""
    import jax

    total = 0
    for leaf in jax.tree_util.tree_leaves(args):
        if isinstance(leaf, jax.Array) and not isinstance(leaf, jax.core.Tracer):
            try:
                total += int(leaf.nbytes)
            except Exception:  # noqa: BLE001 - a deleted or foreign array counts nothing
                pass
    return total


def has_tracers(args):
    import jax

    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(args))


# ------------------------------------------------------------------------------------------ naming
# What each engine program is called by, and where its batch size is: in the key (fit's whole epochs,
# fit_many, evaluate) or in the shape of an argument (predict's xs (steps, batch, ...), one batch).
_ENTRY = {"epochs": "fit", "many": "fit_many", "evaluate": "evaluate", "predict": "predict",
          "flat_predict": "predict", "train_batch": "train_on_batch", "train_chunk": "fit",
          "test_batch": "test_on_batch"}
_BATCH_ARG = {"predict": (-1, 1), "flat_predict": (-1, 1), "train_batch": (4, 0), "test_batch": (3, 0),
              "train_chunk": (4, 1)}  # kind -> (argument position, axis of its first array)


def describe(key, args):
    """(entry point, batch size or None) of the program `key` called with `args` (its program arguments)."""
    import jax

    kind = key[0] if isinstance(key, tuple) and key else key
    entry = _ENTRY.get(kind, "this call")
    if kind in ("epochs", "many", "evaluate") and isinstance(key[1], (int, np.integer)):
        return entry, int(key[1])
    if kind in _BATCH_ARG:
        position, axis = _BATCH_ARG[kind]
        try:
            leaves = jax.tree_util.tree_leaves(args[position])
            if leaves and np.ndim(leaves[0]) > axis:
                return entry, int(np.shape(leaves[0])[axis])
        except (IndexError, TypeError):
            pass
    return entry, None


def _size(n):
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _message(entry, batch_size, figures, available, where):
    what = f"{entry}(batch_size={batch_size})" if batch_size is not None else entry
    parts = [f"temporaries {_size(figures['temporaries'])}", f"arguments {_size(figures['arguments'])}",
             f"outputs {_size(figures['outputs'])}"]
    text = (f"{what}: the compiled program needs about {_size(figures['total'])} of memory "
            f"({', '.join(parts)}), but {_size(max(available, 0))} is available ({where}).")
    if batch_size is not None:
        # The temporaries grow about linearly with the batch, the rest (weights, data, sample orders) does
        # not; a tenth is left for what the estimate does not see.
        fixed = figures["total"] - figures["temporaries"]
        fits = int(batch_size * (0.9 * available - fixed) / max(figures["temporaries"], 1))
        if fits >= 1:
            text += f" Pass a smaller batch_size: about {fits} or less should fit."
        else:
            text += " Even a batch of 1 would not fit: make the model or its inputs smaller."
    return text + " (LSTMKIT_MEMORY_CHECK=0 skips this check.)"


# ------------------------------------------------------------------------------------------ checks
def check(compiled, key, args, device=None):
    """Raise `ResourceExhaustedError` when `compiled` (called with `args`) needs more memory than is available."""
    figures = estimate(compiled)
    if figures is None:
        return
    found = available_bytes(device)
    if found is None:
        return
    free, where = found
    available = free + _resident_bytes(args)
    if figures["total"] <= available:
        return
    entry, batch_size = describe(key, args)
    raise ResourceExhaustedError(_message(entry, batch_size, figures, available, where), batch_size,
                                 figures["total"], available)


def is_exhausted(error) -> bool:
    """An XLA error saying an allocation failed."""
    return "RESOURCE_EXHAUSTED" in str(error)


def exhausted(error, key, args, figures=None):
    """The `ResourceExhaustedError` for XLA's failed allocation `error` while the program `key` ran."""
    entry, batch_size = describe(key, args)
    what = f"{entry}(batch_size={batch_size})" if batch_size is not None else entry
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = f"{what}: the device ran out of memory running the compiled program (XLA: {first[:300]})."
    if figures is not None:
        text += f" Its estimate is about {_size(figures['total'])} (temporaries {_size(figures['temporaries'])})."
    if batch_size is not None:
        text += " Pass a smaller batch_size."
    found = available_bytes()
    return ResourceExhaustedError(text, batch_size, None if figures is None else figures["total"],
                                  None if found is None else found[0])


def check_disabled() -> bool:
    """LSTMKIT_MEMORY_CHECK=0 turns the check before a first run off (for an estimate known to be too
    cautious, e.g. with swap); an allocation that then fails is still reported by `exhausted`."""
    return os.environ.get("LSTMKIT_MEMORY_CHECK", "1").strip().lower() in ("0", "off", "false", "no")
