"""The wrongly predicted images with the highest loss on their true class, as a grid."""

from __future__ import annotations

import numpy as np

from .._utils.targets import check_thresholds, indicator_matrix, multilabel_kind
from ._base import (
    axes_grid,
    check_count,
    check_rows,
    images_of,
    model_images,
    show_image,
)

_EPSILON = 1e-12  # the smallest probability a loss is taken of


class MisclassifiedDisplay:
    """The wrong predictions with the highest loss, worst first ("top losses").

    The loss is the log-loss of the true class (the mean binary one, for multi-label),
    so the first image is the one whose true class got the lowest probability, which
    is not always the one predicted with the highest probability. Each image shows
    its true label, the predicted one and its probability, and the loss. Use
    :meth:`~toonsklearn.plotting.MisclassifiedDisplay.from_estimator` or
    :meth:`~toonsklearn.plotting.MisclassifiedDisplay.from_predictions`. With
    ``gradcam=True`` each image carries a Grad-CAM heat map of the evidence for the
    predicted class (for multi-label data, for the label it got most wrong, named in
    the title).

    Parameters
    ----------
    images : list of ndarray
        The wrongly predicted images, worst first.
    true_labels, predicted_labels : list
        A label each (a tuple of labels each, for multi-label data).
    probabilities : list
        The probability of each predicted label (a tuple, for multi-label data).
    losses : ndarray of shape (n_images,)
        The log-loss of each image (the mean binary one, for multi-label), decreasing.
    indices : ndarray of shape (n_images,)
        The images' positions in the ``X`` given.
    heatmaps : ndarray of shape (n_images, height, width) or None, default=None
        A Grad-CAM heat map in [0, 1] to draw over each image, or None.
    heatmap_labels : list or None, default=None
        The class each heat map shows evidence for.
    n_wrong : int or None, default=None
        How many images were predicted wrongly in all, of which these are the
        worst; None means just these.

    Attributes
    ----------
    n_wrong : int
        How many images were predicted wrongly in all (the grid shows the first).
    figure_ : matplotlib Figure
        The figure drawn in.
    axes_ : ndarray of matplotlib Axes
        One per image.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from toonsklearn.plotting import MisclassifiedDisplay
    >>> images = np.zeros((3, 8, 8, 3), dtype=np.uint8)
    >>> proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8]])
    >>> display = MisclassifiedDisplay.from_predictions(
    ...     images, ["jerry", "jerry", "tom"], proba, labels=["jerry", "tom"])
    >>> display.indices, display.predicted_labels
    (array([1]), ['tom'])
    """

    def __init__(self, images, true_labels, predicted_labels, probabilities, losses, *,
                 indices, heatmaps=None, heatmap_labels=None, n_wrong=None):
        self.images = list(images)
        self.true_labels = list(true_labels)
        self.predicted_labels = list(predicted_labels)
        self.probabilities = list(probabilities)
        self.losses = np.asarray(losses, dtype=float)
        self.indices = np.asarray(indices, dtype=np.intp)
        self.heatmaps = heatmaps
        self.heatmap_labels = None if heatmap_labels is None else list(heatmap_labels)
        self.n_wrong = len(self.indices) if n_wrong is None else n_wrong

    @classmethod
    def from_estimator(cls, estimator, X, y, *, n_images=9, gradcam=False, layer=None,
                       ax=None, ncols=None, alpha=0.45) -> MisclassifiedDisplay:
        """The images of ``X`` that ``estimator`` gets wrong with the highest loss.

        Parameters
        ----------
        estimator : fitted CNNClassifier, TransferClassifier, MultiLabelCNN or Pipeline
            The model to judge; any fitted classifier with ``predict_proba`` on image
            arrays works too, without ``gradcam``.
        X : array-like
            Images or file paths; the grid shows them as the model takes them (at its
            input size).
        y : array-like
            The true labels (an indicator matrix or label sets, for multi-label).
        n_images : int, default=9
            Most images to show.
        gradcam : bool, default=False
            Draw a Grad-CAM heat map over each image: of the predicted class, or for
            multi-label data of the label the image got most wrong.
        layer : str or None, default=None
            The Grad-CAM layer, as in :func:`~toonsklearn.plotting.grad_cam`.
        ax : array of matplotlib Axes or None, default=None
            At least ``n_images`` Axes to draw in; None makes a new figure.
        ncols : int or None, default=None
            Columns of the new figure's grid; None makes it about square.
        alpha : float, default=0.45
            Opacity of the heat maps.

        Returns
        -------
        display : MisclassifiedDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> from toonsklearn.plotting import MisclassifiedDisplay
        >>> X, y = make_toons(16, image_size=8, random_state=0)
        >>> clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
        >>> display = MisclassifiedDisplay.from_estimator(clf, X, y, n_images=4)
        >>> n_wrong = int((clf.predict(X) != y).sum())
        >>> display.n_wrong == n_wrong, len(display.images) == min(n_wrong, 4)
        (True, True)
        >>> bool((display.losses[:-1] >= display.losses[1:]).all())  # worst first
        True
        """
        from sklearn.utils import _safe_indexing
        from sklearn.utils.validation import check_is_fitted

        from ..estimators import MultiLabelCNN
        from ..estimators._base import ImageClassifierBase, final_step

        check_count("n_images", n_images)
        check_is_fitted(estimator)
        final = final_step(estimator)[1]
        multilabel = (isinstance(final, MultiLabelCNN)
                      and getattr(final, "target_kind_", "labels") != "labels")
        threshold = final._thresholds() if multilabel else 0.5
        proba = estimator.predict_proba(X)
        wrong = _Wrong(y, proba, np.asarray(estimator.classes_), threshold, n_images,
                       multilabel)
        heatmaps, targets, images = None, None, []
        if gradcam and len(wrong.indices):
            from ._gradcam import grad_cam

            heatmaps, images, targets, _ = grad_cam(
                estimator, _safe_indexing(X, wrong.indices), layer=layer,
                target=wrong.worst_labels() if multilabel else "predicted")
        elif isinstance(final, ImageClassifierBase):
            images = model_images(estimator, X, wrong.indices)[1] if len(wrong.indices) else []
        else:  # a scikit-learn model on pixels: show the images as they were given
            images = images_of(X, wrong.indices)
        return wrong.display(cls, images, heatmaps, targets).plot(ax=ax, ncols=ncols,
                                                                  alpha=alpha)

    @classmethod
    def from_predictions(cls, X, y_true, y_proba, *, labels, threshold=0.5, n_images=9,
                         ax=None, ncols=None) -> MisclassifiedDisplay:
        """The images of ``X`` whose probabilities ``y_proba`` get wrong with the highest loss.

        Parameters
        ----------
        X : array-like
            Images ``(n, height, width[, channels])`` or file paths (only the images
            shown are read).
        y_true : array-like
            The true labels (an indicator matrix or label sets, for multi-label).
        y_proba : array-like of shape (n_samples, n_classes)
            Probabilities, columns in ``labels`` order.
        labels : array-like of shape (n_classes,)
            The classes (``estimator.classes_``).
        threshold : float or array-like of shape (n_classes,), default=0.5
            For multi-label data: the probability at which a label is predicted.
        n_images : int, default=9
            Most images to show.
        ax : array of matplotlib Axes or None, default=None
            At least ``n_images`` Axes to draw in; None makes a new figure.
        ncols : int or None, default=None
            Columns of the new figure's grid; None makes it about square.

        Returns
        -------
        display : MisclassifiedDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from toonsklearn.plotting import MisclassifiedDisplay
        >>> images = np.zeros((3, 8, 8, 3), dtype=np.uint8)
        >>> Y = [{"tom"}, {"tom", "jerry"}, set()]
        >>> proba = np.array([[0.1, 0.9], [0.2, 0.7], [0.1, 0.3]])  # columns: jerry, tom
        >>> display = MisclassifiedDisplay.from_predictions(images, Y, proba,
        ...                                                 labels=["jerry", "tom"])
        >>> display.indices.tolist(), display.true_labels, display.predicted_labels
        ([1], [('jerry', 'tom')], [('tom',)])
        """
        check_count("n_images", n_images)
        wrong = _Wrong(y_true, y_proba, np.asarray(labels), threshold, n_images,
                       multilabel_kind(y_true) != "labels")
        if len(X) != len(wrong.proba):
            raise ValueError(f"X has {len(X)} images but y_proba {len(wrong.proba)} rows.")
        return wrong.display(cls, images_of(X, wrong.indices), None).plot(ax=ax, ncols=ncols)

    def plot(self, ax=None, *, ncols=None, alpha=0.45) -> MisclassifiedDisplay:
        """Draw the grid: one image a panel, worst first.

        Parameters
        ----------
        ax : array of matplotlib Axes or None, default=None
            At least one Axes per image to draw in; None makes a new figure.
        ncols : int or None, default=None
            Columns of the new figure's grid; None makes it about square.
        alpha : float, default=0.45
            Opacity of the heat maps, when there are any.

        Returns
        -------
        display : MisclassifiedDisplay
            With ``figure_`` and ``axes_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from toonsklearn.plotting import MisclassifiedDisplay
        >>> display = MisclassifiedDisplay(
        ...     np.zeros((2, 8, 8, 3), dtype=np.uint8), ["tom", "jerry"], ["jerry", "tom"],
        ...     [0.9, 0.6], [2.3, 0.9], indices=[4, 1]).plot(ncols=2)
        >>> display.axes_.shape, display.axes_[0].get_title().splitlines()
        ((2,), ['true: tom', 'pred: jerry (0.90)', 'loss 2.30'])
        """
        figure, axes = axes_grid(len(self.images), ax, ncols=ncols)
        if not self.images:
            axes[0].set_axis_off()
            axes[0].text(0.5, 0.5, "No misclassified images", ha="center", va="center")
        for k, panel in enumerate(axes[:len(self.images)]):
            heatmap = None if self.heatmaps is None else self.heatmaps[k]
            show_image(panel, self.images[k], self._title(k), heatmap=heatmap, alpha=alpha,
                       title_color="tab:red")
        if ax is None:
            shown = f"{len(self.images)} of {self.n_wrong}" if self.n_wrong else "0"
            figure.suptitle(f"Misclassified, worst first (highest loss): {shown}",
                            fontsize="medium")
        self.figure_, self.axes_ = figure, axes
        return self

    def _title(self, k: int) -> str:
        true, predicted, probability = (self.true_labels[k], self.predicted_labels[k],
                                        self.probabilities[k])
        if isinstance(true, tuple):
            true_text = ", ".join(map(str, true)) or "none"
            predicted_text = ", ".join(f"{label} {p:.2f}"
                                       for label, p in zip(predicted, probability,
                                                           strict=True)) or "none"
        else:
            true_text, predicted_text = str(true), f"{predicted} ({probability:.2f})"
        title = f"true: {true_text}\npred: {predicted_text}\nloss {self.losses[k]:.2f}"
        if self.heatmap_labels is not None and isinstance(true, tuple):
            title += f", CAM: {self.heatmap_labels[k]}"
        return title


