"""JAX settings lstmkit applies before any of its code uses JAX.

The persistent compilation cache is on by default, in a per-user directory, so a
second run of the same script does not compile again. `LSTMKIT_CACHE_DIR` moves
it; setting it to an empty string, '0' or 'off' disables it. A cache directory
the user already configured for JAX is left alone.

`configure()` runs when the public API is first imported (see `lstmkit._deferred_import`),
not at `import lstmkit`, which must stay cheap: it imports JAX itself only when called.
"""

from __future__ import annotations

import os


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "lstmkit", "jax")


def configure() -> None:
    import jax

    setting = os.environ.get("LSTMKIT_CACHE_DIR")
    if setting is not None and setting.strip().lower() in ("", "0", "off", "false", "none"):
        return
    if jax.config.jax_compilation_cache_dir:
        return
    path = setting or _default_cache_dir()
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return  # an unwritable home directory must not stop the library from working
    jax.config.update("jax_compilation_cache_dir", path)
    # Our programs are small; cache them even when they compile quickly.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
