"""Which shapes a layer's `build` receives when its call takes several tensors (Keras 3's rule).

`build(self, input_shape)` (one argument) gets the first call argument's shape. A `build` with
several arguments names them after the call's: `build(self, query_shape, value_shape)` for
`call(self, query, value)`, each given the shape of that argument (None when not passed).
"""

from __future__ import annotations

import inspect


def _parameters(fn):
    return [p for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def build(layer, input_shape, arg_shapes=(), kwarg_shapes=None):
    """Call `layer.build` with the shapes of the call's tensor arguments."""
    kwarg_shapes = kwarg_shapes or {}
    build_params = _parameters(layer.build)
    takes_varargs = any(p.kind is p.VAR_POSITIONAL for p in inspect.signature(layer.build).parameters.values())
    if takes_varargs:
        return layer.build(input_shape, *arg_shapes)
    if len(build_params) <= 1 or not layer._keras_style():
        return layer.build(input_shape) if build_params else layer.build()
    call_names = [p.name for p in _parameters(layer.call)]
    shapes = dict(zip(call_names, (input_shape,) + tuple(arg_shapes)))
    shapes.update(kwarg_shapes)
    kwargs = {}
    for p in build_params:
        if not p.name.endswith("_shape"):
            raise ValueError(f"For layer '{type(layer).__name__}', received `build()` argument `{p.name}`, which "
                             "does not end in `_shape`. With several arguments, `build` names each after a "
                             "`call` argument: `build(self, x_shape, y_shape)` for `call(self, x, y)`.")
        arg = p.name[: -len("_shape")]
        if arg not in call_names:
            raise ValueError(f"For layer '{type(layer).__name__}', received `build()` argument `{p.name}`, but "
                             f"`call()` does not have argument `{arg}`.")
        kwargs[p.name] = shapes.get(arg)
    return layer.build(**kwargs)
