"""The Displays: rendered to PNG with Agg and checked as a person would check them."""

import io

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline

from toonsklearn import CNNClassifier, ImageFolderLoader, MultiLabelCNN, TransferClassifier
from toonsklearn.datasets import make_toons
from toonsklearn.exceptions import ToonsklearnWarning

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from toonsklearn.plotting import (  # noqa: E402
    AugmentationDisplay,
    ConfusionDisplay,
    GradCAMDisplay,
    HistoryDisplay,
    LRFinderDisplay,
    MisclassifiedDisplay,
    ThresholdDisplay,
    grad_cam,
)

SHARED = {"batch_size": 16, "random_state": 0}
TINY = {"filters": (4, 8), **SHARED}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def rendered(figure) -> np.ndarray:
    """The figure as an RGB array, as a PNG viewer shows it; asserts it is not blank."""
    from PIL import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=60)
    pixels = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    assert pixels.std() > 10, "the figure is blank"
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20, "the figure is blank"
    return pixels


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def tick_names(ax, axis="x") -> list[str]:
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks]


@pytest.fixture(scope="module")
def named_toons():
    return make_toons(96, image_size=16, random_state=0)  # labels "jerry" and "tom"


@pytest.fixture(scope="module")
def cnn(named_toons):
    X, y = named_toons
    return CNNClassifier(epochs=3, **TINY).fit(X, y)


