"""Many `Forecaster` fits as one compiled training call.

A backtest trains a model per fold, a panel a model per series (and per fold): the same
architecture on different windows. `fit_forecasters` prepares each fit exactly as
`Forecaster.fit` would (settings, scalers, windows, seed) and trains all the models together
with `lstmkit.ensemble.fit_many` — one program, each model's own data, validation set and
early stopping — so the results equal separate fits. Where the models cannot share a program
(a given Model object is a single model; your own layer classes are never shared) they are
fitted one by one.
"""

from __future__ import annotations

__all__ = ["fit_forecasters"]


def fit_forecasters(pairs, target=None, covariates=None, on_fit=None):
    """Fit each `(forecaster, data)` pair (unfitted forecasters with one architecture and settings);
    returns the fitted forecasters, in order. `on_fit(k)` is called before model k is trained."""
    from lstmkit.models import Model
    from lstmkit.training.many import CannotTrainTogether, fit_many

    forecasters = [f for f, _ in pairs]
    if len(pairs) >= 2 and not isinstance(forecasters[0].model, Model):
        jobs = [f._prepare_fit(data, target, covariates) for f, data in pairs]
        args = jobs[0].fit_args
        same_validation = all((j.fit_args["validation_data"] is None) == (args["validation_data"] is None)
                              for j in jobs)
        if same_validation:
            builds = iter(zip(forecasters, jobs))

            def build():
                f, job = next(builds)
                return f._new_model(job.n_features, job.span)

            if on_fit is not None:
                for k in range(len(pairs)):
                    on_fit(k)
            validation = [j.fit_args["validation_data"] for j in jobs] if args["validation_data"] else None
            try:
                result = fit_many(build, datasets=[(j.x, j.y) for j in jobs], epochs=args["epochs"],
                                  batch_size=args["batch_size"],
                                  shuffle=args["shuffle"], callbacks=args["callbacks"], validation_data=validation,
                                  seed=[f.seed for f in forecasters], verbose=1 if forecasters[0].verbose else 0)
            except CannotTrainTogether:
                pass
            else:
                return [f._finish_fit(job, model, history)
                        for f, job, model, history in zip(forecasters, jobs, result.models, result.histories)]
    for k, (f, data) in enumerate(pairs):
        if on_fit is not None:
            on_fit(k)
        f.fit(data, target, covariates)
    return forecasters
