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
name either is one of lstmkit's layers or must be given in `custom_objects`.

Modules: `serialization` (class registry, layers <-> configs), `model_config` (Sequential and
functional graphs <-> configs), `compile_config`, `keras2` (Keras 2 configs, read and written),
`weights` (weight file layouts), `optimizer_state` (the optax state <-> Keras's optimizer
variables), `keras_zip`, `legacy_h5`, `atomic`, `api` (the entry points below).
"""

from lstmkit.saving.api import (
    ModelFileNotFoundError,
    load_model,
    load_weights,
    model_from_config,
    model_from_json,
    save_model,
    save_weights,
)
from lstmkit.saving.serialization import (
    custom_object_scope,
    deserialize_layer,
    get_custom_objects,
    get_registered_name,
    register_keras_serializable,
    serialize_layer,
)

__all__ = [
    "ModelFileNotFoundError", "custom_object_scope", "deserialize_layer", "get_custom_objects",
    "get_registered_name", "load_model", "load_weights", "model_from_config", "model_from_json",
    "register_keras_serializable", "save_model", "save_weights", "serialize_layer",
]