def squares(n=240, seed=0):
    """Dark noise; class "square" has a white 4x4 square somewhere, and where it is."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 60, size=(n, 16, 16, 3)).astype(np.uint8)
    y = np.array(["plain", "square"] * (n // 2))
    where = np.zeros((n, 16, 16), dtype=bool)
    for i in np.flatnonzero(y == "square"):
        row, col = rng.integers(0, 12, size=2)
        X[i, row:row + 4, col:col + 4] = 255
        where[i, row:row + 4, col:col + 4] = True
    return X, y, where


# ------------------------------------------------------------------------ learning curves
def test_history_display_draws_every_quantity_with_validation_and_the_kept_epoch(cnn):
    display = HistoryDisplay.from_estimator(cnn)
    rendered(display.figure_)
    assert display.quantities == ["accuracy", "loss"]
    assert [ax.get_title() for ax in display.axes_] == ["accuracy", "loss"]
    for ax in display.axes_:
        labels = [line.get_label() for line in ax.get_lines()]
        assert labels[:2] == ["training", "validation"]
        kept = ax.get_lines()[2]
        assert kept.get_label() == f"kept: epoch {cnn.best_epoch_}"
        assert list(kept.get_xdata()) == [cnn.best_epoch_] * 2
    loss = display.axes_[1].get_lines()[0]
    np.testing.assert_allclose(loss.get_ydata(), cnn.history_["loss"])


def test_history_of_a_fine_tuned_transfer_model_tells_its_phases_apart(named_toons):
    X, y = named_toons
    clf = TransferClassifier("mobilenet_v2", weights=None, input_size=(32, 32), epochs=2,
                             fine_tune_layers=2, fine_tune_epochs=2, **SHARED).fit(X, y)
    assert clf.history_["phase"].tolist() == ["head", "head", "fine_tune", "fine_tune"]
    display = HistoryDisplay.from_estimator(make_pipeline(clf))  # a Pipeline's last step
    rendered(display.figure_)
    for ax in display.axes_:
        assert texts(ax) == ["head on features", "fine-tuning"]
        assert len(ax.patches) == 1  # the second phase shaded


def test_history_display_refuses_what_has_no_epochs(named_toons):
    with pytest.raises(ValueError, match="fit it first"):
        HistoryDisplay.from_estimator(CNNClassifier())
    with pytest.raises(ValueError, match="non-empty pandas DataFrame"):
        HistoryDisplay(pd.DataFrame())
    with pytest.raises(ValueError, match="no numeric column"):
        HistoryDisplay(pd.DataFrame({"phase": ["train"]}))
    history = pd.DataFrame({"loss": [1.0, 0.5], "accuracy": [0.5, 0.7]})
    _, (ax,) = plt.subplots(1, 1, squeeze=False)
    with pytest.raises(ValueError, match="at least 2 Axes"):
        HistoryDisplay(history).plot(ax=ax)


def test_history_read_back_from_a_csv_file_draws_the_same(cnn, tmp_path):
    cnn.history_.to_csv(tmp_path / "history.csv")
    again = HistoryDisplay.from_history(pd.read_csv(tmp_path / "history.csv"))
    assert again.quantities == ["accuracy", "loss"] and again.best_epoch == cnn.best_epoch_
    assert again.axes_[0].get_xlabel() == "epoch"


def test_history_of_an_estimator_pickled_before_the_phase_column():
    import pickle
    from pathlib import Path

    fixture = pickle.loads((Path(__file__).parent / "data" / "pickled_estimators.pkl")
                           .read_bytes())
    estimator = pickle.loads(fixture["cnn"])
    assert "phase" not in estimator.history_
    display = HistoryDisplay.from_estimator(estimator)
    assert display.quantities and not display.axes_[0].patches


def test_partial_fit_after_fit_adds_training_rows(named_toons):
    X, y = named_toons
    clf = CNNClassifier(epochs=1, **TINY).fit(X, y).partial_fit(X, y)
    assert clf.history_["phase"].tolist() == ["train", "train"]
    assert list(HistoryDisplay.from_estimator(clf).history.index) == [0, 1]


def test_history_display_draws_into_the_callers_axes():
    history = pd.DataFrame({"loss": [1.0, 0.5], "accuracy": [0.5, 0.7]})
    figure, axes = plt.subplots(1, 3)
    display = HistoryDisplay.from_history(history, ax=axes)
    assert display.figure_ is figure and list(display.axes_) == list(axes[:2])
    assert not axes[2].axison  # the spare one switched off
    assert figure.get_suptitle() == ""  # the caller's figure keeps its own title


# ------------------------------------------------------------------------- confusion
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


# ---------------------------------------------------------------------- misclassified
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


# --------------------------------------------------------------------------- Grad-CAM
@pytest.fixture(scope="module")
def square_finder():
    X, y, where = squares()
    clf = CNNClassifier(epochs=8, validation_fraction=0, **TINY).fit(X, y)
    assert clf.score(X, y) > 0.95
    return clf, X, y, where


def test_grad_cam_lights_up_the_square_the_model_learned(square_finder):
    clf, X, y, where = square_finder
    shown = np.flatnonzero(y == "square")[:20]
    heatmaps, images, targets, layer = grad_cam(clf, X[shown], target="square")
    assert layer == "block2_relu2"  # the last convolution's activation
    assert heatmaps.shape == (20, 16, 16) and heatmaps.min() >= 0 and heatmaps.max() <= 1
    inside = np.array([m[w].mean() for m, w in zip(heatmaps, where[shown], strict=True)])
    outside = np.array([m[~w].mean() for m, w in zip(heatmaps, where[shown], strict=True)])
    assert np.mean(inside > 2 * outside) >= 0.8
    assert list(targets) == ["square"] * 20
    np.testing.assert_array_equal(images, X[shown])


def test_grad_cam_display_titles_the_class_each_map_shows(square_finder):
    clf, X, y, _ = square_finder
    display = GradCAMDisplay.from_estimator(clf, X[:4], target=y[:4])
    rendered(display.figure_)
    assert [ax.get_title() for ax in display.axes_] == [f"evidence for {c}" for c in y[:4]]
    predicted = GradCAMDisplay.from_estimator(clf, X[:4])
    assert list(predicted.targets) == list(clf.predict(X[:4]))
    early = GradCAMDisplay.from_estimator(clf, X[:2], layer="block1_relu2")
    assert early.layer == "block1_relu2" and early.heatmaps.shape == (2, 16, 16)


def test_grad_cam_refuses_unknown_layers_targets_and_unfitted_models(square_finder):
    from sklearn.exceptions import NotFittedError

    clf, X, _, _ = square_finder
    with pytest.raises(ValueError, match="No layer named 'conv9'.*block2_relu2"):
        grad_cam(clf, X[:2], layer="conv9")
    with pytest.raises(ValueError, match="has output shape"):
        grad_cam(clf, X[:2], layer="predictions")
    with pytest.raises(ValueError, match="'circle' is not one of the estimator's classes_"):
        grad_cam(clf, X[:2], target="circle")
    with pytest.raises(ValueError, match="gives 3 classes for 2 images"):
        grad_cam(clf, X[:2], target=["square"] * 3)
    with pytest.raises(NotFittedError, match="call fit"):
        grad_cam(CNNClassifier(), X[:2])
    with pytest.raises(TypeError, match="Keras network of a CNNClassifier"):
        from sklearn.dummy import DummyClassifier

        grad_cam(DummyClassifier().fit(X.reshape(len(X), -1), np.zeros(len(X))), X[:2])


def test_grad_cam_looks_inside_a_backbone(named_toons):
    X, y = named_toons
    clf = TransferClassifier("mobilenet_v2", weights=None, input_size=(64, 64), epochs=1,
                             **SHARED).fit(X[:32], y[:32])
    heatmaps, images, targets, layer = grad_cam(clf, X[:3])
    assert layer == "out_relu"  # MobileNetV2's last convolution, after batch norm
    assert heatmaps.shape == (3, 64, 64) and images.shape == (3, 64, 64, 3)
    assert set(targets) <= {"jerry", "tom"}
    small = TransferClassifier("mobilenet_v2", weights=None, input_size=(32, 32), epochs=1,
                               **SHARED).fit(X[:32], y[:32])
    with pytest.warns(ToonsklearnWarning, match="1x1 maps at input size"):
        grad_cam(small, X[:1])


@pytest.mark.parametrize("name", ["mobilenet_v2", "densenet121", "inception_v3",
                                  "convnext_tiny", "efficientnet_lite0"])
def test_grad_cam_takes_a_backbones_last_feature_map(name):
    import keras

    from toonsklearn.backbones import get_backbone, get_backbone_spec
    from toonsklearn.plotting._gradcam import _find_layer

    side = max(get_backbone_spec(name).min_size, 32)
    backbone = get_backbone(name, weights=None, input_shape=(side, side, 3))
    inputs = keras.Input((side, side, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(backbone(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(pooled))
    owner, layer = _find_layer(model, None)
    assert owner is backbone and layer.output is backbone.output


def test_grad_cam_follows_a_layer_before_any_weight(square_finder):
    clf, X, _, _ = square_finder
    heatmaps, _, _, layer = grad_cam(clf, X[:2], layer="preprocessing")
    assert layer == "preprocessing" and heatmaps.max() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="'pixels' is the network's input"):
        grad_cam(clf, X[:2], layer="pixels")


# ----------------------------------------------------------------------- augmentation
def test_augmentation_preview_draws_the_policy_at_the_models_input_size(named_toons):
    X, _ = named_toons
    estimator = CNNClassifier(input_size=(12, 12), augment="strong")
    display = AugmentationDisplay.from_estimator(estimator, X, n_images=2, n_draws=4,
                                                 random_state=0)
    rendered(display.figure_)
    assert display.images.shape == (2, 12, 12, 3)
    assert display.augmented.shape == (2, 4, 12, 12, 3)
    draws = display.augmented[0].reshape(4, -1).astype(int)
    assert all(not np.array_equal(draws[i], draws[j]) for i in range(4) for j in range(i))
    assert all(not np.array_equal(d, display.images[0].ravel()) for d in draws)
    again = AugmentationDisplay.from_estimator(estimator, X, n_images=2, n_draws=4,
                                               random_state=0)
    np.testing.assert_array_equal(again.augmented, display.augmented)
    assert display.axes_.shape == (2, 5)
    assert [ax.get_title() for ax in display.axes_[0]] == ["original"] + [
        f"draw {k}" for k in range(1, 5)]
    assert not hasattr(estimator, "image_shape_")  # the caller's estimator untouched


def test_augmentation_preview_of_a_fitted_estimator_uses_its_input_size(named_toons):
    X, y = named_toons
    fitted = CNNClassifier(augment="light", epochs=1, **TINY).fit(X[:16, :12, :12], y[:16])
    display = AugmentationDisplay.from_estimator(fitted, X, n_images=1, n_draws=2)
    assert display.augmented.shape == (1, 2, 12, 12, 3)


def test_augmentation_preview_of_a_flip_only_policy_flips(named_toons):
    X, _ = named_toons
    display = AugmentationDisplay.from_estimator(
        CNNClassifier(augment={"flip": "horizontal"}), X, n_images=1, n_draws=8, random_state=0)
    image = display.images[0]
    for draw in display.augmented[0]:
        assert np.array_equal(draw, image) or np.array_equal(draw, image[:, ::-1])
    assert any(np.array_equal(draw, image[:, ::-1]) for draw in display.augmented[0])


def test_augmentation_preview_refuses_no_policy_and_bad_counts(named_toons):
    X, _ = named_toons
    with pytest.raises(ValueError, match="augment=None: training sees the images as they are"):
        AugmentationDisplay.from_estimator(CNNClassifier(), X)
    with pytest.raises(ValueError, match="n_draws must be a positive int"):
        AugmentationDisplay.from_estimator(CNNClassifier(augment="light"), X, n_draws=0)
    with pytest.raises(ValueError, match="ax holds 2 Axes"):
        AugmentationDisplay.from_estimator(CNNClassifier(augment="light"), X, n_images=1,
                                           n_draws=2, ax=plt.subplots(1, 2)[1])


# ------------------------------------------------------------------- tuning curves
def test_lr_finder_display_marks_the_suggestion():
    rates = np.geomspace(1e-5, 1, 30)
    losses = np.concatenate([np.linspace(1, 0.2, 20), np.linspace(0.3, 3, 10)])
    display = LRFinderDisplay(rates, losses, 1e-3).plot()
    rendered(display.figure_)
    curve, mark = display.ax_.get_lines()
    np.testing.assert_allclose(curve.get_xdata(), rates)
    assert list(mark.get_xdata()) == [1e-3, 1e-3]
    assert display.ax_.get_xscale() == "log"


def test_threshold_display_marks_each_labels_threshold_on_its_curve():
    X, Y = make_toons(48, task="multilabel", image_size=16, random_state=0)
    Y = pd.DataFrame(Y, columns=["tom", "jerry"])
    clf = MultiLabelCNN(threshold=[0.4, 0.6], epochs=1, **TINY).fit(X, Y)
    display = ThresholdDisplay.from_estimator(clf, X, Y)
    rendered(display.figure_)
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert [name.split(" ")[0] for name in legend] == ["tom", "jerry"]
    np.testing.assert_allclose(display.chosen, [0.4, 0.6])
    from sklearn.metrics import f1_score

    proba = clf.predict_proba(X)
    marks = display.ax_.get_lines()[1::2]
    for k, mark in enumerate(marks):
        assert mark.get_xdata()[0] == pytest.approx([0.4, 0.6][k])
        expected = f1_score(Y.iloc[:, k], proba[:, k] >= [0.4, 0.6][k], zero_division=0)
        assert mark.get_ydata()[0] == pytest.approx(expected)
    with pytest.raises(TypeError, match="MultiLabelCNN fitted on multi-label targets"):
        ThresholdDisplay.from_estimator(CNNClassifier(), X, Y)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ThresholdDisplay.from_estimator(MultiLabelCNN(), X, Y)
    with pytest.raises(ValueError, match=r"threshold has shape \(3,\)"):
        ThresholdDisplay.from_predictions(Y, proba, threshold=[0.5] * 3)


def test_threshold_display_of_label_sets_and_a_bad_mark():
    sets = [{"tom"}, {"jerry"}, {"tom", "jerry"}, set()]
    proba = np.array([[0.9, 0.2], [0.3, 0.4], [0.6, 0.7], [0.2, 0.3]])
    display = ThresholdDisplay.from_predictions(sets, proba, labels=["jerry", "tom"],
                                                threshold=[0.3, 0.5])
    jerry = display.ax_.get_lines()[1]  # its mark: at 0.3, 2 of 3 predicted are right
    assert jerry.get_xdata()[0] == 0.3 and jerry.get_ydata()[0] == pytest.approx(0.8)
    with pytest.raises(ValueError, match="lies outside its curve"):
        ThresholdDisplay([[0.1, 0.5]], [[1.0, 0.5]], [0.9], display_labels=["tom"])


def test_threshold_display_from_predictions_and_a_callable_metric():
    Y = np.array([[1, 0], [0, 1], [1, 0], [0, 0]])
    proba = np.array([[0.9, 0.2], [0.3, 0.4], [0.6, 0.1], [0.2, 0.3]])

    def hits(truth, predicted):
        return float((truth & predicted).sum())

    display = ThresholdDisplay.from_predictions(Y, proba, metric=hits, threshold=0.35)
    assert display.metric == "hits" and display.ax_.get_ylabel() == "hits"
    assert [t.get_text().split(" ")[0] for t in display.ax_.get_legend().get_texts()] == [
        "0", "1"]
    with pytest.raises(ValueError, match="metric must be one of"):
        ThresholdDisplay.from_predictions(Y, proba, metric="auc")
