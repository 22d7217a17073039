"""Fingerprints for the copy search: a content digest and unit vectors an image.

The digest (BLAKE2b of a file's bytes, or of an array's shape, dtype and pixels) finds
exact copies. Each view of the near-copy search gives an image one unit vector, so that
one dot product compares two images: ``"phash"``, a perceptual hash's bits as +1/-1
scaled to unit length (the dot product is then ``1 - 2 * hamming / bits``), and
``"embedding"``, an embedder's features scaled to unit length (the dot product is their
cosine). Files are read on threads, each decoded small, so memory holds the
fingerprints, never the images.
"""

from __future__ import annotations

import copy
import hashlib
import os
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse
from PIL import Image

from .._utils.imaging import SKIP_HINT, map_threads, open_regular_file, read_image, resize_array
from .._utils.validation import as_image_array, as_path_array
from ..exceptions import ImageDecodeError, ImageInputError, SkippedImagesWarning, ToonsklearnError
from ..loaders import _skip_reasons

#: The perceptual hash: imagehash's ``phash`` with 16x16 = 256 bits. Images are decoded
#: (or resized) to 64x64 first, the size phash itself shrinks them to, so a hash costs a
#: small decode whatever the file's size.
HASH_SIZE = 16
HASH_SIDE = 4 * HASH_SIZE
PHASH, EMBEDDING = "phash", "embedding"  # the views, in the order they are searched
_CHUNK = 1 << 20  # file bytes are digested a MiB at a time


@dataclass
class Fingerprints:
    """What the copy search knows of a set of images.

    ``kept`` are the positions in ``X`` of the images that were read (all of them,
    unless ``on_error="skip"`` left some out); ``digests`` has one row per kept image,
    in that order, and so has each array of ``views``, which maps a view's name
    (``"phash"``, ``"embedding"``) to the kept images' unit vectors. No view: only
    exact copies are sought.
    """

    n_images: int
    paths: np.ndarray | None
    kept: np.ndarray
    digests: np.ndarray
    views: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)

    @property
    def method(self) -> str:
        """The views joined by "+" ("phash+embedding"), or "exact" without one."""
        return "+".join(self.views) or "exact"

    @staticmethod
    def similarity(method: str, dots: np.ndarray) -> np.ndarray:
        """Dot products of a view's unit vectors as similarities in [0, 1]."""
        dots = np.asarray(dots, dtype=np.float64)
        if method == PHASH:
            return np.clip((1.0 + dots) / 2.0, 0.0, 1.0)  # 1 - hamming / bits
        return np.clip(dots, 0.0, 1.0)

    @staticmethod
    def cut(method: str, threshold: float) -> float:
        """The dot product a pair must reach in a view to be at least ``threshold``
        similar (a hair lower for embeddings, so float32 rounding keeps identical
        images at 1.0)."""
        if method == PHASH:
            return 2.0 * threshold - 1.0 - 1e-6
        return threshold - 1e-5

    def path(self, positions: np.ndarray) -> np.ndarray:
        """The path of each image at ``positions`` in ``X``, or None for arrays."""
        if self.paths is None:
            return np.full(len(positions), None, dtype=object)
        return self.paths[positions].astype(object)


def check_images(X, owner: str) -> tuple[np.ndarray, bool]:
    """``X`` as the library takes images: ``(paths, True)`` or ``(images, False)``."""
    if scipy.sparse.issparse(X):
        raise ImageInputError(f"{owner} does not take a sparse matrix; pass images "
                              "(n_samples, height, width[, channels]) or file paths.")
    if isinstance(X, (str, bytes, os.PathLike)):
        raise ImageInputError(
            f"{owner} received one path, {X!r}, where it takes many images; pass a list "
            f"or 1-D array of file paths ([{X!r}]), or list a folder's images with "
            "toonsklearn.load_image_folder.")
    if X is None:
        raise ImageInputError(f"{owner} received no images (None); pass images (n_samples, "
                              "height, width[, channels]) or a 1-D array of file paths.")
    try:
        array = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X)
    except ValueError:  # NumPy: "inhomogeneous shape", a list of images of mixed sizes
        raise ImageInputError(
            f"{owner} received images of different shapes, which make no array; resize "
            "them to one size (ImageTransformer(size=...)) or pass their file paths, "
            "which are resized as they are read.") from None
    if array.ndim in (1, 2) and array.dtype.kind in "OUS" or array.ndim == 1 and not len(array):
        paths = as_path_array(X, owner) if len(array) else np.empty(0, dtype=str)
        if not len(paths):
            raise ImageInputError(f"{owner} received no images (an empty sequence); pass at "
                                  "least one image or file path.")
        return paths, True
    images = as_image_array(array, owner)
    if not len(images):
        raise ImageInputError(f"{owner} received no images (an array of 0 rows); pass at "
                              "least one image.")
    return images, False


