"""`lstmkit forecast FILE --id-column ID` (long format) or `--wide`: a panel of series.

Every series gets the window, horizon and season chosen from a typical (median-length) series, its
own scalers and its own backtest folds at its own end, with the baselines on the same folds. One model
per series trained together ('local'), or one for all ('global'); see `PanelForecaster`. A series too
short for the window, horizon and folds is named and left out. The same in Python:

    data = read_panel("file.csv", id_column="store")
    p = PanelForecaster(strategy="auto")
    result = p.backtest(data.series, id="store", target=data.target, folds=3)   # the tables
    p.fit(data.series, id="store", target=data.target).predict(intervals=result)
"""

from __future__ import annotations

import os
import re
import sys
import time

from lstmkit.cli import UsageError
from lstmkit.cli.forecast_output import (METRICS_HEADER, bounded_notes, fmt_time, interval_lines,
                                         known_line, metrics_row, pad, print_settings, quantile_lines, save_model,
                                         settings_rows, status, write_json)

SHOWN_IDS = 6  # ids listed by name in the first lines


def _split(text):
    return [c.strip() for c in text.split(",") if c.strip()] if text else []


def _read(args, size):
    from lstmkit.forecasting.panel_reading import read_panel
    from lstmkit.forecasting.reading import SeriesInputError

    if size > 20 * 1024 * 1024:
        status(f"Reading the panel {args.csv}...")
    try:
        return read_panel(args.csv, id_column=args.id_column, wide=args.wide, column=args.column,
                          date_column=args.date_column, covariates=_split(args.covariates),
                          future_covariates=_split(args.future_covariates), fill=args.fill,
                          dayfirst=getattr(args, "dayfirst", None),
                          static=_split(getattr(args, "static_covariates", None)))
    except SeriesInputError as error:
        raise UsageError(str(error)) from None


def _ids(keys):
    keys = [repr(k) for k in keys]
    return ", ".join(keys[:SHOWN_IDS]) + (f", ... ({len(keys) - SHOWN_IDS} more)" if len(keys) > SHOWN_IDS else "")


def _history_rows(part, target):
    import numpy as np

    present = np.flatnonzero(np.isfinite(part[target].to_numpy(dtype=float)))
    return int(present[-1]) + 1 if present.size else 0


def _safe_name(key, k):
    """A file name for series `key` (the k-th): its id where that is plain, else its number."""
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", str(key)).strip("._")[:60]
    return f"{k:03d}_{text}" if text else f"{k:03d}"


