"""plot_model / model_to_dot: the same graph as Keras 3's (nodes, edges, clusters, label markup), files in
every format, and the errors for missing pydot/Graphviz and bad arguments.

Each model is built twice by one builder, once with keras and once with lstmkit, with every layer named,
so nodes (keyed by pydot id = id(layer)) can be matched by layer name.
"""

import os
import sys
import types

import keras
import pydot
import pytest

import lstmkit
from lstmkit.utils import model_to_dot, plot_model
from lstmkit.utils import model_visualization as mv

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------------------------------- structure
def _is_op(layer):
    return getattr(layer, "_is_operation", False) or not isinstance(layer, (keras.layers.Layer, lstmkit.layers.Layer))


def _graph_members(model):
    if isinstance(model, keras.Model) and hasattr(model, "_operations") and not isinstance(model, keras.Sequential):
        return list(model._operations)
    if isinstance(model, lstmkit.Model) and not isinstance(model, lstmkit.Sequential) and model._graph_ready \
            and not lstmkit.models.subclassed.is_subclassed(model):
        return list(model._graph_layers)
    return list(getattr(model, "layers", []))


def _names(model, out=None):
    """pydot node name -> a framework-free name: the layer's name (ops: their class, names carry counters)."""
    out = {} if out is None else out
    out[str(id(model))] = model.name
    for layer in _graph_members(model):
        out[str(id(layer))] = f"op:{type(layer).__name__}" if _is_op(layer) else layer.name
        if layer is not model and isinstance(layer, (keras.Model, lstmkit.Model)):
            _names(layer, out)
    return out


def structure(dot, model):
    """Nodes (cluster, name, label), edges (cluster, source, destination), clusters and graph attributes."""
    names = _names(model)
    nodes, edges, clusters = [], [], []

    def walk(graph, where):
        for n in graph.get_nodes():
            nodes.append((where, names.get(n.get_name(), n.get_name()), n.get_label(),
                          tuple(sorted((k, str(v)) for k, v in n.get_attributes().items() if k != "label"))))
        for e in graph.get_edges():
            edges.append((where, names[e.get_source()], names[e.get_destination()], e.get("penwidth")))
        for sub in graph.get_subgraphs():
            clusters.append((where, sub.get_name(), tuple(sorted((k, str(v)) for k, v in sub.get_attributes().items()))))
            walk(sub, sub.get_name())

    walk(dot, "top")
    attrs = sorted((k, str(v)) for k, v in dot.get_attributes().items())
    return {"nodes": sorted(nodes), "edges": sorted(edges), "clusters": sorted(clusters), "attrs": attrs}


def assert_same_as_keras(builder, **options):
    ours, theirs = builder(lstmkit), builder(keras)
    got, want = structure(model_to_dot(ours, **options), ours), structure(keras.utils.model_to_dot(theirs, **options), theirs)
    assert got == want
    return got


# ----------------------------------------------------------------------------------------------- models
def sequential_lstm(k):
    frozen = k.layers.Dense(2, name="frozen")
    frozen.trainable = False
    return k.Sequential([k.Input((10, 8), name="x"), k.layers.LSTM(4, return_sequences=True, name="lstm_a"),
                         k.layers.LSTM(3, name="lstm_b"), k.layers.Dense(5, activation="relu", name="hidden"),
                         frozen, k.layers.Activation("sigmoid", name="act")], name="seq")


def multi_io(k):
    a, b = k.Input((5, 3), name="a"), k.Input((8,), name="b")
    seq = k.layers.Bidirectional(k.layers.LSTM(4, name="inner_lstm"), name="bidi")(a)
    steps = k.layers.TimeDistributed(k.layers.Dense(2, name="td_dense"), name="td")(a)
    shared = k.layers.Dense(4, name="shared")
    merged = k.layers.Concatenate(name="concat")([shared(seq), shared(b)])
    added = k.layers.Add(name="add_merge")([shared(seq), shared(b)])
    out1 = k.layers.Dense(1, name="out1")(k.layers.Concatenate(name="concat2")([merged, added]))
    out2 = k.layers.Dense(2, name="out2")(k.layers.Flatten(name="flat")(steps))
    return k.Model([a, b], [out1, out2], name="multi")


def nested(k):
    p, q = k.Input((4,), name="p"), k.Input((4,), name="q")
    inner_f = k.Model([p, q], k.layers.Dense(5, name="f_dense")(k.layers.Add(name="f_add")([p, q])), name="inner_f")
    inner_seq = k.Sequential([k.layers.Dense(3, name="s_dense1"), k.layers.Dense(2, name="s_dense2")], name="inner_seq")
    z1, z2 = k.Input((4,), name="z1"), k.Input((4,), name="z2")
    x = k.layers.Dense(4, name="pre")(z1)
    return k.Model([z1, z2], k.layers.Dense(1, name="head")(inner_seq(inner_f([x, z2]))), name="outer")


def sequential_in_sequential(k):
    inner = k.Sequential([k.Input((6,), name="i"), k.layers.Dense(3, name="in1"), k.layers.Dense(2, name="in2")],
                         name="inner")
    return k.Sequential([k.Input((6,), name="o"), inner, k.layers.Dense(1, name="last")], name="outer_seq")


def states(k):
    x = k.Input((5, 3), name="x")
    _, h, c = k.layers.LSTM(2, return_state=True, name="encoder")(x)
    y = k.layers.LSTM(2, name="decoder")(x, initial_state=[h, c])
    return k.Model(x, y, name="enc_dec")


def with_op(k):
    x = k.Input((3,), name="x")
    return k.Model(x, k.layers.Dense(3, name="d")(x) + x, name="residual")


def subclassed(k):
    class Tiny(k.Model):
        def __init__(self):
            super().__init__(name="tiny")
            self.dense = k.layers.Dense(2, name="dense")

        def call(self, inputs):
            return self.dense(inputs)

    model = Tiny()
    model(k.ops.ones((1, 3)))
    return model


def dict_inputs(k):
    a, b = k.Input((3,), name="a"), k.Input((2,), name="b")
    inner = k.Model({"a": a, "b": b}, k.layers.Concatenate(name="c")([a, b]), name="inner")
    x, y = k.Input((3,), name="x"), k.Input((2,), name="y")
    return k.Model([x, y], k.layers.Dense(1, name="d")(inner({"a": x, "b": y})), name="outer")


def nested_called_twice(k):
    i = k.Input((3,), name="i")
    inner = k.Model(i, k.layers.Dense(3, name="in_d")(i), name="inner")
    x = k.Input((3,), name="x")
    return k.Model(x, inner(inner(x)), name="outer")


def layer_shared_with_another_model(k):
    d = k.layers.Dense(3, name="d")
    a = k.Input((3,), name="a")
    k.Model(a, d(a), name="m1")  # d's first call belongs to this other model: not drawn in m2
    b = k.Input((3,), name="b")
    return k.Model(b, d(k.layers.Dense(3, name="c")(b)), name="m2")


def sequential_built_by_build(k):
    model = k.Sequential([k.layers.LSTM(3, name="l"), k.layers.Dense(1, name="d")], name="s")
    model.build((None, 4, 2))
    return model


def subclassed_inside_functional(k):
    inner = subclassed(k)
    x = k.Input((3,), name="x")
    return k.Model(x, k.layers.Dense(1, name="o")(inner(x)), name="outer")


def recurrent_and_conv(k):
    x = k.Input((8, 2), name="x")
    y = k.layers.GRU(3, name="gru")(k.layers.Conv1D(4, 3, activation="relu", name="conv")(x))
    y = k.layers.SimpleRNN(2, name="rnn")(k.layers.RepeatVector(2, name="rep")(y))
    return k.Model(x, k.layers.Dense(1, name="out")(k.layers.Dropout(0.1, name="drop")(y)), name="m")


