"""`keras.ops.numpy`: NumPy-like functions with Keras 3's names, arguments and defaults."""

from lstmkit.ops import _numpy_array, _numpy_math
from lstmkit.ops._numpy_array import *  # noqa: F401,F403
from lstmkit.ops._numpy_math import *  # noqa: F401,F403

__all__ = sorted(
    name for mod in (_numpy_math, _numpy_array) for name, obj in vars(mod).items()
    if not name.startswith("_") and callable(obj) and getattr(obj, "__module__", None) == mod.__name__
)
