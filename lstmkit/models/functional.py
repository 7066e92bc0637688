"""Layer graphs of the functional API: ordering the nodes and running them."""

from __future__ import annotations

import jax

from lstmkit.layers.input_layer import InputLayer, KerasTensor, _is_kt


def flatten_tensors(struct) -> list[KerasTensor]:
    return [t for t in jax.tree_util.tree_leaves(struct, is_leaf=_is_kt) if _is_kt(t)]


def topological_nodes(inputs: list[KerasTensor], outputs: list[KerasTensor]):
    """Nodes needed to compute `outputs` from `inputs`, in execution order."""
    input_ids = {id(t) for t in inputs}
    order, seen, visiting = [], set(), set()

    def visit(tensor: KerasTensor):
        node = tensor._node
        if node is None:
            raise ValueError(f"Tensor {tensor} was not produced by a layer or `Input`.")
        if id(node) in seen:
            return
        if id(node) in visiting:
            raise ValueError("The layer graph has a cycle.")
        visiting.add(id(node))
        if id(tensor) not in input_ids:
            if isinstance(node.layer, InputLayer):
                raise ValueError(
                    f"Graph disconnected: output depends on input '{node.layer.name}', which is not "
                    f"in the model's `inputs` ({[t.name for t in inputs]})."
                )
            for t in node.input_tensors:
                visit(t)
        visiting.discard(id(node))
        seen.add(id(node))
        order.append(node)

    for t in outputs:
        visit(t)
    return order


def run_graph(nodes, flat_inputs, input_values, input_masks, flat_outputs, params, ctx):
    """Evaluate the graph on concrete values; returns (output values, output masks) as lists."""
    values = {}
    for t, v, m in zip(flat_inputs, input_values, input_masks):
        values[id(t)] = (v, m)
    for node in nodes:
        layer = node.layer
        if isinstance(layer, InputLayer):
            continue
        args = jax.tree_util.tree_map(lambda t: values[id(t)][0] if _is_kt(t) else t, node.call_args, is_leaf=_is_kt)
        kwargs = jax.tree_util.tree_map(lambda t: values[id(t)][0] if _is_kt(t) else t, node.call_kwargs, is_leaf=_is_kt)
        primary = node.call_args[0]
        masks = [values[id(t)][1] for t in flatten_tensors(primary)]
        if "mask" not in kwargs:
            if _is_kt(primary):
                mask = masks[0]
            else:
                mask = None if all(m is None for m in masks) else masks
            kwargs["mask"] = mask
        if layer._keras_style():
            # Keras's rule: a call argument `x` with an `x_mask` parameter gets the mask of the tensor passed as `x`.
            names = layer._call_parameters()
            given = {**dict(zip(names, node.call_args)), **node.call_kwargs}
            for name, arg in given.items():
                if f"{name}_mask" in names and kwargs.get(f"{name}_mask") is None and _is_kt(arg):
                    kwargs[f"{name}_mask"] = values[id(arg)][1]
        mask = kwargs.pop("mask")
        out, out_mask = layer.apply(params[layer.name], args[0], ctx, *args[1:], mask=mask, **kwargs)
        out_tensors = flatten_tensors(node.outputs)
        out_values = jax.tree_util.tree_leaves(out)
        if len(out_values) != len(out_tensors):
            raise RuntimeError(
                f"Layer '{layer.name}' returned {len(out_values)} outputs, expected {len(out_tensors)}."
            )
        if isinstance(out_mask, (list, tuple)) and len(out_mask) == len(out_tensors):
            out_masks = list(out_mask)
        else:
            out_masks = [out_mask] + [None] * (len(out_tensors) - 1)
        for t, v, m in zip(out_tensors, out_values, out_masks):
            values[id(t)] = (v, m)
    return [values[id(t)][0] for t in flat_outputs], [values[id(t)][1] for t in flat_outputs]


def keras_layer_order(inputs, outputs) -> list:
    """The layers between `inputs` and `outputs` in the order Keras gives `model.layers`: by depth from
    the inputs (deepest first), ties broken by first visit in a depth-first walk from the outputs."""
    input_ids = {id(t) for t in inputs}
    finished, in_progress, nodes, first_seen = set(), set(), [], {}

    def visit(tensor):
        node = tensor._node
        is_input = isinstance(node.layer, InputLayer)
        if id(node) in finished:
            return
        if not is_input and id(tensor) in input_ids:
            finished.add(id(node))
            return
        first_seen.setdefault(id(node.layer), len(first_seen))
        in_progress.add(id(node))
        if not is_input:
            for t in node.input_tensors:
                visit(t)
        finished.add(id(node))
        in_progress.discard(id(node))
        nodes.append(node)

    for t in outputs:
        visit(t)
    in_graph = {id(n) for n in nodes}
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(nodes):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        layers[id(node.layer)] = node.layer
        node_depth[id(node)] = depth
        for t in node.input_tensors:
            parent = t._node
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in inputs:  # inputs not connected to any output still belong to the model
        if id(t._node.layer) not in layer_depth:
            layer_depth[id(t._node.layer)] = 0
            layers[id(t._node.layer)] = t._node.layer
            first_seen[id(t._node.layer)] = -1
    keys = sorted(layer_depth, key=lambda k: (-layer_depth[k], first_seen[k]))
    return [layers[k] for k in keys]
