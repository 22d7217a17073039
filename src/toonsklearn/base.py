"""Deprecated alias of :mod:`toonsklearn.estimators._base`, kept for one release.

The estimators' shared machinery now lives in the :mod:`toonsklearn.estimators` package.
"""

from .estimators._base import ImageClassifierBase, Shared
from .estimators._data import DEFAULT_PATH_SIZE

__all__ = ["DEFAULT_PATH_SIZE", "ImageClassifierBase", "Shared"]
