"""What every Display shares: matplotlib on demand, grids of Axes, and the images an
estimator's network sees."""

from __future__ import annotations

import math

import numpy as np

INSTALL_HINT = 'pip install "toonsklearn[plot]" (or pip install matplotlib)'


def pyplot():
    """``matplotlib.pyplot``, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"toonsklearn.plotting draws with matplotlib, which is not installed: {INSTALL_HINT}."
        ) from exc
    return plt


def axes_grid(n: int, ax=None, *, ncols: int | None = None, cell=(2.2, 2.4)):
    """``n`` Axes in a grid: new ones in a new figure when ``ax`` is None, else the
    first ``n`` of ``ax`` (an Axes or an array of them), the rest switched off.

    Returns the figure and a flat array of the Axes used.
    """
    if ncols is not None and (isinstance(ncols, bool) or not isinstance(ncols, int)
                              or ncols < 1):
        raise ValueError(f"ncols must be a positive int or None; received {ncols!r}.")
    plt = pyplot()
    n_panels = max(n, 1)
    if ax is None:
        ncols = min(n_panels, ncols or math.ceil(math.sqrt(n_panels)))
        nrows = math.ceil(n_panels / ncols)
        figure, grid = plt.subplots(nrows, ncols, figsize=(cell[0] * ncols, cell[1] * nrows),
                                    squeeze=False, layout="constrained")
        grid = grid.ravel()
    else:
        grid = np.ravel(np.asarray(ax, dtype=object))
        if len(grid) < n_panels:
            raise ValueError(
                f"ax holds {len(grid)} Axes but this display draws {n_panels} panels; pass "
                f"at least {n_panels} Axes (for example plt.subplots(1, {n_panels})[1]) or "
                "ax=None for a new figure."
            )
        figure = grid[0].figure
    for extra in grid[n_panels:]:
        extra.set_axis_off()
    return figure, grid[:n_panels]


def show_image(ax, image: np.ndarray, title: str | None = None, heatmap=None,
               alpha: float = 0.45, title_color=None) -> None:
    """Draw one image (uint8 or 0-255 floats, RGB or one channel) with no ticks, and a
    heat map in [0, 1] over it, stretched to the image's size."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(np.nan_to_num(image), 0, 255).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    height, width = image.shape[:2]
    extent = (-0.5, width - 0.5, height - 0.5, -0.5)
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255,
              extent=extent, interpolation="nearest")
    if heatmap is not None:
        ax.imshow(heatmap, cmap="jet", alpha=alpha, vmin=0, vmax=1, extent=extent,
                  interpolation="bilinear")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize="small",
                     **({} if title_color is None else {"color": title_color}))


def model_images(estimator, X, indices=None, *, fitted: bool = True):
    """The final estimator of ``estimator`` (a Pipeline's last step, nested ones too) and
    the images ``X[indices]`` as its network takes them: through the Pipeline's earlier
    steps, decoded from files where they are paths, at the model's input size.

    With ``fitted=False`` the estimator need not be fitted: an unfitted one gets the
    images at the size a fit would choose, and unfitted earlier steps are fitted on a copy.
    """
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.pipeline import Pipeline
    from sklearn.utils import _safe_indexing
    from sklearn.utils.validation import check_is_fitted

    from ..estimators._base import ImageClassifierBase

    if indices is not None:
        X = _safe_indexing(X, np.asarray(indices, dtype=np.intp))
    final = estimator
    while isinstance(final, Pipeline):
        if len(final) > 1:
            steps = final[:-1]
            try:
                check_is_fitted(steps)
            except NotFittedError:
                if fitted:
                    raise
                steps = clone(steps).fit(X)  # an unfitted Pipeline: fit a copy
            X = steps.transform(X)
        final = final[-1]
    if not isinstance(final, ImageClassifierBase):
        raise TypeError(
            "This display looks inside the Keras network of a CNNClassifier, "
            "TransferClassifier or MultiLabelCNN (or a Pipeline ending in one); received "
            f"{type(final).__name__}."
        )
    if fitted and not hasattr(final, "model_"):
        raise NotFittedError(
            f"This {type(final).__name__} is not fitted yet; call fit before drawing it."
        )
    trained = hasattr(final, "model_")  # its own size; else a copy learns the size a fit would
    owner = final if trained else clone(final)
    source = owner._as_source(X, reset=not trained)
    with source.our_errors():
        return final, source.take(np.arange(len(source)), n_jobs=-1)


def images_of(X, indices) -> list[np.ndarray]:
    """``X[indices]`` as images: rows of an image array, or files decoded at their own size
    (only those shown are read)."""
    from .._utils.imaging import read_image

    array = np.asarray(X) if not hasattr(X, "iloc") else X.to_numpy()
    if array.ndim == 1:
        return [read_image(str(array[i]), None) for i in indices]
    if array.ndim not in (3, 4):
        raise ValueError(
            "images must be an array (n_samples, height, width[, channels]) or a 1-D array "
            f"of file paths; received shape {array.shape}."
        )
    return [array[i] for i in indices]


def check_rows(y_true, predictions, name: str) -> None:
    """A ValueError unless ``y_true`` has a row for each row of ``predictions``."""
    if len(y_true) != len(predictions):
        raise ValueError(
            f"y_true has {len(y_true)} rows but {name} {len(predictions)}: pass the true "
            "labels of the images that were predicted, one row each."
        )


def check_labels(display_labels, n: int, what: str) -> np.ndarray:
    """``display_labels`` as an array of ``n`` names, or a ValueError naming both counts."""
    labels = np.asarray(display_labels)
    if labels.ndim != 1 or len(labels) != n:
        raise ValueError(
            f"{what} is for {n} classes but {len(np.ravel(labels))} labels were given; "
            "pass one label per class, in the same order."
        )
    return labels


def check_count(name: str, value) -> None:
    """Refuse anything but a positive int for a count of images or draws."""
    if isinstance(value, bool) or not (isinstance(value, (int, np.integer)) and value >= 1):
        raise ValueError(f"{name} must be a positive int; received {value!r}.")


__all__ = ["INSTALL_HINT", "axes_grid", "check_count", "check_labels", "check_rows",
           "images_of", "model_images", "pyplot", "show_image"]
