"""The bundled series load with dates, frequency and the published values."""

import csv
import hashlib
import os

import pandas as pd
import pytest

from lstmkit.data import dataset_path, list_datasets, load_dataset

# (rows, first date, first value, last date, last value, frequency), read off the published tables.
EXPECTED = {
    "airline": (144, "1949-01-01", 112.0, "1960-12-01", 432.0, "MS"),
    "sunspots": (309, "1700-01-01", 5.0, "2008-01-01", 2.9, "YS-JAN"),
    "nile": (100, "1871-01-01", 1120.0, "1970-01-01", 740.0, "YS-JAN"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_load_dataset(name):
    rows, first, v0, last, v1, freq = EXPECTED[name]
    series = load_dataset(name)
    assert isinstance(series.index, pd.DatetimeIndex)
    assert series.index.freqstr == freq
    assert len(series) == rows and series.dtype == float
    assert str(series.index[0].date()) == first and series.iloc[0] == v0
    assert str(series.index[-1].date()) == last and series.iloc[-1] == v1
    assert series.notna().all()
    with open(dataset_path(name), newline="") as fh:
        assert sum(1 for _ in csv.reader(fh)) == rows + 1  # the file itself: header + rows


def test_files_match_provenance_checksums():
    folder = os.path.dirname(dataset_path("airline"))
    with open(os.path.join(folder, "PROVENANCE.md")) as fh:
        text = fh.read()
    for name in EXPECTED:
        with open(dataset_path(name), "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
        assert f"{digest}  {os.path.basename(dataset_path(name))}" in text


def test_unknown_dataset():
    assert set(list_datasets()) == set(EXPECTED)
    with pytest.raises(ValueError, match="Unknown dataset 'air'.*airline"):
        load_dataset("air")
