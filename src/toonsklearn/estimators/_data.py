"""Where the images of a fit or a prediction come from: an array or files on disk.

Either way the model sees uint8 (or float) batches at its input size, through one
``tf.data`` pipeline that decodes and resizes in parallel and prefetches, so that
file paths stream in bounded memory and give the same batches as the decoded array.
"""

from __future__ import annotations

import contextlib
import os
import warnings
import weakref
from numbers import Integral

import numpy as np
import scipy.sparse
import tensorflow as tf
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import validate_data

from .._utils.imaging import (
    SKIP_HINT,
    plain_path,
    read_image,
    read_images,
    resize_array,
    shared_size,
)
from .._utils.validation import as_image_array, as_path_array
from ..exceptions import (
    ImageDecodeError,
    ImageInputError,
    ScaledImagesWarning,
    ToonsklearnError,
)
from . import _distribute
from ._native_decode import DECODE_OP, decode_batch, read_plain_png

# The public DEFAULT_PATH_SIZE (documented in the package's __init__).
DEFAULT_PATH_SIZE = (128, 128)
#: The longest side a model input may have: a batch at 4096x4096 already takes
#: gigabytes; a typo (100000) would be killed by the system without a word.
MAX_INPUT_SIDE = 4096


class ImageSource:
    """Images by index, from an array or from files, at the model's input size.

    Files are read in the ``tf.data`` pipeline: the plain PNG files among them (see
    :mod:`._native_decode`) are decoded there by TensorFlow, the others by
    :func:`read_images`; ``native=False`` sends every file to :func:`read_images`.
    A file that fails to decode inside the pipeline reaches the caller as one of
    TensorFlow's errors; :meth:`our_errors` turns it back into ours.
    """

    def __init__(self, data: np.ndarray, is_paths: bool, shape: tuple[int, int, int],
                 *, native: bool = True):
        self.data = data
        self.is_paths = is_paths
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.uint8 if is_paths or data.dtype == np.uint8 else np.float32
        self.native = native and is_paths
        self.error: ToonsklearnError | None = None

    @contextlib.contextmanager
    def our_errors(self):
        """Re-raise the error of ours behind a failure of the pipeline, naming the file.

        When TensorFlow's PNG decoder failed and nothing of ours did, the files are
        read again to find the one it refused and name it.
        """
        self.error = None
        try:
            yield
        except ToonsklearnError:
            raise
        except Exception as exc:
            if self.error is None and self.native and DECODE_OP in str(exc):
                self.error = self._undecodable()
            if self.error is None:
                raise
            raise self.error from None

    def __len__(self) -> int:
        return len(self.data)

    @property
    def _color_mode(self) -> str:
        return "grayscale" if self.shape[2] == 1 else "rgb"

    def take(self, indices: np.ndarray, n_jobs: int | None = 1) -> np.ndarray:
        """The images at ``indices``, decoded on ``n_jobs`` threads: one for a batch of
        tf.data, which decodes several batches at once (a thread pool per batch costs
        more than its small batch saves)."""
        size = self.shape[:2]
        if self.is_paths:
            return self._read(self.data[indices], n_jobs)
        images = self.data[indices]
        if images.shape[1:3] != size:
            images = np.stack([resize_array(image, size) for image in images])
        return images.astype(self.dtype, copy=False)

    def take_files(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the files at ``indices``: the bytes of each plain PNG (``b""`` for the
        others), for TensorFlow to decode, and the images of the others, decoded by
        Pillow (zeros where the bytes are given)."""
        paths = self.data[indices]
        blobs = np.empty(len(paths), dtype=object)
        images = np.zeros((len(paths), *self.shape), dtype=np.uint8)
        others = []
        for i, path in enumerate(paths):
            blobs[i] = read_plain_png(path, self.shape[:2])
            if blobs[i] is None:
                blobs[i] = b""
                others.append(i)
        if others:
            images[others] = self._read(paths[others])
        return blobs, images

    def _read(self, paths: np.ndarray, n_jobs: int | None = 1) -> np.ndarray:
        try:
            return read_images(paths, self.shape[:2], color_mode=self._color_mode,
                               n_jobs=n_jobs)
        except ToonsklearnError as exc:
            self.error = self.error or exc
            raise

    def _undecodable(self) -> ToonsklearnError | None:
        """The error of the first file TensorFlow's PNG decoder refuses: the one
        :func:`read_image` raises, or, where Pillow reads the file (the two libraries
        check different things), one giving TensorFlow's reason; None if it refuses
        none (the file changed since, say)."""
        size = self.shape[:2]
        for path in self.data:
            blob = read_plain_png(path, size)
            if blob is None:
                continue
            try:
                tf.io.decode_png(blob, channels=3)
            except tf.errors.OpError as exc:
                try:
                    read_image(path, size, color_mode=self._color_mode)
                except ToonsklearnError as ours:
                    return ours
                return ImageDecodeError(
                    f"Could not decode {plain_path(path)!r} as an image: TensorFlow's PNG "
                    f"decoder refused it ({exc.message}), though Pillow reads it. Save it "
                    f"again as a PNG (Pillow's Image.save), or: {SKIP_HINT}",
                    path=plain_path(path))
        return None


class ImageInputMixin:
    """Validates ``X`` (image arrays, a 2-D feature matrix, or a 1-D array of file paths)
    and wraps it as an :class:`ImageSource` at the model's input size; ``fit`` records
    that size in ``image_shape_``."""

    def _default_input_size(self) -> tuple[int, int] | None:
        """Model input size when ``input_size`` is None; None means the data's own."""
        return None

    def _as_source(self, X, *, reset: bool) -> ImageSource:
        """Validate ``X`` (paths, images or a 2-D matrix) and wrap it as an image source."""
        name = type(self).__name__
        if scipy.sparse.issparse(X):
            raise TypeError(
                f"{name} does not accept sparse input; pass a dense array (X.toarray()) or "
                "images of shape (n_samples, height, width, channels)."
            )
        if isinstance(X, (str, bytes, os.PathLike)):
            raise ImageInputError(
                f"{name} received one path, {X!r}, where it takes many images; pass a list "
                f"or 1-D array of file paths ([{X!r}]), or list a folder's images with "
                "toonsklearn.load_image_folder.")
        if X is None or (isinstance(X, (list, tuple)) and len(X) == 0):
            raise ImageInputError(
                f"{name} received no images ({X!r}); pass images (n_samples, height, width"
                "[, channels]) or a 1-D array of file paths.")
        try:
            array = np.asarray(X) if not hasattr(X, "iloc") else X
            dense = np.asarray(array)  # a DataFrame stays ``array``, for its column names
        except ValueError:  # NumPy: "inhomogeneous shape", a list of images of mixed sizes
            raise ImageInputError(
                f"{name} received images of different shapes, which make no array; resize "
                "them to one size (ImageTransformer(size=...)) or pass their file paths, "
                "which are resized as they are read.") from None
        if dense.ndim == 2 and dense.shape[1] == 1 and dense.dtype.kind in "OUS":
            array = dense = dense[:, 0]  # one column of paths (a DataFrame's, say)
        if dense.ndim == 1 and dense.dtype.kind in "OUS":
            paths = as_path_array(array, name)
            if len(paths) == 0:
                raise ImageInputError(f"{name} received an empty array of file paths; pass "
                                      "at least one image.")
            channels = 3 if reset else self.image_shape_[2]
            size = self._model_size(lambda: _paths_size(paths)) if reset else (
                self.image_shape_[:2])
            if reset:
                self.image_shape_ = (*size, channels)
            return ImageSource(paths, True, (*size, channels))
        if dense.ndim <= 2:  # a 1-D one gets scikit-learn's "Reshape your data"
            images = validate_data(self, X, reset=reset, dtype="numeric")
            images = images[:, :, np.newaxis, np.newaxis]  # f features -> an f x 1 image
        else:
            images = as_image_array(array, name)
            warn_if_scaled(images)
        if reset:
            self.image_shape_ = (*self._model_size(lambda: images.shape[1:3]),
                                 images.shape[3])
        elif images.shape[3] != self.image_shape_[2]:
            raise ImageInputError(
                f"{name} was fitted on images with {self.image_shape_[2]} channels; received "
                f"shape {images.shape}. Expected (n_samples, height, width, "
                f"{self.image_shape_[2]})."
            )
        return ImageSource(images, False, self.image_shape_)

    def _model_size(self, data_size) -> tuple[int, int]:
        """``input_size``, else the backbone's, else ``data_size()``: the data's own."""
        size = self.input_size or self._default_input_size() or data_size()
        if len(size) != 2 or not all(isinstance(s, Integral) and not isinstance(s, bool)
                                     and s > 0 for s in size):
            raise InvalidParameterError(
                f"input_size must be (height, width) of positive ints; received {size!r}."
            )
        if max(size) > MAX_INPUT_SIDE:
            raise InvalidParameterError(
                f"input_size {tuple(size)!r} is over {MAX_INPUT_SIDE} pixels a side: a batch "
                "of such images would not fit in memory. Pass a smaller input_size (the "
                "images are resized to it).")
        return tuple(int(s) for s in size)


def _paths_size(paths: np.ndarray) -> tuple[int, int]:
    """The size the files share when it fits in :data:`DEFAULT_PATH_SIZE`, else that:
    64x64 drawings train at 64x64, as an array of them does, not at four times their
    pixels; large or mixed photos still train at 128x128, not at full size."""
    size = shared_size(paths)
    fits = size is not None and all(s <= d for s, d in zip(size, DEFAULT_PATH_SIZE, strict=True))
    return size if fits else DEFAULT_PATH_SIZE


# tf.data's autotuning at times holds a finished pipeline up for a good part of a second
# as it is deleted, after every prediction and epoch. Without it the map decodes one
# batch a core (AUTOTUNE's starting point) and two batches wait ready: enough to keep
# the model fed, in memory that does not grow with the run.
_FIXED_PARALLELISM = tf.data.Options()
_FIXED_PARALLELISM.autotune.enabled = False


def make_dataset(source: ImageSource, indices, batch_size: int, *, y=None, weights=None,
                 shuffle: bool = False, seed: int | None = None) -> tf.data.Dataset:
    """Batches of ``source[indices]`` (with labels and weights) decoded in parallel."""
    ds = tf.data.Dataset.from_tensor_slices(np.asarray(indices, dtype=np.int64))
    if shuffle:
        ds = ds.shuffle(len(indices), seed=seed, reshuffle_each_iteration=True)
    ds = _distribute.batch(ds, len(indices), batch_size, training=y is not None)
    tf_dtype = tf.as_dtype(source.dtype)
    # TensorFlow's registry of numpy_function callables keeps each one for the life of
    # the process, so a callable holding the source would keep every array ever
    # predicted; these hold it weakly, and the caller holds it while the dataset runs.
    take, take_files = _weakly(source, "take"), _weakly(source, "take_files")
    native, shape = source.native, source.shape

    def load(idx):
        if native:
            blobs, images = tf.numpy_function(take_files, [idx],
                                              (tf.string, tf.uint8), stateful=False)
            blobs.set_shape((None,))
            images.set_shape((None, *shape))
            images = decode_batch(blobs, images, shape)
        else:
            images = tf.numpy_function(take, [idx], tf_dtype, stateful=False)
        images.set_shape((None, *shape))
        return tf.cast(images, tf.float32)

    if y is None:
        batch = load
    else:
        y_t = tf.constant(y)
        w_t = tf.constant(weights)

        def batch(idx):
            return load(idx), tf.gather(y_t, idx), tf.gather(w_t, idx)

    # Plain graph code: converting it with AutoGraph would cost each new pipeline more
    # than a small prediction takes.
    ds = ds.map(tf.autograph.experimental.do_not_convert(batch),
                num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(2).with_options(_FIXED_PARALLELISM)


def _weakly(source: ImageSource, method: str):
    """``source.<method>`` through a weak reference to ``source``."""
    ref = weakref.ref(source)

    def call(*args):
        owner = ref()
        if owner is None:  # a dataset used after the call that made it returned
            raise RuntimeError("The images of this tf.data pipeline were released; build "
                               "the pipeline again (make_dataset) where it is used.")
        return getattr(owner, method)(*args)

    return call


def array_batches(*arrays: np.ndarray, batch_size: int, shuffle: bool = False,
                  seed: int | None = None) -> tf.data.Dataset:
    """Batches of in-memory arrays (features, labels, weights), for ``Model.fit``.

    Keras slices NumPy arrays itself, but with op determinism on and a partial last
    batch its pipeline makes TensorFlow log a C++ error line (``use_unbounded_threadpool``)
    into the user's output; a plain ``tf.data`` pipeline does not.
    """
    ds = tf.data.Dataset.from_tensor_slices(arrays)
    if shuffle:
        ds = ds.shuffle(len(arrays[0]), seed=seed, reshuffle_each_iteration=True)
    return _distribute.batch(ds, len(arrays[0]), batch_size,
                             training=len(arrays) > 1).prefetch(tf.data.AUTOTUNE)  # labels


def warn_if_scaled(images: np.ndarray, stacklevel: int = 4) -> None:
    """Warn when float images look like [0, 1]: the model divides by 255 itself."""
    if images.dtype.kind == "f" and images.size and images.min() >= 0 and images.max() <= 1:
        warnings.warn(
            "The images look scaled to [0, 1]; toonsklearn expects pixels in 0-255 and "
            "scales inside the model. Multiply by 255 (or pass uint8 images).",
            ScaledImagesWarning,
            stacklevel=stacklevel,
        )
