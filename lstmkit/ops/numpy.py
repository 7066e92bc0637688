"""`keras.ops.numpy`: NumPy-like functions with Keras 3's names, arguments and defaults."""

from lstmkit.ops import _numpy_array, _numpy_math, _numpy_products, _numpy_reduce, _numpy_special

_FAMILIES = (_numpy_math, _numpy_reduce, _numpy_special, _numpy_array, _numpy_products)

__all__ = sorted(
    name for mod in _FAMILIES for name, obj in vars(mod).items()
    if not name.startswith("_") and callable(obj) and getattr(obj, "__module__", None) == mod.__name__
)
globals().update({name: getattr(mod, name) for mod in _FAMILIES for name in __all__ if hasattr(mod, name)})
