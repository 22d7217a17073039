"""The errors and warnings toonsklearn raises, in one hierarchy users can catch.

Every error subclasses :class:`ToonsklearnError` and also the built-in exception that
code outside this library already catches for the same fault (``ValueError`` for bad
content, ``FileNotFoundError`` for a missing file, ``PermissionError`` for an
unreadable one), so ``except ValueError`` written for scikit-learn keeps working.
Errors about one file carry it in ``path`` (and a CSV row in ``row``).

Every warning subclasses :class:`ToonsklearnWarning`, so one filter silences or
escalates them all: ``warnings.simplefilter("error", ToonsklearnWarning)``.
"""

from __future__ import annotations

import os
import pickle
import sys

from ._utils.docstrings import fill_doc

# TrialFailedWarning is made on first use, by __getattr__ below.
__all__ = [
    "DamagedVideoWarning", "DataFolderError", "EmptyClassWarning", "FeatureCacheWarning",
    "ImageDecodeError", "ImageInputError", "ImageTooLargeError", "LabelsFileError",
    "MissingFileError", "ModelFileError", "ModelVersionWarning", "NotRegularFileError",
    "NotSavableError", "NotWritableError", "ScaledImagesWarning", "SkippedImagesWarning",
    "StaleCheckpointWarning", "StorageAccessError", "StorageError", "TargetError",
    "ToonsklearnError", "ToonsklearnWarning", "TrainingDataError", "TrialFailedWarning",  # noqa: F822
    "UnreadableFileError", "UnsafeCheckpointError", "UntrustedTypeError", "VideoDecodeError",
    "WeightsFileError",
]


# The two parameters every error takes, written once and filled into each error's
# docstring where it says %(error_parameters)s.
_ERROR_PARAMETERS = {"error_parameters": """message : str
        What went wrong and how to fix it.
    path : str or None, default=None
        The file (or folder) at fault, kept as the ``path`` attribute."""}


