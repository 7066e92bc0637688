"""Rolling-origin backtests: the model and the baselines forecast the same folds.

Fold k's origin is the number of rows known when it forecasts: the last fold forecasts the
final `horizon` rows, and each earlier fold starts `step` rows (default: `horizon`) before
the next. With ``refit=True`` a fresh model is trained for each fold on the rows before its
origin; with ``refit=False`` one model is trained on the rows before the first origin and
every fold forecasts from its own latest window. The baselines see the same history.

Scores are computed per fold and averaged over the folds. MASE divides by the in-sample
seasonal naive error of the fold's own history (period = the series' season, 1 without
one); below 1 means better than that naive forecast did in sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lstmkit.forecasting.baselines import baseline_forecasts
from lstmkit.forecasting.intervals import ConformalIntervals, calibration_errors
from lstmkit.forecasting.metrics import score_all
from lstmkit.forecasting.quantiles import QuantileScores
from lstmkit.forecasting.together import fit_forecasters

__all__ = ["BacktestResult", "backtest", "fold_origins", "series_values"]

MODEL_NAME = "lstmkit"


@dataclass
class BacktestResult:
    """What `backtest` returns.

    Attributes:
        forecasts: long DataFrame, one row per fold and step: fold, origin (last known
            index), time, step, actual, and one column per forecaster ('lstmkit' and the
            baselines).
        scores: DataFrame, one row per forecaster, columns MAE/RMSE/MAPE/sMAPE/MASE (mean over folds).
        fold_scores: long DataFrame: fold, forecaster and the metrics.
        histories: the training loss curves of each model trained (one dict per fit).
        best_epochs: the best epoch of each model trained.
        season: the period used by the seasonal naive baseline and MASE (1: none).
        window, horizon: the settings used.
        intervals: `ConformalIntervals` calibrated on the folds' out-of-sample errors, with their
            coverage measured on held-out folds (None when `backtest(intervals=None)`).
        quantiles: with `Forecaster(quantiles=...)`, the `QuantileScores` of the folds' quantile
            forecasts (pinball loss, share below each quantile, share inside each symmetric pair);
            the 'lstmkit' forecasts and scores are the 0.5 quantile's. None without quantiles.
    """

    forecasts: object
    scores: object
    fold_scores: object
    histories: list = field(default_factory=list)
    best_epochs: list = field(default_factory=list)
    season: int = 1
    window: int = 0
    horizon: int = 0
    intervals: ConformalIntervals | None = None
    quantiles: QuantileScores | None = None

    def to_dict(self) -> dict:
        """Plain data (for JSON): scores per forecaster and per fold, and the intervals' coverage."""
        return {
            **({"coverage": self.intervals.to_dict()["coverage"], "intervals": self.intervals.to_dict()}
               if self.intervals is not None else {}),
            "season": self.season, "window": self.window, "horizon": self.horizon,
            "folds": int(self.fold_scores["fold"].nunique()),
            "scores": {name: _clean(row) for name, row in self.scores.iterrows()},
            "fold_scores": [_clean(row) for _, row in self.fold_scores.iterrows()],
            "best_epochs": list(self.best_epochs),
            **(self.quantiles.to_dict() if self.quantiles is not None else {}),
        }


def _clean(row):
    out = {}
    for key, value in row.items():
        if isinstance(value, (float, np.floating)):
            out[key] = None if not np.isfinite(value) else float(value)
        elif isinstance(value, (np.integer,)):
            out[key] = int(value)
        else:
            out[key] = value
    return out


def fold_origins(n_rows, horizon, folds, step=None) -> list[int]:
    """Origins (rows known) of `folds` folds, earliest first; the last ends at the last row."""
    step = horizon if step is None else step
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 1:
        raise ValueError(f"`folds` must be an integer >= 1; received {folds!r}.")
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1:
        raise ValueError(f"`step` must be an integer >= 1; received {step!r}.")
    return [n_rows - horizon - (folds - 1 - k) * step for k in range(folds)]


