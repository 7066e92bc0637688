"""Exporting models for inference outside lstmkit: `model.export(path, format="onnx")`.

Needs the optional `onnx` package (`pip install lstmkit[onnx]`, which also installs onnxruntime to run
the file). See `onnx_export` for what the graph holds; `supported_layers()` lists the layers that export.
"""

from lstmkit.export.onnx_builder import ExportError
from lstmkit.export.onnx_export import SUPPORTED_FORMATS, export_model, export_onnx
from lstmkit.export.onnx_rules import supported_layers

__all__ = ["ExportError", "SUPPORTED_FORMATS", "export_model", "export_onnx", "supported_layers"]
