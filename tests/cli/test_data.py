"""Where the commands' images, labels and models come from (toonsklearn/cli/_data.py): a
labels CSV that does not fit the model, a model without probabilities."""

from pathlib import Path

import pandas as pd

from tests.cli.conftest import error_line, needs_safe_keras
from toonsklearn import load_image_folder
from toonsklearn.cli import main


def test_a_csv_with_several_labels_a_row_is_refused_for_a_single_label_model(
        multilabel_tree, tmp_path, capsys):
    root = Path(multilabel_tree) / "train"
    assert main(["train", str(root), "--labels-csv", str(root / "ground_truth.csv"),
                 "--out", str(tmp_path / "m")]) == 1
    assert "labels, but a single-label model (cnn, transfer) takes exactly one" in error_line(
        capsys)


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


def test_the_commands_errors_about_files_are_the_librarys_and_name_the_file(tmp_path):
    import pytest

    from toonsklearn.cli._data import CommandError, image_paths
    from toonsklearn.exceptions import ToonsklearnError

    missing = str(tmp_path / "no-such-image.png")
    with pytest.raises(ToonsklearnError, match="does not exist") as caught:
        image_paths([missing])
    assert isinstance(caught.value, CommandError) and isinstance(caught.value, ValueError)
    assert caught.value.path == missing
