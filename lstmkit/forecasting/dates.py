"""Reading a CSV's date column: text, integer and datetime dates, day/month order, and the
series' frequency (with gaps, and with dates that sit anywhere inside their period).

Used by `lstmkit.forecasting.reading`; every function takes pandas objects and returns them.

Day and month: a date written ``NN/NN/YYYY`` (or with ``-`` or ``.``) reads either way. When
some row has a first number above 12 the column is day first; a second number above 12, month
first. When no row decides it, the reading taken is the one under which the dates are regular
(in order, on a calendar frequency); if both or neither are, month first (pandas' default).
`dayfirst=True/False` chooses instead. Every choice made without a deciding row is a note.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np

from lstmkit.forecasting.series import infer_freq

__all__ = ["DateProblem", "parse_dates", "regular_frequency", "snap_to_periods"]

DATE_NAME = re.compile(r"date|time|year|month|day|week|period|^ds$|^yr$|quarter", re.IGNORECASE)
# Grids tried for dates that pandas cannot infer a frequency for (because of gaps), finest last.
_GRIDS = ("YS", "YE", "QS", "QE", "MS", "ME", "W", "D", "B", "h", "min", "s")
_INT_DATE_FORMATS = {4: "%Y", 6: "%Y%m", 8: "%Y%m%d"}
# Two numbers of one or two digits then a year, the same separator between them: 01/02/2020, 1.2.20.
_NUMERIC_DATE = r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)"


class DateProblem(ValueError):
    """A date column that cannot be read as the user asked (the reader turns it into its own error)."""


def saved_index(name):
    """pandas names a CSV's nameless first column (a saved index) 'Unnamed: 0'."""
    return str(name).startswith("Unnamed:")


def _int_dates(col, name):
    """Integer dates -- years (1000..2999), YYYYMM or YYYYMMDD -- in a column whose name says
    date/year/..., or in a nameless saved-index column that increases. None otherwise."""
    import pandas as pd

    if not pd.api.types.is_integer_dtype(col) or col.empty:
        return None
    if not (DATE_NAME.search(str(name)) or (saved_index(name) and col.is_monotonic_increasing)):
        return None
    magnitude = np.abs(col.to_numpy(dtype=np.int64))
    # Every value has as many digits as the smallest and the largest: compare those two (no loop over rows).
    digits = {len(str(int(magnitude.min()))), len(str(int(magnitude.max())))}
    fmt = _INT_DATE_FORMATS.get(digits.pop()) if len(digits) == 1 else None
    if fmt is None or (fmt == "%Y" and not (col.min() >= 1000 and col.max() <= 2999)):
        return None
    return pd.DatetimeIndex(pd.to_datetime(col.astype(str), format=fmt, errors="coerce"))


# Text dates are read with the format of the first row; rows in other formats get up to this many
# more formats (each inferred from the first row still unread), then one-by-one parsing of at most
# _MIXED_ROWS rows (slow: a few microseconds a row).
_MORE_FORMATS = 3
_MIXED_ROWS = 200_000


@dataclass
class Dates:
    """A parsed date column."""

    index: object  # DatetimeIndex, NaT where a row did not parse
    other_format: int = 0  # rows that did not match the first row's format but parsed in another one
    example: int | None = None  # position of the first such row
    note: str | None = None  # how day and month were told apart, when it was a choice
    day_first: bool | None = None  # how NN/NN/YYYY dates were read (None: the column has none)


def _same_tz(a, b):
    return getattr(a.dtype, "tz", None) == getattr(b.dtype, "tz", None)


def _read_formats(text, dayfirst=False):
    """Dates from text rows (a Series with a 0..n-1 index): the first row's format, then up to
    `_MORE_FORMATS` more, then row by row. Returns (parsed Series, rows read in another format,
    position of the first of them)."""
    import pandas as pd

    parsed = pd.Series(pd.to_datetime(text, errors="coerce", dayfirst=dayfirst))
    failed = parsed.isna() & text.notna()
    first_failed = int(np.flatnonzero(failed.to_numpy())[0]) if failed.any() else None
    initially = int(failed.sum())
    # Other formats only for a column that has dates in the first format: not for a text column.
    for _ in range(_MORE_FORMATS if parsed.notna().any() else 0):
        if not failed.any():
            break
        again = pd.to_datetime(text[failed], errors="coerce", dayfirst=dayfirst)  # the first unread row's format
        if not again.notna().any() or not _same_tz(again, parsed):
            break
        parsed[failed] = again
        failed = parsed.isna() & text.notna()
    if failed.any() and parsed.notna().any() and failed.sum() <= _MIXED_ROWS:
        again = pd.to_datetime(text[failed], errors="coerce", format="mixed", dayfirst=dayfirst)
        if _same_tz(again, parsed):
            parsed[failed] = again
            failed = parsed.isna() & text.notna()
    return parsed, initially - int(failed.sum()), first_failed


