"""Turn folders and CSV files of images into paths and labels, and paths into arrays."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions

from ._utils.imaging import (
    COLOR_MODES,
    RESIZE_MODES,
    check_max_pixels,
    check_size,
    image_files,
    map_threads,
    read_image,
    read_images,
)
from ._utils.labels_table import check_label_values, listed_paths, read_table
from ._utils.progress import Progress
from ._utils.validation import as_path_array
from .exceptions import (
    DataFolderError,
    EmptyClassWarning,
    ImageDecodeError,
    ImageTooLargeError,
    MissingFileError,
    NotRegularFileError,
    SkippedImagesWarning,
    ToonsklearnError,
    UnreadableFileError,
)

__all__ = ["ImageFolderLoader", "load_image_folder", "load_labels_csv"]

SPLIT_NAMES = ("train", "validation", "test")
_CHECK_SIZE = (8, 8)  # decoding to 8x8 reads every byte of a file but costs little


# Why a file was skipped, most specific first, as the warning counts them.
_SKIP_REASONS = (
    (MissingFileError, "missing or a broken link"),
    (UnreadableFileError, "not readable (permissions)"),
    (ImageTooLargeError, "over max_pixels"),
    (NotRegularFileError, "not a regular file (a FIFO, device or socket)"),
    (ImageDecodeError, "corrupt or not an image"),
)


def _check_files(
    paths: Sequence[str], max_pixels: int | None, n_jobs: int | None, verbose: bool = False
) -> list[ToonsklearnError | None]:
    """Decode every file small, so a bad one shows up where it can still be dropped."""

    def check(path: str) -> ToonsklearnError | None:
        try:
            read_image(path, _CHECK_SIZE, max_pixels=max_pixels)
        except ToonsklearnError as exc:
            return exc
        return None

    with Progress("Checking images", len(paths), enabled=verbose) as progress:
        return map_threads(check, paths, n_jobs, progress)


def _warn_skipped(
    errors: Sequence[ToonsklearnError], total: int, folders: Sequence[ToonsklearnError] = ()
) -> None:
    """One warning that counts the skipped files by reason and names a few of them."""
    message = f"Skipped {len(errors)} of {total} files, with their labels"
    if errors:
        message += f" {_skip_reasons(errors)}"
    if folders:
        names = ", ".join(repr(e.path) for e in folders[:3])
        message += (
            f"; and {len(folders)} folder{'s' if len(folders) > 1 else ''} that could not be "
            f"read (permissions), whose images are missing: {names}"
        )
    warnings.warn(message + ".", SkippedImagesWarning, stacklevel=3)


def _skip_reasons(errors: Sequence[ToonsklearnError]) -> str:
    """``"(2 corrupt or not an image; 1 missing or a broken link): 'a.png', ..."``: the
    skipped files counted by reason, and the first three named."""
    counts = dict.fromkeys((reason for _, reason in _SKIP_REASONS), 0)
    for error in errors:
        counts[next(reason for kind, reason in _SKIP_REASONS if isinstance(error, kind))] += 1
    counted = "; ".join(f"{n} {reason}" for reason, n in counts.items() if n)
    examples = ", ".join(repr(e.path) for e in errors[:3])
    return f"({counted}): {examples}{', ...' if len(errors) > 3 else ''}"


def _check_on_error(on_error: str) -> None:
    if on_error not in ("raise", "skip"):
        raise InvalidParameterError(
            f"on_error must be 'raise' or 'skip'; received on_error={on_error!r}.")


def load_image_folder(
    root: str | os.PathLike,
    *,
    subset: str | None = None,
    on_error: str = "raise",
    n_jobs: int | None = -1,
    max_pixels: int | None = None,
    verbose: bool = False,
) -> Bunch:
    """List the images in a folder with one sub-folder per class.

    Like :func:`sklearn.datasets.load_files`, but for images: ``root/<class>/...``
    gives one class per sub-folder (images in nested folders belong to the class
    folder above them). Hidden files such as ``.DS_Store`` and files without an
    image extension are ignored; extensions match in any case (``.JPG``).
    Every image is decoded once, in ``n_jobs`` threads, so that a corrupt file
    shows up here, where it can still be dropped together with its label.

    Parameters
    ----------
    root : str or path-like
        The folder. With ``subset``, the folder that holds ``train/``,
        ``validation/`` and ``test/``.
    subset : {"train", "validation", "test"} or None, default=None
        Read ``root/<subset>/<class>/`` instead of ``root/<class>/``.
    on_error : {"raise", "skip"}, default="raise"
        What to do with a file that is not a readable image (corrupt, truncated,
        a broken link, a FIFO or device, unreadable by this user, over
        ``max_pixels``) or a sub-folder that cannot be listed: raise an error of
        :mod:`toonsklearn.exceptions` naming it, or drop it together with its
        label and warn with the count of each kind. Only regular files are ever
        opened.
    n_jobs : int or None, default=-1
        Threads used to check the files; -1 uses all cores.
    max_pixels : int or None, default=None
        Refuse images with more pixels than this (read from the file's header,
        before decoding): an error, or a counted skip with ``on_error="skip"``.
        None leaves only Pillow's own limit, ``PIL.Image.MAX_IMAGE_PIXELS``.
    verbose : bool, default=False
        Report the files checked so far on standard output: a bar on a terminal, a
        line at each tenth elsewhere.

    Returns
    -------
    data : Bunch
        ``paths`` : ndarray of str, shape (n_samples,)
            Image file paths, sorted by class then name.
        ``target`` : ndarray of int, shape (n_samples,)
            Index of each image's class in ``target_names``.
        ``target_names`` : list of str
            Class folder names, sorted. A class folder with no images is
            kept (with a warning) so class indices agree across subsets.

    See Also
    --------
    load_labels_csv : Multi-label ground truth from a CSV file.
    ImageFolderLoader : Decode the listed paths into an array.

    Examples
    --------
    >>> import tempfile
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn import load_image_folder
    >>> root = make_toons(30, image_size=16, random_state=0, directory=tempfile.mkdtemp())
    >>> data = load_image_folder(root, subset="train")
    >>> data.target_names
    ['jerry', 'tom']
    >>> len(data.paths) == len(data.target)
    True
    """
    _check_on_error(on_error)
    check_max_pixels(max_pixels)
    root = Path(root)
    if subset is not None:
        if subset not in SPLIT_NAMES:
            raise InvalidParameterError(
                f"subset must be one of {SPLIT_NAMES} or None; received {subset!r}.")
        root = root / subset
    if not root.is_dir():
        what = "is not a folder" if os.path.lexists(root) else "does not exist"
        raise MissingFileError(f"The folder '{root}' {what}.", path=str(root))
    try:
        entries = sorted(root.iterdir())
    except PermissionError:
        raise UnreadableFileError(
            f"Cannot list the folder '{root}' (permission denied). Change its permissions "
            "(chmod a+rx).",
            path=str(root),
        ) from None
    class_dirs = [p for p in entries if p.is_dir() and not p.name.startswith(".")]
    if (
        subset is None
        and {p.name for p in class_dirs} & set(SPLIT_NAMES) == {p.name for p in class_dirs}
        and class_dirs
    ):
        raise DataFolderError(
            f"'{root}' holds split folders ({', '.join(p.name for p in class_dirs)}), not class "
            "folders. Pass subset='train' (or 'validation', 'test') to read one split.",
            path=str(root),
        )
    if not class_dirs:
        raise DataFolderError(
            f"'{root}' has no class sub-folders; expected '{root}/<class>/<image>'. Put each "
            "class's images in a sub-folder named after the class.",
            path=str(root),
        )
    paths, target, unreadable = [], [], []
    for index, class_dir in enumerate(class_dirs):
        files = image_files(class_dir, unreadable)
        if not files:
            warnings.warn(
                f"Class folder '{class_dir}' holds no images; class {class_dir.name!r} gets "
                "no samples.",
                EmptyClassWarning,
                stacklevel=2,
            )
        paths.extend(files)
        target.extend([index] * len(files))
    if unreadable and on_error == "raise":
        raise unreadable[0]
    errors = _check_files(paths, max_pixels, n_jobs, verbose)
    bad = [error for error in errors if error is not None]
    if bad and on_error == "raise":
        raise bad[0]
    if bad or unreadable:
        _warn_skipped(bad, len(paths), unreadable)
    keep = np.array([error is None for error in errors], dtype=bool)
    return Bunch(
        paths=np.asarray(paths, dtype=str)[keep],
        target=np.asarray(target, dtype=np.intp)[keep],
        target_names=[p.name for p in class_dirs],
    )


def load_labels_csv(
    csv: str | os.PathLike,
    image_dir: str | os.PathLike | None = None,
    filename_column: str = "filename",
    *,
    on_error: str = "raise",
    n_jobs: int | None = -1,
    max_pixels: int | None = None,
    verbose: bool = False,
) -> Bunch:
    """Read multi-label ground truth: one row per image, one 0/1 column per label.

    A file such as ``filename,tom,jerry`` / ``a.png,1,0`` / ``b.png,1,1`` becomes
    paths, an indicator matrix and the label names, ready for a multi-label
    estimator or :class:`sklearn.preprocessing.MultiLabelBinarizer`.

    Parameters
    ----------
    csv : str or path-like
        The CSV file.
    image_dir : str or path-like or None, default=None
        Folder the file names are relative to; by default the CSV's folder.
    filename_column : str, default="filename"
        Column holding file names. Every other column is a label.
    on_error : {"raise", "skip"}, default="raise"
        What to do with a listed file that is missing or not a readable image
        (as in :func:`load_image_folder`). A malformed table (empty, a missing
        or repeated file name, a label other than 0/1) always raises
        :class:`~toonsklearn.exceptions.LabelsFileError` naming the row.
    n_jobs : int or None, default=-1
        Threads used to check the files; -1 uses all cores.
    max_pixels : int or None, default=None
        Refuse images with more pixels than this, as in :func:`load_image_folder`.
    verbose : bool, default=False
        Report the files checked so far, as in :func:`load_image_folder`.

    Returns
    -------
    data : Bunch
        ``paths`` : ndarray of str, shape (n_samples,)
            Image file paths, in the file's row order.
        ``target`` : ndarray of int, shape (n_samples, n_labels)
            The 0/1 indicator matrix, one column per label.
        ``target_names`` : list of str
            The label columns, in file order.
        ``frame`` : pandas.DataFrame
            The rows kept, as read.

    See Also
    --------
    load_image_folder : Single-label data, one folder per class.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn import load_labels_csv
    >>> root = make_toons(20, task="multilabel", image_size=16, random_state=0,
    ...                   directory=tempfile.mkdtemp())
    >>> data = load_labels_csv(Path(root) / "train" / "ground_truth.csv")
    >>> data.target_names
    ['tom', 'jerry']
    >>> data.target.shape[1]
    2
    """
    _check_on_error(on_error)
    check_max_pixels(max_pixels)
    csv = os.fsdecode(csv)
    frame = read_table(csv, filename_column)
    lines = frame.index + 2  # the header is line 1; blank lines were kept as rows, then dropped
    label_columns = [c for c in frame.columns if c != filename_column]
    check_label_values(frame[label_columns], lines, csv)
    image_dir = os.path.dirname(csv) if image_dir is None else os.fsdecode(image_dir)
    paths = listed_paths(frame[filename_column], lines, csv, image_dir)
    errors = _check_files(paths, max_pixels, n_jobs, verbose)
    bad = [(line, e) for line, e in zip(lines, errors, strict=True) if e is not None]
    if bad and on_error == "raise":
        line, error = bad[0]
        missing = [e for _, e in bad if isinstance(e, MissingFileError)]
        if isinstance(error, MissingFileError):
            raise MissingFileError(
                f"{len(missing)} of {len(paths)} files listed in '{csv}' do not exist under "
                f"'{image_dir}', e.g. '{error.path}' (row {line}). Pass image_dir= (the folder "
                "the file names are relative to), or on_error='skip'.",
                path=error.path,
            ) from error
        raise type(error)(f"{error} It is listed in row {line} of '{csv}'.", path=error.path)
    if bad:
        _warn_skipped([e for _, e in bad], len(paths))
    keep = np.array([error is None for error in errors], dtype=bool)
    return Bunch(
        paths=paths[keep],
        target=frame[label_columns].to_numpy(dtype=np.intp)[keep],
        target_names=[str(c) for c in label_columns],
        frame=frame[keep].reset_index(drop=True),
    )


class ImageFolderLoader(TransformerMixin, BaseEstimator):
    """Decode image files into a uint8 array ``(n_samples, height, width, channels)``.

    The first step of a Pipeline whose input is file paths, so that
    ``GridSearchCV`` and ``cross_val_score`` can split a 1-D array of paths
    and the images are decoded only for the rows each fold uses. Applies the
    EXIF orientation, composites transparency onto white, and converts palette,
    CMYK, 16-bit and greyscale files to ``color_mode``. Decoding runs in
    ``n_jobs`` threads. ``fit`` learns nothing.

    Parameters
    ----------
    size : tuple of (int, int) or None, default=(128, 128)
        Output ``(height, width)``. None keeps each file's size, which then
        must be the same for all files.
    resize : {"stretch", "pad", "crop"}, default="stretch"
        How to reach ``size``: ignore the aspect ratio, keep it and pad with
        black, or keep it and crop the centre.
    color_mode : {"rgb", "grayscale"}, default="rgb"
        Three channels or one.
    n_jobs : int or None, default=-1
        Decoding threads; -1 uses all cores.
    max_pixels : int or None, default=None
        Refuse files with more pixels than this, from their header, before
        decoding (:class:`~toonsklearn.exceptions.ImageTooLargeError`). None
        leaves only Pillow's own limit, ``PIL.Image.MAX_IMAGE_PIXELS``.

    See Also
    --------
    load_image_folder : Paths and labels from a folder per class.
    ImageTransformer : Further deterministic preprocessing of the arrays.

    Notes
    -----
    A file that cannot be read raises an error of :mod:`toonsklearn.exceptions`
    naming it (:class:`~toonsklearn.exceptions.ImageDecodeError` for a corrupt
    file, a FIFO or a device, which is never read;
    :class:`~toonsklearn.exceptions.MissingFileError` for a missing file or a
    broken link). A transformer
    cannot drop rows without putting ``y`` out of step, so drop such files
    beforehand with ``load_image_folder(..., on_error="skip")``.

    Examples
    --------
    >>> import tempfile
    >>> from toonsklearn.datasets import make_toons
    >>> from toonsklearn import ImageFolderLoader, load_image_folder
    >>> root = make_toons(30, image_size=16, random_state=0, directory=tempfile.mkdtemp())
    >>> data = load_image_folder(root, subset="test")
    >>> X = ImageFolderLoader(size=(8, 8)).fit_transform(data.paths)
    >>> X.shape[1:], X.dtype
    ((8, 8, 3), dtype('uint8'))
    """

    _parameter_constraints: dict = {
        "size": [tuple, None],
        "resize": [StrOptions(set(RESIZE_MODES))],
        "color_mode": [StrOptions(set(COLOR_MODES))],
        "n_jobs": [Interval(Integral, None, None, closed="neither"), None],
        "max_pixels": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        size: tuple[int, int] | None = (128, 128),
        *,
        resize: str = "stretch",
        color_mode: str = "rgb",
        n_jobs: int | None = -1,
        max_pixels: int | None = None,
    ):
        self.size = size
        self.resize = resize
        self.color_mode = color_mode
        self.n_jobs = n_jobs
        self.max_pixels = max_pixels

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_samples,)
            File paths; not read.
        y : None
            Ignored; there for the Pipeline API.

        Returns
        -------
        self : ImageFolderLoader
            The loader itself.

        Examples
        --------
        >>> from toonsklearn import ImageFolderLoader
        >>> loader = ImageFolderLoader(size=(8, 8))
        >>> loader.fit(["never/read.png"]) is loader
        True
        """
        check_size(self.size)
        check_max_pixels(self.max_pixels)
        return self

    def transform(self, X) -> np.ndarray:
        """Decode the files named in ``X``, a 1-D array-like of paths.

        Parameters
        ----------
        X : array-like of shape (n_samples,) or (n_samples, 1)
            Image file paths (str or path-like).

        Returns
        -------
        images : ndarray of shape (n_samples, height, width, channels)
            The decoded images, uint8, at ``size``.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from PIL import Image
        >>> from toonsklearn import ImageFolderLoader
        >>> path = os.path.join(tempfile.mkdtemp(), "red.png")
        >>> Image.new("RGB", (20, 10), (255, 0, 0)).save(path)
        >>> images = ImageFolderLoader(size=(8, 8), color_mode="grayscale").transform([path])
        >>> images.shape, int(images[0, 0, 0, 0])
        ((1, 8, 8, 1), 76)
        """
        self._validate_params()
        check_size(self.size)
        check_max_pixels(self.max_pixels)
        paths = as_path_array(X, type(self).__name__)
        return read_images(
            paths, self.size, self.resize, self.color_mode, self.n_jobs,
            max_pixels=self.max_pixels,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags
