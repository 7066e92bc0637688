"""model.summary(explain=True): the arithmetic under each row equals the layer's parameter count."""

import re

import numpy as np
import pytest

from lstmkit import Input
from lstmkit.layers import (GRU, LSTM, Bidirectional, Concatenate, Dense, Dropout, Embedding, Layer, SimpleRNN,
                            TimeDistributed)
from lstmkit.models import Model, Sequential
from lstmkit.models.param_counts import explain

ARITHMETIC = re.compile(r"^([\d ×+()]+) = ([\d,]+)$")


def _lines(model, **kwargs):
    out = []
    model.summary(print_fn=out.append, **kwargs)
    return out


def _explained(lines):
    """(layer name, expression, stated result) for every arithmetic line, with the row it sits under."""
    found, current = [], None
    for line in lines:
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if len(cells) > 1 and cells[0] and not cells[0].startswith("("):  # "(Type)" may wrap to a line of its own
            current = cells[0].split(" (")[0]
        elif len(cells) == 1:
            m = ARITHMETIC.match(cells[0])
            if m:
                found.append((current, m.group(1), int(m.group(2).replace(",", ""))))
    return found


def _value(expression):
    assert set(expression) <= set("0123456789 ×+()"), expression
    return eval(expression.replace("×", "*"))  # digits, spaces, +, * and parentheses only (checked above)


def _check_every_layer(model):
    lines = _lines(model, explain=True)
    explained = _explained(lines)
    counts = {layer.name: layer.count_params() for layer in model.layers if layer.count_params()}
    assert [name for name, _, _ in explained] == list(counts)  # one line per layer with weights, none for others
    for name, expression, stated in explained:
        assert _value(expression) == stated == counts[name], (name, expression)
    return lines, explained


def test_seed003_lstm_and_dense_read_as_the_tutorial_computes_them():
    model = Sequential([LSTM(5, input_shape=(1, 1)), Dense(1)])
    lines, explained = _check_every_layer(model)
    assert [e[1:] for e in explained] == [("4 × ((1 + 5) × 5 + 5)", 140), ("5 × 1 + 1", 6)]
    assert any("4 gates (i, f, c, o) × ((features + units) × units + units)" in line for line in lines)


def test_every_layer_type():
    model = Sequential([
        Embedding(65, 16, input_shape=(10,)),
        LSTM(8, return_sequences=True),
        LSTM(3, return_sequences=True, use_bias=False),
        GRU(4, return_sequences=True),  # reset_after: input and recurrent bias
        GRU(4, return_sequences=True, reset_after=False),
        GRU(2, return_sequences=True, use_bias=False),
        Bidirectional(SimpleRNN(3, return_sequences=True)),
        Bidirectional(LSTM(2, return_sequences=True), backward_layer=GRU(2, return_sequences=True,
                                                                           go_backwards=True)),
        TimeDistributed(Dense(5)),
        Dropout(0.1),
        SimpleRNN(3, use_bias=False),
        Dense(2, use_bias=False),
    ])
    _, explained = _check_every_layer(model)
    by_name = {name: expr for name, expr, _ in explained}
    layers = model.layers
    assert by_name[layers[0].name] == "65 × 16"
    assert by_name[layers[3].name] == "3 × ((3 + 4) × 4 + 2 × 4)"
    assert by_name[layers[4].name] == "3 × ((4 + 4) × 4 + 4)"
    assert by_name[layers[6].name] == "2 × ((2 + 3) × 3 + 3)"
    assert by_name[layers[7].name].startswith("(4 × ((6 + 2) × 2 + 2)) + (3 × ((6 + 2) × 2 + 2 × 2))")


def test_functional_table_nested_model_and_generic_weights():
    class Scale(Layer):  # a layer the formulas do not know: explained as the sum of its weights
        def build(self, input_shape):
            self.w = self.add_weight("w", (input_shape[-1], 2))
            self.s = self.add_weight("s", ())
            self.built = True

        def call(self, params, inputs, ctx):
            return inputs @ params["w"] * params["s"]

    inner_in = Input((4, 3))
    inner = Model(inner_in, LSTM(2)(inner_in), name="inner")
    a, b = Input((4, 3)), Input((4, 3))
    merged = Concatenate()([inner(a), GRU(3)(b)])
    model = Model([a, b], Scale()(merged))
    lines, explained = _check_every_layer(model)
    assert "Connected to" in lines[2]  # the functional layout has its own column widths
    exprs = [e for _, e, _ in explained]
    assert exprs[0] == "48" and exprs[2] == "5 × 2 + 1"  # nested model: its layers' counts; Scale: w + s


def test_explain_false_is_the_plain_table():
    model = Sequential([LSTM(5, input_shape=(1, 1)), Dense(1)])
    plain = _lines(model)
    assert _lines(model, explain=False) == plain
    explained = _lines(model, explain=True)
    assert [line for line in explained if line in plain] == plain  # only lines added
    assert len(explained) == len(plain) + 4
    assert {len(line) for line in explained if line.startswith("│")} == {len(plain[1])}  # same table width


def test_explain_function_on_unbuilt_and_weightless_layers():
    assert explain(Dense(3)) == []
    assert explain(Dropout(0.5)) == []
    layer = LSTM(2)
    layer.build((None, 4, 3))
    assert explain(layer)[0] == f"4 × ((3 + 2) × 2 + 2) = {layer.count_params()}"
    assert np.prod(layer.kernel.shape) + np.prod(layer.recurrent_kernel.shape) + 8 == layer.count_params()


@pytest.mark.parametrize("units,features", [(128, 28), (50, 1)])
def test_seed_000_numbers(units, features):
    layer = LSTM(units)
    layer.build((None, 5, features))
    total = 4 * ((features + units) * units + units)
    assert explain(layer)[0] == f"4 × (({features} + {units}) × {units} + {units}) = {total:,}"


def test_lstm_variants():
    model = Sequential([
        LSTM(5, peephole=True, return_sequences=True, input_shape=(3, 1)),
        LSTM(5, coupled_gates=True, return_sequences=True),
        Bidirectional(LSTM(2, peephole=True, coupled_gates=True, use_bias=False)),
    ])
    lines, explained = _check_every_layer(model)
    assert [e[1:] for e in explained] == [("4 × ((1 + 5) × 5 + 5) + 3 × 5", 155), ("3 × ((5 + 5) × 5 + 5)", 165),
                                          ("2 × (3 × ((5 + 2) × 2) + 2 × 2)", 92)]
    text = " ".join(line.strip("│ ") for line in lines)
    assert "3 peepholes (i, f, o) × units" in text and "3 gates (i, c, o; f = 1 − i)" in text