def _line(pos, first):
    return pos + first  # `first`: the file's line number of data row 0 (2 after a header row)


def _day_first(text, numeric, name, dayfirst, first_line, read):
    """Whether the NN/NN/YYYY rows `numeric` (a mask) of `text` are day first, and the note to
    print about it (None when nothing needs saying). Raises DateProblem when the rows themselves
    or `dayfirst` contradict. `read(dayfirst)` reads the whole column one way (when no row decides)."""
    import pandas as pd

    parts = text[numeric].str.extract(_NUMERIC_DATE)
    first, second = parts[0].astype(int).to_numpy(), parts[2].astype(int).to_numpy()
    rows = np.flatnonzero(numeric.to_numpy())
    big_first, big_second = first > 12, second > 12

    def example(mask):
        pos = int(rows[np.flatnonzero(mask)[0]])
        return f"{text.iloc[pos]!r} on line {_line(pos, first_line)}"

    if big_first.any() and big_second.any():
        raise DateProblem(f"column {name!r} mixes day/month and month/day dates: {example(big_first)} is day first, "
                          f"{example(big_second)} month first")
    if big_first.any() or big_second.any():
        found = bool(big_first.any())
        if dayfirst is not None and dayfirst != found:
            flag = "--dayfirst" if dayfirst else "--no-dayfirst"
            raise DateProblem(f"{flag} does not fit column {name!r}: {example(big_first if found else big_second)} "
                              f"can only be {'day' if found else 'month'} first")
        return found, None
    sample = example(np.ones(len(first), dtype=bool))
    if dayfirst is not None:
        order = "day/month" if dayfirst else "month/day"
        return dayfirst, (f"column {name!r} has dates such as {sample} that read as day/month or month/day: "
                          f"read as {order}, as {'--dayfirst' if dayfirst else '--no-dayfirst'} says")
    regular = {}
    for choice in (False, True):
        index = read(choice).dropna()
        regular[choice] = (len(index) >= 3 and index.is_monotonic_increasing and index.is_unique
                           and regular_frequency(pd.DatetimeIndex(index))[0] is not None)
    chosen = regular[True] and not regular[False]
    order, other = ("day/month", "--no-dayfirst") if chosen else ("month/day", "--dayfirst")
    why = ("the reading under which they are regular dates in order" if regular[True] != regular[False]
           else "pandas' default: both readings give " + ("regular" if regular[True] else "irregular") + " dates")
    return chosen, (f"column {name!r} has dates such as {sample} that read as day/month or month/day: read as "
                    f"{order} ({why}); pass {other} for the other reading")


