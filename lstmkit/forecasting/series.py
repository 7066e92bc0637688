"""What the forecaster needs to know about a series: its columns, its calendar, its season,
and the defaults that follow from them (window, horizon)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Defaults", "choose_defaults", "future_index", "infer_freq", "infer_season", "to_frame"]

# Calendar seasons by pandas frequency code (the leading letters of freqstr, e.g. 'MS', 'W-SUN').
_SEASON_BY_FREQ = (
    (("MS", "ME", "M", "BMS", "BME", "BM"), 12, "monthly data, a yearly season of 12"),
    (("QS", "QE", "Q", "BQS", "BQE", "BQ"), 4, "quarterly data, a yearly season of 4"),
    (("W",), 52, "weekly data, a yearly season of 52"),
    (("D",), 7, "daily data, a weekly season of 7"),
    (("B", "C"), 5, "business-day data, a weekly season of 5"),
    (("h", "H", "bh", "BH", "cbh"), 24, "hourly data, a daily season of 24"),
)


def to_frame(data, target=None, covariates=None):
    """``(values, index, columns)`` for a Series, a DataFrame or an array; the target is column 0.

    values is a float64 array (rows, 1 + covariates). Raises ValueError naming the column
    and the row for non-numeric or missing values.
    """
    import pandas as pd

    if isinstance(data, pd.Series):
        if covariates:
            raise ValueError("`covariates` need a DataFrame; received a Series.")
        name = data.name if data.name is not None else "y"
        if target is not None and target != name:
            raise ValueError(f"`target` {target!r} does not match the Series' name {name!r}.")
        frame = data.to_frame(name)
        target = name
    elif isinstance(data, pd.DataFrame):
        frame = data
        if target is None:
            if frame.shape[1] != 1 or covariates:
                raise ValueError(f"Pass `target=` (one of {list(frame.columns)}) for a DataFrame with several columns.")
            target = frame.columns[0]
    else:
        values = np.asarray(data)
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2:
            raise ValueError(f"`data` must be a Series, a DataFrame, or a 1-D/2-D array; received shape {values.shape}.")
        frame = pd.DataFrame(values)
        target = 0 if target is None else target
    covariates = [] if covariates is None else list(covariates)
    missing = [c for c in [target, *covariates] if c not in frame.columns]
    if missing:
        raise ValueError(f"Column(s) {missing} not found; columns are {list(frame.columns)}.")
    if target in covariates:
        raise ValueError(f"The target {target!r} cannot also be a covariate.")
    columns = [target, *covariates]
    block = frame[columns]
    for col in columns:
        if not pd.api.types.is_numeric_dtype(block[col]) or pd.api.types.is_bool_dtype(block[col]):
            raise ValueError(f"Column {col!r} must be numeric; received dtype {block[col].dtype}.")
        bad = ~np.isfinite(block[col].to_numpy(dtype=np.float64))
        if bad.any():
            where = block.index[np.flatnonzero(bad)[0]]
            raise ValueError(f"Column {col!r} has {int(bad.sum())} missing or infinite value(s), the first at {where}.")
    return block.to_numpy(dtype=np.float64), block.index, columns


def infer_freq(index):
    """pandas' inferred frequency of a DatetimeIndex as a string ('MS', 'D', ...), or None."""
    import warnings

    import pandas as pd

    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return None
    with warnings.catch_warnings():
        # pandas 3 announces that infer_freq will return an offset; accept either.
        warnings.filterwarnings("ignore", message=".*infer_freq.*")
        freq = pd.infer_freq(index)
    return getattr(freq, "freqstr", freq)


def _freq_code(index):
    """The frequency code of a DatetimeIndex ('MS', 'W-SUN', ...) or None; a multiple ('2D') is None."""
    import pandas as pd

    if not isinstance(index, pd.DatetimeIndex):
        return None
    freq = index.freqstr or infer_freq(index)
    if freq is None or re.match(r"^\d", freq):
        return None
    return freq


# Seasons longer than this are not looked for: a window of two of them could not be trained on,
# and the bound keeps the search short on a series of millions of rows.
MAX_SEASON = 10_000


