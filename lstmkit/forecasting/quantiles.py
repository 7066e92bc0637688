"""Quantile forecasts: `Forecaster(quantiles=...)`'s levels, column names, and their backtest scores.

A Forecaster with quantiles trains one output per quantile and step with the pinball loss
(`lstmkit.losses.Pinball`); its point forecast is the 0.5 quantile. Outputs are sorted per step
at predict time (monotone rearrangement: separately trained quantiles can cross, and sorting
them never makes their pinball loss worse).

The backtest measures, on the folds' out-of-sample forecasts: the pinball loss, the share of
actuals below each quantile (near the quantile when it is calibrated), and for each symmetric
pair (q, 1 - q) the share inside it, named by its nominal level ((0.1, 0.9) -> "80").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["QuantileScores", "column_name", "parse_quantiles", "quantile_pairs"]


def parse_quantiles(quantiles) -> tuple | None:
    """None, or the levels of `Forecaster(quantiles=...)`: each in (0, 1), distinct, sorted, with 0.5
    added when missing (it is the point forecast). A ValueError naming `quantiles` otherwise."""
    from lstmkit.losses.quantile import check_quantiles

    if quantiles is None:
        return None
    levels = set(check_quantiles(quantiles))
    return tuple(sorted(levels | {0.5}))


def check_quantile_model(model, horizon, levels):
    """A user's model for quantile `levels`: output (batch, horizon, levels) and a Pinball loss of those levels."""
    from lstmkit.losses import Pinball

    out_shape, q = tuple(model.output_shape), len(levels)
    if len(out_shape) != 3 or out_shape[1:] != (horizon, q):
        raise ValueError(f"With quantiles={list(levels)} a given model must return (batch, {horizon}, {q}): "
                         f"one output per step and quantile; it returns {out_shape}.")
    if not isinstance(model.loss, Pinball) or tuple(model.loss.quantiles) != tuple(levels):
        raise ValueError(f"With quantiles={list(levels)} a given model must be compiled with "
                         f"loss=lstmkit.losses.Pinball({list(levels)}); its loss is {model.loss!r}.")


def level_key(q) -> str:
    """'0.1' for 0.1: the quantile as metrics.json names it."""
    return f"{float(q):g}"


def column_name(q) -> str:
    """'q0.1' for 0.1: the quantile's column in forecasts."""
    return f"q{level_key(q)}"


def quantile_pairs(levels) -> list:
    """[(nominal level name, lower q, upper q)] of the symmetric pairs (q, 1 - q) among `levels`,
    widest first: (0.1, 0.9) -> ('80', 0.1, 0.9)."""
    out = []
    for q in levels:
        partner = [p for p in levels if abs(p - (1 - q)) < 1e-9]
        if q < 0.5 and partner:
            out.append((f"{round((1 - 2 * q) * 100, 6):g}", q, partner[0]))
    return out


def sort_outputs(values) -> np.ndarray:
    """Quantile outputs (..., Q) sorted along the last axis (the monotone rearrangement)."""
    return np.sort(np.asarray(values, dtype=np.float64), axis=-1)


def pinball(actual, predicted, levels) -> float:
    """Mean pinball loss (float64) of `predicted` (n, Q) against `actual` (n,)."""
    q = np.asarray(levels, dtype=np.float64)
    error = np.asarray(actual, dtype=np.float64)[:, None] - np.asarray(predicted, dtype=np.float64)
    return float(np.mean(np.maximum(q * error, (q - 1) * error)))


@dataclass
class QuantileScores:
    """The quantile forecasts' backtest scores, measured out of sample over the folds.

    Attributes:
        levels: the quantiles.
        pinball: the mean pinball loss, in the data's units.
        coverage: {quantile: share of actuals below its forecast}.
        interval_coverage: {nominal level ('80'): share of actuals inside the pair (q, 1 - q)}.
        count: the number of actuals measured.
    """

    levels: tuple
    pinball: float
    coverage: dict
    interval_coverage: dict
    count: int

    @classmethod
    def from_forecasts(cls, actual, predicted, levels):
        """Scores of `predicted` (n, Q) quantile forecasts against `actual` (n,); NaN actuals are left out."""
        actual = np.asarray(actual, dtype=np.float64).ravel()
        predicted = np.asarray(predicted, dtype=np.float64).reshape(len(actual), len(levels))
        keep = np.isfinite(actual)
        actual, predicted = actual[keep], predicted[keep]
        if not len(actual):
            nan = float("nan")
            return cls(tuple(levels), nan, {q: nan for q in levels},
                       {name: nan for name, _, _ in quantile_pairs(levels)}, 0)
        coverage = {q: float(np.mean(actual < predicted[:, j])) for j, q in enumerate(levels)}
        index = {q: j for j, q in enumerate(levels)}
        inside = {name: float(np.mean((actual >= predicted[:, index[lo]]) & (actual <= predicted[:, index[hi]])))
                  for name, lo, hi in quantile_pairs(levels)}
        return cls(tuple(levels), pinball(actual, predicted, levels), coverage, inside, int(len(actual)))

    @classmethod
    def mean(cls, scores):
        """The mean over series of several `QuantileScores` of the same levels (a panel's)."""
        scores = list(scores)
        levels = scores[0].levels
        return cls(levels, float(np.mean([s.pinball for s in scores])),
                   {q: float(np.mean([s.coverage[q] for s in scores])) for q in levels},
                   {k: float(np.mean([s.interval_coverage[k] for s in scores])) for k in scores[0].interval_coverage},
                   int(sum(s.count for s in scores)))

    def to_dict(self) -> dict:
        """metrics.json's `quantile_coverage`, `quantile_interval_coverage` and `pinball`."""
        clean = lambda v: None if not np.isfinite(v) else float(v)  # noqa: E731
        return {"quantile_coverage": {level_key(q): clean(v) for q, v in self.coverage.items()},
                "quantile_interval_coverage": {k: clean(v) for k, v in self.interval_coverage.items()},
                "pinball": clean(self.pinball)}
