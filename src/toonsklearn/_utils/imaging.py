"""Decode image files with Pillow: one, or many on threads; resize image arrays.

The single place that knows how real-world files look: EXIF orientation,
transparency, palettes, CMYK, 16- and 32-bit and greyscale sources, and files that
are not files (FIFOs, devices, broken links). The loader, the transformer, the
estimators' path mode and the dataset generator all decode through
:func:`read_image` and resize through :func:`fit_to_size`, so the three ``resize``
modes mean the same thing everywhere.

Decoding keeps at most one full-size copy beside the decoded image: the source is
converted only as far as resizing needs, resized, and then turned upright and
composited onto white at the target size. :func:`read_images` decodes many files
into one array on a thread pool (Pillow releases the GIL while it decodes), and
:func:`image_files` lists the images under a folder.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral
from pathlib import Path

import numpy as np
from joblib import effective_n_jobs
from PIL import Image
from sklearn.utils._param_validation import InvalidParameterError

from ..exceptions import (
    ImageDecodeError,
    ImageInputError,
    ImageTooLargeError,
    MissingFileError,
    NotRegularFileError,
    UnreadableFileError,
)
from .progress import Progress

IMAGE_EXTENSIONS = frozenset({".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})
RESIZE_MODES = ("stretch", "pad", "crop")
COLOR_MODES = ("rgb", "grayscale")
_RESAMPLE = Image.Resampling.BILINEAR
_EXIF_ORIENTATION = 0x0112
_TRANSPOSES = {  # EXIF orientation -> the transpose that shows the image upright
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_SIDES = (5, 6, 7, 8)
# Source mode -> the mode it is resized in. Alpha modes stay alpha until the image is
# small (Pillow resizes them premultiplied); the rest become plain RGB or L.
_WORKING_MODES = {
    "RGB": "RGB", "L": "L", "RGBA": "RGBA", "LA": "LA", "PA": "RGBA",
    "RGBX": "RGB", "CMYK": "RGB", "YCbCr": "RGB", "LAB": "RGB", "HSV": "RGB",
    "RGBa": "RGBA",
}
_INTEGER_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N")
_STRIP_PIXELS = 1 << 18  # big images are converted a strip of this many pixels at a time
_NOT_A_FILE = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}
# How a file is opened before it is known to be a regular one: without blocking, so a
# FIFO with no writer is checked (fstat) and refused rather than waited on.
OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
              | getattr(os, "O_CLOEXEC", 0))
SKIP_HINT = (
    "Remove it, or list the files with load_image_folder or load_labels_csv and "
    "on_error='skip', which drop unreadable files together with their labels."
)
# The raster formats a drawing comes in. Whatever a file's name says, Pillow picks a
# reader by content: EPS (Pillow runs Ghostscript on it) and rarer formats stay out.
_FORMATS = ("BMP", "DIB", "GIF", "ICO", "JPEG", "MPO", "JPEG2000", "PNG", "PPM", "TIFF",
            "WEBP", "TGA", "SGI", "PCX", "QOI", "DDS", "ICNS", "PSD")


def is_image_file(name: str) -> bool:
    """True for a visible file whose extension (any case) is an image extension."""
    base = os.path.basename(name)
    return not base.startswith(".") and os.path.splitext(base)[1].lower() in IMAGE_EXTENSIONS


def plain_path(path) -> str:
    """``path`` as a plain ``str``, so messages show ``'a.png'``, not NumPy's
    ``np.str_('a.png')`` or ``b'a.png'``."""
    return str(os.fsdecode(path))


def open_regular_file(path: str, hint: str = SKIP_HINT):
    """Open ``path`` for binary reading only if it is a regular file (or a link to one).

    Opens without blocking and checks the opened descriptor, so a FIFO, a device such
    as ``/dev/zero`` or a folder is refused without ever being read, even if it
    replaced a regular file after the folder was listed.
    """
    path = plain_path(path)
    try:
        fd = os.open(path, OPEN_FLAGS)
    except FileNotFoundError:
        if os.path.islink(path):
            raise MissingFileError(
                f"{path!r} is a broken symbolic link: its target {os.readlink(path)!r} "
                f"does not exist. {hint}",
                path=path,
            ) from None
        raise MissingFileError(f"No such file: {path!r}. {hint}", path=path) from None
    except PermissionError:
        raise UnreadableFileError(
            f"Permission denied reading {path!r}: this process may not read it. Change its "
            f"permissions (chmod a+r), or: {hint}",
            path=path,
        ) from None
    except OSError as exc:  # a socket, a symlink loop, a name too long ...
        try:
            _refuse_if_not_regular(os.stat(path).st_mode, path, hint)
        except OSError:
            pass
        raise ImageDecodeError(
            f"Could not open {path!r} ({exc.strerror or exc}). {hint}", path=path
        ) from exc
    try:
        _refuse_if_not_regular(os.fstat(fd).st_mode, path, hint)
    except NotRegularFileError:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _refuse_if_not_regular(mode: int, path: str, hint: str) -> None:
    if not stat.S_ISREG(mode):
        kind = _NOT_A_FILE.get(stat.S_IFMT(mode), "not a regular file")
        raise NotRegularFileError(
            f"{path!r} is {kind}, not a regular file, so it was not read. {hint}", path=path
        )


def read_image(
    path: str | os.PathLike,
    size: tuple[int, int] | None = None,
    resize: str = "stretch",
    color_mode: str = "rgb",
    *,
    max_pixels: int | None = None,
) -> np.ndarray:
    """Decode ``path`` to a uint8 array ``(h, w, 3)``, or ``(h, w, 1)`` for greyscale.

    ``max_pixels`` refuses, from the header and before decoding, a file with more
    pixels (:class:`ImageTooLargeError`); Pillow's process-wide
    ``PIL.Image.MAX_IMAGE_PIXELS`` applies as well. Every failure is one of our
    errors naming the file: :class:`MissingFileError`, :class:`UnreadableFileError`
    or :class:`ImageDecodeError`.
    """
    path = plain_path(path)
    with _opened(path) as img:
        _check_pixels(img, path, max_pixels)
        if size is not None and img.format == "JPEG":
            stored = _stored_size(size, img.getexif().get(_EXIF_ORIENTATION))
            img.draft("L" if color_mode == "grayscale" else "RGB", stored[::-1])
        img.load()
        # Read after loading: Pillow turns TIFFs upright itself and drops the tag.
        orientation = img.getexif().get(_EXIF_ORIENTATION)
        return image_array(_decode(img, path, size, resize, orientation), color_mode)


def read_size(path: str | os.PathLike) -> tuple[int, int]:
    """``(height, width)`` of the image in ``path`` as :func:`read_image` decodes it
    (upright), read from its header without decoding the pixels; its errors too."""
    path = plain_path(path)
    with _opened(path) as img:
        stored = (img.height, img.width)
        if img.format == "TIFF":  # Pillow 10.3+ reports a TIFF's upright size; older, stored
            stored = (img.tag_v2.get(257, img.height), img.tag_v2.get(256, img.width))
        # A PNG's EXIF may follow its pixels, which Pillow would decode to reach it.
        late_exif = img.format == "PNG" and "exif" not in img.info
        orientation = None if late_exif else img.getexif().get(_EXIF_ORIENTATION)
        return _stored_size(stored, orientation)


@contextlib.contextmanager
def _opened(path: str):
    """The Pillow image of the regular file ``path``, not yet decoded; any failure
    while it is open becomes one of our errors naming the file."""
    with open_regular_file(path) as file:
        try:
            with Image.open(file, formats=_known_formats()) as img:
                yield img
        except Image.DecompressionBombError as exc:
            raise ImageTooLargeError(
                f"Refusing to decode {path!r}: {exc} If you trust this file, raise "
                "PIL.Image.MAX_IMAGE_PIXELS (or set it to None) before loading.",
                path=path,
            ) from exc
        except ImageDecodeError:
            raise
        except Image.UnidentifiedImageError as exc:
            raise ImageDecodeError(
                f"Could not decode {path!r}: it is not an image in one of the formats read "
                f"here ({', '.join(_known_formats())}). {SKIP_HINT}",
                path=path,
            ) from exc
        except Exception as exc:  # noqa: BLE001 (a hostile file trips Pillow in many ways)
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise ImageDecodeError(
                f"Could not decode {path!r} as an image ({reason}). {SKIP_HINT}", path=path
            ) from exc


@functools.cache
def _known_formats() -> tuple[str, ...]:
    """Those of ``_FORMATS`` this Pillow reads (``Image.open`` fails on a name it lacks)."""
    Image.init()
    return tuple(name for name in _FORMATS if name in Image.OPEN)


def _check_pixels(img: Image.Image, path: str, max_pixels: int | None) -> None:
    if max_pixels is not None and img.width * img.height > max_pixels:
        raise ImageTooLargeError(
            f"{path!r} is {img.width}x{img.height} = {img.width * img.height:,} pixels, over "
            f"max_pixels={max_pixels:,}; it was not decoded. Raise max_pixels, or drop such "
            "files with on_error='skip'.",
            path=path,
        )


def _stored_size(size: tuple[int, int], orientation) -> tuple[int, int]:
    """``(height, width)`` the stored (maybe sideways) image must reach to show as ``size``
    upright. JPEG's draft uses it too: libjpeg then decodes at 1/2, 1/4 or 1/8 scale."""
    return size[::-1] if orientation in _SWAPS_SIDES else size


