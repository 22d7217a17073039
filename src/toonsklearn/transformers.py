"""Deterministic preprocessing of image arrays (no augmentation: that belongs in the model)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.ndimage import median_filter
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._utils.imaging import COLOR_MODES, RESIZE_MODES, check_size, resize_array
from ._utils.validation import as_image_array
from .exceptions import ImageInputError

__all__ = ["ImageTransformer"]

_LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R 601, as Pillow's convert("L")


class ImageTransformer(TransformerMixin, BaseEstimator):
    """Resize, crop, convert, denoise, normalise and flatten image arrays.

    Every step is deterministic, so the same image always gives the same
    output at fit and at predict time. Steps run in this order: colour mode,
    resize, centre crop, denoise, normalise, flatten. Augmentation is not
    here on purpose: a transformer cannot add samples and would also alter
    test images; the estimators augment inside their Keras model.

    Parameters
    ----------
    size : tuple of (int, int) or None, default=None
        Resize to ``(height, width)``; None keeps the size.
    resize : {"stretch", "pad", "crop"}, default="stretch"
        How to reach ``size``, as in :class:`ImageFolderLoader`.
    center_crop : float or tuple of (int, int) or None, default=None
        Keep the centre: a fraction of each side in (0, 1], or an exact
        ``(height, width)``.
    color_mode : {"rgb", "grayscale"} or None, default=None
        Convert to three channels or one; None keeps the channels.
    denoise : {"median", "tv"} or None, default=None
        Median filter of width ``denoise_size``, or total-variation denoising
        (needs scikit-image).
    denoise_size : int, default=3
        Window of the median filter.
    normalize : {"scale", "standardize"} or None, default=None
        ``"scale"`` divides by 255; ``"standardize"`` subtracts the per-channel
        mean and divides by the per-channel standard deviation learned in
        ``fit``. Either gives float32; None keeps the input dtype.
    flatten : bool, default=False
        Reshape to ``(n_samples, n_features)`` for classic scikit-learn estimators.

    Attributes
    ----------
    image_shape_ : tuple of int
        ``(height, width, channels)`` of the images seen in ``fit``.
    mean_ : ndarray of shape (channels,)
        Per-channel mean, with ``normalize="standardize"``.
    std_ : ndarray of shape (channels,)
        Per-channel standard deviation, with ``normalize="standardize"``.

    See Also
    --------
    ImageFolderLoader : Decode file paths into the arrays this transforms.

    Examples
    --------
    >>> import numpy as np
    >>> from toonsklearn import ImageTransformer
    >>> X = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    >>> ImageTransformer(size=(8, 8), normalize="scale", flatten=True).fit_transform(X).shape
    (4, 192)
    """

    _parameter_constraints: dict = {
        "size": [tuple, None],
        "resize": [StrOptions(set(RESIZE_MODES))],
        "center_crop": [Interval(Real, 0, 1, closed="right"), tuple, None],
        "color_mode": [StrOptions(set(COLOR_MODES)), None],
        "denoise": [StrOptions({"median", "tv"}), None],
        "denoise_size": [Interval(Integral, 1, None, closed="left")],
        "normalize": [StrOptions({"scale", "standardize"}), None],
        "flatten": ["boolean"],
    }

    def __init__(
        self,
        size: tuple[int, int] | None = None,
        *,
        resize: str = "stretch",
        center_crop: float | tuple[int, int] | None = None,
        color_mode: str | None = None,
        denoise: str | None = None,
        denoise_size: int = 3,
        normalize: str | None = None,
        flatten: bool = False,
    ):
        self.size = size
        self.resize = resize
        self.center_crop = center_crop
        self.color_mode = color_mode
        self.denoise = denoise
        self.denoise_size = denoise_size
        self.normalize = normalize
        self.flatten = flatten

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the image shape and, for ``normalize="standardize"``, channel statistics.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width) or \
(n_samples, height, width, channels)
            Images, with one or three channels.
        y : None
            Ignored; there for the Pipeline API.

        Returns
        -------
        self : ImageTransformer
            The fitted transformer.

        Examples
        --------
        >>> import numpy as np
        >>> from toonsklearn import ImageTransformer
        >>> X = np.stack([np.zeros((4, 4, 3)), np.full((4, 4, 3), 255.0)])
        >>> transformer = ImageTransformer(normalize="standardize").fit(X)
        >>> transformer.image_shape_, transformer.mean_.tolist()
        ((4, 4, 3), [127.5, 127.5, 127.5])
        """
        check_size(self.size)
        if isinstance(self.center_crop, tuple):
            check_size(self.center_crop)
        if self.denoise == "tv":
            _import_skimage_restoration()
        images = as_image_array(X, type(self).__name__)
        self.image_shape_ = images.shape[1:]
        if self.normalize == "standardize":
            pixels = self._prepare(images).astype(np.float64)
            self.mean_ = pixels.mean(axis=(0, 1, 2))
            std = pixels.std(axis=(0, 1, 2))
            self.std_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X) -> np.ndarray:
        """Apply the preprocessing to ``X``, images ``(n, h, w)`` or ``(n, h, w, c)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width) or \
(n_samples, height, width, channels)
            Images with the channels and size of those seen in ``fit``, unless
            ``color_mode`` and ``size`` convert them.

        Returns
        -------
        X_new : ndarray of shape (n_samples, height, width, channels) or \
(n_samples, n_features)
            The preprocessed images, flattened with ``flatten=True``; float32 when
            normalised, else of the input dtype.

        Examples
        --------
        >>> import numpy as np
        >>> from toonsklearn import ImageTransformer
        >>> X = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
        >>> grey = ImageTransformer(color_mode="grayscale", center_crop=0.5).fit(X)
        >>> grey.transform(X).shape, grey.transform(X).dtype
        ((2, 4, 4, 1), dtype('uint8'))
        """
        check_is_fitted(self, "image_shape_")
        images = as_image_array(X, type(self).__name__)
        if images.shape[3] != self.image_shape_[2] and self.color_mode is None:
            raise ImageInputError(
                f"{type(self).__name__} was fitted on images with {self.image_shape_[2]} "
                f"channels; received {images.shape[3]} (shape {images.shape}). "
                "Set color_mode= to convert them."
            )
        if images.shape[1:3] != self.image_shape_[:2] and self.size is None:
            raise ImageInputError(
                f"{type(self).__name__} was fitted on images of shape {self.image_shape_}; "
                f"received shape {images.shape[1:]}. Set size=(height, width) to resize them."
            )
        out = self._prepare(images)
        if self.normalize == "scale":
            out = out.astype(np.float32) / np.float32(255)
        elif self.normalize == "standardize":
            out = ((out - self.mean_) / self.std_).astype(np.float32)
        return out.reshape(len(out), -1) if self.flatten else out

    def _prepare(self, images: np.ndarray) -> np.ndarray:
        """Every step before normalisation."""
        images = self._convert_color(images)
        if self.size is not None:
            images = np.stack([resize_array(image, self.size, self.resize) for image in images])
        if self.center_crop is not None:
            images = self._crop(images)
        if self.denoise == "median":
            images = median_filter(images, size=(1, self.denoise_size, self.denoise_size, 1))
        elif self.denoise == "tv":
            images = self._denoise_tv(images)
        return images

    def _convert_color(self, images: np.ndarray) -> np.ndarray:
        channels = images.shape[3]
        if self.color_mode == "grayscale" and channels == 3:
            grey = images @ _LUMA
            grey = np.rint(grey).astype(np.uint8) if images.dtype == np.uint8 else grey
            return grey.astype(images.dtype, copy=False)[..., np.newaxis]
        if self.color_mode == "rgb" and channels == 1:
            return np.repeat(images, 3, axis=3)
        return images

    def _crop(self, images: np.ndarray) -> np.ndarray:
        height, width = images.shape[1:3]
        if isinstance(self.center_crop, tuple):
            crop_h, crop_w = self.center_crop
            if crop_h > height or crop_w > width:
                raise ImageInputError(
                    f"center_crop={self.center_crop} is larger than the images "
                    f"({height}, {width}); resize first with size= or crop less."
                )
        else:
            crop_h = max(1, round(height * self.center_crop))
            crop_w = max(1, round(width * self.center_crop))
        top, left = (height - crop_h) // 2, (width - crop_w) // 2
        return images[:, top : top + crop_h, left : left + crop_w]

    def _denoise_tv(self, images: np.ndarray) -> np.ndarray:
        restoration = _import_skimage_restoration()
        scale = 255.0 if images.dtype == np.uint8 else 1.0
        smooth = np.stack(
            [restoration.denoise_tv_chambolle(image / scale, channel_axis=-1) for image in images]
        )
        if images.dtype == np.uint8:
            return np.clip(np.rint(smooth * 255), 0, 255).astype(np.uint8)
        return smooth.astype(images.dtype)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags


def _import_skimage_restoration():
    try:
        from skimage import restoration
    except ImportError as exc:
        raise ImportError(
            "denoise='tv' needs scikit-image: pip install scikit-image, or use denoise='median'."
        ) from exc
    return restoration
