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


# --- hostile and real-world files ([reliability] issues 15 and 19) ---

def test_infinite_values_name_the_column_and_the_line(tmp_path):
    for cell, shown in (("inf", "inf"), ("-inf", "-inf"), ("Infinity", "inf")):
        path = write(tmp_path, f"date,v,w\n2020-01-01,1,1\n2020-01-02,2,2\n2020-01-03,3,{cell}\n")
        with pytest.raises(SeriesInputError, match=f"column 'w' has 1 infinite value\\(s\\), the first {shown} "
                                                   "on line 4: every value must be a finite number"):
            read_series(path, column="v", covariates=["w"])
    # A NaN cell is a missing value, reported with its date.
    path = write(tmp_path, "date,v\n2020-01-01,1\n2020-01-02,NaN\n2020-01-03,3\n")
    with pytest.raises(SeriesInputError, match="column 'v' has 1 missing value\\(s\\), the first at 2020-01-02"):
        read_series(path)


@pytest.mark.parametrize("sep, name", [(";", "semicolon"), ("\t", "tab"), ("|", "bar")])
def test_the_delimiter_is_found(tmp_path, sep, name):
    rows = "".join(f"2020-01-{d:02d}{sep}{d * 1.5}\n" for d in range(1, 11))
    data = read_series(write(tmp_path, f"date{sep}value\n{rows}"))
    assert (data.target, data.date_column, data.freq) == ("value", "date", "D")
    assert data.frame["value"].tolist() == [d * 1.5 for d in range(1, 11)]
    assert data.notes == [f"columns separated by {name}s"]
    # A comma file whose text has semicolons in it stays a comma file.
    data = read_series(write(tmp_path, "date,value,comment\n" + "".join(
        f"2020-01-{d:02d},{d},\"a; b; c\"\n" for d in range(1, 6)), name="comma.csv"), column="value")
    assert data.date_column == "date" and data.notes == []


def test_mixed_date_formats_are_read_with_a_note(tmp_path):
    dates = [f"2020-01-{d:02d}" for d in range(1, 9)] + ["01/09/2020", "Jan 10 2020"]
    path = write(tmp_path, "date,v\n" + "".join(f"{d},{i}\n" for i, d in enumerate(dates)))
    data = read_series(path)
    assert data.date_column == "date" and data.freq == "D"
    assert data.frame.index[-1] == pd.Timestamp("2020-01-10")
    assert len(data.notes) == 2 and data.notes[0].startswith(
        "column 'date' mixes date formats: 2 of 10 rows are not in the first row's format (the first '01/09/2020' "
        "on line 10)")
    # 01/09/2020 reads both ways: January 9 keeps the dates regular, and the note says so.
    assert data.notes[1] == ("column 'date' has dates such as '01/09/2020' on line 10 that read as day/month or "
                             "month/day: read as month/day (the reading under which they are regular dates in order); "
                             "pass --dayfirst for the other reading")


def test_a_column_that_is_nearly_dates_is_not_dropped_silently(tmp_path):
    # Not named like a date, a third of its cells not dates: not used, and the note says why.
    stamps = ["2020-01-01", "2020-01-02", "later", "2020-01-04", "soon", "2020-01-06"]
    data = read_series(write(tmp_path, "stamp,v\n" + "".join(f"{s},{i}\n" for i, s in enumerate(stamps))))
    assert data.date_column is None
    assert data.notes == ["column 'stamp' was not used as the date column: 2 of its 6 values are not dates (the first "
                          "'later' on line 4); rows are numbered 0, 1, ... (name it with --date-column to see every "
                          "problem)"]


def test_only_regular_files_are_read(tmp_path):
    import os
    import signal

    with pytest.raises(SeriesInputError, match="is a directory, not a CSV file"):
        read_series(str(tmp_path))
    with pytest.raises(SeriesInputError, match="^/dev/zero is a character device, not a regular file; give a CSV"):
        read_series("/dev/zero")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)

    def hung(signum, frame):
        raise TimeoutError("read_series blocked on a named pipe")

    # An alarm, so that reading the pipe, should it block, fails the test instead of hanging it.
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        with pytest.raises(SeriesInputError) as info:
            read_series(str(fifo))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert str(info.value) == f"{fifo} is a named pipe, not a regular file; give a CSV file"


