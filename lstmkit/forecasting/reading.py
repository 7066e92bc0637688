"""Reading a series from a CSV: finding its date and value columns, checking and (on request)
filling gaps. What `lstmkit forecast FILE` does, as a function:

    from lstmkit.forecasting.reading import read_series
    data = read_series("sales.csv")            # or column=..., date_column=..., fill="linear"
    data.frame                                  # DataFrame indexed by date, target first

Every problem is a `SeriesInputError` (a ValueError) with one line saying what and where.
The file must be a regular file (a named pipe or a device is refused before it is read); its
delimiter (comma, semicolon, tab or bar) is found from its first lines.
"""

from __future__ import annotations

import csv
import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from lstmkit._paths import PathProblem, open_regular_file
from lstmkit.forecasting.dates import DATE_NAME as _DATE_NAME
from lstmkit.forecasting.dates import DateProblem, parse_dates, regular_frequency, snap_to_periods
from lstmkit.forecasting.dates import saved_index as _saved_index

__all__ = ["FILL_METHODS", "SeriesData", "SeriesInputError", "read_series", "regular_frequency"]

FILL_METHODS = ("linear", "ffill", "bfill", "zero")


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


def _line(pos, first=2):
    """The file's line number of data row `pos`: `first` is the first data row's (2 after a header row)."""
    return pos + first


def _numeric_share(col):
    """Share of non-empty cells that read as numbers."""
    present = col.dropna()
    if present.empty:
        return 0.0
    import pandas as pd

    return float(pd.to_numeric(present, errors="coerce").notna().mean())


def _parse_dates(col, name, dayfirst, first):
    try:
        return parse_dates(col, name, dayfirst, first)
    except DateProblem as problem:
        raise SeriesInputError(str(problem)) from None


def _find_date_column(frame, date_column, dayfirst=None, first=2):
    """``(name, dates, near)``: the date column and its parsed `Dates` (None, None when there is
    none), and for a file without one, a column that nearly was: ``(name, parsed rows, rows,
    first position that did not parse)`` or None."""
    if date_column is not None:
        if date_column not in frame.columns:
            raise SeriesInputError(f"date column {date_column!r} not found; columns: {', '.join(map(str, frame.columns))}")
        return date_column, _parse_dates(frame[date_column], date_column, dayfirst, first), None
    candidates, near = {}, None
    for name in frame.columns:
        col = frame[name]
        named = _DATE_NAME.search(str(name)) is not None
        if col.isna().all() or (not named and not _saved_index(name) and _numeric_share(col) > 0.5):
            continue
        parsed = _parse_dates(col, name, dayfirst, first)
        if parsed is None:
            continue
        present = int(col.notna().sum())
        good = int(parsed.index.notna().sum())
        # A date-named column with a few bad cells is still the date column: reading it reports them.
        if good == present or (named and good >= 0.5 * present):
            candidates[name] = parsed
        elif good >= 0.5 * present and (near is None or good > near[1]):
            bad = np.flatnonzero(parsed.index.isna() & col.notna().to_numpy())
            near = (name, good, present, int(bad[0]))
    names = list(candidates)
    if len(names) > 1:
        named = [c for c in names if _DATE_NAME.search(str(c))]
        names = named if len(named) == 1 else names
    if len(names) > 1:
        raise SeriesInputError(f"several columns look like dates ({', '.join(map(str, names))}); "
                               "pass --date-column NAME")
    return (names[0], candidates[names[0]], None) if names else (None, None, near)


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


def _to_numbers(frame, name, first):
    import pandas as pd

    col = frame[name]
    numbers = pd.to_numeric(col, errors="coerce")
    bad = numbers.isna() & col.notna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise SeriesInputError(f"column {name!r} has non-numeric values, e.g. {col.iloc[pos]!r} on line {_line(pos, first)}")
    numbers = numbers.astype(float)
    infinite = np.isinf(numbers.to_numpy())
    if infinite.any():
        pos = int(np.flatnonzero(infinite)[0])
        cell = col.iloc[pos]
        shown = repr(cell) if isinstance(cell, str) else f"{float(cell):g}"
        raise SeriesInputError(f"column {name!r} has {int(infinite.sum())} infinite value(s), the first "
                               f"{shown} on line {_line(pos, first)}: every value must be a finite number")
    return numbers


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


