"""``ConfusionDisplay`` (toonsklearn/plotting/_confusion.py): confusion matrices named by
the estimator's classes, one 2x2 matrix per label for multi-label models."""

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline

from tests.plotting.conftest import TINY, rendered, tick_names
from toonsklearn import CNNClassifier, ImageFolderLoader, MultiLabelCNN
from toonsklearn.datasets import make_toons

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from toonsklearn.plotting import ConfusionDisplay  # noqa: E402


def test_confusion_matrix_is_named_by_the_estimators_classes(cnn, named_toons):
    X, y = named_toons
    display = ConfusionDisplay.from_estimator(cnn, X, y)
    rendered(display.figure_)
    assert tick_names(display.ax_, "x") == ["jerry", "tom"]
    assert tick_names(display.ax_, "y") == ["jerry", "tom"]
    assert display.confusion_matrix.sum() == len(y)
    normalised = ConfusionDisplay.from_estimator(cnn, X, y, normalize="true")
    np.testing.assert_allclose(normalised.confusion_matrix.sum(axis=1), 1.0)
    assert "." in normalised.displays_[0].text_[0, 0].get_text()


def test_confusion_matrix_of_a_pipeline_on_paths(tmp_path):
    root = make_toons(40, image_size=16, random_state=0, directory=tmp_path)
    from toonsklearn import load_image_folder

    train = load_image_folder(root, subset="train")
    pipe = make_pipeline(ImageFolderLoader(size=(16, 16)), CNNClassifier(epochs=1, **TINY))
    names = np.asarray(train.target_names)[train.target]
    pipe.fit(train.paths, names)
    display = ConfusionDisplay.from_estimator(pipe, train.paths, names)
    assert tick_names(display.ax_) == sorted(train.target_names)
    renamed = ConfusionDisplay.from_estimator(pipe, train.paths, names,
                                              display_labels=["J", "T"])
    assert tick_names(renamed.ax_) == ["J", "T"]


def test_multilabel_confusion_gives_one_two_by_two_matrix_per_named_label():
    X, Y = make_toons(48, task="multilabel", image_size=16, random_state=0)
    Y = pd.DataFrame(Y, columns=["tom", "jerry"])
    clf = MultiLabelCNN(epochs=1, **TINY).fit(X, Y)
    display = ConfusionDisplay.from_estimator(clf, X, Y)
    rendered(display.figure_)
    assert display.confusion_matrix.shape == (2, 2, 2)
    assert [ax.get_title() for ax in display.axes_] == ["tom", "jerry"]
    assert tick_names(display.axes_[1]) == ["not jerry", "jerry"]
    assert display.confusion_matrix.sum(axis=(1, 2)).tolist() == [len(X)] * 2
    sets = [{name for name, on in zip(Y.columns, row, strict=True) if on} for row in Y.values]
    from_sets = ConfusionDisplay.from_estimator(clf, X, sets, normalize="true")
    np.testing.assert_allclose(from_sets.confusion_matrix.sum(axis=2)[Y.sum(axis=0) > 0], 1)


def test_confusion_display_refuses_bad_arguments():
    with pytest.raises(ValueError, match="normalize must be one of"):
        ConfusionDisplay.from_predictions([0, 1], [0, 1], normalize="rows")
    with pytest.raises(ValueError, match="for 2 classes but 3 labels"):
        ConfusionDisplay(np.eye(2, dtype=int), display_labels=["a", "b", "c"])
    with pytest.raises(ValueError, match="square"):
        ConfusionDisplay(np.zeros((2, 3)), display_labels=["a", "b"])
    with pytest.raises(ValueError, match="indicator matrix with 2 columns"):
        ConfusionDisplay.from_predictions(np.zeros((3, 3)), np.zeros((3, 2), dtype=int))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ConfusionDisplay.from_estimator(CNNClassifier(), np.zeros((2, 8, 8, 3)), [0, 1])
    with pytest.raises(ValueError, match="y_true has 3 rows but y_pred 2"):
        ConfusionDisplay.from_predictions(np.zeros((3, 2)), np.zeros((2, 2), dtype=int))


def test_confusion_display_names_a_label_the_model_does_not_know(cnn, named_toons):
    X, y = named_toons
    with pytest.raises(ValueError, match=r"y holds [01], which is not one of the classes "
                                         r"\['jerry', 'tom'\].*names\[test.target\]"):
        ConfusionDisplay.from_estimator(cnn, X, (y == "tom").astype(int))
    weighted = ConfusionDisplay.from_predictions(["a", "b"], ["a", "a"], sample_weight=[2, 3])
    assert weighted.confusion_matrix.tolist() == [[2, 0], [3, 0]]
    assert weighted.im_ is weighted.displays_[0].im_ and weighted.text_.shape == (2, 2)


def test_multilabel_columns_are_matched_by_name():
    Y = pd.DataFrame({"jerry": [1, 0, 0], "tom": [1, 1, 0]})
    predicted = np.array([[1, 1], [1, 0], [0, 0]])  # columns in the order tom, jerry
    display = ConfusionDisplay.from_predictions(Y, predicted, labels=["tom", "jerry"])
    assert display.confusion_matrix[0].tolist() == [[1, 0], [0, 2]]  # tom: all right
    with pytest.raises(ValueError, match="are not the labels"):
        ConfusionDisplay.from_predictions(Y.rename(columns={"tom": "spike"}), predicted,
                                          labels=["tom", "jerry"])


def test_confusion_display_draws_into_one_given_axes():
    figure, axes = plt.subplots(1, 1, squeeze=False)
    display = ConfusionDisplay.from_predictions(["a", "b"], ["a", "a"], ax=axes)
    assert display.ax_ is axes[0, 0] and display.figure_ is figure
