"""Many models of one architecture trained together, in one compiled program (no Keras peer has it).

    from lstmkit.ensemble import fit_many
    models, histories = fit_many(build_model, x, y, n=10, epochs=100, validation_split=0.2, seed=0)

Model i gets exactly what ``set_random_seed(seed + i); m = build_model(); m.fit(x, y, ...)`` gives it,
at the cost of about one fit. Per-model data (``datasets=[(x0, y0), (x1, y1), ...]``, sizes may differ),
per-model validation sets and per-model `EarlyStopping` work; see `fit_many`.
`lstmkit.forecasting.repeat_runs` and `time_series_cv` use it.
"""

from lstmkit.training.many import CannotTrainTogether, ManyFit, fit_many

__all__ = ["CannotTrainTogether", "ManyFit", "fit_many"]
