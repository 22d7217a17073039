"""The frozen-backbone feature cache behind the estimators' ``memory=``.

A frozen backbone gives the same image the same features in every fit, so a search over
head parameters (dropout, dense units, learning rate) need run it once per image, not
once per candidate and fold. Each image's features are one small ``.npy`` file in
``<memory>/toonsklearn_features/<extractor>/``:

- ``<extractor>`` is a digest of the feature extractor: every layer's class and
  configuration (preprocessing, pooling, input size) and every weight (so the backbone,
  its weights file or random seed all count);
- the file's name is a digest of the image's content: the bytes of an array row, or the
  real path, size and modification time of a file.

So the images of one fold hit the entries that another fold, trial or process filled.
Entries are written whole (a temporary file, then a rename), so a reader never sees half
of one. An entry that does not read back as the features expected (truncated, foreign,
not a regular file) counts as missing: it is computed again and replaced. A cache that
cannot be written warns with a :class:`~toonsklearn.exceptions.FeatureCacheWarning`, and
the fit goes on without it. Nothing is ever deleted: remove the folder to free the space.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import stat
import sys
import warnings
from collections.abc import Callable

import numpy as np

from . import __version__
from ._imaging import open_regular_file
from .exceptions import FeatureCacheWarning, ToonsklearnError

__all__ = ["cached_features", "cache_folder", "extractor_key", "image_keys"]

FOLDER = "toonsklearn_features"
_FORMAT = 1  # bump when what an entry holds changes
_HEADER_ROOM = 4096  # an .npy header is far smaller; a larger entry is not ours
_CHUNK = 1024  # images computed (and stored) at a time: an interrupted fit keeps its work


def cache_folder(memory) -> str | None:
    """The folder ``memory`` names: a path, a ``joblib.Memory`` (its ``location``) or None.

    Examples
    --------
    >>> from toonsklearn.features import cache_folder
    >>> cache_folder("features"), cache_folder(None)
    ('features', None)
    """
    if memory is None or isinstance(memory, (str, os.PathLike)):
        return None if memory is None else os.fspath(memory)
    if not hasattr(memory, "location"):
        raise TypeError(
            f"memory must be None, a folder path or a joblib.Memory; received {memory!r}."
        )
    location = memory.location
    return None if location is None else os.fspath(location)


def cached_features(memory, extractor, data: np.ndarray, is_paths: bool,
                    compute: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Features of every image in ``data``, in order.

    Read from the cache in ``memory`` where it has them; the others (each distinct image
    once) come from ``compute(indices)`` and are stored. With ``memory=None`` this is
    ``compute`` over everything.
    """
    folder = cache_folder(memory)
    if folder is None:
        return compute(np.arange(len(data)))
    store = _Store(os.path.join(folder, FOLDER, extractor_key(extractor)),
                   tuple(extractor.output_shape[1:]))
    keys = image_keys(data, is_paths)
    features = np.empty((len(data), *store.shape), dtype=np.float32)
    first: dict[str, int] = {}  # a missing image's first row
    todo, copies = [], []
    for i, key in enumerate(keys):
        row = store.read(key) if key is not None else None
        if row is not None:
            features[i] = row
        elif key is not None and key in first:
            copies.append((i, first[key]))
        else:
            todo.append(i)
            if key is not None:
                first[key] = i
    todo = np.asarray(todo, dtype=np.intp)
    for start in range(0, len(todo), _CHUNK):
        rows = todo[start:start + _CHUNK]
        features[rows] = compute(rows)
        store.write([keys[i] for i in rows], features[rows])
    for i, j in copies:
        features[i] = features[j]
    store.warn_failures()
    return features


