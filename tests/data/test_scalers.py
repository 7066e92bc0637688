"""Scalers against hand computations; constant columns; duck-typed scalers."""

import numpy as np
import pandas as pd
import pytest

from lstmkit.data import MinMaxScaler, StandardScaler, get_scaler

DATA = np.array([[1.0, 10.0, 5.0],
                 [3.0, 30.0, 5.0],
                 [5.0, 20.0, 5.0]])


def test_minmax_by_hand():
    scaler = MinMaxScaler().fit(DATA)
    expected = np.array([[0.0, 0.0, 0.0],
                         [0.5, 1.0, 0.0],
                         [1.0, 0.5, 0.0]])  # constant column -> the range's lower end, no NaN
    np.testing.assert_allclose(scaler.transform(DATA), expected)
    np.testing.assert_allclose(scaler.inverse_transform(expected), DATA)
    # A value outside the training range maps linearly outside (0, 1).
    np.testing.assert_allclose(scaler.transform([[9.0, 40.0, 6.0]]), [[2.0, 1.5, 1.0]])


def test_minmax_feature_range_by_hand():
    scaler = MinMaxScaler(feature_range=(-1, 1)).fit(DATA)
    np.testing.assert_allclose(scaler.transform(DATA)[:, 0], [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(scaler.transform(DATA)[:, 2], [-1.0, -1.0, -1.0])
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(DATA)), DATA)


def test_standard_by_hand():
    scaler = StandardScaler().fit(DATA)
    mean = np.array([3.0, 20.0, 5.0])
    std = np.array([np.sqrt(8 / 3), np.sqrt(200 / 3), 1.0])  # population std; constant column -> 1
    np.testing.assert_allclose(scaler.transform(DATA), (DATA - mean) / std)
    assert np.all(scaler.transform(DATA)[:, 2] == 0.0)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(DATA)), DATA)


def test_one_dimensional_and_pandas_inputs():
    s = pd.Series([2.0, 4.0, 6.0])
    scaler = MinMaxScaler()
    out = scaler.fit_transform(s)
    assert out.shape == (3,)
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(scaler.inverse_transform(out), s.to_numpy())
    frame = pd.DataFrame(DATA, columns=list("abc"))
    np.testing.assert_allclose(StandardScaler().fit_transform(frame), StandardScaler().fit_transform(DATA))


def test_scaler_errors():
    with pytest.raises(ValueError, match="before fit"):
        MinMaxScaler().transform(DATA)
    with pytest.raises(ValueError, match="fitted on 3 columns; transform\\(\\) received 2"):
        MinMaxScaler().fit(DATA).transform(DATA[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        StandardScaler().fit([[1.0], [np.nan]])
    with pytest.raises(ValueError, match="feature_range"):
        MinMaxScaler(feature_range=(1, 0))


def test_get_scaler_names_and_duck_typing():
    assert isinstance(get_scaler("minmax"), MinMaxScaler)
    assert isinstance(get_scaler("standard"), StandardScaler)
    assert get_scaler(None) is None

    class Log:  # any object with fit/transform/inverse_transform is a scaler
        def fit(self, x):
            return self

        def transform(self, x):
            return np.log(x)

        def inverse_transform(self, x):
            return np.exp(x)

    log = Log()
    assert get_scaler(log) is log
    with pytest.raises(ValueError, match="one of \\['minmax', 'standard'\\]"):
        get_scaler("robust")

    class Half:
        def fit(self, x):
            return self

    with pytest.raises(ValueError, match="lacks transform, inverse_transform"):
        get_scaler(Half())
