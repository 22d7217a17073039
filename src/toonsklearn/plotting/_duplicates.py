"""Groups of duplicate images, a row of thumbnails each; and the checks of an audit's
result that both audit Displays (this one and ``_label_issues.py``) share."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from .._utils.imaging import plain_path
from ._base import axes_grid, check_count, show_image
from ._embedding import _thumbnails

DUPLICATE_COLUMNS = ("group", "index", "path", "kind", "similarity")
_NAME_CHARACTERS = 22  # longest file name under a thumbnail before it is shortened


class DuplicatesDisplay:
    """Groups of duplicate images, one row of thumbnails a group.

    Each row is one group of :func:`~toonsklearn.inspection.find_duplicates`, its first
    member first; every thumbnail is titled with how it duplicates that first member
    (``"exact"`` or ``"near"``) and its similarity to it, and named below by its file
    (``X[i]`` for arrays). The groups come in the order of the result (largest first,
    for ``find_duplicates``); at most ``max_groups`` rows and ``max_per_group``
    members a row are drawn, and a row says how many members it leaves out
    (``"+3 more"``). Only the images drawn are decoded (files small, at most 64 pixels
    on the longest side). Use
    :meth:`~toonsklearn.plotting.DuplicatesDisplay.from_data` or
    :meth:`~toonsklearn.plotting.DuplicatesDisplay.from_result`.

    Parameters
    ----------
    images : list of ndarray
        One image per row of ``duplicates``, in the same order: ``(height, width[,
        channels])`` arrays, uint8 or 0-255 floats.
    duplicates : pandas DataFrame
        The rows to draw, with the columns of ``find_duplicates`` (``group``,
        ``index``, ``path``, ``kind``, ``similarity``). Groups are drawn in the order
        they first appear, each group's members in row order.
    n_members : dict or None, default=None
        How many members each group has in all (group -> count); a row with fewer
        drawn says how many it leaves out. None means the rows given are all.
    n_groups : int or None, default=None
        How many groups were found in all, of which these are the first; None means
        just these.

    Attributes
    ----------
    groups : list
        The groups drawn, in row order.
    figure_ : matplotlib Figure
        The figure drawn in.
    axes_ : ndarray of matplotlib Axes of shape (n_rows, n_columns)
        A row per group (one Axes saying "No duplicates found" when there is none);
        the Axes of a row past its members are switched off, but for the last of a
        row that leaves members out, which says how many.

    See Also
    --------
    toonsklearn.inspection.find_duplicates : Find the groups of exact and near duplicates.
    toonsklearn.inspection.leakage : The test images that duplicate training images.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> import pandas as pd
    >>> from toonsklearn.plotting import DuplicatesDisplay
    >>> X = np.zeros((5, 8, 8, 3), dtype=np.uint8)
    >>> duplicates = pd.DataFrame({"group": [0, 0, 0, 1, 1], "index": [4, 0, 2, 1, 3],
    ...                            "path": None, "kind": ["exact", "exact", "near",
    ...                                                   "near", "near"],
    ...                            "similarity": [1.0, 1.0, 0.96, 1.0, 0.93]})
    >>> display = DuplicatesDisplay.from_result(X, duplicates, max_per_group=2)
    >>> display.axes_.shape, display.axes_[0, 1].get_title()
    ((2, 3), 'exact 1.000')
    >>> [text.get_text() for text in display.axes_[0, 2].texts]
    ['+1 more']
    """

    def __init__(self, images, duplicates, *, n_members=None, n_groups=None):
        duplicates = check_numbers(check_columns(duplicates, DUPLICATE_COLUMNS, "duplicates",
                                                 "find_duplicates"),
                                   "similarity", "duplicates", "find_duplicates")
        if len(images) != len(duplicates):
            raise ValueError(
                f"images holds {len(images)} images but duplicates {len(duplicates)} rows: "
                "pass one image per row of duplicates, in the same order."
            )
        self.images = list(images)
        self.duplicates = duplicates.reset_index(drop=True)
        rows = self.duplicates.groupby("group", sort=False).indices  # first seen first
        self.groups = list(rows)
        self._rows = [rows[group] for group in self.groups]
        if n_members is not None and not isinstance(n_members, Mapping):
            raise ValueError("n_members must be a dict of group -> number of members, or "
                             f"None; received {type(n_members).__name__}.")
        counts = n_members or {}
        self.n_members = {group: max(len(members), int(counts.get(group, 0)))
                          for group, members in zip(self.groups, self._rows, strict=True)}
        self.n_groups = len(self.groups) if n_groups is None else int(n_groups)

    @classmethod
    def from_data(cls, X, *, max_groups=10, max_per_group=6, ax=None,
                  **kwargs) -> DuplicatesDisplay:
        """Find the duplicate images of ``X`` and draw their groups.

        Parameters
        ----------
        X : array-like
            Images ``(n_samples, height, width[, channels])`` or a 1-D array of file
            paths.
        max_groups : int, default=10
            Most groups to draw, the first of the result (the largest).
        max_per_group : int, default=6
            Most members of a group to draw; a row with more says how many it leaves
            out.
        ax : array of matplotlib Axes or None, default=None
            Axes to draw in, used row by row (at least a group's row of them per
            group); None makes a new figure.
        **kwargs
            Passed to :func:`~toonsklearn.inspection.find_duplicates`: ``threshold``,
            ``embedder``, ``on_error``.

        Returns
        -------
        display : DuplicatesDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from toonsklearn.plotting import DuplicatesDisplay
        >>> rng = np.random.default_rng(0)
        >>> X = rng.integers(0, 256, size=(4, 8, 8, 3), dtype=np.uint8)
        >>> X[3] = X[1]  # an exact copy
        >>> display = DuplicatesDisplay.from_data(X)
        >>> display.duplicates[["group", "index", "kind"]].to_numpy().tolist()
        [[0, 1, 'exact'], [0, 3, 'exact']]
        """
        from ..inspection import find_duplicates

        return cls.from_result(X, find_duplicates(X, **kwargs), max_groups=max_groups,
                               max_per_group=max_per_group, ax=ax)

    @classmethod
    def from_result(cls, X, duplicates, *, max_groups=10, max_per_group=6,
                    ax=None) -> DuplicatesDisplay:
        """Draw the groups of duplicates that ``find_duplicates`` found in ``X``.

        Parameters
        ----------
        X : array-like
            The images given to :func:`~toonsklearn.inspection.find_duplicates`, in
            the same order: ``(n_samples, height, width[, channels])`` or a 1-D array
            of file paths (only the files drawn are decoded).
        duplicates : pandas DataFrame
            Its result: a row per member of a group, with the columns ``group``,
            ``index`` (the position in ``X``), ``path``, ``kind`` and ``similarity``.
            A result saved and read back (``to_csv``, ``read_csv``) works too.
        max_groups : int, default=10
            Most groups to draw, in the order they first appear in ``duplicates``.
        max_per_group : int, default=6
            Most members of a group to draw, in row order; a row with more says how
            many it leaves out.
        ax : array of matplotlib Axes or None, default=None
            Axes to draw in, used row by row (at least a group's row of them per
            group); None makes a new figure.

        Returns
        -------
        display : DuplicatesDisplay
            The drawn display; "No duplicates found" when ``duplicates`` has no rows.

        Raises
        ------
        ValueError
            ``duplicates`` is not a DataFrame with those columns, an ``index`` is not
            a position in ``X``, or a ``path`` is not the file at that position of
            ``X`` (another ``X`` than the one searched).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> import pandas as pd
        >>> from toonsklearn.plotting import DuplicatesDisplay
        >>> X = np.zeros((3, 8, 8, 3), dtype=np.uint8)
        >>> none = pd.DataFrame(columns=["group", "index", "path", "kind", "similarity"])
        >>> display = DuplicatesDisplay.from_result(X, none)
        >>> [text.get_text() for text in display.axes_[0, 0].texts]
        ['No duplicates found']
        """
        check_count("max_groups", max_groups)
        check_count("max_per_group", max_per_group)
        images = check_images(X)
        frame = check_result(duplicates, DUPLICATE_COLUMNS, "duplicates", "find_duplicates",
                             len(images), "similarity")
        if frame["group"].isna().any():
            raise ValueError(
                "duplicates['group'] holds missing values (the first in row "
                f"{int(np.flatnonzero(frame['group'].isna())[0])}): pass the DataFrame "
                "toonsklearn.inspection.find_duplicates returns, every row in a group."
            )
        rows = frame.groupby("group", sort=False).indices
        groups = list(rows)[:max_groups]
        taken = [rows[group][:max_per_group] for group in groups]
        shown = frame.iloc[np.concatenate(taken) if taken else []]
        shown, thumbnails = load_images(images, shown, "duplicates", "find_duplicates")
        return cls(thumbnails, shown,
                   n_members={group: len(rows[group]) for group in groups},
                   n_groups=len(rows)).plot(ax=ax)

    def plot(self, ax=None) -> DuplicatesDisplay:
        """Draw the groups: a row of thumbnails each, its first member first.

        Parameters
        ----------
        ax : array of matplotlib Axes or None, default=None
            Axes to draw in, used row by row: at least ``n_rows * n_columns`` of them,
            a row per group and a column per member drawn (and one more where a row
            leaves members out); None makes a new figure.

        Returns
        -------
        display : DuplicatesDisplay
            With ``figure_`` and ``axes_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> import pandas as pd
        >>> from toonsklearn.plotting import DuplicatesDisplay
        >>> rows = pd.DataFrame({"group": [0, 0], "index": [3, 7],
        ...                      "path": ["a/cat.png", "b/cat copy.png"],
        ...                      "kind": ["exact", "exact"], "similarity": [1.0, 1.0]})
        >>> display = DuplicatesDisplay(np.zeros((2, 8, 8, 3), np.uint8), rows,
        ...                             n_members={0: 5}).plot()
        >>> [ax.get_xlabel() for ax in display.axes_[0, :2]], display.axes_[0, 2].texts[0]
        (['cat.png', 'cat copy.png'], Text(0.5, 0.5, '+3 more'))
        """
        widths = [len(rows) + (self.n_members[group] > len(rows))
                  for group, rows in zip(self.groups, self._rows, strict=True)]
        ncols = max(widths, default=1)
        figure, axes = axes_grid(len(self.groups) * ncols, ax, ncols=ncols, cell=(1.8, 2.1))
        axes = axes.reshape(-1, ncols)
        if not self.groups:
            axes[0, 0].set_axis_off()
            axes[0, 0].text(0.5, 0.5, "No duplicates found", ha="center", va="center")
        frame = self.duplicates
        for group, rows, row_axes in zip(self.groups, self._rows, axes, strict=False):
            for k, (i, panel) in enumerate(zip(rows, row_axes, strict=False)):
                show_image(panel, self.images[i], f"{frame['kind'].iat[i]} "
                           f"{float(frame['similarity'].iat[i]):.3f}")
                panel.set_xlabel(_short(image_name(frame["path"].iat[i],
                                                   frame["index"].iat[i])),
                                 fontsize="x-small")
                if k == 0:
                    panel.set_ylabel(f"group {group}\n{self.n_members[group]} images",
                                     fontsize="small")
            for panel in row_axes[len(rows):]:
                panel.set_axis_off()
            left_out = self.n_members[group] - len(rows)
            if left_out:
                row_axes[len(rows)].text(0.5, 0.5, f"+{left_out} more", ha="center",
                                         va="center", fontsize="medium")
        if ax is None:
            figure.suptitle(f"Duplicate groups: {len(self.groups)} of {self.n_groups}",
                            fontsize="medium")
        self.figure_, self.axes_ = figure, axes
        return self


def check_columns(frame, columns: tuple[str, ...], name: str, producer: str):
    """``frame`` if it is a DataFrame with ``columns``, else an error naming the columns
    it lacks and the function whose result it should be."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"{name} must be the pandas DataFrame toonsklearn.inspection.{producer} "
            f"returns; received {type(frame).__name__}."
        )
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} lacks the columns {missing}: pass the DataFrame "
            f"toonsklearn.inspection.{producer} returns, with the columns {list(columns)}; "
            f"received the columns {[str(c) for c in frame.columns]}."
        )
    return frame


