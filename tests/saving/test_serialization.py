"""Layer configs: the same keys and values as Keras 3's `get_config`, and `from_config` round trips."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit import layers as L  # noqa: E402
from lstmkit.layers.base import CallContext  # noqa: E402
from lstmkit.saving import deserialize_layer, serialize_layer  # noqa: E402


def normal(config):
    """JSON form (tuples as lists) without Keras's per-process `shared_object_id`s."""
    def strip(d):
        if isinstance(d, dict):
            return {k: strip(v) for k, v in d.items() if k != "shared_object_id"}
        if isinstance(d, list):
            return [strip(v) for v in d]
        return d
    return strip(json.loads(json.dumps(config)))


def _wrapped(mod, wrapper, inner, **kw):
    return lambda: getattr(mod.layers, wrapper)(inner(mod), **kw)


# (layer class, args, kwargs, build shape or None)
CASES = {
    "Dense": ("Dense", (3,), {"activation": "relu", "kernel_regularizer": "l2", "bias_constraint": "non_neg"}, (None, 4)),
    "Activation": ("Activation", ("tanh",), {}, None),
    "Dropout": ("Dropout", (0.3,), {"seed": 4, "noise_shape": (None, 1, 2)}, None),
    "Flatten": ("Flatten", (), {}, (None, 3, 2)),
    "RepeatVector": ("RepeatVector", (3,), {}, (None, 2)),
    "Reshape": ("Reshape", ((2, 3),), {}, None),
    "Masking": ("Masking", (), {"mask_value": -1.0}, None),
    "Embedding": ("Embedding", (10, 3), {"mask_zero": True, "embeddings_initializer": "he_normal"}, (None, 5)),
    "LSTM": ("LSTM", (4,), {"recurrent_activation": "hard_sigmoid", "return_sequences": True, "dropout": 0.1,
                            "unit_forget_bias": False, "seed": 2}, (None, 5, 2)),
    "GRU": ("GRU", (4,), {"reset_after": False, "go_backwards": True, "stateful": True}, (3, 5, 2)),
    "SimpleRNN": ("SimpleRNN", (4,), {"activation": "relu", "return_state": True, "unroll": True}, (None, 5, 2)),
    "Concatenate": ("Concatenate", (), {"axis": 1}, None),
    "Add": ("Add", (), {}, None),
    "Subtract": ("Subtract", (), {}, None),
    "Multiply": ("Multiply", (), {}, None),
    "Average": ("Average", (), {}, None),
    "Maximum": ("Maximum", (), {}, None),
    "Minimum": ("Minimum", (), {}, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_config_equals_keras(case):
    cls, args, kwargs, shape = CASES[case]
    ours = getattr(L, cls)(*args, name="x", **kwargs)
    theirs = getattr(keras.layers, cls)(*args, name="x", **kwargs)
    if shape is not None:
        ours.build(shape) if cls != "Embedding" else ours._maybe_build(shape)
        ours._build_shape = shape
        theirs.build(shape)
    assert normal(ours.get_config()) == normal(theirs.get_config())
    assert list(ours.get_config()) == list(theirs.get_config())  # same key order in the files, too
    assert normal(serialize_layer(ours)) == normal(keras.saving.serialize_keras_object(theirs))
    again = type(ours).from_config(ours.get_config())
    assert normal(again.get_config()) == normal(ours.get_config())
    # and Keras rebuilds the same layer from our config
    assert normal(getattr(keras.layers, cls).from_config(ours.get_config()).get_config()) == normal(ours.get_config())


@pytest.mark.parametrize("mode", ["concat", "ave"])
def test_wrapper_configs_equal_keras(mode):
    ours = L.Bidirectional(L.GRU(2, return_sequences=True, reset_after=False, name="g"), merge_mode=mode, name="bi")
    theirs = keras.layers.Bidirectional(keras.layers.GRU(2, return_sequences=True, reset_after=False, name="g"),
                                        merge_mode=mode, name="bi")
    ours._maybe_build((None, 4, 3))
    theirs.build((None, 4, 3))
    assert normal(ours.get_config()) == normal(theirs.get_config())
    td_ours = L.TimeDistributed(L.Dense(2, name="d"), name="td")
    td_theirs = keras.layers.TimeDistributed(keras.layers.Dense(2, name="d"), name="td")
    td_ours._maybe_build((None, 4, 3))
    td_theirs.build((None, 4, 3))
    assert normal(td_ours.get_config()) == normal(td_theirs.get_config())


def test_wrapper_round_trip_keeps_weights_and_outputs():
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    for layer in (L.Bidirectional(L.LSTM(2), merge_mode="sum"), L.TimeDistributed(L.Dense(2))):
        layer._maybe_build(x.shape)
        clone = deserialize_layer(json.loads(json.dumps(serialize_layer(layer))))
        assert type(clone) is type(layer)
        clone._maybe_build(x.shape)
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(clone.apply(clone.current_params(), x, CallContext())[0],
                                   layer.apply(layer.current_params(), x, CallContext())[0], atol=1e-6)


def test_input_layer_config_equals_keras():
    ours = L.InputLayer(shape=(3, 2), name="inp")
    theirs = keras.layers.InputLayer(shape=(3, 2), name="inp")
    assert normal(ours.get_config()) == normal(theirs.get_config())
    assert L.InputLayer.from_config(ours.get_config()).batch_shape == (None, 3, 2)
    with pytest.raises(ValueError, match="ragged"):
        L.InputLayer(shape=(3,), ragged=True)


def test_keras_objects_inside_configs_come_back():
    layer = L.LSTM(3, kernel_initializer=lstmkit.initializers.RandomNormal(stddev=0.3, seed=1),
                   recurrent_regularizer=lstmkit.regularizers.L1L2(l1=0.01, l2=0.02),
                   bias_constraint=lstmkit.constraints.MaxNorm(2.0), activation="selu")
    clone = deserialize_layer(json.loads(json.dumps(serialize_layer(layer))))
    assert clone.kernel_initializer.get_config() == layer.kernel_initializer.get_config()
    assert clone.recurrent_regularizer.get_config() == {"l1": 0.01, "l2": 0.02}
    assert clone.bias_constraint.get_config() == layer.bias_constraint.get_config()
    assert clone.activation is lstmkit.activations.selu


def test_unknown_class_names_it_lists_supported_and_custom_objects():
    with pytest.raises(ValueError) as e:
        deserialize_layer({"class_name": "Conv3DTranspose", "config": {"filters": 2}})
    msg = str(e.value)
    assert "'Conv3DTranspose'" in msg and "LSTM" in msg and "TimeDistributed" in msg and "custom_objects" in msg
    with pytest.raises(ValueError, match="Lambda.*never runs code.*custom_objects"):
        deserialize_layer({"class_name": "Lambda", "config": {"function": {"class_name": "__lambda__"}}})


def test_custom_layers_and_functions_through_custom_objects():
    class Scale(lstmkit.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, params, inputs, ctx):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    def my_act(x):
        return x * 3.0

    entry = serialize_layer(Scale(5.0, name="s"))
    assert entry["class_name"] == "Scale" and entry["registered_name"] == "Scale"
    with pytest.raises(ValueError, match="Unknown layer class 'Scale'"):
        deserialize_layer(entry)
    assert deserialize_layer(entry, custom_objects={"Scale": Scale}).factor == 5.0
    dense = serialize_layer(L.Dense(2, activation=my_act))
    assert dense["config"]["activation"] == "my_act"
    with pytest.raises(ValueError, match="my_act"):
        deserialize_layer(dense)
    assert deserialize_layer(dense, custom_objects={"my_act": my_act}).activation is my_act


def test_config_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"layer 'bad' \(LSTM\).*units"):
        deserialize_layer({"class_name": "LSTM", "config": {"name": "bad", "units": -1}})
    with pytest.raises(ValueError, match="Could not rebuild layer 'q' \\(Dense\\).*quantization"):
        deserialize_layer({"class_name": "Dense", "config": {"name": "q", "units": 2, "quantization_config": {"mode": "int8"}}})
    with pytest.raises(ValueError, match="Expected a layer config"):
        deserialize_layer(["LSTM"])


def test_registered_and_scoped_custom_objects():
    from lstmkit.saving import custom_object_scope, get_custom_objects, register_keras_serializable

    @register_keras_serializable(package="tests")
    class Doubler(lstmkit.layers.Layer):
        def call(self, params, inputs, ctx):
            return inputs * 2.0

    try:
        entry = serialize_layer(Doubler(name="dbl"))
        assert entry["registered_name"] == "tests>Doubler"
        assert type(deserialize_layer(entry)) is Doubler  # found without custom_objects
    finally:
        get_custom_objects().pop("tests>Doubler")
    with pytest.raises(ValueError, match="Unknown layer class 'Doubler'"):
        deserialize_layer(entry)
    with custom_object_scope({"Doubler": Doubler}):
        assert type(deserialize_layer(entry)) is Doubler
