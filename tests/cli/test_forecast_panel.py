"""`lstmkit forecast FILE --id-column ID` / `--wide`, intervals and known-future inputs: small real runs."""

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import main

TINY = ["--epochs", "3", "--units", "4", "--window", "12", "--horizon", "6", "--folds", "2"]


def _panel(n=60, series=5):
    rng = np.random.default_rng(3)
    dates = pd.date_range("2000-01-01", periods=n, freq="MS")
    parts = []
    for i in range(series):
        t = np.arange(n)
        v = 20 * (i + 1) + 5 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, n)
        parts.append(pd.DataFrame({"month": dates.strftime("%Y-%m-%d"), "shop": f"s{i}", "sales": v.round(3)}))
    parts.append(pd.DataFrame({"month": dates[:15].strftime("%Y-%m-%d"), "shop": "tiny", "sales": np.arange(15.0)}))
    return pd.concat(parts, ignore_index=True)


def _run(argv):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["forecast", *argv])
    return code, buffer.getvalue()


@pytest.fixture(scope="module")
def long_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("panel")
    path = folder / "panel.csv"
    _panel().to_csv(path, index=False)
    out = folder / "out"
    code, stdout = _run([str(path), "--id-column", "shop", *TINY, "--out", str(out)])
    return code, stdout, out