def image_keys(data: np.ndarray, is_paths: bool) -> list[str | None]:
    """A digest of each image's content; None for a path that names no regular file
    (decoding it will raise the error that names it).

    Examples
    --------
    >>> import numpy as np
    >>> from toonsklearn.features import image_keys
    >>> X = np.zeros((3, 8, 8, 3), dtype=np.uint8)
    >>> X[2] = 255
    >>> keys = image_keys(X, is_paths=False)
    >>> keys[0] == keys[1], keys[0] == keys[2], len(keys[0])
    (True, False, 32)
    """
    if is_paths:
        return [_file_key(path) for path in data]
    prefix = f"array\0{data.dtype.str}\0{data.shape[1:]}".encode()
    keys = []
    for row in data:
        digest = hashlib.sha256(prefix)
        digest.update(np.ascontiguousarray(row))
        keys.append(digest.hexdigest()[:32])
    return keys


def _file_key(path: str) -> str | None:
    try:
        real = os.path.realpath(path)
        info = os.stat(real)
    except (OSError, ValueError):  # missing, a loop, a NUL in the name
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    text = f"file\0{real}\0{info.st_size}\0{info.st_mtime_ns}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def extractor_key(model) -> str:
    """A digest of what ``model`` computes: its input shape, each layer's class and
    configuration (names aside), and every weight."""
    import keras

    digest = hashlib.sha256(json.dumps([_FORMAT, __version__, list(model.input_shape[1:])])
                            .encode())
    for layer in _layers(model, keras.Model):
        digest.update(_describe(layer).encode())
    for weight in model.get_weights():
        value = np.ascontiguousarray(weight)
        digest.update(f"{value.dtype.str}{value.shape}".encode())
        digest.update(value)
    return digest.hexdigest()[:32]


def _layers(model, model_type):
    """Every layer of ``model``, nested models opened up, in the model's order."""
    for layer in model.layers:
        if isinstance(layer, model_type):
            yield from _layers(layer, model_type)
        else:
            yield layer


def _describe(layer) -> str:
    try:
        config = layer.get_config()
    except NotImplementedError:  # a custom layer without one: its class and weights count
        config = {}
    config = {k: v for k, v in config.items() if k not in ("name", "trainable")}
    kind = f"{type(layer).__module__}.{type(layer).__qualname__}"
    return json.dumps([kind, config], sort_keys=True, default=repr)


class _Store:
    """The entries of one extractor: read whole or not at all, written whole."""

    def __init__(self, folder: str, shape: tuple[int, ...]):
        self.folder = folder
        self.shape = shape
        self.limit = int(np.prod(shape)) * 4 + _HEADER_ROOM
        self.failures: list[OSError] = []

    def path(self, key: str) -> str:
        return os.path.join(self.folder, key[:2], key + ".npy")

    def read(self, key: str) -> np.ndarray | None:
        try:
            with open_regular_file(self.path(key)) as entry:  # a FIFO is never read
                blob = entry.read(self.limit + 1)
            row = np.load(io.BytesIO(blob), allow_pickle=False)
        except (ToonsklearnError, OSError, ValueError, EOFError):
            return None
        if len(blob) > self.limit or row.shape != self.shape or row.dtype != np.float32:
            return None
        return row

    def write(self, keys: list, rows: np.ndarray) -> None:
        for key, row in zip(keys, rows, strict=True):
            if key is None:
                continue
            path = self.path(key)
            temporary = f"{path}.{secrets.token_hex(6)}.tmp"
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                with os.fdopen(fd, "wb") as entry:
                    np.save(entry, row, allow_pickle=False)
                os.replace(temporary, path)
            except OSError as exc:
                self.failures.append(exc)
                try:
                    os.remove(temporary)
                except OSError:
                    pass

    def warn_failures(self) -> None:
        if self.failures:
            warnings.warn(
                f"{len(self.failures)} image features could not be written to the feature "
                f"cache {self.folder!r} (first error: {self.failures[0]}); they were "
                "computed but not cached. Check that memory= names a writable folder.",
                FeatureCacheWarning,
                stacklevel=_outside_stacklevel(),
            )


def _outside_stacklevel() -> int:
    """The ``stacklevel`` (for the caller) of the first frame outside toonsklearn and
    scikit-learn's ``fit`` wrapper: the user's line, however deep the cache was reached."""
    import sklearn.base

    inside = (os.path.dirname(os.path.abspath(__file__)), sklearn.base.__file__)
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(inside):
        level, frame = level + 1, frame.f_back
    return level
