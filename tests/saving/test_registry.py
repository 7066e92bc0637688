"""The class registry below the layers: built-in classes register themselves, users' classes never do."""

import pytest

import lstmkit
from lstmkit import _object_registration as registry
from lstmkit import layers as L
from lstmkit.layers.base import Layer
from lstmkit.layers.serialization import deserialize_layer, serialize_layer


def test_every_public_layer_and_model_registered_itself():
    public = [getattr(L, n) for n in L.__all__]
    for cls in public:
        if isinstance(cls, type) and issubclass(cls, Layer) and cls is not Layer:
            assert registry.builtin_class(cls.__name__) is cls, cls
    assert registry.builtin_class("Sequential") is lstmkit.models.Sequential
    assert registry.builtin_class("Functional") is registry.builtin_class("Model") is lstmkit.models.Model
    assert registry.keras_class_name(lstmkit.models.Model) == "Functional"
    assert registry.builtin_class("RNNBase") is None  # a base class, never named by a file


def test_a_users_subclass_is_not_registered_and_loads_only_when_given():
    class MyDense(L.Dense):
        pass

    assert registry.builtin_class("MyDense") is None
    entry = serialize_layer(MyDense(2, name="md"))
    # Keras 3's form for a user's class: its own module, its class name as registered name.
    assert entry["module"] == __name__ and entry["class_name"] == "MyDense" and entry["registered_name"] == "MyDense"
    with pytest.raises(ValueError, match="Unknown layer class 'MyDense'"):
        deserialize_layer(entry)
    assert type(deserialize_layer(entry, custom_objects={"MyDense": MyDense})) is MyDense


def test_a_user_class_shadowing_a_builtin_name_does_not_replace_it():
    class Dense(L.Dense):  # same name as the built-in, defined outside lstmkit
        pass

    assert registry.builtin_class("Dense") is L.Dense
    assert serialize_layer(Dense(1))["module"] == __name__


def test_a_new_layer_file_is_all_it_takes():
    # A class defined in a module of the package registers itself: no table to edit elsewhere.
    fresh = type("FreshLayer", (Layer,), {"__module__": "lstmkit.layers.fresh_layer",
                                          "call": lambda self, params, inputs, ctx: inputs,
                                          "get_config": lambda self: Layer.get_config(self)})
    try:
        entry = serialize_layer(fresh(name="f"))
        assert entry["module"] == "keras.layers" and entry["registered_name"] is None
        assert type(deserialize_layer(entry)) is fresh
    finally:
        registry._BUILTIN.pop("FreshLayer")


def test_keras_aliases_of_the_registration_api():
    for name in ("register_keras_serializable", "get_custom_objects", "custom_object_scope", "get_registered_name",
                 "get_registered_object", "CustomObjectScope"):
        assert getattr(lstmkit.utils, name) is getattr(lstmkit.saving, name) is getattr(registry, name)


def test_get_registered_object_and_name():
    @lstmkit.utils.register_keras_serializable(package="reg_test", name="triple")
    def triple(x):
        return 3 * x

    try:
        assert lstmkit.saving.get_registered_name(triple) == "reg_test>triple"
        assert lstmkit.saving.get_registered_object("reg_test>triple") is triple
        assert lstmkit.saving.get_registered_object("nothing", custom_objects={"nothing": 1}) == 1
        with lstmkit.utils.custom_object_scope({"t3": triple}):
            assert lstmkit.saving.get_registered_object("t3") is triple
        assert lstmkit.saving.get_registered_object("t3") is None
    finally:
        lstmkit.saving.get_custom_objects().pop("reg_test>triple")
