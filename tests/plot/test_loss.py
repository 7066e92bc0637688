"""Loss curves: a colour per run or fold, train solid and validation dashed in it, the kept epoch marked."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lstmkit.forecasting.backtest import BacktestResult  # noqa: E402
from lstmkit.forecasting.panel import PanelBacktest  # noqa: E402
from lstmkit.plot import plot_loss_curves, save_figure  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HISTORIES = [
    {"loss": [0.9, 0.5, 0.3, 0.25], "val_loss": [1.0, 0.7, 0.6, 0.65]},
    {"loss": [0.8, 0.4, 0.35], "val_loss": [0.95, 0.8, 0.9]},
]


def _result(histories=HISTORIES, best=(3, 2)):
    empty = pd.DataFrame()
    return BacktestResult(forecasts=empty, scores=empty, fold_scores=empty, histories=list(histories),
                          best_epochs=list(best))


def _curves(ax):
    """{colour: {linestyle: ydata}} of the loss lines (not the markers)."""
    out = {}
    for line in ax.get_lines():
        if line.get_linestyle() in ("-", "--"):
            out.setdefault(matplotlib.colors.to_hex(line.get_color()), {})[line.get_linestyle()] = \
                line.get_ydata().tolist()
    return out


def _marks(ax):
    return [(line.get_xdata()[0], line.get_ydata()[0], matplotlib.colors.to_hex(line.get_color()))
            for line in ax.get_lines() if line.get_linestyle() == "None" and line.get_marker() == "o"]


def test_each_fold_pairs_its_train_and_validation_curves_and_marks_the_kept_epoch(tmp_path):
    ax = plot_loss_curves(_result())
    curves = _curves(ax)
    assert len(curves) == 2  # a colour per fold
    pairs = sorted(curves.values(), key=lambda c: -len(c["-"]))
    for pair, hist in zip(pairs, HISTORIES):
        assert pair == {"-": hist["loss"], "--": hist["val_loss"]}
    colours = [c for c in curves if curves[c]["-"] == HISTORIES[0]["loss"]] + \
              [c for c in curves if curves[c]["-"] == HISTORIES[1]["loss"]]
    # The epochs the backtest kept, on each fold's validation curve, in the fold's colour.
    assert _marks(ax) == [(3, 0.6, colours[0]), (2, 0.8, colours[1])]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["fold 1", "fold 2", "train (solid)", "validation (dashed)", "epoch kept (early stopping)"]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    with open(save_figure(ax, tmp_path / "loss.png"), "rb") as fh:
        assert fh.read(8) == PNG_MAGIC


def test_plain_histories_mark_their_lowest_validation_loss_and_take_names():
    ax = plot_loss_curves(HISTORIES, labels=["seed 0", "seed 1"], logy=True)
    assert [(x, y) for x, y, _ in _marks(ax)] == [(3, 0.6), (2, 0.8)]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["seed 0", "seed 1"] and legend[-1] == "lowest validation loss"
    assert ax.get_yscale() == "log"


def test_loss_curves_on_a_given_axes_and_from_history_objects():
    class FakeHistory:  # what Model.fit returns: an object with a .history dict
        history = {"loss": [3.0, 2.0]}

    fig = Figure()
    ax = fig.add_subplot()
    assert plot_loss_curves([FakeHistory()], ax=ax) is ax
    assert len(ax.get_lines()) == 1 and ax.get_lines()[0].get_ydata().tolist() == [3.0, 2.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["run 1", "train (solid)"]


def test_a_panel_backtest_is_coloured_by_fold():
    results = {k: _result() for k in ("a", "b", "c")}
    panel = PanelBacktest(results=results, scores=None, mean_scores=None, coverage=None)
    ax = plot_loss_curves(panel)
    assert len(_curves(ax)) == 2 and len(ax.get_lines()) == 3 * 2 * 3  # series x folds x (train, validation, mark)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["fold 1 (3 series)", "fold 2 (3 series)"]


def test_a_global_panel_backtest_draws_each_folds_model_once():
    shared = _result()  # a global model: every series holds the same fold histories
    panel = PanelBacktest(results={k: shared for k in ("a", "b", "c")}, scores=None, mean_scores=None,
                          coverage=None, strategy="global")
    ax = plot_loss_curves(panel)
    assert len(ax.get_lines()) == 2 * 3  # folds x (train, validation, mark), not x series
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["fold 1 (one model, 3 series)", "fold 2 (one model, 3 series)"]


def test_bad_runs_and_arguments_are_named():
    with pytest.raises(ValueError, match="Run 0 is not a training history"):
        plot_loss_curves([{"accuracy": [1.0]}])
    with pytest.raises(ValueError, match="needs at least one training history"):
        plot_loss_curves([])
    with pytest.raises(ValueError, match="`labels` must name each of the 2 runs; received 1"):
        plot_loss_curves(HISTORIES, labels=["x"])
    with pytest.raises(ValueError, match="`best_epochs` must give one epoch per run"):
        plot_loss_curves(HISTORIES, best_epochs=[1])
    with pytest.raises(ValueError, match="Best epoch 9 of run 2 is outside its 3 epochs"):
        plot_loss_curves(HISTORIES, best_epochs=[1, 9])
    assert np.isfinite(plot_loss_curves(HISTORIES, best_epochs=[None, 3]).get_ylim()).all()
