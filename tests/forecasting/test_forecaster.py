"""Forecaster: no look-ahead in scaling, forecasts recomputed by hand from the trained network,
backtests against hand-computed baselines. Tiny networks and few epochs: behaviour, not accuracy."""

import numpy as np
import pandas as pd
import pytest

from lstmkit.data import MinMaxScaler, load_dataset
from lstmkit.forecasting import Forecaster, drift, fold_origins, mae, mase, naive, seasonal_naive

TINY = dict(units=4, epochs=3, batch_size=32, seed=0)


class SpyScaler(MinMaxScaler):
    """Records what every copy of it was fitted on (the Forecaster fits deep copies)."""

    fitted = []

    def fit(self, data, y=None):
        SpyScaler.fitted.append(np.array(data, dtype=float))
        return super().fit(data)


@pytest.fixture(scope="module")
def series():
    return load_dataset("airline")


@pytest.fixture(scope="module")
def fitted(series):
    SpyScaler.fitted.clear()
    f = Forecaster("lstm", window=12, horizon=6, scaler=SpyScaler(), **TINY).fit(series)
    return f, list(SpyScaler.fitted)


def test_scaler_fitted_on_training_rows_only(series, fitted):
    f, seen = fitted
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0][:, 0], series.to_numpy()[:f.train_rows_])
    assert f.train_rows_ < len(series) - f.horizon_  # a validation part exists after it


def test_validation_rows_do_not_influence_scaling_or_training(series, fitted):
    f, _ = fitted
    changed = series.copy()
    changed.iloc[f.train_rows_:] *= 10.0  # only the validation part differs
    g = Forecaster("lstm", window=12, horizon=6, scaler=SpyScaler(), **TINY).fit(changed)
    np.testing.assert_array_equal(g.scaler_.scale_, f.scaler_.scale_)
    np.testing.assert_array_equal(g.scaler_.offset_, f.scaler_.offset_)
    np.testing.assert_allclose(g.history_["loss"], f.history_["loss"], rtol=1e-6)  # same training windows
    assert not np.allclose(g.history_["val_loss"], f.history_["val_loss"])


def test_predict_recomputed_by_hand(series, fitted):
    f, _ = fitted
    forecast = f.predict()
    assert list(forecast.index.strftime("%Y-%m")) == ["1961-01", "1961-02", "1961-03", "1961-04", "1961-05",
                                                      "1961-06"]
    lo, hi = series.iloc[:f.train_rows_].min(), series.iloc[:f.train_rows_].max()
    scaled = (series.to_numpy()[-12:] - lo) / (hi - lo)
    x = (scaled - scaled[-1]).astype(np.float32).reshape(1, 12, 1)  # relative to the window's last value
    out = np.asarray(f.model_.predict(x, verbose=0))[0] + scaled[-1]
    np.testing.assert_allclose(forecast.to_numpy(), out * (hi - lo) + lo, rtol=1e-5)
    pd.testing.assert_series_equal(f.predict(series), forecast)  # from explicit data: the same window


def test_recursive_strategy_feeds_predictions_back(series):
    f = Forecaster("gru", window=12, horizon=3, strategy="recursive", scaler="standard", **TINY).fit(series)
    assert f.model_.output_shape == (None, 1)
    mean, std = series.iloc[:f.train_rows_].mean(), series.iloc[:f.train_rows_].std(ddof=0)
    hist = list((series.to_numpy()[-12:] - mean) / std)
    for _ in range(3):
        w = np.array(hist[-12:])
        step = float(np.asarray(f.model_.predict((w - w[-1]).astype(np.float32).reshape(1, 12, 1), verbose=0))[0, 0])
        hist.append(step + w[-1])
    np.testing.assert_allclose(f.predict().to_numpy(), np.array(hist[-3:]) * std + mean, rtol=1e-5)


def test_encoder_decoder_and_covariates(series):
    frame = pd.DataFrame({"y": series, "month": series.index.month.astype(float)})
    f = Forecaster("encoder_decoder", window=12, horizon=4, **TINY).fit(frame, target="y", covariates=["month"])
    assert f.model_.output_shape == (None, 4, 1) and f.model_.input_shape == (None, 12, 2)
    assert f.covariate_scaler_.data_max_[0] == 12.0
    out = f.predict()
    assert out.name == "y" and len(out) == 4 and np.isfinite(out).all()
    with pytest.raises(ValueError, match="strategy='recursive' would need future covariate values"):
        Forecaster(strategy="recursive", window=12, horizon=4, **TINY).fit(frame, target="y", covariates=["month"])


