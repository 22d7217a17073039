"""Frames out of a video file, a few a second, in bounded memory (PyAV, FFmpeg's binding)."""

from __future__ import annotations

import math
import os
import warnings
from numbers import Real
from typing import NamedTuple

import numpy as np
from PIL import Image
from sklearn.utils._param_validation import InvalidParameterError

from .._utils.imaging import (
    COLOR_MODES,
    RESIZE_MODES,
    check_max_pixels,
    check_size,
    fit_to_size,
    image_array,
    open_regular_file,
    plain_path,
)
from ..exceptions import (
    DamagedVideoWarning,
    ImageTooLargeError,
    VideoDecodeError,
    user_stacklevel,
)

__all__ = ["Frame", "FrameReader", "VIDEO_EXTENSIONS", "is_video_file", "read_frames"]

VIDEO_EXTENSIONS = frozenset({".avi", ".flv", ".m4v", ".mkv", ".mov", ".mp4", ".mpeg", ".mpg",
                              ".ogv", ".ts", ".webm", ".wmv"})
INSTALL_HINT = 'pip install "toonsklearn[video]" (or pip install av)'
_INDEXED = {"avi", "matroska", "mov", "mp4", "webm"}  # FFmpeg's names of the formats
_VIDEO_HINT = "Pass a video file (MP4, MKV, AVI, WebM...) that a video player opens."
# A frame within this many seconds before a sampling time counts as shown at it: a frame's
# time is its timestamp times the stream's time base, which floats round.
_TOLERANCE = 1e-6


class Frame(NamedTuple):
    """One frame of a video: when it is shown and its pixels."""

    time: float
    """Seconds from the start of the video to when the frame is shown."""
    image: np.ndarray
    """The pixels, uint8 ``(height, width, 3)`` (``(height, width, 1)`` in grayscale)."""


def is_video_file(name: str) -> bool:
    """True for a name whose extension (any case) is a video container's."""
    return os.path.splitext(os.fsdecode(name))[1].lower() in VIDEO_EXTENSIONS


def read_frames(
    path,
    every: float | None = 1.0,
    size: tuple[int, int] | None = None,
    start: float | None = None,
    end: float | None = None,
    *,
    resize: str = "stretch",
    color_mode: str = "rgb",
    max_pixels: int | None = None,
) -> FrameReader:
    """Read a frame of a video every ``every`` seconds, streaming.

    Only the frame being read is held in memory, so a two-hour episode costs what one
    frame does. Where the file allows, the reader seeks to the next frame it needs
    instead of decoding those between, once the distance between key frames shows that
    seeking saves work. Each frame is decoded to RGB and resized as
    :class:`~toonsklearn.ImageFolderLoader` resizes an image file, so a model sees a
    frame as it sees a still cut from the video.

    Parameters
    ----------
    path : str or path-like
        A video file that FFmpeg reads (MP4, MKV, AVI, WebM, MOV...): a regular file; a
        FIFO, a device or a folder is refused without being read.
    every : float or None, default=1.0
        Seconds between the times sampled: the frame shown at ``start``, at
        ``start + every``, and so on (the first frame at or after each time). None reads
        every frame.
    size : (height, width) or None, default=None
        The size of the frames returned; None keeps the video's own.
    start : float or None, default=None
        Seconds from the start where reading begins; None is the first frame.
    end : float or None, default=None
        Seconds from the start where reading stops (frames shown before it are read);
        None reads to the end.
    resize : {"stretch", "pad", "crop"}, default="stretch"
        How a frame of another aspect ratio reaches ``size``, as in
        :class:`~toonsklearn.ImageFolderLoader`.
    color_mode : {"rgb", "grayscale"}, default="rgb"
        Three channels, or one.
    max_pixels : int or None, default=None
        Refuse, before decoding, a video whose frames have more pixels
        (:class:`~toonsklearn.exceptions.ImageTooLargeError`). Pillow's
        ``PIL.Image.MAX_IMAGE_PIXELS`` applies as well.

    Returns
    -------
    frames : iterator of (time, image)
        The frames, read once, as named tuples ``(time, image)``: seconds from the start
        of the video, and uint8 pixels ``(height, width, 3)`` (``(height, width, 1)`` in
        grayscale). It is also a context manager that closes the file (so do ``close()``
        and reaching the end). Its attributes say what the file's header says:
        ``duration`` (seconds, or None), ``frame_rate`` (frames a second, an average
        for a variable rate, or None) and ``frame_size`` (``(height, width)`` as
        stored); ``frames_decoded`` counts the frames decoded so far, fewer than the
        video has where the reader seeks.

    Raises
    ------
    VideoDecodeError
        The file is not a video, has no video stream, or its codec is unknown here.
    ImageTooLargeError
        Its frames have more than ``max_pixels`` pixels.
    MissingFileError, UnreadableFileError, NotRegularFileError
        There is no such file, it may not be read, or it is not a regular file.

    Warns
    -----
    DamagedVideoWarning
        When part of the file could not be decoded, or it ends well before its header
        says: the frames that decoded are read and the rest counted.

    Examples
    --------
    >>> import os, tempfile
    >>> from toonsklearn.video import read_frames, write_video
    >>> from toonsklearn.datasets import make_toons
    >>> images, _ = make_toons(3, image_size=32, random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "clip.mp4")
    >>> write_video(path, images.repeat(10, axis=0), fps=10)  # a second an image
    >>> with read_frames(path, every=1.0, size=(16, 16)) as frames:
    ...     [(round(time, 2), image.shape) for time, image in frames]
    [(0.0, (16, 16, 3)), (1.0, (16, 16, 3)), (2.0, (16, 16, 3))]
    """
    _check_seconds("every", every, positive=True)
    _check_seconds("start", start)
    _check_seconds("end", end, positive=True)
    if start is not None and end is not None and end <= start:
        raise InvalidParameterError(
            f"end must come after start; received start={start!r}, end={end!r}.")
    check_size(size)
    check_max_pixels(max_pixels)
    for name, value, allowed in (("resize", resize, RESIZE_MODES),
                                 ("color_mode", color_mode, COLOR_MODES)):
        if value not in allowed:
            raise InvalidParameterError(
                f"{name} must be one of {', '.join(map(repr, allowed))}; received {value!r}.")
    return FrameReader(plain_path(path), every, size, start, end, resize, color_mode,
                       max_pixels)