def test_an_unreadable_file_is_one_clear_error(tmp_path, monkeypatch):
    import os

    path = write(tmp_path, "date,v\n2020-01-01,1\n")
    os.chmod(path, 0)
    if os.access(path, os.R_OK):  # root reads it anyway: make the open fail as it would for anyone else
        real_open = os.open

        def refuse(name, *args, **kwargs):
            if os.fspath(name) == path:
                raise PermissionError(13, "Permission denied", name)
            return real_open(name, *args, **kwargs)

        monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(SeriesInputError, match=f"^cannot read {path}: permission denied$"):
        read_series(path)


def test_a_large_file_is_read_in_seconds_with_progress(tmp_path):
    """200,000 minutely rows (the issue's 200 MB file, scaled down): read, dated and season-searched."""
    import time

    from lstmkit.forecasting.series import infer_season

    n = 200_000
    minutes = np.arange(n)
    values = np.sin(2 * np.pi * minutes / 60) + 0.001 * np.random.default_rng(0).normal(size=n)
    frame = pd.DataFrame({"time": pd.date_range("2020-01-01", periods=n, freq="min"), "load": values.round(5)})
    path = tmp_path / "minutely.csv"
    frame.to_csv(path, index=False)
    lines = []
    start = time.perf_counter()
    data = read_series(str(path), log=lines.append)
    season, reason = infer_season(data.frame.index, data.frame["load"].to_numpy())
    elapsed = time.perf_counter() - start
    assert data.freq == "min" and len(data.frame) == n
    assert season == 60 and "autocorrelation" in reason
    assert lines == ["Finding the date and value columns in 200,000 rows, reading the dates...",
                     "Checking the frequency of the dates..."]
    assert elapsed < 20, elapsed  # a few seconds; the quadratic season search took minutes


def test_irregular_times_never_build_a_grid_much_longer_than_the_series(tmp_path, monkeypatch):
    from lstmkit.forecasting import reading

    n = 20_000
    index = pd.date_range("2020-01-01", periods=n, freq="min")
    index = index[:-1].append(pd.DatetimeIndex([index[-1] + pd.Timedelta(seconds=30)]))  # one stamp off the grid
    built = []
    real = pd.date_range

    def recording(*args, **kwargs):
        grid = real(*args, **kwargs)
        built.append(len(grid))
        return grid

    monkeypatch.setattr(pd, "date_range", recording)
    assert reading.regular_frequency(index) == (None, None)
    assert max(built, default=0) <= 2 * n  # the one-second grid (60 x n dates) is not made to be rejected


# --- [forecasting at scale] issue 16, item 6: headers, day/month order, mid-period dates ---

def test_a_file_without_a_header_row_loses_no_row(tmp_path):
    data = read_series(write(tmp_path, "".join(f"2020-01-{d:02d},{d * 1.5}\n" for d in range(1, 11))))
    assert (data.date_column, data.target, data.freq, len(data.frame)) == ("column_1", "column_2", "D", 10)
    assert data.frame["column_2"].iloc[0] == 1.5  # the first line is a row, not the column names
    assert data.notes == ["the first line holds values, not column names: read as data, columns named "
                          "column_1, column_2"]
    data = read_series(write(tmp_path, "3\n1\n2\n4\n", name="values.csv"))
    assert data.frame["column_1"].tolist() == [3.0, 1.0, 2.0, 4.0]
    # Line numbers count from the first line when it is data.
    with pytest.raises(SeriesInputError, match="'x' on line 2$"):
        read_series(write(tmp_path, "2020-01-01,1\n2020-01-02,x\n", name="bad.csv"))
    # Names that contain digits, and a saved index's empty name, are still a header.
    for text in ("t1,v2\n1,2\n3,4\n5,6\n", ",0\n1821,269\n1822,321\n1823,585\n"):  # (t1 reads as a date to dateutil)
        data = read_series(write(tmp_path, text, name="h.csv"), column="v2" if text[0] == "t" else None)
        assert not any("first line" in n for n in data.notes) and len(data.frame) == 3


def dmy(tmp_path, dates, name="dmy.csv"):
    return write(tmp_path, "date,v\n" + "".join(f"{d:%d/%m/%Y},{i}\n" for i, d in enumerate(dates)), name=name)


