"""serialize_keras_object / deserialize_keras_object: Keras 3's forms, both ways."""

import numpy as np
import pytest

import keras
import lstmkit
from lstmkit import layers, saving


@pytest.mark.parametrize("ours, theirs", [
    (lstmkit.initializers.Ones(), keras.initializers.Ones()),
    (lstmkit.initializers.GlorotUniform(seed=3), keras.initializers.GlorotUniform(seed=3)),
    (lstmkit.regularizers.L2(0.5), keras.regularizers.L2(0.5)),
    (lstmkit.constraints.MaxNorm(2.0), keras.constraints.MaxNorm(2.0)),
    (lstmkit.activations.tanh, keras.activations.tanh),
])
def test_objects_serialize_as_keras_does_and_round_trip(ours, theirs):
    config = saving.serialize_keras_object(ours)
    assert config == keras.saving.serialize_keras_object(theirs)
    back = saving.deserialize_keras_object(config)
    assert back is ours if callable(ours) and not hasattr(ours, "get_config") else type(back) is type(ours)


def test_a_layer_keeping_a_sublayer_in_its_config_round_trips():
    class Block(layers.Layer):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner if isinstance(inner, layers.Layer) else saving.deserialize_keras_object(inner)

        def call(self, x):
            return self.inner(x)

        def get_config(self):
            return {**super().get_config(), "inner": saving.serialize_keras_object(self.inner)}

    block = Block(layers.Dense(3, activation="relu"))
    clone = Block.from_config(block.get_config())
    assert type(clone.inner) is layers.Dense and clone.inner.units == 3
    assert saving.serialize_keras_object([1, "a", None, {"k": 2.5}]) == [1, "a", None, {"k": 2.5}]
    with pytest.raises(ValueError, match="cannot serialize"):
        saving.serialize_keras_object(object())


def test_keras_configs_deserialize_here():
    dense = saving.deserialize_keras_object(keras.saving.serialize_keras_object(keras.layers.Dense(2)))
    assert type(dense) is layers.Dense and dense.units == 2
    fn = saving.deserialize_keras_object({"module": "builtins", "class_name": "function", "config": "my_act",
                                          "registered_name": "function"}, custom_objects={"my_act": np.tanh})
    assert fn is np.tanh
