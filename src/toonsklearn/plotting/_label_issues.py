"""The images most likely mislabelled, lowest label quality first, as a grid."""

from __future__ import annotations

import numpy as np

from ._base import axes_grid, check_count, show_image
from ._duplicates import (
    check_columns,
    check_images,
    check_result,
    image_name,
    load_images,
    plain,
)

ISSUE_COLUMNS = ("index", "path", "given_label", "suggested_label", "label_quality",
                 "is_issue")


class LabelIssuesDisplay:
    """The images most likely mislabelled, lowest label quality first.

    Each image of :func:`~toonsklearn.inspection.find_label_issues`' result is titled
    ``given: X / suggested: Y`` (the label it has and the one the out-of-fold
    predictions suggest) with its label quality, the model's out-of-fold confidence in
    the given label, and named below by its file (``X[i]`` for arrays). By default
    the grid shows the rows flagged ``is_issue``; with ``issues_only=False``, the
    lowest label quality whether flagged or not (flagged titles in red). Only the
    images drawn are decoded (files small, at most 64 pixels on the longest side). Use
    :meth:`~toonsklearn.plotting.LabelIssuesDisplay.from_estimator` or
    :meth:`~toonsklearn.plotting.LabelIssuesDisplay.from_result`.

    Parameters
    ----------
    images : list of ndarray
        One image per row of ``issues``, in the same order: ``(height, width[,
        channels])`` arrays, uint8 or 0-255 floats.
    issues : pandas DataFrame
        The rows to draw, in order, with the columns of ``find_label_issues``
        (``index``, ``path``, ``given_label``, ``suggested_label``, ``label_quality``,
        ``is_issue``). For multi-label data the labels are tuples of labels.
    n_issues : int or None, default=None
        How many images were flagged in all; None counts the rows of ``issues`` with
        ``is_issue``.

    Attributes
    ----------
    n_issues : int
        How many images were flagged in all (the grid shows the first).
    figure_ : matplotlib Figure
        The figure drawn in.
    axes_ : ndarray of matplotlib Axes
        One per image (one saying "No label issues found" when there is none).

    See Also
    --------
    toonsklearn.inspection.find_label_issues : Rank the images by how likely their label
        is wrong.
    toonsklearn.plotting.MisclassifiedDisplay : The images a fitted model gets wrong.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> import pandas as pd
    >>> from toonsklearn.plotting import LabelIssuesDisplay
    >>> X = np.zeros((4, 8, 8, 3), dtype=np.uint8)
    >>> issues = pd.DataFrame({"index": [2, 0, 3, 1], "path": None,
    ...                        "given_label": ["tom", "jerry", "tom", "jerry"],
    ...                        "suggested_label": ["jerry", "tom", "tom", "jerry"],
    ...                        "label_quality": [0.04, 0.31, 0.88, 0.97],
    ...                        "is_issue": [True, True, False, False]})
    >>> display = LabelIssuesDisplay.from_result(X, issues)
    >>> [ax.get_title() for ax in display.axes_]  # doctest: +NORMALIZE_WHITESPACE
    ['given: tom / suggested: jerry\\nlabel quality 0.04',
     'given: jerry / suggested: tom\\nlabel quality 0.31']
    """

    def __init__(self, images, issues, *, n_issues=None):
        issues = _check_flags(check_columns(issues, ISSUE_COLUMNS, "issues",
                                            "find_label_issues"))
        if len(images) != len(issues):
            raise ValueError(
                f"images holds {len(images)} images but issues {len(issues)} rows: pass "
                "one image per row of issues, in the same order."
            )
        self.images = list(images)
        self.issues = issues.reset_index(drop=True)
        self.n_issues = int(self.issues["is_issue"].sum()) if n_issues is None else int(
            n_issues)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, max_images=9, issues_only=True, ax=None,
                       ncols=None, **kwargs) -> LabelIssuesDisplay:
        """Find the images of ``X`` whose labels ``y`` are most likely wrong, and draw them.

        Parameters
        ----------
        estimator : classifier with ``predict_proba``
            An unfitted classifier (a :class:`~toonsklearn.TransferClassifier`, a
            scikit-learn Pipeline); it is cloned and fitted out of fold.
        X : array-like
            Images ``(n_samples, height, width[, channels])`` or a 1-D array of file
            paths.
        y : array-like
            The labels to check (an indicator matrix or label sets, for multi-label).
        max_images : int, default=9
            Most images to draw.
        issues_only : bool, default=True
            Draw only the images flagged ``is_issue``; False draws the lowest label
            quality, flagged or not.
        ax : array of matplotlib Axes or None, default=None
            At least ``max_images`` Axes to draw in; None makes a new figure.
        ncols : int or None, default=None
            Columns of the new figure's grid; None makes it about square.
        **kwargs
            Passed to :func:`~toonsklearn.inspection.find_label_issues`: ``cv``,
            ``random_state``, ``n_jobs``.

        Returns
        -------
        display : LabelIssuesDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import FunctionTransformer
        >>> from toonsklearn.plotting import LabelIssuesDisplay
        >>> X = np.zeros((20, 8, 8, 1), dtype=np.uint8)
        >>> X[10:] = 255  # ten dark images, ten bright ones
        >>> y = np.repeat(["dark", "bright"], 10)
        >>> y[3] = "bright"  # a wrong label
        >>> flat = FunctionTransformer(lambda images: images.reshape(len(images), -1) / 255)
        >>> display = LabelIssuesDisplay.from_estimator(
        ...     make_pipeline(flat, LogisticRegression()), X, y, cv=3)
        >>> display.issues["index"].tolist()[:1], display.axes_[0].get_title().splitlines()[0]
        ([3], 'given: bright / suggested: dark')
        """
        from ..inspection import find_label_issues

        return cls.from_result(X, find_label_issues(estimator, X, y, **kwargs),
                               max_images=max_images, issues_only=issues_only, ax=ax,
                               ncols=ncols)

    @classmethod
    def from_result(cls, X, issues, *, max_images=9, issues_only=True, ax=None,
                    ncols=None) -> LabelIssuesDisplay:
        """Draw the images ``find_label_issues`` found most likely mislabelled in ``X``.

        Parameters
        ----------
        X : array-like
            The images given to :func:`~toonsklearn.inspection.find_label_issues`, in
            the same order: ``(n_samples, height, width[, channels])`` or a 1-D array
            of file paths (only the files drawn are decoded).
        issues : pandas DataFrame
            Its result, a row per image with the columns ``index`` (the position in
            ``X``), ``path``, ``given_label``, ``suggested_label``, ``label_quality``
            and ``is_issue``. The rows are drawn lowest ``label_quality`` first
            (missing qualities last), whatever their order.
        max_images : int, default=9
            Most images to draw.
        issues_only : bool, default=True
            Draw only the rows flagged ``is_issue``; False draws the lowest label
            quality, flagged or not.
        ax : array of matplotlib Axes or None, default=None
            At least ``max_images`` Axes to draw in; None makes a new figure.
        ncols : int or None, default=None
            Columns of the new figure's grid; None makes it about square.

        Returns
        -------
        display : LabelIssuesDisplay
            The drawn display; "No label issues found" when no row is drawn.

        Raises
        ------
        ValueError
            ``issues`` is not a DataFrame with those columns, an ``index`` is not a
            position in ``X``, a ``label_quality`` is not a number, an ``is_issue`` not
            a truth value, or a ``path`` is not the file at that position of ``X``
            (another ``X`` than the one checked).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> import pandas as pd
        >>> from toonsklearn.plotting import LabelIssuesDisplay
        >>> X = np.zeros((2, 8, 8, 3), dtype=np.uint8)
        >>> issues = pd.DataFrame({"index": [1, 0], "path": None,
        ...                        "given_label": [("tom",), ("jerry", "tom")],
        ...                        "suggested_label": [("jerry", "tom"), ("jerry", "tom")],
        ...                        "label_quality": [0.12, 0.93], "is_issue": [True, False]})
        >>> display = LabelIssuesDisplay.from_result(X, issues, issues_only=False)
        >>> display.axes_[0].get_title().splitlines()[0], display.axes_[1].get_xlabel()
        ('given: tom / suggested: jerry, tom', 'X[0]')
        """
        check_count("max_images", max_images)
        if not isinstance(issues_only, (bool, np.bool_)):
            raise ValueError(f"issues_only must be True or False; received {issues_only!r}.")
        images = check_images(X)
        frame = _check_flags(check_result(issues, ISSUE_COLUMNS, "issues", "find_label_issues",
                                          len(images), "label_quality"))
        flagged = frame["is_issue"].to_numpy(dtype=bool)
        quality = frame["label_quality"].to_numpy()
        order = np.argsort(quality, kind="stable")  # NaN last
        if issues_only:
            order = order[flagged[order]]
        shown, thumbnails = load_images(images, frame.iloc[order[:max_images]], "issues",
                                        "find_label_issues")
        return cls(thumbnails, shown, n_issues=int(flagged.sum())).plot(ax=ax, ncols=ncols)

    def plot(self, ax=None, *, ncols=None) -> LabelIssuesDisplay:
        """Draw the grid: one image a panel, in row order.

        Parameters
        ----------
        ax : array of matplotlib Axes or None, default=None
            At least one Axes per image to draw in; None makes a new figure.
        ncols : int or None, default=None
            Columns of the new figure's grid; None makes it about square.

        Returns
        -------
        display : LabelIssuesDisplay
            With ``figure_`` and ``axes_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> import pandas as pd
        >>> from toonsklearn.plotting import LabelIssuesDisplay
        >>> rows = pd.DataFrame({"index": [7], "path": ["toons/tom/0042.png"],
        ...                      "given_label": ["tom"], "suggested_label": ["jerry"],
        ...                      "label_quality": [0.02], "is_issue": [True]})
        >>> display = LabelIssuesDisplay(np.zeros((1, 8, 8, 3), np.uint8), rows,
        ...                              n_issues=12).plot()
        >>> display.axes_[0].get_xlabel(), display.figure_.get_suptitle()
        ('0042.png', 'Likely label issues, lowest label quality first: 1 of 12')
        """
        figure, axes = axes_grid(len(self.images), ax, ncols=ncols, cell=(2.6, 2.6))
        if not self.images:
            axes[0].set_axis_off()
            axes[0].text(0.5, 0.5, "No label issues found", ha="center", va="center")
        frame = self.issues
        for k, panel in enumerate(axes[:len(self.images)]):
            title = (f"given: {_label_text(frame['given_label'].iat[k])} / suggested: "
                     f"{_label_text(frame['suggested_label'].iat[k])}\n"
                     f"label quality {float(frame['label_quality'].iat[k]):.2f}")
            show_image(panel, self.images[k], title,
                       title_color="tab:red" if frame["is_issue"].iat[k] else None)
            panel.set_xlabel(image_name(frame["path"].iat[k], frame["index"].iat[k]),
                             fontsize="x-small")
        if ax is None:
            figure.suptitle("Likely label issues, lowest label quality first: "
                            f"{len(self.images)} of {self.n_issues}", fontsize="medium")
        self.figure_, self.axes_ = figure, axes
        return self


def _check_flags(frame):
    """``frame`` with ``is_issue`` as bools, or an error naming a value that is not one."""
    flags = frame["is_issue"]
    known = flags.isin([True, False]) & flags.notna()
    if not known.all():
        raise ValueError(
            "issues['is_issue'] must hold True or False, as "
            "toonsklearn.inspection.find_label_issues returns; received "
            f"{plain(flags[~known].iloc[0])!r}."
        )
    return frame.assign(is_issue=flags.astype(bool))


def _label_text(label) -> str:
    """A label as a title shows it: label sets (multi-label) joined, an empty one
    ``none``."""
    if isinstance(label, (tuple, list, set, frozenset, np.ndarray)):
        labels = sorted(label, key=str) if isinstance(label, (set, frozenset)) else label
        return ", ".join(str(item) for item in labels) or "none"
    return str(label)
