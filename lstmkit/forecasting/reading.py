"""Reading a series from a CSV: finding its date and value columns, checking and (on request)
filling gaps. What `lstmkit forecast FILE` does, as a function:

    from lstmkit.forecasting.reading import read_series
    data = read_series("sales.csv")            # or column=..., date_column=..., fill="linear"
    data.frame                                  # DataFrame indexed by date, target first

Every problem is a `SeriesInputError` (a ValueError) with one line saying what and where.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from lstmkit.forecasting.series import infer_freq

__all__ = ["FILL_METHODS", "SeriesData", "SeriesInputError", "read_series", "regular_frequency"]

FILL_METHODS = ("linear", "ffill", "bfill", "zero")
_DATE_NAME = re.compile(r"date|time|year|month|day|week|period|^ds$|^yr$|quarter", re.IGNORECASE)
# Grids tried for dates that pandas cannot infer a frequency for (because of gaps), finest last.
_GRIDS = ("YS", "YE", "QS", "QE", "MS", "ME", "W", "D", "B", "h", "min", "s")


class SeriesInputError(ValueError):
    """The input series cannot be used as it is."""


@dataclass
class SeriesData:
    """A series read from a file: ``frame`` (target column first, then covariates), indexed by date
    (or by row number when the file has no date column), and notes on what was inferred."""

    frame: object
    target: str
    covariates: list
    date_column: str | None
    freq: str | None
    notes: list = field(default_factory=list)


def _line(pos):
    return pos + 2  # 1-based, after the header line


def _numeric_share(col):
    """Share of non-empty cells that read as numbers."""
    present = col.dropna()
    if present.empty:
        return 0.0
    import pandas as pd

    return float(pd.to_numeric(present, errors="coerce").notna().mean())


_INT_DATE_FORMATS = {4: "%Y", 6: "%Y%m", 8: "%Y%m%d"}


def _saved_index(name):
    """pandas names a CSV's nameless first column (a saved index) 'Unnamed: 0'."""
    return str(name).startswith("Unnamed:")


def _int_dates(col, name):
    """Integer dates -- years (1000..2999), YYYYMM or YYYYMMDD -- in a column whose name says
    date/year/..., or in a nameless saved-index column that increases. None otherwise."""
    import pandas as pd

    if not pd.api.types.is_integer_dtype(col) or col.empty:
        return None
    if not (_DATE_NAME.search(str(name)) or (_saved_index(name) and col.is_monotonic_increasing)):
        return None
    digits = {len(str(abs(int(v)))) for v in col.to_numpy()}
    fmt = _INT_DATE_FORMATS.get(digits.pop()) if len(digits) == 1 else None
    if fmt is None or (fmt == "%Y" and not (col.min() >= 1000 and col.max() <= 2999)):
        return None
    return pd.DatetimeIndex(pd.to_datetime(col.astype(str), format=fmt, errors="coerce"))


