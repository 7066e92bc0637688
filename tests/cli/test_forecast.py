"""`lstmkit forecast`: bad input is one line on stderr with exit code 2; a tiny run writes every file."""

import json
import re
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import main
from lstmkit.data import load_dataset

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def csv(tmp_path, text):
    path = tmp_path / f"series{len(list(tmp_path.iterdir()))}.csv"  # a new file per case
    path.write_text(text)
    return str(path)


def monthly(n, values=None):
    dates = pd.date_range("2000-01-01", periods=n, freq="MS").strftime("%Y-%m-%d")
    values = np.arange(n, dtype=float) if values is None else values
    return "month,sales\n" + "".join(f"{d},{v}\n" for d, v in zip(dates, values))


def run_error(capsys, argv):
    code = main(["forecast", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lstmkit forecast: error: "), err
    return lines[0]


def test_bad_input_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # should a case wrongly succeed, its ./forecast_out lands here
    cases = [
        ([str(tmp_path / "nope.csv")], "file not found"),
        ([csv(tmp_path, monthly(40)), "--column", "revenue"], "column 'revenue' not found; columns: month, sales"),
        ([csv(tmp_path, "month,sales\n2000-01-01,1\n2000-02-01,lots\n2000-03-01,3\n")],
         "column 'sales' has non-numeric values, e.g. 'lots' on line 3"),
        ([csv(tmp_path, "month,sales\n2000-01-01,1\n2000-02-01,2\n2000-05-01,3\n2000-06-01,4\n")],
         "2 date\\(s\\) missing from the MS series, the first 2000-03-01; pass --fill"),
        ([csv(tmp_path, "month,sales\n2000-01-01,1\n2000-02-01,\n2000-03-01,3\n")],
         "1 missing value\\(s\\), the first at 2000-02-01; pass --fill"),
        ([csv(tmp_path, "month,sales\n2000-01-01,1\nsoon,2\n2000-03-01,3\n")],
         "cannot parse column 'month' as dates: 'soon' on line 3"),
        ([csv(tmp_path, monthly(40, np.full(40, 7.0)))], "column 'sales' is constant \\(7\\)"),
        ([csv(tmp_path, monthly(30)), "--window", "24", "--horizon", "12"],
         "the series has 30 rows, shorter than window 24 \\+ horizon 12"),
        ([csv(tmp_path, monthly(26)), "--window", "12", "--horizon", "6"],
         "the series has 26 rows; window 12 and horizon 6 need at least 30: 24 to train \\(with validation "
         "windows\\) and 6 to backtest"),
        ([csv(tmp_path, "month,a,b\n2000-01-01,1,2\n2000-02-01,2,3\n2000-03-01,3,1\n")],
         "several numeric columns \\(a, b\\); pass --column NAME"),
        (["--window", "0"], "argument --window: expected a positive integer, received '0'"),
        (["--epochs", "many"], "argument --epochs: expected a positive integer, received 'many'"),
        (["--seed", "-1"], "argument --seed: expected an integer >= 0, received '-1'"),
        (["--model", "transformer"], "argument --model: invalid choice"),
        (["--column", "x"], "--column, --date-column, --covariates, --future-covariates, --fill, --id-column and "
                            "--wide need a CSV file"),
        (["--intervals", "80,120"], "argument --intervals: expected percentages between 0 and 100 such as 80,95 "
                                    "\\(or none\\), received '80,120'"),
        (["--intervals", "wide"], "argument --intervals: expected percentages"),
        ([csv(tmp_path, "month,shop,sales\n2000-01-01,a,1\n2000-01-01,b,2\n2000-02-01,a,3\n2000-02-01,b,4\n")],
         "more than once .*; if the file holds several series, name the column that tells them apart: "
         "--id-column NAME$"),
        (["--strategy", "global"], "--strategy chooses how a panel is modelled; it needs --id-column NAME or --wide"),
        (["--strategy", "both"], "argument --strategy: invalid choice"),
        (["--id-column", "store", "--wide"], "--id-column \\(long format\\) and --wide \\(wide format\\) describe "
                                             "different files"),
        ([csv(tmp_path, monthly(40)), "--wide", "--covariates", "x"], "in a --wide file every numeric column is a "
                                                                      "series"),
        ([csv(tmp_path, monthly(40)), "--future-covariates", "price"],
         "future covariate column\\(s\\) price not found; columns: month, sales"),
        ([csv(tmp_path, "year,sales\n" + "".join(f"{1900 + i}-01-01,{i % 5}\n" for i in range(60))), "--calendar"],
         "calendar=True: no calendar feature varies within a 'YS-JAN' frequency"),
    ]
    for argv, message in cases:
        line = run_error(capsys, argv)
        assert re.search(message, line), (message, line)


def test_a_real_process_exits_2_without_traceback(tmp_path):
    code = "import sys; from lstmkit.cli import main; sys.exit(main())"
    proc = subprocess.run([sys.executable, "-c", code, "forecast", str(tmp_path / "missing.csv")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"lstmkit forecast: error: file not found: {tmp_path / 'missing.csv'}"
    assert proc.stdout == ""


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One real run on 72 months of the airline series, with a tiny network (outputs, not accuracy)."""
    folder = tmp_path_factory.mktemp("forecast")
    data = load_dataset("airline").iloc[:72]
    path = folder / "airline72.csv"
    data.rename("passengers").rename_axis("date").to_csv(path)
    out = folder / "out"
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["forecast", str(path), "--epochs", "2", "--units", "4", "--folds", "1", "--out", str(out)])
    return code, buffer.getvalue(), out, data


def test_tiny_run_prints_what_it_did(tiny_run):
    code, stdout, out, data = tiny_run
    assert code == 0
    for text in ("Read ", "72 rows, 1949-01-01 to 1954-12-01", "frequency: MS",
                 "--season   12", "--window   24", "--horizon  12", "--epochs   2", "Total params",
                 "Backtest fold 1/1", "Epoch 2/2", "seasonal_naive", "drift", "holdout MASE", "Final model",
                 "--intervals 80%, 95% default", "--max-windows 50,000   default: all 37 windows are used", "coverage not measured: that needs 2 or more backtest folds",
                 "note: the 95% interval is unbounded (inf) at 12 step(s): 95% needs at least 19 backtest errors",
                 f"Wrote {out}/"):
        assert text in stdout, text


def test_tiny_run_writes_every_file(tiny_run):
    _, _, out, data = tiny_run
    forecast = pd.read_csv(out / "forecast.csv", parse_dates=["date"])
    assert list(forecast.columns) == ["date", "forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
    assert len(forecast) == 12
    # one fold gives one out-of-sample error per step: too few for either level, so the bounds are
    # unbounded (never a narrow band), and coverage is not measured
    assert np.isinf(forecast[["lower_80", "upper_80", "lower_95", "upper_95"]].to_numpy()).all()
    assert list(forecast["date"]) == list(pd.date_range("1955-01-01", periods=12, freq="MS"))
    assert np.isfinite(forecast["forecast"]).all()
    backtest = pd.read_csv(out / "backtest.csv")
    assert {"fold", "origin", "time", "step", "actual", "lstmkit", "naive", "seasonal_naive", "drift"} <= set(backtest)
    assert len(backtest) == 12
    np.testing.assert_array_equal(backtest["actual"], data.to_numpy()[60:])
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"settings", "preprocessing", "backtest", "holdout_mase", "forecast"} <= set(metrics)
    from lstmkit.forecasting.baselines import STATISTICAL, statistical_available

    extra = set(STATISTICAL) if statistical_available() else set()  # with the [baselines] extra installed
    assert set(metrics["backtest"]["scores"]) == {"lstmkit", "naive", "seasonal_naive", "drift"} | extra
    assert set(metrics["backtest"]["scores"]["naive"]) == {"MAE", "RMSE", "MAPE", "sMAPE", "MASE"}
    assert metrics["settings"]["window"] == 24 and metrics["settings"]["folds"] == 1
    assert metrics["settings"]["max_windows"] == 50_000
    assert metrics["forecast"] and len(metrics["forecast"]) == 12
    assert metrics["backtest"]["coverage"] is None and metrics["settings"]["intervals"] == [80.0, 95.0]
    for png in ("forecast.png", "loss.png"):
        assert (out / png).read_bytes()[:8] == PNG_MAGIC
    assert zipfile.is_zipfile(out / "model.keras")
    with zipfile.ZipFile(out / "model.keras") as z:
        assert "config.json" in z.namelist()


def test_saved_model_reproduces_the_forecast(tiny_run):
    from lstmkit.saving import load_model

    _, _, out, data = tiny_run
    metrics = json.loads((out / "metrics.json").read_text())
    pre = metrics["preprocessing"]
    lo, hi = pre["data_min"], pre["data_max"]
    window = metrics["settings"]["window"]
    x = (data.to_numpy()[-window:] - lo) / (hi - lo)
    model = load_model(str(out / "model.keras"))
    y = np.asarray(model.predict((x - x[-1]).astype(np.float32)[None, :, None], verbose=0))[0] + x[-1]
    np.testing.assert_allclose(y * (hi - lo) + lo, list(metrics["forecast"].values()), rtol=1e-4)


def test_tiny_run_names_a_baseline_that_beats_lstmkit(tiny_run):
    """The summary compares with naive, and says so when another baseline did better than lstmkit."""
    _, stdout, _, _ = tiny_run
    holdout = {m.group(1): float(m.group(2))
               for m in re.finditer(r"^  (lstmkit|naive|seasonal_naive|drift)\s.*\s(\d+\.\d+)$", stdout, re.M)}
    assert set(holdout) == {"lstmkit", "naive", "seasonal_naive", "drift"}
    others = {k: v for k, v in holdout.items() if k not in ("lstmkit", "naive")}
    best = min(others, key=others.get)
    line = f"  holdout MASE: the {best} baseline ({others[best]:.3f}) beats lstmkit ({holdout['lstmkit']:.3f})"
    assert (line in stdout) == (others[best] < holdout["lstmkit"])


# --- files and folders, checked before anything is trained ([reliability] issues 15 and 19) ---

def _unwritable_folder(tmp_path):
    """A folder this process cannot write in: a read-only one, or for root (who writes anyway) /sys."""
    import os
    import tempfile

    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    for candidate in (str(folder), "/sys"):
        try:
            fd, probe = tempfile.mkstemp(dir=candidate)
        except OSError:
            return candidate
        os.close(fd)
        os.unlink(probe)
    pytest.skip("no folder here refuses this process's writes")


def test_file_and_folder_problems_are_one_line_exit_2(tmp_path, capsys, monkeypatch):
    import os
    import signal

    monkeypatch.chdir(tmp_path)
    good = csv(tmp_path, monthly(40))
    (tmp_path / "a_file").write_text("x")
    unwritable = _unwritable_folder(tmp_path)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    cases = [
        ([csv(tmp_path, monthly(40, [1.0] * 39 + [float("inf")]))],
         "column 'sales' has 1 infinite value\\(s\\), the first inf on line 41: every value must be a finite number"),
        ([csv(tmp_path, monthly(40, [-float("inf")] + [1.0] * 39))], "the first -inf on line 2"),
        ([str(fifo)], f"^lstmkit forecast: error: {fifo} is a named pipe, not a regular file; give a CSV file$"),
        (["/dev/zero"], "/dev/zero is a character device, not a regular file"),
        ([str(tmp_path)], "is a directory, not a CSV file"),
        ([good, "--out", str(tmp_path / "a_file")], f"--out {tmp_path / 'a_file'} exists and is not a directory"),
        ([good, "--out", str(tmp_path / "a_file" / "sub")], "cannot be made: .*a_file is a file, not a directory"),
        ([good, "--out", f"{unwritable}/out"], f"--out {unwritable}/out cannot be made in {unwritable}: "
                                               "permission denied"),
    ]

    def hung(signum, frame):
        raise TimeoutError("lstmkit forecast blocked")

    previous = signal.signal(signal.SIGALRM, hung)
    try:
        for argv, message in cases:
            signal.alarm(30)  # a read that blocks (the named pipe) fails the test instead of hanging it
            line = run_error(capsys, argv)
            signal.alarm(0)
            assert re.search(message, line), (message, line)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert not (tmp_path / "forecast_out").exists()


def test_an_unreadable_csv_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    import os

    path = csv(tmp_path, monthly(40))
    os.chmod(path, 0)
    if os.access(path, os.R_OK):  # root reads it anyway: make the open fail as it would for anyone else
        real_open = os.open

        def refuse(name, *args, **kwargs):
            if os.fspath(name) == path:
                raise PermissionError(13, "Permission denied", name)
            return real_open(name, *args, **kwargs)

        monkeypatch.setattr(os, "open", refuse)
    assert run_error(capsys, [path]) == f"lstmkit forecast: error: cannot read {path}: permission denied"


def test_path_and_argument_errors_come_before_the_heavy_imports(tmp_path):
    """In a fresh process: every such error exits 2 with JAX (and the library) never imported."""
    import os

    (tmp_path / "a_file").write_text("x")
    os.mkfifo(tmp_path / "pipe.csv")
    good = csv(tmp_path, monthly(40))
    cases = [[str(tmp_path / "missing.csv")], [str(tmp_path / "pipe.csv")], ["/dev/zero"], [str(tmp_path)],
             [good, "--out", str(tmp_path / "a_file")], ["--window", "0"], ["--model", "transformer"],
             ["--column", "x"], ["--bogus"]]
    code = ("import contextlib, io, sys, json\n"
            "from lstmkit.cli import main\n"
            "codes = []\n"
            f"for argv in {cases!r}:\n"
            "    with contextlib.redirect_stderr(io.StringIO()):\n"
            "        codes.append(main(['forecast', *argv]))\n"
            "try:\n"
            "    with contextlib.redirect_stdout(io.StringIO()):\n"
            "        main(['forecast', '--help'])\n"
            "except SystemExit as stop:\n"
            "    codes.append(stop.code)\n"
            "heavy = sorted(m for m in ('jax', 'pandas', 'lstmkit.layers', 'lstmkit.models') if m in sys.modules)\n"
            "print(json.dumps([codes, heavy]))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [[2] * len(cases) + [0], []]


def test_the_choices_are_the_librarys():
    from lstmkit.cli.forecast import FILL_METHODS, MODEL_KINDS
    from lstmkit.forecasting import architectures, reading

    assert MODEL_KINDS == tuple(architectures.KINDS) and FILL_METHODS == tuple(reading.FILL_METHODS)


def test_a_large_file_shows_each_stage_on_stderr(tmp_path, capsys, monkeypatch):
    from lstmkit.cli import forecast

    monkeypatch.setattr(forecast, "LARGE_FILE", 0)  # every file counts as large
    path = csv(tmp_path, monthly(26))
    code = main(["forecast", path, "--window", "12", "--horizon", "6"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert re.fullmatch(f"Reading {re.escape(path)} \\(\\d+ kB\\)\\.\\.\\.", err[0]), err
    assert err[1:] == ["Finding the date and value columns in 26 rows, reading the dates...",
                       "Checking the frequency of the dates...", "Loading lstmkit and JAX...",
                       "Detecting the season of 26 rows and choosing the window...",
                       "lstmkit forecast: error: the series has 26 rows; window 12 and horizon 6 need at least 30: "
                       "24 to train (with validation windows) and 6 to backtest"]


def test_bad_quantiles_are_one_line_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv, message in [
        (["--quantiles", "1.5"], "argument --quantiles: expected quantiles between 0 and 1 such as 0.1,0.5,0.9, "
                                 "received '1.5'"),
        (["--quantiles", "0.1,0.1"], "argument --quantiles: expected distinct quantiles; 0.1 appears twice in "
                                     "'0.1,0.1'"),
        (["--quantiles", "abc"], "argument --quantiles: expected quantiles between 0 and 1"),
        (["--quantiles", "0.1,0.9", "--strategy", "recursive"], "argument --strategy: invalid choice: 'recursive'"),
    ]:
        assert re.search(message, run_error(capsys, argv)), message


@pytest.fixture(scope="module")
def quantile_run(tmp_path_factory):
    """A tiny run with --quantiles beside the conformal intervals."""
    folder = tmp_path_factory.mktemp("quantiles")
    path = folder / "airline84.csv"
    load_dataset("airline").iloc[:84].rename("passengers").rename_axis("date").to_csv(path)
    out = folder / "out"
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["forecast", str(path), "--epochs", "2", "--units", "4", "--folds", "2", "--intervals", "80",
                     "--quantiles", "0.9,0.1", "--out", str(out)])
    return code, buffer.getvalue(), out


def test_quantile_run_writes_the_q_columns_and_their_coverage(quantile_run):
    code, stdout, out = quantile_run
    assert code == 0
    for text in ("--quantiles 0.1,0.5,0.9 given; pinball loss", "Dense(horizon x 3), Reshape",
                 "Quantiles 0.1, 0.5, 0.9: pinball loss", "share of actuals below each quantile",
                 "share inside each symmetric pair: 80%: ", "q0.1 "):
        assert text in stdout, text
    forecast = pd.read_csv(out / "forecast.csv")
    assert list(forecast.columns) == ["date", "forecast", "q0.1", "q0.5", "q0.9", "lower_80", "upper_80"]
    np.testing.assert_array_equal(forecast["forecast"], forecast["q0.5"])
    q = forecast[["q0.1", "q0.5", "q0.9"]].to_numpy()
    assert (np.diff(q, axis=1) >= 0).all()
    metrics = json.loads((out / "metrics.json").read_text())
    backtest = metrics["backtest"]
    assert set(backtest["quantile_coverage"]) == {"0.1", "0.5", "0.9"}
    assert set(backtest["quantile_interval_coverage"]) == {"80"} and set(backtest["coverage"]) == {"80"}
    assert all(0 <= v <= 1 for v in backtest["quantile_coverage"].values())
    assert metrics["settings"]["quantiles"] == metrics["preprocessing"]["quantiles"] == [0.1, 0.5, 0.9]
    assert (out / "forecast.png").read_bytes()[:8] == PNG_MAGIC
