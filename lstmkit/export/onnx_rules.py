"""The table of ONNX rules, keyed by layer class: the layers stay unaware of ONNX.

A rule is `rule(call) -> outputs` (one name, or a list for several outputs) where `call` is an
`onnx_export.Call`. A rule registered with `masks=True` handles masks itself and returns
`(outputs, output masks)`. For the others, an incoming mask is passed on as the layer's own
`compute_mask` would (kept by `supports_masking` layers, dropped by the rest), and refused when the
layer's computation reads the mask (its `call` takes `mask`) or computes its own mask: the number would
differ otherwise.

The table is looked up by the exact class: a subclass may change `call`, so it needs its own rule.
"""

from __future__ import annotations

from lstmkit.export.onnx_builder import ExportError

RULES: dict = {}


def rule(*classes, masks=False, options=()):
    """Register the decorated function as the ONNX rule of `classes`; `options`: the call's keyword
    arguments the rule reads (`call.options`), others are refused."""

    def register(fn):
        for cls in classes:
            RULES[cls] = (fn, masks, frozenset(options))
        return fn

    return register


def _load_rules():
    # The rule modules register themselves on import.
    from lstmkit.export import onnx_attention, onnx_layers, onnx_recurrent  # noqa: F401


def supported_layers() -> list:
    """The names of the layer classes that export to ONNX."""
    _load_rules()
    return sorted(cls.__name__ for cls in RULES)


def find_rule(layer, where):
    _load_rules()
    entry = RULES.get(type(layer))
    if entry is None:
        raise ExportError(f"{where} cannot be exported to ONNX: lstmkit has no ONNX rule for "
                          f"{type(layer).__name__}. Layers that export: {', '.join(supported_layers())}.")
    return entry


def run_rule(call):
    """(output names, output masks) of one layer call."""
    fn, handles_masks, options = find_rule(call.layer, call.where)
    unread = sorted(set(call.options) - options)
    if unread:
        raise ExportError(f"{call.where}: its call's arguments {unread} cannot be exported to ONNX"
                          + (f" (it exports with {sorted(options)})." if options else "."))
    if handles_masks:
        outputs, masks = fn(call)
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        masks = list(masks) if isinstance(masks, (list, tuple)) else [masks] + [None] * (len(outputs) - 1)
        return outputs, masks
    if call.initial_state is not None:
        raise ExportError(f"{call.where}: `initial_state` is not an argument of this layer's export.")
    incoming = [v.mask for v in call.inputs if v.mask is not None]
    if incoming and _reads_masks(call.layer):
        raise ExportError(f"{call.where} receives a mask (from Masking or Embedding(mask_zero=True)) and its result "
                          "depends on it; that case cannot be exported to ONNX yet.")
    outputs = fn(call)
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    passed = call.inputs[0].mask if getattr(call.layer, "supports_masking", False) else None
    return outputs, [passed] + [None] * (len(outputs) - 1)


def _reads_masks(layer) -> bool:
    from lstmkit.layers.base import Layer

    return layer._call_accepts("mask") or type(layer).compute_mask is not Layer.compute_mask
