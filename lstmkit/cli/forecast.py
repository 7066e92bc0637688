"""`lstmkit forecast [CSV]`: backtest an LSTM against the baselines, then forecast the future.

With no CSV it uses the bundled airline series. It prints what it read and every setting
it chose, the model, training progress and the backtest table, then writes forecast.csv,
backtest.csv, metrics.json, model.keras, forecast.png and loss.png to --out. The same in
Python:

    data = read_series("file.csv").frame
    result = Forecaster().backtest(data, target)        # the table
    Forecaster().fit(data, target).predict()             # the forecast
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from lstmkit._paths import PathProblem, check_output_dir, check_regular_file
from lstmkit.cli import UsageError

DEFAULTS = dict(model="lstm", units=32, layers=1, epochs=200, folds=3, seed=0, patience=20, validation_split=0.15)
# The choices of --model and --fill, written out here so that parsing the arguments imports nothing
# heavy; tests/cli/test_forecast.py keeps them equal to lstmkit.forecasting's KINDS and FILL_METHODS.
MODEL_KINDS = ("lstm", "gru", "encoder_decoder")
FILL_METHODS = ("linear", "ffill", "bfill", "zero")
# Reading and preparing a file larger than this prints one line per stage on stderr.
LARGE_FILE = 20 * 1024 * 1024


def _int_at_least(minimum, expected):
    """An argparse type: an integer >= `minimum`, else an error saying `expected`."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected {expected}, received {text!r}")
        return value

    return parse


_positive = _int_at_least(1, "a positive integer")
_non_negative = _int_at_least(0, "an integer >= 0")


def add_parser(subparsers):
    p = subparsers.add_parser(
        "forecast", help="backtest an LSTM forecaster against baselines and forecast a series",
        description="Backtest an LSTM forecaster against naive baselines on a series, then forecast its "
                    "next steps. With no CSV, the bundled monthly airline passengers series is used.")
    p.add_argument("csv", nargs="?", metavar="CSV", help="a CSV with a date column and a value column")
    p.add_argument("--column", help="the value column to forecast (found automatically when there is one)")
    p.add_argument("--date-column", help="the date column (found automatically when unambiguous)")
    p.add_argument("--covariates", help="comma-separated columns whose past values are also inputs")
    p.add_argument("--window", type=_positive, help="timesteps per input window (default: two seasons)")
    p.add_argument("--horizon", type=_positive, help="steps to forecast (default: one season)")
    p.add_argument("--model", choices=MODEL_KINDS, help=f"network (default: {DEFAULTS['model']})")
    p.add_argument("--units", type=_positive, help=f"units per recurrent layer (default: {DEFAULTS['units']})")
    p.add_argument("--layers", type=_positive, help=f"recurrent layers (default: {DEFAULTS['layers']})")
    p.add_argument("--epochs", type=_positive, help=f"most epochs per fit (default: {DEFAULTS['epochs']}, "
                                                    "with early stopping)")
    p.add_argument("--folds", type=_positive, help=f"backtest folds (default: {DEFAULTS['folds']})")
    p.add_argument("--seed", type=_non_negative, help=f"random seed (default: {DEFAULTS['seed']})")
    p.add_argument("--fill", choices=FILL_METHODS, help="fill missing dates/values with this method "
                                                       "(default: report them and stop)")
    p.add_argument("--out", default="forecast_out", metavar="DIR", help="output folder (default: ./forecast_out)")
    return p


def _covariates(args):
    return [c.strip() for c in args.covariates.split(",") if c.strip()] if args.covariates else []


def _check_paths(args):
    """The CSV and --out, before anything is read or imported: a missing or unreadable file, a named
    pipe or a device, and an --out that cannot be written are reported at once, not after training."""
    if args.csv is None:
        if args.column or args.date_column or _covariates(args) or args.fill:
            raise UsageError("--column, --date-column, --covariates and --fill need a CSV file")
        size = 0
    else:
        try:
            size = check_regular_file(args.csv)
        except PathProblem as problem:
            raise UsageError(_csv_message(problem, args.csv)) from None
    try:
        check_output_dir(args.out)
    except PathProblem as problem:
        raise UsageError(f"--out {problem}") from None
    return size


def _csv_message(problem, path):
    return {"missing": f"file not found: {path}", "directory": f"{path} is a directory, not a CSV file",
            "special": f"{problem}; give a CSV file"}.get(problem.reason, str(problem))


def _status(line):
    print(line, file=sys.stderr, flush=True)


def _megabytes(size):
    return f"{size / 1e6:,.0f} MB" if size >= 1e6 else f"{size / 1e3:,.0f} kB"