def check_images(X) -> np.ndarray:
    """``X`` as an array of images ``(n, h, w[, c])`` or a 1-D array of paths (from a
    column of them too)."""
    images = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    if images.ndim == 2 and images.shape[1] == 1 and images.dtype.kind in "OUS":
        images = images[:, 0]  # a column of paths, as the loaders take it
    if images.ndim not in (1, 3, 4):
        raise ValueError(
            "X must be the images the audit was run on: an array (n_samples, height, "
            f"width[, channels]) or a 1-D array of file paths; received shape "
            f"{images.shape}."
        )
    return images


def check_result(frame, columns: tuple[str, ...], name: str, producer: str,
                 n_images: int, numeric: str):
    """``frame`` checked against ``X`` of ``n_images`` images: the columns, an ``index``
    column of whole positions in ``X`` (returned as ints) and a ``numeric`` column of
    numbers (returned as floats)."""
    import pandas as pd

    frame = check_numbers(check_columns(frame, columns, name, producer), numeric, name,
                          producer)
    index = frame["index"]
    fix = f"pass the X given to {producer}, in the same order"
    if not pd.api.types.is_integer_dtype(index):
        numbers = pd.to_numeric(index.astype(object), errors="coerce").astype(float)
        bad = numbers.isna() | (numbers != np.round(numbers))
        if pd.api.types.is_bool_dtype(index):
            bad[:] = True
        if bad.any():
            raise ValueError(
                f"{name}['index'] must hold the positions of the images in X, whole "
                f"numbers; received {plain(index[bad].iloc[0])!r}: {fix}."
            )
        frame = frame.assign(index=numbers.astype(np.int64))
    index = frame["index"].to_numpy()
    if len(index) and not 0 <= index.min() <= index.max() < n_images:
        bad = index[(index < 0) | (index >= n_images)][0]
        raise ValueError(
            f"{name}['index'] holds {int(bad)}, but X has {n_images} images (positions 0 "
            f"to {n_images - 1}): {fix}."
        )
    return frame


