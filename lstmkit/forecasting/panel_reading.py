"""Reading a panel (many series) from a CSV: what `lstmkit forecast FILE --id-column ID` and
`lstmkit forecast FILE --wide` read, as a function.

    from lstmkit.forecasting.panel_reading import read_panel
    data = read_panel("sales.csv", id_column="store")     # long: id, date, value (+ covariates)
    data = read_panel("sensors.csv", wide=True)           # wide: a date column, one column per series
    data.series                                           # {id: DataFrame indexed by date, target first}

The delimiter, the date column and the value column are found as `read_series` finds them.
Each series is checked on its own: dates in order, none repeated, one frequency shared by every
series, no gap and no missing value unless `fill` names a method (then each series is filled
alone). Every problem is a `SeriesInputError` naming the series.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lstmkit.forecasting.reading import (FILL_METHODS, SeriesInputError, _fill, _find_date_column,
                                         _find_value_column, _read_frame, regular_frequency)

__all__ = ["PanelData", "read_known", "read_panel"]

WIDE_ID, WIDE_VALUE = "series", "value"


@dataclass
class PanelData:
    """A panel read from a file: ``series`` {id: DataFrame indexed by date (or row number), target
    first, then the covariates}, in the file's order, and what was found."""

    series: dict
    id: str
    target: str
    covariates: list
    date_column: str | None
    freq: str | None
    notes: list = field(default_factory=list)
    static: object = None  # with `static`: a DataFrame indexed by series id (`panel_static.static_table`)


def _to_numbers(frame, name):
    """A column as floats: empty cells NaN (reported per series later), text and inf refused with the line."""
    import pandas as pd

    col = frame[name]
    numbers = pd.to_numeric(col, errors="coerce")
    bad = (numbers.isna() & col.notna()).to_numpy()
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise SeriesInputError(f"column {name!r} has non-numeric values, e.g. {col.iloc[pos]!r} on line {pos + 2}")
    numbers = numbers.astype(float)
    infinite = np.isinf(numbers.to_numpy())
    if infinite.any():
        pos = int(np.flatnonzero(infinite)[0])
        raise SeriesInputError(f"column {name!r} has {int(infinite.sum())} infinite value(s), the first on line "
                               f"{pos + 2}: every value must be a finite number")
    return numbers


def _dates(frame, date_column, exclude, dayfirst=None):
    """(date column or None, its DatetimeIndex or None); `dayfirst` as in `reading.read_series`."""
    name, parsed, _ = _find_date_column(frame.drop(columns=list(exclude)), date_column, dayfirst)
    if name is None:
        return None, None
    dates = parsed.index if parsed is not None else None
    if dates is None or dates.isna().any():
        pos = 0 if dates is None else int(np.flatnonzero(dates.isna())[0])
        raise SeriesInputError(f"cannot parse column {name!r} as dates: {frame[name].iloc[pos]!r} on line {pos + 2}")
    return name, dates


