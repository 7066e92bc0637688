"""Python operators for symbolic tensors, as Keras 3's KerasTensor has them.

`a + b`, `x * 2`, `-x`, `x @ w`, `x[:, -1]`, `x > 0`, ... on KerasTensors become the matching
`lstmkit.ops` call, recorded in the graph like any other op. A mixin: the tensor class inherits it
(`class KerasTensor(TensorOperators)`). Like Keras, `==` keeps Python's identity meaning (graph code
compares and hashes tensors) while `!=` is element-wise.
"""

from __future__ import annotations


_NO_VALUE = ("A KerasTensor is symbolic: it is a placeholder for a shape and a dtype and has no value. Use "
             "it with lstmkit.ops functions or layers, or call the model on arrays to get values.")


def _ops():
    from lstmkit import ops  # imported on use: layers sit below ops in the import graph

    return ops


class TensorOperators:
    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().subtract(self, other)

    def __rsub__(self, other):
        return _ops().subtract(other, self)

    def __mul__(self, other):
        return _ops().multiply(self, other)

    def __rmul__(self, other):
        return _ops().multiply(other, self)

    def __matmul__(self, other):
        return _ops().matmul(self, other)

    def __rmatmul__(self, other):
        return _ops().matmul(other, self)

    def __truediv__(self, other):
        return _ops().true_divide(self, other)

    def __rtruediv__(self, other):
        return _ops().true_divide(other, self)

    def __floordiv__(self, other):
        return _ops().floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops().floor_divide(other, self)

    def __mod__(self, other):
        return _ops().mod(self, other)

    def __rmod__(self, other):
        return _ops().mod(other, self)

    def __pow__(self, other):
        return _ops().power(self, other)

    def __rpow__(self, other):
        return _ops().power(other, self)

    def __neg__(self):
        return _ops().negative(self)

    def __abs__(self):
        return _ops().absolute(self)

    def __lt__(self, other):
        return _ops().less(self, other)

    def __le__(self, other):
        return _ops().less_equal(self, other)

    def __gt__(self, other):
        return _ops().greater(self, other)

    def __ge__(self, other):
        return _ops().greater_equal(self, other)

    def __ne__(self, other):
        return _ops().not_equal(self, other)

    def __and__(self, other):
        return _ops().logical_and(self, other)

    def __rand__(self, other):
        return _ops().logical_and(other, self)

    def __or__(self, other):
        return _ops().logical_or(self, other)

    def __ror__(self, other):
        return _ops().logical_or(other, self)

    def __xor__(self, other):
        return _ops().logical_xor(self, other)

    def __rxor__(self, other):
        return _ops().logical_xor(other, self)

    def __invert__(self):
        return _ops().logical_not(self)

    def __getitem__(self, key):
        return _ops().get_item(self, key)

    def __round__(self, ndigits=None):
        return _ops().round(self, decimals=ndigits or 0)

    # Code that tries to compute with a symbolic tensor directly gets Keras's message, not a type error.
    def __array__(self, dtype=None, copy=None):
        raise ValueError(_NO_VALUE)

    def __jax_array__(self):
        raise ValueError(_NO_VALUE)

    # `!=` is element-wise, so Python must not derive a hash from a custom `__eq__`: keep identity.
    __eq__ = object.__eq__
    __hash__ = object.__hash__
