"""Static covariates and id inputs of a panel: values that describe a series, not a time.

    p = PanelForecaster(id_inputs=True)                     # one-hot series ids as inputs
    p.fit(frame, id="store", target="sales", static=["region", "size"])
    p.static_.names                                         # the encoded input columns

`static` is a list of columns of the long frame, each constant within every series (empty cells
are skipped: future rows may leave them empty), or a DataFrame indexed by the series id (a row per
kept series). Encoding, fitted on the kept series: a numeric
column is standardized across the series (mean 0, standard deviation 1; a column with one value for
every series carries nothing and is dropped with a note), any other column (text, booleans,
categories) becomes one 0/1 column per value, named ``column=value``. With ``id_inputs=True`` the
series id is one-hot encoded the same way: the first recurrent layer's input weights of a one-hot
column are then one learned vector per series, which is what an id embedding is.

The encoded values enter the network as extra input columns, the same at every timestep of every
window of that series (`known_future.KnownFuture.static`), after the scaled columns and not scaled
again. They are constant within a series, so only a model shared by several series ('global') can
use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["StaticEncoding", "encode_static", "static_table"]


@dataclass
class StaticEncoding:
    """The static inputs of the kept series.

    Attributes:
        names: the encoded input columns, in order (numeric columns, ``column=value`` one-hots, then
            ``<id>=<series>`` with id inputs).
        values: {series id: float64 array of len(names)}.
        numeric: {column: (mean, standard deviation)} used to standardize it.
        categories: {column: [values]}, the one-hot columns' values (the id column with id inputs).
        notes: columns dropped, and why.
    """

    names: list
    values: dict
    numeric: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def of(self, key):
        """(names, values) of one series, as `Forecaster` takes them."""
        return list(self.names), self.values[key]


def _differing(values):
    """Two distinct values of a sequence, empty cells skipped (a future row may leave them empty)."""
    values = [v for v in values if not _missing(v)]
    for v in values[1:]:
        if v != values[0]:
            return values[0], v
    return None


def _first(values):
    """The first value that is not empty (NaN when every one is: `encode_static` names the series)."""
    return next((v for v in values if not _missing(v)), np.nan)


def _missing(v):
    import pandas as pd

    empty = pd.isna(v)
    return bool(empty) if np.ndim(empty) == 0 else False


def static_table(frame, id, static, clash=()):
    """A DataFrame indexed by series id with the static columns, from `static`: column names of the
    long `frame` (or of each DataFrame of a {id: DataFrame} panel), each constant within every series,
    or a DataFrame indexed by the series id. `clash`: names that cannot be static (target, covariates,
    id, time). None when `static` is None or empty."""
    import pandas as pd

    if static is None:
        return None
    if isinstance(static, pd.DataFrame):
        if static.index.has_duplicates:
            raise ValueError(f"`static`: the series id {static.index[static.index.duplicated()][0]!r} has more than "
                             "one row; give one row per series.")
        if static.shape[1] == 0:
            raise ValueError("`static` is a DataFrame without columns; give at least one static covariate.")
        _check_clash(static.columns, clash)
        table = static
    else:
        if isinstance(static, str):
            static = [static]
        if not isinstance(static, (list, tuple)) or not all(isinstance(c, str) for c in static):
            raise ValueError("`static` must be a list of column names or a DataFrame indexed by the series id; "
                             f"received {type(static).__name__}.")
        if not static:
            return None
        if len(set(static)) != len(static):
            raise ValueError(f"`static` names a column twice: {list(static)!r}.")
        _check_clash(static, clash)
        rows = {}
        if isinstance(frame, dict):
            for key, part in frame.items():
                missing = [c for c in static if c not in part.columns]
                if missing:
                    raise ValueError(f"Series {key!r}: static column(s) {missing} not found.")
                rows[key] = part[list(static)]
        else:
            missing = [c for c in static if c not in frame.columns]
            if missing:
                raise ValueError(f"Static column(s) {missing} not found; columns are {list(frame.columns)}.")
            rows = {key: group[list(static)] for key, group in frame.groupby(id, sort=False)}
        out = {}
        for key, part in rows.items():
            for col in static:
                pair = _differing(list(part[col]))
                if pair is not None:
                    raise ValueError(f"Static column {col!r} must be constant within every series; series {key!r} "
                                     f"has {pair[0]!r} and {pair[1]!r}.")
            out[key] = pd.Series({col: _first(list(part[col])) for col in static})
        table = pd.DataFrame(out).T[list(static)]
        table = table.astype({c: _dtype(rows, c) for c in static})
    return table


def _check_clash(names, clash):
    both = [c for c in names if c in clash]
    if both:
        raise ValueError(f"Column(s) {both} cannot be static covariates: they are the id, time, target or "
                         "covariates.")


def _dtype(rows, col):
    """The dtype a static column had in the data (the transposed table holds objects)."""
    return next(iter(rows.values()))[col].dtype


def encode_static(table, kept, id_name="id", id_inputs=False) -> StaticEncoding:
    """Encode the static `table` (None: no columns) and, with `id_inputs`, one-hot ids, for the `kept`
    series (the statistics are theirs alone)."""
    import pandas as pd

    kept = list(kept)
    names, columns, numeric, categories, notes = [], [], {}, {}, []
    if table is not None:
        missing = [k for k in kept if k not in table.index]
        if missing:
            raise ValueError(f"`static` has no row for series {missing}; give one row per series.")
        part = table.loc[kept]
        for col in part.columns:
            series = part[col]
            gaps = [k for k, v in series.items() if _missing(v)]
            if gaps:
                raise ValueError(f"Static column {col!r} is empty for series {gaps[:5]}; give every series a value.")
            is_number = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
            if is_number:
                v = series.to_numpy(dtype=np.float64)
                if not np.isfinite(v).all():
                    raise ValueError(f"Static column {col!r} has an infinite value.")
                mean, std = float(v.mean()), float(v.std())
                if std == 0:
                    notes.append(f"static column {col!r} is {v[0]:g} for every series: it cannot tell them apart, "
                                 "left out")
                    continue
                numeric[col] = (mean, std)
                names.append(str(col))
                columns.append((v - mean) / std)
            else:
                levels = list(dict.fromkeys(series.tolist()))
                if len(levels) == 1:
                    notes.append(f"static column {col!r} is {levels[0]!r} for every series: it cannot tell them "
                                 "apart, left out")
                    continue
                categories[col] = levels
                for level in levels:
                    names.append(f"{col}={level}")
                    columns.append((series == level).to_numpy(dtype=np.float64))
    if id_inputs:
        if len(kept) == 1:
            notes.append("id inputs left out: there is one series to tell apart")
        else:
            categories[id_name] = kept
            for j, key in enumerate(kept):
                names.append(f"{id_name}={key}")
                columns.append(np.eye(len(kept))[j])
    matrix = np.stack(columns, axis=1) if columns else np.zeros((len(kept), 0))
    values = {k: matrix[i].copy() for i, k in enumerate(kept)}
    return StaticEncoding(names, values, numeric, categories, notes)