class ToonsklearnError(Exception):
    """Base class of every error raised by toonsklearn.

    ``path`` names the file (or folder) at fault, or is None.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import ImageDecodeError, ToonsklearnError
    >>> issubclass(ImageDecodeError, ToonsklearnError)
    True
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.__doc__ = fill_doc(cls.__doc__, _ERROR_PARAMETERS)

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(message)
        self.path = path

    def __reduce__(self):  # keep ``path`` across pickling (joblib workers re-raise errors)
        return _rebuild, (type(self), str(self), dict(self.__dict__))


ToonsklearnError.__doc__ = fill_doc(ToonsklearnError.__doc__, _ERROR_PARAMETERS)


def _rebuild(cls, message, state):
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ImageDecodeError(ToonsklearnError, ValueError):
    """A file could not be read as an image: corrupt, truncated, or not an image.

    Subclasses ``ValueError`` so code that catches scikit-learn's input errors
    catches this one too. The offending file is in ``path``.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import ImageDecodeError
    >>> err = ImageDecodeError("Could not decode 'a.png'.", path="a.png")
    >>> err.path
    'a.png'
    """


class NotRegularFileError(ImageDecodeError):
    """A path names a FIFO, a device, a socket or a folder, not an image file.

    It was refused without being read, so nothing hangs or streams forever.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn._utils.imaging import read_image
    >>> from toonsklearn.exceptions import NotRegularFileError
    >>> try:
    ...     read_image("/dev/zero")
    ... except NotRegularFileError as err:
    ...     print(err.path)
    /dev/zero
    """


class ImageTooLargeError(ImageDecodeError):
    """An image has more pixels than the ``max_pixels`` limit of the call that read it.

    Raised from the file's header, before any pixel is decoded.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import ImageDecodeError, ImageTooLargeError
    >>> issubclass(ImageTooLargeError, ImageDecodeError)  # skipped like any bad image
    True
    """


class VideoDecodeError(ImageDecodeError):
    """A file is not a video that can be read: no video stream, an unknown codec, no frame.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import ImageDecodeError, VideoDecodeError
    >>> issubclass(VideoDecodeError, ImageDecodeError)  # and so a ValueError
    True
    """


class MissingFileError(ToonsklearnError, FileNotFoundError):
    """A listed image file does not exist, or is a symbolic link whose target is gone.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn import load_image_folder
    >>> from toonsklearn.exceptions import MissingFileError
    >>> try:
    ...     load_image_folder("no/such/folder")
    ... except FileNotFoundError as err:  # the built-in catches it too
    ...     print(type(err).__name__, err.path)
    MissingFileError no/such/folder
    """


class UnreadableFileError(ToonsklearnError, PermissionError):
    """A file or folder exists but this process may not read it (its permissions).

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import UnreadableFileError
    >>> issubclass(UnreadableFileError, PermissionError)
    True
    """


class NotWritableError(ToonsklearnError, PermissionError):
    """This process may not write a file or create files in a folder, named in ``path``.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import NotWritableError
    >>> issubclass(NotWritableError, PermissionError)
    True
    """


class LabelsFileError(ToonsklearnError, ValueError):
    """A labels table (CSV) is empty or malformed.

    ``row`` is the row at fault as a spreadsheet numbers it (the header is row 1), or
    None when the whole file is.

    Parameters
    ----------
    %(error_parameters)s
    row : int or None, default=None
        The row at fault (the header is row 1), kept as the ``row`` attribute; None
        when the whole file is.

    Examples
    --------
    >>> from toonsklearn.exceptions import LabelsFileError
    >>> LabelsFileError("Row 3 has an empty file name.", path="labels.csv", row=3).row
    3
    """

    def __init__(self, message: str, *, path: str | None = None, row: int | None = None):
        super().__init__(message, path=path)
        self.row = row


class ImageInputError(ToonsklearnError, ValueError, TypeError):
    """``X`` is not images (or file paths) as the method takes them.

    The wrong number of dimensions or channels, a dtype that is not numeric, NaN or
    infinite pixels, images of another size or channel count than the fitted ones, or
    a single path where a sequence of paths is due. Subclasses ``ValueError`` and
    ``TypeError``, which scikit-learn's own input checks raise for the same faults.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> import numpy as np
    >>> from toonsklearn import ImageTransformer
    >>> from toonsklearn.exceptions import ImageInputError
    >>> try:
    ...     ImageTransformer().fit(np.zeros((2, 8, 8, 4)))
    ... except ImageInputError as error:
    ...     print(error)
    ImageTransformer expects 1 (greyscale) or 3 (RGB) channels ...
    """


class DataFolderError(ToonsklearnError, ValueError):
    """A folder of images is not laid out as a loader reads it.

    No class sub-folders, or split folders where class folders were expected; the
    folder is in ``path``.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import DataFolderError
    >>> DataFolderError("'toons' has no class sub-folders.", path="toons").path
    'toons'
    """


class TargetError(ToonsklearnError, ValueError):
    """``y`` does not fit the model's labels: other columns, or a label it does not know.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import TargetError
    >>> issubclass(TargetError, ValueError)
    True
    """


class StorageError(ToonsklearnError, ValueError):
    """An Optuna storage cannot hold the search as asked.

    Not a journal or database, a corrupt journal, or a study begun by another search;
    a storage file is in ``path``.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import StorageError
    >>> StorageError("'study.journal' is not a journal.", path="study.journal").path
    'study.journal'
    """


class StorageAccessError(ToonsklearnError, ConnectionError, PermissionError):
    """An Optuna storage database cannot be reached or used by this user.

    Subclasses ``ConnectionError`` and ``PermissionError``.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import StorageAccessError
    >>> issubclass(StorageAccessError, ConnectionError)
    True
    """


class TrainingDataError(ToonsklearnError, ValueError):
    """The data cannot train the model as asked; the message says what to change.

    For example, ``validation_fraction`` leaves a class with no training image.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import TrainingDataError
    >>> issubclass(TrainingDataError, ValueError)
    True
    """


class WeightsFileError(ToonsklearnError, ValueError):
    """A weights file is truncated, corrupt, or not in the format it claims to be.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> import tempfile
    >>> from toonsklearn.backbones._torch_legacy import load_legacy_state_dict
    >>> from toonsklearn.exceptions import WeightsFileError
    >>> with tempfile.NamedTemporaryFile(suffix=".pth") as file:
    ...     _ = file.write(b"not a checkpoint")
    ...     file.flush()
    ...     try:
    ...         load_legacy_state_dict(file.name)
    ...     except WeightsFileError:
    ...         print("refused")
    refused
    """


class UnsafeCheckpointError(WeightsFileError, pickle.UnpicklingError):
    """A checkpoint names a Python global outside the reader's allow-list.

    Nothing in it was run or loaded. The file may be malicious.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import UnsafeCheckpointError, WeightsFileError
    >>> issubclass(UnsafeCheckpointError, WeightsFileError)
    True
    """


class ModelFileError(ToonsklearnError, ValueError):
    """A file given to :func:`toonsklearn.io.load` is not a model it can read.

    It is not a model :func:`~toonsklearn.io.save` wrote: not a zip archive (a pickle,
    say), cut short, altered after saving, or written by a newer toonsklearn. The
    message says which.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import ModelFileError
    >>> issubclass(ModelFileError, ValueError)
    True
    """


class UntrustedTypeError(ModelFileError):
    """A saved model holds types outside the allow-list of :func:`toonsklearn.io.load`.

    Nothing was built. ``types`` lists their names, to pass as ``trusted=`` when you
    trust their code.

    Parameters
    ----------
    %(error_parameters)s
    types : iterable of str, default=()
        The names of the untrusted types, kept as the ``types`` attribute (a list).

    Examples
    --------
    >>> from toonsklearn.exceptions import UntrustedTypeError
    >>> UntrustedTypeError("untrusted", path="m.toonsklearn", types=["my.Step"]).types
    ['my.Step']
    """

    def __init__(self, message: str, *, path: str | None = None, types=()):
        super().__init__(message, path=path)
        self.types = list(types)


class NotSavableError(ToonsklearnError, TypeError, ValueError):
    """:func:`toonsklearn.io.save` met something a safe file cannot hold.

    That is a Keras callback, a lambda or a class, say, or a file name the file system
    does not take; the message names the attribute, layer or name and what to do.

    Parameters
    ----------
    %(error_parameters)s

    Examples
    --------
    >>> from toonsklearn.exceptions import NotSavableError
    >>> issubclass(NotSavableError, TypeError)
    True
    """


class ToonsklearnWarning(UserWarning):
    """Base class of every warning issued by toonsklearn.

    Examples
    --------
    >>> import warnings
    >>> from toonsklearn.exceptions import SkippedImagesWarning, ToonsklearnWarning
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", ToonsklearnWarning)  # each of ours an error
    ...     try:
    ...         warnings.warn("2 files skipped", SkippedImagesWarning, stacklevel=1)
    ...     except ToonsklearnWarning as caught:
    ...         print(caught)
    2 files skipped
    """


class SkippedImagesWarning(ToonsklearnWarning):
    """Some files were dropped, with their labels, because they are not readable images.

    Examples
    --------
    >>> from toonsklearn.exceptions import SkippedImagesWarning, ToonsklearnWarning
    >>> issubclass(SkippedImagesWarning, ToonsklearnWarning)
    True
    """


class DamagedVideoWarning(ToonsklearnWarning):
    """Part of a video did not decode, or it ends before its header says; the rest was read.

    Examples
    --------
    >>> from toonsklearn.exceptions import DamagedVideoWarning, ToonsklearnWarning
    >>> issubclass(DamagedVideoWarning, ToonsklearnWarning)
    True
    """


class EmptyClassWarning(ToonsklearnWarning):
    """A class folder holds no images, so the class gets no samples.

    Examples
    --------
    >>> from toonsklearn.exceptions import EmptyClassWarning, ToonsklearnWarning
    >>> issubclass(EmptyClassWarning, ToonsklearnWarning)
    True
    """


class StaleCheckpointWarning(ToonsklearnWarning):
    """``checkpoint_dir`` also holds interrupted fits of other data, parameters or networks.

    This fit neither resumes nor deletes them.

    Examples
    --------
    >>> from toonsklearn.exceptions import StaleCheckpointWarning, ToonsklearnWarning
    >>> issubclass(StaleCheckpointWarning, ToonsklearnWarning)
    True
    """


class FeatureCacheWarning(ToonsklearnWarning):
    """Some backbone features could not be written to the ``memory=`` folder.

    The folder is read-only or full, say, or holds a folder where an entry belongs;
    the features were computed and used, not cached.

    Examples
    --------
    >>> from toonsklearn.exceptions import FeatureCacheWarning, ToonsklearnWarning
    >>> issubclass(FeatureCacheWarning, ToonsklearnWarning)
    True
    """


class ScaledImagesWarning(ToonsklearnWarning):
    """Float images look already scaled to [0, 1], where toonsklearn expects 0-255.

    The model scales pixels itself, so such images would look almost black to it.

    Examples
    --------
    >>> from toonsklearn.exceptions import ScaledImagesWarning
    >>> issubclass(ScaledImagesWarning, UserWarning)
    True
    """


class ModelVersionWarning(ToonsklearnWarning):
    """A saved model was written with other versions of toonsklearn, scikit-learn or Keras.

    It loaded, but its predictions may differ from those it made when saved.

    Examples
    --------
    >>> from toonsklearn.exceptions import ModelVersionWarning, ToonsklearnWarning
    >>> issubclass(ModelVersionWarning, ToonsklearnWarning)
    True
    """


def _trial_failed_warning() -> type:
    from sklearn.exceptions import FitFailedWarning

    class TrialFailedWarning(ToonsklearnWarning, FitFailedWarning):
        """A trial failed in every fold, or was failed by another worker; the search goes on.

        Issued by :class:`~toonsklearn.tuning.OptunaSearchCV`; also scikit-learn's
        ``FitFailedWarning``, so a filter on either catches it.

        Examples
        --------
        >>> from sklearn.exceptions import FitFailedWarning
        >>> from toonsklearn.exceptions import TrialFailedWarning
        >>> issubclass(TrialFailedWarning, FitFailedWarning)
        True
        """

    TrialFailedWarning.__qualname__ = TrialFailedWarning.__name__  # pickled by this name
    return TrialFailedWarning


def __getattr__(name: str):
    """:class:`TrialFailedWarning` is made on first use: it subclasses scikit-learn's
    ``FitFailedWarning``, and importing scikit-learn takes most of a second that the
    command line need not pay to answer ``--help`` or a mistyped folder.

    The class's own example is not collected by pytest's doctests (the class is made
    in a function), so this one checks it:

    >>> from sklearn.exceptions import FitFailedWarning
    >>> from toonsklearn import exceptions
    >>> "TrialFailedWarning" in dir(exceptions)
    True
    >>> issubclass(exceptions.TrialFailedWarning, (FitFailedWarning, exceptions.ToonsklearnWarning))
    True
    """
    if name == "TrialFailedWarning":
        globals()[name] = _trial_failed_warning()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


def user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the caller's line: the first frame
    outside toonsklearn and scikit-learn's ``fit`` wrapper, however deep it was raised."""
    import sklearn.base

    inside = (os.path.join(os.path.dirname(os.path.abspath(__file__)), ""),
              sklearn.base.__file__)
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(inside):
        level, frame = level + 1, frame.f_back
    return level
