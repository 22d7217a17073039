"""Turn folders and CSV files of images into paths and labels, and paths into arrays."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions

from ._imaging import COLOR_MODES, RESIZE_MODES, check_size, is_image_file, read_image
from .exceptions import ImageDecodeError, SkippedImagesWarning

__all__ = ["ImageFolderLoader", "load_image_folder", "load_labels_csv"]

SPLIT_NAMES = ("train", "validation", "test")
_CHECK_SIZE = (8, 8)  # decoding to 8x8 reads every byte of a file but costs little


def _map_threads(func: Callable, items: Sequence, n_jobs: int | None) -> list:
    """``[func(x) for x in items]`` on a thread pool; Pillow releases the GIL while decoding."""
    workers = min(effective_n_jobs(n_jobs), len(items))
    if workers <= 1:
        return [func(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, items))


def read_images(
    paths: Sequence[str],
    size: tuple[int, int] | None,
    resize: str = "stretch",
    color_mode: str = "rgb",
    n_jobs: int | None = -1,
) -> np.ndarray:
    """Decode ``paths`` into one uint8 array ``(n, h, w, c)`` using ``n_jobs`` threads."""
    if len(paths) == 0:
        channels = 1 if color_mode == "grayscale" else 3
        return np.empty((0, *(size or (0, 0)), channels), dtype=np.uint8)
    if size is None:
        images = _map_threads(lambda p: read_image(p, None, resize, color_mode), paths, n_jobs)
        shapes = {image.shape for image in images}
        if len(shapes) > 1:
            raise ValueError(
                f"The images have {len(shapes)} different sizes, e.g. {sorted(shapes)[:3]}, "
                "and cannot be stacked into one array. Pass size=(height, width) to resize them."
            )
        return np.stack(images)
    first = read_image(paths[0], size, resize, color_mode)
    out = np.empty((len(paths), *first.shape), dtype=np.uint8)
    out[0] = first

    def fill(index: int) -> None:
        out[index] = read_image(paths[index], size, resize, color_mode)

    _map_threads(fill, range(1, len(paths)), n_jobs)
    return out


def _readable(paths: Sequence[str], on_error: str, n_jobs: int | None) -> np.ndarray:
    """Boolean mask of the files that decode; raise on the first bad one unless skipping."""

    def check(path: str) -> ImageDecodeError | None:
        try:
            read_image(path, _CHECK_SIZE)
        except ImageDecodeError as exc:
            return exc
        return None

    errors = _map_threads(check, paths, n_jobs)
    bad = [error for error in errors if error is not None]
    if bad and on_error == "raise":
        raise bad[0]
    if bad:
        names = ", ".join(repr(error.path) for error in bad[:3])
        warnings.warn(
            f"Skipped {len(bad)} of {len(paths)} files that are not readable images, with "
            f"their labels: {names}{', ...' if len(bad) > 3 else ''}.",
            SkippedImagesWarning,
            stacklevel=3,
        )
    return np.array([error is None for error in errors], dtype=bool)


def _check_on_error(on_error: str) -> None:
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip'; received on_error={on_error!r}.")


def _image_files(folder: Path) -> list[str]:
    """Image files anywhere under ``folder``, hidden files and folders left out, sorted."""
    found = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(os.path.join(current, f) for f in sorted(files) if is_image_file(f))
    return found


def load_image_folder(
    root: str | os.PathLike,
    *,
    subset: str | None = None,
    on_error: str = "raise",
    n_jobs: int | None = -1,
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
        What to do with a file that is not a readable image: raise
        :class:`~toonsklearn.exceptions.ImageDecodeError` naming it, or drop it
        together with its label and warn with the count.
    n_jobs : int or None, default=-1
        Threads used to check the files; -1 uses all cores.

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
    root = Path(root)
    if subset is not None:
        if subset not in SPLIT_NAMES:
            raise ValueError(f"subset must be one of {SPLIT_NAMES} or None; received {subset!r}.")
        root = root / subset
    if not root.is_dir():
        raise FileNotFoundError(f"No such folder: '{root}'.")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if (
        subset is None
        and {p.name for p in class_dirs} & set(SPLIT_NAMES) == {p.name for p in class_dirs}
        and class_dirs
    ):
        raise ValueError(
            f"'{root}' holds split folders ({', '.join(p.name for p in class_dirs)}), not class "
            "folders. Pass subset='train' (or 'validation', 'test') to read one split."
        )
    if not class_dirs:
        raise ValueError(f"'{root}' has no class sub-folders; expected '{root}/<class>/<image>'.")
    paths, target = [], []
    for index, class_dir in enumerate(class_dirs):
        files = _image_files(class_dir)
        if not files:
            warnings.warn(
                f"Class folder '{class_dir}' holds no images; class {class_dir.name!r} gets "
                "no samples.",
                UserWarning,
                stacklevel=2,
            )
        paths.extend(files)
        target.extend([index] * len(files))
    paths_array = np.asarray(paths, dtype=str)
    target_array = np.asarray(target, dtype=np.intp)
    keep = _readable(paths_array, on_error, n_jobs)
    return Bunch(
        paths=paths_array[keep],
        target=target_array[keep],
        target_names=[p.name for p in class_dirs],
    )


def load_labels_csv(
    csv: str | os.PathLike,
    image_dir: str | os.PathLike | None = None,
    filename_column: str = "filename",
    *,
    on_error: str = "raise",
    n_jobs: int | None = -1,
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
        What to do with a listed file that is missing or not a readable image.
    n_jobs : int or None, default=-1
        Threads used to check the files; -1 uses all cores.

    Returns
    -------
    data : Bunch
        ``paths`` : ndarray of str, shape (n_samples,)
        ``target`` : ndarray of int, shape (n_samples, n_labels), values 0/1
        ``target_names`` : list of str, the label columns in file order
        ``frame`` : pandas.DataFrame, the rows kept

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
    csv = Path(csv)
    frame = pd.read_csv(csv)
    if filename_column not in frame.columns:
        raise ValueError(
            f"'{csv}' has no column {filename_column!r}; its columns are "
            f"{list(frame.columns)}. Pass filename_column= to name the file-name column."
        )
    label_columns = [c for c in frame.columns if c != filename_column]
    if not label_columns:
        raise ValueError(f"'{csv}' has no label columns besides {filename_column!r}.")
    labels = frame[label_columns]
    not_binary = [c for c in label_columns if not labels[c].isin([0, 1]).all()]
    if not_binary:
        raise ValueError(
            f"Label columns of '{csv}' must hold only 0 and 1; {not_binary} hold other values "
            f"(e.g. {labels[not_binary[0]][~labels[not_binary[0]].isin([0, 1])].iloc[0]!r})."
        )
    image_dir = csv.parent if image_dir is None else Path(image_dir)
    paths = np.asarray([str(image_dir / name) for name in frame[filename_column]], dtype=str)
    exists = np.array([os.path.isfile(p) for p in paths], dtype=bool)
    if not exists.all():
        missing = paths[~exists]
        message = (
            f"{len(missing)} files listed in '{csv}' do not exist under '{image_dir}', "
            f"e.g. {missing[0]!r}."
        )
        if on_error == "raise":
            raise FileNotFoundError(message + " Pass image_dir= or on_error='skip'.")
        warnings.warn(message + " They were skipped.", SkippedImagesWarning, stacklevel=2)
    keep = exists.copy()
    keep[exists] = _readable(paths[exists], on_error, n_jobs)
    return Bunch(
        paths=paths[keep],
        target=labels.to_numpy(dtype=np.intp)[keep],
        target_names=[str(c) for c in label_columns],
        frame=frame[keep].reset_index(drop=True),
    )


def as_path_array(X: Iterable, owner: str) -> np.ndarray:
    """Validate ``X`` as a 1-D sequence of file paths (a column vector is accepted too)."""
    if isinstance(X, (str, os.PathLike)):
        raise TypeError(
            f"{owner} expects a sequence of file paths; received the single path {X!r}. "
            "Wrap it in a list."
        )
    array = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X, dtype=object)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or not all(isinstance(p, (str, os.PathLike)) for p in array):
        raise ValueError(
            f"{owner} expects a 1-D array of file paths; received an array of shape "
            f"{array.shape} and dtype {np.asarray(X).dtype}. Image arrays need no loader: "
            "pass them to ImageTransformer or to an estimator directly."
        )
    return np.asarray([os.fspath(p) for p in array], dtype=str)


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

    See Also
    --------
    load_image_folder : Paths and labels from a folder per class.
    ImageTransformer : Further deterministic preprocessing of the arrays.

    Notes
    -----
    A file that cannot be decoded raises
    :class:`~toonsklearn.exceptions.ImageDecodeError` naming it. A transformer
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
    }

    def __init__(
        self,
        size: tuple[int, int] | None = (128, 128),
        *,
        resize: str = "stretch",
        color_mode: str = "rgb",
        n_jobs: int | None = -1,
    ):
        self.size = size
        self.resize = resize
        self.color_mode = color_mode
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters; nothing is learned. Returns self."""
        check_size(self.size)
        return self

    def transform(self, X) -> np.ndarray:
        """Decode the files named in ``X``, a 1-D array-like of paths."""
        self._validate_params()
        check_size(self.size)
        paths = as_path_array(X, type(self).__name__)
        return read_images(paths, self.size, self.resize, self.color_mode, self.n_jobs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags
