"""Who is on screen when in a video: a band per class, drawn from the table of
:func:`~toonsklearn.video.predict_video`."""

from __future__ import annotations

import ast
import os

import numpy as np
import pandas as pd

from ._base import check_labels, pyplot

_CLOCK_ABOVE = 120.0  # seconds: longer videos get m:ss ticks
_TICKS = (10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200)
_TABLE = ("pass the table toonsklearn.video.predict_video returns (columns time, label or "
          "labels, proba_<class>...), or that table read back with pandas.read_csv")


class TimelineDisplay:
    """Who is on screen when in a video: one band per class, its screen time in the legend.

    Each frame predicted at time ``t_i`` counts for ``[t_i, t_{i+1})``, the last one for
    ``step`` seconds; consecutive frames of a class merge into one span. Use
    :meth:`~toonsklearn.plotting.TimelineDisplay.from_estimator` (runs
    :func:`toonsklearn.video.predict_video`) or
    :meth:`~toonsklearn.plotting.TimelineDisplay.from_predictions` on its table.

    Parameters
    ----------
    times : array-like of shape (n_times,)
        When each frame is shown, in seconds, strictly increasing.
    on_screen : array-like of bool of shape (n_times, n_classes)
        Whether each class is predicted in each frame.
    display_labels : array-like of shape (n_classes,)
        The class (or label) names, in the columns' order.
    step : float or None, default=None
        Seconds the last frame counts for; None takes the median gap between the times
        (1 second with fewer than two times). ``step`` then holds the value used.
    title : str or None, default=None
        The Axes' title; None writes "Who is on screen".

    Attributes
    ----------
    screen_time_ : dict
        Seconds on screen per class name, in ``display_labels`` order (0.0 for a class
        never predicted, and for each class of an empty table).
    spans_ : dict
        Per class name, its ``(start, width)`` spans in seconds.
    timeline_ : pandas DataFrame or None
        The table drawn, when made by ``from_estimator`` or ``from_predictions``.
    figure_ : matplotlib Figure
        The figure drawn in.
    ax_ : matplotlib Axes
        The Axes drawn in.
    bars_ : list of matplotlib PolyCollection
        The spans of each class, as :meth:`matplotlib.axes.Axes.broken_barh` drew them.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from toonsklearn.plotting import TimelineDisplay
    >>> display = TimelineDisplay([0, 1, 2, 3], [[1, 0], [1, 1], [0, 0], [0, 1]],
    ...                           display_labels=["tom", "jerry"]).plot()
    >>> display.screen_time_, display.spans_["jerry"]
    ({'tom': 2.0, 'jerry': 2.0}, [(1.0, 1.0), (3.0, 1.0)])
    """

    def __init__(self, times, on_screen, *, display_labels, step: float | None = None,
                 title: str | None = None):
        self.times = _checked_times(times)
        self.on_screen = np.asarray(on_screen, dtype=bool)
        if self.on_screen.ndim != 2 or len(self.on_screen) != len(self.times):
            raise ValueError(
                f"on_screen must be (n_times, n_classes) = ({len(self.times)}, n_classes), a "
                f"row per time; received shape {self.on_screen.shape}.")
        self.display_labels = check_labels(display_labels, self.on_screen.shape[1],
                                           "on_screen")
        gaps = np.diff(self.times)
        if step is None:
            step = float(np.median(gaps)) if len(gaps) else 1.0
        if isinstance(step, (bool, str)) or not (np.isfinite(step) and step > 0):
            raise ValueError(f"step must be a number of seconds above 0; received {step!r}.")
        self.step, self.title, self.timeline_ = float(step), title, None
        edges = np.append(self.times, self.times[-1] + step if len(self.times) else 0.0)
        self.spans_, self.screen_time_ = {}, {}
        for name, shown in zip(self.display_labels.tolist(), self.on_screen.T, strict=True):
            change = np.diff(np.concatenate([[0], shown.astype(np.int8), [0]]))
            starts, stops = np.flatnonzero(change == 1), np.flatnonzero(change == -1)
            self.spans_[name] = [(float(edges[a]), float(edges[b] - edges[a]))
                                 for a, b in zip(starts, stops, strict=True)]
            self.screen_time_[name] = float(sum(width for _, width in self.spans_[name]))

    @classmethod
    def from_predictions(cls, timeline, *, title=None, ax=None) -> TimelineDisplay:
        """Draw a timeline table of :func:`toonsklearn.video.predict_video`.

        The classes are the ``proba_<class>`` columns, in order (``timeline.attrs``'s
        ``classes`` keeps their types where it is there); a ``labels`` column makes it a
        multi-label table, whose cells are tuples of names or, read back from a CSV file,
        such tuples written out or names joined with ";" (empty or NaN for none). The
        last frame counts for ``attrs["every"]`` seconds where known, else the median
        gap. An empty table draws empty bands, each class 0 seconds on screen.

        Parameters
        ----------
        timeline : pandas DataFrame
            ``time``, then ``label`` or ``labels``, then ``proba_<class>`` per class.
        title : str or None, default=None
            The title; None takes the video's file name from ``timeline.attrs["path"]``.
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        display : TimelineDisplay
            The drawn display.

        Raises
        ------
        ValueError
            ``timeline`` is not such a table, its times do not increase, or a ``label``
            names a class without a ``proba_`` column.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from toonsklearn.plotting import TimelineDisplay
        >>> timeline = pd.DataFrame({"time": [0.0, 0.5, 1.0],
        ...                          "labels": [("tom",), ("tom", "jerry"), ()],
        ...                          "proba_tom": [0.9, 0.8, 0.1],
        ...                          "proba_jerry": [0.2, 0.7, 0.3]})
        >>> display = TimelineDisplay.from_predictions(timeline)
        >>> [text.get_text() for text in display.ax_.get_legend().get_texts()]
        ['tom: 1.0 s', 'jerry: 0.5 s']
        """
        if not isinstance(timeline, pd.DataFrame):
            raise ValueError(f"timeline must be a pandas DataFrame; received "
                             f"{type(timeline).__name__}: {_TABLE}.")
        names = [str(c)[len("proba_"):] for c in timeline.columns
                 if str(c).startswith("proba_")]
        for absent, what in (
                ("time" not in timeline.columns, "no 'time' column"),
                (not names, "no proba_<class> columns, which name the classes"),
                (not {"label", "labels"} & set(timeline.columns),
                 "no 'label' or 'labels' column")):
            if absent:
                raise ValueError(f"timeline has {what}: {_TABLE}.")
        attrs = timeline.attrs
        classes = list(attrs.get("classes") or [])
        if [str(c) for c in classes] != names:
            classes = names
        index = {_key(name): k for k, name in enumerate(classes)}
        multilabel = "labels" in timeline.columns
        on_screen = np.zeros((len(timeline), len(classes)), dtype=bool)
        for row, cell in enumerate(timeline["labels" if multilabel else "label"]):
            for name in _names(cell) if multilabel else [cell]:
                if _key(name) not in index:
                    raise ValueError(
                        f"Row {row} of timeline names {name!r}, which is not one of its "
                        f"classes {classes} (named by its proba_<class> columns): correct the "
                        "label, or pass the whole table, a proba_ column for each class.")
                on_screen[row, index[_key(name)]] = True
        if title is None and attrs.get("path"):
            title = os.path.basename(str(attrs["path"]))
        display = cls(timeline["time"], on_screen, display_labels=classes, step=attrs.get("every"),
                      title=title)
        display.timeline_ = timeline
        return display.plot(ax=ax)

    @classmethod
    def from_estimator(cls, estimator, path, *, every=1.0, smooth=None, title=None, ax=None,
                       **predict_video_params) -> TimelineDisplay:
        """Predict the frames of a video and draw who is on screen when.

        The frames are predicted by :func:`toonsklearn.video.predict_video`.

        Parameters
        ----------
        estimator : fitted CNNClassifier, TransferClassifier, MultiLabelCNN or Pipeline
            The model, as :func:`~toonsklearn.video.predict_video` takes it.
        path : str or path-like
            The video file.
        every : float or None, default=1.0
            Seconds between the frames predicted; None predicts every frame.
        smooth : int or None, default=None
            An odd number of frames whose median probability replaces each frame's.
        title : str or None, default=None
            The title; None takes the video's file name.
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.
        **predict_video_params
            Passed to :func:`~toonsklearn.video.predict_video` (``start``, ``end``,
            ``batch_size``, ``max_pixels``).

        Returns
        -------
        display : TimelineDisplay
            The drawn display; its ``timeline_`` is the table predicted.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import os, tempfile
        >>> from toonsklearn import CNNClassifier
        >>> from toonsklearn.datasets import make_toons
        >>> from toonsklearn.plotting import TimelineDisplay
        >>> from toonsklearn.video import write_video
        >>> X, y = make_toons(40, image_size=16, random_state=0)
        >>> clf = CNNClassifier(filters=(4,), epochs=1, random_state=0).fit(X, y)
        >>> path = os.path.join(tempfile.mkdtemp(), "clip.mp4")
        >>> write_video(path, X[:4].repeat(4, axis=0), fps=4)  # 4 seconds
        >>> display = TimelineDisplay.from_estimator(clf, path, every=0.5)
        >>> len(display.timeline_), sum(display.screen_time_.values()), display.ax_.get_title()
        (8, 4.0, 'clip.mp4')
        """
        from ..video import predict_video

        timeline = predict_video(estimator, path, every, smooth=smooth, **predict_video_params)
        return cls.from_predictions(timeline, title=title, ax=ax)

    def plot(self, ax=None) -> TimelineDisplay:
        """Draw a band per class, first class on top, with its spans and screen time.

        Videos over two minutes get ``m:ss`` ticks (``h:mm:ss`` past an hour).

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        display : TimelineDisplay
            With ``figure_``, ``ax_`` and ``bars_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from toonsklearn.plotting import TimelineDisplay
        >>> figure, ax = plt.subplots()
        >>> display = TimelineDisplay([0, 60, 120], [[True], [False], [True]],
        ...                           display_labels=["tom"]).plot(ax=ax)
        >>> display.figure_ is figure, display.ax_.get_xlabel()
        (True, 'time (m:ss)')
        """
        from matplotlib.ticker import FuncFormatter, MultipleLocator

        n = len(self.display_labels)
        if ax is None:
            _, ax = pyplot().subplots(figsize=(8, 1.2 + 0.45 * n), layout="constrained")
        start = float(self.times[0]) if len(self.times) else 0.0
        end = float(self.times[-1]) + self.step if len(self.times) else self.step
        clock, hours = end > _CLOCK_ABOVE, end >= 3600
        self.bars_ = []
        for k, name in enumerate(self.display_labels.tolist()):
            seconds = self.screen_time_[name]
            amount = f"{seconds:.1f} s"
            if clock:
                amount = f"{_clock(seconds, hours)} ({amount})"
            self.bars_.append(ax.broken_barh(self.spans_[name], (n - 1 - k - 0.4, 0.8),
                                             color=f"C{k % 10}", label=f"{name}: {amount}"))
        ax.set_yticks(range(n), [str(name) for name in self.display_labels[::-1]])
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xlim(start, end)
        if clock:
            span = end - start
            ax.xaxis.set_major_locator(MultipleLocator(next(
                (s for s in _TICKS if span / s <= 8), 3600 * np.ceil(span / 8 / 3600))))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _clock(x, hours)))
        ax.set_xlabel(f"time ({'h:mm:ss' if hours else 'm:ss'})" if clock else "time (s)")
        ax.set_title("Who is on screen" if self.title is None else self.title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small",
                  title="screen time")
        self.figure_, self.ax_ = ax.figure, ax
        return self