# ----------------------------------------------------------------------------------------------- against Keras
ALL = dict(show_shapes=True, show_dtype=True, show_layer_activations=True, show_trainable=True)


def test_sequential_lstm_with_every_row():
    got = assert_same_as_keras(sequential_lstm, **ALL)
    assert len([n for n in got["nodes"] if n[1] != "node"]) == 5  # no InputLayer box in a Sequential
    assert [e[1:3] for e in got["edges"]] == [("frozen", "act"), ("hidden", "frozen"), ("lstm_a", "lstm_b"),
                                              ("lstm_b", "hidden")]
    labels = {n[1]: n[2] for n in got["nodes"]}
    assert "Input shape: <b>(None, 10, 8)</b>" in labels["lstm_a"] and "Activation: <b>tanh</b>" in labels["lstm_a"]
    assert "Non-trainable" in labels["frozen"] and "Trainable" not in labels["act"]  # no weights: no column


@pytest.mark.parametrize("options", [{}, dict(show_shapes=True, show_dtype=True, show_layer_names=False),
                                     dict(rankdir="LR", dpi=96, splines="curved", show_trainable=True)])
def test_multi_input_output_shared_and_wrapped_layers(options):
    got = assert_same_as_keras(multi_io, **options)
    assert len([n for n in got["nodes"] if n[1] != "node"]) == 11
    assert ("top", "a", "bidi", "2") in got["edges"] and ("top", "b", "shared", "2") in got["edges"]


def test_nested_models_collapsed():
    got = assert_same_as_keras(nested, show_shapes=True)
    assert got["clusters"] == []
    labels = {n[1]: n[2] for n in got["nodes"]}
    assert "(Functional)" in labels["inner_f"] and "[(None, 4), (None, 4)]" in labels["inner_f"]


@pytest.mark.parametrize("builder", [nested, sequential_in_sequential])
def test_nested_models_expanded_into_clusters(builder):
    got = assert_same_as_keras(builder, expand_nested=True, show_shapes=True)
    assert got["clusters"]
    if builder is nested:  # edges into a nested functional model go to its InputLayers, in order
        assert {e[1:3] for e in got["edges"]} >= {("pre", "p"), ("z2", "q"), ("f_dense", "s_dense1"),
                                                 ("s_dense2", "head")}


def test_initial_states_and_several_outputs():
    got = assert_same_as_keras(states, show_shapes=True, show_dtype=True)
    labels = {n[1]: n[2] for n in got["nodes"]}
    assert "[(None, 2), (None, 2), (None, 2)]" in labels["encoder"]
    assert "['float32', 'float32', 'float32']" in labels["encoder"]


def test_recorded_op_is_a_box():
    assert_same_as_keras(with_op, show_layer_names=False, show_shapes=True)


def test_subclassed_model_is_one_box():
    got = assert_same_as_keras(subclassed, show_shapes=True, show_dtype=True)
    assert [n[1] for n in got["nodes"] if n[1] != "node"] == ["tiny"] and "Input shape: <b>?</b>" in got["nodes"][-1][2]


@pytest.mark.parametrize("builder", [dict_inputs, nested_called_twice, layer_shared_with_another_model,
                                     sequential_built_by_build, subclassed_inside_functional, recurrent_and_conv])
@pytest.mark.parametrize("expand_nested", [False, True])
def test_more_graphs(builder, expand_nested):
    got = assert_same_as_keras(builder, expand_nested=expand_nested, **ALL)
    labels = {n[1]: n[2] for n in got["nodes"]}
    if builder is dict_inputs and not expand_nested:
        assert "Input shape: <b>a: (None, 3), b: (None, 2)</b>" in labels["inner"]
    if builder is layer_shared_with_another_model:
        assert [e[1:3] for e in got["edges"]] == [("b", "c"), ("c", "d")]