def run_panel(args, size, settings, started, default_folds, default_intervals, table=None) -> int:
    """`table`: where the forecast lines go under --quiet (stdout then goes nowhere); None: stdout."""
    data = _read(args, size)
    panel, target, covariates, future = data.series, data.target, data.covariates, _split(args.future_covariates)
    lengths = {k: _history_rows(v, target) for k, v in panel.items()}
    fmt = "long" if args.id_column else "wide"
    where = f"dates from column '{data.date_column}'" if data.date_column else "no dates"
    cols = f"column '{target}'" + (f" with covariates {', '.join(covariates)}" if covariates else "") + (
        f" and future covariates {', '.join(future)}" if future else "") + (
        f"; static covariates {', '.join(data.static.columns)}" if data.static is not None else "")
    print(f"Read {args.csv}: a {fmt} panel of {len(panel)} series ({_ids(panel)}); {cols}; {where}.")
    print(f"  rows per series: {min(lengths.values())} to {max(lengths.values())}, frequency: "
          f"{data.freq or 'none (row numbers)'}")
    for note in data.notes:
        print(f"  note: {note}")

    import numpy as np

    from lstmkit.forecasting import Forecaster, PanelForecaster
    from lstmkit.forecasting.panel import GLOBAL_FROM_SERIES, LOCAL_FROM_WINDOWS, typical_series
    from lstmkit.forecasting.architectures import build_model
    from lstmkit.forecasting.series import choose_defaults

    folds = args.folds or default_folds
    known = dict(future_covariates=future or None, calendar=bool(args.calendar))
    strategy = args.strategy or "auto"
    long_enough = [k for k in panel if lengths[k] >= 3]
    if not long_enough:
        raise UsageError("every series has fewer than 3 rows; forecasting needs many more")
    typical = typical_series({k: lengths[k] for k in long_enough})
    probe = Forecaster(settings["model"], validation_split=settings["validation_split"], **known)
    try:
        values, index, _, _ = probe._read(panel[typical], target, covariates or None)
    except ValueError as error:
        raise UsageError(f"series {typical!r}: {str(error).rstrip('.')}") from None
    defaults = choose_defaults(index, values, args.window, args.horizon, None, folds, min_rows=probe.min_rows)
    window, horizon, season, fitting = defaults.window, defaults.horizon, defaults.season, defaults.folds
    kw = dict(settings, window=window, horizon=horizon, season=season or 1, verbose=0 if table else 1, **known)
    id_inputs = bool(getattr(args, "id_inputs", False))
    try:
        p = PanelForecaster(strategy, id_inputs=id_inputs, **kw)
        _, kept, skipped, chosen = p._plan(panel, fitting, target, covariates or None, data.static is not None)
        encoding = _static_inputs(data, kept, id_inputs)
        for k in kept:  # known-future inputs checked before any training (calendar frequency, future rows)
            _check_known(p.template, panel[k], k, target, covariates, future, horizon, lengths[k])
    except ValueError as error:
        raise UsageError(str(error).rstrip(".")) from None

    rows = settings_rows(args, settings, defaults, window, horizon, season, fitting, folds, default_intervals)
    rows[0] = ("season", season or "none", f"from the typical series {typical!r}: {defaults.reasons['season']}")
    windows = lengths[typical] - window - horizon + 1
    why = "given" if args.strategy else "auto: static covariates or id inputs need one model for every series" if (
        encoding is not None) else (
        f"auto: {len(kept)} series, the typical one with {windows} windows (local for under {GLOBAL_FROM_SERIES} series "
        f"of {LOCAL_FROM_WINDOWS}+ windows)")
    what = {"local": "one model per series, all trained together in one compiled call",
            "global": "one model for every series, each series scaled on its own"}[chosen]
    rows.insert(4, ("--strategy", chosen, f"{why}; {what}"))
    if encoding is not None:
        rows.insert(5, ("--static-covariates", ",".join(map(str, data.static.columns)) if data.static is not None
                        else "none", f"given; {len(encoding.names)} input(s), the same at every step of a series"
                        if data.static is not None else "default"))
        rows.insert(6, ("--id-inputs", "yes" if id_inputs else "no", "given; one-hot series ids, a learned vector "
                        "per series" if id_inputs else "default"))
    print_settings(rows)
    calendar = p.template.clone()._read(panel[kept[0]], target, covariates or None)[3]
    known_names = calendar.columns if calendar is not None else []
    if covariates or known_names:
        print(known_line(target, covariates, known_names))
    static_names = encoding.names if encoding is not None else []
    if encoding is not None:
        print(_static_line(encoding, data.id))
        for note in encoding.notes:
            print(f"  note: {note}")
    for k, why in skipped.items():
        print(f"  note: series {k!r} left out, {why}")
    build_model(settings["model"], window, 1 + len(covariates) + len(known_names) + len(static_names), horizon,
                settings["units"],
                settings["layers"], quantiles=p.template.quantile_levels).summary()

    n_fits = len(kept) * fitting if chosen == "local" else fitting
    print(f"Backtest: {fitting} fold(s) of {horizon} steps at the end of each of {len(kept)} series; "
          f"{n_fits} model(s) trained together")
    result = p.backtest(panel, id=data.id, target=target, covariates=covariates or None, static=data.static,
                        folds=fitting, intervals=args.intervals)
    _print_scores(result, fitting, horizon)
    if args.intervals:
        _print_intervals(result, args.intervals)
    for line in quantile_lines(result.quantiles, series=len(result.results)):
        print(line)

    best_epochs = [e for r in result.results.values() for e in r.best_epochs]
    final_epochs = int(np.median(best_epochs))
    print(f"Final model(s): trained on every row of the {len(result.results)} series for {final_epochs} epochs "
          "(the median best epoch of the folds)")
    final = PanelForecaster(chosen, id_inputs=id_inputs, **dict(kw, epochs=final_epochs, early_stopping=False,
                                                                  validation_split=0.0))
    final.fit({k: panel[k] for k in result.results}, id=data.id, target=target, covariates=covariates or None,
              static=data.static)
    forecast = final.predict(intervals=result if args.intervals else None)
    table = table or sys.stdout  # the one thing --quiet prints
    print(f"Forecast of '{target}', {horizon} steps for each of {len(final.forecasters_)} series "
          "(first and last step):", file=table)
    shown = list(forecast.groupby(data.id, sort=False))[:SHOWN_IDS]
    width = max(len(f"{v:.3f}") for _, part in shown for v in part["forecast"].iloc[[0, -1]])
    for key, part in shown:
        first, last = part.iloc[0], part.iloc[-1]
        print(f"  {pad(key, 16)} {fmt_time(first['time'])}  {first['forecast']:>{width}.3f}   ...   "
              f"{fmt_time(last['time'])}  {last['forecast']:>{width}.3f}", file=table)
    if len(final.forecasters_) > SHOWN_IDS:
        print(f"  ... {len(final.forecasters_) - SHOWN_IDS} more in forecast.csv", file=table)

    settings_out = dict(settings, rows=lengths, frequency=data.freq, target=target, id_column=data.id,
                        format=fmt, covariates=covariates, future_covariates=future,
                        calendar=known_names[len(future):], season=season, window=window, horizon=horizon,
                        folds=fitting, strategy=chosen, final_epochs=final_epochs,
                        intervals=list(args.intervals or []),
                        static_covariates=[] if data.static is None else list(map(str, data.static.columns)),
                        id_inputs=id_inputs, static_inputs=list(static_names))
    _write(args.out, data, panel, forecast, result, final, settings_out)
    print(f"Done in {time.perf_counter() - started:.1f}s.")
    return 0


