"""Embeddings as a map: the images as thumbnails at their 2-D projection, framed in the
colour of their class."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from ._base import axes_grid, pyplot

_METHODS = ("pca", "tsne")
_AXIS_NAMES = {"pca": "PC", "tsne": "t-SNE"}
_TITLES = {"pca": "PCA", "tsne": "t-SNE"}
_THUMBNAIL_PIXELS = 64  # longest side a file is decoded at for its thumbnail
_NO_CLASS_COLOUR = "0.45"  # frames and dots when there are no labels


class EmbeddingDisplay:
    """Images on a 2-D map of their embeddings, framed in the colour of their class.

    Each image's embedding (an :class:`~toonsklearn.embedding.ImageEmbedder`'s
    features, say) is projected to two dimensions with PCA or t-SNE, and the image is
    drawn there as a thumbnail. Classes that form their own islands are ones the
    backbone already tells apart; classes whose frames mingle are ones it confuses, and
    a lone thumbnail inside another class's island is an outlier or a wrong label.
    Every image is projected and drawn as a small dot in its class's colour; at most
    ``max_images`` of them (a random sample, stratified by class) also get a thumbnail,
    so a map of many thousand images stays readable and quick to draw.

    Use :meth:`~toonsklearn.plotting.EmbeddingDisplay.from_estimator` or
    :meth:`~toonsklearn.plotting.EmbeddingDisplay.from_predictions`.

    Parameters
    ----------
    coordinates : ndarray of shape (n_samples, 2)
        Each image's place on the map.
    images : list of ndarray
        The thumbnails, one per entry of ``indices``: ``(height, width[, channels])``
        arrays, uint8 or 0-255 floats.
    labels : array-like of shape (n_samples,) or None, default=None
        Each image's class, which colours its dot and frame; None draws all in grey.
    indices : array-like of shape (n_images,) or None, default=None
        The rows of ``coordinates`` the thumbnails belong to; None means every row, in
        order.
    method : str, default="pca"
        The projection that made ``coordinates``: ``"pca"``, ``"tsne"`` or the name of
        another; it names the axes.

    Attributes
    ----------
    classes : ndarray or None
        The sorted distinct ``labels``, in legend order.
    figure_ : matplotlib Figure
        The figure drawn in.
    ax_ : matplotlib Axes
        The map's Axes.
    dots_ : list of matplotlib PathCollection
        The dots of every image, one collection per class.
    thumbnails_ : list of matplotlib AnnotationBbox
        The framed thumbnails, in ``indices`` order.

    See Also
    --------
    toonsklearn.embedding.ImageEmbedder : Embeddings of images with a pretrained backbone.
    sklearn.decomposition.PCA, sklearn.manifold.TSNE : The two projections.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from toonsklearn.plotting import EmbeddingDisplay
    >>> rng = np.random.default_rng(0)
    >>> embeddings = rng.normal(size=(20, 5))
    >>> images = rng.integers(0, 256, size=(20, 8, 8, 3), dtype=np.uint8)
    >>> y = np.repeat(["jerry", "tom"], 10)
    >>> display = EmbeddingDisplay.from_predictions(embeddings, images, y, max_images=6,
    ...                                             random_state=0)
    >>> display.coordinates.shape, len(display.thumbnails_)
    ((20, 2), 6)
    >>> [text.get_text() for text in display.ax_.get_legend().get_texts()]
    ['jerry', 'tom']
    """

    def __init__(self, coordinates, images, labels=None, *, indices=None, method="pca"):
        coordinates = np.asarray(coordinates, dtype=float)
        if coordinates.ndim != 2 or coordinates.shape[1] != 2:
            raise ValueError(
                "coordinates must have shape (n_samples, 2), a place on the map for each "
                f"image; received shape {coordinates.shape}."
            )
        n = len(coordinates)
        indices = np.arange(n) if indices is None else np.asarray(indices, dtype=np.intp)
        if indices.ndim != 1 or (len(indices) and not 0 <= indices.min() <= indices.max() < n):
            raise ValueError(
                f"indices must be a 1-D array of rows of coordinates, 0 to {n - 1}; received "
                f"shape {indices.shape}"
                + (f" with values from {indices.min()} to {indices.max()}." if indices.size
                   else ".")
            )
        if len(images) != len(indices):
            raise ValueError(
                f"images holds {len(images)} thumbnails but indices {len(indices)} rows: pass "
                "one image per entry of indices (per row of coordinates when indices is None)."
            )
        self.coordinates = coordinates
        self.images = list(images)
        self.indices = indices
        self.labels = None if labels is None else _check_labels(labels, n, "coordinates")
        self.classes = None if self.labels is None else _classes(self.labels)
        self.method = method

    @classmethod
    def from_estimator(cls, embedder, X, y=None, *, method="pca", max_images=300,
                       random_state=None, thumbnail_size=28.0, legend=True,
                       ax=None) -> EmbeddingDisplay:
        """Embed ``X`` with ``embedder``, project the embeddings to 2-D and draw the map.

        Parameters
        ----------
        embedder : object with ``transform``
            An :class:`~toonsklearn.embedding.ImageEmbedder` (which fits itself on
            first use), a fitted Pipeline ending in a transformer, or any fitted object
            whose ``transform(X)`` returns one feature vector per image.
        X : array-like
            Images ``(n_samples, height, width[, channels])`` or a 1-D array of file
            paths. The thumbnails are these images (files decoded small, only those
            shown).
        y : array-like of shape (n_samples,) or None, default=None
            Each image's class, for the colours and the legend; None draws all in grey.
        method : {"pca", "tsne"} or estimator, default="pca"
            How the embeddings become 2-D: see
            :meth:`~toonsklearn.plotting.EmbeddingDisplay.from_predictions`.
        max_images : int or None, default=300
            Most thumbnails to draw: a random sample of the images, stratified by
            class; the others are dots. None draws every image; 0 only the dots.
        random_state : int, RandomState instance or None, default=None
            Seeds the sample of thumbnails and the projection.
        thumbnail_size : float, default=28.0
            Longest side of a thumbnail, in points.
        legend : bool, default=True
            Draw a legend of the classes (when ``y`` is given).
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        display : EmbeddingDisplay
            The drawn display.

        Examples
        --------
        >>> import keras, matplotlib
        >>> matplotlib.use("Agg")
        >>> from toonsklearn.datasets import make_toons
        >>> from toonsklearn.embedding import ImageEmbedder
        >>> from toonsklearn.plotting import EmbeddingDisplay
        >>> X, y = make_toons(16, image_size=16, random_state=0)
        >>> inputs = keras.Input((16, 16, 3))  # a stand-in for a pretrained network
        >>> backbone = keras.Model(inputs, keras.layers.Conv2D(8, 3)(inputs))
        >>> display = EmbeddingDisplay.from_estimator(ImageEmbedder(backbone), X, y,
        ...                                           random_state=0)
        >>> display.coordinates.shape, len(display.thumbnails_)
        ((16, 2), 16)
        """
        if not hasattr(embedder, "transform"):
            raise TypeError(
                "from_estimator embeds the images with the estimator's transform: pass an "
                "ImageEmbedder (or a fitted Pipeline ending in a transformer); received "
                f"{type(embedder).__name__}, which has no transform. For embeddings you "
                "already have, use EmbeddingDisplay.from_predictions."
            )
        source = f"{type(embedder).__name__}.transform(X)"
        return _draw(cls, _check_embeddings(embedder.transform(X), source), X, y,
                     source=source, method=method, max_images=max_images,
                     random_state=random_state, thumbnail_size=thumbnail_size,
                     legend=legend, ax=ax)

    @classmethod
    def from_predictions(cls, embeddings, images, y=None, *, method="pca", max_images=300,
                         random_state=None, thumbnail_size=28.0, legend=True,
                         ax=None) -> EmbeddingDisplay:
        """Project embeddings you already have to 2-D and draw their images there.

        Parameters
        ----------
        embeddings : array-like of shape (n_samples, n_features)
            One feature vector per image, such as
            :meth:`ImageEmbedder.transform <toonsklearn.embedding.ImageEmbedder.transform>`
            returns.
        images : array-like
            The images the rows of ``embeddings`` belong to, in the same order:
            ``(n_samples, height, width[, channels])`` or a 1-D array of file paths
            (only the files shown are decoded, small).
        y : array-like of shape (n_samples,) or None, default=None
            Each image's class, for the colours and the legend; None draws all in grey.
            To name the integer targets of ``load_image_folder``, pass
            ``data.target_names[data.target]``.
        method : {"pca", "tsne"} or estimator, default="pca"
            ``"pca"``: the first two principal components
            (:class:`~sklearn.decomposition.PCA`), fast at any size, distances
            faithful at large scale. ``"tsne"``: :class:`~sklearn.manifold.TSNE` with
            ``perplexity=min(30, (n_samples - 1) / 3)``, which keeps neighbours together
            and so shows clusters better, but is slow on tens of thousands of images
            and its distances between clusters mean little. (t-SNE weighs about
            ``3 * perplexity`` neighbours of each image; with a perplexity near the
            number of images, all of them, and the clusters merge.) Or an unfitted
            estimator whose ``fit_transform`` returns 2 columns
            (``TSNE(perplexity=5)``, UMAP); it is cloned.
        max_images : int or None, default=300
            Most thumbnails to draw: a random sample of the images, stratified by
            class; the others are dots. None draws every image; 0 only the dots.
        random_state : int, RandomState instance or None, default=None
            Seeds the sample of thumbnails and the projection.
        thumbnail_size : float, default=28.0
            Longest side of a thumbnail, in points.
        legend : bool, default=True
            Draw a legend of the classes (when ``y`` is given).
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        display : EmbeddingDisplay
            The drawn display.

        Raises
        ------
        ValueError
            ``embeddings`` is not 2-D, or holds NaN or infinite values; ``images`` or
            ``y`` has another length than ``embeddings``; ``method`` is unknown; or
            there are too few images or features to project onto two axes.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from toonsklearn.plotting import EmbeddingDisplay
        >>> rng = np.random.default_rng(0)
        >>> embeddings = np.vstack([rng.normal(0, 1, (10, 4)), rng.normal(9, 1, (10, 4))])
        >>> images = np.zeros((20, 8, 8, 3), dtype=np.uint8)
        >>> display = EmbeddingDisplay.from_predictions(
        ...     embeddings, images, ["tom"] * 10 + ["jerry"] * 10, method="tsne",
        ...     max_images=4, random_state=0)
        >>> display.ax_.get_xlabel(), display.indices.shape
        ('t-SNE 1', (4,))
        """
        return _draw(cls, _check_embeddings(embeddings, "embeddings"), images, y,
                     source="embeddings", method=method, max_images=max_images,
                     random_state=random_state, thumbnail_size=thumbnail_size,
                     legend=legend, ax=ax)

    def plot(self, ax=None, *, thumbnail_size=28.0, legend=True) -> EmbeddingDisplay:
        """Draw the map: a dot per image, the thumbnails framed in their class's colour.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.
        thumbnail_size : float, default=28.0
            Longest side of a thumbnail, in points.
        legend : bool, default=True
            Draw a legend of the classes (when there are labels).

        Returns
        -------
        display : EmbeddingDisplay
            With ``figure_``, ``ax_``, ``dots_`` and ``thumbnails_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from toonsklearn.plotting import EmbeddingDisplay
        >>> display = EmbeddingDisplay([[0, 0], [1, 1], [2, 0]],
        ...                            np.zeros((1, 8, 8, 3), dtype=np.uint8),
        ...                            ["tom", "jerry", "tom"], indices=[2]).plot()
        >>> len(display.dots_), len(display.thumbnails_)
        (2, 1)
        """
        _check_thumbnail_size(thumbnail_size)
        plt = pyplot()
        from matplotlib.colors import Normalize
        from matplotlib.lines import Line2D
        from matplotlib.offsetbox import AnnotationBbox, OffsetImage

        titled = ax is None
        if ax is None:
            ax = plt.subplots(figsize=(8, 7), layout="constrained")[1]
        figure, ax = axes_grid(1, ax)
        ax = ax[0]
        colours = self._colours()
        points = self.coordinates
        if self.labels is None:
            masks = [np.ones(len(points), dtype=bool)]
        else:
            masks = [self.labels == label for label in self.classes]
        self.dots_ = [
            ax.scatter(points[mask, 0], points[mask, 1], s=10, color=colours[k], alpha=0.7,
                       linewidths=0, zorder=1)
            for k, mask in enumerate(masks)
        ]
        code = (np.zeros(len(points), dtype=np.intp) if self.labels is None
                else np.searchsorted(self.classes, self.labels))
        self.thumbnails_ = []
        for image, i in zip(self.images, self.indices, strict=True):
            pixels, cmap = _displayable(image)
            box = OffsetImage(pixels, zoom=thumbnail_size / max(pixels.shape[:2]), cmap=cmap,
                              norm=None if cmap is None else Normalize(0, 255),
                              interpolation="nearest")
            thumbnail = AnnotationBbox(box, tuple(points[i]), frameon=True, pad=0.15,
                                       bboxprops={"edgecolor": colours[code[i]],
                                                  "linewidth": 2.0})
            thumbnail.set_zorder(2)
            ax.add_artist(thumbnail)
            self.thumbnails_.append(thumbnail)
        ax.margins(0.08)  # room for the thumbnails of the outermost images
        axis = _AXIS_NAMES.get(self.method, self.method)
        ax.set_xlabel(f"{axis} 1")
        ax.set_ylabel(f"{axis} 2")
        if self.method != "pca":  # a non-linear map: its scale means nothing
            ax.set_xticks([])
            ax.set_yticks([])
        if legend and self.labels is not None:  # a frame per class, as the thumbnails have
            handles = [Line2D([], [], linestyle="", marker="s", markersize=9,
                              markerfacecolor="none", markeredgecolor=colour,
                              markeredgewidth=2.0, label=str(label))
                       for label, colour in zip(self.classes, colours, strict=True)]
            ax.legend(handles=handles, title="class", loc="upper left",
                      bbox_to_anchor=(1.01, 1.0), frameon=False,
                      ncols=1 + (len(self.classes) - 1) // 25)
        if titled:
            ax.set_title(f"{_TITLES.get(self.method, self.method)} of the embeddings: "
                         f"{len(self.indices)} of {len(points)} images shown",
                         fontsize="medium")
        self.figure_, self.ax_ = figure, ax
        return self

    def _colours(self) -> list:
        """One colour per class, in ``classes`` order (grey for no labels)."""
        if self.labels is None:
            return [_NO_CLASS_COLOUR]
        import matplotlib

        k = len(self.classes)
        if k <= 10:
            return list(matplotlib.colormaps["tab10"].colors[:k])
        if k <= 20:
            return list(matplotlib.colormaps["tab20"].colors[:k])
        return [tuple(c) for c in matplotlib.colormaps["turbo"](np.linspace(0.03, 0.97, k))]


def _draw(cls, embeddings: np.ndarray, images, y, *, source: str, method, max_images,
          random_state, thumbnail_size, legend, ax) -> EmbeddingDisplay:
    """Project ``embeddings``, pick the thumbnails and draw: both constructors' work."""
    _check_thumbnail_size(thumbnail_size)
    if max_images is not None and (isinstance(max_images, bool)
                                   or not isinstance(max_images, Integral) or max_images < 0):
        raise ValueError(
            "max_images must be an int >= 0 (0 draws only the dots) or None (a thumbnail "
            f"for every image); received {max_images!r}."
        )
    n = len(embeddings)
    if len(images) != n:
        raise ValueError(
            f"images holds {len(images)} images but {source} has {n} rows: pass the "
            "images the embeddings were computed from, one per row, in the same order."
        )
    labels = None if y is None else _check_labels(y, n, source)
    projector, name = _projector(method, embeddings.shape, random_state)
    coordinates = np.asarray(projector.fit_transform(embeddings), dtype=float)
    if coordinates.shape != (n, 2):
        raise ValueError(
            f"method={name!r} returned shape {coordinates.shape} from fit_transform; the "
            f"map needs ({n}, 2): set its n_components=2."
        )
    indices = _sample(n, labels, max_images, random_state)
    return cls(coordinates, _thumbnails(images, indices), labels, indices=indices,
               method=name).plot(ax=ax, thumbnail_size=thumbnail_size, legend=legend)


