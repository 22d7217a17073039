"""TensorFlow's PNG decoder in path mode (toonsklearn/estimators/_native_decode.py): the
plain PNG files it decodes give the model exactly the pixels ``read_images`` gives, every
other file still goes through Pillow, and what fails still fails with our error, naming
the file, without ever reading a FIFO."""

import io
import os
import struct
import threading
import time
import zlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tests.keras_helpers import small_cnn
from toonsklearn._utils.imaging import _known_formats, read_images
from toonsklearn.estimators._data import ImageSource, make_dataset
from toonsklearn.estimators._native_decode import read_plain_png
from toonsklearn.exceptions import ImageDecodeError, ImageTooLargeError, NotRegularFileError

SIZE = (12, 20)  # height, width: not square, so a swapped side shows
_ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2)]  # (x, y, dx, dy) of each pass


def chunk(kind: bytes, body: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + body) if crc is None else crc
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png(pixels, colour: int, *, depth=8, before=(), after=(), interlace=0,
        pixel_data: bytes | None = None) -> bytes:
    """A PNG file of ``pixels`` (h, w[, c]) written chunk by chunk: ``before`` and
    ``after`` the pixel data, (kind, body) pairs; Adam7-interlaced if ``interlace``."""
    pixels = np.asarray(pixels)
    height, width = pixels.shape[:2]
    raw = pixels.astype(">u2" if depth == 16 else np.uint8)

    def rows(part):
        return b"".join(b"\0" + row.tobytes() for row in part)

    if pixel_data is None:
        passes = ([raw[y::dy, x::dx] for x, y, dx, dy in _ADAM7] if interlace else [raw])
        pixel_data = zlib.compress(b"".join(rows(part) for part in passes if part.size))
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + b"".join(chunk(*c) for c in before) + chunk(b"IDAT", pixel_data)
            + b"".join(chunk(*c) for c in after) + chunk(b"IEND", b""))


def exif(orientation: int) -> bytes:
    """An EXIF block (TIFF data, as PNG's eXIf chunk holds it) with ``orientation``."""
    tags = Image.Exif()
    tags[0x0112] = orientation
    return tags.tobytes()[len(b"Exif\0\0"):]


