"""Forecast metrics against hand computations."""

import math

import numpy as np
import pytest

from lstmkit.forecasting import mae, mape, mase, rmse, score_all, smape

Y = [100.0, 200.0, 300.0, 400.0]
F = [110.0, 190.0, 330.0, 400.0]  # errors 10, -10, 30, 0


def test_mae_rmse():
    assert mae(Y, F) == pytest.approx((10 + 10 + 30 + 0) / 4)
    assert rmse(Y, F) == pytest.approx(math.sqrt((100 + 100 + 900 + 0) / 4))


def test_mape_percent():
    assert mape(Y, F) == pytest.approx(100 * (10 / 100 + 10 / 200 + 30 / 300 + 0) / 4)
    assert math.isnan(mape([0.0, 1.0], [1.0, 1.0]))  # undefined with a zero actual


def test_smape_percent():
    expected = 100 * (20 / 210 + 20 / 390 + 60 / 630 + 0) / 4
    assert smape(Y, F) == pytest.approx(expected)
    assert smape([0.0, 2.0], [0.0, 2.0]) == 0.0  # 0/0 terms count as 0
    assert smape([1.0], [-1.0]) == pytest.approx(200.0)


def test_mase_scaled_by_in_sample_seasonal_naive():
    train = [1.0, 3.0, 2.0, 5.0, 4.0, 7.0]
    # m = 1: mean |diff| = (2 + 1 + 3 + 1 + 3) / 5 = 2
    assert mase(Y, F, train) == pytest.approx(12.5 / 2.0)
    # m = 2: |2-1|, |5-3|, |4-2|, |7-5| -> mean 1.75
    assert mase(Y, F, train, season=2) == pytest.approx(12.5 / 1.75)
    assert math.isnan(mase(Y, F, [5.0, 5.0, 5.0]))  # constant history: no scale
    with pytest.raises(ValueError, match="more than season=6"):
        mase(Y, F, train, season=6)


def test_score_all_and_shape_checks():
    scores = score_all(Y, F, [1.0, 3.0, 2.0, 5.0, 4.0, 7.0], season=1)
    assert list(scores) == ["MAE", "RMSE", "MAPE", "sMAPE", "MASE"]
    assert scores["MASE"] == pytest.approx(6.25)
    assert mae(np.array([[1.0, 2.0]]), np.array([1.0, 4.0])) == 1.0  # same number of values is enough
    with pytest.raises(ValueError, match="same number of values; received 2 and 3"):
        mae([1.0, 2.0], [1.0, 2.0, 3.0])