def _static_inputs(data, kept, id_inputs):
    """The encoding of --static-covariates / --id-inputs over the kept series (None without either);
    a ValueError (constant-within-series, missing values) before any training."""
    if data.static is None and not id_inputs:
        return None
    from lstmkit.forecasting.panel_static import encode_static

    return encode_static(data.static, kept, data.id, id_inputs)


def _static_line(encoding, id_name):
    parts = [f"{c} (standardized: mean {m:g}, sd {sd:g})" for c, (m, sd) in encoding.numeric.items()]
    # a static column cannot be the id column, so categories[id_name] is the id inputs'
    parts += [f"{c} (one-hot: {len(v)} values)" for c, v in encoding.categories.items() if c != id_name]
    if id_name in encoding.categories:
        parts.append(f"the series id (one-hot: {len(encoding.categories[id_name])} series)")
    shown = "; ".join(parts) if parts else "none (every static column left out)"
    return f"Static inputs, the same at every step of a series ({len(encoding.names)} columns): {shown}"


def _check_known(template, part, key, target, covariates, future, horizon, rows):
    if not template.future_covariates and not template.calendar:
        return
    try:
        template.clone()._read(part, target, covariates or None)
    except ValueError as error:
        raise ValueError(f"series {key!r}: {error}") from None
    if future and len(part) - rows < horizon:
        raise ValueError(f"series {key!r}: --future-covariates {', '.join(future)} must have values for --horizon "
                         f"{horizon} rows past the last value of '{target}' ({fmt_time(part.index[rows - 1])}); it "
                         f"has {len(part) - rows}: {horizon - (len(part) - rows)} missing")


def _print_scores(result, folds, horizon):
    scores = result.scores["MASE"].unstack("forecaster").reindex(list(result.results))  # the data's order
    names = list(result.mean_scores.index)
    season = next(iter(result.results.values())).season
    print(f"Backtest MASE per series (mean over {folds} fold(s) of {horizon} steps; scaled by the in-sample "
          f"{'seasonal ' if season > 1 else ''}naive error, period {season}):")
    print("  " + f"{'series':<18}" + "".join(f"{n:>16}" for n in names))
    for key, row in scores.iterrows():
        print("  " + pad(key, 18) + "".join(f"{row[n]:>16.3f}" for n in names))
    mean = result.mean_scores["MASE"]
    print("  " + f"{'mean':<18}" + "".join(f"{mean[n]:>16.3f}" for n in names))
    print(f"Mean over {len(scores)} series:")
    print(METRICS_HEADER)
    for name, row in result.mean_scores.iterrows():
        print(metrics_row(name, row))
    beat = mean["lstmkit"] < mean["naive"]
    print(f"  mean MASE: lstmkit {mean['lstmkit']:.3f} vs naive {mean['naive']:.3f} "
          f"({'better' if beat else 'NOT better'} than naive)")
    baselines = [n for n in names if n != "lstmkit"]
    wins = int((scores["lstmkit"] < scores[baselines].min(axis=1)).sum())
    print(f"  lstmkit beats every baseline in {wins} of {len(scores)} series")
    best = mean.drop(["lstmkit", "naive"]).idxmin() if len(names) > 2 else None
    if best is not None and mean[best] < mean["lstmkit"]:
        print(f"  mean MASE: the {best} baseline ({mean[best]:.3f}) beats lstmkit ({mean['lstmkit']:.3f})")


