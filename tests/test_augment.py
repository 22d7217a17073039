"""Augmentation policies become Keras layers that act in training only."""

import keras
import numpy as np
import pytest

from toonsklearn.augment import POLICIES, augmentation_layers


def names(layers):
    return [type(layer).__name__ for layer in layers]


def test_policies_and_dicts_map_to_layers():
    assert names(augmentation_layers(None)) == []
    assert names(augmentation_layers("strong")) == [
        "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
        "RandomBrightness"]
    assert names(augmentation_layers({"rotation": 0.1, "zoom": 0})) == ["RandomRotation"]
    assert set(POLICIES) == {"light", "strong"}


def test_bad_specs_are_named():
    with pytest.raises(ValueError, match="'wild'.*light"):
        augmentation_layers("wild")
    with pytest.raises(ValueError, match="\\['shear'\\].*flip"):
        augmentation_layers({"shear": 0.2})
    with pytest.raises(TypeError, match="augment must be"):
        augmentation_layers(3)


@pytest.mark.parametrize("spec, words", [
    ({"flip": "diag"}, "augment\\['flip'\\] must be one of \\['horizontal', 'vertical'"),
    ({"flip": True}, "augment\\['flip'\\] must be one of"),
    ({"rotation": 2}, "augment\\['rotation'\\] must be a factor in \\[-1, 1\\].*received 2"),
    ({"zoom": "big"}, "augment\\['zoom'\\].*received 'big'"),
    ({"zoom": (0.3, 0.1)}, "augment\\['zoom'\\].*\\(lower, upper\\)"),
    ({"contrast": -0.1}, "augment\\['contrast'\\] must be a factor in \\[0, 1\\]"),
    ({"brightness": True}, "augment\\['brightness'\\]"),
])
def test_bad_values_are_refused_with_what_is_allowed(spec, words):
    with pytest.raises(ValueError, match=words):
        augmentation_layers(spec)


def test_ranges_keras_takes_are_kept():
    spec = {"zoom": (-0.2, 0.1), "translation": -0.1, "brightness": [-0.2, 0.2]}
    assert names(augmentation_layers(spec)) == ["RandomZoom", "RandomTranslation",
                                                "RandomBrightness"]


def test_none_false_and_zero_turn_a_key_off():
    spec = {"flip": None, "rotation": 0, "zoom": False, "contrast": 0.1}
    assert names(augmentation_layers(spec)) == ["RandomContrast"]


def test_layers_change_images_in_training_only():
    images = np.random.default_rng(0).uniform(0, 255, (4, 16, 16, 3)).astype(np.float32)
    model = keras.Sequential(augmentation_layers("strong", seed=0))
    trained = keras.ops.convert_to_numpy(model(images, training=True))
    inferred = keras.ops.convert_to_numpy(model(images, training=False))
    assert not np.allclose(trained, images)
    np.testing.assert_array_equal(inferred, images)
    assert trained.min() >= 0 and trained.max() <= 255
