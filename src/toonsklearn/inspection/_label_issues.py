"""Likely label errors: out-of-fold probabilities of any classifier, ranked by cleanlab.

The probabilities come from scikit-learn's ``cross_val_predict``, so every image is
scored by a model that never saw its label; cleanlab's confident learning
(``cleanlab.filter.find_label_issues``) and label quality scores
(``cleanlab.rank.get_label_quality_scores``, or the multi-label one) do the rest.
"""

from __future__ import annotations

import os
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _num_samples

from .._utils.validation import as_path_array
from ..exceptions import ImageInputError, TargetError

__all__ = ["find_label_issues"]

LABEL_ISSUE_COLUMNS = ("index", "path", "given_label", "suggested_label", "label_quality",
                       "is_issue")


def find_label_issues(estimator, X, y, *, cv=5, random_state: int | None = None,
                      n_jobs: int | None = None) -> pd.DataFrame:
    """Rank the images by how likely their label is wrong.

    Fits ``estimator`` once per fold of a cross-validation and keeps its predicted
    probabilities for the images it did not train on (scikit-learn's
    ``cross_val_predict``); cleanlab then scores every label against them and flags
    the likely errors by confident learning. Works with any classifier that has
    ``predict_proba``: a toonsklearn estimator, or a Pipeline such as
    ``make_pipeline(ImageEmbedder(), LogisticRegression())``. Needs the ``cleanlab``
    package: ``pip install "toonsklearn[audit]"``.

    Parameters
    ----------
    estimator : classifier
        Not fitted, or fitted (it is cloned for each fold); it must have
        ``predict_proba``.
    X : array-like of shape (n_samples,) or (n_samples, ...)
        What ``estimator`` takes: images, file paths, features.
    y : array-like of shape (n_samples,) or (n_samples, n_labels)
        Class labels (any values, two classes or more), or for multi-label data a 0/1
        indicator matrix, one column per label (a DataFrame's column names name the
        labels).
    cv : int or cross-validation generator or iterable, default=5
        An int is a number of folds: ``StratifiedKFold`` for class labels, ``KFold``
        for multi-label data, shuffled when ``random_state`` is given. Every class
        needs at least ``cv`` images.
    random_state : int or None, default=None
        Seed of the folds' shuffle for an int ``cv``; None keeps the order of ``X``.
        Seed ``estimator`` itself for results that repeat.
    n_jobs : int or None, default=None
        Folds fitted in parallel (``cross_val_predict``'s ``n_jobs``).

    Returns
    -------
    issues : pandas.DataFrame
        One row per image, the most likely wrong label first (lowest
        ``label_quality``; ties by index). Columns:

        ``index`` : int
            The image's position in ``X``.
        ``path`` : str or None
            Its file when ``X`` is file paths, else None.
        ``given_label``
            Its label in ``y`` (a tuple of label names or column indices for
            multi-label data).
        ``suggested_label``
            The class of highest out-of-fold probability (multi-label: the tuple of
            labels of probability 0.5 or more).
        ``label_quality`` : float
            cleanlab's label quality score in [0, 1]: low means likely wrong.
        ``is_issue`` : bool
            Whether cleanlab's confident learning flags the label as an error.

        ``issues.attrs`` holds ``n_issues`` (rows flagged), ``classes`` (the class
        labels, or label names, in the order of the probabilities) and ``multi_label``.

    Raises
    ------
    TypeError
        ``estimator`` has no ``predict_proba``.
    toonsklearn.exceptions.TargetError
        ``y`` is not class labels, has one class only, has another length than ``X``,
        or a class has fewer images than ``cv`` folds.
    ImportError
        cleanlab is not installed.

    See Also
    --------
    find_duplicates : Copies, another fault of a dataset.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from toonsklearn.inspection import find_label_issues
    >>> rng = np.random.default_rng(0)
    >>> y = np.array(["dark", "light"] * 15)
    >>> X = rng.normal(np.where(y == "dark", 60, 190)[:, None, None, None], 20,
    ...                (30, 8, 8, 3)).clip(0, 255).astype(np.uint8)
    >>> y[[3, 16]] = ["dark", "light"]  # two wrong labels
    >>> brightness = FunctionTransformer(lambda images: images.mean(axis=(1, 2, 3))[:, None])
    >>> model = make_pipeline(brightness, LogisticRegression())
    >>> issues = find_label_issues(model, X, y, cv=3, random_state=0)
    >>> issues[["index", "given_label", "suggested_label", "is_issue"]].head(3)
       index given_label suggested_label  is_issue
    0      3        dark           light      True
    1     16       light            dark      True
    2     20        dark            dark     False
    >>> list(issues.columns)
    ['index', 'path', 'given_label', 'suggested_label', 'label_quality', 'is_issue']
    """
    cleanlab = _import_cleanlab()
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(
            f"find_label_issues needs out-of-fold probabilities, but {estimator!r} has no "
            "predict_proba. Pass a classifier that has one (LogisticRegression, "
            "CNNClassifier, TransferClassifier, ...), or calibrate this one: "
            "sklearn.calibration.CalibratedClassifierCV(estimator).")
    if isinstance(X, (str, bytes, os.PathLike)):
        raise ImageInputError(f"find_label_issues received one path, {X!r}, where it takes "
                              f"many images; pass a list of file paths ([{X!r}]).")
    target, multi_label, classes = _check_target(y, _num_samples(X))
    splitter = _splitter(cv, random_state, target, multi_label, classes)
    probs = cross_val_predict(estimator, X, target, cv=splitter, method="predict_proba",
                              n_jobs=n_jobs)
    probs = _probabilities(probs, len(target), len(classes), multi_label)
    if multi_label:
        labels = [np.flatnonzero(row).tolist() for row in target]
        quality = cleanlab.multilabel_classification.get_label_quality_scores(labels, probs)
        is_issue = cleanlab.multilabel_classification.filter.find_label_issues(
            labels, probs, n_jobs=1)
        names = list(classes)
        given = [tuple(names[j] for j in row) for row in labels]
        suggested = [tuple(names[j] for j in np.flatnonzero(row >= 0.5)) for row in probs]
    else:
        codes = np.searchsorted(classes, target)
        quality = cleanlab.rank.get_label_quality_scores(codes, probs)
        is_issue = cleanlab.filter.find_label_issues(codes, probs, n_jobs=1)
        given, suggested = target.tolist(), classes[probs.argmax(axis=1)].tolist()
    table = pd.DataFrame({
        "index": np.arange(len(target), dtype=np.int64),
        "path": pd.Series(_paths_of(X, len(target)).tolist(), dtype=object),
        "given_label": pd.Series(given, dtype=object),
        "suggested_label": pd.Series(suggested, dtype=object),
        "label_quality": np.asarray(quality, dtype=np.float64),
        "is_issue": np.asarray(is_issue, dtype=bool),
    }, columns=list(LABEL_ISSUE_COLUMNS))
    table = table.sort_values(["label_quality", "index"], kind="stable", ignore_index=True)
    table.attrs = {"n_issues": int(table["is_issue"].sum()), "classes": classes.tolist(),
                   "multi_label": multi_label}
    return table