def _print_intervals(result, levels):
    first = next(iter(result.results.values())).intervals
    lines = interval_lines(first, levels)
    if result.coverage is not None:
        shown = ", ".join(f"{k:g}%: {v:.2f}" for k, v in result.coverage.items())
        lines[1] = f"  coverage on held-out folds, mean over {len(result.results)} series: {shown}"
    if first.pooled > 1:
        lines[0] = lines[0].replace(
            "from the absolute backtest errors of each horizon step",
            f"from the absolute backtest errors per horizon step of all {first.pooled} series, each divided by "
            "its series' mean absolute error; a series' interval is the pooled quantile times that error")
        lines[0] = lines[0].replace("forecasts per step", "scaled errors per step")
    else:
        lines[0] = lines[0].replace("of each horizon step", "of each series and horizon step")
    print("\n".join(lines[:2]))
    import numpy as np

    if result.coverage is not None:
        shares = {lv: float(np.mean([r.intervals.bounded[lv] for r in result.results.values()]))
                  for lv in result.coverage}
        for line in bounded_notes(shares):
            print(line)

    for level in first.levels:
        open_ended = [k for k, r in result.results.items() if not np.isfinite(r.intervals.halfwidths[level]).all()]
        if open_ended:
            print(f"  note: the {level:g}% interval is unbounded (inf) at some steps of {len(open_ended)} series: too "
                  "few backtest errors per step; use more --folds")


def _write(out_dir, data, panel, forecast, result, final, settings):
    import pandas as pd

    from lstmkit.plot import forecasting as plots

    os.makedirs(out_dir, exist_ok=True)
    written = []
    time_name = data.date_column or "time"
    path = os.path.join(out_dir, "forecast.csv")
    forecast.rename(columns={"time": time_name}).to_csv(path, index=False)
    written.append(path)
    parts = []
    for key, r in result.results.items():
        part = r.forecasts.copy()
        part.insert(0, data.id, key)
        parts.append(part)
    path = os.path.join(out_dir, "backtest.csv")
    pd.concat(parts, ignore_index=True).to_csv(path, index=False)
    written.append(path)
    backtest = result.to_dict()
    scores = result.scores
    backtest["scores"] = {str(k): {name: dict(row) for name, row in scores.xs(k, level="series").iterrows()}
                          for k in result.results}
    model_files = {}
    if result.strategy == "global":
        if save_model(next(iter(final.forecasters_.values())).model_, os.path.join(out_dir, "model.keras"), written):
            model_files = {str(k): "model.keras" for k in final.forecasters_}
    else:
        for n, (key, f) in enumerate(final.forecasters_.items()):
            name = os.path.join("models", _safe_name(key, n) + ".keras")
            if not save_model(f.model_, os.path.join(out_dir, name), []):
                break
            model_files[str(key)] = name
        if model_files:
            written.append(os.path.join(out_dir, "models"))
    forecasts = {str(k): {str(t): v for t, v in zip(part["time"], part["forecast"])}
                 for k, part in forecast.groupby(data.id, sort=False)}
    written.append(write_json(os.path.join(out_dir, "metrics.json"), {
        "settings": settings, "backtest": backtest, "model_files": model_files, "forecast": forecasts}))
    history = {k: panel[k][data.target].iloc[:int(settings["rows"][k])] for k in result.results}
    axes = plots.plot_panel(history, forecast=forecast, backtest=result, id=data.id)
    written.append(plots.save_figure(axes, os.path.join(out_dir, "forecast.png")))
    what = ("one model for all per backtest fold" if result.strategy == "global"
            else "a model per series and backtest fold")
    ax = plots.plot_loss_curves(result, logy=True,
                                title=f"train vs validation loss, {len(result.results)} series: {what}")
    written.append(plots.save_figure(ax, os.path.join(out_dir, "loss.png")))
    print(f"Wrote {out_dir}/: " + ", ".join(os.path.basename(p) for p in written))
