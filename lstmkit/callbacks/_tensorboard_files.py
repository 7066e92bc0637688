"""What `TensorBoard` writes, apart from the callback's timing: event-file writers (tensorboardX),
the model graph as Keras writes it, weights as images, Keras's weight tags, and the projector's
configuration for embeddings.

tensorboardX writes TensorBoard's event files without TensorFlow; it is the optional extra
`lstmkit[tensorboard]` and is imported only when a `TensorBoard` callback is made.
"""

import itertools
import os
import time

import numpy as np

from lstmkit.saving.atomic import atomic_write_path

__all__ = ["EventWriter", "require_tensorboardx", "keras_graph_summary", "weight_image", "keras_weight_tags",
           "write_projector_config", "write_tsv"]

_FILE_NUMBERS = itertools.count()


def require_tensorboardx():
    """The `tensorboardX` module, or an ImportError saying how to install it."""
    try:
        import tensorboardX
    except ImportError as e:
        raise ImportError(
            "lstmkit.callbacks.TensorBoard writes TensorBoard's event files with the `tensorboardX` package, "
            "which is not installed. Install it with `pip install lstmkit[tensorboard]` (or `pip install "
            f"tensorboardX`). ({e})"
        ) from None
    return tensorboardX


class EventWriter:
    """One event file, written synchronously: what a `flush()` returns from is on disk.

    (tensorboardX's own SummaryWriter hands events to a background thread, whose queue its
    flush does not wait for.) The file name ends in '.<pid>.<n>.v2', as TensorFlow's do, so two
    writers opened in the same second in one directory never share a file.
    """

    def __init__(self, logdir):
        from tensorboardX.event_file_writer import EventsWriter

        os.makedirs(logdir, exist_ok=True)
        self._events = EventsWriter(os.path.join(logdir, "events"), f".{os.getpid()}.{next(_FILE_NUMBERS)}.v2")

    def add_summary(self, summary, step):
        from tensorboardX.proto import event_pb2

        self._events.write_event(event_pb2.Event(summary=summary, step=int(step), wall_time=time.time()))

    def scalar(self, tag, value, step):
        from tensorboardX import summary

        self.add_summary(summary.scalar(tag, float(value)), step)

    def histogram(self, tag, values, step):
        """30 buckets of equal width between the smallest and largest value, as TensorFlow 2 draws them."""
        from tensorboardX import summary

        self.add_summary(summary.histogram(tag, np.asarray(values, np.float64).ravel(), bins=30), step)

    def images(self, tag, images, step):
        """`images`: (n, height, width, channels) floats in [0, 1]; several are drawn side by side."""
        from tensorboardX import summary

        self.add_summary(summary.image(tag, images, dataformats="NHWC"), step)

    def flush(self):
        self._events.flush()

    def close(self):
        self._events.close()


def keras_graph_summary(model_json):
    """A Summary holding the model's JSON under the tag 'keras' and the 'graph_keras_model' plugin,
    as Keras's TensorBoard writes it: TensorBoard's Graphs tab draws it as the model's conceptual graph."""
    from tensorboardX.proto import summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="graph_keras_model", content=b"1"))
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[model_json.encode("utf-8")],
                                    tensor_shape=tensor_shape_pb2.TensorShapeProto())
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])


def weight_image(weight):
    """A weight as Keras's TensorBoard shows it: (images, height, width, 1), or None when Keras writes none.

    A bias is one row, a 2-D kernel one image (transposed so that it is wider than tall), a 3-D
    (Conv1D) kernel one image per output channel. Values are drawn as TensorFlow draws float images:
    clipped to [0, 1].
    """
    w = np.squeeze(np.asarray(weight, np.float32))
    if w.ndim == 1:
        w = w.reshape(1, w.shape[0], 1, 1)
    elif w.ndim == 2:
        if w.shape[0] > w.shape[1]:
            w = w.T
        w = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif w.ndim == 3:
        # Keras's channels_last kernels (width, in, out): each output channel is its own image.
        w = np.transpose(w, (2, 0, 1))
        w = w.reshape(w.shape[0], w.shape[1], w.shape[2], 1)
    if w.ndim != 4 or w.shape[-1] not in (1, 3, 4):
        return None
    return np.clip(w, 0.0, 1.0)


def _is_sequential(model):
    # Read by name, not by isinstance: the models sit above the callbacks in lstmkit's import graph.
    return any(klass.__name__ == "Sequential" for klass in type(model).__mro__)


def keras_weight_tags(model):
    """[(tag base, Variable)] for each weight of each layer: Keras 3's `weight.path` with ':' made '_'
    ('sequential/lstm/lstm_cell/kernel'; a Functional model's paths start at the layer)."""
    out = []
    for layer in model.layers:
        prefix = f"{model.name}/{layer.name}" if _is_sequential(model) else layer.name
        names = layer.keras_legacy_weight_names(prefix) if hasattr(layer, "keras_legacy_weight_names") else {}
        for weight in layer.weights:
            path = names.get(weight.key, f"{prefix}/{weight.name}")
            if path.endswith(":0"):
                path = path[:-2]
            out.append((path.replace(":", "_"), weight))
    return out


def _quoted(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_projector_config(log_dir, entries):
    """Write `log_dir/projector_config.pbtxt` (TensorBoard's Projector tab) listing `entries`:
    dicts with 'tensor_name', 'tensor_path' (relative to log_dir) and optionally 'metadata_path'."""
    lines = []
    for entry in entries:
        lines.append("embeddings {")
        lines.append(f"  tensor_name: {_quoted(entry['tensor_name'])}")
        lines.append(f"  tensor_path: {_quoted(entry['tensor_path'])}")
        if entry.get("metadata_path"):
            lines.append(f"  metadata_path: {_quoted(entry['metadata_path'])}")
        lines.append("}")
    with atomic_write_path(os.path.join(log_dir, "projector_config.pbtxt")) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


def write_tsv(path, matrix):
    """A matrix as tab-separated rows (the Projector's tensor file), written atomically."""
    matrix = np.asarray(matrix, np.float32)
    with atomic_write_path(path) as tmp:
        np.savetxt(tmp, matrix.reshape(matrix.shape[0], -1), delimiter="\t", fmt="%.9g")
