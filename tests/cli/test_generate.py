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


# --- hostile inputs ([reliability] issues 15 and 19) ---

def test_a_text_of_one_distinct_character_is_one_line(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("a" * 4000)
    _one_error_line(*_run(capsys, str(tmp_path / "a.txt"), "--out", str(tmp_path / "m")),
                    "'.*a.txt' has only one distinct character \\('a'\\): there is nothing to learn")


def test_paths_are_checked_before_training(tmp_path, capsys):
    import os

    (tmp_path / "a_file").write_text("x")
    os.mkfifo(tmp_path / "pipe.txt")
    cases = [
        ((str(tmp_path / "pipe.txt"),), "pipe.txt is a named pipe, not a regular file"),
        (("/dev/zero",), "/dev/zero is a character device, not a regular file"),
        ((str(tmp_path),), "is a directory"),
        (("--out", str(tmp_path / "a_file")), f"--out {tmp_path / 'a_file'} exists and is not a directory"),
        (("--out", str(tmp_path / "a_file" / "m")), "a_file is a file, not a directory"),
    ]
    for argv, expected in cases:
        code, out, err = _run(capsys, *argv, "--train-steps", "1")
        _one_error_line(code, out, err, expected)  # one line: nothing was trained first


def _damaged_copy(trained, tmp_path, name, change):
    import shutil

    folder = tmp_path / name
    shutil.copytree(trained[3], folder)
    meta = json.loads((folder / "vocab.json").read_text())
    text = change(meta, folder)
    (folder / "vocab.json").write_text(text if isinstance(text, str) else json.dumps(meta))
    return folder


def _chars(value):
    def change(meta, folder):
        meta["vocabulary"]["chars"] = value(meta["vocabulary"]["chars"])

    return change


def _set(path, value):
    def change(meta, folder):
        node = meta
        for key in path[:-1]:
            node = node[key]
        if value is KeyError:
            del node[path[-1]]
        else:
            node[path[-1]] = value

    return change


def _symlink_outside(meta, folder):
    (folder / "model.keras").unlink()
    (folder / "model.keras").symlink_to("/etc/hostname")


def test_a_damaged_or_hostile_model_folder_is_one_line(trained, tmp_path, capsys):
    import os

    outside = "../" * 12 + "etc/hostname"
    cases = [
        ("up", _set(["weights"], outside), f"'weights' {re.escape(repr(outside))} leads outside"),
        ("absolute", _set(["weights"], "/etc/hostname"), "'weights' '/etc/hostname' is an absolute path"),
        ("symlink", _symlink_outside, "'weights' 'model.keras' leads outside"),
        ("folder", _set(["weights"], "."), "'weights' '.' leads outside"),
        ("weights_type", _set(["weights"], 7), "'weights' must be a file name; received 7"),
        ("chars_text", _chars(lambda chars: "".join(chars)), "'vocabulary' is damaged: .*expects \\{'chars'"),
        ("chars_number", _chars(lambda chars: 5), "'vocabulary' is damaged"),
        ("chars_words", _chars(lambda chars: ["ab", *chars[1:]]), "takes single characters; received \\['ab'\\]"),
        ("chars_repeated", _chars(lambda chars: [chars[1], *chars[1:]]), "must be unique; repeated"),
        ("chars_fewer", _chars(lambda chars: chars[:-1]), "the vocabulary has 58 characters but the model 59 inputs"),
        ("sizes_fewer", _set(["model", "vocab_size"], 58), "58 inputs and outputs"),
        ("both_fewer", lambda meta, folder: (_chars(lambda c: c[:-1])(meta, folder),
                                             _set(["model", "vocab_size"], 58)(meta, folder),
                                             _set(["info", "prompt"], KeyError)(meta, folder))[0],
         "the model takes 59 character ids and scores 59 characters, but the vocabulary has 58"),
        ("no_vocabulary", _set(["vocabulary"], KeyError), "'vocabulary' is damaged"),
        ("no_model", _set(["model"], KeyError), "'model' must be an object with the keys"),
        ("no_weights", _set(["weights"], KeyError), "'weights' must be a file name; received None"),
        ("huge", _set(["model", "rnn_units"], 10**9), "model.rnn_units must be an integer from 1 to 16,384"),
        ("not_json", lambda meta, folder: "{not json", "is not a valid vocab.json"),
        ("a_list", lambda meta, folder: "[1, 2]", "was not written by lstmkit.generation.save"),
        ("deep", lambda meta, folder: "[" * 100_000 + "]" * 100_000, "vocab.json"),
        ("prompt", _set(["info", "prompt"], "Ω"), "info.prompt must be a non-empty text"),
    ]
    for name, change, expected in cases:
        if name == "symlink" and not os.path.exists("/etc/hostname"):
            continue
        folder = _damaged_copy(trained, tmp_path, name, change)
        code, out, err = _run(capsys, "--model", str(folder), "--length", "5")
        assert code == 2 and out == "", (name, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"lstmkit generate: error: --model '{folder}': "), (name, err)
        assert re.search(expected, lines[0]), (name, lines[0])
