"""What augmentation does: a few images under several random draws, as a grid."""

from __future__ import annotations

import numpy as np

from ._base import check_count, model_images, pyplot, show_image


class AugmentationDisplay:
    """A few images, each under several random draws of an estimator's ``augment=``.

    The images are at the estimator's input size, as training sees them (the Keras
    layers a fit builds from the policy, in training mode). Use
    :meth:`~toonsklearn.plotting.AugmentationDisplay.from_estimator`; the estimator
    need not be fitted.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width, channels)
        The images as the model takes them.
    augmented : ndarray of shape (n_images, n_draws, height, width, channels)
        The random draws of each image.
    augment : str or dict
        The policy drawn.

    Attributes
    ----------
    figure_ : matplotlib Figure
        The figure drawn in.
    axes_ : ndarray of matplotlib Axes of shape (n_images, n_draws + 1)
        Per row, the image and then its draws.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from toonsklearn import CNNClassifier
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.plotting import AugmentationDisplay
    >>> X, _ = make_toons(4, image_size=16, random_state=0)
    >>> display = AugmentationDisplay.from_estimator(CNNClassifier(augment="light"), X,
    ...                                              n_images=2, n_draws=3, random_state=0)
    >>> display.augmented.shape
    (2, 3, 16, 16, 3)
    """

    def __init__(self, images, augmented, *, augment):
        self.images = np.asarray(images)
        self.augmented = np.asarray(augmented)
        self.augment = augment

    @classmethod
    def from_estimator(cls, estimator, X, *, n_images=4, n_draws=5, random_state=None,
                       ax=None) -> AugmentationDisplay:
        """Draw ``estimator``'s augmentation over the first ``n_images`` of ``X``.

        Parameters
        ----------
        estimator : CNNClassifier, TransferClassifier, MultiLabelCNN or Pipeline
            With ``augment`` set; fitted or not.
        X : array-like
            Images or file paths.
        n_images : int, default=4
            Images to show, the first ones of ``X``.
        n_draws : int, default=5
            Random draws per image.
        random_state : int or None, default=None
            Seeds the draws; None draws anew each time.
        ax : array of matplotlib Axes of shape (n_images, n_draws + 1) or None, \
default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        display : AugmentationDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.plotting import AugmentationDisplay
        >>> X = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
        >>> clf = CNNClassifier(augment={"flip": "horizontal_and_vertical"})
        >>> display = AugmentationDisplay.from_estimator(clf, X, n_images=2, n_draws=4,
        ...                                              random_state=0)
        >>> display.images.shape, display.axes_.shape
        ((2, 16, 16, 3), (2, 5))
        >>> flips = {a.tobytes() for a in (X[0], X[0, ::-1], X[0, :, ::-1], X[0, ::-1, ::-1])}
        >>> all(draw.tobytes() in flips for draw in display.augmented[0])
        True
        """
        import tensorflow as tf

        from ..augment import augmentation_layers
        from ..estimators._base import final_step

        check_count("n_images", n_images)
        check_count("n_draws", n_draws)
        final = final_step(estimator)[1]
        if not getattr(final, "augment", None):
            raise ValueError(
                f"{type(final).__name__} has augment={getattr(final, 'augment', None)!r}: "
                "training sees the images as they are. Set augment ('light', 'strong' or a "
                "dict) to preview it."
            )
        final, images = model_images(estimator, X, np.arange(min(n_images, len(X))),
                                     fitted=False)
        layers = augmentation_layers(final.augment, seed=random_state)
        batch = tf.convert_to_tensor(images, tf.float32)
        draws = []
        for _ in range(n_draws):
            x = batch
            for layer in layers:
                x = layer(x, training=True)
            draws.append(np.clip(x.numpy(), 0, 255))
        augmented = np.stack(draws, axis=1).astype(images.dtype)
        return cls(images, augmented, augment=final.augment).plot(ax=ax)

    def plot(self, ax=None) -> AugmentationDisplay:
        """Draw one row per image: the image, then its draws.

        Parameters
        ----------
        ax : array of matplotlib Axes of shape (n_images, n_draws + 1) or None, \
default=None
            Where to draw (any shape with that many Axes); None makes a new figure.

        Returns
        -------
        display : AugmentationDisplay
            With ``figure_`` and ``axes_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from toonsklearn.plotting import AugmentationDisplay
        >>> images = np.zeros((1, 8, 8, 3), dtype=np.uint8)
        >>> display = AugmentationDisplay(images, np.stack([images] * 2, axis=1),
        ...                               augment="light").plot()
        >>> [ax.get_title() for ax in display.axes_[0]]
        ['original', 'draw 1', 'draw 2']
        """
        n_images, n_draws = self.augmented.shape[:2]
        if ax is None:
            figure, axes = pyplot().subplots(
                n_images, n_draws + 1, figsize=(1.8 * (n_draws + 1), 1.9 * n_images),
                squeeze=False, layout="constrained")
        else:
            axes = np.asarray(ax, dtype=object)
            if axes.size != n_images * (n_draws + 1):
                raise ValueError(
                    f"ax holds {axes.size} Axes; this display draws {n_images} rows of "
                    f"{n_draws + 1} (the image and its draws)."
                )
            axes = axes.reshape(n_images, n_draws + 1)
            figure = axes[0, 0].figure
        for row in range(n_images):
            show_image(axes[row, 0], self.images[row], "original" if row == 0 else None)
            for draw in range(n_draws):
                show_image(axes[row, draw + 1], self.augmented[row, draw],
                           f"draw {draw + 1}" if row == 0 else None)
        if ax is None:
            figure.suptitle(f"augment={self.augment!r}", fontsize="medium")
        self.figure_, self.axes_ = figure, axes
        return self
