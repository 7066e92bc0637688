"""W12: the job of `lstmkit forecast panel.csv --id-column series` on nine series, in lstmkit and in Keras.

The panel is `bench.panel_ratio`'s (9 monthly series of 120-180 rows; its too-short tenth series is
left out here). The job, per series: a rolling-origin backtest of 3 folds (a new LSTM(32)+Dense(12)
per fold, Adam, MSE, up to 200 epochs at batch 16 with EarlyStopping(patience=20,
restore_best_weights=True) on the last 15% of the windows), then a final model per series on all its
rows for the folds' median best epoch, then the 12-step forecasts: 27 + 9 models. lstmkit runs it with
`PanelForecaster` (strategy 'local': the 27 fold models trained together in one compiled program, then
the 9 final ones); Keras runs the same windows (lstmkit's NumPy preprocessing, so the data is
identical) in a plain loop.
"""

from __future__ import annotations

import tempfile
import time

import numpy as np

SETTINGS = dict(window=24, horizon=12, season=12)


def _data(smoke):
    import pandas as pd

    from bench.panel_ratio import write_panel

    with tempfile.TemporaryDirectory() as folder:
        write_panel(folder)
        frame = pd.read_csv(f"{folder}/panel.csv")
    frame = frame[frame.series != "new_store"]
    if smoke:
        frame = frame[frame.series.isin(["store_0", "store_1"])]
    return frame


def _series(frame):
    import pandas as pd

    return {k: g.set_index(pd.DatetimeIndex(g.date, freq="MS"))["value"] for k, g in frame.groupby("series", sort=False)}


def lstmkit_job(frame, smoke=False):
    from lstmkit.forecasting import PanelForecaster

    epochs = 2 if smoke else 200
    p = PanelForecaster("local", epochs=epochs, **SETTINGS)
    result = p.backtest(frame, id="series", target="value", time="date", folds=3)
    final_epochs = int(np.median([e for r in result.results.values() for e in r.best_epochs]))
    final = PanelForecaster("local", epochs=final_epochs, early_stopping=False, validation_split=0.0, **SETTINGS)
    return final.fit(frame, id="series", target="value", time="date").predict(intervals=result)


def keras_job(frame, smoke=False):
    import keras

    from lstmkit.forecasting import Forecaster
    from lstmkit.forecasting.backtest import fold_origins

    epochs = 2 if smoke else 200

    def build():
        m = keras.Sequential([keras.Input((SETTINGS["window"], 1)), keras.layers.LSTM(32),
                              keras.layers.Dense(SETTINGS["horizon"])])
        m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        return m

    best, out = [], {}
    series = _series(frame)
    for y in series.values():
        for origin in fold_origins(len(y), SETTINGS["horizon"], 3):
            job = Forecaster(**SETTINGS)._prepare_fit(y.iloc[:origin])
            keras.utils.set_random_seed(0)
            m = build()
            h = m.fit(job.x, job.y, epochs=epochs, batch_size=16, validation_data=job.fit_args["validation_data"],
                      shuffle=True, verbose=0, callbacks=[keras.callbacks.EarlyStopping(
                          monitor="val_loss", patience=20, restore_best_weights=True)])
            best.append(int(np.argmin(h.history["val_loss"])) + 1)
            m.predict(job.x[-1:], verbose=0)
    for key, y in series.items():
        job = Forecaster(early_stopping=False, validation_split=0.0, **SETTINGS)._prepare_fit(y)
        keras.utils.set_random_seed(0)
        m = build()
        m.fit(job.x, job.y, epochs=int(np.median(best)), batch_size=16, shuffle=True, verbose=0)
        out[key] = m.predict(job.x[-1:], verbose=0)
    return out


def run(framework, smoke=False):
    """{'first_done', 'first_fit', 'steady'}: the job's first run (its end marks 'fresh') and a second run."""
    frame = _data(smoke)
    job = lstmkit_job if framework == "lstmkit" else keras_job
    t0 = time.perf_counter()
    job(frame, smoke)
    first = time.perf_counter() - t0
    done = time.perf_counter()
    t0 = time.perf_counter()
    job(frame, smoke)
    return {"first_fit": first, "first_done": done, "steady": time.perf_counter() - t0}
