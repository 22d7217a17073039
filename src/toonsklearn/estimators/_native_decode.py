"""TensorFlow's own PNG decoder, for the plain PNG files of path mode.

Pillow decodes a file in Python and holds the GIL for much of a small one, so it
caps how fast path mode streams small files; TensorFlow decodes PNG inside the
``tf.data`` threads without the GIL. The two give the same pixels only for some
files, so :func:`read_plain_png` lets a file through only when its bytes show that
it is one: an 8-bit greyscale, RGB or palette PNG at exactly the model's input size
(nothing to resize), with no transparency and nothing Pillow would read an
orientation from, whose chunks are all of a few kinds that change no pixel, in
their places, well formed and with their checksums right. Every other file, and
every path that is not a regular file this module can read, is left to
:func:`~toonsklearn._utils.imaging.read_image`, which decodes it and raises the
errors that name it.

Python still reads each file, opening it without blocking and checking it is a
regular file, so a FIFO is never waited on; the bytes of a batch then go to the
graph, which :func:`decode_batch` decodes.
"""

from __future__ import annotations

import functools
import os
import stat
import struct
import zlib

import tensorflow as tf
from PIL import Image, PngImagePlugin

from .._utils.imaging import OPEN_FLAGS

__all__ = ["DECODE_OP", "decode_batch", "is_plain_png", "read_plain_png"]

#: The name of the decoding op, which its errors carry.
DECODE_OP = "toonsklearn_native_png"

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_HEAD = 1 << 16  # read first: all of a small file, the header of a large one
_GREY, _RGB, _PALETTE = 0, 2, 3
# Ancillary chunks that change no pixel in Pillow or in TensorFlow, with their one
# valid length (Pillow refuses a shorter one). All but tIME belong before the pixels.
_INERT = {b"gAMA": 4, b"cHRM": 32, b"sRGB": 1, b"pHYs": 9, b"tIME": 7}
_CHUNK = struct.Struct(">I4s")
_IHDR = struct.Struct(">IIBBBBB")
_IHDR_COLOUR = 25  # the offset of the colour type in the file
_MAX_ICC = 1 << 20


def read_plain_png(path, size: tuple[int, int]) -> bytes | None:
    """The bytes of the file ``path`` if :func:`is_plain_png`, else None.

    None as well for anything that is not a regular file that opens (a FIFO, a
    folder, a missing file, a broken link), which is never read and which
    ``read_image`` then names in its error; a file larger than a plain PNG of
    ``size`` can be is not read either. This is ``open_regular_file``'s check
    without the file object and messages it makes: it runs for every file of every
    batch, and ``read_image`` makes the messages.
    """
    try:
        fd = os.open(path, OPEN_FLAGS)
    except (OSError, ValueError):  # ValueError: a NUL in the name
        return None
    try:
        info = os.fstat(fd)
        height, width = size
        if not stat.S_ISREG(info.st_mode) or info.st_size > 4 * height * (3 * width + 1) + _HEAD:
            return None
        data = os.read(fd, min(info.st_size, _HEAD))
        if not _plain_header(data, size):
            return None
        while len(data) < info.st_size:
            more = os.read(fd, info.st_size - len(data))
            if not more:
                break
            data += more
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if _plain_chunks(data) else None


def _plain_header(data: bytes, size: tuple[int, int]) -> bool:
    """Whether ``data`` starts as a PNG of ``size`` that :func:`is_plain_png` may accept."""
    if len(data) < 33 or not data.startswith(_SIGNATURE):
        return False
    if _CHUNK.unpack_from(data, 8) != (13, b"IHDR"):
        return False
    width, height, depth, colour, compression, filtering, interlace = _IHDR.unpack_from(data, 16)
    limit = Image.MAX_IMAGE_PIXELS  # Pillow warns, or refuses, above it
    return ((height, width) == tuple(size) and depth == 8 and colour in (_GREY, _RGB, _PALETTE)
            and compression == filtering == 0 and interlace in (0, 1)
            and (limit is None or width * height <= limit))


def is_plain_png(data: bytes, size: tuple[int, int]) -> bool:
    """Whether TensorFlow's ``decode_png(data, channels=3)`` gives exactly the pixels
    ``read_image`` gives for a file holding ``data``, at ``size`` (height, width).

    False for anything else, in doubt too: such a file goes to ``read_image``. Each
    chunk must be whole with its checksum right (Pillow refuses a wrong one, except
    in the pixel data, where TensorFlow does); besides the header, the pixel data
    and the end, only a palette (for a palette or RGB image, which Pillow ignores),
    an ICC profile (neither applies it) and the chunks of ``_INERT``, each at most
    once and where the PNG standard puts it. Text chunks, EXIF (``eXIf``) and
    transparency (``tRNS``) are not among them: text can carry EXIF or XMP, whose
    orientation Pillow applies, or overwrite what Pillow has read.
    """
    return _plain_header(data, size) and _plain_chunks(data)


