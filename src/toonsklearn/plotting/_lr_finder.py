"""The learning-rate range test's curve."""

from __future__ import annotations

import numpy as np

from ._base import pyplot


class LRFinderDisplay:
    """The learning-rate range test's curve: smoothed loss against learning rate.

    The rates are on a log scale, the suggested one marked (when the loss never fell
    there is no suggestion, and the title says so). Use
    :meth:`~toonsklearn.plotting.LRFinderDisplay.from_estimator` (runs
    :func:`toonsklearn.tuning.lr_find`) or
    :meth:`~toonsklearn.plotting.LRFinderDisplay.from_result`.

    Parameters
    ----------
    learning_rates : array-like of shape (n_steps,)
        The rate of each training step.
    losses : array-like of shape (n_steps,)
        The smoothed training loss after each step.
    suggestion : float or None
        The rate to mark; None marks none.

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
    >>> from toonsklearn.plotting import LRFinderDisplay
    >>> display = LRFinderDisplay([1e-4, 1e-3, 1e-2], [0.7, 0.5, 0.9], 1e-4).plot()
    >>> display.ax_.get_xscale()
    'log'
    """

    def __init__(self, learning_rates, losses, suggestion: float | None):
        self.learning_rates = np.asarray(learning_rates, dtype=float)
        self.losses = np.asarray(losses, dtype=float)
        self.suggestion = None if suggestion is None else float(suggestion)

    @classmethod
    def from_result(cls, result, *, ax=None) -> LRFinderDisplay:
        """Draw an :class:`~toonsklearn.tuning.LRFinderResult`.

        Parameters
        ----------
        result : LRFinderResult
            What :func:`toonsklearn.tuning.lr_find` returned.
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        display : LRFinderDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toonsklearn.plotting import LRFinderDisplay
        >>> from toonsklearn.tuning import LRFinderResult
        >>> result = LRFinderResult([1e-4, 1e-3, 1e-2], [0.9, 0.6, 1.2], 1e-4)
        >>> display = LRFinderDisplay.from_result(result)
        >>> display.suggestion, display.ax_.get_legend().get_texts()[0].get_text()
        (0.0001, 'suggestion 0.0001')
        """
        return cls(result.learning_rates, result.losses, result.suggestion).plot(ax=ax)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, ax=None, **lr_find_params) -> LRFinderDisplay:
        """Run :func:`toonsklearn.tuning.lr_find` and draw its curve.

        Parameters
        ----------
        estimator : CNNClassifier, TransferClassifier, MultiLabelCNN or Pipeline
            The estimator whose network the range test trains (a copy; it stays
            unfitted), or a Pipeline ending in one.
        X : array-like
            Images or file paths, as for ``fit``.
        y : array-like
            Targets, as for ``fit``.
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.
        **lr_find_params
            Passed to :func:`toonsklearn.tuning.lr_find` (``start_lr``, ``end_lr``,
            ``num_steps``...).

        Returns
        -------
        display : LRFinderDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> from toonsklearn.plotting import LRFinderDisplay
        >>> X, y = make_toons(16, image_size=8, random_state=0)
        >>> clf = CNNClassifier(filters=(4,), batch_size=8, random_state=0)
        >>> display = LRFinderDisplay.from_estimator(clf, X, y, num_steps=10)
        >>> len(display.learning_rates) <= 10, display.ax_.get_xscale()
        (True, 'log')
        """
        from ..tuning import lr_find

        return cls.from_result(lr_find(estimator, X, y, **lr_find_params), ax=ax)

    def plot(self, ax=None) -> LRFinderDisplay:
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        display : LRFinderDisplay
            With ``figure_`` and ``ax_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from toonsklearn.plotting import LRFinderDisplay
        >>> figure, ax = plt.subplots()
        >>> display = LRFinderDisplay([1e-4, 1e-3, 1e-2], [0.7, 0.5, 0.9], 1e-4).plot(ax=ax)
        >>> display.figure_ is figure, display.ax_.get_ylabel()
        (True, 'training loss (smoothed)')
        """
        if ax is None:
            _, ax = pyplot().subplots(layout="constrained")
        ax.plot(self.learning_rates, self.losses)
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("training loss (smoothed)")
        if self.suggestion is None:
            ax.set_title("Learning-rate range test: the loss never fell, no suggestion")
        else:
            ax.axvline(self.suggestion, linestyle="--", color="tab:red",
                       label=f"suggestion {self.suggestion:.2g}")
            ax.set_title("Learning-rate range test")
            ax.legend()
        self.figure_, self.ax_ = ax.figure, ax
        return self
