"""Inputs known in advance: future covariates (prices, promotions, planned events) and calendar features.

A `Forecaster(future_covariates=[...], calendar=True)` sees, at each timestep t of its input
window, these inputs' values at t + span (span = horizon for the direct strategy, 1 for the
recursive one): the last `span` rows of the window hold exactly the values of the steps it
forecasts. So the data must give the future covariates `horizon` rows past the last target value:
rows at the end of the frame with the target left empty (NaN). Calendar features are computed
from the dates, the future ones included, and need dates with a frequency.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["KnownFuture", "calendar_features", "split_known"]

# (frequency code heads, [(name, period, what)]): sin/cos pairs chosen from the data's frequency.
_CALENDAR = (
    (("QS", "QE", "Q", "BQS", "BQE", "BQ"), [("quarter", 4, "quarter")]),
    (("MS", "ME", "M", "BMS", "BME", "BM", "SMS", "SM"), [("month", 12, "month")]),
    (("W",), [("week", 52.1775, "week")]),
    (("D", "B", "C"), [("day_of_week", 7, "dow"), ("day_of_year", 365.25, "doy")]),
    (("h", "H", "bh", "BH", "cbh"), [("hour", 24, "hour"), ("day_of_week", 7, "dow")]),
    (("min", "T", "s", "S", "ms", "L"), [("minute_of_day", 1440, "minute"), ("day_of_week", 7, "dow")]),
)


def _position(index, what):
    if what == "quarter":
        return index.quarter.to_numpy() - 1
    if what == "month":
        return index.month.to_numpy() - 1
    if what == "week":
        return (index.day_of_year.to_numpy() - 1) / 7.0
    if what == "dow":
        return index.day_of_week.to_numpy()
    if what == "doy":
        return index.day_of_year.to_numpy() - 1
    if what == "hour":
        return index.hour.to_numpy() + index.minute.to_numpy() / 60.0
    return index.hour.to_numpy() * 60.0 + index.minute.to_numpy() + index.second.to_numpy() / 60.0


def _calendar_plan(freq):
    head = str(freq).lstrip("0123456789").split("-")[0]
    for codes, plan in _CALENDAR:
        if head in codes:
            return plan
    return None


def calendar_features(index, freq):
    """(values (rows, 2 * k), names): sin and cos of the calendar positions that vary at `freq`
    (months for monthly data, day of week and of year for daily, hour and day of week for hourly...)."""
    plan = _calendar_plan(freq)
    if plan is None:
        raise ValueError(f"calendar=True: no calendar feature varies within a {freq!r} frequency (yearly data "
                         "has none); leave calendar off.")
    columns, names = [], []
    for name, period, what in plan:
        angle = 2 * np.pi * _position(index, what) / period
        columns += [np.sin(angle), np.cos(angle)]
        names += [f"{name}_sin", f"{name}_cos"]
    return np.stack(columns, axis=1).astype(np.float64), names


@dataclass
class KnownFuture:
    """The known-in-advance inputs of one series: user columns over the history and the future rows,
    and the calendar over any dates."""

    names: list          # the user's future covariates
    raw: np.ndarray      # (history + future rows, len(names)) their values
    index: object        # the dates of those rows (a DatetimeIndex with calendar=True)
    freq: str | None
    calendar: list       # calendar feature names ([] without)
    rows: int            # rows with a target value (the history)
    # A panel series' static inputs (`panel_static`): names and already encoded values, the same at every row.
    static_names: list = field(default_factory=list)
    static: np.ndarray | None = None

    @property
    def columns(self) -> list:
        return [*self.names, *self.calendar, *self.static_names]

    @property
    def future_rows(self) -> int:
        return self.raw.shape[0] - self.rows

    def led(self, span, upto):
        """(upto, k): row t holds the inputs' values at row t + span (NaN where the data does not reach)."""
        from lstmkit.forecasting.series import future_index

        parts = []
        if self.names:
            out = np.full((upto, len(self.names)), np.nan)
            n = max(0, min(upto, self.raw.shape[0] - span))
            out[:n] = self.raw[span:span + n]
            parts.append(out)
        if self.calendar:
            extra = upto + span - len(self.index)
            dates = self.index if extra <= 0 else self.index.append(future_index(self.index, extra))
            parts.append(calendar_features(dates[span:span + upto], self.freq)[0])
        if self.static_names:
            parts.append(np.tile(np.asarray(self.static, dtype=np.float64), (upto, 1)))
        return np.concatenate(parts, axis=1)


