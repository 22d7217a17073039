"""A fitted model's predictions over a video: a table of who is on screen when."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError

from .._utils.targets import decide, is_multilabel
from ._frames import read_frames

__all__ = ["predict_video"]


def predict_video(
    estimator,
    path,
    every: float | None = 1.0,
    *,
    start: float | None = None,
    end: float | None = None,
    smooth: int | None = None,
    batch_size: int = 128,
    max_pixels: int | None = None,
    verbose: bool = False,
):
    """Predict the frames of a video, one every ``every`` seconds: a timeline table.

    The frames are read with :func:`read_frames`, streaming, and given to the estimator
    ``batch_size`` at a time, so memory stays bounded for a video of any length. Each
    frame is prepared as the estimator's images were: by the Pipeline's
    :class:`~toonsklearn.ImageFolderLoader` (its ``size``, ``resize`` and
    ``color_mode``) when the Pipeline starts with one, else at the input size of the
    model (a Pipeline starting with another step gets the frames at their own size).

    Parameters
    ----------
    estimator : CNNClassifier, TransferClassifier, MultiLabelCNN or Pipeline
        A fitted estimator, or a fitted Pipeline ending in one (or in any classifier
        with ``predict_proba`` and ``classes_``).
    path : str or path-like
        The video file.
    every : float or None, default=1.0
        Seconds between the frames predicted; None predicts every frame.
    start, end : float or None, default=None
        Seconds from the start of the video where to begin and stop.
    smooth : int or None, default=None
        An odd number of neighbouring frames whose median probability replaces each
        frame's (per class), before the labels are chosen: it removes one-frame flickers
        shorter than half the window. None (or 1) leaves the probabilities as predicted.
        Smoothed probabilities of one frame need not sum to 1.
    batch_size : int, default=128
        Frames given to the estimator at once.
    max_pixels : int or None, default=None
        Refuse a video whose frames have more pixels (see :func:`read_frames`).
    verbose : bool, default=False
        Report the seconds of video done, after each batch, on standard error (so that
        a table printed on standard output stays clean).

    Returns
    -------
    timeline : pandas DataFrame
        One row per frame predicted: ``time`` (seconds), then ``label`` (the predicted
        class) or, for a multi-label model, ``labels`` (a tuple of the labels on
        screen, maybe empty), then ``proba_<class>`` per class. ``timeline.attrs`` holds
        ``classes``, ``multilabel``, ``every`` and ``path``.

    Raises
    ------
    NotFittedError
        The estimator is not fitted.
    VideoDecodeError, MissingFileError, NotRegularFileError, ImageTooLargeError
        As :func:`read_frames` raises them.

    See Also
    --------
    toonsklearn.plotting.TimelineDisplay : Draws the table.

    Examples
    --------
    >>> import os, tempfile
    >>> from toonsklearn import CNNClassifier
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn.video import predict_video, write_video
    >>> X, y = make_toons(40, image_size=16, random_state=0)
    >>> clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "clip.mp4")
    >>> write_video(path, X[:4].repeat(5, axis=0), fps=5)  # 4 seconds
    >>> timeline = predict_video(clf, path, every=0.5)
    >>> list(timeline.columns), len(timeline)
    (['time', 'label', 'proba_jerry', 'proba_tom'], 8)
    """
    import pandas as pd
    from sklearn.utils.validation import check_is_fitted

    if isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 1:
        raise InvalidParameterError(
            f"batch_size must be a positive int; received batch_size={batch_size!r}.")
    if smooth is not None and (isinstance(smooth, bool) or not isinstance(smooth, Integral)
                               or smooth < 1 or smooth % 2 == 0):
        raise InvalidParameterError(
            "smooth must be an odd number of frames (3, 5, 7...) or None; received "
            f"smooth={smooth!r}.")
    check_is_fitted(estimator)
    model, final, settings = _frame_settings(estimator)
    times, parts = [], []
    with read_frames(path, every, start=start, end=end, max_pixels=max_pixels,
                     **settings) as frames, _progress(frames, start, end, verbose) as progress:
        batch = []
        for time, image in frames:
            times.append(time)
            batch.append(image)
            if len(batch) == batch_size:
                parts.append(model.predict_proba(np.stack(batch)))
                batch = []
                progress.advance(int(time - (start or 0)) - progress.done)
        if batch:
            parts.append(model.predict_proba(np.stack(batch)))
        progress.advance(progress.total)
    # Plain Python names (not NumPy scalars), so the table reads back from a CSV file.
    classes = [name.item() if isinstance(name, np.generic) else name
               for name in np.asarray(final.classes_).tolist()]
    proba = np.concatenate(parts) if parts else np.zeros((0, len(classes)))
    if smooth is not None and smooth > 1 and len(proba):
        from scipy.ndimage import median_filter

        proba = median_filter(proba, size=(smooth, 1), mode="nearest")
    multilabel = is_multilabel(final)
    decided = decide(final, proba) if len(proba) else np.zeros((0, len(classes)))
    table = {"time": np.asarray(times, dtype=float)}
    if multilabel:
        table["labels"] = [tuple(np.asarray(classes, dtype=object)[row.astype(bool)])
                           for row in decided]
    else:
        table["label"] = decided if len(proba) else np.asarray([], dtype=final.classes_.dtype)
    for column, name in enumerate(classes):
        table[f"proba_{name}"] = proba[:, column]
    timeline = pd.DataFrame(table)
    timeline.attrs.update(classes=classes, multilabel=multilabel, every=every,
                          path=str(path))
    return timeline


def _progress(frames, start, end, verbose: bool):
    """A report of the seconds of the video predicted, out of those its header gives."""
    import math
    import os
    import sys

    from .._utils.progress import Progress

    stop = frames.duration if end is None else min(end, frames.duration or end)
    seconds = math.ceil(stop - (start or 0)) if stop is not None else 0
    return Progress(f"Predicting {os.path.basename(frames.path)} (seconds)", max(seconds, 0),
                    enabled=verbose and seconds > 0, stream=sys.stderr)


def _frame_settings(estimator):
    """The model that predicts the frames, its final classifier, and how
    :func:`read_frames` must prepare a frame for it (size, resize, color_mode)."""
    from sklearn.pipeline import Pipeline

    from ..estimators._base import final_step
    from ..loaders import ImageFolderLoader

    _, final = final_step(estimator)
    if not (hasattr(estimator, "predict_proba") and hasattr(final, "classes_")):
        raise TypeError(
            "predict_video needs a fitted classifier with predict_proba and classes_ (a "
            "CNNClassifier, TransferClassifier, MultiLabelCNN, or a Pipeline ending in one); "
            f"received {type(final).__name__}.")
    model, first = estimator, estimator
    while isinstance(first, Pipeline):
        first = first.steps[0][1]
    if isinstance(first, ImageFolderLoader):
        model = _without_first_step(estimator)
        return model, final, {"size": first.size, "resize": first.resize,
                              "color_mode": first.color_mode}
    shape = getattr(first, "image_shape_", None)
    if shape is not None and len(shape) == 3:  # one of ours, fitted: its input size
        return model, final, {"size": tuple(shape[:2]),
                              "color_mode": "grayscale" if shape[2] == 1 else "rgb"}
    return model, final, {}


def _without_first_step(pipeline):
    """``pipeline`` without its first step (which reads files), nested Pipelines too."""
    from sklearn.pipeline import Pipeline

    name, inner = pipeline.steps[0]
    if isinstance(inner, Pipeline) and len(inner) > 1:
        return Pipeline([(name, _without_first_step(inner)), *pipeline.steps[1:]])
    return pipeline[1:]