def _check_thumbnail_size(thumbnail_size) -> None:
    if not (isinstance(thumbnail_size, Real) and not isinstance(thumbnail_size, bool)
            and thumbnail_size > 0):
        raise ValueError("thumbnail_size must be a positive number of points (28 is about "
                         f"a thumbnail the height of two lines of text); received "
                         f"{thumbnail_size!r}.")


def _check_embeddings(embeddings, source: str) -> np.ndarray:
    """``embeddings`` as a finite float matrix, or a ValueError saying what it is."""
    try:
        matrix = np.asarray(embeddings, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source} must be a numeric matrix (n_samples, n_features); it "
                         f"could not be read as numbers: {exc}.") from exc
    if matrix.ndim != 2:
        raise ValueError(
            f"{source} must be 2-D (n_samples, n_features), one feature vector per image; "
            f"received shape {matrix.shape}. Flatten each image's features into one row "
            "(embeddings.reshape(len(embeddings), -1))."
        )
    bad = ~np.isfinite(matrix).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{source} holds NaN or infinite values in {int(bad.sum())} rows (the first is "
            f"row {int(np.flatnonzero(bad)[0])}); drop those images or fix their features."
        )
    if len(matrix) > 1 and not np.ptp(matrix, axis=0).any():
        raise ValueError(
            f"{source} gives every image the same features, so there is no map to draw "
            "(and scikit-learn's t-SNE crashes on it). Check the backbone: a constant or "
            "untrained one, or images that are all alike."
        )
    return matrix


