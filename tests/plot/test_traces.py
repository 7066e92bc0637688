"""lstmkit.plot.trace_heatmap: a real PNG whose image data are the trace values."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")

from lstmkit.inspect import trace  # noqa: E402
from lstmkit.layers import LSTM, Masking  # noqa: E402
from lstmkit.models import Sequential  # noqa: E402
from lstmkit.plot import trace_heatmap  # noqa: E402

T = 7


@pytest.fixture(scope="module")
def traces():
    x = np.random.default_rng(3).normal(size=(2, T, 2)).astype("float32")
    x[1, 5:] = 0.0  # two masked steps at the end of sample 1
    lstm = LSTM(4, return_sequences=True, name="trace_plot_lstm")
    return trace(Sequential([Masking(0.0, input_shape=(T, 2)), lstm]), x)


def _close(ax):
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_png_and_image_data_are_the_trace_values(traces, tmp_path):
    path = tmp_path / "c.png"
    ax = trace_heatmap(traces, "trace_plot_lstm", "c", units=[3, 1], labels="abcdefg", sample=1, path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 100
    data = np.ma.filled(ax.images[0].get_array(), np.nan)
    np.testing.assert_array_equal(data, traces["trace_plot_lstm"].c[1][:, [3, 1]].T)
    assert [t.get_text() for t in ax.get_xticklabels()] == list("abcdefg")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["unit 3", "unit 1"]
    assert sorted(t.get_text() for t in ax.texts) == sorted(list("abcdefg") * 2)  # each label in its cells
    lo, hi = ax.images[0].get_clim()
    assert lo == -hi and hi == pytest.approx(np.abs(data).max())  # states: symmetric around 0
    _close(ax)


def test_gates_masked_steps_are_nan_and_scale_is_0_to_1(traces):
    ax = trace_heatmap(traces, quantity="forget", sample=1, steps=slice(2, 7), labels=[0.5, 1, 2, 3, 4])
    data = np.ma.filled(ax.images[0].get_array(), np.nan)
    np.testing.assert_array_equal(data, traces[0].f[1, 2:7].T)  # all 4 units, steps 2..6
    assert np.isnan(data[:, -2:]).all() and not np.isnan(data[:, :-2]).any()
    assert ax.images[0].get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5", "1", "2", "3", "4"]
    _close(ax)


def test_draws_on_a_given_axes_without_labels(traces):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1)
    out = trace_heatmap(traces[0], quantity="h", units=2, steps=3, ax=axes[1], colorbar=False, title="h")
    assert out is axes[1] and not axes[0].images and axes[1].get_title() == "h"
    np.testing.assert_array_equal(np.ma.filled(out.images[0].get_array(), np.nan), traces[0].h[0, :3, [2]])
    assert [t.get_text() for t in out.get_xticklabels()] == ["0", "1", "2"] and not out.texts
    plt.close(fig)


def test_errors_name_the_argument(traces):
    with pytest.raises(ValueError, match=r"`labels` must have one entry per time step \(7\); received 3"):
        trace_heatmap(traces, labels="abc")
    with pytest.raises(ValueError, match=r"`units` must be indices in \[0, 4\).*\[4\]"):
        trace_heatmap(traces, units=[4])
    with pytest.raises(ValueError, match="`sample` must be an index below 2"):
        trace_heatmap(traces, sample=2)
    with pytest.raises(ValueError, match="`steps` must be between 1 and 7"):
        trace_heatmap(traces, steps=0)
    with pytest.raises(ValueError, match="annotate=True.*pass `labels`"):
        trace_heatmap(traces, annotate=True)
    with pytest.raises(KeyError, match="has no quantity 'q'"):
        trace_heatmap(traces, quantity="q")
    with pytest.raises(TypeError, match="must be the result of lstmkit.inspect.trace"):
        trace_heatmap({"lstm": None})
