"""Data for sequence models: windows, temporal splits, scalers and bundled datasets.

NumPy and pandas only; nothing here imports lstmkit's model code.
"""

from lstmkit.data.datasets import dataset_path, list_datasets, load_dataset
from lstmkit.data.scalers import MinMaxScaler, StandardScaler, get_scaler
from lstmkit.data.splits import TimeSeriesSplit, fit_on_train, split_points, train_val_test_split, window_indices
from lstmkit.data.windows import (
    WindowedSeries,
    as_columns,
    covariate_windows,
    make_windows,
    n_windows,
    parallel_windows,
    univariate_windows,
)

__all__ = [
    "MinMaxScaler",
    "StandardScaler",
    "TimeSeriesSplit",
    "WindowedSeries",
    "as_columns",
    "covariate_windows",
    "dataset_path",
    "fit_on_train",
    "get_scaler",
    "list_datasets",
    "load_dataset",
    "make_windows",
    "n_windows",
    "parallel_windows",
    "split_points",
    "train_val_test_split",
    "univariate_windows",
    "window_indices",
]
