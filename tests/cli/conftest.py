"""What the command-line tests share: the command run in a fresh process as a user's
shell would, models trained by ``toonsklearn train`` once, and the one error line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from toonsklearn.cli import main


def _safe_keras() -> bool:
    import keras

    from toonsklearn.io import SAFE_KERAS

    return tuple(int(part) for part in keras.version().split(".")[:2]) >= SAFE_KERAS


# Commands that load a saved model need a Keras whose safe_mode has no known bypass
# (tests/io/test_unsafe_keras.py tests the refusal on the others).
needs_safe_keras = pytest.mark.skipif(not _safe_keras(), reason="io.load refuses this Keras")


def run_cli(*args, cwd, script=False):
    """Run the installed command in a fresh process, as a user's shell would."""
    command = ([str(Path(sys.executable).with_name("toonsklearn"))] if script
               else [sys.executable, "-m", "toonsklearn"])
    # As a user's shell has it: without TF_CPP_MIN_LOG_LEVEL, so TensorFlow's start-up
    # lines are held back by toonsklearn itself (CI sets the variable for everything else).
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([*command, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)


def error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.fixture(scope="session")
def trained(tmp_path_factory, toon_tree):
    """A CNN trained by ``toonsklearn train`` in its own process, and what it printed."""
    folder = tmp_path_factory.mktemp("cli")
    model = folder / "toons.toonsklearn"
    done = run_cli("train", toon_tree, "--epochs", "2", "--input-size", "16", "16",
                   "--out", model, cwd=folder, script=True)
    assert done.returncode == 0, done.stderr
    return model, done.stdout


@pytest.fixture(scope="session")
def multilabel_model(multilabel_tree, tmp_path_factory):
    """A multi-label model trained by ``train`` from the CSV, and what it printed."""
    import contextlib
    import io

    root = Path(multilabel_tree)
    model = tmp_path_factory.mktemp("ml") / "ml.toonsklearn"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["train", str(root / "train"), "--estimator", "multilabel",
                     "--labels-csv", str(root / "train" / "ground_truth.csv"), "--epochs",
                     "1", "--input-size", "16", "16", "--out", str(model)]) == 0
    return model, out.getvalue()
