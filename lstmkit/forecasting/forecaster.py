"""`Forecaster`: windows, scaling, a recurrent model, early stopping and the forecast, in one object.

    from lstmkit.data import load_dataset
    from lstmkit.forecasting import Forecaster

    y = load_dataset("airline")
    f = Forecaster("lstm").fit(y)
    f.predict()                      # the next `horizon` months, indexed by date
    f.backtest(y, folds=3).scores    # MAE/RMSE/MAPE/sMAPE/MASE against the baselines

No look-ahead: the scalers are fitted on the training rows only (never the validation
rows used for early stopping); validation windows have all their targets after the last
training target (`lstmkit.data.splits`).
"""

from __future__ import annotations

import copy
import numbers
from typing import NamedTuple

import numpy as np

from lstmkit.data.scalers import get_scaler
from lstmkit.data.splits import window_indices
from lstmkit.data.windows import WindowedSeries, n_windows
from lstmkit.forecasting._model_choice import ModelChoice
from lstmkit.forecasting._params import ParamsMixin
from lstmkit.forecasting.architectures import KINDS
from lstmkit.forecasting.known_future import split_known
from lstmkit.forecasting.panel_entry import backtest_panel, check_panel_params, check_single, fit_panel
from lstmkit.forecasting.prediction import Prediction
from lstmkit.forecasting.quantiles import parse_quantiles
from lstmkit.forecasting.series import to_frame

__all__ = ["Forecaster"]

STRATEGIES = ("direct", "recursive")


class _FitJob(NamedTuple):
    """What one `Forecaster.fit` trains on (see `_prepare_fit`)."""

    x: np.ndarray
    y: np.ndarray
    fit_args: dict
    n_features: int
    span: int
    values: np.ndarray
    index: object
    columns: list
    after: np.ndarray | None  # known-future inputs of the rows after the history (see known_future)
    future_rows: int = 0


def _int_or_none(name, value, minimum):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; received {value!r}.")
    return int(value)


class _Identity:
    """Stands in for `scaler=None`."""

    def fit(self, data):
        return self

    def transform(self, data):
        return np.asarray(data, dtype=np.float64)

    inverse_transform = transform


