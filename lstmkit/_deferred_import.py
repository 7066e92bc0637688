"""Deferring lstmkit's heavy imports until something needs them.

`import lstmkit` used to import the whole library, JAX included (about 2 s), so even
`lstmkit forecast --help` or "file not found" took that long. Now `import lstmkit` is
cheap, and the whole public API is imported, in the order it always was, the first time
any lstmkit module outside a small set of light ones is imported (`from lstmkit.layers
import LSTM`), or a public name is read from the package (`lstmkit.Sequential`).

Importing it all at once, rather than module by module, keeps every side effect of the
old `import lstmkit`: JAX's settings are applied before any of our code can use JAX, the
built-in layers register themselves before a file is loaded, and Keras 2's old module
paths exist.
"""

from __future__ import annotations

import importlib.machinery
import sys

__all__ = ["ImportTrigger"]


class _ExistingModule:
    """A loader that hands back a module the trigger has just imported, without running it again."""

    def __init__(self, module):
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        module.__spec__ = self.spec  # the import system put our stand-in spec there; keep the real one


class ImportTrigger:
    """A `sys.meta_path` finder: the first import of a module named `package.*` that is not in
    `light` calls `load()` first. Once `load()` has run it does nothing more."""

    def __init__(self, package: str, light, load):
        self.prefix = package + "."
        self.light = frozenset(light)
        self.load = load
        self.state = "waiting"  # -> "loading" -> "done"

    def install(self):
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def ensure_loaded(self):
        if self.state != "waiting":
            return  # done, or we are inside load() (its own imports come back here)
        self.state = "loading"
        try:
            self.load()
        except BaseException:
            self.state = "waiting"  # the error reaches the importer; a later import tries again
            raise
        self.state = "done"
        if self in sys.meta_path:
            sys.meta_path.remove(self)

    def find_spec(self, fullname, path=None, target=None):
        if self.state != "waiting" or not fullname.startswith(self.prefix) or fullname in self.light:
            return None
        self.ensure_loaded()
        module = sys.modules.get(fullname)
        if module is None:
            return None  # load() did not import it: the ordinary finders will
        # load() imported the very module being looked for: give the import system that one,
        # rather than let it run the file a second time.
        # The import system looks at the module's own __spec__ when the finder has imported it
        # as a side effect (and would run its file again): show it the stand-in until then.
        stand_in = importlib.machinery.ModuleSpec(fullname, _ExistingModule(module),
                                                  is_package=hasattr(module, "__path__"))
        if hasattr(module, "__path__"):
            stand_in.submodule_search_locations = list(module.__path__)
        module.__spec__ = stand_in
        return stand_in
