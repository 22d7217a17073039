"""The keras.applications families, registered by name with their sizes and preprocessing."""

from __future__ import annotations

from functools import partial

from . import BackboneSpec, register_backbone


def _build(constructor: str, weights=None, include_top=False, input_shape=None, **extra):
    from .. import _tensorflow  # noqa: F401 (first: TensorFlow without its INFO lines)
    # isort: split
    import keras

    model_fn = getattr(keras.applications, constructor)
    kwargs = {"weights": weights, "include_top": include_top, "input_shape": input_shape}
    return model_fn(**kwargs, **extra)


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
        BackboneSpec(_name, partial(_build, _constructor), (_size, _size), _min, _mode)
    )