class Forecaster(ParamsMixin, ModelChoice, Prediction):
    """Forecasts the next `horizon` values of a series with a recurrent network.

    Args:
        model: 'lstm', 'gru', 'encoder_decoder' (see `architectures`), a compiled lstmkit
            `Model` taking (window, features) windows, or a function
            ``(window, n_features, n_out) -> compiled Model``. A given Model starts every
            `fit` from the weights it had when the Forecaster was made, with a fresh optimizer.
        window: timesteps per input window; None: chosen from the data's season.
        horizon: steps to forecast; None: one season (or n/20 without one).
        units, layers: size of the built network.
        epochs: the most epochs to train; batch_size: windows per batch.
        scaler: 'minmax', 'standard', None, or an object with fit/transform/inverse_transform
            (a copy is fitted on the target and another on the covariates, training rows only).
        relative: express each window and its targets relative to the window's last target
            value (after scaling), so the network learns changes rather than levels; this
            lets it follow a trend beyond the training range.
        strategy: 'direct' (the network outputs all `horizon` steps) or 'recursive' (it
            predicts one step, which is fed back; no past covariates, future ones and calendar allowed).
        future_covariates: columns known in advance (prices, promotions): the data gives their values
            `horizon` rows past the last target value (trailing rows with the target empty); the
            network sees them for the steps it forecasts (`lstmkit.forecasting.known_future`).
        calendar: add sin/cos calendar inputs from the dates, chosen from their frequency (month;
            day of week and of year; hour and day of week), known for the forecast's dates too.
        early_stopping: stop when the validation loss has not improved for `patience`
            epochs, keeping the best epoch's weights. Needs validation_split > 0.
        validation_split: fraction of the windows, the latest ones, used for validation.
        max_windows: train on at most this many windows, the latest (validation included; the scalers
            still see every training row); None: all. A series of millions of rows needs no more than
            the recent past to learn its patterns, and an epoch over all of it takes minutes.
        learning_rate: Adam's learning rate for the built networks.
        season: the seasonal period; None: inferred (calendar frequency or autocorrelation).
        seed: seed for the initial weights and the shuffling (`lstmkit.utils.set_random_seed`).
        verbose: passed to `Model.fit` (1 shows a progress bar).
        quantiles: None, or quantile levels (e.g. (0.1, 0.9)), each in (0, 1), distinct; they are sorted
            and 0.5 is added when missing. The network then outputs every level for every step, trained
            with the pinball loss (`lstmkit.losses.Pinball`); the point forecast (`predict`'s `forecast`,
            `predict_windows`, the backtest's scores) is the 0.5 quantile, and `predict` adds a column per
            level (``q0.1``, ``q0.5``, ...). Levels that cross are sorted per step at predict time (monotone
            rearrangement). Direct strategy only; a given Model must output (batch, horizon, levels) and be
            compiled with a `Pinball` loss of the same levels.
        panel_strategy: for `fit(frame, id=...)` (a panel, see `PanelForecaster`): 'local' (a model per
            series, trained together), 'global' (one model for every series) or 'auto' (chosen from the data).
        id_inputs: for `fit(frame, id=...)`: give the global model each series' id, one-hot (its input
            weights then learn a vector per series, as an id embedding; `panel_static`).

    Attributes after `fit`: ``model_``, ``history_`` (the loss curves), ``best_epoch_``,
    ``window_``, ``horizon_``, ``season_``, ``defaults_``, ``target_``, ``covariates_``,
    ``scaler_``, ``train_rows_`` (the rows the scalers saw).
    """

    def __init__(self, model="lstm", *, window=None, horizon=None, units=32, layers=1, epochs=200, batch_size=16,
                 scaler="minmax", relative=True, strategy="direct", early_stopping=True, patience=20,
                 validation_split=0.15, learning_rate=1e-3, season=None, seed=0, verbose=0,
                 future_covariates=None, calendar=False, max_windows=None, quantiles=None, panel_strategy="auto",
                 id_inputs=False):
        from lstmkit.models import Model

        if isinstance(model, str):
            if model not in KINDS:
                raise ValueError(f"`model` must be one of {KINDS}, a compiled Model or a build function; "
                                 f"received {model!r}.")
        elif isinstance(model, Model):
            if not getattr(model, "compiled", False):
                raise ValueError("`model` must be compiled (model.compile(optimizer=..., loss=...)) before use.")
        elif not callable(model):
            raise ValueError(f"`model` must be one of {KINDS}, a compiled Model or a build function; "
                             f"received {model!r} of type {type(model).__name__}.")
        if strategy not in STRATEGIES:
            raise ValueError(f"`strategy` must be one of {STRATEGIES}; received {strategy!r}.")
        if strategy == "recursive" and model == "encoder_decoder":
            raise ValueError("model='encoder_decoder' forecasts all steps at once; use strategy='direct'.")
        if not isinstance(validation_split, numbers.Real) or not 0 <= validation_split < 1:
            raise ValueError(f"`validation_split` must be in [0, 1); received {validation_split!r}.")
        if early_stopping and validation_split == 0:
            raise ValueError("early_stopping=True needs validation_split > 0 (early stopping watches the "
                             "validation loss); received validation_split=0.")
        if not isinstance(learning_rate, numbers.Real) or learning_rate <= 0:
            raise ValueError(f"`learning_rate` must be a positive number; received {learning_rate!r}.")
        get_scaler(scaler)  # fail now on a bad scaler
        check_panel_params(panel_strategy, id_inputs)
        self.panel_strategy, self.id_inputs, self.panel_ = panel_strategy, id_inputs, None
        if not isinstance(quantiles, (list, tuple, np.ndarray, str, bytes)) and hasattr(quantiles, "__iter__"):
            quantiles = tuple(quantiles)  # an iterator is read once
        self._levels = parse_quantiles(quantiles)
        if self._levels and strategy == "recursive":
            raise ValueError("`quantiles` need strategy='direct': the recursive strategy feeds one value back per "
                             "step, and a quantile fed back is not the next step's quantile.")
        self.quantiles = quantiles
        if isinstance(future_covariates, str):
            future_covariates = [future_covariates]
        if future_covariates is not None:
            future_covariates = list(future_covariates)
            if len(set(map(str, future_covariates))) != len(future_covariates):
                raise ValueError(f"`future_covariates` names a column twice: {future_covariates!r}.")
        self.future_covariates = future_covariates or None
        self.calendar = bool(calendar)
        self.model, self.strategy, self.scaler = model, strategy, scaler
        self.window = _int_or_none("window", window, 1)
        self.horizon = _int_or_none("horizon", horizon, 1)
        self.season = _int_or_none("season", season, 1)
        self.units = _int_or_none("units", units, 1)
        self.layers = _int_or_none("layers", layers, 1)
        self.epochs = _int_or_none("epochs", epochs, 1)
        self.batch_size = _int_or_none("batch_size", batch_size, 1)
        self.patience = _int_or_none("patience", patience, 0)
        self.seed = _int_or_none("seed", seed, 0)
        self.max_windows = _int_or_none("max_windows", max_windows, 2 if validation_split else 1)
        self.relative, self.early_stopping = bool(relative), bool(early_stopping)
        self.validation_split, self.learning_rate, self.verbose = float(validation_split), float(learning_rate), verbose
        # A given Model restarts from these weights at every fit (so backtest folds are independent).
        self._initial_weights = model.get_weights() if isinstance(model, Model) else None
        self.model_ = None

    # ------------------------------------------------------------ settings
    def clone(self, **changes):
        """An unfitted Forecaster with the same settings (and `changes`); a given Model is shared."""
        params = {**self.get_params(deep=False), **changes}
        params["scaler"] = copy.deepcopy(params["scaler"]) if not isinstance(params["scaler"], str) else params["scaler"]
        new = Forecaster(**params)
        if self._initial_weights is not None:
            new._initial_weights = self._initial_weights
        return new

    @property
    def quantile_levels(self):
        """The quantiles forecast (sorted, 0.5 included), or None without `quantiles`."""
        return self._levels

    # ------------------------------------------------------------ scaling
    def _transform(self, rows):
        """Scaled rows: the target (column 0), the past covariates, the user's known-future columns,
        then the calendar columns (already in [-1, 1], not scaled)."""
        past, user = self._groups
        out = np.array(rows, dtype=np.float64)
        out[:, :1] = self.scaler_.transform(rows[:, :1])
        if past > 1:
            out[:, 1:past] = self.covariate_scaler_.transform(rows[:, 1:past])
        if user:
            out[:, past:past + user] = self.future_scaler_.transform(rows[:, past:past + user])
        return out

    def _read(self, data, target, covariates):
        """(values, index, columns, known): the history's target and past covariates, and its
        `KnownFuture` (None without future covariates or calendar)."""
        # `_static`: a panel series' encoded static inputs, set by PanelForecaster (`panel_static`).
        history, known = split_known(data, target, covariates, self.future_covariates, self.calendar,
                                     getattr(self, "_static", None))
        if known is not None and target is None:
            target = next(c for c in history.columns if c not in known.names and c not in (covariates or []))
        values, index, columns = to_frame(history, target, covariates)
        return values, index, columns, known

    # ------------------------------------------------------------ fit
    def fit(self, data, target=None, covariates=None, callbacks=None, *, id=None, time=None, static=None):
        """Train on `data`: a Series, a DataFrame (name the `target` and the `covariates`
        columns) or an array. `callbacks` are added to `Model.fit`'s. Returns self.

        With `id` (the series id column), `data` is a long panel: a `PanelForecaster` of these settings
        (``panel_strategy``, ``id_inputs``) fits it, with `time` (the dates column) and `static` (columns
        constant within each series, or a DataFrame indexed by id); it is kept as ``panel_``, and
        `predict()` returns its long DataFrame (`lstmkit.forecasting.panel_entry`)."""
        from lstmkit.utils import set_random_seed

        if id is not None:
            return fit_panel(self, data, id, target, time, covariates, static, callbacks)
        check_single(self, time, static)
        self.panel_ = None
        job = self._prepare_fit(data, target, covariates, callbacks)
        set_random_seed(self.seed)
        model = self._new_model(job.n_features, job.span)
        history = model.fit(job.x, job.y, **job.fit_args, verbose=self.verbose)
        return self._finish_fit(job, model, history)

    def _prepare_fit(self, data, target=None, covariates=None, callbacks=None):
        """Everything `fit` does before training: settings, scalers, windows; returns a `_FitJob`."""
        from lstmkit.callbacks import EarlyStopping

        values, index, columns, known = self._read(data, target, covariates)
        if self.strategy == "recursive" and values.shape[1] > 1:
            raise ValueError("strategy='recursive' would need future covariate values for the past covariates "
                             f"{columns[1:]}; give them as future_covariates, or use strategy='direct'.")
        if np.ptp(values[:, 0]) == 0:
            raise ValueError(f"The target {columns[0]!r} is constant ({values[0, 0]:g}); there is nothing to learn.")
        self._resolve(index, values)
        rows, window = values.shape[0], self.window_
        span = self.horizon_ if self.strategy == "direct" else 1
        self._groups = (values.shape[1], len(known.names) if known else 0)
        self.known_future_ = known.columns if known else []
        after = None
        if known is not None:
            led = known.led(span, rows + self.horizon_ - 1)
            values, after = np.concatenate([values, led[:rows]], axis=1), led[rows:]
        train_rows, n_val = self._split(rows, window, span)
        train_idx, val_idx = window_indices(rows, window, span, boundaries=[train_rows])
        self.windows_used_ = (len(train_idx) + len(val_idx), n_windows(rows, window, span))
        if self.max_windows is not None and len(train_idx) > self.max_windows - n_val:
            train_idx = train_idx[-(self.max_windows - n_val):]  # the latest; older rows are not trained on
            self.windows_used_ = (len(train_idx) + len(val_idx), self.windows_used_[1])
        if len(train_idx) == 0:
            raise ValueError(f"The series has {rows} rows; window={window} and horizon={span} need at least "
                             f"{self.min_rows(window, span)}" + (" (training and validation windows)."
                                                                 if self.validation_split else "."))
        self.scaler_ = copy.deepcopy(get_scaler(self.scaler)) or _Identity()
        self.scaler_.fit(values[:train_rows, :1])
        if self._groups[0] > 1:
            self.covariate_scaler_ = copy.deepcopy(get_scaler(self.scaler)) or _Identity()
            self.covariate_scaler_.fit(values[:train_rows, 1:self._groups[0]])
        if self._groups[1]:  # on the training rows' own values (not shifted), so none is NaN
            self.future_scaler_ = copy.deepcopy(get_scaler(self.scaler)) or _Identity()
            self.future_scaler_.fit(known.raw[:train_rows])
        self.train_rows_ = train_rows
        scaled = self._transform(values)
        windows = WindowedSeries(scaled, scaled[:, :1], window=window, horizon=span, layout=self.layout_)
        x, y = self._relative(*windows[train_idx])
        validation = self._relative(*windows[val_idx]) if n_val else None
        cbs = list(callbacks or [])
        if self.early_stopping:
            cbs.append(EarlyStopping(monitor="val_loss", patience=self.patience, restore_best_weights=True))
        fit_args = dict(epochs=self.epochs, batch_size=self.batch_size, validation_data=validation, callbacks=cbs,
                        shuffle=True)
        return _FitJob(x, y, fit_args, values.shape[1], span, values, index, columns, after,
                       known.future_rows if known else 0)

    def _finish_fit(self, job, model, history):
        self.model_, self.history_ = model, dict(history.history)
        val_loss = self.history_.get("val_loss")
        self.best_epoch_ = int(np.argmin(val_loss)) + 1 if (self.early_stopping and val_loss) else len(self.history_["loss"])
        self.target_, self.covariates_ = job.columns[0], job.columns[1:]
        self.n_features_ = job.values.shape[1]
        self._tail, self._index, self._after = job.values[-self.window_:].copy(), job.index, job.after
        self._future_rows = job.future_rows
        return self

    def _split(self, rows, window, span):
        """(train_rows, n_val): the validation part holds the last n_val windows' targets (at least
        one window when validation_split > 0); the scalers see only the rows before it."""
        total = n_windows(rows, window, span)
        if self.max_windows is not None:
            total = min(total, self.max_windows)
        if not self.validation_split or total < 1:
            return rows, 0
        n_val = max(1, int(round(self.validation_split * total)))
        return rows - (n_val + span - 1), n_val

    def min_rows(self, window=None, horizon=None) -> int:
        """The fewest rows `fit` accepts for this window and horizon (one training window, plus the
        validation part when validation_split > 0)."""
        window = window or self.window or getattr(self, "window_", None)
        horizon = horizon or self.horizon or getattr(self, "horizon_", None)
        if window is None or horizon is None:
            raise ValueError("min_rows() needs a window and a horizon: pass them, or call it after fit().")
        span = horizon if self.strategy == "direct" else 1
        rows = window + span
        while len(window_indices(rows, window, span, [self._split(rows, window, span)[0]])[0]) == 0:
            rows += 1
        return rows

    def _relative(self, x, y):
        """Windows as float32, 2-D/3-D targets, and (with relative=True) minus the window's last target value."""
        x = np.array(x, dtype=np.float32)
        y = np.array(y, dtype=np.float32).reshape((x.shape[0], -1) + ((1,) if self.layout_ == "sequence" else ()))
        if self.relative:
            last = x[:, -1, 0].copy()
            x[:, :, 0] -= last[:, None]
            y -= last.reshape((-1,) + (1,) * (y.ndim - 1))
        return x, y

    def backtest(self, data, target=None, covariates=None, *, folds=3, step=None, refit=True, verbose=None,
                 intervals=(80, 95), id=None, time=None, static=None):
        """Rolling-origin evaluation against the baselines, with conformal intervals calibrated on the
        folds' errors; see `lstmkit.forecasting.backtest.backtest`. With `id` (a long panel, as in
        `fit`): `PanelForecaster.backtest`'s `PanelBacktest`."""
        from lstmkit.forecasting.backtest import backtest

        if id is not None:
            return backtest_panel(self, data, id, target, time, covariates, static, folds, intervals, step, refit,
                                  verbose)
        check_single(self, time, static)
        return backtest(self, data, target, covariates, folds=folds, step=step, refit=refit, verbose=verbose,
                        intervals=intervals)

    def __repr__(self):
        model = self.model if isinstance(self.model, str) else type(self.model).__name__
        levels = f", quantiles={list(self._levels)}" if self._levels else ""
        return (f"Forecaster(model={model!r}, window={self.window}, horizon={self.horizon}, "
                f"strategy={self.strategy!r}{levels})")
