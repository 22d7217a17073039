"""``CNNClassifier`` (toonsklearn/estimators/_cnn.py): the presets and the network its
parameters build."""

import keras
import numpy as np
import pytest

from tests.keras_helpers import TINY, toons
from toonsklearn import CNNClassifier


def conv_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def test_default_network_is_the_simple_preset():
    X, y = toons(size=32)
    default = CNNClassifier(**TINY).initialize(X, y).model_
    simple = CNNClassifier("simple", **TINY).initialize(X, y).model_
    assert [c.filters for c in conv_layers(default)] == [32, 32, 64, 64, 128, 128]
    assert default.count_params() == simple.count_params()
    assert any(isinstance(layer, keras.layers.GlobalAveragePooling2D) for layer in default.layers)


@pytest.mark.parametrize("preset, first_kernel, first_stride", [("alexnet", 11, 4),
                                                                 ("zfnet", 7, 2)])
def test_seed_presets(preset, first_kernel, first_stride):
    X, y = toons(size=32)
    model = CNNClassifier(preset, **TINY).initialize(X, y).model_
    first = conv_layers(model)[0]
    assert first.kernel_size == (first_kernel, first_kernel)
    assert first.strides == (first_stride, first_stride)
    assert [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)] == [
        4096, 4096, 1]
    assert model.output_shape == (None, 1)


def test_preset_refuses_block_parameters():
    X, y = toons()
    with pytest.raises(ValueError, match="\\['filters'\\].*architecture=None"):
        CNNClassifier("alexnet", filters=(8,), **TINY).fit(X, y)


def test_custom_network_parameters_shape_the_model():
    X, y = toons(size=32)
    model = CNNClassifier(filters=(4, 6), kernel_size=5, convs_per_block=3, dense_units=(10,),
                          pooling="flatten", l2=1e-3, **TINY).initialize(X, y).model_
    convs = conv_layers(model)
    assert [c.filters for c in convs] == [4, 4, 4, 6, 6, 6]
    assert convs[0].kernel_size == (5, 5) and convs[0].kernel_regularizer is not None
    assert any(isinstance(layer, keras.layers.Flatten) for layer in model.layers)


def test_multiclass_has_a_softmax_over_all_classes():
    X, y = toons(n=70, task="multiclass")
    clf = CNNClassifier(filters=(4,), **TINY).fit(X, y)
    proba = clf.predict_proba(X)
    assert clf.model_.output_shape == (None, 7) and proba.shape == (70, 7)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert sorted(clf.classes_) == sorted(set(y))
