"""`clone_model`: a new model of the same architecture with new weights (Keras 3's function)."""

from __future__ import annotations

from lstmkit.layers import serialization


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A copy of `model`'s architecture with freshly initialised weights (not copied, as in Keras).

    `clone_function(layer)` makes each new layer (default: the layer's class from its config);
    `input_tensors` builds the clone on the given `Input` tensors; `recursive=True` clones the
    layers of nested models with `clone_function` too instead of cloning them whole.
    """
    from lstmkit.layers.input_layer import InputLayer
    from lstmkit.models import config as config_mod
    from lstmkit.models import subclassed
    from lstmkit.models.model import Model
    from lstmkit.models.sequential import Sequential

    if kwargs:
        raise TypeError(f"clone_model() got unexpected keyword arguments: {sorted(kwargs)}")
    if call_function is not None:
        raise ValueError("clone_model(call_function=...) is not supported by lstmkit: rebuild the model's "
                         "calls in code, or clone without it.")
    if not isinstance(model, Model):
        raise ValueError(f"clone_model() expects a Model instance. Received: model={model!r}")
    fn = clone_function or _default_clone
    if not callable(fn):
        raise ValueError(f"clone_model(clone_function=...) must be callable. Received: {clone_function!r}")

    def clone_layer(layer):
        if recursive and isinstance(layer, Model) and not subclassed.is_subclassed(layer):
            return clone_model(layer, clone_function=clone_function, recursive=True)
        return fn(layer)

    if subclassed.is_subclassed(model):
        if input_tensors is not None or clone_function is not None:
            raise ValueError("clone_model() can clone a subclassed model only with the default clone_function "
                             "and no input_tensors (its structure is its code).")
        return _default_clone(model)
    if isinstance(model, Sequential):
        layers = [clone_layer(l) for l in model.layers]
        if input_tensors is not None:
            inputs = input_tensors[0] if isinstance(input_tensors, (list, tuple)) and len(input_tensors) == 1 \
                else input_tensors
            x = inputs
            for layer in layers:
                x = layer(x)
            return Model(inputs, x, name=model.name)
        clone = Sequential(name=model.name, trainable=model.trainable)
        entry = model.get_config()["layers"][0] if model._graph_ready else None
        if entry is not None and entry.get("class_name") == "InputLayer":
            clone.add(serialization.deserialize(entry))
        for layer in layers:
            clone.add(layer)
        return clone

    by_name = {layer.name: layer for layer in model.layers}
    given = None
    if input_tensors is not None:
        given = list(input_tensors) if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        if len(given) != len(model.inputs):
            raise ValueError(f"clone_model(input_tensors=...) got {len(given)} tensors for a model with "
                             f"{len(model.inputs)} inputs.")
        given_layers = []
        for t in given:
            node = getattr(t, "_node", None)
            if node is None or not isinstance(node.layer, InputLayer):
                raise ValueError("clone_model(input_tensors=...) takes `Input(...)` tensors for a functional "
                                 f"model. Received: {t!r}")
            given_layers.append(node.layer)
        input_names = [t._node.layer.name for t in model.inputs]

    def make_layer(entry):
        layer = by_name.get(entry.get("name"))
        if isinstance(layer, InputLayer) or layer is None:
            if given is not None and entry.get("name") in input_names:
                return given_layers[input_names.index(entry["name"])]
            return serialization.deserialize(entry)
        return clone_layer(layer)

    return config_mod.functional_from_config(type(model), model.get_config(), make_layer=make_layer)
