"""Conformal prediction intervals from a backtest's out-of-sample errors.

Each backtest fold's model was trained on the rows before its origin, so its forecasts from
that origin onwards are out of sample. `calibration_errors` collects them: fold k's model
forecasts from every origin between its own and the last one with `horizon` known values
after it, and the absolute error at each horizon step is a conformity score for that step.

An interval at level L (e.g. 80) for step h is the forecast ± the split-conformal quantile of
the step-h scores: the ceil((n + 1) · L/100)-th smallest of n scores (Vovk et al.; Angelopoulos
& Bates, "A Gentle Introduction to Conformal Prediction", 2021, §1). With fewer than
100/(100 - L) - 1 scores that rank is past the largest, and the interval is unbounded
(reported as inf, never a silently narrow band).

Coverage is measured honestly: for each fold, the intervals are calibrated on the errors of the
*other* folds' models at origins whose forecast rows do not overlap this fold's, and the share
of this fold's backtest actuals inside them is counted. Where those held-out errors are too few
for a bounded interval, the interval is unbounded and covers: `bounded` says for what share of the
counted steps the held-out interval was bounded (below 1, the coverage is partly trivially 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

__all__ = ["ConformalIntervals", "calibration_errors", "conformal_halfwidths", "parse_levels", "pooled_intervals"]


def parse_levels(levels) -> tuple:
    """Interval levels in percent, e.g. (80, 95), checked: each in (0, 100)."""
    if isinstance(levels, (int, float, np.integer, np.floating)):
        levels = (levels,)
    try:
        out = tuple(float(v) for v in levels)
    except (TypeError, ValueError):
        raise ValueError(f"interval levels must be numbers in (0, 100), e.g. (80, 95); received {levels!r}.") from None
    for v in out:
        if not 0 < v < 100 or not np.isfinite(v):
            raise ValueError(f"interval levels must be in (0, 100) (percent), e.g. (80, 95); received {v!r}.")
    return tuple(sorted(set(out)))


def level_name(level) -> str:
    return f"{level:g}"


def conformal_halfwidths(scores, levels) -> dict:
    """{level: half-widths per step} from `scores` (n, horizon) of absolute errors (NaN rows ignored)."""
    scores = np.asarray(scores, dtype=np.float64)
    out = {}
    for level in parse_levels(levels):
        widths = []
        for col in scores.T:
            col = np.sort(col[np.isfinite(col)])
            n = col.size
            rank = int(np.ceil((n + 1) * level / 100.0))
            widths.append(col[rank - 1] if 1 <= rank <= n else np.inf)
        out[level] = np.asarray(widths)
    return out


def calibration_errors(fitted_by_fold, values, origins, horizon):
    """Out-of-sample errors of each fold's model: a list of (origins_used, errors (n, horizon)) per fold.

    fitted_by_fold: the fold models (`Forecaster`s fitted on the rows before each origin).
    values: the whole series as the models read it (`backtest.series_values`), target in column 0.
    """
    rows = values.shape[0]
    out = []
    for fitted, origin in zip(fitted_by_fold, origins):
        starts = np.arange(origin, rows - horizon + 1)
        if starts.size == 0:
            out.append((starts, np.zeros((0, horizon))))
            continue
        preds = fitted.forecast_at(values, starts)
        actual = np.stack([values[o:o + horizon, 0] for o in starts])
        out.append((starts, actual - preds))
    return out


def _held_out(errors, k, origin, horizon):
    """The errors of every fold but k, at origins whose forecast rows miss fold k's [origin, origin + horizon)."""
    held_out = []
    for j, (starts, e) in enumerate(errors):
        if j == k or e.size == 0:
            continue
        keep = (starts + horizon <= origin) | (starts >= origin + horizon)
        held_out.append(np.abs(e[keep]))
    return np.concatenate(held_out) if held_out else np.zeros((0, horizon))


class Calibration(NamedTuple):
    """What an interval was calibrated from, kept so a panel can pool its series (`pooled_intervals`)."""

    errors: list          # calibration_errors' list: (origins used, errors (n, horizon)) per fold
    origins: list         # the folds' origins
    own: np.ndarray       # (folds, horizon): each fold's own forecast error


