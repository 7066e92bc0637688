"""What the forecasting pictures share: a new figure (headless when there is no display), one colour
and marker per backtest fold or run, readable date axes, and `save_figure`.

matplotlib is imported inside the functions, so importing this module costs nothing.
"""

from __future__ import annotations

import os
import sys

OBSERVED_COLOR = "black"
FORECAST_COLOR = "tab:red"
# One per fold or run, none of them black (the observations) or red (the forecast); they cycle past eight.
FOLD_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan")
FOLD_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def fold_color(i):
    return FOLD_COLORS[i % len(FOLD_COLORS)]


def fold_marker(i):
    return FOLD_MARKERS[i % len(FOLD_MARKERS)]


def pyplot():
    """matplotlib.pyplot, on the Agg backend when there is no display to draw on."""
    try:
        import matplotlib
    except ImportError as error:  # matplotlib is optional: only plotting needs it
        raise ImportError("lstmkit.plot needs matplotlib: pip install matplotlib") from error
    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless and "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def new_axes(figsize):
    return pyplot().subplots(figsize=figsize)[1]


def date_axis(ax, max_ticks=8, small=False):
    """Concise date labels ('1959', 'Feb', 'Mar', ...; the year or day written once) instead of long,
    overlapping timestamps."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=2, maxticks=max_ticks)  # 3 leaves some ranges without a tick rule
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if small:
        ax.tick_params(axis="x", labelsize=8)


def value_label(name, units=None):
    """The y-axis label: the value column's name, and its units in brackets when given."""
    if units is not None and not isinstance(units, str):
        raise TypeError(f"`units` must be a string such as 'thousands' or 'MW'; received {units!r}.")
    text = "value" if name is None else str(name)
    return f"{text} ({units})" if units else text


def save_figure(ax, path, dpi=100):
    """Write the figure of `ax` (an Axes, an array of Axes as `plot_panel` returns, or a Figure) to
    `path` and release it."""
    if hasattr(ax, "ravel") and not hasattr(ax, "figure"):  # a numpy array of Axes
        ax = ax.ravel()[0]
    fig = getattr(ax, "figure", ax)
    if not fig.get_layout_engine():  # figures laid out by a layout engine keep theirs
        fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(fig)
    return path
