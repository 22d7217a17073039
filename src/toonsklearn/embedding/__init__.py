"""Embeddings: a frozen backbone's features as a scikit-learn transformer.

:class:`ImageEmbedder` turns images (arrays or file paths) into one feature vector
each, on the feature path and cache :class:`~toonsklearn.TransferClassifier` uses, for
any scikit-learn model to take over: logistic regression, k nearest neighbours,
``NearestNeighbors``, clustering.
"""

from .._utils import quiet_tensorflow  # noqa: F401 (first: TensorFlow without its INFO lines)

# isort: split
from ._embedder import ImageEmbedder

__all__ = ["ImageEmbedder"]
