"""Inspection: what is wrong with a dataset before a model learns it, and with a model's
probabilities after.

:func:`find_duplicates` finds groups of exact and near copies (perceptual hashes, an
embedder's cosine similarity, or both), :func:`duplicate_groups` turns them into
``groups`` for ``GroupKFold``, :func:`leakage` finds test images with a copy in the
training images, :func:`find_label_issues` ranks the labels most likely wrong
(out-of-fold probabilities of any classifier, scored by cleanlab),
:func:`calibration_error` measures how far a model's probabilities are from the
frequencies they claim, and :func:`model_card` writes what a model's test results can
and cannot tell as a Markdown model card. The functions return pandas DataFrames,
numbers or text; the optional packages they use (``imagehash``, ``cleanlab``) are
imported when called: ``pip install "toonsklearn[audit]"``.
"""

from ._calibration import calibration_bins, calibration_error
from ._card import model_card
from ._duplicates import DEFAULT_THRESHOLD, duplicate_groups, find_duplicates, leakage
from ._label_issues import find_label_issues

__all__ = [
    "DEFAULT_THRESHOLD",
    "calibration_bins",
    "calibration_error",
    "duplicate_groups",
    "find_duplicates",
    "find_label_issues",
    "leakage",
    "model_card",
]
