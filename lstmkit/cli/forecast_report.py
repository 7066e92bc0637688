"""What a one-series `lstmkit forecast` run prints after its backtest and writes at the end: the
backtest table and its lines (baselines, intervals, quantiles), the forecast lines, and the files
(forecast.csv, backtest.csv, metrics.json, model.keras, forecast.png, loss.png).

Imported once the arguments and paths are checked (see lstmkit/cli/forecast.py).
"""

from __future__ import annotations

import os
import sys

from lstmkit.cli.forecast_output import METRICS_HEADER, fmt_time, interval_lines, metrics_row, quantile_lines

__all__ = ["print_backtest", "print_forecast", "write_outputs"]


def _table(scores, holdout):
    lines = [METRICS_HEADER + "   holdout MASE"]
    for name, row in scores.iterrows():
        lines.append(metrics_row(name, row) + f"   {holdout[name]:.3f}")
    return "\n".join(lines)


def print_backtest(result, fitting, horizon, levels):
    """The backtest's lines; returns the holdout (last fold) MASE per forecaster."""
    from lstmkit.forecasting.baselines import skipped_note

    holdout = result.fold_scores[result.fold_scores["fold"] == fitting].set_index("forecaster")["MASE"]
    print(f"Backtest: mean over {fitting} fold(s) of {horizon} steps; MASE scaled by the in-sample "
          f"{'seasonal ' if result.season > 1 else ''}naive error (period {result.season}); "
          "holdout = the last fold")
    print(_table(result.scores, holdout))
    beat = holdout["lstmkit"] < holdout["naive"]
    print(f"  holdout MASE: lstmkit {holdout['lstmkit']:.3f} vs naive {holdout['naive']:.3f} "
          f"({'better' if beat else 'NOT better'} than naive)")
    for label, scores in (("holdout", holdout), ("mean", result.scores["MASE"])):
        baselines = scores.drop(["lstmkit", "naive"])  # naive has its own line above
        best = baselines.idxmin()
        if baselines[best] < scores["lstmkit"]:
            print(f"  {label} MASE: the {best} baseline ({baselines[best]:.3f}) beats lstmkit "
                  f"({scores['lstmkit']:.3f})")
    if skipped_note():
        print(f"  {skipped_note()}")
    for line in interval_lines(result.intervals, levels or ()):
        print(line)
    for line in quantile_lines(result.quantiles):
        print(line)
    return holdout


def print_forecast(forecast, target, horizon, with_intervals, table=None):
    """The forecast lines: each step's forecast, then its quantiles and bounds."""
    table = table or sys.stdout  # the one thing --quiet prints
    print(f"Forecast of '{target}', {horizon} steps" + (" (with its intervals)" if with_intervals else "") + ":",
          file=table)
    bounds = [c for c in forecast.columns if c != "forecast"]
    for when, row in forecast.iterrows():
        extra = "".join(f"  {c} {row[c]:.3f}" for c in bounds)
        print(f"  {fmt_time(when)}  {row['forecast']:.3f}{extra}", file=table)


def write_outputs(out_dir, frame, target, forecast, result, final, holdout, settings):
    from lstmkit.cli.forecast_output import preprocessing, save_model, write_json
    from lstmkit.plot.forecasting import plot_forecast, plot_loss_curves, save_figure

    os.makedirs(out_dir, exist_ok=True)
    written = []
    path = os.path.join(out_dir, "forecast.csv")
    forecast.rename_axis(forecast.index.name or "time").to_csv(path)
    written.append(path)
    path = os.path.join(out_dir, "backtest.csv")
    result.forecasts.to_csv(path, index=False)
    written.append(path)
    written.append(write_json(os.path.join(out_dir, "metrics.json"), {
        "settings": settings, "preprocessing": preprocessing(final), "backtest": result.to_dict(),
        "holdout_mase": dict(holdout.items()),
        "forecast": {str(k): float(v) for k, v in forecast["forecast"].items()},
        **({"forecast_intervals": {str(k): {c: row[c] for c in forecast.columns if c != "forecast"}
                                   for k, row in forecast.iterrows()}} if forecast.shape[1] > 1 else {})}))
    save_model(final.model_, os.path.join(out_dir, "model.keras"), written)
    # the frame with its bounds: the picture shades the bands (and names unbounded steps, not drawn)
    ax = plot_forecast(frame[target], forecast=forecast, backtest=result, season=settings.get("season"),
                       title=f"{target}: backtest forecasts and the next {len(forecast)} steps")
    written.append(save_figure(ax, os.path.join(out_dir, "forecast.png")))
    ax = plot_loss_curves(result, title=f"train vs validation loss, {len(result.histories)} backtest fit(s)",
                          logy=True)
    written.append(save_figure(ax, os.path.join(out_dir, "loss.png")))
    print(f"Wrote {out_dir}/: " + ", ".join(os.path.basename(p) for p in written))