class _Wrong:
    """Which images are predicted wrongly, by how much, worst first."""

    def __init__(self, y_true, y_proba, labels: np.ndarray, threshold, n_images: int,
                 multilabel: bool):
        proba = np.asarray(y_proba, dtype=float)
        if proba.ndim != 2 or proba.shape[1] != len(labels):
            raise ValueError(
                f"y_proba must have shape (n_samples, {len(labels)}), a column per label "
                f"in {labels.tolist()}; received shape {proba.shape}."
            )
        check_rows(y_true, proba, "y_proba")
        self.proba, self.labels, self.multilabel = proba, labels, multilabel
        if multilabel:
            truth = indicator_matrix(y_true, labels)
            predicted = proba >= check_thresholds(threshold, labels)
            clipped = np.clip(proba, _EPSILON, 1 - _EPSILON)
            self.label_losses = -(truth * np.log(clipped) + (1 - truth) * np.log(1 - clipped))
            losses = self.label_losses.mean(axis=1)
            is_wrong = (predicted != truth.astype(bool)).any(axis=1)
            self.truth, self.predicted = truth.astype(bool), predicted
        else:
            truth = np.asarray(y_true).ravel()
            if len(truth) != len(proba):
                raise ValueError(
                    f"y_true must hold one label per image; received shape "
                    f"{np.shape(y_true)} for {len(proba)} images."
                )
            known = {label: i for i, label in enumerate(labels.tolist())}
            unknown = [t for t in truth.tolist() if t not in known]
            if unknown:
                raise ValueError(f"y_true holds {unknown[0]!r}, which is not one of the "
                                 f"labels {labels.tolist()}.")
            columns = np.array([known[t] for t in truth.tolist()], dtype=np.intp)
            losses = -np.log(np.clip(proba[np.arange(len(proba)), columns], _EPSILON, 1))
            self.truth, self.predicted = columns, proba.argmax(axis=1)
            is_wrong = self.predicted != columns
        wrong = np.flatnonzero(is_wrong)
        order = wrong[np.argsort(-losses[wrong], kind="stable")]
        self.n_wrong = len(order)
        self.indices, self.losses = order[:n_images], losses[order[:n_images]]

    def worst_labels(self) -> list:
        """Per shown multi-label image, the label with the largest loss."""
        names = self.labels.tolist()
        return [names[int(np.argmax(self.label_losses[i]))] for i in self.indices]

    def display(self, cls, images, heatmaps, heatmap_labels=None):
        names, proba = self.labels.tolist(), self.proba  # plain Python labels
        if self.multilabel:
            def chosen(row):
                return np.flatnonzero(row).tolist()

            true = [tuple(names[j] for j in chosen(self.truth[i])) for i in self.indices]
            predicted = [tuple(names[j] for j in chosen(self.predicted[i]))
                         for i in self.indices]
            probabilities = [tuple(float(proba[i, j]) for j in chosen(self.predicted[i]))
                             for i in self.indices]
        else:
            true = [names[self.truth[i]] for i in self.indices]
            predicted = [names[self.predicted[i]] for i in self.indices]
            probabilities = [float(proba[i, self.predicted[i]]) for i in self.indices]
        return cls(images, true, predicted, probabilities, self.losses, indices=self.indices,
                   heatmaps=heatmaps, heatmap_labels=heatmap_labels, n_wrong=self.n_wrong)