def check_numbers(frame, column: str, name: str, producer: str):
    """``frame`` with ``column`` as floats (missing values NaN), or an error naming a
    value that is not a number."""
    import pandas as pd

    numbers = pd.to_numeric(frame[column], errors="coerce")
    bad = numbers.isna() & frame[column].notna()
    if bad.any():
        raise ValueError(
            f"{name}[{column!r}] must hold numbers, as toonsklearn.inspection.{producer} "
            f"returns; received {plain(frame[column][bad].iloc[0])!r}."
        )
    return frame.assign(**{column: numbers.astype(float)})


def load_images(images: np.ndarray, rows, name: str, producer: str):
    """``rows`` and their images (of their ``index`` column): rows of an image array, or
    the files decoded small. For paths, the ``path`` of ``rows`` must be those files
    (where it is missing, as in a result read back from CSV, it becomes the path in
    ``X``)."""
    positions = rows["index"].to_numpy(dtype=np.intp)
    if images.ndim == 1:
        for position, recorded in zip(positions, rows["path"], strict=True):
            given = images[position]
            if not isinstance(given, (str, os.PathLike)):
                raise ValueError(
                    f"X[{position}] is {plain(given)!r}, not a file path: pass the X given to "
                    f"{producer}, every entry an image file."
                )
            if _is_path(recorded) and not _same_file(recorded, given):
                raise ValueError(
                    f"{name} names {plain_path(recorded)!r} for index {position}, but "
                    f"X[{position}] is {plain_path(given)!r}: pass the X given to "
                    f"{producer}, in the same order."
                )
        rows = rows.assign(path=[plain_path(images[i]) for i in positions])
    return rows, _thumbnails(images, positions)


def plain(value):
    """A NumPy scalar as the Python value it holds, so messages show ``1.5``, not
    ``np.float64(1.5)``."""
    return value.item() if isinstance(value, np.generic) else value


def image_name(path, index) -> str:
    """What a thumbnail is called: its file's name, or ``X[index]``."""
    return os.path.basename(os.fspath(path)) if _is_path(path) else f"X[{int(index)}]"


def _short(text: str) -> str:
    if len(text) <= _NAME_CHARACTERS:
        return text
    half = (_NAME_CHARACTERS - 1) // 2
    return f"{text[:half]}…{text[-half:]}"


def _is_path(value) -> bool:
    return isinstance(value, (str, os.PathLike)) and bool(os.fspath(value))


def _same_file(recorded, given) -> bool:
    recorded, given = os.fspath(recorded), os.fspath(given)
    return recorded == given or os.path.realpath(recorded) == os.path.realpath(given)