def split_known(data, target, covariates, future_covariates, calendar, static=None):
    """(history frame, KnownFuture or None): the rows with a target value (every other column complete
    there), and the known-future inputs over those rows plus the trailing rows whose target is empty.
    `static`: None, or (names, values) of a panel series' encoded static inputs (`panel_static`)."""
    import pandas as pd

    from lstmkit.forecasting.series import infer_freq

    future_covariates = list(future_covariates or [])
    static_names, static_values = (list(static[0]), np.asarray(static[1], dtype=np.float64)) if static else ([], None)
    if not future_covariates and not calendar and not static_names:
        return data, None
    if not future_covariates and not calendar:  # static inputs only: the data stays as it is
        rows = len(data)
        return data, KnownFuture([], np.zeros((rows, 0)), getattr(data, "index", None), None, [], rows,
                                 static_names, static_values)
    if future_covariates and not isinstance(data, pd.DataFrame):
        raise ValueError(f"`future_covariates` need a DataFrame with those columns; received {type(data).__name__}.")
    if isinstance(data, pd.Series):
        data = data.to_frame(data.name if data.name is not None else "y")
    if not isinstance(data, pd.DataFrame):
        raise ValueError("calendar=True needs the data indexed by dates (a Series or DataFrame); received "
                         f"{type(data).__name__}.")
    frame = data
    if target is None:
        rest = [c for c in frame.columns if c not in future_covariates and c not in (covariates or [])]
        if len(rest) != 1:
            raise ValueError(f"Pass `target=` (one of {rest}) for a DataFrame with several columns.")
        target = rest[0]
    missing = [c for c in future_covariates if c not in frame.columns]
    if missing:
        raise ValueError(f"Future covariate column(s) {missing} not found; columns are {list(frame.columns)}.")
    clash = [c for c in future_covariates if c == target or c in (covariates or [])]
    if clash:
        raise ValueError(f"Column(s) {clash} cannot be both future covariates and the target or past covariates.")
    if target not in frame.columns:
        raise ValueError(f"Column(s) {[target]} not found; columns are {list(frame.columns)}.")
    y = pd.to_numeric(frame[target], errors="coerce").to_numpy(dtype=np.float64)
    present = np.flatnonzero(np.isfinite(y))
    rows = int(present[-1]) + 1 if present.size else 0
    history = frame.iloc[:rows]
    raw = np.zeros((len(frame), 0))
    if future_covariates:
        block = frame[future_covariates]
        for col in future_covariates:
            if not pd.api.types.is_numeric_dtype(block[col]) or pd.api.types.is_bool_dtype(block[col]):
                raise ValueError(f"Future covariate {col!r} must be numeric; received dtype {block[col].dtype}.")
        raw = block.to_numpy(dtype=np.float64)
        bad = ~np.isfinite(raw)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise ValueError(f"Future covariate {future_covariates[c]!r} has {int(bad[:, c].sum())} missing or "
                             f"infinite value(s), the first at {frame.index[r]}.")
    index = frame.index
    freq = None
    names = []
    if calendar:
        if not isinstance(index, pd.DatetimeIndex):
            raise ValueError("calendar=True needs the data indexed by dates; received an index of "
                             f"{type(index).__name__}.")
        freq = index.freqstr or infer_freq(index)
        if freq is None:
            raise ValueError("calendar=True needs dates with a regular frequency (to date the forecast's steps); "
                             "these dates have none.")
        names = calendar_features(index[:1], freq)[1]
    return history, KnownFuture(future_covariates, raw, index, freq, names, rows, static_names, static_values)
