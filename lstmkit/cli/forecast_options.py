"""`lstmkit forecast` options about the input: a bundled dataset's name as the CSV, `--season` and
`--dayfirst`; and `--quantiles`.
Standard library (and lstmkit.data's table of datasets) only: they run before JAX loads.
"""

from __future__ import annotations

import argparse
import os

__all__ = ["add_options", "bundled_csv", "quantiles_row", "season_row"]


def _season(text):
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer (1: no season), received {text!r}")
    return value


def _quantiles(text):
    """--quantiles: comma-separated levels in (0, 1), distinct; returned sorted with 0.5 added (the
    point forecast), as `Forecaster(quantiles=...)` takes them (`lstmkit.forecasting.quantiles`)."""
    expected = f"quantiles between 0 and 1 such as 0.1,0.5,0.9, received {text!r}"
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}") from None
    if not values or any(not 0 < v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected {expected}")
    if len(set(values)) != len(values):
        twice = next(v for v in values if values.count(v) > 1)
        raise argparse.ArgumentTypeError(f"expected distinct quantiles; {twice:g} appears twice in {text!r}")
    return tuple(sorted(set(values) | {0.5}))


def add_options(parser):
    """Declare --season, --dayfirst/--no-dayfirst and --quantiles on the forecast parser."""
    parser.add_argument("--season", type=_season, metavar="N",
                        help="the seasonal period in steps (1: none; default: from the dates' frequency or the "
                             "autocorrelation); the default window is two seasons, the horizon one")
    parser.add_argument("--dayfirst", action=argparse.BooleanOptionalAction, default=None,
                        help="read dates written NN/NN/YYYY day first (--dayfirst) or month first (--no-dayfirst); "
                             "default: from the rows that decide it, else the reading that gives regular dates")
    parser.add_argument("--quantiles", type=_quantiles, metavar="Q,Q",
                        help="also forecast these quantiles (e.g. 0.1,0.5,0.9; 0.5 is added, it is the forecast), "
                             "with one network output per quantile and step trained on the pinball loss; "
                             "forecast.csv gets a q<level> column each (beside any --intervals bounds)")


def bundled_csv(args):
    """When the CSV argument names a bundled dataset (see `lstmkit.data.list_datasets`) and no file of
    that name exists, point it at the bundled CSV; returns the line to print, or None. A file wins."""
    name = args.csv
    if name is None or os.path.exists(name) or os.path.basename(name) != name:
        return None
    # Looked for as a file first: importing lstmkit.data for every missing path would load JAX before the
    # "file not found" line.
    folder = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "datasets")
    if not os.path.isfile(os.path.join(folder, f"{name}.csv")):
        return None
    from lstmkit.data.datasets import DATASETS, dataset_path, list_datasets

    if name not in DATASETS:
        return None
    args.csv = dataset_path(name)
    return f"'{name}' is a bundled dataset: {list_datasets()[name]}."


def season_row(args, defaults):
    """The settings table's row for the season: (option, value, where it came from)."""
    season = defaults.season
    why = "given" if args.season is not None else f"from the data: {defaults.reasons['season']}"
    return "--season", season or "none", why


def quantiles_row(args):
    """The settings table's row for --quantiles."""
    if not args.quantiles:
        return "--quantiles", "none", "default; point forecasts (the intervals are conformal)"
    shown = ",".join(f"{q:g}" for q in args.quantiles)
    return ("--quantiles", shown, "given; pinball loss, one output per quantile and step; forecast = the 0.5 "
                                  "quantile, crossed quantiles sorted per step")