def _decode(img, path, size, resize, orientation) -> Image.Image:
    """Working mode, then target size, then upright: in that order every full-size step
    is one Pillow cannot skip, and the rest is small."""
    work = _replace(img, _to_working_mode(img, path))
    if size is not None:
        work = _replace(work, _scale(work, _stored_size(size, orientation), resize))
    if orientation in _TRANSPOSES:
        work = _replace(work, work.transpose(_TRANSPOSES[orientation]))
    if size is not None:  # pad or crop upright, so the odd pixel falls where it would
        work = _replace(work, _place(work, size, resize))
    return work


def image_array(img: Image.Image, color_mode: str) -> np.ndarray:
    """The pixels of an RGB, L, RGBA or LA image in ``color_mode``, as ``(h, w, c)``.

    Converted a strip of rows at a time, so a full-size result costs the array itself
    rather than a composited copy, a converted copy and the bytes NumPy reads.
    """
    channels = 1 if color_mode == "grayscale" else 3
    out = np.empty((img.height, img.width, channels), dtype=np.uint8)
    for top, bottom in _strips(img.height, img.width):
        strip = _to_color_mode(img.crop((0, top, img.width, bottom)), color_mode)
        out[top:bottom] = np.asarray(strip, dtype=np.uint8).reshape(bottom - top, img.width,
                                                                    channels)
    return out


