"""Models: `Sequential` and the functional `Model`."""

from lstmkit.models.model import Model
from lstmkit.models.sequential import Sequential
from lstmkit.saving.api import load_model, model_from_config, model_from_json, save_model  # noqa: E402

__all__ = ["Model", "Sequential", "load_model", "model_from_config", "model_from_json", "save_model"]
