"""Top-label reliability diagrams: how far a model's confidence is from its accuracy."""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from ..inspection._calibration import (
    CALIBRATION_COLUMNS,
    calibration_bins,
    calibration_error,
)
from ._base import pyplot

#: The label of the panel of counts below a reliability diagram.
COUNTS_PANEL = "reliability counts"
#: The panel of counts of each Axes holding a diagram, for later diagrams drawn into it.
_PANELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_DIAGONAL = "perfectly calibrated"
_GAP = "gap to the diagonal"


class ReliabilityDisplay:
    """A top-label reliability diagram: accuracy against confidence, bin by bin.

    Each bar spans a bin of confidence (an image's highest probability; for a
    multi-label model, each label's ``max(p, 1 - p)``) and rises to the share of those
    predictions that were right. A calibrated model's bars reach the diagonal; the
    hatched gap between a bar and its bin's mean confidence is what the expected
    calibration error (ECE, in the legend) averages, weighed by the predictions in each
    bin, which the panel below counts. Unlike scikit-learn's
    :class:`~sklearn.calibration.CalibrationDisplay`, it works for any number of
    classes. Several displays drawn into the same Axes (``ax=display.ax_``) share the
    diagonal and the panel of counts, each in its own colour and named in the legend:
    a model before and after calibration, say. Use
    :meth:`~toonsklearn.plotting.ReliabilityDisplay.from_estimator` on held-out images,
    or :meth:`~toonsklearn.plotting.ReliabilityDisplay.from_predictions`.

    Parameters
    ----------
    bins : pandas.DataFrame
        The table of :func:`~toonsklearn.inspection.calibration_bins`: one row per bin
        with ``low``, ``high``, ``count``, ``confidence`` and ``accuracy``.
    ece : float
        The expected calibration error of the table
        (:func:`~toonsklearn.inspection.calibration_error`).
    name : str or None, default=None
        The model's name in the legend.

    Attributes
    ----------
    bins_ : pandas.DataFrame
        The table drawn.
    ece_ : float
        The expected calibration error, in [0, 1].
    name : str or None
        The model's name in the legend.
    figure_ : matplotlib Figure
        The figure drawn in.
    ax_ : matplotlib Axes
        The diagram's Axes.
    counts_ax_ : matplotlib Axes
        The panel below it: the number of predictions in each bin.
    bars_ : matplotlib BarContainer
        One bar per non-empty bin, as high as its accuracy.

    See Also
    --------
    toonsklearn.inspection.calibration_bins : The table drawn.
    toonsklearn.inspection.calibration_error : The error in the legend.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from toonsklearn.plotting import ReliabilityDisplay
    >>> y = ["tom", "jerry", "tom", "jerry"]
    >>> proba = [[0.1, 0.9], [0.9, 0.1], [0.1, 0.9], [0.1, 0.9]]
    >>> display = ReliabilityDisplay.from_predictions(y, proba, n_bins=5, name="cnn")
    >>> round(display.ece_, 3), [float(bar.get_height()) for bar in display.bars_]
    (0.15, [0.75])
    >>> display.ax_.get_legend().get_texts()[-1].get_text()
    'cnn (ECE 0.150)'
    """

    def __init__(self, bins: pd.DataFrame, ece: float, *, name: str | None = None):
        if not isinstance(bins, pd.DataFrame) or not set(CALIBRATION_COLUMNS) <= set(
                bins.columns) or bins.empty:
            got = (f"columns {list(bins.columns)}" if isinstance(bins, pd.DataFrame)
                   else f"type {type(bins).__name__}")
            raise ValueError(
                f"bins must be the non-empty table of calibration_bins, with columns "
                f"{list(CALIBRATION_COLUMNS)}; received {got}. Build it with "
                "toonsklearn.inspection.calibration_bins(y_true, proba)."
            )
        if isinstance(ece, bool) or not isinstance(ece, (int, float, np.number)) or not (
                0 <= ece <= 1):
            raise ValueError(f"ece must be a number in [0, 1], as calibration_error returns; "
                             f"received {ece!r}.")
        self.bins_ = bins.reset_index(drop=True)
        self.ece_ = float(ece)
        self.name = name

    @classmethod
    def from_estimator(cls, estimator, X, y, *, n_bins: int = 15, name: str | None = None,
                       ax=None) -> ReliabilityDisplay:
        """The reliability diagram of a fitted classifier's probabilities on ``X``.

        Parameters
        ----------
        estimator : fitted classifier or Pipeline
            Anything with ``predict_proba`` and ``classes_``: a toonsklearn estimator,
            a Pipeline ending in one, or a
            :class:`~sklearn.calibration.CalibratedClassifierCV` around one. A
            multi-label estimator's labels are each a yes/no prediction.
        X : array-like
            Held-out images or file paths (not the training images, on which a model
            is over-confident).
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Their labels; for a multi-label estimator an indicator matrix or label sets.
        n_bins : int, default=15
            Equal-width bins of confidence over [0, 1].
        name : str or None, default=None
            The name in the legend; None takes the estimator's class (a Pipeline's last
            step's).
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure. An Axes that holds a reliability
            diagram already gets this one beside it.

        Returns
        -------
        display : ReliabilityDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> from toonsklearn.plotting import ReliabilityDisplay
        >>> X, y = make_toons(24, image_size=8, random_state=0)
        >>> clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X[:16], y[:16])
        >>> display = ReliabilityDisplay.from_estimator(clf, X[16:], y[16:], n_bins=10)
        >>> int(display.bins_["count"].sum()), display.name
        (8, 'CNNClassifier')
        """
        from sklearn.utils.validation import check_is_fitted

        from .._utils.targets import indicator_matrix, is_multilabel
        from ..estimators._base import final_step

        final = final_step(estimator)[1]
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(
                f"ReliabilityDisplay draws probabilities, and {type(final).__name__} has no "
                "predict_proba. Pass a classifier that has one, or wrap it in "
                "sklearn.calibration.CalibratedClassifierCV."
            )
        check_is_fitted(estimator)
        proba = estimator.predict_proba(X)
        labels = estimator.classes_
        if is_multilabel(final):
            y, labels = indicator_matrix(y, labels), None
        return cls.from_predictions(y, proba, labels=labels, n_bins=n_bins,
                                    name=type(final).__name__ if name is None else name,
                                    ax=ax)

    @classmethod
    def from_predictions(cls, y_true, proba, *, labels=None, n_bins: int = 15,
                         name: str | None = None, ax=None) -> ReliabilityDisplay:
        """The reliability diagram of probabilities ``proba`` against ``y_true``.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
            The labels, or for multi-label data a 0/1 indicator matrix (or label sets,
            with ``labels``).
        proba : array-like of shape (n_samples, n_classes) or (n_samples, n_labels)
            Predicted probabilities, columns in ``labels`` order (``predict_proba``'s).
        labels : array-like of shape (n_classes,), default=None
            The class of each column of ``proba`` (an estimator's ``classes_``); None
            takes the sorted classes of ``y_true``.
        n_bins : int, default=15
            Equal-width bins of confidence over [0, 1].
        name : str or None, default=None
            The model's name in the legend.
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        display : ReliabilityDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from toonsklearn.plotting import ReliabilityDisplay
        >>> Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
        >>> proba = np.array([[0.9, 0.2], [0.3, 0.8], [0.6, 0.7], [0.2, 0.1]])
        >>> display = ReliabilityDisplay.from_predictions(Y, proba, n_bins=5)
        >>> display.bins_["count"].tolist()  # each (image, label) pair a yes/no prediction
        [0, 0, 0, 3, 5]
        """
        from .._utils.targets import indicator_matrix, multilabel_kind

        if multilabel_kind(y_true) == "sets":
            y_true, labels = indicator_matrix(y_true, labels), None
        bins = calibration_bins(y_true, proba, labels=labels, n_bins=n_bins)
        ece = calibration_error(y_true, proba, labels=labels, n_bins=n_bins)
        return cls(bins, ece, name=name).plot(ax=ax)

    def plot(self, ax=None, *, color=None) -> ReliabilityDisplay:
        """Draw the bars, their gaps to the diagonal, and the counts below.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure. Drawn into an Axes that holds a
            reliability diagram already, it shares its diagonal and panel of counts.
        color : matplotlib color or None, default=None
            Of the bars and counts; None takes the next of matplotlib's colours ("C0",
            "C1", ...) for each diagram in the Axes.

        Returns
        -------
        display : ReliabilityDisplay
            With ``figure_``, ``ax_``, ``counts_ax_`` and ``bars_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from toonsklearn.plotting import ReliabilityDisplay
        >>> bins = pd.DataFrame({"low": [0.0, 0.5], "high": [0.5, 1.0], "count": [0, 4],
        ...                      "confidence": [None, 0.8], "accuracy": [None, 0.5]})
        >>> display = ReliabilityDisplay(bins, 0.3, name="before").plot()
        >>> after = ReliabilityDisplay(bins, 0.1, name="after").plot(ax=display.ax_)
        >>> [text.get_text() for text in after.ax_.get_legend().get_texts()]
        ['perfectly calibrated', 'gap to the diagonal', 'before (ECE 0.300)', \
'after (ECE 0.100)']
        """
        if ax is None:
            _, (ax, counts_ax) = pyplot().subplots(
                2, 1, sharex=True, figsize=(5.0, 5.6), height_ratios=(3, 1),
                layout="constrained")
            _label_counts_panel(counts_ax)
            _PANELS[ax] = counts_ax
        counts_ax = _PANELS.get(ax)
        if counts_ax is None or not (counts_ax in ax.child_axes
                                     or counts_ax in ax.figure.axes):
            # an Axes of the caller's (or one cleared since): the counts go in a panel below
            counts_ax = _label_counts_panel(ax.inset_axes([0.0, -0.36, 1.0, 0.25],
                                                          sharex=ax))
            _PANELS[ax] = counts_ax
        n_before = len(counts_ax.patches)  # one outline of counts per diagram drawn
        first = n_before == 0
        color = f"C{n_before}" if color is None else color
        table = self.bins_
        filled = table[table["count"] > 0]
        low = filled["low"].to_numpy(float)
        width = (filled["high"] - filled["low"]).to_numpy(float)
        accuracy = filled["accuracy"].to_numpy(float)
        confidence = filled["confidence"].to_numpy(float)
        label = f"ECE {self.ece_:.3f}" if not self.name else f"{self.name} (ECE {self.ece_:.3f})"
        if first:
            ax.plot([0, 1], [0, 1], linestyle="--", color="0.4", linewidth=1, label=_DIAGONAL)
        look = ({"color": color, "alpha": 0.55, "linewidth": 1} if first else
                {"fill": False, "linewidth": 2})  # later diagrams outlined, over the first
        self.bars_ = ax.bar(low, accuracy, width=width, align="edge", edgecolor=color,
                            label=label, zorder=2, **look)
        ax.bar(low, confidence - accuracy, bottom=accuracy, width=width, align="edge",
               fill=False, hatch="//", edgecolor="tab:red" if first else color,
               linewidth=0.5, zorder=3, **({"label": _GAP} if first else {}))
        counts_ax.stairs(table["count"].to_numpy(float), np.append(table["low"].to_numpy(
            float), table["high"].iloc[-1]), color=color, fill=first,
            alpha=0.55 if first else 1.0, label=label)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_ylabel("accuracy")
        ax.tick_params(labelbottom=False)
        ax.set_title("Reliability diagram")
        handles, names = ax.get_legend_handles_labels()
        order = sorted(range(len(names)), key=lambda i: (names[i] != _DIAGONAL,
                                                         names[i] != _GAP))
        ax.legend([handles[i] for i in order], [names[i] for i in order], loc="upper left",
                  fontsize="small")
        self.figure_, self.ax_, self.counts_ax_ = ax.figure, ax, counts_ax
        return self


def _label_counts_panel(panel):
    """Name and label the panel of counts below a diagram."""
    panel.set_label(COUNTS_PANEL)
    panel.set_xlabel("confidence (highest probability)")
    panel.set_ylabel("predictions")
    return panel


__all__ = ["ReliabilityDisplay"]
