"""A video file out of images: clips for tests, examples and checking a model on one."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError

from .._utils.replace import replacing
from ._frames import _import_av

__all__ = ["write_video"]

_FPS_RANGE = (0.001, 1000)
# Container formats by extension, and the codec each is written with.
_FORMATS = {".mp4": ("mp4", "libx264"), ".m4v": ("mp4", "libx264"),
            ".mov": ("mov", "libx264"), ".mkv": ("matroska", "libx264"),
            ".avi": ("avi", "mpeg4"), ".webm": ("webm", "libvpx-vp9")}


def write_video(path, images: Iterable[np.ndarray], fps: float = 25, *,
                codec: str | None = None) -> None:
    """Write ``images`` as the frames of a video, ``fps`` a second.

    The file is written whole or not at all: beside ``path``, then renamed onto it.
    ``images`` may be any iterable of frames (a generator, too), so a long video
    costs the memory of one frame.

    Parameters
    ----------
    path : str or path-like
        The file to write; its extension picks the container: ``.mp4``, ``.m4v``,
        ``.mov``, ``.mkv`` or ``.avi`` (H.264, MPEG-4 in AVI), ``.webm`` (VP9).
    images : array of shape (n_frames, height, width, 3) or iterable of such frames
        The frames, uint8 RGB, all of one size (grey ``(height, width, 1)`` frames are
        written as RGB).
    fps : float, default=25
        Frames a second.
    codec : str or None, default=None
        An FFmpeg encoder name (``"mjpeg"``, ``"ffv1"``...) instead of the container's.

    Raises
    ------
    ValueError
        No frames, frames of different sizes or not uint8, an unknown extension or codec.
    IsADirectoryError, FileNotFoundError
        ``path`` is a folder, or its folder does not exist.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from toonsklearn.video import read_frames, write_video
    >>> path = os.path.join(tempfile.mkdtemp(), "grey.mkv")
    >>> write_video(path, np.full((20, 8, 8, 3), 128, dtype=np.uint8), fps=10)
    >>> len(list(read_frames(path, every=0.5)))
    4
    """
    av = _import_av()
    if (isinstance(fps, bool) or not isinstance(fps, Real)
            or not _FPS_RANGE[0] <= fps <= _FPS_RANGE[1]):
        raise InvalidParameterError(
            f"fps must be a number of frames a second from {_FPS_RANGE[0]} to "
            f"{_FPS_RANGE[1]} (the finest a container's timestamps can time); received "
            f"fps={fps!r}.")
    path = os.fsdecode(path)
    extension = os.path.splitext(path)[1].lower()
    if extension not in _FORMATS:
        raise ValueError(
            f"Cannot tell which video container to write from the extension of {path!r}; "
            f"name the file with one of {', '.join(sorted(_FORMATS))}.")
    _check_target(path)
    container_format, default_codec = _FORMATS[extension]
    codec = codec or default_codec
    if codec not in av.codecs_available or av.Codec(codec, "w").type != "video":
        raise ValueError(f"This FFmpeg has no {codec!r} video encoder; pass codec= one it "
                         "has (av.codecs_available lists them).")
    frames = iter(images)
    first = next(frames, None)
    if first is None:
        raise ValueError(f"No images to write to {path!r}: a video needs at least one frame.")
    shape = _frame_shape(first)
    if codec == "mpeg4" and (shape[0] % 2 or shape[1] % 2):
        raise ValueError(
            f"MPEG-4 video (what {extension} is written with) needs an even height and "
            f"width; the frames are {shape[0]}x{shape[1]}. Crop or pad them by a pixel, or "
            "name a .mkv or .mp4 file.")
    with replacing(path) as partial, av.open(partial, "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=_rate(fps))
        stream.height, stream.width = shape
        stream.pix_fmt = _pixel_format(codec, shape)
        for number, image in enumerate(_checked(first, frames, shape)):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = number
            out.mux(stream.encode(frame))
        out.mux(stream.encode())  # what the encoder still holds


def _check_target(path: str) -> None:
    """Name a target that cannot be written before any frame is encoded."""
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a folder; name the video file to write, e.g. "
                                f"{os.path.join(path, 'clip.mp4')!r}.")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot write {path!r}: the folder {folder!r} does not "
                                "exist. Create it first.")


def _rate(fps: float):
    from fractions import Fraction

    return Fraction(fps).limit_denominator(1001)


def _frame_shape(image) -> tuple[int, int]:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] not in (1, 3) or min(image.shape[:2]) < 2:
        raise ValueError(
            "Each frame must be an image of shape (height, width, 3) or (height, width, 1), "
            f"at least 2x2; received shape {image.shape}.")
    return image.shape[:2]


def _checked(first, rest, shape):
    """Each frame as a contiguous uint8 RGB array of ``shape``, or a ValueError naming it."""
    for number, image in enumerate(itertools.chain([first], rest)):
        image = np.asarray(image)
        if image.dtype != np.uint8:
            raise ValueError(f"Frame {number} is {image.dtype}; pass uint8 frames (0-255).")
        if image.ndim != 3 or image.shape[:2] != shape or image.shape[2] not in (1, 3):
            raise ValueError(f"Frame {number} has shape {image.shape}, unlike the first "
                             f"frame's {(*shape, 3)}: every frame of a video has one size.")
        if image.shape[2] == 1:
            image = np.repeat(image, 3, axis=2)
        yield np.ascontiguousarray(image)


def _pixel_format(codec: str, shape) -> str:
    """4:2:0 where the encoder takes it and the sides are even (as players expect); else
    the encoder's first format."""
    if codec == "mjpeg":
        return "yuvj420p" if shape[0] % 2 == 0 and shape[1] % 2 == 0 else "yuvj444p"
    if codec == "ffv1":
        return "yuv444p"
    return "yuv420p" if shape[0] % 2 == 0 and shape[1] % 2 == 0 else "yuv444p"
