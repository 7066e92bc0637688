"""Ported from Keras 3 (Apache-2.0): keras/src/utils/model_visualization_test.py (keras-team/keras on GitHub; the
Keras 3.15 wheel ships no test for this module), run on lstmkit. `keras` -> `lstmkit` in the imports, plain
pytest classes instead of `testing.TestCase`; nothing left out.
"""

import pydot
import pytest

from lstmkit import layers, models
from lstmkit.utils.model_visualization import check_pydot, get_layer_activation_name, make_layer_label, model_to_dot

LABEL_OFF = dict(show_layer_names=False, show_layer_activations=False, show_dtype=False, show_shapes=False,
                 show_trainable=False)


class TestCheckPydot:
    def test_check_pydot_returns_bool(self):
        assert isinstance(check_pydot(), bool)

    def test_pydot_available(self):
        assert check_pydot()


class TestGetLayerActivationName:
    @pytest.mark.parametrize("activation", ["relu", "sigmoid", "linear"])
    def test_activation(self, activation):
        layer = layers.Dense(10, activation=activation)
        layer.build((None, 5))
        assert get_layer_activation_name(layer) == activation


class TestMakeLayerLabel:
    def _build_dense_layer(self):
        inp = layers.Input(shape=(5,))
        dense = layers.Dense(10, name="test_dense")
        dense(inp)
        return dense

    def test_label_contains_class_name(self):
        assert "Dense" in make_layer_label(self._build_dense_layer(), **LABEL_OFF)

    def test_label_with_layer_names(self):
        assert "test_dense" in make_layer_label(self._build_dense_layer(), **{**LABEL_OFF, "show_layer_names": True})

    def test_label_with_activations(self):
        inp = layers.Input(shape=(5,))
        dense = layers.Dense(10, activation="relu", name="relu_dense")
        dense(inp)
        label = make_layer_label(dense, **{**LABEL_OFF, "show_layer_names": True, "show_layer_activations": True})
        assert "relu" in label

    def test_label_with_shapes(self):
        label = make_layer_label(self._build_dense_layer(), **{**LABEL_OFF, "show_layer_names": True,
                                                                "show_shapes": True})
        assert "Output shape" in label

    def test_label_with_trainable(self):
        label = make_layer_label(self._build_dense_layer(), **{**LABEL_OFF, "show_layer_names": True,
                                                                "show_trainable": True})
        assert "Trainable" in label

    def test_invalid_kwargs_raises(self):
        with pytest.raises(ValueError, match="Invalid kwargs"):
            make_layer_label(self._build_dense_layer(), **{**LABEL_OFF, "show_layer_names": True}, invalid_arg=True)


def _dense_model(**input_kwargs):
    inp = layers.Input(shape=(10,), **input_kwargs)
    return models.Model(inputs=inp, outputs=layers.Dense(5, name="my_dense")(inp))


class TestModelToDot:
    def test_functional_model_returns_dot(self):
        assert isinstance(model_to_dot(_dense_model()), pydot.Dot)

    def test_sequential_model_returns_dot(self):
        model = models.Sequential([layers.Input(shape=(8,)), layers.Dense(4)])
        assert isinstance(model_to_dot(model), pydot.Dot)

    def test_unbuilt_model_raises(self):
        with pytest.raises(ValueError, match="not yet been built"):
            model_to_dot(models.Sequential([layers.Dense(4)]))

    def test_show_shapes(self):
        assert "Output shape" in model_to_dot(_dense_model(), show_shapes=True).to_string()

    def test_show_layer_names(self):
        assert "my_dense" in model_to_dot(_dense_model(name="my_input"), show_layer_names=True).to_string()

    def test_rankdir_lr(self):
        assert "LR" in model_to_dot(_dense_model(), rankdir="LR").to_string()

    def test_subgraph_returns_cluster(self):
        assert isinstance(model_to_dot(_dense_model(), subgraph=True), pydot.Cluster)

    def test_deprecated_layer_range_raises(self):
        with pytest.raises(ValueError, match="layer_range"):
            model_to_dot(_dense_model(), layer_range=["dense"])

    def test_multi_input_model(self):
        inp1, inp2 = layers.Input(shape=(5,)), layers.Input(shape=(3,))
        model = models.Model(inputs=[inp1, inp2], outputs=layers.Concatenate()([inp1, inp2]))
        assert isinstance(model_to_dot(model), pydot.Dot)