_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


def _delimiter(head: bytes) -> str:
    """The delimiter of a CSV from its first bytes: the one of ',;<tab>|' that splits every line
    alike (csv.Sniffer), else a comma."""
    text = head.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(head) == _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut short
    sample = "\n".join(lines[:100])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _open_csv(path):
    try:
        return open_regular_file(path)
    except PathProblem as problem:
        message = {"missing": f"file not found: {path}", "directory": f"{path} is a directory, not a CSV file",
                   "special": f"{problem}; give a CSV file"}.get(problem.reason, str(problem))
        raise SeriesInputError(message) from None


_DATA_CELL = re.compile(r"^[+-]?\.?\d|^[A-Za-z]{3,9}\.?[ /-]\d")  # starts like a number, or like 'Jan 2020'


def _is_data(cell):
    """Whether a first-row cell reads as a value (a number or a date) rather than a column name."""
    import pandas as pd

    if not _DATA_CELL.match(cell):
        return False
    try:
        float(cell)
        return True
    except ValueError:
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return not pd.isna(pd.to_datetime(cell))
        except (ValueError, TypeError, OverflowError):
            return False


def _has_header(head: bytes, sep) -> bool:
    """False when every cell of the first line is a number or a date: the file has no header row."""
    lines = head.decode("utf-8-sig", errors="replace").splitlines()
    cells = next(csv.reader(lines[:1], delimiter=sep), []) if lines else []
    cells = [c.strip() for c in cells]
    return not (cells and all(cells) and all(_is_data(c) for c in cells))


def _read_frame(path, text=()):
    """``(frame, first, notes)``: the CSV as text-inferred columns, the file's line number of its
    first data row (1 without a header row), and notes on the delimiter and the header.

    `text`: column names read as written, never as numbers: a panel's id column, whose ids '007' and
    '07' are two series (as numbers both are 7). Without a header row, name them column_1, column_2..."""
    import pandas as pd

    with _open_csv(path) as handle:
        head = handle.read(_SNIFF_BYTES)
        if b"\0" in head:
            raise SeriesInputError(f"cannot read {path} as CSV: it is a binary file (it contains NUL bytes)")
        sep = _delimiter(head)
        header = _has_header(head, sep)
        handle.seek(0)
        dtype = {name: str for name in text} if header else {
            int(name[7:]) - 1: str for name in text if name.startswith("column_") and name[7:].isdigit()}
        try:
            frame = pd.read_csv(handle, sep=sep, encoding="utf-8-sig", header=0 if header else None,
                                dtype=dtype or None)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise SeriesInputError(f"cannot read {path} as CSV: {str(error).splitlines()[0]}") from None
        except OSError as error:
            raise SeriesInputError(f"cannot read {path}: {error.strerror or error}") from None
    if frame.empty:
        raise SeriesInputError(f"{path} has no data rows")
    notes = [] if sep == "," else [f"columns separated by {_DELIMITER_NAMES[sep]}s"]
    if not header:
        frame.columns = [f"column_{k + 1}" for k in range(frame.shape[1])]
        notes.append(f"the first line holds values, not column names: read as data, columns named "
                     f"{', '.join(frame.columns)}")
    return frame, 2 if header else 1, notes


