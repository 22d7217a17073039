"""Decode one image file, or resize one image array, with Pillow.

The single place that knows how real-world files look: EXIF orientation,
transparency, palettes, CMYK, 16-bit and greyscale sources. The loader, the
transformer and the dataset generator all resize through :func:`fit_to_size`,
so the three ``resize`` modes mean the same thing everywhere.
"""

from __future__ import annotations

import os
from numbers import Integral

import numpy as np
from PIL import Image, ImageOps

from .exceptions import ImageDecodeError

IMAGE_EXTENSIONS = frozenset({".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})
RESIZE_MODES = ("stretch", "pad", "crop")
COLOR_MODES = ("rgb", "grayscale")
_RESAMPLE = Image.Resampling.BILINEAR
_EXIF_ORIENTATION = 0x0112
_TRANSPOSED_ORIENTATIONS = (5, 6, 7, 8)  # EXIF orientations that swap width and height
_SKIP_HINT = (
    "Remove it, or build the file list with load_image_folder(..., on_error='skip'), "
    "which drops unreadable files together with their labels."
)


def is_image_file(name: str) -> bool:
    """True for a visible file whose extension (any case) is an image extension."""
    base = os.path.basename(name)
    return not base.startswith(".") and os.path.splitext(base)[1].lower() in IMAGE_EXTENSIONS


def read_image(
    path: str | os.PathLike,
    size: tuple[int, int] | None = None,
    resize: str = "stretch",
    color_mode: str = "rgb",
) -> np.ndarray:
    """Decode ``path`` to a uint8 array ``(h, w, 3)``, or ``(h, w, 1)`` for greyscale.

    Raises :class:`ImageDecodeError` naming the file when it is not a readable image,
    and ``FileNotFoundError`` when it does not exist.
    """
    path = os.fspath(path)
    try:
        with Image.open(path) as img:
            if size is not None and img.format == "JPEG":
                _draft(img, size, color_mode)
            img = ImageOps.exif_transpose(img)
            img = to_color_mode(img, color_mode)
    except FileNotFoundError:
        raise FileNotFoundError(f"No such image file: {path!r}.") from None
    except Image.DecompressionBombError as exc:
        raise ImageDecodeError(
            f"Refusing to decode {path!r}: {exc} If you trust this file, raise "
            "PIL.Image.MAX_IMAGE_PIXELS (or set it to None) before loading.",
            path=path,
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError, Image.UnidentifiedImageError) as exc:
        reason = str(exc) or type(exc).__name__
        raise ImageDecodeError(
            f"Could not decode {path!r} as an image ({reason}). {_SKIP_HINT}", path=path
        ) from exc
    if size is not None:
        img = fit_to_size(img, size, resize)
    return _as_array(img)


def _draft(img: Image.Image, size: tuple[int, int], color_mode: str) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the target is that much smaller."""
    height, width = size
    if img.getexif().get(_EXIF_ORIENTATION) in _TRANSPOSED_ORIENTATIONS:
        height, width = width, height
    img.draft("L" if color_mode == "grayscale" else "RGB", (width, height))


def to_color_mode(img: Image.Image, color_mode: str) -> Image.Image:
    """Convert any Pillow mode to ``"RGB"`` or ``"L"``, compositing transparency onto white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale: Pillow's convert("L") would clip at 255 instead of scaling.
        wide = np.asarray(img, dtype=np.float64)
        img = Image.fromarray(np.clip(np.rint(wide / 257.0), 0, 255).astype(np.uint8), "L")
    elif img.mode == "F":
        img = Image.fromarray(np.clip(np.rint(np.asarray(img)), 0, 255).astype(np.uint8), "L")
    if img.mode == "P" or "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    return img.convert("L" if color_mode == "grayscale" else "RGB")


def fit_to_size(img: Image.Image, size: tuple[int, int], resize: str = "stretch") -> Image.Image:
    """Resize ``img`` to exactly ``size = (height, width)``.

    ``"stretch"`` ignores the aspect ratio; ``"pad"`` keeps it and pads with black
    (as ``tf.image.resize_with_pad`` does); ``"crop"`` keeps it and crops the centre.
    """
    height, width = size
    if img.size == (width, height):
        return img
    if resize == "stretch":
        return img.resize((width, height), _RESAMPLE)
    scale_w, scale_h = width / img.width, height / img.height
    scale = min(scale_w, scale_h) if resize == "pad" else max(scale_w, scale_h)
    inner = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    scaled = img.resize(inner, _RESAMPLE)
    left, top = (width - inner[0]) // 2, (height - inner[1]) // 2
    if resize == "crop":
        return scaled.crop((-left, -top, -left + width, -top + height))
    canvas = Image.new(img.mode, (width, height))
    canvas.paste(scaled, (left, top))
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
        return _as_array(resized)
    channels = [
        np.asarray(
            fit_to_size(Image.fromarray(image[..., c].astype(np.float32), "F"), size, resize)
        )
        for c in range(image.shape[2])
    ]
    return np.stack(channels, axis=-1).astype(image.dtype, copy=False)


def _as_array(img: Image.Image) -> np.ndarray:
    array = np.asarray(img, dtype=np.uint8)
    return array[..., np.newaxis] if array.ndim == 2 else array


def check_size(size) -> None:
    """Raise a clear error unless ``size`` is None or ``(height, width)`` of positive ints."""
    if size is None:
        return
    if not (
        isinstance(size, tuple)
        and len(size) == 2
        and all(isinstance(s, Integral) and s > 0 for s in size)
    ):
        raise ValueError(
            "size must be a (height, width) tuple of positive ints or None; "
            f"received size={size!r}."
        )
