"""`lstmkit forecast [CSV]`: backtest an LSTM against the baselines, then forecast the future.

With no CSV it uses the bundled airline series. It prints what it read and every setting
it chose, the model, training progress and the backtest table, then writes forecast.csv,
backtest.csv, metrics.json, model.keras, forecast.png and loss.png to --out. The same in
Python:

    data = read_series("file.csv").frame
    result = Forecaster().backtest(data, target)        # the table and the intervals
    final_forecaster(Forecaster(), result).fit(data, target).predict(intervals=result)   # the forecast
    # (lstmkit.forecasting.final: the backtest's settings on every row for the median best epoch)

A panel (`--id-column ID` in long format, `--wide` for a column per series) is run by
`lstmkit.cli.forecast_panel`; known-future inputs (`--future-covariates`, `--calendar`) are
`Forecaster(future_covariates=..., calendar=True)` (`lstmkit.forecasting.known_future`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time

from lstmkit._paths import PathProblem, check_output_dir, check_regular_file
from lstmkit.cli import UsageError
from lstmkit.cli.forecast_options import add_options, bundled_csv

# The output helpers are imported in run(): lstmkit's lazy import (lstmkit/__init__.py's _LIGHT) keeps
# only this module and the argument checks light, so that a bad argument is reported at once.
DEFAULTS = dict(model="lstm", units=32, layers=1, epochs=200, folds=3, seed=0, patience=20, validation_split=0.15,
                max_windows=50_000)
DEFAULT_INTERVALS = (80.0, 95.0)

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
STRATEGIES = ("auto", "global", "local")  # tests keep them equal to lstmkit.forecasting.panel.STRATEGIES


def _levels(text):
    """--intervals: comma-separated percentages in (0, 100), or 'none'."""
    if text.strip().lower() in ("none", "off", "no"):
        return None
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or any(not 0 < v < 100 for v in values):
        raise argparse.ArgumentTypeError(f"expected percentages between 0 and 100 such as 80,95 (or none), "
                                         f"received {text!r}")
    return tuple(sorted(set(values)))


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
    p.add_argument("--max-windows", type=_int_at_least(2, "an integer >= 2"), metavar="N",
                   help=f"train each model on at most the latest N windows (default: {DEFAULTS['max_windows']:,}; "
                        "a long series' older rows are then not trained on)")
    p.add_argument("--seed", type=_non_negative, help=f"random seed (default: {DEFAULTS['seed']})")
    p.add_argument("--fill", choices=FILL_METHODS, help="fill missing dates/values with this method "
                                                       "(default: report them and stop)")
    p.add_argument("--future-covariates", metavar="A,B",
                   help="comma-separated columns known in advance (prices, promotions): their values must go on "
                        "--horizon rows past the last target value (rows with the target left empty)")
    p.add_argument("--calendar", action="store_true",
                   help="add calendar inputs from the dates (month, day of week, hour as sin/cos, chosen from "
                        "the frequency), known for the forecast's dates too")
    p.add_argument("--intervals", type=_levels, default=DEFAULT_INTERVALS, metavar="LEVELS",
                   help="prediction intervals, in percent (default: 80,95; none: no intervals), conformal from "
                        "the backtest errors")
    p.add_argument("--id-column", metavar="NAME",
                   help="a panel in long format: the column naming each row's series (one model per series or "
                        "one for all, see --strategy)")
    p.add_argument("--wide", action="store_true",
                   help="a panel in wide format: a date column and one numeric column per series")
    p.add_argument("--strategy", choices=STRATEGIES,
                   help="panels: one model per series trained together (local), one model for every series "
                        "(global), or chosen from the data (auto, the default)")
    p.add_argument("--static-covariates", metavar="A,B",
                   help="long panels: comma-separated columns that describe each series (region, size), constant "
                        "within it; numbers standardized, text one-hot; inputs of a global model")
    p.add_argument("--id-inputs", action="store_true",
                   help="panels: give the global model each series' id, one-hot (a learned vector per series, "
                        "as an id embedding)")
    add_options(p)  # --season, --dayfirst
    p.add_argument("--quiet", "-q", action="store_true",
                   help="print only errors and the final forecast table (no settings, progress or backtest lines)")
    p.add_argument("--out", default="forecast_out", metavar="DIR", help="output folder (default: ./forecast_out)")
    return p


def _covariates(args):
    return [c.strip() for c in args.covariates.split(",") if c.strip()] if args.covariates else []


def _future_covariates(args):
    return [c.strip() for c in args.future_covariates.split(",") if c.strip()] if args.future_covariates else []


def _check_paths(args):
    """The CSV and --out, before anything is read or imported: a missing or unreadable file, a named
    pipe or a device, and an --out that cannot be written are reported at once, not after training."""
    if args.id_column is not None and args.wide:
        raise UsageError("--id-column (long format) and --wide (wide format) describe different files; give one")
    if args.strategy is not None and args.id_column is None and not args.wide:
        raise UsageError("--strategy chooses how a panel is modelled; it needs --id-column NAME or --wide")
    if args.static_covariates and args.id_column is None:
        raise UsageError("--static-covariates need a long panel (--id-column NAME): columns constant within each "
                         "series" + ("; a --wide file has no such columns" if args.wide else ""))
    if args.id_inputs and args.id_column is None and not args.wide:
        raise UsageError("--id-inputs gives a panel's global model the series ids; it needs --id-column NAME or --wide")
    if args.strategy == "local" and (args.static_covariates or args.id_inputs):
        raise UsageError(f"{'--static-covariates' if args.static_covariates else '--id-inputs'} need --strategy global "
                         "(or auto): they are constant within a series, so a model per series (local) learns "
                         "nothing from them")
    if args.wide and (_covariates(args) or _future_covariates(args)):
        raise UsageError("--covariates and --future-covariates need one series or a long panel (--id-column): "
                         "in a --wide file every numeric column is a series")
    if args.csv is None:
        if (args.column or args.date_column or _covariates(args) or args.fill or _future_covariates(args)
                or args.id_column or args.wide):
            raise UsageError("--column, --date-column, --covariates, --future-covariates, --fill, --id-column and "
                             "--wide need a CSV file")
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
    """(frame, target, covariates, freq, notes): the frame runs on past the history for the rows that give
    only the --future-covariates."""
    covariates, future = _covariates(args), _future_covariates(args)
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
        if future:
            from lstmkit.forecasting.panel_reading import read_known  # not light: JAX is loaded here

            data = read_known(args.csv, column=args.column, date_column=args.date_column, covariates=covariates,
                              future_covariates=future, fill=args.fill, dayfirst=args.dayfirst)
        else:
            data = read_series(args.csv, column=args.column, date_column=args.date_column, covariates=covariates,
                               fill=args.fill, log=log, dayfirst=args.dayfirst)
    except SeriesInputError as error:
        hint = ""
        if "appears more than once" in str(error):  # the usual cause: a long panel read as one series
            hint = "; if the file holds several series, name the column that tells them apart: --id-column NAME"
        raise UsageError(str(error) + hint) from None
    cols = f"column '{data.target}'" + (f" with covariates {', '.join(data.covariates)}" if data.covariates else "")
    if future:
        cols += f" and future covariates {', '.join(future)}"
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


def _model_settings(args):
    """The network and training settings shared by one series and a panel, and how to print them."""
    model_kind = args.model or DEFAULTS["model"]
    settings = dict(model=model_kind, units=args.units or DEFAULTS["units"], layers=args.layers or DEFAULTS["layers"],
                    epochs=args.epochs or DEFAULTS["epochs"], seed=DEFAULTS["seed"] if args.seed is None else args.seed,
                    patience=DEFAULTS["patience"], validation_split=DEFAULTS["validation_split"],
                    max_windows=args.max_windows or DEFAULTS["max_windows"],
                    quantiles=list(args.quantiles) if getattr(args, "quantiles", None) else None)
    return settings


def _known_settings(args, future):
    """Forecaster arguments for the known-future inputs."""
    return dict(future_covariates=future or None, calendar=bool(args.calendar))


def run(args) -> int:
    if getattr(args, "quiet", False):
        # Everything but the forecast table goes nowhere; errors still reach stderr (UsageError, warnings).
        table = sys.stdout
        with contextlib.redirect_stdout(io.StringIO()):
            return _run(args, quiet=True, table=table)
    return _run(args)


def _run(args, quiet=False, table=None) -> int:
    started = time.perf_counter()
    verbose = 0 if quiet else 1
    bundled = bundled_csv(args)  # `lstmkit forecast sunspots`: the bundled CSV
    if bundled:
        print(bundled)
    size = _check_paths(args)
    if args.id_column is not None or args.wide:
        from lstmkit.cli.forecast_panel import run_panel

        return run_panel(args, size, _model_settings(args), started, DEFAULTS["folds"], DEFAULT_INTERVALS, table=table)
    out_dir = args.out
    frame, target, covariates, freq, notes = _load(args, size)
    y_all = frame[target]
    rows_known = int(y_all.notna().to_numpy().nonzero()[0][-1]) + 1 if y_all.notna().any() else 0
    y = y_all.iloc[:rows_known]
    history = frame.iloc[:rows_known]
    future = _future_covariates(args)
    span = f"{y.index[0]} to {y.index[-1]}" if freq is None else f"{y.index[0].date()} to {y.index[-1].date()}"
    print(f"  {len(y)} rows, {span}, frequency: {freq or 'none (row numbers)'}"
          + (f"; {len(frame) - rows_known} future row(s) of {', '.join(future)}" if future else ""))
    for note in notes:
        print(f"  note: {note}")
    if len(y) < 3:
        raise UsageError(f"the series has {len(y)} rows; forecasting needs many more")
    _check_series(history, target, args.window or 1, args.horizon or 1)
    if size > LARGE_FILE:
        _status("Loading lstmkit and JAX...")
    import numpy as np

    from lstmkit.cli.forecast_output import fmt_time, known_line, print_settings, settings_rows
    from lstmkit.cli.forecast_report import print_backtest, print_forecast, write_outputs

    from lstmkit.forecasting import Forecaster
    from lstmkit.forecasting.architectures import build_model
    from lstmkit.forecasting.backtest import backtest
    from lstmkit.forecasting.final import final_forecaster
    from lstmkit.forecasting.series import choose_defaults

    folds = args.folds or DEFAULTS["folds"]
    settings = _model_settings(args)
    model_kind = settings["model"]
    known = _known_settings(args, future)
    probe = Forecaster(model_kind, validation_split=settings["validation_split"])  # for min_rows only
    if size > LARGE_FILE:
        _status(f"Detecting the season of {len(y):,} rows and choosing the window...")
    defaults = choose_defaults(y.index, history[[target, *covariates]].to_numpy(dtype=float), args.window,
                               args.horizon, args.season, folds, min_rows=probe.min_rows)
    window, horizon, season, fitting = defaults.window, defaults.horizon, defaults.season, defaults.folds
    _check_series(history, target, window, horizon)
    need = probe.min_rows(window, horizon)
    if len(y) - fitting * horizon < need:
        raise UsageError(f"the series has {len(y)} rows; window {window} and horizon {horizon} need at least "
                         f"{need + horizon}: {need} to train (with validation windows) and {horizon} to backtest")
    try:
        template = Forecaster(model_kind, window=window, horizon=horizon, season=season, units=settings["units"],
                              layers=settings["layers"], epochs=settings["epochs"], seed=settings["seed"],
                              patience=settings["patience"], validation_split=settings["validation_split"],
                              max_windows=settings["max_windows"], quantiles=settings["quantiles"], **known)
        # Known-future inputs: checked (calendar frequency, enough future rows) before any training.
        template.clone()._read(frame, target, covariates or None)
        if future and len(frame) - rows_known < horizon:
            raise ValueError(f"--future-covariates {', '.join(future)} must have values for --horizon {horizon} "
                             f"rows past the last value of '{target}' ({_when(y.index[-1])}); the file has "
                             f"{len(frame) - rows_known}: {horizon - (len(frame) - rows_known)} missing (rows with "
                             f"'{target}' left empty)")
    except ValueError as error:
        raise UsageError(str(error).rstrip(".")) from None

    print_settings(settings_rows(args, settings, defaults, window, horizon, season, fitting, folds, DEFAULT_INTERVALS,
                                 rows=len(y)))
    calendar = template.clone()._read(frame, target, covariates or None)[3]
    known_names = calendar.columns if calendar is not None else []
    if covariates or known_names:
        print(known_line(target, covariates, known_names))

    n_features = 1 + len(covariates) + len(known_names)
    build_model(model_kind, window, n_features, horizon, settings["units"], settings["layers"],
                quantiles=template.quantile_levels).summary()

    def on_fit(k, origin):
        capped = origin - window - horizon + 1 > settings["max_windows"]
        on = f"the latest {settings['max_windows']:,} windows of the {origin:,} rows" if capped else f"the {origin} rows"
        print(f"Backtest fold {k + 1}/{fitting}: training on {on} up to {fmt_time(y.index[origin - 1])}, "
              f"forecasting the next {horizon}")

    _import_pyplot_meanwhile()
    stage = time.perf_counter()
    result = backtest(template, frame, target, covariates or None, folds=fitting, verbose=verbose, on_fit=on_fit,
                      intervals=args.intervals)
    print(f"Backtest: {fitting} fold(s) in {time.perf_counter() - stage:.1f}s", flush=True)
    holdout = print_backtest(result, fitting, horizon, args.intervals)

    final = final_forecaster(template, result, verbose=verbose)  # lstmkit.forecasting.final: the one rule
    final_epochs = final.epochs
    windows = len(y) - window - horizon + 1
    on = (f"the latest {settings['max_windows']:,} of its {windows:,} windows" if windows > settings["max_windows"]
          else f"all {len(y)} rows")
    print(f"Final model: trained on {on} for {final_epochs} epochs (the median best epoch of the folds)")
    stage = time.perf_counter()
    final.fit(frame, target, covariates or None)
    print(f"Final model: trained in {time.perf_counter() - stage:.1f}s", flush=True)
    if result.intervals is not None:
        forecast = final.predict(intervals=result)
    else:  # with --quantiles already a frame: forecast and the q columns
        forecast = final.predict()
        forecast = forecast if final.quantile_levels else forecast.to_frame("forecast")
    print_forecast(forecast, target, horizon, result.intervals is not None, table)

    write_outputs(out_dir, history, target, forecast, result, final, holdout, dict(
        rows=len(y), start=str(y.index[0]), end=str(y.index[-1]), frequency=freq, target=target,
        covariates=covariates, future_covariates=future, calendar=known_names[len(future):], season=season,
        window=window, horizon=horizon, folds=fitting, final_epochs=final_epochs,
        intervals=list(args.intervals or []), **settings))
    print(f"Done in {time.perf_counter() - started:.1f}s.")
    return 0


def _import_pyplot_meanwhile():
    """Import matplotlib (about a second) in a thread while the backtest trains: XLA releases the GIL,
    and the pictures come at the end. A failure there is left for the plotting call to report."""
    import threading

    def load():
        try:
            from lstmkit.plot._style import pyplot

            pyplot()
        except Exception:  # noqa: BLE001 - reported by the plotting call itself
            pass

    threading.Thread(target=load, name="lstmkit-import-pyplot", daemon=True).start()


def _when(when):
    from lstmkit.cli.forecast_output import fmt_time

    return fmt_time(when)