def test_masks_travel_without_op_boxes():
    # Keras 3 records the mask of Embedding(mask_zero=True) as a NotEqual op feeding the LSTM's `mask=`, and
    # draws it; lstmkit's layers pass masks on themselves, so the graph (and the drawing) has no such box.
    x = lstmkit.Input((6,), name="tok")
    y = lstmkit.layers.LSTM(2, name="l")(lstmkit.layers.Embedding(10, 4, mask_zero=True, name="emb")(x))
    model = lstmkit.Model(x, y)
    got = structure(model_to_dot(model, show_shapes=True), model)
    assert [n[1] for n in got["nodes"]] == ["emb", "l", "node", "tok"]
    assert [e[1:3] for e in got["edges"]] == [("emb", "l"), ("tok", "emb")]


def test_subgraph_returns_a_cluster():
    dot = model_to_dot(nested(lstmkit), subgraph=True)
    assert isinstance(dot, pydot.Cluster) and dot.get_name() == "cluster_outer"


# ----------------------------------------------------------------------------------------------- files
@pytest.mark.parametrize("extension, start", [(".png", PNG_SIGNATURE), (".svg", None), (".pdf", b"%PDF"),
                                              (".dot", b"digraph"), ("", PNG_SIGNATURE), (".PNG", PNG_SIGNATURE)])
def test_files_in_every_format(tmp_path, extension, start):
    path = tmp_path / f"model{extension}"
    plot_model(nested(lstmkit), to_file=path, show_shapes=True, expand_nested=True)
    data = path.read_bytes()
    assert len(data) > 100
    if start is None:
        assert b"<svg" in data[:500] and b"Output shape" in data
    else:
        assert data.startswith(start)
    assert sorted(os.listdir(tmp_path)) == [path.name]  # the temporary file was renamed, none is left


def test_keras2_call_and_positional_arguments(tmp_path):
    model = sequential_lstm(lstmkit)
    plot_model(model, to_file=str(tmp_path / "a.png"), show_shapes=True, show_layer_names=True)
    plot_model(model, str(tmp_path / "b.png"), True, False, True, "LR", False, 96)
    for name in ("a.png", "b.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG_SIGNATURE)


def test_keras2_module_path():
    from lstmkit.utils.vis_utils import model_to_dot as old_model_to_dot, plot_model as old_plot_model

    assert old_plot_model is plot_model and old_model_to_dot is model_to_dot


def test_plot_model_defaults_to_no_layer_names_model_to_dot_to_names(tmp_path):
    model = with_op(lstmkit)
    assert "<b>d</b> (Dense)" in model_to_dot(model).to_string()
    path = tmp_path / "m.dot"
    plot_model(model, to_file=path)
    text = path.read_text()
    assert "<b>Dense</b>" in text and "<b>d</b>" not in text


def test_overwrites_and_a_failed_drawing_leaves_the_old_file(tmp_path):
    model = with_op(lstmkit)
    path = tmp_path / "m.png"
    path.write_bytes(b"old")
    plot_model(model, to_file=path)
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    bad = tmp_path / "m.notaformat"
    bad.write_bytes(b"old")
    with pytest.raises(ValueError, match=r"`to_file` must end in an extension naming a format Graphviz writes.*"
                                         r"Received: to_file=.*m.notaformat.*the formats pydot knows: .*png"):
        plot_model(model, to_file=bad)
    assert bad.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["m.notaformat", "m.png"]


def test_notebook_objects(tmp_path, monkeypatch):
    display = pytest.importorskip("IPython.display")
    model = with_op(lstmkit)
    assert isinstance(plot_model(model, to_file=tmp_path / "m.png"), display.Image)
    assert isinstance(plot_model(model, to_file=tmp_path / "m.svg"), display.SVG)  # Keras raises here
    assert plot_model(model, to_file=tmp_path / "m.pdf") is None
    monkeypatch.setitem(sys.modules, "IPython", None)
    assert plot_model(model, to_file=tmp_path / "m2.png") is None


# ----------------------------------------------------------------------------------------------- errors
def test_missing_pydot_is_one_import_error(monkeypatch, tmp_path):
    model = with_op(lstmkit)
    monkeypatch.setitem(sys.modules, "pydot", None)  # `import pydot` now raises ImportError
    for call in (lambda: plot_model(model, to_file=tmp_path / "m.png"), lambda: model_to_dot(model)):
        with pytest.raises(ImportError, match=r"install pydot") as info:
            call()
        message = str(info.value)
        assert "pip install 'lstmkit[plot]'" in message and "apt-get install graphviz" in message
        assert info.value.__cause__ is None and info.value.__context__ is None  # no chained traceback
    assert os.listdir(tmp_path) == []


def test_missing_graphviz(monkeypatch, tmp_path, capsys):
    model = with_op(lstmkit)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program to be found
    monkeypatch.setattr(mv, "_graphviz_found", False)
    with pytest.raises(ImportError, match=r"You must install graphviz .*apt-get install graphviz.*graphviz.gitlab.io"):
        plot_model(model, to_file=tmp_path / "m.png")
    # In a notebook Keras prints the message instead, so the notebook keeps running.
    monkeypatch.setitem(sys.modules, "IPython.core.magics.namespace", types.ModuleType("namespace"))
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: None))
    with pytest.raises(ImportError, match="You must install graphviz"):  # IPython imported, no shell running
        plot_model(model, to_file=tmp_path / "m.png")
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: object()))
    assert plot_model(model, to_file=tmp_path / "m.png") is None
    assert "You must install graphviz" in capsys.readouterr().out
    assert os.listdir(tmp_path) == []


