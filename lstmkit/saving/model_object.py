"""A whole model <-> Keras 3's top-level serialized object (what `config.json` and `to_json` hold).

The model writes and reads its own graph (`keras_serialized` / `keras_from_serialized`, in
lstmkit.models); this module adds the compile settings and checks that a file holds a model.
"""

from __future__ import annotations

from lstmkit import _object_registration as registry
from lstmkit.layers import serialization
from lstmkit.saving import limits
from lstmkit.saving.keras2 import is_keras2_version


def serialize_model(model, include_compile=True) -> dict:
    """A whole model as Keras 3's top-level object: the model's own serialized form plus its compile settings."""
    from lstmkit.saving.compile_config import compile_config

    entry = serialization.serialize_layer(model)
    if include_compile and model.compiled:
        entry["compile_config"] = compile_config(model)
    return entry


def deserialize_model(config, custom_objects=None, keras2=None, where="the config", compile=False,
                      weights_follow=False, stored=None):
    """A model from its serialized form (Keras 3's top-level dict, or Keras 2's {'class_name', 'config'}).

    Every size the config claims is checked first, and the model is built within the weight budget
    (`lstmkit.saving.limits`). `weights_follow`: a model file's weights will replace the first values,
    so these are zeros rather than drawn (and a model without layers is refused); `stored`: how many
    weight values the file holds, so that a config asking for more is refused before those weights exist.
    """
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"{where}: not a model config (expected an object with 'class_name' and 'config'; "
                         f"received {type(config).__name__}).")
    limits.check_config(config, where)
    if keras2 is None:
        version = config.get("keras_version")
        # Keras 3 always writes 'module'; Keras 2's to_json never does.
        keras2 = is_keras2_version(version) if version is not None else "module" not in config
    cls = registry.builtin_class(config["class_name"])
    if cls is not None and not cls._keras_model:
        raise ValueError(f"{where}: holds a '{config['class_name']}' layer config, not a model "
                         "(Sequential or Functional).")
    with serialization.load_context(custom_objects, keras2, from_file=True), \
            limits.building(where, placeholders=weights_follow, stored=stored):
        model = serialization.deserialize(config)
        if not getattr(model, "_keras_model", False):
            raise ValueError(f"{where}: holds a '{config['class_name']}' config, not a model (Sequential or "
                             "Functional).")
        build = config.get("build_config")
        if not model._graph_ready and isinstance(build, dict) and build.get("input_shape"):
            model.build(tuple(build["input_shape"]))
    if weights_follow and not model.layers:
        raise ValueError(f"{where}: the model config has no layers (`layers: []`); Keras refuses such a file too.")
    if model._graph_ready:
        limits.check_activations(model, where)
    if compile and config.get("compile_config"):
        compile_loaded(model, config["compile_config"], custom_objects, where)
    return model


def compile_loaded(model, config, custom_objects, where):
    from lstmkit.saving.compile_config import compile_args

    try:
        args = compile_args(config, len(model.outputs) if model._graph_ready else 1, custom_objects)
        model.compile(**args)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{where}: cannot restore the saved compile() settings: {e}. Load with compile=False "
                         "and compile the model yourself.") from e