def read_series(path, column=None, date_column=None, covariates=None, fill=None, log=None,
                dayfirst=None) -> SeriesData:
    """Read a CSV into a `SeriesData`. See the module docstring. `log`, when given, is called with a
    line as each stage starts (for progress on a large file). `dayfirst` (None: from the data) reads
    NN/NN/YYYY dates day first (True) or month first (False); see `lstmkit.forecasting.dates`."""
    import pandas as pd

    def stage(text):
        if log is not None:
            log(text)

    if fill is not None and fill not in FILL_METHODS:
        raise SeriesInputError(f"--fill must be one of {', '.join(FILL_METHODS)}; received {fill!r}")
    if dayfirst not in (None, True, False):
        raise SeriesInputError(f"dayfirst must be None, True or False; received {dayfirst!r}")
    frame, first, notes = _read_frame(path)
    covariates = list(covariates or [])
    missing = [c for c in covariates if c not in frame.columns]
    if missing:
        raise SeriesInputError(f"covariate column(s) {', '.join(missing)} not found; columns: "
                               f"{', '.join(map(str, frame.columns))}")
    stage(f"Finding the date and value columns in {len(frame):,} rows, reading the dates...")
    date_col, parsed, near = _find_date_column(frame, date_column, dayfirst, first)
    exclude = set(covariates) | ({date_col} if date_col is not None else set())
    target = _find_value_column(frame, column, exclude)
    if target in covariates:
        raise SeriesInputError(f"column {target!r} cannot be both the target and a covariate")
    data = pd.DataFrame({name: _to_numbers(frame, name, first) for name in [target, *covariates]})

    freq = None
    if date_col is None:
        if near is not None:
            name, good, rows, pos = near
            notes.append(f"column {name!r} was not used as the date column: {rows - good:,} of its {rows:,} values "
                         f"are not dates (the first {frame[name].iloc[pos]!r} on line {_line(pos, first)}); rows are "
                         "numbered 0, 1, ... (name it with --date-column to see every problem)")
        else:
            notes.append("no date column found: rows are numbered 0, 1, ... (name one with --date-column)")
    else:
        dates = parsed.index if parsed is not None else None
        if dates is None or dates.isna().any():
            pos = 0 if dates is None else int(np.flatnonzero(dates.isna())[0])
            raise SeriesInputError(f"cannot parse column {date_col!r} as dates: {frame[date_col].iloc[pos]!r} "
                                   f"on line {_line(pos, first)}")
        if parsed.other_format:
            pos = parsed.example
            notes.append(f"column {date_col!r} mixes date formats: {parsed.other_format:,} of {len(dates):,} rows "
                         f"are not in the first row's format (the first {frame[date_col].iloc[pos]!r} on line "
                         f"{_line(pos, first)}) and were read in their own; check that they mean the dates you expect")
        if parsed.note:
            notes.append(parsed.note)
        if dayfirst is not None and parsed.day_first is None:
            notes.append(f"{'--dayfirst' if dayfirst else '--no-dayfirst'} changed nothing: column {date_col!r} "
                         "has no dates written NN/NN/YYYY")
        data.index = dates.rename(date_col)
        if not data.index.is_monotonic_increasing:
            data = data.sort_index()
            notes.append("rows were not in date order: sorted by date")
        dup = data.index[data.index.duplicated()]
        if len(dup):
            raise SeriesInputError(f"date {dup[0].date()} appears more than once in column {date_col!r}")
        stage("Checking the frequency of the dates...")
        freq, grid = regular_frequency(data.index)
        if freq is None:
            snapped, note = snap_to_periods(data.index)
            if snapped is not None:
                data.index = snapped
                notes.append(note)
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
            where = data.index[pos].date() if date_col is not None else f"line {_line(pos, first)}"
            raise SeriesInputError(f"column {col!r} has {int(empty[col].sum())} missing value(s), the first at "
                                   f"{where}; pass --fill {'|'.join(FILL_METHODS)} to fill them")
        count = int(empty.to_numpy().sum())
        data = _fill(data, fill)
        if not any("filled" in n for n in notes):
            notes.append(f"{count} missing value(s) filled ({fill})")
    return SeriesData(data, target, covariates, date_col, freq, notes)
