"""Reading panels from CSV files: long (an id column) and wide (a column per series) (forecasting/panel_reading.py)."""

import numpy as np
import pandas as pd
import pytest

from lstmkit.forecasting.panel_reading import read_known, read_panel
from lstmkit.forecasting.reading import SeriesInputError


def _write(tmp_path, frame, name="panel.csv", sep=","):
    path = tmp_path / name
    frame.to_csv(path, index=False, sep=sep)
    return str(path)


def _long(n=10):
    dates = pd.date_range("2000-01-01", periods=n, freq="MS").strftime("%Y-%m-%d")
    return pd.concat([pd.DataFrame({"shop": k, "month": dates, "sales": np.arange(n) + 10.0 * i, "price": 1.0 + i})
                      for i, k in enumerate(["b", "a"])], ignore_index=True)


def test_long_panel_keeps_the_file_order_and_finds_the_columns(tmp_path):
    frame = _long().sample(frac=1.0, random_state=0)  # rows shuffled: each series is sorted by date
    data = read_panel(_write(tmp_path, frame, sep=";"), id_column="shop", covariates=["price"])
    assert data.id == "shop" and data.target == "sales" and data.date_column == "month" and data.freq == "MS"
    assert sorted(data.series) == ["a", "b"]
    b = data.series["b"]
    assert list(b.columns) == ["sales", "price"] and b.index.is_monotonic_increasing and len(b) == 10
    np.testing.assert_array_equal(b["sales"].to_numpy(), np.arange(10.0))


def test_wide_panel_series_of_different_lengths(tmp_path):
    dates = pd.date_range("2001-01-01", periods=6, freq="D").strftime("%Y-%m-%d")
    frame = pd.DataFrame({"day": dates, "north": [1.0, 2, 3, 4, 5, 6], "south": [np.nan, np.nan, 1, 2, 3, 4],
                          "label": list("abcdef")})
    data = read_panel(_write(tmp_path, frame), wide=True)
    assert list(data.series) == ["north", "south"] and data.id == "series" and data.target == "value"
    assert len(data.series["south"]) == 4 and data.freq == "D"
    assert any("label" in note for note in data.notes)


def test_problems_name_the_series(tmp_path):
    frame = _long()
    cases = [
        (dict(id_column="store"), frame, "id column 'store' not found; columns: shop, month, sales, price"),
        (dict(id_column="shop"), pd.concat([frame, frame.iloc[[3]]]), "series 'b': date 2000-04-01 .* more than once"),
        (dict(id_column="shop"), frame.drop(index=[4]), "series 'b': 1 date\\(s\\) missing from the MS dates, the "
                                                        "first 2000-05-01"),
        (dict(id_column="shop"), frame.assign(sales=frame.sales.where(frame.index != 14)),
         "series 'a': column 'sales' has 1 missing value\\(s\\), the first at 2000-05-01"),
        (dict(id_column="shop", wide=True), frame, "either long .* or wide"),
        (dict(wide=True, covariates=["price"]), frame, "--covariates need the long format"),
    ]
    for kwargs, data, message in cases:
        with pytest.raises(SeriesInputError, match=message):
            read_panel(_write(tmp_path, data), covariates=kwargs.pop("covariates", ["price"]), **kwargs)
    mixed = frame.copy()
    mixed.loc[mixed.shop == "a", "month"] = pd.date_range("2000-01-01", periods=10, freq="D").strftime("%Y-%m-%d")
    with pytest.raises(SeriesInputError, match="different frequencies"):
        read_panel(_write(tmp_path, mixed), id_column="shop", covariates=["price"])
    filled = read_panel(_write(tmp_path, frame.drop(index=[4])), id_column="shop", covariates=["price"], fill="linear")
    assert len(filled.series["b"]) == 10 and filled.series["b"]["sales"].iloc[4] == pytest.approx(4.0, abs=0.05)  # by time


def test_future_rows_give_only_the_known_columns(tmp_path):
    frame = _long(12)[lambda f: f.shop == "b"].drop(columns="shop")
    frame.loc[frame.index[-3:], "sales"] = np.nan  # the future: the price is known, the sales not
    data = read_known(_write(tmp_path, frame), future_covariates=["price"])
    assert data.target == "sales" and len(data.frame) == 12 and data.frame["sales"].isna().sum() == 3
    frame.loc[frame.index[-1], "price"] = np.nan
    with pytest.raises(SeriesInputError, match="future covariate 'price' is empty at 2000-12-01"):
        read_known(_write(tmp_path, frame), future_covariates=["price"])
    with pytest.raises(SeriesInputError, match="column 'sales' has 3 missing"):  # without future covariates
        read_known(_write(tmp_path, frame.assign(price=1.0)), covariates=["price"])
