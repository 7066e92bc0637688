"""What `lstmkit forecast` prints and writes, shared by the one-series and the panel runs.

Imported once the arguments and paths are checked (see lstmkit/cli/forecast.py).
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata

METRICS_HEADER = f"  {'forecaster':<15}{'MAE':>10}{'RMSE':>10}{'MAPE%':>9}{'sMAPE%':>9}{'MASE':>8}"


def status(line):
    print(line, file=sys.stderr, flush=True)


def megabytes(size):
    return f"{size / 1e6:,.0f} MB" if size >= 1e6 else f"{size / 1e3:,.0f} kB"


def fmt_time(when):
    return str(when.date()) if hasattr(when, "date") and getattr(when, "hour", 0) == 0 else str(when)


def _cells(ch):
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1


def pad(text, width):
    """`text` left-aligned in `width` terminal cells: wide (CJK) characters take two, so a column of
    ids stays aligned; a longer text is cut, ending in '~'."""
    text = str(text)
    if sum(map(_cells, text)) > width:
        cut, cells = "", 0
        for ch in text:
            if cells + _cells(ch) > width - 1:
                break
            cut, cells = cut + ch, cells + _cells(ch)
        text = cut + "~"
    return text + " " * (width - sum(map(_cells, text)))


def metrics_row(name, row):
    return (f"  {name:<15}{row['MAE']:>10.3f}{row['RMSE']:>10.3f}{row['MAPE']:>9.2f}{row['sMAPE']:>9.2f}"
            f"{row['MASE']:>8.3f}")


def plain(value):
    """JSON-safe: numpy numbers to Python, NaN and inf to null, containers recursively."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value


def write_json(path, content):
    with open(path, "w") as fh:
        json.dump(plain(content), fh, indent=2)
    return path


def interval_lines(intervals, levels):
    """What the conformal intervals are and how often they held on folds they were not calibrated on."""
    import numpy as np

    if intervals is None:
        return []
    lines = [f"Intervals {', '.join(f'{v:g}%' for v in levels)}: split conformal, from the absolute backtest errors "
             f"of each horizon step ({intervals.n_scores} forecasts per step)"]
    if intervals.coverage is None:
        lines.append("  coverage not measured: that needs 2 or more backtest folds")
    else:
        shown = ", ".join(f"{k:g}%: {v:.2f}" for k, v in intervals.coverage.items())
        lines.append(f"  coverage on held-out folds (share of backtest actuals inside): {shown}")
        lines += bounded_notes(intervals.bounded)
    for level, widths in intervals.halfwidths.items():
        if not np.isfinite(widths).all():
            need = int(np.ceil(100 / (100 - level))) - 1
            lines.append(f"  note: the {level:g}% interval is unbounded (inf) at {int((~np.isfinite(widths)).sum())} "
                         f"step(s): {level:g}% needs at least {need} backtest errors per step; use more --folds")
    return lines


def quantile_lines(scores, series=None):
    """The quantile forecasts' backtest scores (`lstmkit.forecasting.quantiles.QuantileScores`), out of sample;
    `series`: the number of series a panel's scores are the mean over."""
    if scores is None:
        return []
    over = f", mean over {series} series" if series else ""
    lines = [f"Quantiles {', '.join(f'{q:g}' for q in scores.levels)}: pinball loss {scores.pinball:.4g} on the "
             f"backtest folds ({scores.count} actuals{over})",
             "  share of actuals below each quantile (calibrated: near the quantile): "
             + ", ".join(f"q{q:g}: {v:.2f}" for q, v in scores.coverage.items())]
    if scores.interval_coverage:
        lines.append("  share inside each symmetric pair: " + ", ".join(
            f"{name}%: {v:.2f}" for name, v in scores.interval_coverage.items()))
    return lines


def bounded_notes(bounded):
    """Where the held-out intervals were unbounded, the coverage counts them as covering: say so."""
    lines = []
    for level, share in (bounded or {}).items():
        if share < 1:
            lines.append(f"  note: {level:g}% coverage: its held-out intervals were unbounded at {1 - share:.0%} of the "
                         f"steps (too few errors without their own fold) and count as covering; more --folds "
                         "measure it better")
    return lines


def save_model(model, path, written):
    if hasattr(model, "save"):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        model.save(path)
        written.append(path)
        return True
    print("  note: model file not written: this lstmkit has no Model.save yet")
    return False