def test_day_first_dates_are_read_day_first(tmp_path):
    days = pd.date_range("2020-01-01", periods=40, freq="D")
    path = dmy(tmp_path, days)
    data = read_series(path)  # 13/01/2020 decides it: no note needed
    assert data.frame.index.equals(days.rename("date")) and data.freq == "D" and data.notes == []
    with pytest.raises(SeriesInputError, match="^--no-dayfirst does not fit column 'date': '13/01/2020' on line 14 "
                                               "can only be day first$"):
        read_series(path, dayfirst=False)
    text = "date,v\n13/01/2020,1\n01/13/2020,2\n01/14/2020,3\n"
    with pytest.raises(SeriesInputError, match="mixes day/month and month/day dates: '13/01/2020' on line 2"):
        read_series(write(tmp_path, text))


def test_ambiguous_day_month_dates_say_which_reading_was_taken(tmp_path):
    months = pd.date_range("2020-01-01", periods=30, freq="MS")  # 01/02/2020 is February 1 or January 2
    path = dmy(tmp_path, months)
    data = read_series(path)
    assert data.frame.index.equals(months.rename("date")) and data.freq == "MS"
    assert data.notes == ["column 'date' has dates such as '01/01/2020' on line 2 that read as day/month or "
                          "month/day: read as day/month (the reading under which they are regular dates in order); "
                          "pass --no-dayfirst for the other reading"]
    data = read_series(path, dayfirst=False)
    assert data.frame.index[1] == pd.Timestamp("2020-01-02")
    assert data.notes[0].endswith("read as month/day, as --no-dayfirst says")
    # ISO dates are never read day first (pandas' dayfirst would read 2020-01-02 as February 1).
    iso = write(tmp_path, "date,v\n" + "".join(f"{d:%Y-%m-%d},{i}\n" for i, d in enumerate(months)), name="iso.csv")
    data = read_series(iso, dayfirst=True)
    assert data.frame.index.equals(months.rename("date"))
    assert data.notes == ["--dayfirst changed nothing: column 'date' has no dates written NN/NN/YYYY"]


def test_mid_period_dates_snap_to_a_regular_frequency(tmp_path):
    mid = [pd.Timestamp(y, m, (15, 14, 16, 15)[m % 4]) for y in (2020, 2021, 2022) for m in range(1, 13)]
    data = read_series(write(tmp_path, "date,v\n" + "".join(f"{d:%Y-%m-%d},{i}\n" for i, d in enumerate(mid))))
    assert data.freq == "MS" and data.frame.index[0] == pd.Timestamp("2020-01-01") and len(data.frame) == 36
    assert data.notes == ["one date per month, not at a fixed point in it (e.g. 2020-01-14): 36 of 36 dates moved "
                          "to the start of their month; frequency MS"]
    weeks = [pd.Timestamp("2020-01-06") + pd.Timedelta(days=7 * i + i % 3) for i in range(30)]
    data = read_series(write(tmp_path, "date,v\n" + "".join(f"{d:%Y-%m-%d},{i}\n" for i, d in enumerate(weeks)),
                             name="weeks.csv"))
    assert data.freq == "W-MON" and data.frame.index[1] == pd.Timestamp("2020-01-13")
    # Two dates in one month, or many months without one, are not snapped: irregular, as before.
    sparse = mid[:10] + [mid[9] + pd.Timedelta(days=3)] + mid[20:]
    data = read_series(write(tmp_path, "date,v\n" + "".join(f"{d:%Y-%m-%d},{i}\n" for i, d in enumerate(sparse)),
                             name="sparse.csv"))
    assert data.freq is None and any("irregular" in n for n in data.notes)


@pytest.mark.parametrize("header", [True, False])
def test_text_columns_keep_ids_that_look_like_numbers(tmp_path, header):
    # '007' and '07' are two series; read as numbers both would be 7 and merge.
    from lstmkit.forecasting.reading import _read_frame

    rows = "007;2024-01-01;1.5\n07;2024-01-01;2.5\n1e3;2024-01-01;3\n3.0;2024-01-01;4\n"
    path = tmp_path / "ids.csv"
    path.write_text(("series;date;value\n" if header else "") + rows)
    name = "series" if header else "column_1"
    frame, first, _ = _read_frame(path, text=(name,))
    assert list(frame[name]) == ["007", "07", "1e3", "3.0"]
    assert frame[frame.columns[2]].tolist() == [1.5, 2.5, 3.0, 4.0]  # other columns still numbers
    assert first == (2 if header else 1)
    assert _read_frame(path)[0][name].tolist() == [7.0, 7.0, 1000.0, 3.0]  # why `text` exists
