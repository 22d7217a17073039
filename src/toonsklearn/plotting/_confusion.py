"""Confusion matrices named by the estimator's classes; one 2x2 matrix per label for
multi-label models."""

from __future__ import annotations

import numpy as np

from .._utils.targets import indicator_matrix, multilabel_kind
from ._base import axes_grid, check_labels, check_rows, pyplot

_NORMALIZE = (None, "true", "pred", "all")


class ConfusionDisplay:
    """A confusion matrix whose ticks carry the class names, in counts or normalised.

    For multi-label targets, one 2x2 matrix per label. Drawn with scikit-learn's
    :class:`~sklearn.metrics.ConfusionMatrixDisplay`, so it looks and reads as
    scikit-learn users expect. Use
    :meth:`~toonsklearn.plotting.ConfusionDisplay.from_estimator` or
    :meth:`~toonsklearn.plotting.ConfusionDisplay.from_predictions`.

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
        Whether ``confusion_matrix`` is a stack of per-label 2x2 matrices.
    figure_ : matplotlib Figure
        The figure drawn in.
    ax_ : matplotlib Axes
        The matrix's Axes (the first label's, for multi-label).
    axes_ : ndarray of matplotlib Axes
        One per matrix.
    im_, text_ : matplotlib AxesImage and ndarray of Text
        Of the (first) matrix, as :class:`~sklearn.metrics.ConfusionMatrixDisplay` has.
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
    def from_estimator(cls, estimator, X, y, *, normalize=None, display_labels=None,
                       sample_weight=None, ax=None, **plot_kwargs) -> ConfusionDisplay:
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
        display_labels : array-like or None, default=None
            Names to show instead of ``classes_`` (``load_image_folder``'s
            ``target_names`` for an estimator fitted on its integer targets).
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Weight of each image in the counts; None counts each once.
        ax : matplotlib Axes or array of Axes, default=None
            Where to draw: one Axes, or one per label for multi-label; None makes a
            new figure.
        **plot_kwargs
            Passed to :meth:`~toonsklearn.plotting.ConfusionDisplay.plot`.

        Returns
        -------
        display : ConfusionDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> from toonsklearn.plotting import ConfusionDisplay
        >>> X, y = make_toons(16, image_size=8, random_state=0)
        >>> clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
        >>> display = ConfusionDisplay.from_estimator(clf, X, y, normalize="true")
        >>> display.confusion_matrix.shape, display.confusion_matrix.sum(axis=1).tolist()
        ((2, 2), [1.0, 1.0])
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(estimator)
        return cls.from_predictions(y, estimator.predict(X), labels=estimator.classes_,
                                    normalize=normalize, display_labels=display_labels,
                                    sample_weight=sample_weight, ax=ax, **plot_kwargs)

    @classmethod
    def from_predictions(cls, y_true, y_pred, *, labels=None, normalize=None,
                         display_labels=None, sample_weight=None, ax=None,
                         **plot_kwargs) -> ConfusionDisplay:
        """The confusion matrix of predictions ``y_pred`` against ``y_true``.

        Parameters
        ----------
        y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels, or for multi-label data indicator matrices (``y_true`` may also
            be a list of label sets).
        labels : array-like or None, default=None
            The classes in display order (the indicator's column names, for
            multi-label); None takes the sorted classes present (for multi-label, a
            DataFrame's column names or the column indices).
        normalize : {"true", "pred", "all"} or None, default=None
            Counts, or fractions of each true class (rows), predicted class (columns)
            or of all images.
        display_labels : array-like or None, default=None
            Names to show instead of ``labels``, in the same order.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Weight of each image in the counts; None counts each once.
        ax : matplotlib Axes or array of Axes, default=None
            Where to draw: one Axes, or one per label for multi-label; None makes a
            new figure.
        **plot_kwargs
            Passed to :meth:`~toonsklearn.plotting.ConfusionDisplay.plot`.

        Returns
        -------
        display : ConfusionDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from toonsklearn.plotting import ConfusionDisplay
        >>> Y_true = np.array([[1, 0], [1, 1], [0, 1]])
        >>> Y_pred = np.array([[1, 0], [0, 1], [0, 1]])
        >>> display = ConfusionDisplay.from_predictions(Y_true, Y_pred, labels=["tom", "jerry"])
        >>> display.multilabel, [ax.get_title() for ax in display.axes_]
        (True, ['tom', 'jerry'])
        """
        from sklearn.metrics import confusion_matrix, multilabel_confusion_matrix

        if normalize not in _NORMALIZE:
            raise ValueError(f"normalize must be one of {list(_NORMALIZE)}; received "
                             f"{normalize!r}.")
        predicted = np.asarray(y_pred) if multilabel_kind(y_pred) != "sets" else None
        if predicted is None or predicted.ndim == 2:
            if predicted is None:
                predicted = indicator_matrix(y_pred, labels)
            if labels is None:
                labels = getattr(y_true, "columns", np.arange(predicted.shape[1]))
            truth = indicator_matrix(y_true, labels)
            check_rows(truth, predicted, "y_pred")
            matrix = multilabel_confusion_matrix(truth, predicted, sample_weight=sample_weight)
            if normalize is not None:
                axis = {"true": 2, "pred": 1, "all": (1, 2)}[normalize]
                with np.errstate(invalid="ignore", divide="ignore"):
                    matrix = np.nan_to_num(matrix / matrix.sum(axis=axis, keepdims=True))
        else:
            truth = np.asarray(y_true).ravel()
            check_rows(truth, predicted, "y_pred")
            if labels is None:
                labels = np.unique(np.concatenate([truth, predicted.ravel()]))
            known = set(np.asarray(labels).tolist())
            unknown = [v for v in (*truth.tolist(), *predicted.ravel().tolist())
                       if v not in known]
            if unknown:
                raise ValueError(
                    f"y holds {unknown[0]!r}, which is not one of the classes "
                    f"{np.asarray(labels).tolist()}. Pass the labels the model was fitted on "
                    "(names[test.target] for a model fitted on names), or fit on these and "
                    "rename them with display_labels=."
                )
            matrix = confusion_matrix(truth, predicted, labels=labels, normalize=normalize,
                                      sample_weight=sample_weight)
        shown = labels if display_labels is None else display_labels
        return cls(matrix, display_labels=shown).plot(ax=ax, **plot_kwargs)

    def plot(self, ax=None, *, cmap="Blues", values_format=None, colorbar=True,
             xticks_rotation=None) -> ConfusionDisplay:
        """Draw the matrix (or one per label).

        Parameters
        ----------
        ax : matplotlib Axes or array of Axes, default=None
            One Axes, or one per label for multi-label; None makes a new figure.
        cmap : str or matplotlib Colormap, default="Blues"
            Colours of the cells, by value.
        values_format : str or None, default=None
            Format of the numbers in the cells ("d" for counts, ".2f" otherwise).
        colorbar : bool, default=True
            Draw a colour bar beside each matrix.
        xticks_rotation : {"horizontal", "vertical"} or float or None, default=None
            None turns the class names upright when they are long or many.

        Returns
        -------
        display : ConfusionDisplay
            With ``figure_``, ``ax_``, ``axes_`` and ``displays_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toonsklearn.plotting import ConfusionDisplay
        >>> display = ConfusionDisplay([[3, 1], [0, 4]], display_labels=["jerry", "tom"])
        >>> display = display.plot(colorbar=False)
        >>> [text.get_text() for text in display.text_.ravel()]
        ['3', '1', '0', '4']
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
                ax = pyplot().subplots(figsize=(side + 1, side), layout="constrained")[1]
            figure, axes = axes_grid(1, ax)
            matrices, ticks = [self.confusion_matrix], [names]
        low, high = self.confusion_matrix.min(), self.confusion_matrix.max()
        self.displays_ = []
        for panel, matrix, tick_names in zip(axes, matrices, ticks, strict=True):
            display = ConfusionMatrixDisplay(matrix, display_labels=tick_names).plot(
                ax=panel, cmap=cmap, values_format=values_format, colorbar=colorbar,
                xticks_rotation=xticks_rotation,
                im_kw={"vmin": low, "vmax": high} if self.multilabel else None)
            if self.multilabel:  # one colour scale, so that the labels compare
                panel.set_title(tick_names[1])
                _recolour_texts(display, matrix, (low + high) / 2)
            self.displays_.append(display)
        self.figure_, self.axes_, self.ax_ = figure, axes, axes[0]
        self.im_, self.text_ = self.displays_[0].im_, self.displays_[0].text_
        return self


def _recolour_texts(display, matrix, middle) -> None:
    """Dark text on light cells and light on dark, judged on the shared colour scale."""
    dark, light = display.im_.cmap(1.0), display.im_.cmap(0.0)
    for (i, j), text in np.ndenumerate(display.text_):
        if text is not None:
            text.set_color(light if matrix[i, j] >= middle else dark)