def _load(args, size):
    covariates = _covariates(args)
    if args.csv is None:
        from lstmkit.data import list_datasets, load_dataset

        series = load_dataset("airline")
        print(f"No CSV given: using the bundled dataset 'airline' ({list_datasets()['airline']}).")
        return series.to_frame(), series.name, [], "MS", []
    from lstmkit.forecasting.reading import SeriesInputError, read_series

    log = _status if size > LARGE_FILE else None
    if log:
        log(f"Reading {args.csv} ({_megabytes(size)})...")
    try:
        data = read_series(args.csv, column=args.column, date_column=args.date_column, covariates=covariates,
                           fill=args.fill, log=log)
    except SeriesInputError as error:
        raise UsageError(str(error)) from None
    cols = f"column '{data.target}'" + (f" with covariates {', '.join(data.covariates)}" if data.covariates else "")
    where = f"dates from column '{data.date_column}'" if data.date_column else "no dates"
    print(f"Read {args.csv}: {cols}; {where}.")
    return data.frame, data.target, data.covariates, data.freq, data.notes


def _check_series(frame, target, window, horizon):
    import numpy as np

    y = frame[target].to_numpy(dtype=float)
    if len(y) and np.ptp(y) == 0:
        raise UsageError(f"column '{target}' is constant ({y[0]:g}): there is nothing to forecast")
    if len(y) < window + horizon:
        raise UsageError(f"the series has {len(y)} rows, shorter than window {window} + horizon {horizon}; "
                         "pass a smaller --window/--horizon")


def _table(scores, holdout):
    lines = [f"  {'forecaster':<15}{'MAE':>10}{'RMSE':>10}{'MAPE%':>9}{'sMAPE%':>9}{'MASE':>8}   holdout MASE"]
    for name, row in scores.iterrows():
        lines.append(f"  {name:<15}{row['MAE']:>10.3f}{row['RMSE']:>10.3f}{row['MAPE']:>9.2f}{row['sMAPE']:>9.2f}"
                     f"{row['MASE']:>8.3f}   {holdout[name]:.3f}")
    return "\n".join(lines)


def run(args) -> int:
    started = time.perf_counter()
    out_dir = args.out
    size = _check_paths(args)
    frame, target, covariates, freq, notes = _load(args, size)
    y = frame[target]
    span = f"{y.index[0]} to {y.index[-1]}" if freq is None else f"{y.index[0].date()} to {y.index[-1].date()}"
    print(f"  {len(y)} rows, {span}, frequency: {freq or 'none (row numbers)'}")
    for note in notes:
        print(f"  note: {note}")
    if len(y) < 3:
        raise UsageError(f"the series has {len(y)} rows; forecasting needs many more")
    _check_series(frame, target, args.window or 1, args.horizon or 1)
    if size > LARGE_FILE:
        _status("Loading lstmkit and JAX...")
    import numpy as np

    from lstmkit.forecasting import Forecaster
    from lstmkit.forecasting.architectures import build_model
    from lstmkit.forecasting.backtest import backtest
    from lstmkit.forecasting.series import choose_defaults

    folds = args.folds or DEFAULTS["folds"]
    model_kind = args.model or DEFAULTS["model"]
    settings = dict(model=model_kind, units=args.units or DEFAULTS["units"], layers=args.layers or DEFAULTS["layers"],
                    epochs=args.epochs or DEFAULTS["epochs"], seed=DEFAULTS["seed"] if args.seed is None else args.seed,
                    patience=DEFAULTS["patience"], validation_split=DEFAULTS["validation_split"])
    probe = Forecaster(model_kind, validation_split=settings["validation_split"])  # for min_rows only
    if size > LARGE_FILE:
        _status(f"Detecting the season of {len(y):,} rows and choosing the window...")
    defaults = choose_defaults(y.index, frame[[target, *covariates]].to_numpy(dtype=float), args.window,
                               args.horizon, None, folds, min_rows=probe.min_rows)
    window, horizon, season, fitting = defaults.window, defaults.horizon, defaults.season, defaults.folds
    _check_series(frame, target, window, horizon)
    need = probe.min_rows(window, horizon)
    if len(y) - fitting * horizon < need:
        raise UsageError(f"the series has {len(y)} rows; window {window} and horizon {horizon} need at least "
                         f"{need + horizon}: {need} to train (with validation windows) and {horizon} to backtest")
    template = Forecaster(model_kind, window=window, horizon=horizon, season=season, units=settings["units"],
                          layers=settings["layers"], epochs=settings["epochs"], seed=settings["seed"],
                          patience=settings["patience"], validation_split=settings["validation_split"])

    def src(value, note=""):
        return "given" if value is not None else "default" + (f": {note}" if note else "")

    kind_note = {"lstm": "LSTM(units) then Dense(horizon): all steps at once",
                 "gru": "GRU(units) then Dense(horizon): all steps at once",
                 "encoder_decoder": "LSTM encoder, RepeatVector, LSTM decoder, TimeDistributed(Dense(1))"}[model_kind]
    es = (f"at most; early stopping (patience {settings['patience']}, best weights kept) on the last "
          f"{settings['validation_split']:.0%} of each fit's windows")
    folds_note = f"rolling-origin backtest of {horizon} steps each, a new model per fold" + (
        f" (reduced from {folds} to fit the series)" if fitting != folds else "")
    rows = [
        ("season", season or "none", f"from the data: {defaults.reasons['season']}"),
        ("--window", window, "given" if args.window else f"from the data: {defaults.reasons['window']}"),
        ("--horizon", horizon, "given" if args.horizon else f"from the data: {defaults.reasons['horizon']}"),
        ("--model", model_kind, src(args.model, kind_note)),
        ("--units", settings["units"], src(args.units)),
        ("--layers", settings["layers"], src(args.layers)),
        ("--epochs", settings["epochs"], src(args.epochs, es) if args.epochs is None else f"given; {es}"),
        ("--folds", fitting, src(args.folds, folds_note) if args.folds is None else f"given; {folds_note}"),
        ("--seed", settings["seed"], src(args.seed)),
        ("scaling", "min-max", "fitted on each fit's training rows only; windows taken relative to their last value"),
    ]
    print("Settings (change any with the option shown):")
    for name, value, why in rows:
        print(f"  {name:<10} {str(value):<8} {why}")
    if covariates:
        print(f"  inputs: {target} and the past of {', '.join(covariates)}")

    n_features = 1 + len(covariates)
    build_model(model_kind, window, n_features, horizon, settings["units"], settings["layers"]).summary()

    def on_fit(k, origin):
        print(f"Backtest fold {k + 1}/{fitting}: training on the {origin} rows up to {_fmt(y.index[origin - 1])}, "
              f"forecasting the next {horizon}")

    result = backtest(template, frame, target, covariates or None, folds=fitting, verbose=1, on_fit=on_fit)
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

    final_epochs = int(np.median(result.best_epochs))
    print(f"Final model: trained on all {len(y)} rows for {final_epochs} epochs (the median best epoch of the folds)")
    final = template.clone(early_stopping=False, validation_split=0.0, epochs=final_epochs, verbose=1)
    final.fit(frame, target, covariates or None)
    forecast = final.predict()
    print(f"Forecast of '{target}', {horizon} steps:")
    for when, value in forecast.items():
        print(f"  {_fmt(when)}  {value:.3f}")

    _write_outputs(out_dir, frame, target, forecast, result, final, holdout, dict(
        rows=len(y), start=str(y.index[0]), end=str(y.index[-1]), frequency=freq, target=target,
        covariates=covariates, season=season, window=window, horizon=horizon, folds=fitting,
        final_epochs=final_epochs, **settings))
    print(f"Done in {time.perf_counter() - started:.1f}s.")
    return 0