def _checked_times(times) -> np.ndarray:
    """``times`` as a 1-D float array, or a ValueError unless finite and increasing."""
    try:
        times = np.asarray(times, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError("times must be numbers of seconds, such as a timeline's time "
                         "column.") from exc
    if times.ndim != 1:
        raise ValueError(f"times must be 1-D, a time per frame; received shape {times.shape}.")
    gaps = np.diff(times)
    if not np.isfinite(times).all():
        row = int(np.argmax(~np.isfinite(times)))
        raise ValueError(f"times must be seconds; row {row} holds {times[row]}. Drop the "
                         "rows without a time.")
    if (gaps <= 0).any():
        row = int(np.argmax(gaps <= 0)) + 1
        raise ValueError(
            f"times must be strictly increasing; {times[row]} (row {row}) follows "
            f"{times[row - 1]}. Sort the table by time (timeline.sort_values('time')) and "
            "keep each frame once.")
    return times


def _key(name) -> str:
    """A class name as text, so that names read back from a CSV file match: 1.0 as 1."""
    if isinstance(name, (float, np.floating)) and float(name).is_integer():
        name = int(name)
    return str(name)


def _names(cell) -> list:
    """The names in a ``labels`` cell: a tuple, a tuple written out, "a;b", "" or NaN."""
    if isinstance(cell, (tuple, list, set, frozenset, np.ndarray)):
        return list(cell)
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)):
        return []
    text = str(cell).strip()
    if text.startswith(("(", "[")):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = None
        if isinstance(value, (tuple, list)):
            return list(value)
    return [part.strip() for part in text.split(";") if part.strip()]


def _clock(seconds: float, hours: bool) -> str:
    """``seconds`` as m:ss, or h:mm:ss."""
    h, rest = divmod(abs(int(round(seconds))), 3600)
    m, s = divmod(rest, 60)
    sign = "-" if seconds <= -0.5 else ""
    return sign + (f"{h}:{m:02d}:{s:02d}" if hours else f"{60 * h + m}:{s:02d}")
