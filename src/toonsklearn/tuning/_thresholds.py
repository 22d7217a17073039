"""Per-label decision thresholds for multi-label models, chosen on out-of-fold
predictions (as scikit-learn's ``TunedThresholdClassifierCV`` does for one label)."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import check_cv
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import InvalidParameterError

from .._utils.targets import best_threshold, metric_function, multilabel_kind, threshold_scores
from ..estimators import MultiLabelCNN
from ..estimators._base import final_step
from ..exceptions import TargetError

__all__ = ["tune_thresholds"]


def tune_thresholds(estimator, X, y, *, metric="f1", cv=3, groups=None):
    """Pick each label's threshold on out-of-fold predictions; refit with them.

    Fits a clone of ``estimator`` on each training part of ``cv``, predicts the
    probabilities of its held-out part, and for each label keeps the threshold (among
    the predicted probabilities and 0.5) that scores best by ``metric`` over all
    held-out images (ties go to the one nearest 0.5). A rare label, whose
    probabilities seldom reach 0.5, gets the lower threshold it needs.

    Parameters
    ----------
    estimator : MultiLabelCNN or Pipeline
        A multi-label estimator, or a Pipeline ending in one.
    X : array-like
        Images or file paths.
    y : array-like of shape (n_samples, n_labels) or sequence of label sets
        Multi-label targets.
    metric : {"f1", "precision", "recall", "balanced_accuracy"} or callable, \
default="f1"
        What a label's threshold maximises; a callable takes ``(y_true, y_pred)`` of one
        label (0/1 arrays) and returns a score, greater is better.
    cv : int, cross-validation generator or iterable, default=3
        The folds for the out-of-fold predictions (``KFold``, unshuffled, for an int).
    groups : array-like of shape (n_samples,), default=None
        Group labels for a group splitter such as ``GroupKFold``, so that the frames
        of one episode never sit on both sides of a fold.

    Returns
    -------
    estimator : MultiLabelCNN or Pipeline
        A clone fitted on all of ``X`` with ``threshold`` set to the tuned values
        (one per label, in ``classes_`` order).

    Examples
    --------
    >>> from toonsklearn import MultiLabelCNN
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.tuning import tune_thresholds
    >>> X, Y = make_toons(40, task="multilabel", image_size=8, random_state=0)
    >>> tuned = tune_thresholds(MultiLabelCNN(filters=(4,), epochs=2, random_state=0),
    ...                         X, Y, cv=2)
    >>> len(tuned.threshold) == Y.shape[1]
    True
    """
    prefix, final = final_step(estimator)
    if not isinstance(final, MultiLabelCNN):
        raise InvalidParameterError(
            "tune_thresholds tunes a MultiLabelCNN (or a Pipeline ending in one); received "
            f"{type(final).__name__}."
        )
    score = metric_function(metric)
    kind = multilabel_kind(y)
    if kind == "labels":
        raise TargetError(
            "tune_thresholds needs multi-label targets (an indicator matrix or label sets); "
            "for one label per image use sklearn.model_selection.TunedThresholdClassifierCV."
        )
    indicator = (MultiLabelBinarizer().fit_transform(y) if kind == "sets"
                 else np.asarray(y, dtype=int))
    out_of_fold = np.full(indicator.shape, np.nan)
    for train, test in check_cv(cv).split(indicator, indicator, groups):
        # Every fold sees the indicator matrix, so its columns match whatever y was.
        fold = clone(estimator).fit(_safe_indexing(X, train), indicator[train])
        out_of_fold[test] = fold.predict_proba(_safe_indexing(X, test))
    if np.isnan(out_of_fold).any():
        raise InvalidParameterError(
            f"cv={cv!r} leaves some images out of every test fold; use a splitter whose "
            "test folds cover each image once, such as KFold."
        )
    thresholds = [best_threshold(*threshold_scores(indicator[:, label],
                                                   out_of_fold[:, label], score))
                  for label in range(indicator.shape[1])]
    tuned = clone(estimator).set_params(**{prefix + "threshold": thresholds})
    return tuned.fit(X, y)