def _fmt(when):
    return str(when.date()) if hasattr(when, "date") and getattr(when, "hour", 0) == 0 else str(when)


def _write_outputs(out_dir, frame, target, forecast, result, final, holdout, settings):
    from lstmkit.plot.forecasting import plot_forecast, plot_loss_curves, save_figure

    os.makedirs(out_dir, exist_ok=True)
    written = []
    path = os.path.join(out_dir, "forecast.csv")
    forecast.rename("forecast").rename_axis(forecast.index.name or "time").to_csv(path)
    written.append(path)
    path = os.path.join(out_dir, "backtest.csv")
    result.forecasts.to_csv(path, index=False)
    written.append(path)
    path = os.path.join(out_dir, "metrics.json")
    with open(path, "w") as fh:
        json.dump({"settings": _plain(settings), "preprocessing": _preprocessing(final), "backtest": result.to_dict(),
                   "holdout_mase": {k: _plain(v) for k, v in holdout.items()},
                   "forecast": {str(k): float(v) for k, v in forecast.items()}}, fh, indent=2)
    written.append(path)
    path = os.path.join(out_dir, "model.keras")
    if hasattr(final.model_, "save"):
        final.model_.save(path)
        written.append(path)
    else:
        print("  note: model.keras not written: this lstmkit has no Model.save yet")
    ax = plot_forecast(frame[target], forecast=forecast, backtest=result,
                       title=f"{target}: backtest forecasts and the next {len(forecast)} steps")
    written.append(save_figure(ax, os.path.join(out_dir, "forecast.png")))
    ax = plot_loss_curves(result, title=f"train vs validation loss, {len(result.histories)} backtest fit(s)",
                          logy=True)
    written.append(save_figure(ax, os.path.join(out_dir, "loss.png")))
    print(f"Wrote {out_dir}/: " + ", ".join(os.path.basename(p) for p in written))


def _preprocessing(final):
    """How model.keras's inputs and outputs relate to the data, so the file can be used alone."""
    scaler = final.scaler_
    info = {
        "scaler": "minmax", "fitted_on_rows": final.train_rows_,
        "data_min": float(scaler.data_min_[0]), "data_max": float(scaler.data_max_[0]),
        "relative_to_last": final.relative,
        "recipe": "x = (window - data_min) / (data_max - data_min); last = x[-1]; "
                  "y = model.predict((x - last)[None, :, None]) + last; forecast = y * (data_max - data_min) + data_min",
    }
    if final.n_features_ > 1:  # covariates: min-max scaled columns 2.. of the window, not made relative
        info["covariate_data_min"] = final.covariate_scaler_.data_min_.tolist()
        info["covariate_data_max"] = final.covariate_scaler_.data_max_.tolist()
    return _plain(info)


def _plain(value):
    """JSON-safe: numpy numbers to Python, NaN to null, containers recursively."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value
