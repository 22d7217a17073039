"""The commands (toonsklearn/cli/_commands.py), each run as a user runs it: ``train``,
``predict``, ``evaluate``, ``tune`` and ``backbones``, on single-label and multi-label
models."""

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.cli.conftest import error_line, needs_safe_keras, run_cli
from toonsklearn.cli import main


def test_train_prints_progress_and_a_validation_report_in_plain_text(trained):
    model, out = trained
    assert "Checking images: 42/42 done" in out and "Epoch 2/2" in out
    assert "Validation report (9 held-out validation images, not used in the fit)" in out
    assert "jerry" in out and "tom" in out
    assert f"Saved the model to {model}" in out and model.is_file()
    assert "\r" not in out and "\x1b" not in out  # a pipe gets lines, not a redrawn bar


def test_train_tells_the_two_validation_figures_apart(trained):
    lines = trained[1].splitlines()
    explained = lines.index(
        "Epoch lines: val_loss and the other val_ figures are on the early-stopping split, "
        "5 of these 42 images held out inside the fit (not the 9 held-out validation images of the "
        "report).")  # ceil(42 * CNNClassifier's validation_fraction 0.1)
    first_epoch = next(i for i, line in enumerate(lines) if line.startswith("Epoch 1/2"))
    predicting = lines.index("Predicting the 9 held-out validation images ...")
    assert explained < first_epoch < predicting
    assert ("The saved model was fitted on 42 images: the 9 held-out validation images of "
            "validation/ are not in it; --refit-all fits it again on all 51 after the "
            "report.") in lines


@needs_safe_keras
@pytest.mark.parametrize("refit_all", [False, True])
def test_train_says_what_the_saved_model_was_fitted_on(toon_tree, tmp_path, capsys,
                                                       refit_all):
    from toonsklearn.io import load

    out = tmp_path / "m.toonsklearn"
    assert main(["train", str(Path(toon_tree) / "train"), "--epochs", "3", "--input-size",
                 "16", "16", "--out", str(out), *(["--refit-all"] if refit_all else [])]) == 0
    printed = capsys.readouterr().out
    assert "Holding out 9 of 42 images" in printed
    model = load(out)
    if not refit_all:
        assert ("The saved model was fitted on 33 images: the 9 held-out validation images "
                "(--validation-fraction 0.2) are not in it; --refit-all fits it again on all "
                "42 after the report.") in printed
        assert "Refitting" not in printed and "val_loss" in model.history_.columns
        return
    found = re.search(r"Refitting on all 42 images for the (\d) epochs? the first fit kept",
                      printed)
    assert found, printed
    report, refit = printed.index("Validation report"), printed.index("Refitting")
    assert report < refit
    kept = int(found.group(1))  # the first fit's epochs up to its best one, of 3 at most
    assert 1 <= kept <= 3
    assert f"Epoch {kept}/{kept}" in printed[refit:]
    # the saved model is the refit: all its epochs, on all 42 images (no split left to
    # validate on, hence no val_ columns), and no early stopping
    assert len(model.history_) == kept and "val_loss" not in model.history_.columns
    assert model.validation_fraction == 0 and model.early_stopping is None
    assert ("The saved model was fitted on all 42 images, the held-out validation images "
            "too") in printed


def test_transfer_training_reports_feature_extraction(toon_tree, tmp_path, capsys):
    assert main(["train", str(toon_tree), "--estimator", "transfer", "--weights", "none",
                 "--input-size", "32", "32", "--epochs", "1", "--validation-fraction", "0",
                 "--out", str(tmp_path / "tl.toonsklearn")]) == 0
    out = capsys.readouterr().out
    assert "Training TransferClassifier on 42 images" in out
    announced = out.index("Computing backbone features of 42 images (one pass of "
                          "efficientnet_lite0), then training the head, one line per epoch")
    # the backbone's pass, then the head's epoch
    assert announced < out.index("step") < out.index("Epoch 1/1")


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
def test_predict_shows_progress_on_stderr_and_only_predictions_on_stdout(trained, toon_tree,
                                                                         capsys):
    model, _ = trained
    image = str(sorted((Path(toon_tree) / "test" / "tom").glob("*.png"))[0])
    assert main(["predict", str(model), *[image] * 600]) == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 600 and all(line.startswith(f"{image}\t") for line in lines)
    progress = captured.err.strip().splitlines()
    assert progress[0].startswith("Predicting images: 256/600 (42%)")
    assert progress[-1].startswith("Predicting images: 600/600 done in ")


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


