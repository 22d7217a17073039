"""The backbone registry (toonsklearn/backbones/_registry.py): every backbone builds
offline, names are listed and filtered, and what goes wrong is explained."""

import socket
import warnings

import numpy as np
import pytest

from toonsklearn.backbones import (
    BackboneSpec,
    get_backbone,
    get_backbone_spec,
    list_backbones,
    register_backbone,
)


@pytest.mark.slow
@pytest.mark.parametrize("name", list_backbones())
def test_every_registered_backbone_builds_offline_and_extracts_features(name):
    spec = get_backbone_spec(name)
    size = max(spec.min_size, 32)
    model = get_backbone(name, weights=None, input_shape=(size, size, 3))
    features = model.predict(np.zeros((1, size, size, 3), np.float32), verbose=0)
    assert features.ndim == 4 and features.shape[0] == 1 and features.shape[-1] >= 32


def test_unknown_name_and_too_small_input_are_explained():
    with pytest.raises(ValueError, match="Unknown backbone 'resnet9'.*inception_v3"):
        get_backbone("resnet9")
    with pytest.raises(ValueError, match="at least 75x75.*input_size"):
        get_backbone("inception_v3", weights=None, input_shape=(32, 32, 3))


def test_list_backbones_has_the_promised_families():
    names = list_backbones()
    assert {"vgg16", "vgg19", "resnet50v2", "mobilenet_v2", "inception_v3",
            "efficientnet_b0"} <= set(names)


def test_fnmatch_filter():
    assert list_backbones("efficientnet_lite*") == ["efficientnet_lite0", "efficientnet_lite1",
                                                   "efficientnet_lite2"]
    assert list_backbones("nothing*") == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens here once the socket closes


def _downloading_backbone(weights=None, include_top=False, input_shape=None):
    import keras

    if weights == "imagenet":  # a real download attempt, from a port where nothing listens
        keras.utils.get_file("toons_test_weights.h5",
                             origin=f"http://127.0.0.1:{_closed_port()}/weights.h5")
    inputs = keras.Input(input_shape)
    return keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs))


def test_failed_download_says_how_to_work_offline():
    register_backbone(BackboneSpec("downloading_test", _downloading_backbone, (8, 8), 8, "scale"),
                      overwrite=True)
    with pytest.raises(RuntimeError, match="'downloading_test'.*efficientnet_lite0.*weights=None"):
        get_backbone("downloading_test", weights="imagenet")
    assert get_backbone("downloading_test", weights=None).output_shape == (None, 6, 6, 2)


def test_registering_twice_warns_and_bad_preprocessing_is_refused():
    spec = BackboneSpec("twice_test", _downloading_backbone, (8, 8), 8, "scale")
    register_backbone(spec, overwrite=True)
    with pytest.warns(UserWarning, match="Overwriting.*twice_test"):
        register_backbone(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        register_backbone(spec, overwrite=True)
    with pytest.raises(ValueError, match="preprocessing=.*'bgr'"):
        register_backbone(BackboneSpec("bad_test", _downloading_backbone, (8, 8), 8, "bgr"))
