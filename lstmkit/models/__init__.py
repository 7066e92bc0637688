"""Models: `Sequential` and the functional `Model`."""

from lstmkit.models.model import Model
from lstmkit.models.sequential import Sequential
from lstmkit.models.cloning import clone_model
from lstmkit.saving.api import load_model, model_from_config, model_from_json, save_model  # noqa: E402

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_config", "model_from_json", "save_model"]