def test_backtest_against_hand_computed_baselines_without_look_ahead(series):
    small = series.iloc[:72]
    SpyScaler.fitted.clear()
    result = Forecaster("lstm", window=12, horizon=6, scaler=SpyScaler(), **TINY).backtest(small, folds=2)
    origins = fold_origins(72, 6, 2)
    assert origins == [60, 66] and len(result.histories) == 2
    y = small.to_numpy()
    for k, (origin, seen) in enumerate(zip(origins, SpyScaler.fitted), start=1):
        assert len(seen) < origin  # each fold's scaler saw only rows before its origin (and its validation part)
        np.testing.assert_array_equal(seen[:, 0], y[:len(seen)])
        rows = result.forecasts[result.forecasts["fold"] == k]
        np.testing.assert_array_equal(rows["actual"], y[origin:origin + 6])
        assert list(rows["time"]) == list(small.index[origin:origin + 6])
        assert rows["origin"].iloc[0] == small.index[origin - 1]
        np.testing.assert_allclose(rows["naive"], np.full(6, y[origin - 1]))
        np.testing.assert_allclose(rows["seasonal_naive"], y[origin - 12:origin - 6])
        slope = (y[origin - 1] - y[0]) / (origin - 1)
        np.testing.assert_allclose(rows["drift"], y[origin - 1] + slope * np.arange(1, 7))
        scores = result.fold_scores[result.fold_scores["fold"] == k].set_index("forecaster")
        m = np.mean(np.abs(y[12:origin] - y[:origin - 12]))
        assert scores.loc["lstmkit", "MASE"] == pytest.approx(np.mean(np.abs(rows["lstmkit"] - rows["actual"])) / m)
        assert scores.loc["naive", "MAE"] == pytest.approx(mae(y[origin:origin + 6], naive(y[:origin], 6)))
    assert len(SpyScaler.fitted) == 2
    assert result.scores.loc["drift", "MASE"] == pytest.approx(np.mean(
        [mase(y[o:o + 6], drift(y[:o], 6), y[:o], 12) for o in origins]))
    assert list(result.scores.index) == ["lstmkit", "naive", "seasonal_naive", "drift"]
    np.testing.assert_allclose(seasonal_naive(y[:60], 6, 12), y[48:54])
    once = Forecaster("lstm", window=12, horizon=6, **TINY).backtest(small, folds=2, refit=False)
    assert len(once.histories) == 1  # trained once, before the first origin
    assert once.forecasts["naive"].tolist() == result.forecasts["naive"].tolist()


def test_user_compiled_model_restarts_from_its_weights(series):
    from lstmkit.layers import LSTM, Dense, Input
    from lstmkit.models import Sequential

    model = Sequential([Input((12, 1)), LSTM(3), Dense(6)])
    model.compile(optimizer="adam", loss="mse")
    start = [w.copy() for w in model.get_weights()]
    f = Forecaster(model, epochs=2, seed=0).fit(series)
    assert (f.window_, f.horizon_) == (12, 6)
    first = f.predict().to_numpy()
    assert not all(np.array_equal(a, b) for a, b in zip(model.get_weights(), start))  # it trained
    second = f.fit(series).predict().to_numpy()
    np.testing.assert_allclose(second, first, rtol=1e-6)
    with pytest.raises(ValueError, match="`window`=24 does not match the model's input of 12 timesteps"):
        Forecaster(model, window=24).fit(series)


def test_bad_arguments_and_data(series):
    with pytest.raises(ValueError, match="`model` must be one of"):
        Forecaster("transformer")
    with pytest.raises(ValueError, match="`strategy` must be one of"):
        Forecaster(strategy="both")
    with pytest.raises(ValueError, match="early_stopping=True needs validation_split > 0"):
        Forecaster(validation_split=0)
    with pytest.raises(ValueError, match="`units` must be an integer >= 1; received 0"):
        Forecaster(units=0)
    with pytest.raises(ValueError, match="not fitted yet"):
        Forecaster().predict()
    with pytest.raises(ValueError, match="constant"):
        Forecaster(**TINY).fit(pd.Series(np.full(50, 3.0)))
    # 24 rows: 7 windows, the last 1 (targets in rows 18..23) validates, the first (targets 12..17) trains.
    with pytest.raises(ValueError, match="has 23 rows; window=12 and horizon=6 need at least 24 \\(training and"):
        Forecaster(window=12, horizon=6, **TINY).fit(series.iloc[:23])
    assert Forecaster(window=12, horizon=6).min_rows() == 24


def test_max_windows_trains_on_the_latest_windows_only(series):
    # 144 rows, window 12, horizon 6: 127 windows; 40 kept: 6 validate (15 %), the latest 34 before them train.
    f = Forecaster(window=12, horizon=6, max_windows=40, **TINY)
    job = f._prepare_fit(series)
    assert f.windows_used_ == (40, 127)
    assert job.x.shape[0] == 34 and job.fit_args["validation_data"][0].shape[0] == 6
    assert f.train_rows_ == 144 - (6 + 6 - 1)  # the scalers still see every training row
    unscaled = Forecaster(window=12, horizon=6, max_windows=40, scaler=None, relative=False, **TINY)
    x = unscaled._prepare_fit(series).x
    values = series.to_numpy(dtype=np.float32)
    last_train_start = unscaled.train_rows_ - 12 - 6  # the last window whose targets end at train_rows_
    np.testing.assert_array_equal(x[-1, :, 0], values[last_train_start:last_train_start + 12])
    np.testing.assert_array_equal(x[0, :, 0], values[last_train_start - 33:last_train_start - 33 + 12])
    assert Forecaster(window=12, horizon=6, **TINY)._prepare_fit(series).x.shape[0] > 34
    assert f.clone().max_windows == 40 and f.get_params()["max_windows"] == 40
    with pytest.raises(ValueError, match="`max_windows` must be an integer >= 2; received 1"):
        Forecaster(max_windows=1)