def _strips(height: int, width: int):
    """``(top, bottom)`` rows of the strips a big image is converted in, one at a time."""
    rows = max(1, _STRIP_PIXELS // max(1, width))
    return ((top, min(top + rows, height)) for top in range(0, height, rows))


def _replace(old: Image.Image, new: Image.Image) -> Image.Image:
    """Free ``old``'s pixels as soon as ``new`` exists (unless Pillow returned it as is)."""
    if new is not old:
        old.close()
    return new


def _to_working_mode(img: Image.Image, path: str) -> Image.Image:
    """A mode Pillow resizes correctly: RGB, L, or RGBA/LA while transparency matters.

    Palette and 1-bit images would be resized with nearest-neighbour, so they are
    expanded first."""
    if img.mode in ("1", *_INTEGER_MODES, "F"):
        grey = _wide_to_l(img) if img.mode != "1" else img.convert("L")
        return _with_transparent_key(grey, img)
    if img.mode in ("P", "L", "RGB") and "transparency" in img.info:
        return img.convert("RGBA")
    if img.mode == "P":
        return img.convert("RGB")
    if img.mode not in _WORKING_MODES:
        raise ImageDecodeError(
            f"{path!r} has Pillow image mode {img.mode!r}, which toonsklearn cannot convert "
            "to RGB. Convert the file to an 8-bit RGB PNG or JPEG first.",
            path=path,
        )
    target = _WORKING_MODES[img.mode]
    return img if img.mode == target else img.convert(target)


def _with_transparent_key(grey: Image.Image, source: Image.Image) -> Image.Image:
    """``grey`` with an alpha band when ``source`` names one value as transparent
    (PNG's tRNS for 1-bit and 16-bit greyscale), else ``grey`` itself."""
    key = source.info.get("transparency")
    if not isinstance(key, int) or isinstance(key, bool):
        return grey
    opaque = np.asarray(source).astype(np.int64) != (bool(key) if source.mode == "1" else key)
    alpha = Image.fromarray(np.where(opaque, 255, 0).astype(np.uint8), "L")
    return Image.merge("LA", (grey, alpha))


def _wide_to_l(img: Image.Image) -> Image.Image:
    """16- and 32-bit integer and float greyscale to 8 bits, scaled by the source's range.

    Integers map their type's range onto 0-255 (negative values clip to 0, as
    scikit-image's ``img_as_ubyte`` does); Pillow's own ``convert("L")`` would clip at
    255 instead. Floats are taken as 0-255 pixels, as Pillow takes them.
    """
    source = np.asarray(img)
    scale = 1.0
    if img.mode != "F":
        bits, signed = _integer_depth(img)
        if bits == 32 and not signed:
            source = source.view(np.uint32)  # Pillow holds unsigned 32-bit in signed "I"
        scale = 255.0 / (2 ** (bits - 1 if signed else bits) - 1)
    out = np.empty(source.shape, dtype=np.uint8)
    for top, bottom in _strips(*source.shape):
        strip = np.nan_to_num(source[top:bottom].astype(np.float64), posinf=255.0)
        out[top:bottom] = np.clip(np.rint(strip * scale), 0, 255)
    return Image.fromarray(out, "L")


def _integer_depth(img: Image.Image) -> tuple[int, bool]:
    """(bits, signed) of an integer image: Pillow's mode "I" holds 16-bit PNG/PPM data
    as well as 16- and 32-bit TIFFs, so the file's own tags decide."""
    if img.mode != "I":
        return 16, False
    tags = getattr(img, "tag_v2", None)
    if tags is not None and 258 in tags:  # TIFF BitsPerSample and SampleFormat
        bits = _first(tags[258])
        return bits, _first(tags.get(339, 1)) == 2
    if img.format in ("PNG", "PPM", "ICNS"):  # their deepest greyscale is 16-bit
        return 16, False
    return 32, True  # mode "I" is Pillow's 32-bit signed integer


def _first(value) -> int:
    return int(value[0] if isinstance(value, tuple) else value)


def _to_color_mode(img: Image.Image, color_mode: str) -> Image.Image:
    """Convert an RGB, L, RGBA or LA image to ``"RGB"`` or ``"L"``, compositing
    transparency onto white. Consumes ``img``."""
    if img.mode in ("RGBA", "LA"):
        rgba = _replace(img, img.convert("RGBA")) if img.mode == "LA" else img
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = _replace(rgba, Image.alpha_composite(background, rgba))
    target = "L" if color_mode == "grayscale" else "RGB"
    return img if img.mode == target else _replace(img, img.convert(target))


def fit_to_size(img: Image.Image, size: tuple[int, int], resize: str = "stretch") -> Image.Image:
    """Resize ``img`` to exactly ``size = (height, width)``.

    ``"stretch"`` ignores the aspect ratio; ``"pad"`` keeps it and pads with opaque
    black (as ``tf.image.resize_with_pad`` does); ``"crop"`` keeps it and crops the
    centre.
    """
    return _place(_scale(img, size, resize), size, resize)


def _scale(img: Image.Image, size: tuple[int, int], resize: str) -> Image.Image:
    """Resize to ``size`` (stretch), or keeping the aspect ratio to cover it (crop) or to
    fit inside it (pad)."""
    height, width = size
    if resize == "stretch":
        target = (width, height)
    else:
        scale_w, scale_h = width / img.width, height / img.height
        scale = min(scale_w, scale_h) if resize == "pad" else max(scale_w, scale_h)
        target = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img if img.size == target else img.resize(target, _RESAMPLE)


def _place(img: Image.Image, size: tuple[int, int], resize: str) -> Image.Image:
    """Centre a scaled image in ``size``: crop its overhang, or pad it with black."""
    height, width = size
    if img.size == (width, height):
        return img
    left, top = (width - img.width) // 2, (height - img.height) // 2
    if resize == "crop":
        return img.crop((-left, -top, -left + width, -top + height))
    black = {"RGBA": (0, 0, 0, 255), "LA": (0, 255)}.get(img.mode, 0)
    canvas = Image.new(img.mode, (width, height), black)
    canvas.paste(img, (left, top))
    return canvas


def resize_array(image: np.ndarray, size: tuple[int, int], resize: str = "stretch") -> np.ndarray:
    """Resize one ``(h, w, c)`` array with :func:`fit_to_size`, keeping its dtype."""
    if image.shape[:2] == tuple(size):
        return image
    if image.dtype == np.uint8 and image.shape[2] in (1, 3):
        mode = "L" if image.shape[2] == 1 else "RGB"
        resized = fit_to_size(
            Image.fromarray(image.squeeze(2) if mode == "L" else image, mode), size, resize
        )
        return image_array(resized, "grayscale" if mode == "L" else "rgb")
    channels = [
        np.asarray(
            fit_to_size(Image.fromarray(image[..., c].astype(np.float32), "F"), size, resize)
        )
        for c in range(image.shape[2])
    ]
    return np.stack(channels, axis=-1).astype(image.dtype, copy=False)


def check_size(size) -> None:
    """Raise a clear error unless ``size`` is None or ``(height, width)`` of positive ints."""
    if size is None:
        return
    if not (
        isinstance(size, tuple)
        and len(size) == 2
        and all(isinstance(s, Integral) and s > 0 for s in size)
    ):
        raise InvalidParameterError(
            "size must be a (height, width) tuple of positive ints or None; "
            f"received size={size!r}."
        )


def check_max_pixels(max_pixels) -> None:
    """Raise a clear error unless ``max_pixels`` is None or a positive int."""
    if max_pixels is not None and not (
        isinstance(max_pixels, Integral) and not isinstance(max_pixels, bool) and max_pixels > 0
    ):
        raise InvalidParameterError(
            f"max_pixels must be a positive int or None; received max_pixels={max_pixels!r}."
        )


def map_threads(func: Callable, items: Sequence, n_jobs: int | None,
                 progress: Progress | None = None) -> list:
    """``[func(x) for x in items]`` on a thread pool; Pillow releases the GIL while decoding.
    Each item done advances ``progress``."""
    if progress is not None:
        def func(item, func=func):
            result = func(item)
            progress.advance()
            return result
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
    *,
    max_pixels: int | None = None,
) -> np.ndarray:
    """Decode ``paths`` into one uint8 array ``(n, h, w, c)`` using ``n_jobs`` threads."""

    def read(path: str) -> np.ndarray:
        return read_image(path, size, resize, color_mode, max_pixels=max_pixels)

    if len(paths) == 0:
        channels = 1 if color_mode == "grayscale" else 3
        return np.empty((0, *(size or (0, 0)), channels), dtype=np.uint8)
    first = read(paths[0])
    out = np.empty((len(paths), *first.shape), dtype=np.uint8)  # filled in place: one copy
    out[0] = first

    def fill(index: int) -> None:
        image = read(paths[index])
        if image.shape != first.shape:
            raise ImageInputError(
                f"'{paths[index]}' is {image.shape[1]}x{image.shape[0]} pixels but "
                f"'{paths[0]}' is {first.shape[1]}x{first.shape[0]}, so they cannot be "
                "stacked into one array. Pass size=(height, width) to resize them.",
                path=paths[index],
            )
        out[index] = image

    map_threads(fill, range(1, len(paths)), n_jobs)
    return out


def shared_size(paths: Sequence[str], n_jobs: int | None = -1) -> tuple[int, int] | None:
    """``(height, width)`` of the images in ``paths`` when they all have that one size,
    else None; read from their headers on ``n_jobs`` threads."""
    sizes = set(map_threads(read_size, paths, n_jobs))
    return sizes.pop() if len(sizes) == 1 else None


def image_files(folder: Path, unreadable: list) -> list[str]:
    """Image files anywhere under ``folder``, hidden files and folders left out, sorted.

    Folders that cannot be listed are appended to ``unreadable`` as errors rather than
    silently left out, as ``os.walk`` would.
    """

    def refuse(exc: OSError) -> None:
        unreadable.append(
            UnreadableFileError(
                f"Cannot list the folder '{exc.filename}' ({exc.strerror}), so its images are "
                "not loaded. Change its permissions (chmod a+rx), or pass on_error='skip' to "
                "load the rest.",
                path=str(exc.filename),
            )
        )

    found = []
    for current, dirs, files in os.walk(folder, onerror=refuse):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(os.path.join(current, f) for f in sorted(files) if is_image_file(f))
    return found