def _check_labels(y, n: int, source: str) -> np.ndarray:
    """``y`` as a 1-D array with one label per row, or a ValueError naming both counts."""
    labels = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if labels.ndim != 1:
        raise ValueError(
            "y must hold one class per image, shape (n_samples,); received shape "
            f"{labels.shape}. For multi-label targets, pass the one label to colour by "
            "(a column of the indicator matrix, say)."
        )
    if len(labels) != n:
        raise ValueError(
            f"y has {len(labels)} labels but {source} has {n} rows: pass one label per "
            "image, in the same order."
        )
    return labels


def _classes(labels: np.ndarray) -> np.ndarray:
    try:
        return np.unique(labels)
    except TypeError as exc:  # labels of mixed types do not sort
        raise ValueError(
            "y holds labels of mixed types that cannot be sorted (such as numbers and "
            f"strings: {sorted({type(v).__name__ for v in labels.tolist()})}); pass labels "
            "of one type."
        ) from exc


def _projector(method, shape: tuple[int, int], random_state):
    """The unfitted 2-D projection ``method`` asks for, and its name."""
    from sklearn.base import clone

    n, d = shape
    if not isinstance(method, str):
        if not hasattr(method, "fit_transform"):
            raise ValueError(f"method must be one of {list(_METHODS)} or an estimator with "
                             f"fit_transform; received {method!r}.")
        return clone(method), type(method).__name__
    if method not in _METHODS:
        raise ValueError(f"method must be one of {list(_METHODS)} or an estimator with "
                         f"fit_transform; received method={method!r}.")
    if n < 2:
        raise ValueError(
            f"A map needs at least 2 images to place; received embeddings of {n} image(s)."
        )
    if method == "pca":
        from sklearn.decomposition import PCA

        if d < 2:
            raise ValueError(
                f"method='pca' needs at least 2 features to project onto 2 axes; the "
                f"embeddings have shape {shape}. Use method='tsne', or embed with a backbone "
                "that gives more features."
            )
        return PCA(n_components=2, random_state=random_state), "pca"
    from sklearn.manifold import TSNE

    # Below n / 3: t-SNE looks at 3 * perplexity neighbours of each image, and when that
    # is all of them every image is every other's neighbour and clusters merge.
    return TSNE(n_components=2, perplexity=min(30.0, (n - 1) / 3),
                init="pca" if d >= 2 else "random", random_state=random_state), "tsne"


