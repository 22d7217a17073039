import numpy as np
import pytest
from PIL import Image
from sklearn.utils._param_validation import InvalidParameterError

from toonsklearn import ImageTransformer


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, (6, 12, 16, 3), dtype=np.uint8)


def test_defaults_change_nothing(images):
    out = ImageTransformer().fit_transform(images)
    np.testing.assert_array_equal(out, images)
    assert out.dtype == np.uint8


def test_scale_and_flatten_feed_classic_estimators(images):
    out = ImageTransformer(normalize="scale", flatten=True).fit_transform(images)
    assert out.shape == (6, 12 * 16 * 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, images.reshape(6, -1) / 255, rtol=1e-6)


def test_standardize_learns_channel_statistics_in_fit(images):
    transformer = ImageTransformer(normalize="standardize").fit(images)
    out = transformer.transform(images)
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)
    brighter = transformer.transform(np.full((1, 12, 16, 3), 255, np.uint8))
    expected = (255 - transformer.mean_) / transformer.std_
    np.testing.assert_allclose(brighter[0, 0, 0], expected, rtol=1e-5)  # fitted stats reused


def test_grayscale_matches_pillow_and_rgb_repeats(images):
    grey = ImageTransformer(color_mode="grayscale").fit_transform(images)
    pillow = np.stack([np.asarray(Image.fromarray(im).convert("L")) for im in images])
    assert grey.shape == (6, 12, 16, 1)
    assert np.abs(grey[..., 0].astype(int) - pillow).max() <= 1
    rgb = ImageTransformer(color_mode="rgb").fit_transform(grey)
    np.testing.assert_array_equal(rgb, np.repeat(grey, 3, axis=3))


def test_resize_and_crop(images):
    out = ImageTransformer(size=(8, 8)).fit_transform(images)
    assert out.shape == (6, 8, 8, 3) and out.dtype == np.uint8
    floats = ImageTransformer(size=(8, 8)).fit_transform(images.astype(np.float64))
    assert floats.dtype == np.float64
    assert np.abs(floats - out).max() <= 1.0  # the same resampling for floats and uint8
    fraction = ImageTransformer(center_crop=0.5).fit_transform(images)
    np.testing.assert_array_equal(fraction, images[:, 3:9, 4:12])
    exact = ImageTransformer(center_crop=(4, 6)).fit_transform(images)
    np.testing.assert_array_equal(exact, images[:, 4:8, 5:11])
    with pytest.raises(ValueError, match="larger than the images"):
        ImageTransformer(center_crop=(20, 20)).fit_transform(images)


def test_median_removes_salt_noise():
    dark = np.zeros((1, 9, 9, 1), np.uint8)
    dark[0, 4, 4] = 255
    out = ImageTransformer(denoise="median").fit_transform(dark)
    np.testing.assert_array_equal(out, 0)


def test_total_variation_smooths_noise():
    rng = np.random.default_rng(0)
    noisy = np.clip(128 + rng.normal(0, 30, (2, 24, 24, 3)), 0, 255).astype(np.uint8)
    out = ImageTransformer(denoise="tv").fit_transform(noisy)
    assert out.dtype == np.uint8
    assert out.std() < noisy.std() / 2


def test_errors_name_the_expected_shape(images):
    transformer = ImageTransformer().fit(images)
    with pytest.raises(ValueError, match="\\(12, 16, 3\\).*\\(8, 8, 3\\).*size="):
        transformer.transform(images[:, :8, :8])
    with pytest.raises(ValueError, match="3 channels.*color_mode="):
        transformer.transform(images[..., :1])
    with pytest.raises(ValueError, match="received shape \\(6, 576\\)"):
        ImageTransformer().fit(images.reshape(6, -1))
    with pytest.raises(ValueError, match="ImageFolderLoader first"):
        ImageTransformer().fit(np.array(["a.png", "b.png"]))
    with pytest.raises(ValueError, match="NaN"):
        ImageTransformer().fit(np.full((1, 4, 4, 3), np.nan))
    with pytest.raises(InvalidParameterError, match="normalize"):
        ImageTransformer(normalize="minmax").fit(images)
