"""What kind of target ``y`` is, and per-label thresholds (checked, scored, chosen):
shared by the multi-label estimator, threshold tuning and the plots, without TensorFlow."""

from __future__ import annotations

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.multiclass import type_of_target

from ..exceptions import TargetError

__all__ = ["best_threshold", "check_thresholds", "decide", "indicator_matrix",
           "is_multilabel", "metric_function", "multilabel_kind", "threshold_scores"]


def _metrics() -> dict:
    from sklearn.metrics import (
        balanced_accuracy_score,
        f1_score,
        precision_score,
        recall_score,
    )

    return {
        "f1": lambda t, p: f1_score(t, p, zero_division=0),
        "precision": lambda t, p: precision_score(t, p, zero_division=0),
        "recall": lambda t, p: recall_score(t, p, zero_division=0),
        "balanced_accuracy": balanced_accuracy_score,
    }


def multilabel_kind(y) -> str:
    """"indicator" (0/1 matrix), "sets" (a sequence of label collections) or "labels" (1-D).

    Examples
    --------
    >>> from toonsklearn._utils.targets import multilabel_kind
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
    """``y`` (an indicator matrix, a DataFrame of one, or label sets over ``labels``) as
    a 0/1 int matrix with one column per label, in ``labels`` order; a ValueError when it
    is neither or holds other labels."""
    from sklearn.preprocessing import MultiLabelBinarizer

    kind = multilabel_kind(y)
    names = None if labels is None else np.asarray(labels).tolist()
    if kind == "sets":
        if names is None:
            raise TargetError("Label sets need labels= (the estimator's classes_) to be put in "
                             "column order.")
        unknown = [label for row in y for label in row if label not in names]
        if unknown:
            raise TargetError(
                f"y holds the label {unknown[0]!r}, which is not one of {names}; pass "
                "labels= with every label, or the labels the model was fitted on."
            )
        return MultiLabelBinarizer(classes=names).fit_transform(
            [list(row) for row in y]).astype(int)
    columns = getattr(y, "columns", None)
    if kind == "indicator" and columns is not None and names is not None:
        if sorted(map(str, columns)) != sorted(map(str, names)):
            raise TargetError(
                f"y's columns {list(columns)} are not the labels {names}; name the columns "
                "after the model's classes_."
            )
        y = y[[next(c for c in columns if str(c) == str(n)) for n in names]]  # their order
    truth = np.asarray(y)
    if kind != "indicator" or (names is not None and truth.shape[1] != len(names)):
        n = "one per label" if names is None else f"{len(names)}"
        raise TargetError(
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
        raise InvalidParameterError(
            f"threshold must be a float or one float per label (in classes_ order: "
            f"{names}); received {threshold!r}."
        ) from None
    if values.ndim > 1 or (values.ndim == 1 and len(values) != len(names)):
        raise InvalidParameterError(
            f"threshold has shape {values.shape}; give one float or one value per "
            f"label: {len(names)} for classes_ {names}."
        )
    if not ((values >= 0) & (values <= 1)).all():  # NaN too
        raise InvalidParameterError(f"threshold values must lie in [0, 1]; received {threshold!r}.")
    return values


def metric_function(metric):
    """The ``score(y_true, y_pred)`` of one label that ``metric`` names, or ``metric``
    itself when it is callable."""
    metrics = _metrics()
    score = metrics.get(metric) if isinstance(metric, str) else metric
    if not callable(score):
        raise InvalidParameterError(
            f"metric must be one of {sorted(metrics)} or a callable; received {metric!r}.")
    return score


def threshold_scores(truth: np.ndarray, proba: np.ndarray, score,
                     extra=()) -> tuple[np.ndarray, np.ndarray]:
    """The candidate thresholds of one label (0.5, one above every probability, up to 255
    quantiles of the probabilities, and ``extra``), sorted, and the score of each."""
    quantiles = np.quantile(proba, np.linspace(0, 1, min(255, len(proba))))
    above_all = min(np.nextafter(proba.max(), 2), 1.0)
    candidates = np.unique(np.concatenate([quantiles, [0.5, above_all], extra]))
    scores = np.array([score(truth, (proba >= c).astype(int)) for c in candidates])
    return candidates, scores


def best_threshold(candidates: np.ndarray, scores: np.ndarray) -> float:
    """The best-scoring candidate; ties go to the one nearest 0.5."""
    best = np.flatnonzero(scores == scores.max())
    return float(candidates[best[np.argmin(np.abs(candidates[best] - 0.5))]])


def is_multilabel(final) -> bool:
    """True for a multi-label estimator: one fitted on label sets or an indicator matrix,
    which predicts a 0/1 row per image (not one fitted on one label per image)."""
    return type(final).__name__ == "MultiLabelCNN" and final.target_kind_ != "labels"


def decide(final, proba: np.ndarray) -> np.ndarray:
    """What ``final`` predicts from its probabilities: a 0/1 matrix by its thresholds for
    a multi-label model, else the most probable class (as its ``predict`` would, without
    running the model again)."""
    if is_multilabel(final):
        return (proba >= final._thresholds()).astype(int)
    return final.classes_[proba.argmax(axis=1)]