def _check_target(y, n_samples: int):
    """``(target, multi_label, classes)``: ``y`` as an array, whether it is a 0/1
    indicator matrix, and the classes (or label names) in the probabilities' order."""
    names = [str(c) for c in y.columns] if hasattr(y, "columns") else None
    target = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if target.ndim == 2 and target.shape[1] == 1 and names is None:
        target = target[:, 0]
    if len(target) != n_samples:
        raise TargetError(f"X has {n_samples} samples but y has {len(target)} labels; pass "
                          "one label (or one row of 0/1 labels) per image.")
    try:
        kind = type_of_target(target, input_name="y")
        classes = np.unique(target)
    except TypeError:  # None beside str, say: labels that do not sort
        raise TargetError(
            "y holds labels that cannot be sorted together (such as None beside strings); "
            "give every image a label of one type, or leave the unlabelled images out."
        ) from None
    except ValueError as exc:
        raise TargetError(
            f"y must be class labels (n_samples,) or a 0/1 indicator matrix (n_samples, "
            f"n_labels); {exc} For label sets, use "
            "sklearn.preprocessing.MultiLabelBinarizer().fit_transform(y).") from exc
    if kind == "multilabel-indicator":
        if not np.isin(target, (0, 1)).all():
            raise TargetError(
                f"y looks multi-label (shape {target.shape}) but holds values other than 0 "
                f"and 1 ({np.unique(target)[:5].tolist()}); pass a 0/1 indicator matrix, "
                "one column per label.")
        if target.shape[1] < 2:
            raise TargetError("y has one label column; find_label_issues needs two or more "
                              "labels (or pass the single label as a 1-D y of classes).")
        return target.astype(np.int64), True, np.array(names or range(target.shape[1]),
                                                         dtype=object)
    if kind not in ("binary", "multiclass"):
        raise TargetError(
            f"y must be class labels or a 0/1 indicator matrix; its values look {kind} "
            f"(shape {target.shape}, dtype {target.dtype}). For numeric classes, cast "
            "them to int; for multi-label data, pass only 0 and 1; for label sets, use "
            "sklearn.preprocessing.MultiLabelBinarizer().fit_transform(y).")
    if len(classes) < 2:
        raise TargetError(f"y has one class only, {classes.tolist()[0]!r}; finding label errors "
                          "needs images of two classes or more.")
    return target, False, classes


