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


# Fonts with the scripts matplotlib's DejaVu Sans lacks (Chinese, Japanese, Korean, ...), tried in this
# order after the configured sans-serif fonts: series ids and column names are often written in them.
FALLBACK_FONTS = ("Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK KR",
                  "Source Han Sans", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback",
                  "Arial Unicode MS", "Microsoft YaHei", "Yu Gothic", "Meiryo", "MS Gothic", "Hiragino Sans",
                  "PingFang SC", "Malgun Gothic", "Apple SD Gothic Neo", "Noto Sans Arabic", "Noto Sans Hebrew",
                  "Noto Sans Devanagari", "Noto Sans Thai")


def fallback_fonts(families, installed):
    """A text's font families with the installed `FALLBACK_FONTS` after them (matplotlib takes each
    glyph from the first family of the list that has it)."""
    return list(families) + [f for f in FALLBACK_FONTS if f in set(installed) and f not in families]


def _installed_fonts():
    from matplotlib import font_manager

    return {f.name for f in font_manager.fontManager.ttflist}


def save_figure(ax, path, dpi=100):
    """Write the figure of `ax` (an Axes, an array of Axes as `plot_panel` returns, or a Figure) to
    `path` and release it. Text in scripts the default font lacks is drawn with an installed font
    that has them; when none has them, one warning names the characters (drawn as boxes)."""
    import logging
    import warnings

    if hasattr(ax, "ravel") and not hasattr(ax, "figure"):  # a numpy array of Axes
        ax = ax.ravel()[0]
    fig = getattr(ax, "figure", ax)
    from matplotlib.text import Text

    wide = [t for t in fig.findobj(Text) if any(ord(c) > 0x2FF for c in t.get_text())]
    installed = _installed_fonts() if wide else ()  # the font list is read only for such text
    for t in wide:
        t.set_fontfamily(fallback_fonts(t.get_fontfamily(), installed))
    fonts_log = logging.getLogger("matplotlib.font_manager")
    level = fonts_log.level
    fonts_log.setLevel(logging.ERROR)  # "Failed to find font weight normal for ..., using 500": harmless
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if not fig.get_layout_engine():  # figures laid out by a layout engine keep theirs
                fig.tight_layout()
            fig.savefig(path, dpi=dpi)
    finally:
        fonts_log.setLevel(level)
    missing = []
    for w in caught:
        text = str(w.message)
        if text.startswith("Glyph ") and "missing from font" in text and "(" in text:
            char = chr(int(text.split()[1]))
            missing += [char] if char not in missing else []
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if missing:
        warnings.warn(f"{path}: no installed font has the character(s) {' '.join(missing)}: drawn as boxes; "
                      f"install a font that has them (e.g. Noto Sans CJK for Chinese, Japanese, Korean)",
                      UserWarning, stacklevel=2)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(fig)
    return path
