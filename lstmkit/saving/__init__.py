"""Model files, both ways: Keras 3's `.keras`, the legacy `.h5`, JSON configs and weight files.

```python
model.save('lstm_model.keras')            # or 'lstm_model.h5' (the seeds' format)
model = lstmkit.models.load_model('lstm_model.h5')
model = lstmkit.models.model_from_json(model.to_json())
model.save_weights('w.weights.h5'); model.load_weights('w.weights.h5')
```

Files written by Keras 3 and by Keras 2 (tf.keras / tf_keras) load with their predictions
unchanged (Keras 2's meaning of `hard_sigmoid` is kept); files written here load in Keras 3.
Loading never runs code stored in a file: only `zipfile`, `json` and `h5py` read it, and a class
name either is one of lstmkit's classes, or was registered with `register_keras_serializable`, or
must be given in `custom_objects`.

A model writes and reads its own graph config
(`lstmkit.models.config`), each layer its own weight paths (the hooks at the end of `Layer`), and
the class registry sits below the layers (`lstmkit._object_registration`,
`lstmkit.layers.serialization`), so saving imports no layer or model class. Modules: `compile_config`,
`keras2` (Keras 2 configs, written), `weights` (weight file layouts), `optimizer_state` (the optax
state <-> Keras's optimizer variables), `keras_zip`, `legacy_h5`, `atomic`, `api` (the entry
points below), `limits` and `h5_guard` (what a hostile file may claim, checked before anything is
built or read).

Every size a file declares is checked against limits before it is allocated: a model built from a
file may hold 4 GiB of weights (`set_load_limits(max_weight_bytes=...)` or the `load_limits(...)`
context raise it; Keras 3 has no such limit).
"""

from lstmkit._object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from lstmkit.layers.serialization import deserialize_layer, serialize_layer
from lstmkit.saving.limits import LoadLimits, load_limits, set_load_limits
from lstmkit.saving.objects import deserialize_keras_object, serialize_keras_object
from lstmkit.saving.api import (
    ModelFileNotFoundError,
    load_model,
    load_weights,
    model_from_config,
    model_from_json,
    save_model,
    save_weights,
)

__all__ = [
    "CustomObjectScope", "LoadLimits", "ModelFileNotFoundError", "custom_object_scope", "deserialize_layer",
    "get_custom_objects", "get_registered_name", "get_registered_object", "load_model", "load_weights",
    "load_limits", "model_from_config", "model_from_json", "register_keras_serializable", "save_model",
    "save_weights", "set_load_limits",
    "serialize_layer", "serialize_keras_object", "deserialize_keras_object",
]