def saved(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def icc(profile: bytes) -> bytes:
    return b"sRGB profile\0\0" + zlib.compress(profile)


def every_kind() -> dict[str, tuple[bytes, bool]]:
    """name -> (file bytes, whether TensorFlow decodes it) for files of every kind the
    loader reads, plain PNGs at ``SIZE`` among them."""
    rng = np.random.default_rng(0)
    h, w = SIZE

    def noise(*shape):
        return rng.integers(0, 256, shape, dtype=np.uint8)

    rgb, grey, index = noise(h, w, 3), noise(h, w), noise(h, w)
    palette = (b"PLTE", noise(256 * 3).tobytes())
    files = {
        "rgb": (png(rgb, 2), True),
        "rgb_pillow": (saved(Image.fromarray(rgb), "PNG"), True),
        "grey": (png(grey, 0), True),
        "palette": (png(index, 3, before=[(b"PLTE", noise(256 * 3).tobytes())]), True),
        "palette_short": (png(index, 3, before=[(b"PLTE", noise(12).tobytes())]), True),
        "rgb_interlaced": (png(rgb, 2, interlace=1), True),
        "grey_interlaced": (png(grey, 0, interlace=1), True),
        "rgb_gamma_and_more": (png(rgb, 2, before=[
            (b"gAMA", struct.pack(">I", 100000)), (b"cHRM", bytes(range(32))),
            (b"pHYs", struct.pack(">IIB", 2835, 2835, 1)), (b"sRGB", b"\0")],
            after=[(b"tIME", bytes(7))]), True),
        "rgb_icc": (png(rgb, 2, before=[(b"iCCP", icc(b"not a real profile" * 9))]), True),
        "rgb_icc_broken": (png(rgb, 2, before=[(b"iCCP", b"name\0\0 not zlib")]), True),
        "rgb_suggested_palette": (png(rgb, 2, before=[palette]), True),
        # other sizes, resized by Pillow
        "rgb_larger": (png(noise(h + 3, w, 3), 2), False),
        "rgb_swapped": (png(noise(w, h, 3), 2), False),
        "grey_smaller": (png(noise(h - 4, w - 5), 0), False),
        # transparency, orientation, depth: what Pillow alone does as read_image wants
        "rgba": (png(noise(h, w, 4), 6), False),
        "grey_alpha": (png(noise(h, w, 2), 4), False),
        "palette_trns": (png(index, 3, before=[palette, (b"tRNS", noise(256).tobytes())]),
                         False),
        "rgb_trns": (png(rgb, 2, before=[(b"tRNS", struct.pack(">HHH", *rgb[0, 0]))]), False),
        "grey_trns": (png(grey, 0, before=[(b"tRNS", struct.pack(">H", grey[0, 0]))]), False),
        "grey16": (png(rng.integers(0, 65536, (h, w)), 0, depth=16), False),
        "rgb16": (png(rng.integers(0, 65536, (h, w, 3)), 2, depth=16), False),
        "palette4": (saved(Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE,
                                                       colors=16), "PNG", bits=4), False),
        "exif_rotated": (png(noise(w, h, 3), 2, before=[(b"eXIf", exif(6))]), False),
        "exif_mirrored": (png(rgb, 2, before=[(b"eXIf", exif(2))]), False),
        "exif_after_pixels": (png(rgb, 2, after=[(b"eXIf", exif(3))]), False),
        "exif_as_text": (png(rgb, 2, before=[
            (b"tEXt", b"Raw profile type exif\0\nexif\n" + b" 26\n" + exif(3).hex().encode())]),
            False),
        "xmp_rotated": (png(rgb, 2, before=[(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0"
                                             b'<x tiff:Orientation="3"/>')]), False),
        "text": (png(rgb, 2, before=[(b"tEXt", b"Software\0toonsklearn")]), False),
        "idat_checksum_wrong": (png(rgb, 2)[:-16] + b"\0\0\0\0" + png(rgb, 2)[-12:], False),
        "unknown_chunk": (png(rgb, 2, before=[(b"zzZz", b"?")]), False),
        "jpeg": (saved(Image.fromarray(rgb), "JPEG"), False),
        "jpeg_rotated": (saved(Image.fromarray(noise(w, h, 3)), "JPEG",
                              exif=b"Exif\0\0" + exif(8)), False),
    }
    for fmt in _known_formats():  # every other format this Pillow writes
        if fmt in ("PNG", "JPEG"):
            continue
        try:
            data = saved(Image.fromarray(noise(h + 2, w - 1, 3)), fmt)
            Image.open(io.BytesIO(data)).load()
        except Exception:  # noqa: BLE001 (this Pillow cannot write or read back that format)
            continue
        files[fmt.lower()] = (data, False)
    return files


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kinds")
    written = {}
    for name, (data, plain) in every_kind().items():
        (folder / name).write_bytes(data)
        written[str(folder / name)] = plain
    return written


def batches(source: ImageSource) -> np.ndarray:
    """What the model receives for every image of ``source``, batch after batch."""
    return np.concatenate([batch.numpy() for batch in
                           make_dataset(source, np.arange(len(source)), batch_size=5)])


@pytest.fixture(scope="module")
def plain_paths(files):
    return [path for path, plain in files.items() if plain]


@pytest.fixture(scope="module")
def fitted(plain_paths):
    return small_cnn(epochs=1, input_size=SIZE).fit(plain_paths, np.arange(len(plain_paths)) % 2)


# Files at the input size whose pixels Pillow changes: each would show if it went to
# TensorFlow's decoder, which knows nothing of orientation or transparency.
TURNED_OR_KEYED = ["exif_mirrored", "exif_after_pixels", "exif_as_text", "xmp_rotated",
                   "rgb_trns", "grey_trns", "palette_trns"]


def test_only_the_plain_pngs_at_the_input_size_go_to_tensorflow(files):
    assert {path: read_plain_png(path, SIZE) is not None for path in files} == files
    assert all(read_plain_png(path, (SIZE[0], SIZE[1] + 1)) is None for path in files)
    for path in files:
        if os.path.basename(path) in TURNED_OR_KEYED:
            with open(path, "rb") as file:
                tensorflow = tf.io.decode_png(file.read(), channels=3).numpy()
            assert not np.array_equal(read_images([path], SIZE)[0], tensorflow), path


@pytest.mark.parametrize("color_mode, channels", [("rgb", 3), ("grayscale", 1)])
def test_the_model_gets_the_pixels_read_images_gives(files, color_mode, channels):
    paths = np.array(list(files))
    expected = read_images(paths, SIZE, color_mode=color_mode, n_jobs=1)
    source = ImageSource(paths, True, (*SIZE, channels))
    assert source.native
    got = batches(source)
    assert got.dtype == np.float32
    for path, image, reference in zip(paths, got, expected, strict=True):
        np.testing.assert_array_equal(image, reference, err_msg=os.path.basename(path))
    np.testing.assert_array_equal(batches(ImageSource(paths, True, (*SIZE, channels),
                                                      native=False)), got)


