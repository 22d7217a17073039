"""Grad-CAM (toonsklearn/plotting/_gradcam.py): where the model looked, over the last
convolution of a scratch CNN or of a backbone."""

import numpy as np
import pytest

from tests.plotting.conftest import SHARED, TINY, rendered
from toonsklearn import CNNClassifier, TransferClassifier
from toonsklearn.exceptions import ToonsklearnWarning

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from toonsklearn.plotting import GradCAMDisplay, grad_cam  # noqa: E402


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
