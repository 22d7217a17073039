"""The one feature path: a backbone built from an estimator's parameters, the network from
raw pixels to pooled features, and those features for an image source through the cache.

``TransferClassifier``'s frozen phase, ``MultiLabelCNN(backbone=...)`` and
:class:`~toonsklearn.embedding.ImageEmbedder` all build their features here, so one
image gives one cache entry whichever of them computed it.
"""

from __future__ import annotations

import keras
import numpy as np
from sklearn.utils._param_validation import InvalidParameterError

from ..backbones import get_backbone, get_backbone_spec
from ..features import cached_features
from ..layers import ImagePreprocessing
from ._callbacks import announce_step
from ._data import ImageSource, make_dataset

__all__ = ["POOLINGS", "backbone_input_size", "backbone_model", "extract_features",
           "feature_network"]

#: How a backbone's feature map becomes one vector an image.
POOLINGS = {"avg": keras.layers.GlobalAveragePooling2D, "max": keras.layers.GlobalMaxPooling2D}


def backbone_input_size(backbone) -> tuple[int, int] | None:
    """The input size ``backbone`` was made for: a registry name's, or a ``keras.Model``'s
    fixed one; None for a callable or a model of any size (the data's size then)."""
    if isinstance(backbone, str):
        return get_backbone_spec(backbone).input_size
    if isinstance(backbone, keras.Model):
        height, width = backbone.input_shape[1:3]
        if height and width:
            return (height, width)
    return None


def backbone_model(est, image_shape) -> tuple[keras.Model, str]:
    """The backbone for ``est.backbone`` (with ``est.weights`` and ``est.preprocessing``)
    at ``image_shape``, and its preprocessing mode."""
    backbone = est.backbone
    if isinstance(backbone, str):
        mode = get_backbone_spec(backbone).preprocessing
        model = get_backbone(backbone, weights=est.weights, input_shape=(*image_shape[:2], 3))
    elif isinstance(backbone, keras.Model):
        mode = "none"
        model = keras.models.clone_model(backbone)  # never train the caller's object
        model.set_weights(backbone.get_weights())
    else:
        mode = "none"
        model = backbone((*image_shape[:2], 3))
        if not isinstance(model, keras.Model):
            raise InvalidParameterError(
                f"backbone callable must return a keras.Model; it returned {type(model)}."
            )
    return model, est.preprocessing or mode


def feature_network(est, x, pooling: str = "avg"):
    """Pooled features of the frozen backbone of ``est`` on the pixel tensor ``x``: its
    preprocessing, the backbone in inference mode, and a pooling layer named
    ``features`` (none for a backbone that gives vectors already).

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        The backbone gives neither a feature map ``(height, width, channels)`` nor a
        vector an image.
    """
    backbone, mode = backbone_model(est, est.image_shape_)
    backbone.trainable = False
    x = ImagePreprocessing(mode, rgb=True, name="preprocessing")(x)
    features = backbone(x, training=False)  # BatchNorm stays in inference mode, even unfrozen
    if len(features.shape) not in (2, 4):
        name = est.backbone if isinstance(est.backbone, str) else backbone.name
        raise InvalidParameterError(
            f"The backbone {name!r} gives outputs of shape {tuple(features.shape[1:])} an "
            "image; a backbone must give a feature map (height, width, channels) or a "
            "vector. Cut it at a convolutional or pooling layer, e.g. "
            "keras.Model(model.input, model.get_layer(NAME).output).")
    pool = POOLINGS[pooling] if len(features.shape) == 4 else keras.layers.Identity
    return pool(name="features")(features)


def extract_features(extractor: keras.Model, source: ImageSource, *, memory, batch_size: int,
                     verbose: int = 0, rows: slice = slice(None),
                     key: str | None = None) -> np.ndarray:
    """The features ``extractor`` gives the images of ``source`` (those in ``rows``),
    read from the cache in ``memory`` where it has them (``key``: the extractor's,
    when known); the others stream through ``tf.data`` in batches of ``batch_size``."""
    first = range(len(source))[rows].start

    def compute(indices):
        announce_step(verbose, f"Computing backbone features of {len(indices)} images")
        with source.our_errors():
            return extractor.predict(make_dataset(source, first + indices, batch_size),
                                     verbose=verbose)[:len(indices)]

    return cached_features(memory, extractor, source.data[rows], source.is_paths, compute,
                           key=key)  # a slice: a view of an array, not a copy