def _check_series(key, part, fill, freqs, filled, future):
    """One series indexed by date: sorted, no repeated date, its gaps and missing values reported or
    filled. With `future` (known-future columns), rows after the last target value are the future: only
    those columns must be filled there. Returns the checked frame; records its frequency in `freqs` and a
    filled series in `filled`."""
    import pandas as pd

    what = f"series {key!r}: " if key is not None else ""
    if isinstance(part.index, pd.DatetimeIndex):
        part = part.sort_index()
        dup = part.index[part.index.duplicated()]
        if len(dup):
            raise SeriesInputError(f"{what}date {dup[0]} appears more than once")
        if len(part) >= 3:
            freq, grid = regular_frequency(part.index)
            freqs[key] = freq
            if freq is not None:
                if len(grid) > len(part):
                    gaps = grid.difference(part.index)
                    if fill is None:
                        raise SeriesInputError(f"{what}{len(gaps)} date(s) missing from the {freq} dates, "
                                               f"the first {gaps[0]}; pass --fill {'|'.join(FILL_METHODS)}")
                    part = part.reindex(grid)
                part = part.asfreq(freq)
    ahead = part.iloc[:0]
    if future:
        present = np.flatnonzero(part.iloc[:, 0].notna().to_numpy())
        rows = int(present[-1]) + 1 if present.size else 0
        part, ahead = part.iloc[:rows], part.iloc[rows:]
        empty = ahead[future].isna()
        if empty.to_numpy().any():
            col = empty.any().idxmax()
            where = ahead.index[int(np.flatnonzero(empty[col].to_numpy())[0])]
            raise SeriesInputError(f"{what}future covariate {col!r} is empty at {where}, after the last value of "
                                   f"{part.columns[0]!r}: known-future inputs must be given for every future row")
    empty = part.isna()
    if empty.to_numpy().any():
        if fill is None:
            col = empty.any().idxmax()
            where = part.index[int(np.flatnonzero(empty[col].to_numpy())[0])]
            raise SeriesInputError(f"{what}column {col!r} has {int(empty[col].sum())} missing value(s), "
                                   f"the first at {where}; pass --fill {'|'.join(FILL_METHODS)}")
        part = _fill(part, fill)
        filled.append(key)
    return pd.concat([part, ahead]) if len(ahead) else part


def read_known(path, column=None, date_column=None, covariates=None, future_covariates=None, fill=None,
               dayfirst=None):
    """One series with known-future inputs: a `SeriesData` whose frame runs on past the last target value
    for the rows that give only the `future_covariates` (the target empty there)."""
    from lstmkit.forecasting.reading import SeriesData

    data = read_panel(path, None, False, column, date_column, covariates, future_covariates, fill, _one=True,
                      dayfirst=dayfirst)
    frame = next(iter(data.series.values()))
    return SeriesData(frame, data.target, data.covariates, data.date_column, data.freq, data.notes)


