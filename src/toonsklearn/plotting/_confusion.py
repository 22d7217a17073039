"""Confusion matrices named by the estimator's classes; one 2x2 matrix per label for
multi-label models."""

from __future__ import annotations

import numpy as np

from ._base import axes_grid, check_labels, pyplot

_NORMALIZE = (None, "true", "pred", "all")


class ConfusionDisplay:
    """A confusion matrix whose ticks carry the class names, in counts or normalised;
    for multi-label targets, one 2x2 matrix per label.

    Drawn with scikit-learn's :class:`~sklearn.metrics.ConfusionMatrixDisplay`, so it
    looks and reads as scikit-learn users expect. Use :meth:`from_estimator` or
    :meth:`from_predictions`.

    Parameters
    ----------
    confusion_matrix : ndarray of shape (n_classes, n_classes) or (n_labels, 2, 2)
        Rows are true classes, columns predicted ones; a stack of 2x2 matrices
        (``sklearn.metrics.multilabel_confusion_matrix``) for multi-label targets.
    display_labels : array-like of shape (n_classes,) or (n_labels,)
        The class (or label) names.

    Attributes
    ----------
    multilabel : bool
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes
        The matrix's Axes (the first label's, for multi-label).
    axes_ : ndarray of matplotlib Axes
        One per matrix.
    displays_ : list of sklearn.metrics.ConfusionMatrixDisplay
        The scikit-learn displays drawn, one per matrix.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from toonsklearn.plotting import ConfusionDisplay
    >>> display = ConfusionDisplay.from_predictions(["tom", "jerry", "tom"],
    ...                                             ["tom", "tom", "tom"])
    >>> [tick.get_text() for tick in display.ax_.get_xticklabels()]
    ['jerry', 'tom']
    """

    def __init__(self, confusion_matrix, *, display_labels):
        matrix = np.asarray(confusion_matrix)
        self.multilabel = matrix.ndim == 3
        if not (matrix.ndim == 2 and matrix.shape[0] == matrix.shape[1]) and not (
                self.multilabel and matrix.shape[1:] == (2, 2)):
            raise ValueError(
                "confusion_matrix must be square (n_classes, n_classes) or a stack of 2x2 "
                f"matrices (n_labels, 2, 2); received shape {matrix.shape}."
            )
        self.confusion_matrix = matrix
        self.display_labels = check_labels(display_labels, matrix.shape[0],
                                           "confusion_matrix")

    @classmethod
    def from_estimator(cls, estimator, X, y, *, normalize=None, ax=None,
                       **plot_kwargs) -> ConfusionDisplay:
        """The confusion matrix of ``estimator``'s predictions on ``X`` against ``y``.

        Parameters
        ----------
        estimator : fitted classifier or Pipeline
            Its ``classes_`` name the rows and columns (the labels, for a multi-label
            estimator, whose ``y`` may be an indicator matrix or label sets).
        X : array-like
            Images or file paths.
        y : array-like
            The true labels.
        normalize : {"true", "pred", "all"} or None, default=None
            Counts, or fractions of each true class (rows), predicted class (columns)
            or of all images.
        ax : matplotlib Axes or array of Axes, default=None
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ConfusionDisplay
        """
        classes = getattr(estimator, "classes_", None)
        if classes is None:
            raise ValueError(f"{type(estimator).__name__} has no classes_: fit it first.")
        return cls.from_predictions(y, estimator.predict(X), labels=classes,
                                    normalize=normalize, ax=ax, **plot_kwargs)

    @classmethod
    def from_predictions(cls, y_true, y_pred, *, labels=None, normalize=None, ax=None,
                         **plot_kwargs) -> ConfusionDisplay:
        """The confusion matrix of predictions ``y_pred`` against ``y_true``.

        Parameters
        ----------
        y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels, or for multi-label data indicator matrices (``y_true`` may also
            be a list of label sets).
        labels : array-like or None, default=None
            The classes in display order (the indicator's column names, for
            multi-label); None takes the sorted classes present (column indices).
        normalize : {"true", "pred", "all"} or None, default=None
        ax : matplotlib Axes or array of Axes, default=None
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ConfusionDisplay
        """
        from sklearn.metrics import confusion_matrix, multilabel_confusion_matrix

        if normalize not in _NORMALIZE:
            raise ValueError(f"normalize must be one of {list(_NORMALIZE)}; received "
                             f"{normalize!r}.")
        predicted = np.asarray(y_pred)
        if predicted.ndim == 2:
            truth = _indicator(y_true, labels, predicted.shape[1])
            if labels is None:
                labels = np.arange(predicted.shape[1])
            matrix = multilabel_confusion_matrix(truth, predicted).astype(float)
            if normalize is not None:
                axis = {"true": 2, "pred": 1, "all": (1, 2)}[normalize]
                with np.errstate(invalid="ignore", divide="ignore"):
                    matrix = np.nan_to_num(matrix / matrix.sum(axis=axis, keepdims=True))
            elif np.isfinite(matrix).all():
                matrix = matrix.astype(int)
        else:
            if labels is None:
                labels = np.unique(np.concatenate([np.asarray(y_true).ravel(),
                                                   predicted.ravel()]))
            matrix = confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
        return cls(matrix, display_labels=labels).plot(ax=ax, **plot_kwargs)

    def plot(self, ax=None, *, cmap="Blues", values_format=None, colorbar=True,
             xticks_rotation=None) -> ConfusionDisplay:
        """Draw the matrix (or one per label).

        Parameters
        ----------
        ax : matplotlib Axes or array of Axes, default=None
            One Axes, or one per label for multi-label; None makes a new figure.
        cmap : str or matplotlib Colormap, default="Blues"
        values_format : str or None, default=None
            Format of the numbers in the cells ("d" for counts, ".2f" otherwise).
        colorbar : bool, default=True
        xticks_rotation : {"horizontal", "vertical"} or float or None, default=None
            None turns the class names upright when they are long or many.

        Returns
        -------
        display : ConfusionDisplay
            With ``figure_``, ``ax_``, ``axes_`` and ``displays_`` set.
        """
        from sklearn.metrics import ConfusionMatrixDisplay

        pyplot()
        names = [str(label) for label in self.display_labels]
        if xticks_rotation is None:
            xticks_rotation = ("vertical" if len(names) > 6 or max(map(len, names)) > 8
                               else "horizontal")
        if values_format is None:
            values_format = "d" if self.confusion_matrix.dtype.kind in "iu" else ".2f"
        if self.multilabel:
            figure, axes = axes_grid(len(names), ax, ncols=min(len(names), 4), cell=(3.0, 2.8))
            matrices, ticks = self.confusion_matrix, [[f"not {n}", n] for n in names]
        else:
            side = max(4.0, 0.55 * len(names) + 2)
            if ax is None:
                figure, ax = pyplot().subplots(figsize=(side + 1, side), layout="constrained")
            figure, axes = ax.figure, np.array([ax], dtype=object)
            matrices, ticks = [self.confusion_matrix], [names]
        self.displays_ = []
        for panel, matrix, tick_names in zip(axes, matrices, ticks, strict=True):
            display = ConfusionMatrixDisplay(matrix, display_labels=tick_names).plot(
                ax=panel, cmap=cmap, values_format=values_format, colorbar=colorbar,
                xticks_rotation=xticks_rotation)
            if self.multilabel:
                panel.set_title(tick_names[1])
            self.displays_.append(display)
        self.figure_, self.axes_, self.ax_ = figure, axes, axes[0]
        return self


def _indicator(y_true, labels, n_labels: int) -> np.ndarray:
    """``y_true`` as an indicator matrix over ``labels``: it may already be one, or be a
    list of label sets."""
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.utils.multiclass import type_of_target

    try:
        is_indicator = type_of_target(y_true) == "multilabel-indicator"
    except ValueError:  # scikit-learn refuses sequences of sequences: label sets
        is_indicator = False
    if is_indicator:
        truth = np.asarray(y_true)
    elif labels is None:
        raise ValueError("Label sets need labels= (the estimator's classes_) to be put in "
                         "the predictions' column order.")
    else:
        truth = MultiLabelBinarizer(classes=list(labels)).fit_transform(y_true)
    if truth.ndim != 2 or truth.shape[1] != n_labels:
        raise ValueError(
            f"y_true must be an indicator matrix with {n_labels} columns (or label sets) "
            f"to match y_pred; received shape {truth.shape}."
        )
    return truth.astype(int)