def _check_seconds(name: str, value, *, positive: bool = False) -> None:
    """A clear error unless ``value`` is None or a finite number of seconds (above 0 where
    ``positive``, else at least 0)."""
    if value is None:
        return
    if (isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value)
            or value < 0 or (positive and value == 0)):
        bound = "above 0" if positive else "at least 0"
        raise InvalidParameterError(
            f"{name} must be a finite number of seconds {bound}, or None; "
            f"received {name}={value!r}.")


class FrameReader:
    """The frames :func:`read_frames` reads from one open video file.

    An iterator of :class:`Frame` pairs, read once, and a context manager that closes
    the file (so does reaching the end, and garbage collection).

    Attributes
    ----------
    path : str
        The video file.
    duration : float or None
        Seconds the header says the video lasts, or None where it does not say.
    frame_rate : float or None
        Frames a second the header gives (an average for a variable rate), or None.
    frame_size : (height, width)
        The size of the frames as stored.
    frames_decoded : int
        Frames decoded so far: more than those read where frames between two samples
        are decoded, fewer than the video has where the reader seeks past them.
    """

    def __init__(self, path, every, size, start, end, resize, color_mode, max_pixels):
        av = _import_av()
        self.path = path
        self._every, self._size, self._resize, self._color_mode = every, size, resize, color_mode
        self._start, self._end = start or 0.0, end
        self._file = open_regular_file(path, _VIDEO_HINT)
        try:
            self._container = _open_container(av, self._file, path)
        except BaseException:
            self._file.close()
            raise
        try:
            self._stream = _video_stream(self._container, path)
            self._check_pixels(max_pixels)
        except BaseException:
            self._release()
            raise
        stream, container = self._stream, self._container
        self._time_base = stream.time_base
        # Times count from the start of the file, as a player's clock does (a video
        # stream may begin after the audio, or at an offset an MP4's edit list sets).
        if container.start_time is not None:
            self._origin = container.start_time / 1_000_000  # av.time_base: microseconds
        elif stream.start_time is not None:
            self._origin = float(stream.start_time * stream.time_base)
        else:
            self._origin = 0.0
        rate = stream.average_rate or stream.guessed_rate
        self.frame_rate = float(rate) if rate else None
        self.frame_size = (stream.codec_context.height, stream.codec_context.width)
        self.duration = _duration(container, stream, self._origin)
        # Only a container with an index seeks to a key frame; in the others (MPEG-TS,
        # MPEG-PS, FLV) FFmpeg lands on a packet after the time asked for.
        self._indexed = bool(_INDEXED & set(container.format.name.split(",")))
        if self._start > 0 and self.duration is not None and self._start >= self.duration:
            self._release()
            raise InvalidParameterError(
                f"start={self._start:g} s is past the end of {path!r}, which lasts "
                f"{self.duration:.1f} s; pass a start within the video.")
        self._skipped = 0  # packets that did not decode
        self.frames_decoded = 0
        self._frames = self._read()

    def _check_pixels(self, max_pixels) -> None:
        context = self._stream.codec_context
        pixels = context.width * context.height
        limit = max_pixels if max_pixels is not None else Image.MAX_IMAGE_PIXELS
        if limit is not None and pixels > limit:
            fix = ("Raise max_pixels" if max_pixels is not None else
                   "If you trust this file, raise PIL.Image.MAX_IMAGE_PIXELS")
            raise ImageTooLargeError(
                f"{self.path!r} has frames of {context.width}x{context.height} = {pixels:,} "
                f"pixels, over {'max_pixels' if max_pixels is not None else 'Pillow’s limit'}"
                f"={limit:,}; no frame was decoded. {fix}, or make a smaller copy of the "
                "video (ffmpeg -i IN -vf scale=-2:720 OUT).",
                path=self.path,
            )

    def __iter__(self):
        return self

    def __next__(self) -> Frame:
        return next(self._frames)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self) -> None:
        """Close the file; the frames not yet read are not read."""
        frames = getattr(self, "_frames", None)
        if frames is not None:
            frames.close()
        self._release()

    def _release(self) -> None:
        self._container.close()
        self._file.close()

    # ------------------------------------------------------------------ reading
    def _read(self):
        """The sampled frames. Once two key frames have been seen, the widest distance
        between key frames tells when a key frame must lie before the next frame needed:
        then the reader seeks to that key frame instead of decoding the frames between.
        A seek that does not land on a key frame at or before its target (a container
        whose index misleads FFmpeg) is undone: the reader starts again from the
        beginning and decodes straight through."""
        every, end = self._every, self._end
        target, shown, reached = self._start, -math.inf, -math.inf
        last_key, widest = None, math.inf
        seeking = self._indexed
        jumped = seeking and target > 0 and self._seek(target)
        done = False
        try:
            while not done:
                for time, frame in self._decoded():
                    if jumped:  # the first frame after a seek: check where it landed
                        jumped = False
                        if not frame.key_frame or time > target + _TOLERANCE:
                            seeking = False
                            self._seek(0.0, strict=True)
                            break
                    reached = max(reached, time)
                    if frame.key_frame:
                        if last_key is not None and time > last_key:
                            gap = time - last_key
                            widest = gap if math.isinf(widest) else max(widest, gap)
                        last_key = time
                    if time <= shown:  # before the seek's target, or out of order
                        continue
                    if end is not None and time >= end - _TOLERANCE:
                        done = True
                        break
                    if time < target - _TOLERANCE:
                        continue
                    shown = time
                    yield Frame(time, self._image(frame))
                    if every is None:
                        continue
                    steps = math.floor((time - self._start + _TOLERANCE) / every) + 1
                    target = self._start + every * steps
                    if seeking and target - time > widest:
                        seeking = jumped = self._seek(target)
                        if jumped:
                            last_key = None  # the next key frame is past a jump
                            break  # decode again from the key frame before the target
                else:
                    done = True  # the end of the file
            self._report(shown, reached, end)  # not when the reader is closed early
        finally:
            self._release()

    def _decoded(self):
        """``(time, frame)`` of each frame decoded from where the file now stands; a packet
        that does not decode is counted and passed over."""
        av = _import_av()
        step = 1 / self.frame_rate if self.frame_rate else None
        previous = None
        packets = self._container.demux(self._stream)
        while True:
            try:
                packet = next(packets, None)
            except av.error.FFmpegError:  # the container itself is damaged from here on
                self._skipped += 1
                return
            if packet is None:
                return
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                self._skipped += 1
                continue
            for frame in frames:
                self.frames_decoded += 1
                if frame.pts is not None:
                    time = float(frame.pts * self._time_base) - self._origin
                elif previous is None:
                    time = 0.0  # no timestamps: the first frame starts the video
                elif step is not None:
                    time = previous + step  # and each next one follows at the frame rate
                else:
                    raise VideoDecodeError(
                        f"{self.path!r} has frames without timestamps and no frame rate, so "
                        "no frame has a time. Remux it with timestamps (ffmpeg -i IN -c copy "
                        "OUT.mkv).",
                        path=self.path,
                    )
                previous = time
                yield time, frame

    def _seek(self, target: float, *, strict: bool = False) -> bool:
        """Move to the key frame before ``target`` seconds; False where the file cannot
        (with ``strict``, a VideoDecodeError: the reader cannot go on)."""
        av = _import_av()
        offset = math.floor((target + self._origin) / self._time_base)
        try:
            self._container.seek(offset, stream=self._stream, backward=True)
        except (av.error.FFmpegError, OverflowError) as exc:
            if strict:
                raise VideoDecodeError(
                    f"Could not go back to the start of {self.path!r} after a seek that "
                    f"missed ({exc}). Remux it into an indexed container (ffmpeg -i IN -c "
                    "copy OUT.mkv).", path=self.path) from exc
            return False
        return True

    def _image(self, frame) -> np.ndarray:
        """The frame's pixels as RGB (or grey), resized as a loaded image file would be."""
        image = frame.to_image()  # RGB, converted from the codec's colour space by FFmpeg
        if self._size is not None:
            image = fit_to_size(image, self._size, self._resize)
        return image_array(image, self._color_mode)

    def _report(self, shown: float, reached: float, end) -> None:
        """Fail when nothing decoded; warn when packets were skipped, or when the file
        ends well before its header says (truncated)."""
        skipped = self._skipped
        step = 1 / self.frame_rate if self.frame_rate else 0.0
        if math.isinf(reached) and (skipped or self._start == 0):
            raise VideoDecodeError(
                f"No frame of {self.path!r} could be decoded ({skipped} damaged packets): "
                f"it is damaged, truncated or empty. {_VIDEO_HINT}",
                path=self.path,
            )
        if skipped:
            warnings.warn(
                f"{skipped} packets (compressed frames) of {self.path!r} could not be "
                "decoded and were skipped, with the frames they held: the file is damaged.",
                DamagedVideoWarning, stacklevel=user_stacklevel())
        stopped = end is not None and reached >= end - _TOLERANCE
        if (not stopped and self.duration is not None and not math.isinf(reached)
                and reached < self.duration - max(2.0, 0.1 * self.duration, 2 * step)):
            warnings.warn(
                f"{self.path!r} ends at {reached:.1f} s although its header says it lasts "
                f"{self.duration:.1f} s: it is truncated or damaged, and the rest was not read.",
                DamagedVideoWarning, stacklevel=user_stacklevel())