def settings_rows(args, settings, defaults, window, horizon, season, fitting, folds, default_intervals, rows=None):
    """The printed settings table: (name, value, why)."""
    from lstmkit.cli.forecast_options import quantiles_row, season_row

    def src(value, note=""):
        return "given" if value is not None else "default" + (f": {note}" if note else "")

    model_kind = settings["model"]
    kind_note = {"lstm": "LSTM(units) then Dense(horizon): all steps at once",
                 "gru": "GRU(units) then Dense(horizon): all steps at once",
                 "encoder_decoder": "LSTM encoder, RepeatVector, LSTM decoder, TimeDistributed(Dense(1))"}[model_kind]
    n_q = len(getattr(args, "quantiles", None) or ())
    if n_q:  # one output per step and quantile
        kind_note = kind_note.replace("Dense(horizon)", f"Dense(horizon x {n_q}), Reshape").replace(
            "Dense(1))", f"Dense({n_q}))")
    es = (f"at most; early stopping (patience {settings['patience']}, best weights kept) on the last "
          f"{settings['validation_split']:.0%} of each fit's windows")
    folds_note = f"rolling-origin backtest of {horizon} steps each, a new model per fold" + (
        f" (reduced from {folds} to fit the series)" if fitting != folds else "")
    intervals = ", ".join(f"{v:g}%" for v in args.intervals) if args.intervals else "none"
    return [
        season_row(args, defaults),  # --season
        ("--window", window, "given" if args.window else f"from the data: {defaults.reasons['window']}"),
        ("--horizon", horizon, "given" if args.horizon else f"from the data: {defaults.reasons['horizon']}"),
        ("--model", model_kind, src(args.model, kind_note)),
        ("--units", settings["units"], src(args.units)),
        ("--layers", settings["layers"], src(args.layers)),
        ("--epochs", settings["epochs"], src(args.epochs, es) if args.epochs is None else f"given; {es}"),
        ("--folds", fitting, src(args.folds, folds_note) if args.folds is None else f"given; {folds_note}"),
        ("--max-windows", f"{settings['max_windows']:,}", src(args.max_windows, _windows_note(settings, window, horizon, rows))),
        ("--seed", settings["seed"], src(args.seed)),
        ("--intervals", intervals, ("given" if args.intervals != default_intervals else "default") +
         ("; conformal, from the backtest folds' errors per step" if args.intervals else "")),
        quantiles_row(args),  # --quantiles
        ("scaling", "min-max", "fitted on each fit's training rows only; windows taken relative to their last value"),
    ]


def _windows_note(settings, window, horizon, rows):
    if rows is None:
        return "the most windows a model trains on, the latest"
    windows = rows - window - horizon + 1
    if windows <= settings["max_windows"]:
        return f"all {windows:,} windows are used"
    return f"each model trains on the latest {settings['max_windows']:,} of {windows:,} windows; older rows are not trained on"


def print_settings(rows):
    print("Settings (change any with the option shown):")
    for name, value, why in rows:
        print(f"  {name:<10} {str(value):<8} {why}")


def known_line(target, covariates, known):
    parts = [target] + ([f"the past of {', '.join(covariates)}"] if covariates else [])
    if known:
        parts.append(f"known-future inputs {', '.join(known)} (their values at the forecast steps)")
    return f"  inputs: {', '.join(parts)}"


def preprocessing(final):
    """How model.keras's inputs and outputs relate to the data, so the file can be used alone."""
    scaler = final.scaler_
    info = {
        "scaler": "minmax", "fitted_on_rows": final.train_rows_,
        "data_min": float(scaler.data_min_[0]), "data_max": float(scaler.data_max_[0]),
        "relative_to_last": final.relative,
        "recipe": "x = (window - data_min) / (data_max - data_min); last = x[-1]; "
                  "y = model.predict((x - last)[None, :, None]) + last; forecast = y * (data_max - data_min) + data_min",
    }
    if final.quantile_levels:  # the output has a quantile axis; the recipe holds for each of its columns
        info["quantiles"] = list(final.quantile_levels)
        info["output"] = "(1, horizon, quantiles): one column per quantile; the forecast sorts them per step"
    past, user = final._groups
    if past > 1:  # covariates: min-max scaled columns 2.. of the window, not made relative
        info["covariate_data_min"] = final.covariate_scaler_.data_min_.tolist()
        info["covariate_data_max"] = final.covariate_scaler_.data_max_.tolist()
    if final.known_future_:
        info["known_future_inputs"] = {
            "columns": final.known_future_, "first_column": past,
            "led_by": final.horizon_ if final.strategy == "direct" else 1,
            "note": "window row t holds these inputs' values at t + led_by; the user's columns min-max scaled "
                    "(future_data_min/max), the calendar ones (sin/cos) as they are"}
        if user:
            info["future_data_min"] = final.future_scaler_.data_min_.tolist()
            info["future_data_max"] = final.future_scaler_.data_max_.tolist()
    return info
