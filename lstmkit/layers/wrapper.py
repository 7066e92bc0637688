"""`Wrapper`: Keras's base class of layers that wrap another layer (`TimeDistributed`, users' wrappers)."""

from __future__ import annotations

from lstmkit.layers.base import Layer


class Wrapper(Layer):
    """A layer around `layer`: tracks it as `self.layer`, builds it, and writes it into the config.

    Subclasses write `call`; the wrapped layer is reached as `self.layer(...)` or, the Keras way,
    `self.layer.call(inputs)`.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer!r} supplied to {type(self).__name__} isn't a supported layer type. "
                             "Please ensure wrapped layer is a valid Keras layer (a Layer instance, e.g. Dense(1)).")
        super().__init__(**kwargs)
        self.layer = self._track("layer", layer)

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._maybe_build(input_shape)
        self.built = True

    def get_config(self):
        from lstmkit.layers.serialization import serialize_layer

        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """`config['layer']` may be a layer or its serialized form (Keras 2 or 3), built as it was saved."""
        from lstmkit.layers.serialization import deserialize_layer

        config = dict(config)
        if not isinstance(config.get("layer"), Layer):
            config["layer"] = deserialize_layer(config.get("layer"), custom_objects=custom_objects, build=True)
        return cls(**config)
