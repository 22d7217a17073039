import os
import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from toonsklearn import CNNClassifier, load_image_folder
from toonsklearn.cli import main


def test_demo_reports_and_saves_a_working_cnn_pipeline(tmp_path, capsys, toon_tree):
    assert main(["demo", "--n-samples", "60", "--image-size", "16", "--epochs", "2",
                 "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "pixel LogisticRegression" in out and "Epoch 2/2" in out
    for line in ("CNNClassifier, all training images", "TransferClassifier, all training images",
                 "CNNClassifier, 21 per class", "TransferClassifier, 21 per class"):
        assert line in out
    assert (tmp_path / "toons_transfer.joblib").is_file()
    assert "precision" in out and "jerry" in out and "tom" in out
    saved = tmp_path / "toons_pipeline.joblib"
    assert str(saved) in out
    pipe = joblib.load(saved)
    assert isinstance(pipe[-1], CNNClassifier)
    paths = load_image_folder(toon_tree, subset="test").paths
    assert set(np.unique(pipe.predict(paths))) <= {0, 1}


# ------------------------------------------------------------------ the commands
def _safe_keras() -> bool:
    import keras

    from toonsklearn.io import SAFE_KERAS

    return tuple(int(part) for part in keras.version().split(".")[:2]) >= SAFE_KERAS


# Commands that load a saved model need a Keras whose safe_mode has no known bypass
# (tests/test_io_unsafe_keras.py tests the refusal on the others).
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


@pytest.fixture(scope="module")
def trained(tmp_path_factory, toon_tree):
    """A CNN trained by ``toonsklearn train`` in its own process, and what it printed."""
    folder = tmp_path_factory.mktemp("cli")
    model = folder / "toons.toonsklearn"
    done = run_cli("train", toon_tree, "--epochs", "2", "--input-size", "16", "16",
                   "--out", model, cwd=folder, script=True)
    assert done.returncode == 0, done.stderr
    return model, done.stdout


def test_train_prints_progress_and_a_validation_report_in_plain_text(trained):
    model, out = trained
    assert "Checking images: 42/42 done" in out and "Epoch 2/2" in out
    assert "Validation report (9 images)" in out and "jerry" in out and "tom" in out
    assert f"Saved the model to {model}" in out and model.is_file()
    assert "\r" not in out and "\x1b" not in out  # a pipe gets lines, not a redrawn bar


@needs_safe_keras
def test_predict_prints_one_line_per_image_with_class_names(trained, toon_tree):
    model, _ = trained
    done = run_cli("predict", model, Path(toon_tree) / "test", cwd=model.parent)
    assert done.returncode == 0, done.stderr
    lines = [line.split("\t") for line in done.stdout.strip().splitlines()]
    expected = sorted(str(p) for p in (Path(toon_tree) / "test").rglob("*.png"))
    assert [line[0] for line in lines] == expected
    assert {line[1] for line in lines} <= {"jerry", "tom"}
    assert all(0.5 <= float(line[2]) <= 1 for line in lines)


@needs_safe_keras
def test_predict_writes_every_probability_to_a_csv(trained, toon_tree, tmp_path, capsys):
    model, _ = trained
    images = sorted((Path(toon_tree) / "test" / "tom").glob("*.png"))[:3]
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(model), *map(str, images), "--proba", "--csv", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["path", "label", "jerry", "tom"]
    assert table["path"].tolist() == [str(p) for p in images]
    np.testing.assert_allclose(table[["jerry", "tom"]].sum(axis=1), 1, atol=2e-4)
    assert (table["label"] == np.where(table["tom"] >= table["jerry"], "tom", "jerry")).all()
    assert "Wrote 3 predictions" in capsys.readouterr().out


@needs_safe_keras
def test_evaluate_reports_on_the_test_folder_and_saves_three_figures(trained, toon_tree,
                                                                     tmp_path):
    model, _ = trained
    done = run_cli("evaluate", model, toon_tree, "--report-dir", tmp_path / "report",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"9 images from {Path(toon_tree) / 'test'}" in done.stdout
    assert "precision" in done.stdout and "accuracy" in done.stdout
    for name in ("confusion_matrix.png", "learning_curves.png", "misclassified.png"):
        with Image.open(tmp_path / "report" / name) as image:
            assert image.format == "PNG" and min(image.size) > 100


@pytest.fixture(scope="module")
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


@needs_safe_keras
def test_a_multilabel_model_trains_from_a_csv_and_predicts_label_sets(multilabel_model,
                                                                      multilabel_tree,
                                                                      tmp_path, capsys):
    root = Path(multilabel_tree)
    model, out = multilabel_model
    assert "samples avg" in out
    assert main(["predict", str(model), str(root / "test")]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()]
    assert len(rows) == len(list((root / "test").glob("*.png")))
    for _, labels, probabilities in rows:
        names = labels.split(";") if labels else []
        assert set(names) <= {"tom", "jerry"}
        assert len(probabilities.split(";") if probabilities else []) == len(names)
    assert main(["evaluate", str(model), str(root / "test"), "--labels-csv",
                 str(root / "test" / "ground_truth.csv"), "--report-dir",
                 str(tmp_path / "report")]) == 0
    assert "samples avg" in capsys.readouterr().out
    assert (tmp_path / "report" / "misclassified.png").is_file()


@needs_safe_keras
def test_a_multilabel_model_is_evaluated_on_class_folders_one_label_each(multilabel_model,
                                                                         toon_tree, capsys):
    assert main(["evaluate", str(multilabel_model[0]), str(toon_tree)]) == 0
    report = capsys.readouterr().out
    assert "jerry" in report and "tom" in report and "support" in report


@needs_safe_keras
def test_a_label_every_positive_of_which_is_held_out_is_still_learned(multilabel_tree,
                                                                      tmp_path):
    from toonsklearn.io import load

    train = Path(multilabel_tree) / "train"
    table = pd.read_csv(train / "ground_truth.csv")
    table["spike"] = 0
    table.loc[0, "spike"] = 1  # one image: a held-out split may take it
    table.to_csv(tmp_path / "labels.csv", index=False)
    assert main(["train", str(train), "--estimator", "multilabel", "--labels-csv",
                 str(tmp_path / "labels.csv"), "--epochs", "1", "--input-size", "16", "16",
                 "--validation-fraction", "0.5", "--out", str(tmp_path / "m")]) == 0
    assert list(load(tmp_path / "m").classes_) == ["tom", "jerry", "spike"]


@needs_safe_keras
def test_a_model_without_probabilities_is_refused_by_predict(toon_tree, tmp_path, capsys):
    from sklearn.linear_model import RidgeClassifier
    from sklearn.pipeline import make_pipeline

    from toonsklearn import ImageFolderLoader, ImageTransformer
    from toonsklearn.io import save

    train = load_image_folder(toon_tree, subset="train")
    model = make_pipeline(ImageFolderLoader(size=(8, 8)), ImageTransformer(flatten=True),
                          RidgeClassifier()).fit(train.paths, train.target)
    save(model, tmp_path / "svc.toonsklearn")
    assert main(["predict", str(tmp_path / "svc.toonsklearn"), str(toon_tree)]) == 1
    assert "RidgeClassifier, which gives no probabilities" in error_line(capsys)


def test_transfer_training_reports_feature_extraction(toon_tree, tmp_path, capsys):
    assert main(["train", str(toon_tree), "--estimator", "transfer", "--weights", "none",
                 "--input-size", "32", "32", "--epochs", "1", "--validation-fraction", "0",
                 "--out", str(tmp_path / "tl.toonsklearn")]) == 0
    out = capsys.readouterr().out
    assert "Training TransferClassifier on 42 images" in out
    assert "step" in out and "Epoch 1/1" in out  # the backbone's pass, then the head's epoch


def test_tune_resumes_a_study_from_its_storage(toon_tree, tmp_path, capsys):
    import optuna

    journal = tmp_path / "search.journal"
    common = [str(toon_tree), "--epochs", "1", "--input-size", "16", "16", "--cv", "2",
              "--storage", str(journal), "--study-name", "toons", "--out",
              str(tmp_path / "best.toonsklearn")]
    assert main(["tune", *common, "--trials", "1"]) == 0
    assert "[OptunaSearchCV] trial 0" in capsys.readouterr().out
    assert main(["tune", *common, "--trials", "2"]) == 0
    out = capsys.readouterr().out
    assert "trial 1" in out and "trial 0 " not in out
    study = optuna.load_study(study_name="toons",
                              storage=optuna.storages.JournalStorage(
                                  optuna.storages.journal.JournalFileBackend(str(journal))))
    assert len(study.trials) == 2
    assert (tmp_path / "best.toonsklearn").is_file()


def test_backbones_lists_the_registry_without_tensorflow(tmp_path):
    done = run_cli("backbones", cwd=tmp_path, script=True)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[1:] if line}
    assert rows["efficientnet_lite0"] == ["efficientnet_lite0", "224x224", "yes", "yes"]
    assert rows["vgg16"][1:3] == ["224x224", "no"]


def test_version_from_the_script_and_from_python_dash_m(tmp_path):
    import toonsklearn

    for script in (True, False):
        done = run_cli("--version", cwd=tmp_path, script=script)
        assert done.returncode == 0
        assert done.stdout.strip() == f"toonsklearn {toonsklearn.__version__}"


@pytest.mark.parametrize("command", ["demo", "train", "predict", "evaluate", "tune",
                                     "backbones"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert f"usage: toonsklearn {command}" in capsys.readouterr().out


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
        "not a zip archive, or it was cut short."]


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


def test_a_csv_with_several_labels_a_row_is_refused_for_a_single_label_model(
        multilabel_tree, tmp_path, capsys):
    root = Path(multilabel_tree) / "train"
    assert main(["train", str(root), "--labels-csv", str(root / "ground_truth.csv"),
                 "--out", str(tmp_path / "m")]) == 1
    assert "labels, but a single-label model (cnn, transfer) takes exactly one" in error_line(
        capsys)


def test_warnings_are_one_plain_line_each(tmp_path, capsys):
    assert main(["train", str(empty_classes(tmp_path)), "--out", str(tmp_path / "m")]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == (f"toonsklearn train: warning: Class folder '{tmp_path / 'empty' / 'jerry'}'"
                        " holds no images; class 'jerry' gets no samples.")
    assert len(lines) == 3 and lines[-1].startswith("toonsklearn train: error: No images")


@needs_safe_keras
def test_predict_keeps_one_line_per_image_whatever_the_file_names(trained, toon_tree,
                                                                 tmp_path, capsys):
    source = sorted((Path(toon_tree) / "test" / "tom").glob("*.png"))[0]
    names = ["tab\there.png", "new\nline.png", "back\\slash.png", "plain.png"]
    for name in names:
        (tmp_path / name).write_bytes(source.read_bytes())
    assert main(["predict", str(trained[0]), str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert len(lines) == len(names) and all(line.count("\t") == 2 for line in lines)
    printed = sorted(line.split("\t")[0] for line in lines)
    escaped = sorted(str(tmp_path / name).replace("\\", "\\\\").replace("\t", "\\t")
                     .replace("\n", "\\n") for name in names)
    assert printed == escaped


def test_predict_refuses_a_csv_target_that_is_a_fifo_or_the_model(trained, toon_tree,
                                                                  tmp_path, capsys):
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    image = str(sorted((Path(toon_tree) / "test" / "tom").glob("*.png"))[0])
    assert main(["predict", str(trained[0]), image, "--csv", str(fifo)]) == 1
    assert "is not a regular file" in error_line(capsys)  # refused: opening it would block
    assert main(["predict", str(trained[0]), image, "--csv", str(trained[0])]) == 1
    assert "is the model itself" in error_line(capsys)


@needs_safe_keras
def test_evaluate_needs_a_csv_column_for_every_label_the_model_knows(multilabel_model,
                                                                     multilabel_tree,
                                                                     tmp_path, capsys):
    root = Path(multilabel_tree)
    model = multilabel_model[0]
    pd.read_csv(root / "test" / "ground_truth.csv")[["filename", "tom"]].to_csv(
        tmp_path / "only_tom.csv", index=False)
    assert main(["evaluate", str(model), str(root / "test"), "--labels-csv",
                 str(tmp_path / "only_tom.csv")]) == 1
    assert "has no column for jerry" in error_line(capsys)


@pytest.mark.parametrize("fraction", ["-0.5", "nan", "1", "1.5", "half"])
def test_a_validation_fraction_outside_zero_to_one_is_a_usage_error(toon_tree, tmp_path,
                                                                    capsys, fraction):
    with pytest.raises(SystemExit) as done:
        main(["train", str(toon_tree), "--validation-fraction", fraction, "--out",
              str(tmp_path / "m")])
    assert done.value.code == 2
    assert "--validation-fraction: must be at least 0 and below 1" in capsys.readouterr().err