def test_argument_errors(tmp_path):
    model = with_op(lstmkit)
    with pytest.raises(ValueError, match="This model has not yet been built"):
        model_to_dot(lstmkit.Sequential([lstmkit.layers.Dense(2)]))
    with pytest.raises(ValueError, match="This model has not yet been built"):
        plot_model(lstmkit.Sequential([lstmkit.layers.Dense(2)]), to_file=tmp_path / "m.png")
    with pytest.raises(ValueError, match="Argument `layer_range` is no longer supported."):
        plot_model(model, to_file=tmp_path / "m.png", layer_range=["d", "d"])
    with pytest.raises(ValueError, match="Unrecognized keyword arguments: {'colour': 'red'}"):
        model_to_dot(model, colour="red")
    with pytest.raises(ValueError, match=r"`rankdir` must be one of \['TB', 'LR', 'BT', 'RL'\]. Received: rankdir='lr'"):
        model_to_dot(model, rankdir="lr")
    with pytest.raises(ValueError, match="`dpi` must be a positive number. Received: dpi=0"):
        model_to_dot(model, dpi=0)
    with pytest.raises(ValueError, match="`splines` must be one of .* Received: splines='wavy'"):
        model_to_dot(model, splines="wavy")
    with pytest.raises(TypeError, match="`model` must be a lstmkit Model"):
        model_to_dot("not a model")
    with pytest.raises(TypeError, match="`to_file` must be a file path"):
        plot_model(model, to_file=3)
    assert os.listdir(tmp_path) == []
    # Graphviz's other spellings of the values are taken as they are.
    dot = model_to_dot(model, splines=True, dpi=96.5, rankdir="BT")
    assert (dot.get("splines"), dot.get("dpi"), dot.get("rankdir")) == (True, 96.5, "BT")


def test_keras_keeps_the_same_layer_range_error():
    # The messages above that are Keras's are checked against Keras itself here.
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="Argument `layer_range` is no longer supported."):
        keras.utils.model_to_dot(model, layer_range=["a", "b"])
    with pytest.raises(ValueError, match="This model has not yet been built"):
        keras.utils.model_to_dot(keras.Sequential([keras.layers.Dense(2)]))