@dataclass
class ConformalIntervals:
    """Half-widths per horizon step for each level, and the coverage measured on held-out folds.

    Attributes:
        levels: the levels in percent, e.g. (80.0, 95.0).
        halfwidths: {level: array (horizon,)}, calibrated on every fold's errors (for the forecast).
        coverage: {level: share of backtest actuals inside intervals calibrated without their fold}
            (None when there was only one fold).
        n_scores: how many errors were used per step.
        bounded: {level: share of the held-out steps whose interval was bounded} (None with one fold).
        pooled: how many series the scores were pooled over (`pooled_intervals`); 1: this series alone.
    """

    levels: tuple
    halfwidths: dict
    coverage: dict | None
    n_scores: int
    bounded: dict | None = None
    pooled: int = 1
    calibration: Calibration | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_errors(cls, errors, origins, horizon, backtest_errors, levels):
        """errors: `calibration_errors`' list; backtest_errors: (folds, horizon), each fold's own forecast error."""
        levels = parse_levels(levels)
        all_scores = np.concatenate([np.abs(e) for _, e in errors]) if errors else np.zeros((0, horizon))
        halfwidths = conformal_halfwidths(all_scores, levels)
        coverage = bounded = None
        if len(origins) > 1:
            inside = {level: [] for level in levels}
            finite = {level: [] for level in levels}
            for k, origin in enumerate(origins):
                widths = conformal_halfwidths(_held_out(errors, k, origin, horizon), levels)
                err = np.abs(np.asarray(backtest_errors[k], dtype=np.float64))
                for level in levels:
                    inside[level].extend((err <= widths[level]).tolist())
                    finite[level].extend(np.isfinite(widths[level]).tolist())
            coverage = {level: float(np.mean(v)) for level, v in inside.items()}
            bounded = {level: float(np.mean(v)) for level, v in finite.items()}
        calibration = Calibration(errors, list(origins), np.asarray(backtest_errors, dtype=np.float64))
        return cls(levels, halfwidths, coverage, int(all_scores.shape[0]), bounded, 1, calibration)

    def bounds(self, forecast) -> dict:
        """{'lower_80': array, 'upper_80': array, ...} around `forecast` (horizon,)."""
        forecast = np.asarray(forecast, dtype=np.float64)
        out = {}
        for level in self.levels:
            w = self.halfwidths[level][:forecast.shape[0]]
            out[f"lower_{level_name(level)}"] = forecast - w
            out[f"upper_{level_name(level)}"] = forecast + w
        return out

    def to_dict(self) -> dict:
        clean = lambda a: [None if not np.isfinite(v) else float(v) for v in a]
        method = "split conformal on the backtest folds' out-of-sample absolute errors, per horizon step"
        if self.pooled > 1:
            method += (f", each divided by its series' mean absolute error and pooled over {self.pooled} series "
                       "(the interval is the pooled quantile times this series' mean absolute error)")
        return {
            "method": method,
            "levels": [level_name(v) for v in self.levels],
            "halfwidths": {level_name(k): clean(v) for k, v in self.halfwidths.items()},
            "coverage": None if self.coverage is None else {level_name(k): v for k, v in self.coverage.items()},
            "coverage_bounded_share": None if self.bounded is None else {
                level_name(k): v for k, v in self.bounded.items()},
            "scores_per_step": self.n_scores,
            "pooled_series": self.pooled,
        }


def _scale(scores):
    """A series' error scale: the mean of its absolute errors over all steps (None when there are none)."""
    finite = scores[np.isfinite(scores)]
    value = float(finite.mean()) if finite.size else 0.0
    return value if value > 0 else None


def pooled_intervals(parts, levels) -> dict:
    """Intervals for many series calibrated together: {key: ConformalIntervals} from
    {key: ConformalIntervals of `from_errors`} (the same horizon and folds).

    One series' backtest gives a few dozen errors per step; the held-out folds that measure coverage
    give fewer, too few for a bounded 95 % interval with 3 folds. A panel pools them: each series'
    absolute errors are divided by that series' mean absolute error (over all steps, so a series of
    tens and one of thousands, or a well- and a badly-forecast series, become comparable), pooled
    over the series per horizon step, and a series' interval is the pooled conformal quantile times
    its own mean absolute error (normalized conformal prediction; Papadopoulos et al., 2008). The
    coverage is measured as for one series: fold k's actuals against intervals whose quantile and
    scales come only from the other folds' non-overlapping errors, of every series.
    """
    levels = parse_levels(levels)
    keys = [k for k, p in parts.items() if p.calibration is not None]
    if len(keys) < 2:
        return dict(parts)
    cal = {k: parts[k].calibration for k in keys}
    horizon = next(iter(cal.values())).own.shape[1]

    def pool(scores_by_key):
        scales = {k: _scale(v) for k, v in scores_by_key.items()}
        usable = [k for k in scores_by_key if scales[k] is not None]
        pooled = (np.concatenate([scores_by_key[k] / scales[k] for k in usable]) if usable
                  else np.zeros((0, horizon)))
        return conformal_halfwidths(pooled, levels), scales, int(pooled.shape[0])

    everything = {k: (np.concatenate([np.abs(e) for _, e in c.errors]) if c.errors else np.zeros((0, horizon)))
                  for k, c in cal.items()}
    quantiles, scales, n = pool(everything)
    folds = min(len(c.origins) for c in cal.values())
    held = {}
    if folds > 1:
        for k_fold in range(folds):
            held[k_fold] = pool({k: _held_out(c.errors, k_fold, c.origins[k_fold], horizon) for k, c in cal.items()})
    out = dict(parts)
    for key in keys:
        scale = scales[key] if scales[key] is not None else np.inf
        halfwidths = {lv: quantiles[lv] * scale for lv in levels}
        coverage = bounded = None
        if held:
            inside = {lv: [] for lv in levels}
            finite = {lv: [] for lv in levels}
            for k_fold, (q, fold_scales, _) in held.items():
                s = fold_scales[key] if fold_scales[key] is not None else np.inf
                err = np.abs(cal[key].own[k_fold])
                for lv in levels:
                    width = q[lv] * s
                    inside[lv].extend((err <= width).tolist())
                    finite[lv].extend(np.isfinite(width).tolist())
            coverage = {lv: float(np.mean(v)) for lv, v in inside.items()}
            bounded = {lv: float(np.mean(v)) for lv, v in finite.items()}
        out[key] = ConformalIntervals(levels, halfwidths, coverage, n, bounded, len(keys), cal[key])
    return out
