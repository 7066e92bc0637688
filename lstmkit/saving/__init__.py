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
points below).
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
    "CustomObjectScope", "ModelFileNotFoundError", "custom_object_scope", "deserialize_layer",
    "get_custom_objects", "get_registered_name", "get_registered_object", "load_model", "load_weights",
    "model_from_config", "model_from_json", "register_keras_serializable", "save_model", "save_weights",
    "serialize_layer", "serialize_keras_object", "deserialize_keras_object",
]