def fingerprint(data: np.ndarray, is_paths: bool, *, owner: str, embedder, on_error: str,
                hashes: bool = True, pixel_digests: bool = False,
                stacklevel: int = 2) -> Fingerprints:
    """Digest and views of each image of ``data`` (checked by :func:`check_images`): its
    perceptual hash when ``hashes``, its embedding when ``embedder`` is not None.

    ``pixel_digests`` digests a file's decoded pixels instead of its bytes, so that a
    file and an array can be exact copies of each other. A file that cannot be read
    raises (naming it and ``on_error``), or with ``on_error="skip"`` is left out with a
    :class:`~toonsklearn.exceptions.SkippedImagesWarning` at ``stacklevel``.
    """
    imagehash = _import_imagehash(owner) if hashes else None

    def one(index: int):
        try:
            if is_paths:
                path = data[index]
                if pixel_digests:
                    image = read_image(path)
                    digest = _pixel_digest(image)
                    small = resize_array(image, (HASH_SIDE, HASH_SIDE)) if hashes else None
                else:  # decoded small even when not hashed: a bad file shows up here
                    small = read_image(path, (HASH_SIDE, HASH_SIDE) if hashes else (8, 8))
                    digest = _file_digest(path)
            else:
                digest = _pixel_digest(data[index])
                small = _small_array(data[index]) if hashes else None
        except ToonsklearnError as exc:
            return exc
        return digest, _hash_bits(imagehash, small) if hashes else None

    results = map_threads(one, range(len(data)), -1)
    errors = [r for r in results if isinstance(r, ToonsklearnError)]
    if errors and on_error == "raise":
        error = errors[0]
        raise type(error)(f"{error} Or pass on_error='skip' to {owner}, which leaves it out "
                          "of the result.", path=error.path) from error
    if errors:
        _warn_skipped(errors, len(data), owner, stacklevel + 1)
    kept = np.array([i for i, r in enumerate(results) if not isinstance(r, ToonsklearnError)],
                    dtype=np.intp)
    digests = np.array([results[i][0] for i in kept], dtype="S16").reshape(len(kept))
    views = {}
    if hashes:
        bits = np.array([results[i][1] for i in kept], dtype=bool).reshape(len(kept),
                                                                           HASH_SIZE ** 2)
        views[PHASH] = np.where(bits, np.float32(1 / HASH_SIZE), np.float32(-1 / HASH_SIZE))
    if embedder is not None:  # all kept: the images as they are, not a copy of them
        kept_data = data if len(kept) == len(data) else data[kept]
        vectors = _embed(embedder, kept_data, owner) if len(kept) else np.empty((0, 0))
        views[EMBEDDING] = np.asarray(vectors, dtype=np.float32)
    return Fingerprints(n_images=len(data), paths=data if is_paths else None, kept=kept,
                        digests=digests, views=views, skipped=[str(e.path) for e in errors])


def copied_embedder(embedder, owner: str):
    """A shallow copy of ``embedder`` (an ``ImageEmbedder`` not yet fitted fits itself in
    ``transform``: the copy does, the caller's stays as it was), or None."""
    if embedder is None:
        return None
    if not callable(getattr(embedder, "transform", None)):
        raise TypeError(
            f"{owner}: embedder must be None (no embeddings) or have transform(X) -> "
            f"(n_samples, n_features), such as toonsklearn.embedding.ImageEmbedder(); "
            f"received {embedder!r}.")
    return copy.copy(embedder)


def _embed(embedder, data: np.ndarray, owner: str) -> np.ndarray:
    """The embedder's features of ``data``, each row scaled to unit length."""
    features = np.asarray(embedder.transform(data), dtype=np.float32)
    if features.ndim != 2 or len(features) != len(data):
        raise ValueError(
            f"{owner}: the embedder's transform gave an array of shape {features.shape} for "
            f"{len(data)} images; it must give (n_samples, n_features). Pass an "
            "ImageEmbedder, or a Pipeline that ends in one vector an image.")
    if not np.isfinite(features).all():
        raise ValueError(f"{owner}: the embedder gave NaN or infinite features; check its "
                         "weights and input.")
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.where(norms > 0, norms, 1.0)


def _hash_bits(imagehash, small: np.ndarray) -> np.ndarray:
    image = Image.fromarray(small[..., 0] if small.shape[-1] == 1 else small)
    return imagehash.phash(image, hash_size=HASH_SIZE).hash.ravel()


def _small_array(image: np.ndarray) -> np.ndarray:
    """One image of an array as uint8 at the hash's input size."""
    if image.dtype != np.uint8:
        image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return resize_array(image, (HASH_SIDE, HASH_SIDE))


def _pixel_digest(image: np.ndarray) -> bytes:
    digest = hashlib.blake2b(f"{image.shape}{image.dtype.str}".encode(), digest_size=16)
    digest.update(np.ascontiguousarray(image).data)
    return digest.digest()


def _file_digest(path: str) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    with open_regular_file(path) as file:
        try:
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
        except OSError as exc:
            raise ImageDecodeError(f"Could not read {path!r} ({exc.strerror or exc}). "
                                   f"{SKIP_HINT}", path=path) from exc
    return digest.digest()


def _warn_skipped(errors: list, total: int, owner: str, stacklevel: int) -> None:
    """One warning that counts the skipped files by reason, as the loaders' does."""
    warnings.warn(f"{owner} skipped {len(errors)} of {total} files {_skip_reasons(errors)}. "
                  "They are not in the result.", SkippedImagesWarning, stacklevel=stacklevel + 1)


def _import_imagehash(owner: str):
    try:
        import imagehash
    except ImportError as exc:
        raise ImportError(
            f"{owner} compares images by perceptual hash with the imagehash package, which "
            'is not installed. Install it with: pip install "toonsklearn[audit]" (or pass '
            "hashes=False, which compares no hashes: only the embeddings of embedder=, or "
            "without one, exact copies only).") from exc
    return imagehash
