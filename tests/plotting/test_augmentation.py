"""``AugmentationDisplay`` (toonsklearn/plotting/_augmentation.py): what the augmentation
policy does to images at the model's input size."""

import numpy as np
import pytest

from tests.plotting.conftest import TINY, rendered
from toonsklearn import CNNClassifier

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from toonsklearn.plotting import AugmentationDisplay  # noqa: E402


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
