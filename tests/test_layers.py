"""ImagePreprocessing matches the keras.applications preprocess_input functions."""

import keras
import numpy as np
import pytest

from toonsklearn.layers import ImagePreprocessing

PIXELS = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3)).astype(np.float32)


@pytest.mark.parametrize("mode, reference", [
    ("caffe", keras.applications.vgg16.preprocess_input),
    ("tf", keras.applications.mobilenet_v2.preprocess_input),
    ("torch", keras.applications.densenet.preprocess_input),
    ("none", keras.applications.efficientnet.preprocess_input),
    ("scale", lambda x: x / 255.0),
])
def test_modes_match_keras_applications(mode, reference):
    ours = keras.ops.convert_to_numpy(ImagePreprocessing(mode)(PIXELS))
    np.testing.assert_allclose(ours, reference(PIXELS.copy()), rtol=1e-5, atol=1e-4)


def test_greyscale_becomes_rgb_and_config_round_trips():
    layer = ImagePreprocessing("tf", rgb=True)
    out = keras.ops.convert_to_numpy(layer(PIXELS[..., :1]))
    assert out.shape == (2, 4, 4, 3)
    np.testing.assert_allclose(out[..., 0], out[..., 2])
    clone = ImagePreprocessing.from_config(layer.get_config())
    assert (clone.mode, clone.rgb) == ("tf", True)
    with pytest.raises(ValueError, match="mode='bgr'"):
        ImagePreprocessing("bgr")
