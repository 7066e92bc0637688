"""`lstmkit generate`: learns the bundled text below the unigram loss, saves, repeats itself, rejects bad input."""

import contextlib
import io
import json
import re
import subprocess
import sys

import pytest

from lstmkit.cli import main

STEPS = 48  # a quarter of a minute on 2 cores: enough to get well below the unigram loss
PROMPT = "First Citizen:\n"  # the default: the first line of the bundled text


def _run(capsys, *argv):
    code = main(["generate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("cli") / "model"
    out, err = io.StringIO(), io.StringIO()  # module scope: no capsys, capture by hand
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["generate", "--train-steps", str(STEPS), "--length", "200", "--out", str(out_dir)])
    return code, out.getvalue(), err.getvalue(), out_dir


def test_default_text_trains_below_the_unigram_loss_and_generates(trained):
    code, out, err, out_dir = trained
    assert code == 0
    assert "training on the bundled Shakespeare" in err and "47,906 characters, 59 distinct" in err
    progress = re.findall(r"^step (\d+)/48  loss ([\d.]+)", err, re.M)
    assert [int(s) for s, _ in progress] == [12, 24, 36, 48]
    final = re.search(r"trained 48 steps in [\d.]+ s: loss ([\d.]+) nats/character .* vs unigram entropy ([\d.]+)",
                      err)
    loss, unigram = float(final.group(1)), float(final.group(2))
    assert unigram == pytest.approx(3.283, abs=1e-3)
    assert loss < unigram - 0.4  # clearly below guessing characters by their frequency
    assert out.startswith(PROMPT) and len(out.rstrip("\n")) >= len(PROMPT) + 200 - 1
    assert len(out) in (len(PROMPT) + 200, len(PROMPT) + 201)  # the text (+ a final newline if it had none)
    meta = json.loads((out_dir / "vocab.json").read_text())
    assert len(meta["vocabulary"]["chars"]) == 59 and meta["info"]["prompt"] == PROMPT
    assert meta["info"]["steps"] == STEPS


def test_saved_model_generates_the_same_text_here_and_in_another_process(trained, capsys):
    _, first_out, _, out_dir = trained
    code, out, err = _run(capsys, "--model", str(out_dir), "--length", "200")
    assert code == 0 and out == first_out  # same default seed 0 and prompt: the same text as right after training
    assert "loaded the model from" in err and "training" not in err
    code, seeded, _ = _run(capsys, "--model", str(out_dir), "--length", "300", "--seed", "7", "--prompt", "ROMEO:",
                           "--temperature", "1.2", "--top-k", "8")
    assert code == 0 and seeded.startswith("ROMEO:")
    other = subprocess.run(
        [sys.executable, "-c", "import sys; from lstmkit.cli import main; sys.exit(main(sys.argv[1:]))",
         "generate", "--model", str(out_dir), "--length", "300", "--seed", "7", "--prompt", "ROMEO:",
         "--temperature", "1.2", "--top-k", "8"],
        capture_output=True, text=True, timeout=120)
    assert other.returncode == 0, other.stderr
    assert other.stdout == seeded


def _one_error_line(code, out, err, expected):
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lstmkit generate: error: "), err
    assert re.search(expected, lines[0]), lines[0]


def test_bad_files(tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    _one_error_line(*_run(capsys, str(tmp_path / "empty.txt")), "'.*empty.txt' is empty")
    (tmp_path / "data.bin").write_bytes(bytes(range(256)) * 8)
    _one_error_line(*_run(capsys, str(tmp_path / "data.bin")), "is a binary file")
    _one_error_line(*_run(capsys, str(tmp_path / "nope.txt")), "'.*nope.txt' does not exist")
    (tmp_path / "short.txt").write_text("to be or not to be\n" * 10)
    _one_error_line(*_run(capsys, str(tmp_path / "short.txt")), "has 190 characters; training needs at least 3,232")


def test_bad_model_and_arguments(tmp_path, trained, capsys):
    out_dir = trained[3]
    _one_error_line(*_run(capsys, "--model", str(tmp_path / "missing")),
                    "--model '.*missing': no saved character model")
    (tmp_path / "not_a_model").mkdir()
    _one_error_line(*_run(capsys, "--model", str(tmp_path / "not_a_model")), "has no vocab.json")
    _one_error_line(*_run(capsys, "--model", str(out_dir), "--epochs", "2"), "--epochs cannot be used with it")
    _one_error_line(*_run(capsys, "--model", str(out_dir), str(tmp_path / "t.txt")), "TEXT_FILE cannot be used")
    _one_error_line(*_run(capsys, "--train-steps", "3", "--epochs", "2"), "not allowed with argument")
    _one_error_line(*_run(capsys, "--length", "0"), "--length must be at least 1, got 0")
    _one_error_line(*_run(capsys, "--temperature", "-1"), "--temperature must be a finite number >= 0")
    _one_error_line(*_run(capsys, "--train-steps", "0"), "--train-steps must be at least 1")
    _one_error_line(*_run(capsys, "--length", "ten"), "invalid int value: 'ten'")
    code, out, err = _run(capsys, "--model", str(out_dir), "--prompt", "Ωmega")
    assert code == 2 and err.strip().splitlines()[-1] == \
        "lstmkit generate: error: --prompt has characters the model does not know: 'Ω'"
    code, out, err = _run(capsys, "--model", str(out_dir), "--top-k", "60")
    assert code == 2 and "--top-k must be at most the vocabulary size 59, got 60" in err