def parse_dates(col, name, dayfirst=None, first_line=2):
    """Dates from a column (a `Dates`): datetimes, integer dates (see `_int_dates`) or text; None
    when the column holds other numbers. `dayfirst` (None: decided from the data, see the module
    docstring) applies to NN/NN/YYYY dates only: ISO dates (2020-01-02) are year-month-day.
    `first_line`: the file's line number of row 0, for messages."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(col):
        return Dates(pd.DatetimeIndex(col))
    if pd.api.types.is_numeric_dtype(col):
        dates = _int_dates(col, name)
        return None if dates is None else Dates(dates)
    text = col.astype("string").reset_index(drop=True)
    numeric = text.str.match(_NUMERIC_DATE).fillna(False).astype(bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if not numeric.any():
            parsed, other, example = _read_formats(text)
            return Dates(pd.DatetimeIndex(parsed), other, example)
        first, note = _day_first(text, numeric, name, dayfirst, first_line,
                                 lambda choice: _combined(text, numeric, choice)[0])
        result, other, example = _combined(text, numeric, first)
    return Dates(pd.DatetimeIndex(result), other, example, note, first)


def _combined(text, numeric, dayfirst):
    """The NN/NN/YYYY rows (`numeric`) read with `dayfirst`, the others (ISO and the like) without it:
    pandas would apply it to them too, reading 2020-01-02 as February 1. Returns (dates, rows in
    another format than the first row's, position of the first of them)."""
    import pandas as pd

    parts, other, example = [], 0, None
    for mask, choice in ((numeric, dayfirst), (~numeric & text.notna(), False)):
        if not mask.any():
            continue
        rows = np.flatnonzero(mask.to_numpy())
        parsed, more, pos = _read_formats(text[mask].reset_index(drop=True), dayfirst=choice)
        parts.append((rows, parsed))
        if more:
            other += more
            example = int(rows[pos]) if example is None else min(example, int(rows[pos]))
    (rows0, first_part), rest = parts[0], parts[1:]
    result = pd.Series(pd.NaT, index=text.index, dtype=first_part.dtype)
    result.iloc[rows0] = first_part.to_numpy()
    for rows, parsed in rest:
        if _same_tz(parsed, first_part):  # else those rows stay unread and are reported
            result.iloc[rows] = parsed.to_numpy()
    # The rows of the group that does not hold the first row are in another format than it.
    starts_numeric = bool(numeric.iloc[int(np.flatnonzero(text.notna().to_numpy())[0])])
    minority = (~numeric & text.notna()) if starts_numeric else numeric
    read = minority & result.notna()
    if read.any():
        pos = int(np.flatnonzero(read.to_numpy())[0])
        example = pos if example is None else min(example, pos)
        other += int(read.sum())
    return result, other, example


# The longest step of each grid in `_GRIDS`: a grid from a to b has at least (b - a) / step + 1 dates.
_LONGEST_STEP = {"YS": 366, "YE": 366, "QS": 92, "QE": 92, "MS": 31, "ME": 31, "W": 7, "D": 1, "B": 3,
                 "h": 1 / 24, "min": 1 / 1440, "s": 1 / 86400}


def regular_frequency(index):
    """The frequency of a DatetimeIndex, allowing gaps: pandas' inferred one, else the coarsest
    calendar grid from `_GRIDS` that contains every date. Returns (freq or None, full grid or None)."""
    import pandas as pd

    freq = infer_freq(index)
    if freq is not None:
        return freq, pd.date_range(index[0], index[-1], freq=freq)
    days = (index[-1] - index[0]) / pd.Timedelta(days=1)
    for code in _GRIDS:
        if days / _LONGEST_STEP[code] + 1 > 2 * len(index):
            continue  # more than twice as many dates as the index: not this grid, and not built to find out
        freq = f"W-{index[0].day_name()[:3].upper()}" if code == "W" else code
        grid = pd.date_range(index[0], index[-1], freq=freq)
        if len(grid) >= len(index) and len(grid) <= 2 * len(index) and index.isin(grid).all():
            return freq, grid
    return None, None


# Periods dates may be snapped to, finest first: (pandas period code, name, the frequency of the starts).
_PERIODS = (("h", "hour", "h"), ("D", "day", "D"), ("W", "week", "W-MON"), ("M", "month", "MS"),
            ("Q", "quarter", "QS"), ("Y", "year", "YS"))
# Snapping is for dates that are regular in period terms: at most this share of the periods missing.
SNAP_MISSING = 0.1


def snap_to_periods(index):
    """``(snapped index, note)`` for dates that are not on a calendar grid but fall one to a period
    (e.g. mid-month dates that vary by a few days: one date in each month): the finest of hour,
    day, week, month, quarter and year in which every date has a period of its own and at most a
    tenth of the periods between the first and the last are missing. The dates become their
    periods' starts. ``(None, None)`` when there is no such period."""
    import pandas as pd

    if len(index) < 3:
        return None, None
    for code, name, start_freq in _PERIODS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # time zones are dropped by to_period: kept below
            periods = index.to_period(code)
        if not periods.is_unique:
            continue
        span = int((periods[-1] - periods[0]).n) + 1
        if span > len(index) / (1 - SNAP_MISSING):
            continue
        starts = periods.to_timestamp(how="start")
        if index.tz is not None:
            starts = starts.tz_localize(index.tz)
        snapped = pd.DatetimeIndex(starts, name=index.name)
        moved = int((snapped != index).sum())
        gaps = f" ({span - len(index)} {name}s without a date)" if span > len(index) else ""
        example = index[int(np.flatnonzero(snapped != index)[0])] if moved else index[0]
        shown = example.date() if example == example.normalize() else example
        note = (f"one date per {name}, not at a fixed point in it (e.g. {shown}): {moved:,} of {len(index):,} "
                f"dates moved to the start of their {name}{gaps}; frequency {start_freq}")
        return snapped, note
    return None, None
