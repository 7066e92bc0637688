"""Small classic series bundled with lstmkit (see `datasets/PROVENANCE.md`).

``load_dataset('airline')`` returns a pandas Series with a DatetimeIndex whose frequency is
set; ``dataset_path('airline')`` is the CSV itself (a date column and a value column), for
trying the command line on it as you would on your own file.
"""

from __future__ import annotations

import os

__all__ = ["DATASETS", "dataset_path", "list_datasets", "load_dataset"]

_HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "datasets")

# name -> (file, date column, date format, value column, frequency, description)
DATASETS = {
    "airline": ("airline.csv", "Date", "%Y-%m", "Passengers", "MS",
                "monthly international airline passengers (thousands), 1949-1960 (Box & Jenkins series G)"),
    "sunspots": ("sunspots.csv", "YEAR", "%Y", "SUNACTIVITY", "YS-JAN",
                 "yearly mean sunspot numbers, 1700-2008 (NOAA NGDC)"),
    "nile": ("nile.csv", "year", "%Y", "volume", "YS-JAN",
             "annual flow of the Nile at Aswan (10^8 m^3), 1871-1970 (Cobb 1978)"),
}


def list_datasets() -> dict:
    """``{name: description}`` of the bundled series."""
    return {name: spec[-1] for name, spec in DATASETS.items()}


def dataset_path(name) -> str:
    """Path of the bundled CSV for `name`."""
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; bundled datasets: {sorted(DATASETS)}.")
    return os.path.join(_HERE, DATASETS[name][0])


def load_dataset(name):
    """The bundled series `name` as a float pandas Series with a DatetimeIndex (frequency set)."""
    import pandas as pd

    path = dataset_path(name)
    _, date_col, fmt, value_col, freq, _ = DATASETS[name]
    frame = pd.read_csv(path, dtype={date_col: str})
    index = pd.DatetimeIndex(pd.to_datetime(frame[date_col], format=fmt), name=date_col)
    series = pd.Series(frame[value_col].to_numpy(dtype=float), index=index, name=value_col)
    return series.asfreq(freq)
