"""The `lstmkit` command itself: --version, and the forecast options that read the input."""

import argparse

import pytest

from lstmkit._version import __version__
from lstmkit.cli import main
from lstmkit.cli.forecast_options import add_options, bundled_csv
from lstmkit.data import dataset_path


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code in (0, None) and capsys.readouterr().out.strip() == f"lstmkit {__version__}"
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "lstmkit", "--version"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == f"lstmkit {__version__}"


def test_a_bundled_name_is_the_bundled_csv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = argparse.Namespace(csv="sunspots")
    assert bundled_csv(args).startswith("'sunspots' is a bundled dataset: yearly mean sunspot numbers")
    assert args.csv == dataset_path("sunspots")
    (tmp_path / "nile").write_text("year,v\n2000,1\n")  # a file of that name wins
    args = argparse.Namespace(csv="nile")
    assert bundled_csv(args) is None and args.csv == "nile"
    assert bundled_csv(argparse.Namespace(csv="other.csv")) is None


def test_season_and_dayfirst_options():
    parser = argparse.ArgumentParser()
    add_options(parser)
    args = parser.parse_args(["--season", "24", "--no-dayfirst"])
    assert (args.season, args.dayfirst) == (24, False)
    assert parser.parse_args([]).dayfirst is None and parser.parse_args(["--dayfirst"]).dayfirst is True
    with pytest.raises(SystemExit):
        parser.parse_args(["--season", "0"])


def test_a_warning_is_one_line_of_the_command(monkeypatch, capsys):
    import warnings

    import lstmkit.cli.generate as generate

    def run(args):
        warnings.warn("out.png: no installed font has the character(s) 北: drawn as boxes", UserWarning)
        return 0

    monkeypatch.setattr(generate, "run", run)
    assert main(["generate", "some.txt"]) == 0
    err = capsys.readouterr().err
    assert err == "lstmkit generate: warning: out.png: no installed font has the character(s) 北: drawn as boxes\n"
    assert warnings.showwarning.__module__ == "warnings"  # restored after the command


def test_pad_counts_wide_characters_as_two_cells_and_cuts_long_ids():
    from lstmkit.cli.forecast_output import pad

    assert pad("abc", 6) == "abc   "
    assert pad("北京店", 8) == "北京店  "  # 6 cells of text, 2 of space
    assert pad("abcdefgh", 6) == "abcde~"
    assert pad("北京店北京", 8) == "北京店~ "  # a wide character never split: 7 cells, then a space
    assert pad(7, 3) == "7  "
