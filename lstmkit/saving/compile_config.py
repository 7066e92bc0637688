"""compile() settings <-> Keras's `compile_config` (Keras 3) and `training_config` (Keras 2 .h5)."""

from __future__ import annotations

from lstmkit import losses as losses_mod
from lstmkit import metrics as metrics_mod
from lstmkit import optimizers as optimizers_mod


def _nested(value, fn):
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _nested(v, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nested(v, fn) for v in value]
    return fn(value)


def _serialize_loss(loss):
    return loss if loss is None or isinstance(loss, str) else losses_mod.serialize(loss)


def _serialize_metric(metric):
    return metric if metric is None or isinstance(metric, str) else metrics_mod.serialize(metric)


def compile_config(model) -> dict:
    """Keras 3's `get_compile_config()` of a compiled model."""
    args = model._compile_args or {}
    return {
        "optimizer": optimizers_mod.serialize(model.optimizer),
        "loss": _nested(args.get("loss"), _serialize_loss),
        "loss_weights": args.get("loss_weights"),
        "metrics": _nested(args.get("metrics"), _serialize_metric),
        "weighted_metrics": _nested(args.get("weighted_metrics"), _serialize_metric),
        # lstmkit always compiles whole epochs with XLA: what Keras 3 on JAX records for a default compile().
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": True,
    }


def training_config(model, keras2=False) -> dict:
    """The `training_config` attribute of a legacy .h5 file (the optimizer under 'optimizer_config')."""
    config = compile_config(model)
    # Keras 3's .h5 reader fails on loss aliases such as 'mse' (it looks them up as classes); the full
    # function names mean the same loss to every Keras.
    config["loss"] = _nested(config["loss"], lambda v: losses_mod._FUNCTION_ALIASES[v].__name__
                             if isinstance(v, str) and v in losses_mod._FUNCTION_ALIASES else v)
    optimizer = config.pop("optimizer")
    opt_config = dict(optimizer["config"])
    if keras2:
        for key in ("loss_scale_factor", "gradient_accumulation_steps"):
            if opt_config.pop(key, None) is not None:
                raise ValueError(f"A Keras 2 file cannot hold the optimizer setting `{key}`; save as '.keras' instead.")
        opt_config["is_legacy_optimizer"] = False
    config["optimizer_config"] = {"class_name": optimizer["class_name"], "config": opt_config}
    return config


# ----------------------------------------------------------------------------------------------- reading
def _optimizer(config, custom_objects):
    if isinstance(config, str):
        return optimizers_mod.get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Unreadable optimizer config: {config!r:.200}.")
    config = dict(config)
    # tf.keras 2.11+ registers its optimizers as 'Custom>Adam'.
    config["class_name"] = str(config["class_name"]).split(">")[-1]
    return optimizers_mod.deserialize(config, custom_objects=custom_objects)


def _loss(value, custom_objects):
    if value is None or isinstance(value, str) and not (custom_objects and value in custom_objects):
        return value
    return losses_mod.deserialize(value, custom_objects=custom_objects)


def _metric(value, custom_objects):
    if value is None or isinstance(value, str) and not (custom_objects and value in custom_objects):
        return value
    if isinstance(value, str):
        return custom_objects[value]
    if isinstance(value, dict) and value.get("class_name") == "MeanMetricWrapper":
        # Keras 2 wraps metric functions; their names ('mae', 'accuracy') give the same metric and log keys.
        name = (value.get("config") or {}).get("name")
        if isinstance(name, str):
            try:
                metrics_mod.get(name)
                return name
            except ValueError:
                pass
        fn = (value.get("config") or {}).get("fn")
        if isinstance(fn, str):
            return fn
    return metrics_mod.deserialize(value, custom_objects=custom_objects)


def _per_output_metrics(metrics, n_outputs):
    # Keras 2 stores metrics as one list per output; one output takes a flat list in compile().
    if n_outputs == 1 and isinstance(metrics, list) and len(metrics) == 1 and isinstance(metrics[0], list):
        return metrics[0]
    return metrics


def compile_args(config: dict, n_outputs: int, custom_objects=None) -> dict:
    """compile() keyword arguments from a Keras 3 `compile_config` or a Keras 2 `training_config`."""
    if not isinstance(config, dict):
        raise ValueError(f"Unreadable compile settings: {config!r:.200}.")
    opt_config = config.get("optimizer", config.get("optimizer_config"))
    if opt_config is None:
        raise ValueError("The saved compile settings name no optimizer.")
    out = {
        "optimizer": _optimizer(opt_config, custom_objects),
        "loss": _nested(config.get("loss"), lambda v: _loss(v, custom_objects)),
        "loss_weights": config.get("loss_weights"),
    }
    for key in ("metrics", "weighted_metrics"):
        value = _per_output_metrics(config.get(key), n_outputs)
        out[key] = _nested(value, lambda v: _metric(v, custom_objects))
    return out
