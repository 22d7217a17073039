"""How far predicted probabilities are from the frequencies they claim.

A classifier is calibrated when, of the images it gives 0.9 to, nine in ten are right.
The expected calibration error measures the gap over equal-width bins of confidence:
the thresholds of a multi-label model and any "90 % sure" read from ``predict_proba``
mean what they say only when it is small.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.multiclass import type_of_target

from .._utils.targets import indicator_matrix, multilabel_kind

__all__ = ["calibration_bins", "calibration_error"]

#: Columns of :func:`calibration_bins`' table.
CALIBRATION_COLUMNS = ("low", "high", "count", "confidence", "accuracy")


def calibration_bins(y_true, proba, *, labels=None, n_bins: int = 15) -> pd.DataFrame:
    """The top-label reliability table: confidence against accuracy in equal-width bins.

    Each image's confidence is its highest probability, and it counts as right when that
    class is its label. For multi-label data every (image, label) pair is a yes/no
    prediction of its own: confidence ``max(p, 1 - p)``, right when ``p >= 0.5`` agrees
    with the truth.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
        The labels, or for multi-label data a 0/1 indicator matrix or label sets
        (``[{"tom"}, {"tom", "jerry"}]``, which need ``labels``).
    proba : array-like of shape (n_samples, n_classes) or (n_samples, n_labels)
        Predicted probabilities, columns in ``labels`` order (``predict_proba``'s).
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``proba`` (an estimator's ``classes_``); None takes
        the sorted classes of ``y_true``, which must then number as many as the columns.
        For an indicator matrix, unused: its columns are ``proba``'s.
    n_bins : int, default=15
        Equal-width bins over [0, 1]; a confidence on an edge goes to the bin above it
        (1.0 to the last).

    Returns
    -------
    bins : pandas.DataFrame
        One row per bin with ``low``, ``high``, ``count`` (predictions in it),
        ``confidence`` (their mean confidence) and ``accuracy`` (the share right); the
        last two are NaN in an empty bin.

    Examples
    --------
    >>> from toonsklearn.inspection import calibration_bins
    >>> bins = calibration_bins(["tom", "tom", "jerry"], [[0.1, 0.9], [0.3, 0.7], [0.8, 0.2]],
    ...                         n_bins=5)
    >>> bins[["low", "count", "accuracy"]]
       low  count  accuracy
    0  0.0      0       NaN
    1  0.2      0       NaN
    2  0.4      0       NaN
    3  0.6      1       1.0
    4  0.8      2       1.0
    """
    confidence, correct = _confidence_and_correct(y_true, proba, labels)
    if not isinstance(n_bins, Integral) or isinstance(n_bins, bool) or n_bins < 1:
        raise InvalidParameterError(f"n_bins must be an int of at least 1; received {n_bins!r}.")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.floor(confidence * n_bins).astype(int), 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(which, confidence, minlength=n_bins) / count
        accuracy = np.bincount(which, correct, minlength=n_bins) / count
    return pd.DataFrame({"low": edges[:-1], "high": edges[1:], "count": count,
                         "confidence": mean_confidence, "accuracy": accuracy})


def calibration_error(y_true, proba, *, labels=None, n_bins: int = 15) -> float:
    """The expected calibration error (ECE) of top-label probabilities.

    The gap between mean confidence and accuracy in each of ``n_bins`` equal-width
    bins, weighed by the share of predictions in the bin: 0 for a perfectly calibrated
    model, up to 1. Too few test images make it noisy (and biased upwards): read it
    beside the test size. Parameters as in :func:`calibration_bins`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
        The labels, or a 0/1 indicator matrix for multi-label data.
    proba : array-like of shape (n_samples, n_classes) or (n_samples, n_labels)
        Predicted probabilities, columns in ``labels`` order.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``proba``; None takes the sorted classes of
        ``y_true``.
    n_bins : int, default=15
        Equal-width bins over [0, 1].

    Returns
    -------
    ece : float
        In [0, 1].

    See Also
    --------
    calibration_bins : The table the error sums.
    toonsklearn.plotting.ReliabilityDisplay : The table drawn.

    Examples
    --------
    >>> from toonsklearn.inspection import calibration_error
    >>> y = ["tom", "jerry", "tom", "jerry"]
    >>> round(calibration_error(y, [[0.1, 0.9], [0.9, 0.1], [0.1, 0.9], [0.1, 0.9]]), 3)
    0.15
    """
    bins = calibration_bins(y_true, proba, labels=labels, n_bins=n_bins)
    filled = bins[bins["count"] > 0]
    gaps = (filled["confidence"] - filled["accuracy"]).abs()
    return float((gaps * filled["count"]).sum() / filled["count"].sum())


def _confidence_and_correct(y_true, proba, labels) -> tuple[np.ndarray, np.ndarray]:
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or len(proba) == 0:
        raise ValueError(f"proba must be a non-empty 2-D array (n_samples, n_classes), as "
                         f"predict_proba returns; received shape {proba.shape}.")
    if not np.all(np.isfinite(proba)) or proba.min() < 0 or proba.max() > 1:
        raise ValueError("proba holds values outside [0, 1] (or NaN): pass probabilities, "
                         "as predict_proba returns them, not decision scores.")
    if multilabel_kind(y_true) == "sets":
        if labels is None:
            raise ValueError("y_true holds label sets: pass labels= (the estimator's "
                             "classes_) to name the columns of proba, or pass a 0/1 "
                             "indicator matrix.")
        y_true = indicator_matrix(y_true, labels)
    y_true = np.asarray(y_true)
    if len(y_true) != len(proba):
        raise ValueError(f"y_true has {len(y_true)} rows and proba {len(proba)}; they must "
                         "describe the same images.")
    if y_true.ndim == 2 and type_of_target(y_true) == "multilabel-indicator":
        if y_true.shape != proba.shape:
            raise ValueError(f"The indicator matrix y_true has shape {y_true.shape} and "
                             f"proba {proba.shape}; they need one column per label each.")
        confidence = np.maximum(proba, 1 - proba).ravel()
        correct = ((proba >= 0.5) == (y_true == 1)).ravel()
        return confidence, correct.astype(np.float64)
    if y_true.ndim != 1:
        raise ValueError(f"y_true must be 1-D labels or a 0/1 indicator matrix; received "
                         f"shape {y_true.shape}.")
    labels = np.unique(y_true) if labels is None else np.asarray(labels)
    if len(labels) != proba.shape[1]:
        raise ValueError(f"proba has {proba.shape[1]} columns but there are {len(labels)} "
                         "labels; pass labels=estimator.classes_ to name each column.")
    unknown = sorted(set(y_true.tolist()) - set(labels.tolist()), key=str)
    if unknown:
        raise ValueError(f"y_true has labels {unknown[:5]} that are not in labels "
                         f"{labels.tolist()[:10]}.")
    top = proba.argmax(axis=1)
    return proba.max(axis=1), (labels[top] == y_true).astype(np.float64)
