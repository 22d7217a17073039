"""The ``toonsklearn`` command (toonsklearn/cli/_main.py): its parser, help and version, and
every error and warning told in one plain line with an exit status."""

import os
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
                                     "backbones"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert f"usage: toonsklearn {command}" in capsys.readouterr().out


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


def relabelled(tmp_path, toon_tree):
    """The test split with one class folder renamed to a class the model never saw."""
    import shutil

    target = tmp_path / "relabelled"
    shutil.copytree(Path(toon_tree) / "test", target)
    (target / "tom").rename(target / "spike")
    return target


def test_warnings_are_one_plain_line_each(tmp_path, capsys):
    assert main(["train", str(empty_classes(tmp_path)), "--out", str(tmp_path / "m")]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == (f"toonsklearn train: warning: Class folder '{tmp_path / 'empty' / 'jerry'}'"
                        " holds no images; class 'jerry' gets no samples.")
    assert len(lines) == 3 and lines[-1].startswith("toonsklearn train: error: No images")