def test_an_estimator_on_paths_fits_and_predicts_as_on_the_images(files):
    paths = np.array(list(files))
    images = read_images(paths, SIZE, n_jobs=1)
    y = np.arange(len(paths)) % 2
    on_paths = small_cnn(epochs=2, input_size=SIZE).fit(paths, y)
    on_images = small_cnn(epochs=2).fit(images, y)
    np.testing.assert_allclose(on_paths.history_["loss"], on_images.history_["loss"], rtol=1e-5)
    np.testing.assert_allclose(on_paths.predict_proba(paths), on_images.predict_proba(images),
                               rtol=1e-5, atol=1e-6)


def broken_pixels() -> bytes:
    """A PNG whose every chunk is whole and checksummed, but whose pixel data is no
    zlib stream: plain to look at, refused by both decoders."""
    return png(np.zeros((*SIZE, 3), np.uint8), 2, pixel_data=b"\x78\x9c not deflate data")


@pytest.mark.parametrize("content", [
    broken_pixels(),
    png(np.zeros((*SIZE, 3), np.uint8), 2)[:-30],  # cut short
    png(np.zeros((*SIZE, 3), np.uint8), 2, before=[(b"gAMA", bytes(4))])
    .replace(b"gAMA\0\0\0\0", b"gAMA\0\0\0\1"),  # a checksum Pillow checks, wrong
], ids=["broken-pixels", "truncated", "bad-checksum"])
def test_a_broken_png_that_looks_plain_is_named_in_our_error(tmp_path, plain_paths, fitted,
                                                              content):
    bad = tmp_path / "broken.png"
    bad.write_bytes(content)
    weights = fitted.model_.get_weights()
    with pytest.raises(ImageDecodeError, match="broken.png"):
        fitted.predict_proba([*plain_paths, str(bad), *plain_paths])
    for before, after in zip(weights, fitted.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    with pytest.raises(ImageDecodeError, match="broken.png"):
        small_cnn(epochs=1, input_size=SIZE).fit([*plain_paths, str(bad)],
                                                 np.arange(len(plain_paths) + 1) % 2)


def test_a_png_only_tensorflow_refuses_is_named_in_our_error(tmp_path, plain_paths, fitted):
    """A zlib header that claims a smaller window than its data reaches back: Pillow's
    zlib reads it, the libpng in TensorFlow does not."""
    rows = np.random.default_rng(1).integers(0, 256, (SIZE[0] // 2, SIZE[1], 3), np.uint8)
    rows = np.concatenate([rows, rows])  # the second half repeats the first, far back
    data = zlib.compress(b"".join(b"\0" + row.tobytes() for row in rows))
    cmf = 0x08  # deflate with a 256-byte window
    lying = bytes([cmf, (31 - cmf * 256 % 31) % 31]) + data[2:]
    bad = tmp_path / "lying.png"
    bad.write_bytes(png(rows, 2, pixel_data=lying))
    assert read_plain_png(bad, SIZE) is not None
    np.testing.assert_array_equal(np.asarray(Image.open(bad)), rows)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.io.decode_png(bad.read_bytes(), channels=3)
    with pytest.raises(ImageDecodeError, match="lying.png.*TensorFlow's PNG decoder"):
        fitted.predict_proba([*plain_paths, str(bad)])


def test_pillows_pixel_limit_still_refuses_a_plain_png(plain_paths, fitted, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", SIZE[0] * SIZE[1] // 3)
    assert read_plain_png(plain_paths[0], SIZE) is None
    with pytest.raises(ImageTooLargeError, match="MAX_IMAGE_PIXELS"):
        fitted.predict(plain_paths[:3])


def test_a_fifo_among_the_paths_is_refused_without_waiting_for_a_writer(tmp_path, plain_paths,
                                                                        fitted):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)

    def unblock():  # should the FIFO be read after all, end the wait: the test fails
        os.close(os.open(fifo, os.O_WRONLY))

    guard = threading.Timer(30, unblock)
    guard.daemon = True
    guard.start()
    start = time.monotonic()
    try:
        with pytest.raises(NotRegularFileError, match="pipe.png"):
            fitted.predict([*plain_paths, str(fifo)])
    finally:
        guard.cancel()
    assert time.monotonic() - start < 30