def read_panel(path, id_column=None, wide=False, column=None, date_column=None, covariates=None,
               future_covariates=None, fill=None, _one=False, dayfirst=None, static=None) -> PanelData:
    """Read a long (`id_column`) or wide (`wide=True`) panel CSV into a `PanelData`. `future_covariates`
    (long format): columns known in advance, given on rows past each series' last target value.
    `dayfirst` (None: from the data) reads NN/NN/YYYY dates day first or month first. `static` (long
    format): columns that describe each series (region, size), each constant within every series."""
    import pandas as pd

    if not _one and (id_column is None) == (not wide):
        raise SeriesInputError("a panel is either long (--id-column NAME) or wide (--wide), not both")
    future_covariates = list(future_covariates or [])
    if fill is not None and fill not in FILL_METHODS:
        raise SeriesInputError(f"--fill must be one of {', '.join(FILL_METHODS)}; received {fill!r}")
    # the one-series reader's: delimiter sniffed, a missing header found; ids read as written ('007' is not 7)
    frame = _read_frame(path, text=(id_column,) if id_column else ())[0]
    covariates = list(covariates or [])
    static = list(static or [])
    names = ", ".join(map(str, frame.columns))
    notes = []
    if static and (wide or id_column is None):
        raise SeriesInputError("--static-covariates need a long panel (--id-column): they are columns constant "
                               "within each series")
    if wide:
        if covariates:
            raise SeriesInputError("--covariates need the long format (--id-column): in a wide file every "
                                   "numeric column is a series")
        if column is not None:
            raise SeriesInputError("--column names the value column of one series or a long panel; with --wide "
                                   "every numeric column is a series")
        date_col, dates = _dates(frame, date_column, (), dayfirst)
        ids = [c for c in frame.columns if c != date_col and pd.api.types.is_numeric_dtype(frame[c])]
        left = [c for c in frame.columns if c != date_col and c not in ids]
        if not ids:
            raise SeriesInputError(f"no numeric column to forecast in {path}; columns: {names}")
        if left:
            notes.append(f"column(s) {', '.join(map(str, left))} are not numeric: left out")
        parts = {}
        for key in ids:
            values = _to_numbers(frame, key)
            part = pd.DataFrame({WIDE_VALUE: values.to_numpy()},
                                index=dates.rename(date_col) if dates is not None else frame.index)
            present = np.flatnonzero(part[WIDE_VALUE].notna().to_numpy())
            if present.size == 0:
                notes.append(f"column {key!r} is empty: left out")
                continue
            # Series of different lengths in one wide file: each runs from its first to its last value.
            parts[str(key)] = part.iloc[present[0]:present[-1] + 1]
        id_name, target = WIDE_ID, WIDE_VALUE
    else:
        if id_column is not None and id_column not in frame.columns:
            raise SeriesInputError(f"id column {id_column!r} not found; columns: {names}")
        for kind, cols in (("covariate", covariates), ("future covariate", future_covariates),
                           ("static covariate", static)):
            missing = [c for c in cols if c not in frame.columns]
            if missing:
                raise SeriesInputError(f"{kind} column(s) {', '.join(missing)} not found; columns: {names}")
        both = [c for c in future_covariates if c in covariates]
        if both:
            raise SeriesInputError(f"column(s) {', '.join(both)} cannot be both covariates (past values) and future "
                                   "covariates (known in advance); give each once")
        if id_column is not None and frame[id_column].isna().any():
            pos = int(np.flatnonzero(frame[id_column].isna().to_numpy())[0])
            raise SeriesInputError(f"id column {id_column!r} is empty on line {pos + 2}")
        date_col, dates = _dates(frame, date_column, () if id_column is None else (id_column,), dayfirst)
        exclude = {id_column, *covariates, *future_covariates, *static} | ({date_col} if date_col else set())
        target = _find_value_column(frame, column, exclude)
        if target in covariates or target in future_covariates or target in static:
            raise SeriesInputError(f"column {target!r} cannot be both the target and a covariate")
        twice = [c for c in static if c in covariates or c in future_covariates or c in (id_column, date_col)]
        if twice:
            raise SeriesInputError(f"column(s) {', '.join(map(str, twice))} cannot be both static covariates and the "
                                   "id, the dates or (future) covariates")
        data = pd.DataFrame({name: _to_numbers(frame, name).to_numpy()
                             for name in [target, *covariates, *future_covariates]})
        if dates is not None:
            data.index = dates.rename(date_col)
        keys = frame[id_column].astype(str).to_numpy() if id_column is not None else np.full(len(frame), "")
        parts = {}
        for key in dict.fromkeys(keys):
            part = data[keys == key]
            parts[key] = part if dates is not None else part.reset_index(drop=True)
        id_name = id_column
        if static:
            from lstmkit.forecasting.panel_static import static_table

            try:  # the ids as the series are keyed (text)
                table = static_table(frame[static].assign(**{id_column: keys}), id_column, static)
            except ValueError as error:
                text = str(error).rstrip(".")
                raise SeriesInputError(text[:1].lower() + text[1:]) from None
    freqs, filled = {}, []
    series = {key: _check_series(None if _one else key, part, fill, freqs, filled, future_covariates)
              for key, part in parts.items()}
    known = {f for f in freqs.values() if f is not None}
    if len(known) > 1:
        by = {f: [k for k, g in freqs.items() if g == f] for f in known}
        shown = "; ".join(f"{f}: {', '.join(map(repr, v[:3]))}" for f, v in by.items())
        raise SeriesInputError(f"the series have different frequencies ({shown}); give one frequency per file")
    freq = known.pop() if known else None
    if date_col is not None and freq is None:
        notes.append("dates are irregular: no frequency inferred; future steps are numbered, not dated")
    if date_col is None:
        notes.append("no date column found: rows are numbered 0, 1, ... within each series")
    if filled:
        notes.append(f"gaps or missing values filled ({fill}) within each series, in {len(filled)} series: "
                     + ", ".join(map(repr, filled[:5])) + (", ..." if len(filled) > 5 else ""))
    return PanelData(series, id_name, target, covariates, date_col, freq, notes,
                     table if static and not wide else None)
