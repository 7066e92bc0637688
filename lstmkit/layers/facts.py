"""The facts a layer owns about Keras's files, `summary(explain=True)` and `lstmkit.inspect`.

Each default fits a plain layer; a layer whose Keras facts differ overrides the hook in its own
file, so saving/, models/param_counts.py and lstmkit.inspect know no particular layer.
"""

from __future__ import annotations


class LayerFacts:
    """The hooks of `Layer` that saving, summaries and traces read (see the module docstring)."""

    #: True for models (Sequential, Functional): saving loads them as whole models.
    _keras_model = False
    #: True for layers Keras builds in `__init__` (no weights, no build step): Keras writes no build_config.
    _keras_built_at_init = False

    def keras_serialized(self):
        """This object's serialized form when it writes it itself (models), else None: `get_config()` is used."""
        return None

    @classmethod
    def keras_from_serialized(cls, entry):
        """An object rebuilt from its whole serialized `entry` when the class reads it itself (models), else None."""
        return None

    @classmethod
    def keras2_config(cls, config, where):
        """A Keras 2 config of this class as arguments it takes (`where` names the layer in errors)."""
        return config

    @classmethod
    def to_keras2_config(cls, config, where, convert):
        """Keras 3 config -> the one tf.keras 2 writes; `convert(entry, where)` converts an inner layer's entry."""
        return config

    @classmethod
    def keras2_states_as_inputs(cls) -> bool:
        """True when Keras 2 passes this layer's `initial_state` as extra inputs of its node."""
        return False

    def keras_own_variables(self) -> list:
        """The variables Keras 3 stores in this object's own `vars` group (its `save_own_variables`)."""
        return list(self._vars)

    def keras_children(self) -> list:
        """[(path, object)] under this one in Keras 3's weight files, in Keras's walk order
        (attributes by name, private ones last)."""
        attrs = sorted(self._sublayers, key=lambda a: ("~" + a) if a.startswith("_") else a)
        return [(attr, self._sublayers[attr]) for attr in attrs]

    def keras_layers(self):
        """A container's layers in Keras's order (models); None for a layer."""
        return None

    def keras_legacy_weight_names(self, prefix) -> dict:
        """Variable.key -> the weight's name in a legacy .h5 file ('lstm/lstm_cell/kernel:0')."""
        names = {v.key: f"{prefix}/{v.name}:0" for v in self._vars}
        for sub in self._sublayers.values():
            names.update(sub.keras_legacy_weight_names(f"{prefix}/{sub.name}"))
        return names

    def param_count_formula(self):
        """(expression, count, legend) saying how `count_params()` comes about, for `summary(explain=True)`;
        None: the summary adds up the weights instead."""
        return None

    def checked_param_count_formula(self):
        """`param_count_formula()`, only if it accounts for exactly this layer's weights."""
        if not self.built:
            return None
        found = self.param_count_formula()
        return found if found is not None and found[1] == self.count_params() else None

    def traces_steps(self) -> bool:
        """True when `lstmkit.inspect.trace` records this layer's steps (`trace_steps`)."""
        return False

    def trace_steps(self, params, inputs, mask=None, initial_state=None, states=None) -> dict:
        """{name suffix: {'kind', 'values', 'inputs', 'mask', 'go_backwards'}} of one call on concrete
        inputs (values: quantity -> (samples, time, units)); see `lstmkit.inspect`."""
        return {}

    # --- the values a layer takes (checked on the host before compiling: see lstmkit.training.input_checks)
    #: True for layers whose outputs are their input's values, only rearranged or repeated (Identity,
    #: Reshape, Flatten, RepeatVector, Permute): a value range of a layer after them applies to the data.
    _passes_input_values = False

    def input_value_range(self, **call_kwargs):
        """(low, high): integers (floats by their truncation) the values of this layer's input must lie in,
        high excluded, as for Embedding's indices; None where any value gives a right answer.
        `call_kwargs`: the keyword arguments of the call (of a graph node), e.g. ReversibleEmbedding's `reverse`."""
        return None

    def input_value_message(self, value, position, where) -> str:
        """The error for `value` at `position` of `where` (e.g. "`x`"), outside `input_value_range()`."""
        low, high = self.input_value_range()
        return (f"{where} holds the value {value} at position {position}, but layer '{self.name}' takes values "
                f"in [{low}, {high}).")
