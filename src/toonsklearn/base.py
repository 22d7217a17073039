"""Deprecated alias of the private module ``toonsklearn.estimators._base``, kept for one
release.

The estimators' shared machinery now lives in the ``toonsklearn.estimators`` package.
"""

from .estimators import _data
from .estimators._base import ImageClassifierBase, Shared

#: Model input size ``(height, width)`` for file paths when neither ``input_size`` nor a
#: backbone sets one and the files do not share a size that fits in it: every file is
#: then decoded and resized to it.
DEFAULT_PATH_SIZE = _data.DEFAULT_PATH_SIZE

__all__ = ["DEFAULT_PATH_SIZE", "ImageClassifierBase", "Shared"]
