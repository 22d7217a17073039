"""Learning curves from an estimator's ``history_``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._base import axes_grid

_NOT_CURVES = {"best", "phase"}
#: The legend of the ``val_`` curves: the images a fit holds out to stop early.
VALIDATION_LABEL = "early-stopping split"
_PHASE_NAMES = {"train": "training", "head": "head on features", "fine_tune": "fine-tuning"}


class HistoryDisplay:
    """Learning curves: loss and metrics per epoch, on training and early-stopping images.

    The ``val_`` columns of ``history_`` are Keras' figures on the images a fit holds
    out (``validation_fraction``) to stop early and pick the epoch kept: they are
    labelled "early-stopping split", to tell them from a score on a test set of your
    own. The epoch whose weights were kept is marked, and the phases of a fine-tuned
    model are shaded. Epochs are numbered from 1, as Keras prints them. Use
    :meth:`~toonsklearn.plotting.HistoryDisplay.from_estimator` (or
    :meth:`~toonsklearn.plotting.HistoryDisplay.from_history` for a saved
    ``history_``).

    Parameters
    ----------
    history : pandas.DataFrame
        One row per epoch (the index: the epoch, from 1), a column per quantity
        (``loss``, ``val_loss``, ``accuracy`` ...), optionally ``best`` (True on the
        kept epoch) and ``phase``. A DataFrame with pandas' default index (0, 1, ...,
        e.g. ``pd.DataFrame(keras_history.history)``) is numbered from 1 too.
    estimator_name : str or None, default=None
        Shown in the figure's title.

    Attributes
    ----------
    quantities : list of str
        The quantities drawn, one panel each (``val_`` columns share their panel).
    best_epoch : int or None
        The epoch marked as kept (numbered from 1, as the estimator's ``best_epoch_``).
    figure_ : matplotlib Figure
        The figure drawn in.
    axes_ : ndarray of matplotlib Axes
        One per quantity.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from toonsklearn.plotting import HistoryDisplay
    >>> history = pd.DataFrame({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.6, 0.7],
    ...                         "best": [False, True, False]})
    >>> display = HistoryDisplay.from_history(history)
    >>> display.quantities, display.best_epoch, display.history.index.tolist()
    (['loss'], 2, [1, 2, 3])
    """

    def __init__(self, history: pd.DataFrame, *, estimator_name: str | None = None):
        if not isinstance(history, pd.DataFrame) or history.empty:
            raise ValueError(
                "history must be a non-empty pandas DataFrame with one row per epoch, such "
                f"as a fitted estimator's history_; received {history!r:.80}."
            )
        if "epoch" in history.columns:  # read back from a CSV without index_col
            history = history.set_index("epoch")
        elif history.index.name is None and history.index.equals(pd.RangeIndex(len(history))):
            # pandas' default numbering: number the epochs as Keras prints them
            history = history.set_axis(pd.RangeIndex(1, len(history) + 1, name="epoch"))
        history = history.rename(columns=str)
        self.history = history
        self.estimator_name = estimator_name
        curves = [c for c in history.columns if c not in _NOT_CURVES
                  and pd.api.types.is_numeric_dtype(history[c])
                  and not pd.api.types.is_bool_dtype(history[c])]
        self.quantities = [c for c in curves if not (c.startswith("val_") and c[4:] in curves)]
        if not self.quantities:
            raise ValueError(
                f"history has no numeric column to draw; its columns are "
                f"{list(history.columns)}. Pass a fitted estimator's history_ (loss, metrics "
                "and val_ columns, one row per epoch)."
            )
        # True, or "True" read back from a file, marks the kept epoch
        best = (history["best"].astype(str).str.lower() == "true").to_numpy() \
            if "best" in history else np.zeros(len(history), dtype=bool)
        self.best_epoch = history.index[np.flatnonzero(best)[0]] if best.any() else None

    @classmethod
    def from_estimator(cls, estimator, *, ax=None) -> HistoryDisplay:
        """The learning curves of a fitted estimator (or a Pipeline ending in one).

        Parameters
        ----------
        estimator : CNNClassifier, TransferClassifier, MultiLabelCNN or Pipeline
            Fitted, so that it has ``history_``.
        ax : matplotlib Axes or array of Axes, default=None
            One per quantity; None makes a new figure.

        Returns
        -------
        display : HistoryDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> from toonsklearn.plotting import HistoryDisplay
        >>> X, y = make_toons(16, image_size=8, random_state=0)
        >>> clf = CNNClassifier(filters=(4,), epochs=2, random_state=0).fit(X, y)
        >>> display = HistoryDisplay.from_estimator(clf)
        >>> display.quantities, [ax.get_title() for ax in display.axes_]
        (['accuracy', 'loss'], ['accuracy', 'loss'])
        """
        from ..estimators._base import final_step

        final = final_step(estimator)[1]
        history = getattr(final, "history_", None)
        if history is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                f"{type(final).__name__} has no history_: fit it first (learning curves "
                "come from the epochs of a fit)."
            )
        return cls(history, estimator_name=type(final).__name__).plot(ax=ax)

    @classmethod
    def from_history(cls, history: pd.DataFrame, *, ax=None) -> HistoryDisplay:
        """The learning curves of a ``history_`` DataFrame (or one read back from a file).

        Parameters
        ----------
        history : pandas.DataFrame
            One row per epoch, as a fitted estimator's ``history_``; one read back
            from a CSV file may keep ``epoch`` as a column.
        ax : matplotlib Axes or array of Axes, default=None
            One per quantity; None makes a new figure.

        Returns
        -------
        display : HistoryDisplay
            The drawn display.

        Examples
        --------
        >>> import os, tempfile
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from toonsklearn.plotting import HistoryDisplay
        >>> history = pd.DataFrame({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.6, 0.7],
        ...                         "best": [False, True, False]},
        ...                        index=pd.RangeIndex(1, 4, name="epoch"))
        >>> path = os.path.join(tempfile.mkdtemp(), "history.csv")
        >>> history.to_csv(path)  # as a fit's history_ is often kept
        >>> display = HistoryDisplay.from_history(pd.read_csv(path))
        >>> display.best_epoch, len(display.axes_[0].get_lines())  # train, val, kept
        (2, 3)
        """
        return cls(history).plot(ax=ax)

    def plot(self, ax=None) -> HistoryDisplay:
        """Draw one panel per quantity.

        Parameters
        ----------
        ax : matplotlib Axes or array of Axes, default=None
            One per quantity; None makes a new figure.

        Returns
        -------
        display : HistoryDisplay
            With ``figure_`` and ``axes_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from toonsklearn.plotting import HistoryDisplay
        >>> history = pd.DataFrame({"loss": [0.9, 0.5], "accuracy": [0.6, 0.8]})
        >>> figure, axes = plt.subplots(1, 2)
        >>> display = HistoryDisplay(history).plot(ax=axes)
        >>> display.figure_ is figure, [ax.get_ylabel() for ax in display.axes_]
        (True, ['loss', 'accuracy'])
        """
        from matplotlib.ticker import MaxNLocator

        figure, axes = axes_grid(len(self.quantities), ax, ncols=len(self.quantities),
                                 cell=(4.2, 3.2))
        history = self.history
        epochs = history.index.to_numpy()
        for panel, name in zip(axes, self.quantities, strict=True):
            self._shade_phases(panel)
            panel.plot(epochs, history[name].to_numpy(dtype=float), marker=".",
                       label="training")
            if f"val_{name}" in history:
                panel.plot(epochs, history[f"val_{name}"].to_numpy(dtype=float), marker=".",
                           linestyle="--", label=VALIDATION_LABEL)
            if self.best_epoch is not None:
                panel.axvline(self.best_epoch, color="tab:red", linestyle=":",
                              label=f"kept: epoch {self.best_epoch}")
            panel.xaxis.set_major_locator(MaxNLocator(integer=True))
            panel.set_xlabel(history.index.name or "epoch")
            panel.set_ylabel(name.replace("_", " "))
            panel.set_title(name.replace("_", " "))
            panel.legend(fontsize="small")
        if self.estimator_name and ax is None:
            figure.suptitle(f"{self.estimator_name}: learning curves")
        self.figure_, self.axes_ = figure, axes
        return self

    def _shade_phases(self, panel) -> None:
        """Shade every other phase and name each at the top of the panel."""
        if "phase" not in self.history or self.history["phase"].nunique() < 2:
            return
        phases = self.history["phase"].to_numpy()
        epochs = self.history.index.to_numpy()
        starts = [0, *np.flatnonzero(phases[1:] != phases[:-1]) + 1]
        for k, start in enumerate(starts):
            stop = starts[k + 1] if k + 1 < len(starts) else len(phases)
            left, right = epochs[start] - 0.5, epochs[stop - 1] + 0.5
            if k % 2:
                panel.axvspan(left, right, color="0.92", zorder=0)
            panel.text((left + right) / 2, 1.0, _PHASE_NAMES.get(phases[start], phases[start]),
                       transform=panel.get_xaxis_transform(), ha="center", va="top",
                       fontsize="x-small", color="0.35")
