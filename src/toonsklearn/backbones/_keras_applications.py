"""The keras.applications families, registered by name with their sizes and preprocessing."""

from __future__ import annotations

import os
from functools import partial

from ._registry import BackboneSpec, register_backbone


def _build(constructor: str, weights=None, include_top=False, input_shape=None, **extra):
    from .._utils import quiet_tensorflow  # noqa: F401 (first: TensorFlow without its INFO lines)
    # isort: split
    import keras

    model_fn = getattr(keras.applications, constructor)
    kwargs = {"weights": weights, "include_top": include_top, "input_shape": input_shape}
    return model_fn(**kwargs, **extra)


def _keras_home() -> str:
    """Keras' cache folder, found as Keras finds it, without importing Keras."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    home = os.path.expanduser("~")
    return os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")


def _cached_weights(file_name: str) -> str:
    """Where keras.applications keeps a downloaded weights file."""
    return os.path.join(_keras_home(), "models", file_name)


_NOTOP = "_weights_tf_dim_ordering_tf_kernels_notop.h5"
# The file each family's ImageNet weights (without the top) are cached as.
_WEIGHTS_FILES = {
    "vgg16": f"vgg16{_NOTOP}", "vgg19": f"vgg19{_NOTOP}", "resnet50": f"resnet50{_NOTOP}",
    "resnet50v2": f"resnet50v2{_NOTOP}", "inception_v3": f"inception_v3{_NOTOP}",
    "xception": f"xception{_NOTOP}", "densenet121": f"densenet121{_NOTOP}",
    "mobilenet_v2": "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
    "efficientnet_b0": "efficientnetb0_notop.h5", "convnext_tiny": "convnext_tiny_notop.h5",
}

# name: (keras.applications constructor, default size, min size, preprocessing)
_FAMILIES = {
    "vgg16": ("VGG16", 224, 32, "caffe"),
    "vgg19": ("VGG19", 224, 32, "caffe"),
    "resnet50": ("ResNet50", 224, 32, "caffe"),
    "resnet50v2": ("ResNet50V2", 224, 32, "tf"),
    "mobilenet_v2": ("MobileNetV2", 224, 32, "tf"),
    "inception_v3": ("InceptionV3", 299, 75, "tf"),
    "xception": ("Xception", 299, 71, "tf"),
    "densenet121": ("DenseNet121", 224, 32, "torch"),
    "efficientnet_b0": ("EfficientNetB0", 224, 32, "none"),  # rescales inside the model
    "convnext_tiny": ("ConvNeXtTiny", 224, 32, "none"),
}

for _name, (_constructor, _size, _min, _mode) in _FAMILIES.items():
    register_backbone(
        BackboneSpec(_name, partial(_build, _constructor), (_size, _size), _min, _mode,
                     weights_path=partial(_cached_weights, _WEIGHTS_FILES[_name]))
    )