def _parse_dates(col, name):
    """Dates from a column: datetimes, integer dates (see `_int_dates`) or text; None when the
    column holds other numbers."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(col):
        return pd.DatetimeIndex(col)
    if pd.api.types.is_numeric_dtype(col):
        return _int_dates(col, name)
    text = col.astype("string")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        parsed = pd.to_datetime(text, errors="coerce")
    return pd.DatetimeIndex(parsed)


def _find_date_column(frame, date_column):
    if date_column is not None:
        if date_column not in frame.columns:
            raise SeriesInputError(f"date column {date_column!r} not found; columns: {', '.join(map(str, frame.columns))}")
        return date_column
    candidates = []
    for name in frame.columns:
        col = frame[name]
        named = _DATE_NAME.search(str(name)) is not None
        if col.isna().all() or (not named and not _saved_index(name) and _numeric_share(col) > 0.5):
            continue
        parsed = _parse_dates(col, name)
        if parsed is None:
            continue
        share = parsed.notna().sum() / col.notna().sum()
        # A date-named column with a few bad cells is still the date column: reading it reports them.
        if share == 1 or (named and share >= 0.5):
            candidates.append(name)
    if len(candidates) > 1:
        named = [c for c in candidates if _DATE_NAME.search(str(c))]
        candidates = named if len(named) == 1 else candidates
    if len(candidates) > 1:
        raise SeriesInputError(f"several columns look like dates ({', '.join(map(str, candidates))}); "
                               "pass --date-column NAME")
    return candidates[0] if candidates else None


def _find_value_column(frame, column, exclude):
    names = [str(c) for c in frame.columns]
    if column is not None:
        if column not in frame.columns:
            raise SeriesInputError(f"column {column!r} not found; columns: {', '.join(names)}")
        if column in exclude:
            raise SeriesInputError(f"column {column!r} is the date column or a covariate, not a value column")
        return column
    candidates = [c for c in frame.columns if c not in exclude and not _saved_index(c)
                  and _numeric_share(frame[c]) >= 0.5]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise SeriesInputError(f"no numeric value column found; columns: {', '.join(names)}. Pass --column NAME")
    raise SeriesInputError(f"several numeric columns ({', '.join(map(str, candidates))}); pass --column NAME "
                           "(and --covariates for the others you want as inputs)")


def _to_numbers(frame, name):
    import pandas as pd

    col = frame[name]
    numbers = pd.to_numeric(col, errors="coerce")
    bad = numbers.isna() & col.notna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise SeriesInputError(f"column {name!r} has non-numeric values, e.g. {col.iloc[pos]!r} on line {_line(pos)}")
    return numbers.astype(float)


def regular_frequency(index):
    """The frequency of a DatetimeIndex, allowing gaps: pandas' inferred one, else the coarsest
    calendar grid from `_GRIDS` that contains every date. Returns (freq or None, full grid or None)."""
    import pandas as pd

    freq = infer_freq(index)
    if freq is not None:
        return freq, pd.date_range(index[0], index[-1], freq=freq)
    for code in _GRIDS:
        freq = f"W-{index[0].day_name()[:3].upper()}" if code == "W" else code
        grid = pd.date_range(index[0], index[-1], freq=freq)
        if len(grid) >= len(index) and len(grid) <= 2 * len(index) and index.isin(grid).all():
            return freq, grid
    return None, None


def _fill(frame, method):
    if method == "zero":
        return frame.fillna(0.0)
    if method == "linear":
        interp = "time" if hasattr(frame.index, "freq") and frame.index.dtype.kind == "M" else "linear"
        frame = frame.interpolate(method=interp)
    elif method == "bfill":
        frame = frame.bfill()
    frame = frame.ffill()
    return frame.bfill()  # leading gaps take the first observed value


def read_series(path, column=None, date_column=None, covariates=None, fill=None) -> SeriesData:
    """Read a CSV into a `SeriesData`. See the module docstring."""
    import pandas as pd

    if fill is not None and fill not in FILL_METHODS:
        raise SeriesInputError(f"--fill must be one of {', '.join(FILL_METHODS)}; received {fill!r}")
    if not os.path.exists(path):
        raise SeriesInputError(f"file not found: {path}")
    if os.path.isdir(path):
        raise SeriesInputError(f"{path} is a directory, not a CSV file")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise SeriesInputError(f"cannot read {path} as CSV: {str(error).splitlines()[0]}") from None
    if frame.empty:
        raise SeriesInputError(f"{path} has no data rows")
    notes = []
    covariates = list(covariates or [])
    missing = [c for c in covariates if c not in frame.columns]
    if missing:
        raise SeriesInputError(f"covariate column(s) {', '.join(missing)} not found; columns: "
                               f"{', '.join(map(str, frame.columns))}")
    date_col = _find_date_column(frame, date_column)
    exclude = set(covariates) | ({date_col} if date_col is not None else set())
    target = _find_value_column(frame, column, exclude)
    if target in covariates:
        raise SeriesInputError(f"column {target!r} cannot be both the target and a covariate")
    data = pd.DataFrame({name: _to_numbers(frame, name) for name in [target, *covariates]})

    freq = None
    if date_col is None:
        notes.append("no date column found: rows are numbered 0, 1, ... (name one with --date-column)")
    else:
        dates = _parse_dates(frame[date_col], date_col)
        if dates is None or dates.isna().any():
            pos = 0 if dates is None else int(np.flatnonzero(dates.isna())[0])
            raise SeriesInputError(f"cannot parse column {date_col!r} as dates: {frame[date_col].iloc[pos]!r} "
                                   f"on line {_line(pos)}")
        data.index = dates.rename(date_col)
        if not data.index.is_monotonic_increasing:
            data = data.sort_index()
            notes.append("rows were not in date order: sorted by date")
        dup = data.index[data.index.duplicated()]
        if len(dup):
            raise SeriesInputError(f"date {dup[0].date()} appears more than once in column {date_col!r}")
        freq, grid = regular_frequency(data.index)
        if freq is None:
            notes.append("dates are irregular: no frequency inferred; future steps are numbered, not dated")
        elif len(grid) > len(data):
            gaps = grid.difference(data.index)
            if fill is None:
                raise SeriesInputError(f"{len(gaps)} date(s) missing from the {freq} series, the first "
                                       f"{gaps[0].date()}; pass --fill {'|'.join(FILL_METHODS)} to fill them")
            data = data.reindex(grid)
            data.index.name = date_col
            notes.append(f"{len(gaps)} missing date(s) added and filled ({fill})")
        if freq is not None:
            data = data.asfreq(freq)
    empty = data.isna()
    if empty.to_numpy().any():
        if fill is None:
            col = empty.any().idxmax()
            pos = int(np.flatnonzero(empty[col].to_numpy())[0])
            where = data.index[pos].date() if date_col is not None else f"line {_line(pos)}"
            raise SeriesInputError(f"column {col!r} has {int(empty[col].sum())} missing value(s), the first at "
                                   f"{where}; pass --fill {'|'.join(FILL_METHODS)} to fill them")
        count = int(empty.to_numpy().sum())
        data = _fill(data, fill)
        if not any("filled" in n for n in notes):
            notes.append(f"{count} missing value(s) filled ({fill})")
    return SeriesData(data, target, covariates, date_col, freq, notes)