def test_long_panel_run(long_run):
    code, stdout, out = long_run
    assert code == 0, stdout
    for text in ("a long panel of 6 series ('s0', 's1', 's2', 's3', 's4', 'tiny')", "--strategy global",
                 "series 'tiny' left out, too short: 15 rows", "Backtest MASE per series", "mean MASE: lstmkit",
                 "coverage on held-out folds, mean over 5 series: 80%:", f"Wrote {out}/"):
        assert text in stdout, text
    forecast = pd.read_csv(out / "forecast.csv")
    assert list(forecast.columns) == ["shop", "month", "forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
    assert forecast.groupby("shop").size().to_dict() == {f"s{i}": 6 for i in range(5)}
    assert list(forecast[forecast.shop == "s0"].month) == list(pd.date_range("2005-01-01", periods=6, freq="MS")
                                                               .strftime("%Y-%m-%d"))
    f = forecast
    assert ((f.lower_95 <= f.lower_80) & (f.lower_80 <= f.forecast) & (f.forecast <= f.upper_80)
            & (f.upper_80 <= f.upper_95)).all()
    assert np.isfinite(f[["lower_80", "upper_80"]].to_numpy()).all()  # 8 errors per step: enough for 80 %
    backtest = pd.read_csv(out / "backtest.csv")
    assert list(backtest.columns[:2]) == ["shop", "fold"] and set(backtest.shop) == {f"s{i}" for i in range(5)}
    metrics = json.loads((out / "metrics.json").read_text())
    bt = metrics["backtest"]
    assert set(bt["coverage"]) == {"80", "95"} and all(0 <= v <= 1 for v in bt["coverage"].values())
    assert set(bt["scores"]) == {f"s{i}" for i in range(5)} and set(bt["scores"]["s0"]) >= {"lstmkit", "naive"}
    mean = np.mean([bt["scores"][f"s{i}"]["lstmkit"]["MASE"] for i in range(5)])
    assert bt["mean_scores"]["lstmkit"]["MASE"] == pytest.approx(mean)
    assert bt["skipped"]["tiny"].startswith("too short: 15 rows") and bt["strategy"] == "global"
    assert metrics["settings"]["id_column"] == "shop" and metrics["model_files"]["s0"] == "model.keras"
    assert (out / "model.keras").is_file() and (out / "forecast.png").is_file()


def test_wide_panel_local_without_intervals(tmp_path):
    wide = _panel().pivot(index="month", columns="shop", values="sales").reset_index()
    path = tmp_path / "wide.csv"
    wide.to_csv(path, index=False)
    out = tmp_path / "out"
    code, stdout = _run([str(path), "--wide", "--strategy", "local", "--intervals", "none", *TINY, "--out", str(out)])
    assert code == 0, stdout
    assert "a wide panel of 6 series" in stdout and "--strategy local" in stdout and "given" in stdout
    forecast = pd.read_csv(out / "forecast.csv")
    assert list(forecast.columns) == ["series", "month", "forecast"] and len(forecast) == 30
    metrics = json.loads((out / "metrics.json").read_text())
    assert "coverage" not in metrics["backtest"] or metrics["backtest"]["coverage"] is None
    assert sorted((out / "models").iterdir())[0].name == "000_s0.keras"


def test_one_series_with_future_covariates_and_calendar(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n, horizon = 60, 6
    dates = pd.date_range("2000-01-03", periods=n + horizon, freq="D")
    promo = (rng.random(n + horizon) < 0.4).astype(int)
    sales = 10 + 4 * promo + rng.normal(0, 0.1, n + horizon)
    frame = pd.DataFrame({"day": dates.strftime("%Y-%m-%d"), "sales": sales.round(3), "promo": promo})
    frame.loc[n:, "sales"] = np.nan
    path = tmp_path / "promo.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    code, stdout = _run([str(path), "--future-covariates", "promo", "--calendar", *TINY, "--out", str(out)])
    assert code == 0, stdout
    assert "6 future row(s) of promo" in stdout
    assert "known-future inputs promo, day_of_week_sin, day_of_week_cos, day_of_year_sin, day_of_year_cos" in stdout
    forecast = pd.read_csv(out / "forecast.csv")
    assert list(forecast.day) == list(dates[n:].strftime("%Y-%m-%d"))
    pre = json.loads((out / "metrics.json").read_text())["preprocessing"]
    assert pre["known_future_inputs"]["columns"][0] == "promo" and pre["known_future_inputs"]["led_by"] == horizon
    # too few future rows: counted, one line, exit 2, before any training
    short = tmp_path / "short.csv"
    frame.iloc[:n + 2].to_csv(short, index=False)
    assert main(["forecast", str(short), "--future-covariates", "promo", *TINY, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["lstmkit forecast: error: --future-covariates promo must have values for --horizon 6 rows past the "
                   "last value of 'sales' (2000-03-02); the file has 2: 4 missing (rows with 'sales' left empty)"]


def test_quiet_panel_with_day_first_dates(tmp_path):
    # 01/02/2000 is the 1st of February only day first; --quiet prints the forecast lines alone.
    panel = _panel(series=2)
    panel = panel[panel.shop != "tiny"]
    panel["month"] = pd.to_datetime(panel["month"]).dt.strftime("%d/%m/%Y")
    path = tmp_path / "dm.csv"
    panel.to_csv(path, index=False)
    out = tmp_path / "out"
    code, stdout = _run([str(path), "--id-column", "shop", "--dayfirst", "--quiet", *TINY, "--out", str(out)])
    assert code == 0, stdout
    lines = stdout.strip().splitlines()
    assert lines[0] == "Forecast of 'sales', 6 steps for each of 2 series (first and last step):", stdout
    assert len(lines) == 3 and lines[1].split()[:2] == ["s0", "2005-01-01"] and "2005-06-01" in lines[1]
    forecast = pd.read_csv(out / "forecast.csv")
    assert list(forecast["month"][:2]) == ["2005-01-01", "2005-02-01"]


def test_panel_with_quantiles(tmp_path):
    path = tmp_path / "panel.csv"
    _panel(series=2).to_csv(path, index=False)
    out = tmp_path / "out"
    code, stdout = _run([str(path), "--id-column", "shop", *TINY, "--quantiles", "0.2,0.8", "--out", str(out)])
    assert code == 0
    assert "Quantiles 0.2, 0.5, 0.8: pinball loss" in stdout and "mean over 2 series" in stdout
    forecast = pd.read_csv(out / "forecast.csv")
    assert list(forecast.columns) == ["shop", "month", "forecast", "q0.2", "q0.5", "q0.8", "lower_80", "upper_80",
                                      "lower_95", "upper_95"]
    assert len(forecast) == 2 * 6 and (forecast["q0.2"] <= forecast["q0.8"]).all()
    backtest = json.loads((out / "metrics.json").read_text())["backtest"]
    assert set(backtest["quantile_coverage"]) == {"0.2", "0.5", "0.8"}
    assert set(backtest["quantile_interval_coverage"]) == {"60"}
    series = backtest["series"]
    assert backtest["quantile_coverage"]["0.8"] == pytest.approx(
        np.mean([series[k]["quantile_coverage"]["0.8"] for k in ("s0", "s1")]))


def test_panel_with_static_covariates_and_id_inputs(tmp_path):
    panel = _panel(series=3)
    panel["region"] = panel.shop.map({"s0": "north", "s1": "south", "s2": "north", "tiny": "east"})
    panel["size"] = panel.shop.map({"s0": 1.0, "s1": 2.0, "s2": 4.0, "tiny": 3.0})
    path = tmp_path / "static.csv"
    panel.to_csv(path, index=False)
    out = tmp_path / "out"
    code, stdout = _run([str(path), "--id-column", "shop", "--column", "sales", "--static-covariates", "region,size",
                         "--id-inputs", *TINY, "--out", str(out)])
    assert code == 0, stdout
    lines = stdout.splitlines()
    assert lines[0].endswith("column 'sales'; static covariates region, size; dates from column 'month'."), lines[0]
    for text in ("--strategy global   auto: static covariates or id inputs need one model for every series",
                 "--static-covariates region,size given; 6 input(s)", "--id-inputs yes",
                 "Static inputs, the same at every step of a series (6 columns): size (standardized: mean 2.33333, "
                 "sd 1.24722); region (one-hot: 2 values); the series id (one-hot: 3 series)"):
        assert text in stdout, text
    settings = json.loads((out / "metrics.json").read_text())["settings"]
    assert settings["static_covariates"] == ["region", "size"] and settings["id_inputs"] is True
    assert settings["static_inputs"] == ["region=north", "region=south", "size", "shop=s0", "shop=s1", "shop=s2"]
    assert set(pd.read_csv(out / "forecast.csv").shop) == {"s0", "s1", "s2"}


@pytest.mark.parametrize("extra, message", [
    (["--id-column", "shop", "--static-covariates", "region,open"],
     "static column 'open' must be constant within every series; series 's0' has 0 and 1"),
    (["--id-column", "shop", "--static-covariates", "regio"],
     "static covariate column(s) regio not found; columns: month, shop, sales, region, open"),
    (["--wide", "--static-covariates", "region"],
     "--static-covariates need a long panel (--id-column NAME): columns constant within each series; a --wide "
     "file has no such columns"),
    (["--id-column", "shop", "--strategy", "local", "--id-inputs"],
     "--id-inputs need --strategy global (or auto): they are constant within a series, so a model per series "
     "(local) learns nothing from them"),
    (["--id-inputs"], "--id-inputs gives a panel's global model the series ids; it needs --id-column NAME or --wide"),
])
def test_static_covariate_errors(tmp_path, capsys, extra, message):
    panel = _panel(series=2)
    panel["region"] = "north"
    panel["open"] = np.arange(len(panel)) % 2
    path = tmp_path / "p.csv"
    panel.to_csv(path, index=False)
    assert main(["forecast", str(path), "--column", "sales", *extra, *TINY, "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"lstmkit forecast: error: {message}"]