def _sample(n: int, labels, max_images, random_state) -> np.ndarray:
    """Sorted rows to draw as thumbnails: all when they fit, else a random sample in
    which each class has its share (and each class one at least, while there is room)."""
    from sklearn.utils import check_random_state

    if max_images is None or max_images >= n:
        return np.arange(n)
    rng = check_random_state(random_state)
    if labels is None:
        return np.sort(rng.choice(n, size=max_images, replace=False))
    codes = np.unique(labels, return_inverse=True)[1].ravel()
    order = rng.permutation(n)
    rank = np.empty(n)
    for code in np.unique(codes):
        members = order[codes[order] == code]
        rank[members] = np.arange(len(members)) / len(members)  # 0, 1/k, 2/k... per class
    return np.sort(np.lexsort((rng.random_sample(n), rank))[:max_images])


def _thumbnails(images, indices: np.ndarray) -> list[np.ndarray]:
    """The images at ``indices``: rows of an image array, or files decoded small (at most
    64 pixels on the longest side, aspect kept)."""
    from .._utils.imaging import map_threads, read_image, read_size

    array = images.to_numpy() if hasattr(images, "to_numpy") else np.asarray(images)
    if array.ndim == 1:
        def read(path) -> np.ndarray:
            height, width = read_size(path)
            scale = min(1.0, _THUMBNAIL_PIXELS / max(height, width))
            return read_image(path, (max(1, round(height * scale)),
                                     max(1, round(width * scale))))

        return map_threads(read, [str(array[i]) for i in indices], -1)
    if array.ndim not in (3, 4):
        raise ValueError(
            "images must be an array (n_samples, height, width[, channels]) or a 1-D array "
            f"of file paths; received shape {array.shape}."
        )
    return [array[i] for i in indices]


def _displayable(image) -> tuple[np.ndarray, str | None]:
    """``image`` as uint8 RGB or one channel, and the colour map that shows it."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(np.nan_to_num(image), 0, 255).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    return image, "gray" if image.ndim == 2 else None
