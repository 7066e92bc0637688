"""Models: `Sequential` and the functional `Model`."""

from lstmkit.models.model import Model
from lstmkit.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
