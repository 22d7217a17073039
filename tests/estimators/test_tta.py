"""Test-time augmentation: the views it averages, in every estimator's predictions."""

import pickle

import keras
import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from tests.io.conftest import needs_safe_keras
from tests.keras_helpers import TINY, tiny_backbone, toons
from toonsklearn import CNNClassifier, MultiLabelCNN, TransferClassifier, io
from toonsklearn.estimators._tta import VIEWS, view_layers
from toonsklearn.layers import ImageView


class LeftEdge(CNNClassifier):
    """Says "right" in proportion to the brightness of the leftmost column: a model that
    sees its input mirrored gives the mirror's answer."""

    def _keras_build_fn(self, meta):
        inputs = keras.Input(meta["image_shape_"])
        x = keras.layers.Cropping2D(((0, 0), (0, meta["image_shape_"][1] - 1)))(inputs)
        x = keras.layers.GlobalAveragePooling2D()(x)
        mean = keras.initializers.Constant(1 / (255.0 * meta["image_shape_"][-1]))
        return keras.Model(inputs, keras.layers.Dense(1, kernel_initializer=mean,
                                                      use_bias=False)(x))

    def _train(self, *args, **kwargs):  # the rule above needs no training
        pass


def _half_lit(n=4, size=8):
    """Images whose left half is white and right half black."""
    images = np.zeros((n, size, size, 3), np.uint8)
    images[:, :, : size // 2] = 255
    return images


@pytest.fixture(scope="module")
def left_edge():
    X = _half_lit()
    return LeftEdge(epochs=1).fit(X, np.array([0, 1, 0, 1]))


def test_flip_moves_an_asymmetric_model_towards_the_mirror(left_edge):
    X = _half_lit()
    plain = left_edge.set_params(tta=None).predict_proba(X)[:, 1]
    flipped = left_edge.set_params(tta="flip").predict_proba(X)[:, 1]
    np.testing.assert_allclose(plain, 1.0, atol=1e-6)  # the left column is white
    np.testing.assert_allclose(flipped, 0.5, atol=1e-6)  # ...and the mirror's is black


def test_tta_survives_pickling(left_edge):
    left_edge.set_params(tta="flip")
    X = _half_lit()
    expected = left_edge.predict_proba(X)
    again = pickle.loads(pickle.dumps(left_edge))
    assert again.tta == "flip"
    np.testing.assert_allclose(again.predict_proba(X), expected, atol=1e-6)


@needs_safe_keras
def test_tta_of_a_saved_cnn_predicts_the_same(tmp_path):
    X, y = toons(24, size=16)
    clf = CNNClassifier(filters=(4,), tta=4, **TINY).fit(X, y)
    path = tmp_path / "tta.toonsklearn"
    io.save(clf, path)
    loaded = io.load(path)
    assert loaded.tta == 4
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), atol=1e-6)
    assert not np.allclose(clf.set_params(tta=None).predict_proba(X),
                           loaded.predict_proba(X))  # the views changed something


def test_tta_on_cached_features_gives_what_the_network_gives(tmp_path):
    X, y = toons(24, size=16)
    params = dict(backbone=tiny_backbone, input_size=(16, 16), tta=6, **TINY)
    uncached = TransferClassifier(**params).fit(X, y)
    cached = TransferClassifier(memory=str(tmp_path), **params).fit(X, y)
    first, second = cached.predict_proba(X), cached.predict_proba(X)  # fills, then reads
    np.testing.assert_allclose(first, uncached.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(second, first, atol=1e-6)
    keys = [p for p in (tmp_path / "toonsklearn_features").iterdir() if p.is_dir()]
    assert len(keys) >= len(VIEWS)  # the features of each view, under a key of its own


def test_multilabel_tta_averages_label_probabilities():
    X, Y = toons(24, size=16, task="multilabel")
    clf = MultiLabelCNN(filters=(4,), **TINY).fit(X, Y)
    plain = clf.predict_proba(X)
    mirrored = clf.predict_proba(X[:, :, ::-1])
    np.testing.assert_allclose(clf.set_params(tta="flip").predict_proba(X),
                               (plain + mirrored) / 2, atol=1e-5)


def test_a_bad_tta_set_after_fit_is_refused_when_predicting(left_edge):
    for bad in ("mirror", 0, len(VIEWS) + 1, 1.5):
        with pytest.raises(InvalidParameterError, match="tta"):
            left_edge.set_params(tta=bad).predict_proba(_half_lit())
    left_edge.set_params(tta=None)


def test_views_are_the_image_mirror_and_centre_zooms():
    assert len(view_layers(None)) == 1 and len(view_layers("flip")) == 2
    image = np.arange(16.0).reshape(1, 4, 4, 1)
    zoomed = ImageView(zoom=0.5)(image).numpy()
    assert zoomed.shape == image.shape
    # the centre 2x2 (5, 6, 9, 10) stretched over the image
    assert zoomed.min() >= 5 and zoomed.max() <= 10
    assert ImageView.from_config(ImageView(zoom=0.8, mirror=True).get_config()).zoom == 0.8
    with pytest.raises(InvalidParameterError, match="zoom"):
        ImageView(zoom=0)