def _import_av():
    try:
        import av
    except ImportError as exc:
        raise ImportError(
            f"toonsklearn.video reads videos with PyAV, which is not installed: {INSTALL_HINT}."
        ) from exc
    return av


def _open_container(av, file, path: str):
    if os.fstat(file.fileno()).st_size == 0:
        raise VideoDecodeError(f"{path!r} is empty (0 bytes): there is no video in it. "
                               f"{_VIDEO_HINT}", path=path)
    try:
        return av.open(file, mode="r")
    except av.error.FFmpegError as exc:
        raise VideoDecodeError(
            f"Could not read {path!r} as a video ({exc.strerror or exc}): it is not a video, "
            f"or it is truncated before its index. {_VIDEO_HINT}",
            path=path,
        ) from exc


def _video_stream(container, path: str):
    if not container.streams.video:
        kinds = sorted({stream.type for stream in container.streams}) or ["no"]
        raise VideoDecodeError(
            f"{path!r} has no video stream (it has {', '.join(kinds)} streams): there are no "
            f"frames to read. {_VIDEO_HINT}",
            path=path,
        )
    stream = container.streams.video[0]
    context = stream.codec_context
    if context is None or not context.width or not context.height:
        codec = getattr(context, "name", None) or "an unknown codec"
        raise VideoDecodeError(
            f"{path!r} holds video in {codec}, which this FFmpeg cannot decode. Convert it "
            "(ffmpeg -i IN -c:v libx264 OUT.mp4) or install a PyAV built with that codec.",
            path=path,
        )
    return stream


def _duration(container, stream, origin: float) -> float | None:
    """Seconds from the start of the file to the end of the video stream, or None."""
    if stream.duration is not None and stream.time_base is not None:
        start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
        return start - origin + float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None
