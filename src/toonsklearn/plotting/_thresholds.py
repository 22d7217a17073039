"""Per-label threshold curves of a multi-label model."""

from __future__ import annotations

import numpy as np

from ._base import check_labels, check_rows, pyplot


class ThresholdDisplay:
    """Per-label threshold curves of a multi-label model: the metric against the threshold.

    Each label's chosen threshold is marked. Use
    :meth:`~toonsklearn.plotting.ThresholdDisplay.from_estimator` on held-out images
    (the marks are the estimator's ``threshold``), or
    :meth:`~toonsklearn.plotting.ThresholdDisplay.from_predictions` with probabilities
    of your own, such as out-of-fold ones.

    Parameters
    ----------
    thresholds, scores : list of ndarray
        Per label, the candidate thresholds (increasing) and the metric at each.
    chosen : ndarray of shape (n_labels,)
        The threshold marked on each curve.
    display_labels : array-like of shape (n_labels,)
        The label names, in the order of ``thresholds``.
    metric : str, default="f1"
        The metric's name, for the axis.

    Attributes
    ----------
    figure_ : matplotlib Figure
        The figure drawn in.
    ax_ : matplotlib Axes
        The Axes drawn in.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from toonsklearn.plotting import ThresholdDisplay
    >>> Y = np.array([[1, 0], [0, 1], [1, 0], [0, 0]])
    >>> proba = np.array([[0.9, 0.2], [0.3, 0.4], [0.6, 0.1], [0.2, 0.3]])
    >>> display = ThresholdDisplay.from_predictions(Y, proba, labels=["tom", "jerry"])
    >>> [text.get_text() for text in display.ax_.get_legend().get_texts()]
    ['tom (0.5: 1.00)', 'jerry (0.5: 0.00)']
    """

    def __init__(self, thresholds, scores, chosen, *, display_labels, metric: str = "f1"):
        self.thresholds = [np.asarray(t, dtype=float) for t in thresholds]
        self.scores = [np.asarray(s, dtype=float) for s in scores]
        self.chosen = np.asarray(chosen, dtype=float)
        self.display_labels = check_labels(display_labels, len(self.thresholds), "thresholds")
        self.metric = metric
        for label, candidates, value in zip(self.display_labels, self.thresholds,
                                            self.chosen, strict=True):
            if not candidates[0] <= value <= candidates[-1]:
                raise ValueError(
                    f"The chosen threshold {value} of label {label!r} lies outside its "
                    f"curve [{candidates[0]}, {candidates[-1]}]; mark a threshold on it."
                )

    @classmethod
    def from_estimator(cls, estimator, X, y, *, metric="f1", ax=None) -> ThresholdDisplay:
        """The curves of a fitted multi-label estimator's probabilities on ``X``.

        Each curve marks the estimator's ``threshold`` for its label.

        Parameters
        ----------
        estimator : fitted MultiLabelCNN or Pipeline ending in one
            Fitted on multi-label targets.
        X : array-like
            Held-out images or file paths.
        y : array-like
            Their labels: an indicator matrix or label sets.
        metric : {"f1", "precision", "recall", "balanced_accuracy"} or callable, \
default="f1"
            The score drawn: a name, or ``metric(y_true, y_pred)`` on one label's 0/1
            column.
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        display : ThresholdDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toonsklearn import MultiLabelCNN
        >>> from toonsklearn.datasets import make_toons
        >>> from toonsklearn.plotting import ThresholdDisplay
        >>> X, Y = make_toons(16, task="multilabel", image_size=8, random_state=0)
        >>> clf = MultiLabelCNN(threshold=[0.4, 0.6], filters=(4,), epochs=1,
        ...                     random_state=0).fit(X, Y)
        >>> display = ThresholdDisplay.from_estimator(clf, X, Y)
        >>> display.chosen.tolist(), display.metric
        ([0.4, 0.6], 'f1')
        """
        from ..estimators import MultiLabelCNN
        from ..estimators._base import final_step

        final = final_step(estimator)[1]
        if isinstance(final, MultiLabelCNN):
            from sklearn.utils.validation import check_is_fitted

            check_is_fitted(final)
        if not isinstance(final, MultiLabelCNN) or getattr(final, "target_kind_",
                                                           "labels") == "labels":
            raise TypeError(
                "ThresholdDisplay draws the per-label thresholds of a MultiLabelCNN fitted "
                f"on multi-label targets; received {type(final).__name__}"
                + (" fitted on one label per image." if isinstance(final, MultiLabelCNN)
                   else ".")
            )
        return cls.from_predictions(y, estimator.predict_proba(X), labels=final.classes_,
                                    threshold=final._thresholds(), metric=metric, ax=ax)

    @classmethod
    def from_predictions(cls, y_true, y_proba, *, labels=None, threshold=0.5, metric="f1",
                         ax=None) -> ThresholdDisplay:
        """The curves of probabilities ``y_proba`` against ``y_true``.

        Parameters
        ----------
        y_true : array-like of shape (n_samples, n_labels) or label sets
            The true labels: an indicator matrix, or a list of label sets.
        y_proba : array-like of shape (n_samples, n_labels)
            The predicted probability of each label, columns in ``labels`` order.
        labels : array-like of shape (n_labels,) or None, default=None
            The labels in column order; None takes a DataFrame's column names, or
            numbers the columns.
        threshold : float or array-like of shape (n_labels,), default=0.5
            The thresholds to mark.
        metric : {"f1", "precision", "recall", "balanced_accuracy"} or callable, \
default="f1"
            The score drawn: a name, or ``metric(y_true, y_pred)`` on one label's 0/1
            column.
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        display : ThresholdDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toonsklearn.plotting import ThresholdDisplay
        >>> Y = [{"tom"}, {"jerry"}, {"tom", "jerry"}, set()]
        >>> proba = [[0.9, 0.2], [0.3, 0.8], [0.6, 0.7], [0.2, 0.1]]
        >>> display = ThresholdDisplay.from_predictions(Y, proba, labels=["tom", "jerry"],
        ...                                             metric="precision")
        >>> display.display_labels.tolist(), display.ax_.get_ylabel()
        (['tom', 'jerry'], 'precision')
        """
        from .._utils.targets import (
            check_thresholds,
            indicator_matrix,
            metric_function,
            threshold_scores,
        )

        proba = np.asarray(y_proba, dtype=float)
        if proba.ndim != 2:
            raise ValueError(f"y_proba must be (n_samples, n_labels); received shape "
                             f"{proba.shape}.")
        score = metric_function(metric)
        names = np.asarray(labels if labels is not None else getattr(
            y_true, "columns", np.arange(proba.shape[1])))
        truth = indicator_matrix(y_true, names)
        check_rows(truth, proba, "y_proba")
        chosen = np.broadcast_to(check_thresholds(threshold, names), proba.shape[1:])
        grid = np.linspace(0, 1, 101)
        curves = [threshold_scores(truth[:, k], proba[:, k], score,
                                   extra=np.append(grid, chosen[k]))
                  for k in range(proba.shape[1])]
        name = metric if isinstance(metric, str) else getattr(metric, "__name__", "score")
        return cls([c[0] for c in curves], [c[1] for c in curves], chosen,
                   display_labels=names, metric=name).plot(ax=ax)

    def plot(self, ax=None) -> ThresholdDisplay:
        """Draw one curve per label, its chosen threshold marked.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        display : ThresholdDisplay
            With ``figure_`` and ``ax_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toonsklearn.plotting import ThresholdDisplay
        >>> display = ThresholdDisplay([[0.0, 0.5, 1.0]], [[0.5, 0.8, 0.0]], [0.5],
        ...                            display_labels=["tom"]).plot()
        >>> [text.get_text() for text in display.ax_.get_legend().get_texts()]
        ['tom (0.5: 0.80)']
        """
        if ax is None:
            _, ax = pyplot().subplots(layout="constrained")
        for label, thresholds, scores, chosen in zip(self.display_labels, self.thresholds,
                                                     self.scores, self.chosen, strict=True):
            at = scores[np.searchsorted(thresholds, chosen)]
            # proba >= t: between two candidates the score is the right one's
            (line,) = ax.plot(thresholds, scores, drawstyle="steps-pre",
                              label=f"{label} ({chosen:.2g}: {at:.2f})")
            ax.plot([chosen], [at], marker="o", color=line.get_color())
        ax.set_xlim(0, 1)
        ax.set_xlabel("threshold")
        ax.set_ylabel(self.metric.replace("_", " "))
        ax.set_title("Per-label thresholds")
        ax.legend(fontsize="small", title="label (threshold: score)")
        self.figure_, self.ax_ = ax.figure, ax
        return self
