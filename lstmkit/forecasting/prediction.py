"""The forecasting half of `Forecaster`: from fitted windows to forecasts in the data's units.

`Forecaster` inherits `Prediction`; the methods read the attributes `Forecaster.fit` sets (the model,
the scalers, the layout of the input columns, the last window and the known-future inputs after it).
"""

from __future__ import annotations

import numpy as np

from lstmkit.forecasting.series import future_index

__all__ = ["Prediction"]


class Prediction:
    """predict, predict_windows and forecast_at of a fitted `Forecaster` (and, with quantiles,
    predict_quantile_windows and quantiles_at)."""

    def _require_fit(self):
        if self.model_ is None:
            if getattr(self, "panel_", None) is not None:
                raise ValueError("This Forecaster was fitted on a panel (fit(frame, id=...)): use predict(), or the "
                                 "forecaster of each series in panel_.forecasters_.")
            raise ValueError("This Forecaster is not fitted yet; call fit(data) first.")

    def predict_windows(self, windows, future=None) -> np.ndarray:
        """Forecasts (samples, horizon), in the data's units, from raw (unscaled) windows of
        shape (samples, window, features): the target in column 0, then the past covariates, then the
        known-future inputs led by the span (`known_future`). The recursive strategy with known-future
        inputs also needs `future` (samples, horizon - 1, known inputs): those of the rows after the window.
        With quantiles: the 0.5 quantile's forecasts."""
        out = self._outputs(windows, future)
        levels = getattr(self, "_levels", None)
        return out[..., levels.index(0.5)] if levels else out

    def predict_quantile_windows(self, windows) -> np.ndarray:
        """Quantile forecasts (samples, horizon, levels), in the data's units and sorted along the last
        axis, from raw windows as `predict_windows` takes them; `quantile_levels` names the levels."""
        if not getattr(self, "_levels", None):
            raise ValueError("predict_quantile_windows() needs a Forecaster made with quantiles=...; "
                             "this one has none.")
        return self._outputs(windows)

    def _outputs(self, windows, future=None) -> np.ndarray:
        """The network's forecasts in the data's units: (samples, horizon), or (samples, horizon, levels)
        with quantiles (sorted per step: the monotone rearrangement of crossed quantiles)."""
        self._require_fit()
        raw = np.asarray(windows, dtype=np.float64)
        if raw.ndim != 3 or raw.shape[1:] != (self.window_, self.n_features_):
            raise ValueError(f"`windows` must have shape (samples, {self.window_}, {self.n_features_}); "
                             f"received {raw.shape}.")
        b = raw.shape[0]
        xs = self._transform(raw.reshape(-1, self.n_features_)).reshape(raw.shape)
        known = self.n_features_ - self._groups[0]
        if self.strategy == "recursive" and known:
            future = np.asarray(future, dtype=np.float64) if future is not None else None
            if future is None or future.shape != (b, self.horizon_ - 1, known):
                raise ValueError(f"`future` must have shape ({b}, {self.horizon_ - 1}, {known}): the known-future "
                                 f"inputs of the rows after each window; received "
                                 f"{None if future is None else future.shape}.")
            rows = np.concatenate([np.zeros(future.shape[:2] + (self._groups[0],)), future], axis=2)
            future = self._transform(rows.reshape(-1, self.n_features_)).reshape(rows.shape)[:, :, self._groups[0]:]
        if self.strategy == "direct":
            x, _ = self._relative(xs, np.zeros((b, self.horizon_)))
            base = xs[:, -1, 0] if self.relative else np.zeros(b)
            shape = (b, self.horizon_) + ((len(self._levels),) if getattr(self, "_levels", None) else ())
            pred = np.asarray(self.model_.predict(x, verbose=0), dtype=np.float64).reshape(shape)
            pred = pred + base.reshape((b,) + (1,) * (len(shape) - 1))  # every quantile moves with the window
        else:
            hist, steps = xs.copy(), []
            for h in range(self.horizon_):
                x, _ = self._relative(hist, np.zeros((b, 1)))
                base = hist[:, -1, 0] if self.relative else np.zeros(b)
                step = np.asarray(self.model_.predict(x, verbose=0), dtype=np.float64).reshape(b) + base
                steps.append(step)
                if h + 1 < self.horizon_:
                    new = np.zeros((b, 1, self.n_features_))
                    new[:, 0, 0] = step
                    if known:
                        new[:, 0, self._groups[0]:] = future[:, h]
                    hist = np.concatenate([hist[:, 1:], new], axis=1)
            pred = np.stack(steps, axis=1)
        # The scalers are monotone, so each quantile maps to the same quantile in the data's units.
        out = self.scaler_.inverse_transform(pred.reshape(-1, 1)).reshape(pred.shape)
        return np.sort(out, axis=-1) if out.ndim == 3 else out

    def predict(self, data=None, intervals=None):
        """The next `horizon` values after `data` (default: after the data given to `fit`), as a
        pandas Series indexed by the future dates (or steps). `data` must have the fitted
        columns; only its last `window` rows are used and nothing is refitted. With
        `future_covariates`, `data` (or the data given to `fit`) runs on `horizon` rows past its
        last target value, giving those columns' values for the forecast steps (the target empty there).

        intervals: a `BacktestResult` (or its `.intervals`) of this forecaster's settings: the result
        is then a DataFrame with the `forecast` and `lower_<level>` / `upper_<level>` columns of its
        conformal intervals (see `lstmkit.forecasting.intervals`).

        With `quantiles`, a DataFrame: `forecast` (the 0.5 quantile) and a column per level, ``q0.1``,
        ``q0.5``, ... (sorted per step), then the intervals' bounds when `intervals` is given."""
        import pandas as pd

        if getattr(self, "panel_", None) is not None:  # fitted by fit(frame, id=...)
            from lstmkit.forecasting.panel_entry import predict_panel

            return predict_panel(self, data, intervals)
        if intervals is not None:
            conformal = getattr(intervals, "intervals", intervals)
            from lstmkit.forecasting.intervals import ConformalIntervals

            if not isinstance(conformal, ConformalIntervals):
                raise ValueError("predict(intervals=...) takes a BacktestResult (backtest(..., intervals=levels)) or "
                                 f"its ConformalIntervals; received {type(intervals).__name__}.")
            point = self.predict(data)
            width = len(next(iter(conformal.halfwidths.values())))
            if width < len(point):
                raise ValueError(f"predict(intervals=...): the intervals cover {width} steps; this forecaster "
                                 f"forecasts {len(point)}. Calibrate them with a backtest of the same horizon.")
            if isinstance(point, pd.DataFrame):  # with quantiles: forecast and q columns, then the bounds
                return point.assign(**conformal.bounds(point["forecast"].to_numpy()))
            return pd.DataFrame({"forecast": point.to_numpy(), **conformal.bounds(point.to_numpy())},
                                index=point.index)

        self._require_fit()
        if data is None:
            tail, index, after, future_rows = self._tail, self._index, self._after, self._future_rows
        else:
            values, index, _, known = self._read(data, self.target_, self.covariates_ or None)
            if values.shape[0] < self.window_:
                raise ValueError(f"`data` has {values.shape[0]} rows; forecasting needs the last window={self.window_}.")
            after, future_rows = None, 0
            if known is not None:
                span = self.horizon_ if self.strategy == "direct" else 1
                led = known.led(span, values.shape[0] + self.horizon_ - 1)
                values, after = np.concatenate([values, led[:len(values)]], axis=1), led[len(values):]
                future_rows = known.future_rows
            tail = values[-self.window_:]
        if self.n_features_ > self._groups[0]:
            needed = tail[:, self._groups[0]:] if self.strategy == "direct" else np.concatenate(
                [tail[:, self._groups[0]:], after])
            if not np.isfinite(needed).all():
                names = self.future_covariates
                raise ValueError(f"The future covariates {names} must have values for horizon={self.horizon_} rows "
                                 f"past the last target value ({index[-1]}); the data has {future_rows} such "
                                 f"row(s): {self.horizon_ - future_rows} missing. Add rows after the history with "
                                 "the target left empty and these columns filled.")
        when = future_index(index, self.horizon_)
        if getattr(self, "_levels", None):
            from lstmkit.forecasting.quantiles import column_name

            quant = self.predict_quantile_windows(tail[None])[0]
            frame = pd.DataFrame({column_name(q): quant[:, j] for j, q in enumerate(self._levels)}, index=when)
            frame.insert(0, "forecast", frame[column_name(0.5)].to_numpy())
            return frame
        pred = self._forecast(tail, after)
        return pd.Series(pred, index=when, name=self.target_)

    def _forecast(self, tail, after):
        """One forecast from a window of rows and the known-future inputs after it."""
        future = None
        if self.strategy == "recursive" and self.n_features_ > self._groups[0]:
            future = after[None, :self.horizon_ - 1]
        return self.predict_windows(tail[None], future)[0]

    def forecast_at(self, values, origins) -> np.ndarray:
        """Forecasts (len(origins), horizon) from each origin (rows known) of `values`, the rows as
        `predict_windows` takes them (the fitted layout: target, past covariates, led known-future
        inputs), reaching `horizon - 1` rows past the last origin for the recursive strategy.
        With quantiles: the 0.5 quantile's."""
        self._require_fit()
        origins = [int(o) for o in origins]
        if not origins:
            return np.zeros((0, self.horizon_))
        windows = np.stack([values[o - self.window_:o] for o in origins])
        future = None
        if self.strategy == "recursive" and self.n_features_ > self._groups[0]:
            future = np.stack([values[o:o + self.horizon_ - 1, self._groups[0]:] for o in origins])
        return self.predict_windows(windows, future)

    def quantiles_at(self, values, origins) -> np.ndarray:
        """Quantile forecasts (len(origins), horizon, levels) from each origin of `values`, as `forecast_at`."""
        self._require_fit()
        origins = [int(o) for o in origins]
        if not origins:
            return np.zeros((0, self.horizon_, len(self._levels or ())))
        return self.predict_quantile_windows(np.stack([values[o - self.window_:o] for o in origins]))
