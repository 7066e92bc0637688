"""Pictures: loss curves over repeated runs, forecasts and backtests, and heatmaps of an LSTM's gates and cell state.

matplotlib is imported only when a function here is called with no `ax` to draw on.
"""

from lstmkit.plot.forecasting import *  # noqa: F401,F403
from lstmkit.plot.traces import *  # noqa: F401,F403