def _splitter(cv, random_state, target, multi_label: bool, classes):
    """An int ``cv`` as (stratified) folds, checked against the smallest class."""
    if not isinstance(cv, Integral) or isinstance(cv, bool):
        if isinstance(cv, (bool, float)) or cv is None:
            raise InvalidParameterError(f"cv must be an int of 2 or more, a cross-validation "
                                        f"generator or an iterable; received cv={cv!r}.")
        return cv
    if cv < 2:
        raise InvalidParameterError(f"cv must be 2 or more folds; received cv={cv!r}.")
    shuffle = random_state is not None
    if multi_label:
        if cv > len(target):
            raise TargetError(f"y has {len(target)} images, fewer than cv={cv} folds; "
                              f"pass cv={len(target)} or less, or more images.")
        return KFold(cv, shuffle=shuffle, random_state=random_state)
    counts = np.array([(target == c).sum() for c in classes])
    smallest = int(counts.argmin())
    if counts[smallest] < cv:
        n, name = int(counts[smallest]), classes.tolist()[smallest]
        fix = (f"pass cv={n} (fewer folds) or add images of {name!r}" if n >= 2 else
               f"add images of {name!r} (two at least), or drop it")
        raise TargetError(
            f"Class {name!r} has {n} image{'s' if n != 1 else ''}, fewer than the cv={cv} "
            f"folds, so some fold would hold none of it and its probabilities would not be "
            f"out of fold; {fix}.")
    return StratifiedKFold(cv, shuffle=shuffle, random_state=random_state)


def _probabilities(probs, n: int, k: int, multi_label: bool) -> np.ndarray:
    """``predict_proba``'s output as an (n, k) float array: rows that sum to 1 for classes,
    the probability of each label for multi-label (a list of (n, 2) arrays, one per
    label, as ``MultiOutputClassifier`` gives, becomes its columns of 1s)."""
    if isinstance(probs, list):
        probs = np.column_stack([np.asarray(p)[:, -1] for p in probs])
    probs = np.asarray(probs, dtype=np.float64)
    if probs.shape != (n, k) or not np.isfinite(probs).all():
        raise ValueError(f"The estimator's predict_proba gave {probs.shape} (or NaN); "
                         f"find_label_issues needs ({n}, {k}) finite probabilities.")
    probs = np.clip(probs, 0.0, 1.0)
    if multi_label:
        return probs
    sums = probs.sum(axis=1, keepdims=True)
    return np.where(sums > 0, probs / np.where(sums > 0, sums, 1.0), 1.0 / k)


def _paths_of(X, n: int) -> np.ndarray:
    """The file paths ``X`` is, else Nones (without copying an array of images)."""
    none = np.full(n, None, dtype=object)
    if hasattr(X, "dtype") and X.dtype.kind not in "OUS":
        return none
    if isinstance(X, (list, tuple)) and X and not isinstance(X[0], (str, os.PathLike)):
        return none
    try:
        return as_path_array(X, "find_label_issues").astype(object)
    except ImageInputError:
        return none


def _import_cleanlab():
    try:
        import cleanlab.filter
        import cleanlab.multilabel_classification.filter
        import cleanlab.rank
    except ImportError as exc:
        raise ImportError(
            "find_label_issues ranks labels with the cleanlab package, which is not "
            'installed. Install it with: pip install "toonsklearn[audit]".') from exc
    return cleanlab
