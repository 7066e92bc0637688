"""Reading a series from CSV: columns found when unambiguous, every problem one clear message."""

import numpy as np
import pandas as pd
import pytest

from lstmkit.data import dataset_path, load_dataset
from lstmkit.forecasting.reading import SeriesInputError, read_series


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("name", ["airline", "sunspots", "nile"])
def test_bundled_csvs_read_like_a_users_file(name):
    data = read_series(dataset_path(name))
    expected = load_dataset(name)
    assert data.target == expected.name
    np.testing.assert_array_equal(data.frame[data.target].to_numpy(), expected.to_numpy())
    assert data.frame.index.equals(expected.index.rename(data.date_column))
    assert data.freq == expected.index.freqstr and data.notes == []


def test_unambiguous_columns_found(tmp_path):
    path = write(tmp_path, "day,temp\n2021-01-01,1.5\n2021-01-02,2.5\n2021-01-03,0.5\n2021-01-04,1.0\n")
    data = read_series(path)
    assert (data.target, data.date_column, data.freq) == ("temp", "day", "D")
    path = write(tmp_path, "value\n3\n1\n2\n")
    data = read_series(path)
    assert data.target == "value" and data.date_column is None
    assert "no date column" in data.notes[0] and list(data.frame.index) == [0, 1, 2]


def test_integer_dates(tmp_path):
    # A saved pandas index of years (its header is empty), as sktime's Lynx.csv has it.
    data = read_series(write(tmp_path, ",0\n1821,269\n1822,321\n1823,585\n1824,871\n"))
    assert (data.date_column, data.target, data.freq) == ("Unnamed: 0", "0", "YS-JAN")
    assert data.frame.index[0] == pd.Timestamp("1821-01-01")
    # YYYYMMDD numbers in a date column (statsmodels' co2.csv).
    data = read_series(write(tmp_path, "date,co2\n19580329,316.1\n19580405,317.3\n19580412,317.6\n"))
    assert data.freq == "W-SAT" and data.frame.index[1] == pd.Timestamp("1958-04-05")
    # A saved row index 0, 1, 2, ... is not a date.
    data = read_series(write(tmp_path, ",v\n0,1.5\n1,2.5\n2,3.0\n"))
    assert data.date_column is None and data.target == "v"


def test_covariates_and_explicit_columns(tmp_path):
    path = write(tmp_path, "date,a,b,c\n2020-01-01,1,2,3\n2020-02-01,2,3,4\n2020-03-01,3,4,5\n")
    with pytest.raises(SeriesInputError, match="several numeric columns \\(a, b, c\\); pass --column NAME"):
        read_series(path)
    data = read_series(path, column="b", covariates=["c"])
    assert list(data.frame.columns) == ["b", "c"] and data.freq == "MS"
    with pytest.raises(SeriesInputError, match="column 'z' not found; columns: date, a, b, c"):
        read_series(path, column="z")
    with pytest.raises(SeriesInputError, match="covariate column\\(s\\) q not found"):
        read_series(path, column="a", covariates=["q"])


def test_problems_are_one_clear_line(tmp_path):
    cases = [
        ("date,v\n2020-01-01,1\n2020-01-02,abc\n2020-01-03,3\n", "column 'v' has non-numeric values, e.g. 'abc' on line 3"),
        ("date,v\n2020-01-01,1\n2020-01-02,\n2020-01-03,3\n", "column 'v' has 1 missing value\\(s\\), the first at 2020-01-02; pass --fill"),
        ("date,v\n2020-01-01,1\n2020-01-02,2\n2020-01-05,3\n2020-01-06,4\n", "2 date\\(s\\) missing from the D series, the first 2020-01-03"),
        ("date,v\n2020-01-01,1\nnot a date,2\n2020-01-03,3\n", "cannot parse column 'date' as dates: 'not a date' on line 3"),
        ("date,v\n2020-01-01,1\n2020-01-01,2\n", "date 2020-01-01 appears more than once"),
        ("when,other,v\n2020-01-01,2020-01-02,1\n2020-01-02,2020-01-03,2\n", "several columns look like dates \\(when, other\\)"),
        ("", "cannot read .* as CSV"),
    ]
    for text, message in cases:
        with pytest.raises(SeriesInputError, match=message) as info:
            read_series(write(tmp_path, text))
        assert "\n" not in str(info.value)
    with pytest.raises(SeriesInputError, match="file not found: .*missing.csv"):
        read_series(str(tmp_path / "missing.csv"))


def test_fill_gaps_and_missing_values(tmp_path):
    path = write(tmp_path, "date,v\n2020-01-01,1\n2020-01-02,\n2020-01-03,3\n2020-01-05,7\n")
    data = read_series(path, fill="linear")
    assert data.frame["v"].tolist() == [1.0, 2.0, 3.0, 5.0, 7.0]  # a missing value and a missing date
    assert data.frame.index.freqstr == "D"
    assert read_series(path, fill="ffill").frame["v"].tolist() == [1.0, 1.0, 3.0, 3.0, 7.0]
    assert read_series(path, fill="zero").frame["v"].tolist() == [1.0, 0.0, 3.0, 0.0, 7.0]
    with pytest.raises(SeriesInputError, match="--fill must be one of linear, ffill, bfill, zero"):
        read_series(path, fill="spline")


def test_unsorted_dates_are_sorted_with_a_note(tmp_path):
    path = write(tmp_path, "date,v\n2020-03-01,3\n2020-01-01,1\n2020-02-01,2\n")
    data = read_series(path)
    assert data.frame["v"].tolist() == [1.0, 2.0, 3.0]
    assert any("sorted" in n for n in data.notes)
    assert isinstance(data.frame.index, pd.DatetimeIndex)