@needs_safe_keras
def test_predict_prints_a_file_name_that_is_not_utf8_as_its_own_bytes(trained, toon_tree,
                                                                      tmp_path, capfdbinary):
    source = sorted((Path(toon_tree) / "test" / "tom").glob("*.png"))[0]
    name = os.path.join(os.fsencode(tmp_path), b"caf\xe9 \xff.png")  # Latin-1: not UTF-8
    with open(name, "wb") as image:
        image.write(source.read_bytes())
    assert main(["predict", str(trained[0]), os.fsdecode(name)]) == 0
    line = capfdbinary.readouterr().out.strip()
    assert line.split(b"\t")[0] == name  # as ls prints it: a shell pipeline finds the file
    assert line.split(b"\t")[1] in (b"jerry", b"tom")


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
def test_evaluate_reports_on_the_test_folder_and_saves_three_figures(trained, toon_tree,
                                                                     tmp_path):
    model, _ = trained
    done = run_cli("evaluate", model, toon_tree, "--report-dir", tmp_path / "report",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    announced = done.stdout.index(f"Evaluating {model} on 9 images from "
                                  f"{Path(toon_tree) / 'test'}.")
    assert announced < done.stdout.index("precision")  # said before the model runs
    assert "precision" in done.stdout and "accuracy" in done.stdout
    for name in ("confusion_matrix.png", "learning_curves.png", "misclassified.png"):
        with Image.open(tmp_path / "report" / name) as image:
            assert image.format == "PNG" and min(image.size) > 100


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


def _toons_with_copies(root: Path, n_copies: int) -> Path:
    """A make_toons tree whose validation/ holds exact copies of ``n_copies`` train images."""
    import shutil

    from toonsklearn.datasets import make_toons

    make_toons(40, image_size=16, random_state=1, directory=root)
    for path in sorted((root / "train" / "tom").glob("*.png"))[:n_copies]:
        shutil.copy(path, root / "validation" / "tom" / f"copy_{path.name}")
    return root


# The command line turns each warning into one plain line: let ours reach it.
@pytest.mark.filterwarnings("default::toonsklearn.exceptions.ToonsklearnWarning")
@pytest.mark.parametrize("n_copies", [2, 0])
def test_train_warns_when_validation_images_copy_training_images(tmp_path, capsys, n_copies):
    root = _toons_with_copies(tmp_path / "toons", n_copies)
    n_validation = len(list((root / "validation").rglob("*.png")))
    assert main(["train", str(root), "--epochs", "1", "--input-size", "16", "16", "--out",
                 str(tmp_path / "m.toonsklearn")]) == 0
    # Only the copy check's lines: older scikit-learn adds deprecation warnings of scikeras.
    warnings = [line for line in capsys.readouterr().err.strip().splitlines()
                if "copies of training images" in line]
    if not n_copies:
        assert warnings == []
        return
    assert warnings == [
        f"toonsklearn train: warning: 2 of {n_validation} validation images are copies of "
        "training images (2 exact, 0 near): the validation report scores them as new images, "
        f"so it looks better than it is. Run toonsklearn audit {root} for the list."]


def test_train_without_the_audit_extra_skips_the_copy_check_quietly(tmp_path):
    import subprocess
    import sys

    root = _toons_with_copies(tmp_path / "toons", 2)
    code = ("import sys; sys.modules['imagehash'] = None  # as if not installed\n"
            "from toonsklearn.cli import main\n"
            "sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, "train", str(root), "--epochs", "1",
                           "--input-size", "16", "16", "--out", str(tmp_path / "m.toonsklearn")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "copies of training images" not in done.stderr and "Saved the model" in done.stdout
