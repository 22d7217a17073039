"""Exceptions and warnings raised by toonsklearn."""

__all__ = ["ImageDecodeError", "SkippedImagesWarning"]


class ImageDecodeError(ValueError):
    """A file could not be read as an image.

    Subclasses ``ValueError`` so code that catches scikit-learn's input errors
    catches this one too. The offending file is in :attr:`path`.

    Examples
    --------
    >>> from toonsklearn.exceptions import ImageDecodeError
    >>> err = ImageDecodeError("Could not decode 'a.png'.", path="a.png")
    >>> err.path
    'a.png'
    """

    def __init__(self, message: str, *, path: str):
        super().__init__(message)
        self.path = path


class SkippedImagesWarning(UserWarning):
    """Some files were dropped, with their labels, because they are not readable images."""