def _fast_length(m):
    """The smallest 2**a * 3**b * 5**c >= m: a length numpy's FFT handles quickly."""
    best = 1 << max(0, (m - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            times = -(-m // p35)  # ceil(m / p35), times the smallest power of two reaching it
            best = min(best, p35 << max(0, (times - 1).bit_length()))
            p35 *= 3
        p5 *= 5
    return best


def _autocovariance(x, max_lag):
    """sum(x[k:] * x[:-k]) for k = 0..max_lag, by FFT: O(n log n) rather than O(n * max_lag).
    Zero-padding to n + max_lag keeps the circular products from wrapping onto these lags."""
    size = _fast_length(x.size + max_lag)
    spectrum = np.fft.rfft(x, size)
    return np.fft.irfft(spectrum.real ** 2 + spectrum.imag ** 2, size)[:max_lag + 1]


def _acf_peak(x, max_lag, swing):
    """(lag, r) of the highest clear peak (lag >= 2) of the autocorrelation of `x`, or (None, threshold).

    Peaks are located on the autocorrelation normalised per lag (by n - k, not n), so a period's peak is
    not pulled to a shorter lag by the fewer products at longer lags. A peak is a lag whose value is at
    least both neighbours', whose usual (by n) estimate is at least 0.3 (0.45 with `swing`) and clear of
    noise (2.5 / sqrt(n): short series give large chance peaks); with `swing`, the autocorrelation half a period earlier must be -0.4 or lower (a cycle is in
    opposite phase there; the bumps of a wandering or slowly decaying series are not). Of peaks within
    0.1 of the highest, the shortest lag is taken (its multiples peak nearly as high)."""
    x = x - x.mean()
    denom = float(np.dot(x, x))
    threshold = max(0.45 if swing else 0.3, 2.5 / np.sqrt(max(x.size, 1)))
    if denom == 0 or max_lag < 3:
        return None, threshold
    lags = np.arange(max_lag + 1)
    biased = _autocovariance(x, max_lag) / denom  # the usual estimate: its chance peaks shrink with the lag
    acf = biased * x.size / (x.size - lags)
    r = acf[2:max_lag]
    peaks = (biased[2:max_lag] >= threshold) & (r >= acf[1:max_lag - 1]) & (r >= acf[3:max_lag + 1])
    if swing:
        half = np.minimum(acf[lags[2:max_lag] // 2], acf[(lags[2:max_lag] + 1) // 2])
        peaks &= half <= -0.4
    if not peaks.any():
        return None, threshold
    first = int(np.flatnonzero(peaks & (r >= r[peaks].max() - 0.1))[0])
    return 2 + first, float(r[first])


def _acf_season(values, max_lag):
    """(lag, r) of the clearest autocorrelation peak: of the differenced series (which removes a
    wandering level), or of the series less its straight-line trend (a smooth cycle keeps its strength
    there, where differencing noise would bury it; at least 5 cycles); None when neither has a clear peak."""
    values = np.asarray(values, dtype=np.float64)
    t = np.arange(values.size, dtype=np.float64)
    detrended = values - np.polyval(np.polyfit(t, values, 1), t) if values.size > 2 else values
    # A wandering series can look cyclic over a few long swings: the trend-free view needs 5 cycles.
    found = [_acf_peak(np.diff(values), max_lag, swing=False),
             _acf_peak(detrended, min(max_lag, values.size // 5), swing=True)]
    found = [(lag, r) for lag, r in found if lag is not None]
    if not found:
        return None, 0.0
    return max(found, key=lambda item: item[1])


def infer_season(index, values) -> tuple[int | None, str]:
    """``(season, reason)``: from the calendar frequency when the series covers 3 seasons,
    else from the autocorrelation of the differenced or the detrended series (`_acf_season`); None
    when there is none."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    n = values.size
    code = _freq_code(index)
    if code is not None:
        head = code.split("-")[0]
        for codes, season, reason in _SEASON_BY_FREQ:
            if head in codes:
                if n >= 3 * season:
                    return season, reason
                break
    lag, r = _acf_season(values, min(n // 3, MAX_SEASON))
    if lag is not None:
        return lag, f"autocorrelation peak at lag {lag} (r={r:.2f})"
    return None, "no seasonal period found (no calendar season, no clear autocorrelation peak)"


def future_index(index, horizon):
    """The index of the `horizon` steps after `index`: dates when its frequency is known,
    following integers for an integer index, else steps 1..horizon."""
    import pandas as pd

    if isinstance(index, pd.DatetimeIndex):
        freq = index.freq or infer_freq(index)
        if freq is not None:
            return pd.date_range(index[-1], periods=horizon + 1, freq=freq, name=index.name)[1:]
    elif pd.api.types.is_integer_dtype(index) and len(index):
        step = int(index[-1] - index[-2]) if len(index) > 1 else 1
        return pd.Index(index[-1] + step * np.arange(1, horizon + 1), name=index.name)
    return pd.RangeIndex(1, horizon + 1, name="step")


@dataclass
class Defaults:
    """Settings chosen from the data, each with the reason it was chosen."""

    season: int | None
    window: int
    horizon: int
    folds: int = 0
    reasons: dict = field(default_factory=dict)


GOOD_WINDOWS = 20  # training windows wanted before the first backtest origin


# A second, longer season by frequency code: hourly data has a daily season (24) and a weekly one.
LONGER_SEASONS = {"h": 168, "H": 168}


def longer_season(index, season, n):
    """The longer season of a series with two (hourly: daily 24 and weekly 168), when its calendar
    season is the shorter one and it covers three of the longer; else None."""
    code = _freq_code(index)
    longer = LONGER_SEASONS.get(code.split("-")[0]) if code else None
    if longer is None or season != 24 or n < 3 * longer:
        return None
    return longer


def _candidates(n, season, window, horizon, longer=None):
    """(horizon, window, note) pairs in order of preference; the first is the plain default."""
    if season:
        horizons = [(season, "one season"), (season // 2, "half a season (the series is short)"),
                    (season // 4, "a quarter season (the series is short)")]
        windows = ([longer] if longer else []) + [2 * season, season, season // 2]
    else:
        h0 = int(np.clip(n // 20, 1, 10))
        horizons = [(h0, "rows/20, clipped to 1..10 (no season)"), (h0 // 2, "half the usual (the series is short)"),
                    (1, "one step (the series is short)")]
        windows = None
    if horizon is not None:
        horizons = [(horizon, "given")]
    pairs = []
    for h, h_note in horizons:
        ws = [window] if window is not None else (windows if season else [max(10, 2 * h), h, 2])
        for w in ws:
            if h >= 1 and w >= 2 and (h, w) not in [p[:2] for p in pairs]:
                pairs.append((h, w, h_note))
    return pairs


def _window_reason(window, season, given, first, longer=None):
    if given:
        return "given"
    if longer and window == longer:
        return f"one longer season of {longer} (the data has a season of {season} and one of {longer})"
    seasons = window // season if season and window % season == 0 else 0
    text = f"{seasons} season{'s' if seasons > 1 else ''} of {season}" if seasons else f"{window} steps"
    return text if first else text + " (shortened: the series is short)"


def choose_defaults(index, values, window=None, horizon=None, season=None, folds=0, min_rows=None) -> Defaults:
    """Season, window, horizon (and backtest folds) for a series, keeping any the caller fixed.

    Seasonal data: horizon = one season, window = two seasons; with two seasons (hourly data over
    at least three weeks: 24 and 168, see `longer_season`) and the season not given, the window
    is one longer season, so that each window sees the same hour a week before. Otherwise: horizon = rows/20
    clipped to 1..10, window = max(10, 2 * horizon). When the first of `folds` backtest
    folds would have fewer than 20 training windows, shorter windows, then shorter horizons,
    then fewer folds are tried, in that order; failing that, the first setting that can be
    trained at all is taken. `min_rows(window, horizon)` is the fewest rows a fit needs
    (default window + horizon; `Forecaster.min_rows` counts its validation part too).
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[0]
    reasons = {}
    if season is None:
        season, reasons["season"] = infer_season(index, values[:, 0] if values.ndim == 2 else values)
    else:
        reasons["season"] = "given"
    season = season if season and season > 1 else None
    min_rows = min_rows or (lambda w, h: w + h)
    longer = longer_season(index, season, n) if reasons["season"] != "given" else None
    pairs = _candidates(n, season, window, horizon, longer)
    fold_options = list(range(folds, 0, -1)) if folds else [0]
    # Folds are given up last: with fewer than 3 a backtest says little and intervals cannot be measured.
    feasible = [(h, w, note, f) for f in fold_options for (h, w, note) in pairs if n - f * h >= min_rows(w, h)]
    good = [c for c in feasible if n - c[3] * c[0] - c[1] - c[0] + 1 >= GOOD_WINDOWS]
    fallback = sorted(feasible, key=lambda c: -c[3])  # keep as many folds as possible
    h, w, note, f = (good or fallback or [(*pairs[0], fold_options[0])])[0]
    reasons["horizon"] = note
    reasons["window"] = _window_reason(w, season, window is not None, (h, w) == pairs[0][:2], longer)
    reasons["folds"] = "" if f == folds else f"reduced from {folds}: the series is short"
    return Defaults(season=season, window=int(w), horizon=int(h), folds=f, reasons=reasons)
