"""What kind of target ``y`` is, and per-label thresholds: shared by the multi-label
estimator, threshold tuning and the plots (no TensorFlow here)."""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import type_of_target

__all__ = ["check_thresholds", "indicator_matrix", "multilabel_kind"]


def multilabel_kind(y) -> str:
    """"indicator" (0/1 matrix), "sets" (a sequence of label collections) or "labels" (1-D).

    Examples
    --------
    >>> from toonsklearn._targets import multilabel_kind
    >>> [multilabel_kind(y) for y in ([[1, 0], [1, 1]], [{"tom"}, set()], [0, 1])]
    ['indicator', 'sets', 'labels']
    """
    try:
        if type_of_target(y) == "multilabel-indicator":
            return "indicator"
    except ValueError:  # sklearn refuses sequences of sequences: label sets
        pass
    is_sequence = isinstance(y, (list, tuple)) or (
        isinstance(y, np.ndarray) and y.dtype == object and y.ndim == 1)
    if is_sequence and len(y) and all(
        isinstance(r, (set, frozenset, list, tuple, np.ndarray)) for r in y
    ):
        return "sets"
    return "labels"


def indicator_matrix(y, labels) -> np.ndarray:
    """``y`` (an indicator matrix, or label sets over ``labels``) as a 0/1 int matrix
    with one column per label; a ValueError when it is neither or has other columns."""
    from sklearn.preprocessing import MultiLabelBinarizer

    kind = multilabel_kind(y)
    if kind == "sets":
        if labels is None:
            raise ValueError("Label sets need labels= (the estimator's classes_) to be put in "
                             "column order.")
        unknown = sorted({str(label) for row in y for label in row} - set(map(str, labels)))
        if unknown:
            raise ValueError(f"y holds the label {unknown[0]!r}, which is not one of "
                             f"{np.asarray(labels).tolist()}.")
        return MultiLabelBinarizer(classes=list(labels)).fit_transform(
            [list(row) for row in y]).astype(int)
    truth = np.asarray(y)
    if kind != "indicator" or (labels is not None and truth.shape[1] != len(labels)):
        n = "one per label" if labels is None else f"{len(labels)}"
        raise ValueError(
            f"y must be an indicator matrix with {n} columns, or label sets; received "
            f"{'shape ' + str(truth.shape) if truth.ndim else repr(y)}."
        )
    return truth.astype(int)


def check_thresholds(threshold, classes) -> np.ndarray:
    """``threshold`` as one value per label in [0, 1], checked against ``classes``."""
    names = np.asarray(classes).tolist()
    try:
        values = np.asarray(threshold, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"threshold must be a float or one float per label (in classes_ order: "
            f"{names}); received {threshold!r}."
        ) from None
    if values.ndim > 1 or (values.ndim == 1 and len(values) != len(names)):
        raise ValueError(
            f"threshold has shape {values.shape}; give one float or one value per "
            f"label: {len(names)} for classes_ {names}."
        )
    if not ((values >= 0) & (values <= 1)).all():  # NaN too
        raise ValueError(f"threshold values must lie in [0, 1]; received {threshold!r}.")
    return values
