"""W11: the forecasting job of `lstmkit forecast` on the bundled airline data, in lstmkit and in Keras.

The job: a rolling-origin backtest of 3 folds (a new LSTM(32)+Dense(12) per fold, Adam, MSE,
up to 200 epochs at batch 16 with EarlyStopping(patience=20, restore_best_weights=True) on the
last 15% of the windows), then a final model on all rows for the folds' median best epoch, then
the 12-step forecast. lstmkit runs it with its own API (`Forecaster.backtest`, which trains the
fold models together in one compiled program, then `Forecaster.fit`); Keras runs the same
windows (made by lstmkit's NumPy preprocessing, so the data is identical) in a plain loop.
"""

from __future__ import annotations

import time

import numpy as np


def _data():
    from lstmkit.data import load_dataset

    return load_dataset("airline")


def _fold_jobs(y):
    """The windows each fold and the final model train on (lstmkit's preprocessing, NumPy arrays)."""
    from lstmkit.forecasting import Forecaster
    from lstmkit.forecasting.backtest import fold_origins

    template = Forecaster()
    template._resolve(y.index, y.to_numpy()[:, None], 3)
    origins = fold_origins(len(y), template.horizon_, 3)
    settings = dict(window=template.window_, horizon=template.horizon_, season=template.season_)
    return [template.clone(**settings)._prepare_fit(y.iloc[:o]) for o in origins], settings


def lstmkit_job(y, smoke=False):
    from lstmkit.forecasting import Forecaster

    epochs = 2 if smoke else 200
    result = Forecaster(epochs=epochs).backtest(y, folds=3)
    final = Forecaster(early_stopping=False, validation_split=0.0, epochs=int(np.median(result.best_epochs)))
    return final.fit(y).predict()


def keras_job(y, smoke=False):
    import keras

    jobs, settings = _fold_jobs(y)
    epochs = 2 if smoke else 200
    best = []

    def build():
        m = keras.Sequential([keras.Input((settings["window"], 1)), keras.layers.LSTM(32),
                              keras.layers.Dense(settings["horizon"])])
        m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        return m

    for job in jobs:
        keras.utils.set_random_seed(0)
        m = build()
        h = m.fit(job.x, job.y, epochs=epochs, batch_size=16, validation_data=job.fit_args["validation_data"],
                  shuffle=True, verbose=0,
                  callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=20, restore_best_weights=True)])
        best.append(int(np.argmin(h.history["val_loss"])) + 1)
        m.predict(job.x[-1:], verbose=0)
    from lstmkit.forecasting import Forecaster

    final_job = Forecaster(early_stopping=False, validation_split=0.0, **settings)._prepare_fit(y)
    keras.utils.set_random_seed(0)
    m = build()
    m.fit(final_job.x, final_job.y, epochs=int(np.median(best)), batch_size=16, shuffle=True, verbose=0)
    return m.predict(final_job.x[-1:], verbose=0)


def run(framework, smoke=False):
    """{'first_done', 'first_fit', 'steady'}: the job's first run (its end marks 'fresh') and a second run."""
    y = _data()
    job = lstmkit_job if framework == "lstmkit" else keras_job
    t0 = time.perf_counter()
    job(y, smoke)
    first = time.perf_counter() - t0
    done = time.perf_counter()
    t0 = time.perf_counter()
    job(y, smoke)
    return {"first_fit": first, "first_done": done, "steady": time.perf_counter() - t0}
