"""The ``toonsklearn`` command (toonsklearn/cli/_main.py): its parser, help and version, and
every error and warning told in one plain line with an exit status."""

import argparse
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from tests.cli.conftest import error_line, needs_safe_keras, run_cli
from toonsklearn.cli import main


def test_version_from_the_script_and_from_python_dash_m(tmp_path):
    import toonsklearn

    for script in (True, False):
        done = run_cli("--version", cwd=tmp_path, script=script)
        assert done.returncode == 0
        assert done.stdout.strip() == f"toonsklearn {toonsklearn.__version__}"


@pytest.mark.parametrize("command", ["demo", "train", "predict", "evaluate", "tune", "embed",
                                     "audit", "backbones"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert f"usage: toonsklearn {command}" in capsys.readouterr().out


def _commands() -> argparse._SubParsersAction:
    from toonsklearn.cli._main import _parser

    return next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))


@pytest.mark.parametrize("command", ["demo", "train", "predict", "evaluate", "tune", "embed",
                                     "audit", "backbones"])
def test_every_option_with_a_default_shows_it_in_help(command, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # no line broken inside a default's value
    with pytest.raises(SystemExit):
        main([command, "--help"])
    printed = " ".join(capsys.readouterr().out.split())
    parser = _commands().choices[command]
    for action in parser._actions:
        if action.default in (None, False, argparse.SUPPRESS) or action.dest == "run":
            continue
        text = " ".join(parser._get_formatter()._expand_help(action).split())
        assert "default" in text, (action.dest, text)
        assert text in printed


def test_train_help_shows_the_defaults_a_user_asks_for(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    printed = " ".join(capsys.readouterr().out.split())
    for option in (
        "--estimator {cnn,transfer,multilabel} cnn: from scratch; transfer: a pretrained "
        "backbone; multilabel: several labels per image (default: cnn)",
        "--epochs N most epochs (default: the estimator's 30, fewer when early stopping ends "
        "the fit)",
        "--input-size H W image height and width the model sees (default: the backbone's for "
        "transfer, else the images' own size up to 128 128)",
        "--random-state N seed (default: 0)",
        "--validation-fraction F images held out for the report when there is no "
        "validation/ folder; 0 trains on all (default: 0.2)",
        "--refit-all after the report, fit a new model on all the images (held-out ones "
        "too) for the epochs the first fit kept, and save that one: a second fit",
    ):
        assert option in printed


def test_the_top_level_help_lists_each_command_on_one_line(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # a terminal's usual width
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    for command in _commands()._choices_actions:
        line = rf" +{command.dest} +{re.escape(command.help)}"
        assert any(re.fullmatch(line, text) for text in lines), (command.dest, lines)


@pytest.mark.parametrize("fraction", ["-0.5", "nan", "1", "1.5", "half"])
def test_a_validation_fraction_outside_zero_to_one_is_a_usage_error(toon_tree, tmp_path,
                                                                    capsys, fraction):
    with pytest.raises(SystemExit) as done:
        main(["train", str(toon_tree), "--validation-fraction", fraction, "--out",
              str(tmp_path / "m")])
    assert done.value.code == 2
    assert "--validation-fraction: must be at least 0 and below 1" in capsys.readouterr().err


def test_bad_input_in_a_fresh_process_is_one_line_and_no_traceback(toon_tree, tmp_path):
    done = run_cli("train", tmp_path / "nowhere", "--out", tmp_path / "m.toonsklearn",
                   cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"toonsklearn train: error: DATA_DIR '{tmp_path / 'nowhere'}' does not exist. Pass a "
        "folder with one sub-folder of images per class."]
    not_a_model = tmp_path / "notes.txt"
    not_a_model.write_text("hello")
    done = run_cli("predict", not_a_model, toon_tree, cwd=tmp_path)  # after TensorFlow loads
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"toonsklearn predict: error: '{not_a_model}' is not a toonsklearn model file: it is "
        "not a zip archive, or it was cut short or altered."]


def empty_classes(tmp_path):
    for name in ("tom", "jerry"):
        (tmp_path / "empty" / name).mkdir(parents=True)
    return tmp_path / "empty"


@pytest.mark.parametrize("argv, message", [
    (lambda t, d, m: ["train", str(empty_classes(t)), "--out", str(t / "m")],
     "No images found in"),
    (lambda t, d, m: ["train", d, "--estimator", "transfer", "--backbone", "vgg17", "--out",
                      str(t / "m")], "Unknown backbone 'vgg17'. Known backbones: convnext_tiny"),
    (lambda t, d, m: ["train", d, "--estimator", "transfer", "--backbone", "vgg17", "--out",
                      str(t / "m")], "Run toonsklearn backbones to see each one's input size"),
    (lambda t, d, m: ["train", d, "--estimator", "transfer", "--backbone", "mobilenet_v2",
                      "--weights", "none", "--input-size", "16", "16", "--epochs", "1", "--out",
                      str(t / "m")], "needs images of at least 32x32; received --input-size 16 "
                                     "16. Pass a larger --input-size H W."),
    (lambda t, d, m: ["train", truncated(t, d), "--out", str(t / "m")],
     "(OSError: image file is truncated). Remove it or move it elsewhere, then run the "
     "command again."),
    (lambda t, d, m: ["train", d, "--labels-csv", labels_csv(t, "name,tom,jerry\na.png,1,0"),
                      "--out", str(t / "m")],
     "Name the column of file names 'filename' in the CSV's header line."),
    (lambda t, d, m: ["train", d, "--labels-csv", labels_csv(t, "filename,tom,jerry\na.png,1,0"),
                      "--out", str(t / "m")],
     "(row 2). Pass as DATA_DIR the folder the CSV's file names are relative to."),
    (lambda t, d, m: ["train", d, "--backbone", "vgg16", "--out", str(t / "m")],
     "--backbone applies to --estimator transfer and multilabel"),
    (lambda t, d, m: ["train", d, "--estimator", "multilabel", "--out", str(t / "m")],
     "reads its labels from --labels-csv"),
    (lambda t, d, m: ["train", d, "--out", str(t / "no" / "m")], "does not exist"),
    (lambda t, d, m: ["predict", str(Path(d) / "test" / "tom" / os.listdir(
        Path(d) / "test" / "tom")[0]), str(Path(d) / "test")],
     "is not a toonsklearn model file: it is not a zip archive"),
    (lambda t, d, m: ["predict", m, str(t / "missing.png")], "does not exist"),
    (lambda t, d, m: ["predict", m, str(empty_classes(t))], "No images found under"),
    (lambda t, d, m: ["predict", str(t / "none.toonsklearn"), d], "No saved model at"),
    pytest.param(lambda t, d, m: ["evaluate", m, str(relabelled(t, d))],
                 "classes the model does not know: spike", marks=needs_safe_keras),
    (lambda t, d, m: ["tune", d, "--trials", "1", "--storage", str(t / "j"), "--out",
                      str(t / "m")], "--storage and --study-name go together"),
    (lambda t, d, m: ["tune", d, "--trials", "1", "--storage", str(t / "j"), "--study-name",
                      "toons", "--heartbeat", "0", "--out", str(t / "m")],
     "--heartbeat must be at least 1 second; received 0"),
    (lambda t, d, m: ["tune", d, "--trials", "1", "--storage",
                      "postgresql://toons:s3cret@127.0.0.1:1/studies", "--study-name", "toons",
                      "--input-size", "16", "16", "--out", str(t / "m")],
     "Could not open the study database 'postgresql://toons:***@127.0.0.1:1/studies'"),
])
def test_bad_input_exits_with_one_line_that_says_what_to_fix(trained, toon_tree, tmp_path,
                                                             capsys, argv, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty class folder also warns
        assert main(argv(tmp_path, str(toon_tree), str(trained[0]))) == 1
    line = error_line(capsys)
    assert line.startswith("toonsklearn ") and ": error: " in line
    assert message in line
    # the command line's words, not Python's: no keyword arguments, no Python objects
    for python in ("keras.Model", "callable", "on_error", "input_size", "weights=",
                   "image_dir=", "filename_column="):
        assert python not in line


def truncated(tmp_path, toon_tree):
    """The training images and one truncated PNG among them."""
    import shutil

    target = tmp_path / "truncated"
    shutil.copytree(Path(toon_tree) / "train", target)
    image = sorted((target / "tom").glob("*.png"))[0]
    (target / "tom" / "broken.png").write_bytes(image.read_bytes()[:60])
    return str(target)


def labels_csv(tmp_path, text):
    (tmp_path / "labels.csv").write_text(text + "\n")
    return str(tmp_path / "labels.csv")


def relabelled(tmp_path, toon_tree):
    """The test split with one class folder renamed to a class the model never saw."""
    import shutil

    target = tmp_path / "relabelled"
    shutil.copytree(Path(toon_tree) / "test", target)
    (target / "tom").rename(target / "spike")
    return target


# The command line turns each warning into one plain line: let ours reach it.
@pytest.mark.filterwarnings("default::toonsklearn.exceptions.ToonsklearnWarning")
def test_warnings_are_one_plain_line_each(tmp_path, capsys):
    assert main(["train", str(empty_classes(tmp_path)), "--out", str(tmp_path / "m")]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == (f"toonsklearn train: warning: Class folder '{tmp_path / 'empty' / 'jerry'}'"
                        " holds no images; class 'jerry' gets no samples.")
    assert len(lines) == 3 and lines[-1].startswith("toonsklearn train: error: No images")


@pytest.mark.parametrize("command", [
    ["train", "no_such_dir", "--out", "model.toonsklearn"],
    ["tune", "no_such_dir", "--trials", "2", "--out", "model.toonsklearn"],
    ["train", ".", "--estimator", "multilabel", "--labels-csv", "no_such.csv", "--out", "m"],
    ["evaluate", "model.toonsklearn", "no_such_dir"],
    ["predict", "no_such_model.toonsklearn", "image.png"],
])
def test_a_path_typo_is_answered_before_tensorflow_is_imported(command, tmp_path):
    """A typo costs the user a second, not TensorFlow's start-up."""
    script = ("import sys; from toonsklearn.cli import main; code = main(sys.argv[1:]); "
              "print(code, sorted({m.split('.')[0] for m in sys.modules} & "
              "{'tensorflow', 'keras'}))")
    done = subprocess.run([sys.executable, "-c", script, *command], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "1 []", done.stdout + done.stderr
    assert "does not exist" in done.stderr


@pytest.mark.parametrize("command", [["--help"], ["train", "--help"], ["--version"]])
def test_help_and_version_load_neither_scikit_learn_nor_tensorflow(command, tmp_path):
    """``--help`` answers in the interpreter's start-up time: toonsklearn's names, its
    errors and the commands' parsers load no heavy library until a command runs."""
    script = ("import sys\nfrom toonsklearn.cli import main\ntry:\n    main(sys.argv[1:])\n"
              "except SystemExit as exit:\n    code = exit.code\nprint(code, sorted("
              "{m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'pandas', "
              "'tensorflow', 'keras'}))")
    done = subprocess.run([sys.executable, "-c", script, *command], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout + done.stderr
