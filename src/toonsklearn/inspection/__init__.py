"""Inspection: what is wrong with a dataset before a model learns it.

:func:`find_duplicates` finds groups of exact and near copies (perceptual hashes, an
embedder's cosine similarity, or both), :func:`duplicate_groups` turns them into
``groups`` for ``GroupKFold``, :func:`leakage` finds test images with a copy in the
training images, and :func:`find_label_issues` ranks the labels most likely wrong (out-of-fold
probabilities of any classifier, scored by cleanlab). The functions return pandas
DataFrames; the optional packages they use (``imagehash``, ``cleanlab``) are imported
when called: ``pip install "toonsklearn[audit]"``.
"""

from ._duplicates import DEFAULT_THRESHOLD, duplicate_groups, find_duplicates, leakage
from ._label_issues import find_label_issues

__all__ = [
    "DEFAULT_THRESHOLD",
    "duplicate_groups",
    "find_duplicates",
    "find_label_issues",
    "leakage",
]
