"""Backbone registry: a name gives a Keras feature extractor, its input size and preprocessing.

``register_backbone`` adds one, ``list_backbones`` shows them, ``get_backbone`` builds
one. Registering imports nothing heavy: TensorFlow loads only when a backbone is built.
The built-in families (keras.applications and the offline EfficientNet-Lite) register
themselves when this package is imported.
"""

from . import _keras_applications, efficientnet_lite  # noqa: F401 (register the built-ins)
from ._registry import (
    PREPROCESSING_MODES,
    BackboneSpec,
    get_backbone,
    get_backbone_spec,
    list_backbones,
    register_backbone,
)

__all__ = ["PREPROCESSING_MODES", "BackboneSpec", "get_backbone", "get_backbone_spec",
           "list_backbones", "register_backbone"]
