"""The outermost quantile band of a forecast (the q<level> columns of `Forecaster(quantiles=...).predict()`),
drawn hatched so it reads apart from the conformal intervals' shaded bands."""

from __future__ import annotations

import re

import numpy as np

QUANTILE_COLOR = "tab:purple"  # apart from the forecast red of the conformal bands

_QUANTILE = re.compile(r"^q(0?\.\d+|\d+(\.\d+)?e-\d+)$")


def quantile_columns(frame) -> list:
    """[(level, column)] of the frame's q<level> columns, in increasing level."""
    found = []
    for c in getattr(frame, "columns", ()):
        if isinstance(c, str) and _QUANTILE.match(c):
            found.append((float(c[1:]), c))
    return sorted(found)


def draw_quantile_band(ax, p, frame, compact=False):
    """Hatch the band between the lowest and highest quantile of `frame` (indexed like the forecast drawn
    from prepared series `p`), joined to the last observation; widen the y-limits to show it. Returns
    whether a band was drawn."""
    columns = quantile_columns(frame)
    if p.fx is None or len(columns) < 2:
        return False
    (q_lo, lo_col), (q_hi, hi_col) = columns[0], columns[-1]
    lo = np.concatenate([p.y[-1:], frame[lo_col].to_numpy(float)])
    hi = np.concatenate([p.y[-1:], frame[hi_col].to_numpy(float)])
    ax.fill_between(p.fx, lo, hi, facecolor="none", edgecolor=QUANTILE_COLOR, hatch="///", linewidth=0.0,
                    alpha=0.75, label=f"{lo_col}\u2013{hi_col} (quantiles)", zorder=2)
    ax.plot(p.fx, lo, color=QUANTILE_COLOR, linewidth=0.7 if compact else 0.9, linestyle="--", alpha=0.8, zorder=2)
    ax.plot(p.fx, hi, color=QUANTILE_COLOR, linewidth=0.7 if compact else 0.9, linestyle="--", alpha=0.8, zorder=2)
    y0, y1 = ax.get_ylim()
    finite = np.concatenate([lo, hi])
    finite = finite[np.isfinite(finite)]
    if finite.size and (finite.min() < y0 or finite.max() > y1):
        low, high = min(y0, finite.min()), max(y1, finite.max())
        pad = 0.04 * (high - low)
        ax.set_ylim(low - (pad if finite.min() < y0 else 0), high + (pad if finite.max() > y1 else 0))
    return True