def backtest(forecaster, data, target=None, covariates=None, *, folds=3, step=None, refit=True, verbose=None,
             on_fit=None, intervals=(80, 95)):
    """Backtest `forecaster` (a `Forecaster`, used as a template) on `data` over `folds` rolling origins.

    Window, horizon and season are fixed once from the whole series (they are settings; the
    model weights and scalers only ever see the rows before each origin). `verbose` (None:
    the forecaster's own) is passed to each `Model.fit`; `on_fit(k, origin)` is called before
    each model is trained (the command line prints a header there). `intervals`: the levels (percent)
    of the conformal intervals calibrated on the folds' errors (None: none). Returns a `BacktestResult`.
    """
    template = forecaster.clone(**({} if verbose is None else {"verbose": verbose}))
    values, index, columns, _ = template._read(data, target, covariates)
    template._resolve(index, values, folds)
    window, horizon = template.window_, template.horizon_
    values = series_values(template, data, columns[0], columns[1:] or None, horizon)[0]
    season = template.season_ or 1
    settings = dict(window=window, horizon=horizon, season=template.season_)
    origins = fold_origins(values.shape[0], horizon, folds, step)
    need = template.min_rows(window, horizon)
    if origins[0] < need:
        raise ValueError(f"{values.shape[0]} rows are too few for {folds} fold(s) of horizon {horizon} with window "
                         f"{window}: the first fold would train on {max(origins[0], 0)} rows and needs {need}. "
                         "Use fewer folds.")
    frame_cols = {"target": columns[0], "covariates": columns[1:] or None}
    if refit:
        fitted = fit_forecasters([(template.clone(**settings), _rows(data, o)) for o in origins],
                                 frame_cols["target"], frame_cols["covariates"],
                                 on_fit=None if on_fit is None else (lambda k: on_fit(k, origins[k])))
    else:
        if on_fit is not None:
            on_fit(0, origins[0])
        one = template.clone(**settings)
        one.fit(_rows(data, origins[0]), frame_cols["target"], frame_cols["covariates"])
        fitted = [one] * len(origins)
    return score_folds(fitted, values, index, origins, horizon, season, window, refit, intervals)


def score_folds(fitted, values, index, origins, horizon, season, window, refit=True, intervals=(80, 95)):
    """The `BacktestResult` of fold models `fitted` (one per origin; the same one repeated when not
    refitted) on the series `values` (rows, 1 + covariates) indexed by `index`."""
    import pandas as pd

    if intervals is not None:
        from lstmkit.forecasting.intervals import parse_levels

        intervals = parse_levels(intervals)
    rows, fold_rows, histories, best, own_errors = [], [], [], [], []
    levels, quant_actual, quant_pred = getattr(fitted[0], "quantile_levels", None), [], []
    for k, origin in enumerate(origins):
        model = fitted[k]
        if k == 0 or refit:
            histories.append(model.history_)
            best.append(model.best_epoch_)
        history = values[:origin, 0]
        actual = values[origin:origin + horizon, 0]
        if levels:  # one prediction: the quantiles, and their 0.5 as the point forecast
            quant = model.quantiles_at(values, [origin])[0]
            model_pred = quant[:, levels.index(0.5)]
            quant_actual.append(actual)
            quant_pred.append(quant)
        else:
            model_pred = model.forecast_at(values, [origin])[0]
        own_errors.append(actual - model_pred)
        preds = {MODEL_NAME: model_pred, **baseline_forecasts(history, horizon, season)}
        for name, pred in preds.items():
            fold_rows.append({"fold": k + 1, "forecaster": name, **score_all(actual, pred, history, season)})
        for h in range(horizon):
            rows.append({"fold": k + 1, "origin": index[origin - 1], "time": index[origin + h], "step": h + 1,
                         "actual": actual[h], **{name: float(p[h]) for name, p in preds.items()}})
    forecasts = pd.DataFrame(rows)
    fold_scores = pd.DataFrame(fold_rows)
    scores = fold_scores.drop(columns="fold").groupby("forecaster", sort=False).mean()
    conformal = None
    if intervals is not None:
        errors = calibration_errors(fitted, values, origins, horizon)
        if not refit:  # one model: each fold's part is its origins up to the next fold's
            ends = origins[1:] + [values.shape[0] - horizon + 1]
            errors = [(st[st < end], e[st < end]) for (st, e), end in zip(errors, ends)]
        conformal = ConformalIntervals.from_errors(errors, origins, horizon, own_errors, intervals)
    quantile_scores = QuantileScores.from_forecasts(np.concatenate(quant_actual), np.concatenate(quant_pred),
                                                    levels) if levels else None
    return BacktestResult(forecasts, scores, fold_scores, histories, best, season, window, horizon, conformal,
                          quantile_scores)


def series_values(forecaster, data, target, covariates, horizon):
    """(values, index, columns) of a series as a fitted `forecaster` of this `horizon` reads its rows:
    the target, the past covariates and the known-future inputs led by the span (`known_future`)."""
    values, index, columns, known = forecaster._read(data, target, covariates)
    if known is not None:
        span = horizon if forecaster.strategy == "direct" else 1
        values = np.concatenate([values, known.led(span, len(values))], axis=1)
    return values, index, columns


def _rows(data, stop):
    """The first `stop` rows of `data`, keeping its type (so the index and names carry over)."""
    if hasattr(data, "iloc"):
        return data.iloc[:stop]
    return np.asarray(data)[:stop]
