"""``MisclassifiedDisplay`` (toonsklearn/plotting/_misclassified.py): the wrongly
predicted images, highest loss on the true class first."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from tests.plotting.conftest import TINY, rendered, texts
from toonsklearn import CNNClassifier
from toonsklearn.datasets import make_toons

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from toonsklearn.plotting import MisclassifiedDisplay  # noqa: E402


def swapped(y):
    """The other label of each image: every right prediction becomes a wrong one, so a
    grid has wrong images however well the model trained."""
    return np.where(y == "tom", "jerry", "tom")


def test_misclassified_grid_shows_only_wrong_predictions_in_loss_order(cnn, named_toons):
    X, y = named_toons
    y = swapped(y) if (cnn.predict(X) == y).mean() > 0.5 else y
    display = MisclassifiedDisplay.from_estimator(cnn, X, y, n_images=6)
    rendered(display.figure_)
    proba = cnn.predict_proba(X)
    predicted = cnn.predict(X)
    wrong = np.flatnonzero(predicted != y)
    assert display.n_wrong == len(wrong) >= len(y) // 2
    assert set(display.indices) <= set(wrong) and len(display.indices) == 6
    assert np.all(np.diff(display.losses) <= 0)
    column = {"jerry": 0, "tom": 1}
    expected = [-np.log(proba[i, column[y[i]]]) for i in display.indices]
    np.testing.assert_allclose(display.losses, expected, rtol=1e-6)
    worst = np.argsort([-np.log(proba[i, column[y[i]]]) for i in wrong])[::-1][:6]
    assert sorted(display.indices) == sorted(wrong[worst])
    for ax, i in zip(display.axes_, display.indices, strict=True):
        title = ax.get_title()
        assert title.startswith(f"true: {y[i]}\npred: {predicted[i]} ")
        assert predicted[i] != y[i]
    np.testing.assert_array_equal(display.images[0], X[display.indices[0]])


def test_misclassified_grid_is_titled_by_the_order_it_shows_highest_loss_first():
    # The worst image by loss is predicted with less probability (0.62) than the next
    # (0.80): the grid follows the loss, and its title says so, not "most confident".
    images = np.zeros((3, 8, 8, 3), dtype=np.uint8)
    proba = np.array([[0.20, 0.80, 0.00],   # true a, pred b (0.80), loss 1.61
                      [0.01, 0.37, 0.62],   # true a, pred c (0.62), loss 4.61
                      [0.10, 0.85, 0.05]])  # true b, right
    display = MisclassifiedDisplay.from_predictions(images, ["a", "a", "b"], proba,
                                                    labels=["a", "b", "c"])
    rendered(display.figure_)
    assert display.indices.tolist() == [1, 0]
    np.testing.assert_allclose(display.losses, [-np.log(0.01), -np.log(0.20)])
    assert display.probabilities == [0.62, 0.80]
    assert [ax.get_title().splitlines()[1] for ax in display.axes_[:2]] == [
        "pred: c (0.62)", "pred: b (0.80)"]
    title = display.figure_._suptitle.get_text()
    assert title == "Misclassified, worst first (highest loss): 2 of 2"
    assert "confident" not in title


def test_misclassified_grid_reads_paths_at_the_models_size_and_draws_grad_cam(tmp_path):
    from toonsklearn import load_image_folder

    root = make_toons(40, image_size=24, random_state=0, directory=tmp_path)
    data = load_image_folder(root, subset="train")
    clf = CNNClassifier(input_size=(16, 16), epochs=1, **TINY).fit(data.paths, data.target)
    target = data.target if (clf.predict(data.paths) != data.target).any() else 1 - data.target
    display = MisclassifiedDisplay.from_estimator(clf, data.paths, target, gradcam=True)
    assert display.n_wrong > 0
    assert display.images[0].shape == (16, 16, 3)
    assert display.heatmaps.shape == (len(display.images), 16, 16)
    assert len(display.axes_[0].get_images()) == 2  # the image and its heat map
    rendered(display.figure_)
    own_size = MisclassifiedDisplay.from_predictions(
        data.paths, target, clf.predict_proba(data.paths), labels=clf.classes_)
    assert own_size.images[0].shape == (24, 24, 3)  # files shown as they are
    np.testing.assert_array_equal(own_size.indices, display.indices)


def test_misclassified_grid_for_multilabel_and_for_none_wrong():
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    proba = np.array([[0.9, 0.1], [0.8, 0.3], [0.6, 0.7], [0.1, 0.2]])
    images = np.full((4, 8, 8, 3), 120, dtype=np.uint8)
    display = MisclassifiedDisplay.from_predictions(images, Y, proba, labels=["tom", "jerry"])
    np.testing.assert_array_equal(display.indices, [1])  # the one image with a wrong label
    assert display.true_labels == [("jerry",)] and display.predicted_labels == [("tom",)]
    assert display.axes_[0].get_title().startswith("true: jerry\npred: tom 0.80")
    tuned = MisclassifiedDisplay.from_predictions(images, Y, proba, labels=["tom", "jerry"],
                                                  threshold=[0.5, 0.15])
    np.testing.assert_array_equal(tuned.indices, [1, 3])
    right = MisclassifiedDisplay.from_predictions(images[:1], ["tom"], [[0.1, 0.9]],
                                                  labels=["jerry", "tom"])
    assert right.n_wrong == 0 and texts(right.axes_[0]) == ["No misclassified images"]


@pytest.mark.parametrize("sets", [[("jerry", "tom")] * 4,
                                  [("jerry",), ("tom",), ("jerry",), ("tom",)]])
def test_misclassified_label_sets_of_one_size_are_multilabel(sets):
    proba = np.array([[0.9, 0.8], [0.2, 0.1], [0.6, 0.3], [0.3, 0.7]])
    images = np.zeros((4, 8, 8, 3), dtype=np.uint8)
    indicator = np.array([[1 if n in row else 0 for n in ("jerry", "tom")] for row in sets])
    expected = MisclassifiedDisplay.from_predictions(images, indicator, proba,
                                                     labels=["jerry", "tom"])
    for y in (sets, np.array([np.array(row) for row in sets] + [None], dtype=object)[:-1]):
        display = MisclassifiedDisplay.from_predictions(images, y, proba,
                                                        labels=["jerry", "tom"])
        np.testing.assert_array_equal(display.indices, expected.indices)
        np.testing.assert_allclose(display.losses, expected.losses)
        assert all(isinstance(labels, tuple) for labels in display.true_labels)


def test_misclassified_grid_of_a_scikit_learn_pipeline_shows_the_images_given(named_toons):
    from sklearn.linear_model import LogisticRegression

    from toonsklearn import ImageTransformer

    X, y = named_toons
    pipe = make_pipeline(ImageTransformer(flatten=True), LogisticRegression(max_iter=1000))
    pipe.fit(X[:20], y[:20])
    display = MisclassifiedDisplay.from_estimator(pipe, X, swapped(pipe.predict(X)))
    assert display.n_wrong == len(X)
    np.testing.assert_array_equal(display.images[0], X[display.indices[0]])


def test_misclassified_display_refuses_mismatched_inputs():
    images = np.zeros((2, 8, 8, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 3\)"):
        MisclassifiedDisplay.from_predictions(images, ["a", "b"], np.ones((2, 2)) / 2,
                                              labels=["a", "b", "c"])
    with pytest.raises(ValueError, match="'z', which is not one of the labels"):
        MisclassifiedDisplay.from_predictions(images, ["a", "z"], np.ones((2, 2)) / 2,
                                              labels=["a", "b"])
    with pytest.raises(ValueError, match="n_images must be a positive int"):
        MisclassifiedDisplay.from_predictions(images, ["a", "b"], np.ones((2, 2)) / 2,
                                              labels=["a", "b"], n_images=0)
    with pytest.raises(ValueError, match="y_true has 1 rows but y_proba 2"):
        MisclassifiedDisplay.from_predictions(images, ["a"], np.ones((2, 2)) / 2,
                                              labels=["a", "b"])
    with pytest.raises(ValueError, match=r"threshold has shape \(3,\)"):
        MisclassifiedDisplay.from_predictions(images, [[1, 0], [0, 1]], np.ones((2, 2)) / 2,
                                              labels=["a", "b"], threshold=[0.5] * 3)
    with pytest.raises(ValueError, match="n_images must be a positive int"):
        MisclassifiedDisplay.from_predictions(images, ["a", "b"], np.ones((2, 2)) / 2,
                                              labels=["a", "b"], n_images=True)
    with pytest.raises(ValueError, match="X has 1 images but y_proba 2 rows"):
        MisclassifiedDisplay.from_predictions(images[:1], ["a", "b"], [[1, 0], [1, 0]],
                                              labels=["a", "b"])
