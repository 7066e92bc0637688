"""Baselines against hand computations."""

import numpy as np
import pytest

from lstmkit.forecasting import drift, naive, seasonal_naive

HISTORY = [5.0, 1.0, 2.0, 3.0, 4.0, 9.0, 6.0]


def test_naive_repeats_the_last_value():
    np.testing.assert_array_equal(naive(HISTORY, 3), [6.0, 6.0, 6.0])


def test_seasonal_naive_repeats_the_last_season():
    # season 3: the last season is [4, 9, 6]; 5 steps -> 4, 9, 6, 4, 9
    np.testing.assert_array_equal(seasonal_naive(HISTORY, 5, 3), [4.0, 9.0, 6.0, 4.0, 9.0])
    np.testing.assert_array_equal(seasonal_naive(HISTORY, 2, 1), [6.0, 6.0])  # season 1 is naive
    with pytest.raises(ValueError, match="at least 12 values"):
        seasonal_naive(HISTORY, 2, 12)


def test_drift_extends_the_first_to_last_line():
    # slope = (6 - 5) / 6
    np.testing.assert_allclose(drift(HISTORY, 3), [6 + 1 / 6, 6 + 2 / 6, 6 + 3 / 6])
    np.testing.assert_allclose(drift([0.0, 10.0], 2), [20.0, 30.0])


def test_horizon_checked():
    with pytest.raises(ValueError, match="`horizon` must be an integer >= 1; received 0"):
        naive(HISTORY, 0)
