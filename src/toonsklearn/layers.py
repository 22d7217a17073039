"""Keras layers that saved models need: preprocessing that travels inside the model.

Importing this module imports Keras; the registration makes models that use these
layers load with ``keras.saving.load_model`` and unpickle in a fresh process.
"""

from __future__ import annotations

from sklearn.utils._param_validation import InvalidParameterError

from ._utils import quiet_tensorflow  # noqa: F401 (first: TensorFlow without its INFO lines)

# isort: split
import keras
from keras import ops

from .backbones import PREPROCESSING_MODES

__all__ = ["ImagePreprocessing", "ImageView"]

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


@keras.saving.register_keras_serializable(package="toonsklearn")
class ImagePreprocessing(keras.layers.Layer):
    """Map raw 0-255 pixels to what a network expects, inside the model.

    Because preprocessing is a layer, a saved model given raw pixels predicts
    correctly. Greyscale inputs are repeated to three channels when
    ``rgb=True``.

    Parameters
    ----------
    mode : {"scale", "tf", "lite", "caffe", "torch", "none"}, default="scale"
        ``"scale"``: to [0, 1]; ``"tf"``: to [-1, 1]; ``"lite"``: ``(x - 127) / 128``
        (EfficientNet-Lite); ``"caffe"``: RGB to BGR minus the ImageNet mean;
        ``"torch"``: to [0, 1] then standardised with the ImageNet mean and std;
        ``"none"``: unchanged.
    rgb : bool, default=False
        Repeat a single channel to three.
    **kwargs
        Passed to :class:`keras.layers.Layer` (``name``, ``dtype``...).

    Examples
    --------
    >>> import numpy as np
    >>> from toonsklearn.layers import ImagePreprocessing
    >>> ImagePreprocessing("tf")(np.array([[[[0.0, 127.5, 255.0]]]])).numpy().tolist()
    [[[[-1.0, 0.0, 1.0]]]]
    """

    def __init__(self, mode: str = "scale", rgb: bool = False, **kwargs):
        super().__init__(**kwargs)
        if mode not in PREPROCESSING_MODES:
            raise InvalidParameterError(
                f"mode must be one of {PREPROCESSING_MODES}; received mode={mode!r}.")
        self.mode = mode
        self.rgb = rgb

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.rgb and x.shape[-1] == 1:
            x = ops.repeat(x, 3, axis=-1)
        if self.mode == "scale":
            return x / 255.0
        if self.mode == "tf":
            return x / 127.5 - 1.0
        if self.mode == "lite":
            return (x - 127.0) / 128.0
        if self.mode == "caffe":
            return ops.flip(x, axis=-1) - ops.convert_to_tensor(_CAFFE_MEAN_BGR, x.dtype)
        if self.mode == "torch":
            mean = ops.convert_to_tensor(_TORCH_MEAN, x.dtype)
            std = ops.convert_to_tensor(_TORCH_STD, x.dtype)
            return (x / 255.0 - mean) / std
        return x

    def compute_output_shape(self, input_shape):
        if self.rgb and input_shape[-1] == 1:
            return (*input_shape[:-1], 3)
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "rgb": self.rgb}


@keras.saving.register_keras_serializable(package="toonsklearn")
class ImageView(keras.layers.Layer):
    """One fixed view of each image: a zoom to its centre, a mirror, or both.

    The views that test-time augmentation averages (an estimator's ``tta``); unlike
    the ``Random*`` layers of :mod:`toonsklearn.augment` they transform the same way
    at every call, in training and in inference, so they export to any runtime.

    Parameters
    ----------
    zoom : float, default=1.0
        In (0, 1]: the share of the height and width kept around the centre, resized
        back (bilinear) to the image's size; 1.0 keeps the whole image.
    mirror : bool, default=False
        Flip left to right, after the zoom.
    **kwargs
        Passed to :class:`keras.layers.Layer` (``name``, ``dtype``...).

    Examples
    --------
    >>> import numpy as np
    >>> from toonsklearn.layers import ImageView
    >>> image = np.arange(4.0).reshape(1, 1, 4, 1)  # one row: 0 1 2 3
    >>> ImageView(mirror=True)(image).numpy().ravel().tolist()
    [3.0, 2.0, 1.0, 0.0]
    """

    def __init__(self, zoom: float = 1.0, mirror: bool = False, **kwargs):
        super().__init__(**kwargs)
        if not 0 < zoom <= 1:
            raise InvalidParameterError(
                f"zoom must be in (0, 1], the share of the image kept; received zoom={zoom!r}.")
        self.zoom = float(zoom)
        self.mirror = bool(mirror)

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.zoom < 1:
            height, width = x.shape[1], x.shape[2]
            keep_h, keep_w = (max(1, round(side * self.zoom)) for side in (height, width))
            top, left = (height - keep_h) // 2, (width - keep_w) // 2
            x = x[:, top:top + keep_h, left:left + keep_w, :]
            x = ops.image.resize(x, (height, width), interpolation="bilinear")
        if self.mirror:
            x = ops.flip(x, axis=2)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "zoom": self.zoom, "mirror": self.mirror}
