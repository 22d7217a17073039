"""The one check of image input: an array of images, or a sequence of file paths.

The transformers, the loader and the estimators validate ``X`` here, so a bad input
gets the same words wherever it is passed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np

from ..exceptions import ImageInputError

__all__ = ["as_image_array", "as_path_array"]


def as_image_array(X, owner: str) -> np.ndarray:
    """Validate ``X`` as images ``(n, h, w)`` or ``(n, h, w, c)``; return them 4-D."""
    array = np.asarray(X)
    if array.dtype.kind not in "uif" or array.ndim not in (3, 4):
        hint = (
            " For file paths, put ImageFolderLoader first in the Pipeline."
            if array.dtype.kind in "OUS"
            else ""
        )
        raise ImageInputError(
            f"{owner} expects images of shape (n_samples, height, width) or (n_samples, "
            f"height, width, channels) with a numeric dtype; received shape {array.shape} "
            f"and dtype {array.dtype}.{hint}"
        )
    if array.ndim == 3:
        array = array[..., np.newaxis]
    if array.shape[-1] not in (1, 3):
        raise ImageInputError(
            f"{owner} expects 1 (greyscale) or 3 (RGB) channels in the last axis; received "
            f"shape {array.shape}."
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ImageInputError(f"{owner} received images containing NaN or infinity.")
    return array


def as_path_array(X: Iterable, owner: str) -> np.ndarray:
    """Validate ``X`` as a 1-D sequence of file paths (a column vector is accepted too)."""
    if isinstance(X, (str, os.PathLike)):
        raise ImageInputError(
            f"{owner} expects a sequence of file paths; received the single path {X!r}. "
            "Wrap it in a list."
        )
    array = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X, dtype=object)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or not all(isinstance(p, (str, os.PathLike)) for p in array):
        raise ImageInputError(
            f"{owner} expects a 1-D array of file paths; received an array of shape "
            f"{array.shape} and dtype {np.asarray(X).dtype}. Image arrays need no loader: "
            "pass them to ImageTransformer or to an estimator directly."
        )
    return np.asarray([os.fspath(p) for p in array], dtype=str)
