"""`Forecaster.fit(frame, id=...)`: a Forecaster given a panel hands it to a `PanelForecaster` of its
own settings, keeps it as ``panel_``, and forecasts through it.

    f = Forecaster(epochs=50, panel_strategy="auto")
    f.fit(frame, id="store", target="sales", time="date", static=["region"])
    f.predict()                                   # long DataFrame: store, time, forecast
    f.backtest(frame, id="store", target="sales", time="date").scores   # a PanelBacktest

`panel.py` imports `forecaster.py`, so this module imports `panel.py` inside its functions.
"""

from __future__ import annotations

__all__ = ["PANEL_STRATEGIES", "backtest_panel", "check_panel_params", "check_single", "fit_panel",
           "panel_forecaster", "predict_panel"]

PANEL_STRATEGIES = ("auto", "local", "global")
PANEL_PARAMS = ("panel_strategy", "id_inputs")


def check_panel_params(panel_strategy, id_inputs):
    """Forecaster's checks of its panel parameters (PanelForecaster's rules, Forecaster's names)."""
    if panel_strategy not in PANEL_STRATEGIES:
        raise ValueError(f"`panel_strategy` must be one of {PANEL_STRATEGIES}; received {panel_strategy!r}.")
    if not isinstance(id_inputs, bool):
        raise ValueError(f"`id_inputs` must be True or False; received {id_inputs!r}.")
    if id_inputs and panel_strategy == "local":
        raise ValueError("id_inputs=True needs panel_strategy='global' (or 'auto'): an id input is constant within "
                         "a series, so a model of one series ('local') learns nothing from it.")


def panel_forecaster(forecaster):
    """An unfitted `PanelForecaster` with `forecaster`'s settings."""
    from lstmkit.forecasting.panel import PanelForecaster

    panel = PanelForecaster(forecaster.panel_strategy, forecaster.id_inputs)
    # clone keeps a given Model's starting weights; the template's own panel settings are unused
    panel.template = forecaster.clone(panel_strategy="auto", id_inputs=False)
    return panel


def check_single(forecaster, time=None, static=None):
    """`fit(data)` / `backtest(data)` of one series: the panel-only arguments and settings are errors."""
    if time is not None or static is not None:
        what = "time" if time is not None else "static"
        raise ValueError(f"`{what}=` is for panels: pass `id=` (the series id column) too; for one series, index "
                         "the data by its dates.")
    if forecaster.id_inputs:
        raise ValueError("id_inputs=True needs a panel: fit(frame, id=...); this is one series.")
    if forecaster.panel_strategy != "auto":
        raise ValueError(f"panel_strategy={forecaster.panel_strategy!r} needs a panel: fit(frame, id=...); this is one "
                         "series.")


def fit_panel(forecaster, frame, id, target=None, time=None, covariates=None, static=None, callbacks=None):
    """`Forecaster.fit(frame, id=...)`: fit a `PanelForecaster` of the same settings, kept as ``panel_``."""
    if target is None:
        raise ValueError("fit(frame, id=...) needs `target=`: the column to forecast.")
    if callbacks:
        raise ValueError("fit(frame, id=...) takes no `callbacks`: the panel trains several models together.")
    panel = panel_forecaster(forecaster).fit(frame, id=id, target=target, time=time, covariates=covariates,
                                             static=static)
    forecaster.panel_, forecaster.model_ = panel, None
    return forecaster


def predict_panel(forecaster, data=None, intervals=None):
    """`Forecaster.predict()` after `fit(frame, id=...)`: `PanelForecaster.predict`'s long DataFrame."""
    if data is not None:
        raise ValueError("This Forecaster was fitted on a panel (fit(frame, id=...)); predict() forecasts after the "
                         "data it was fitted on and takes no `data`: fit it on the new frame instead.")
    return forecaster.panel_.predict(intervals=intervals)


def backtest_panel(forecaster, frame, id, target=None, time=None, covariates=None, static=None, folds=3,
                   intervals=(80, 95), step=None, refit=True, verbose=None):
    """`Forecaster.backtest(frame, id=...)`: a `PanelBacktest` (every series on its own last folds)."""
    if target is None:
        raise ValueError("backtest(frame, id=...) needs `target=`: the column to forecast.")
    if step is not None or refit is not True or verbose is not None:
        raise ValueError("backtest(frame, id=...) takes no `step`, `refit` or `verbose`: each series' folds are the "
                         "last `folds` x horizon rows, each fold refitted.")
    return panel_forecaster(forecaster).backtest(frame, id=id, target=target, time=time, covariates=covariates,
                                                 static=static, folds=folds, intervals=intervals)