def _plain_chunks(data: bytes) -> bool:
    """The chunks' part of :func:`is_plain_png`, for a file whose header passed."""
    colour, view, seen = data[_IHDR_COLOUR], memoryview(data), set()
    pos, pixels = 8, "before"  # before, in or after the one run of IDAT chunks
    while pos + 12 <= len(data):
        length, kind = _CHUNK.unpack_from(data, pos)
        stop = pos + 8 + length
        if stop + 4 > len(data) or (zlib.crc32(view[pos + 4:stop])
                                    != int.from_bytes(view[stop:stop + 4], "big")):
            return False
        body, pos = view[pos + 8:stop], stop + 4
        if kind == b"IDAT":
            if pixels == "after" or (colour == _PALETTE and b"PLTE" not in seen):
                return False
            pixels = "in"
            continue
        if pixels == "in":
            pixels = "after"
        if kind == b"IEND":
            return length == 0 and pixels == "after"
        if kind in seen or (pixels == "after" and kind != b"tIME"):
            return False
        seen.add(kind)
        if kind == b"PLTE":
            if colour == _GREY or length % 3 or not 3 <= length <= 768:
                return False
        elif kind == b"iCCP":
            if length > _MAX_ICC or not _plain_icc(bytes(body)):
                return False
        elif kind != b"IHDR" and _INERT.get(kind) != length:
            return False
    return False  # no IEND


def _plain_icc(data: bytes) -> bool:
    """Whether Pillow reads this iCCP chunk without an error (it keeps the profile,
    which changes no pixel): a name, compression method 0, and a profile that
    inflates to no more than ``PngImagePlugin.MAX_TEXT_CHUNK`` bytes, or not at all
    (Pillow drops a profile that fails to inflate)."""
    name_end = data.find(b"\0")
    if not 1 <= name_end <= 79 or name_end + 1 >= len(data) or data[name_end + 1] != 0:
        return False
    inflate = zlib.decompressobj()
    try:
        inflate.decompress(data[name_end + 2:], PngImagePlugin.MAX_TEXT_CHUNK)
    except zlib.error:
        return True
    return not inflate.unconsumed_tail


def decode_batch(blobs: tf.Tensor, images: tf.Tensor, shape: tuple[int, int, int]) -> tf.Tensor:
    """``images`` (a batch, uint8) with each non-empty PNG of ``blobs`` decoded in its
    place, in ``shape``'s colour mode: greyscale as Pillow converts RGB to it."""
    return _batch_decoder(tuple(shape))(blobs, images)


@functools.cache
def _batch_decoder(shape: tuple[int, int, int]):
    """:func:`decode_batch` for one shape as a graph function, traced once per process
    (each new pipeline then only calls it)."""
    return tf.function(functools.partial(_decode_batch, shape=shape), autograph=False,
                       input_signature=[tf.TensorSpec((None,), tf.string),
                                        tf.TensorSpec((None, *shape), tf.uint8)])


def _decode_batch(blobs, images, shape):
    given = tf.strings.length(blobs) > 0

    def decode(blob):
        rgb = tf.ensure_shape(tf.io.decode_png(blob, channels=3, name=DECODE_OP),
                              (*shape[:2], 3))
        return rgb if shape[2] == 3 else pillow_grey(rgb)

    def one(args):
        blob, image = args
        return tf.cond(tf.strings.length(blob) > 0, lambda: decode(blob), lambda: image)

    return tf.cond(
        tf.reduce_any(given),
        lambda: tf.map_fn(one, (blobs, images),
                          fn_output_signature=tf.TensorSpec(shape, tf.uint8)),
        lambda: images)


def pillow_grey(rgb: tf.Tensor) -> tf.Tensor:
    """``(h, w, 3)`` uint8 RGB as Pillow's ``convert("L")`` makes it, ``(h, w, 1)``:
    ITU-R 601-2 luma in 16-bit fixed point, rounded."""
    weights = tf.constant([19595, 38470, 7471], tf.int32)
    luma = tf.reduce_sum(tf.cast(rgb, tf.int32) * weights, axis=-1, keepdims=True)
    return tf.cast(tf.bitwise.right_shift(luma + 0x8000, 16), tf.uint8)
