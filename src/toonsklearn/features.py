"""The frozen-backbone feature cache behind the estimators' ``memory=``.

A frozen backbone gives the same image the same features in every fit, so a search over
head parameters (dropout, dense units, learning rate) need run it once per image, not
once per candidate and fold. Each image's features are one small ``.npy`` file in
``<memory>/toonsklearn_features/<extractor>/``:

- ``<extractor>`` is a digest of the feature extractor: every layer's class,
  configuration and wiring (preprocessing, pooling, input size), layer names aside, and
  every weight (so the backbone, its weights file or random seed all count). The
  ``call`` of a subclassed ``keras.Model`` is Python code that no digest sees: after
  changing one, use a new folder;
- the file's name is a digest of the image's content: the bytes of an array row, or of
  an image file (so a copy of the data set on another machine shares the entries).

So the images of one fold hit the entries that another fold, trial or process filled.
Beside them, ``<memory>/toonsklearn_features/recipes/`` remembers which extractor key a
recipe (a description of how an estimator builds its extractor, e.g. a registry name,
its weights and input size) gave: a fit whose images are all cached then trains its
head without building the backbone (``remembered_extractor``,
``read_cached_features``); the estimator checks the key again when it builds the
backbone after all.
Entries are written whole (a temporary file, then a rename), so a reader never sees half
of one. An entry that does not read back as the features expected (truncated, foreign,
not a regular file) counts as missing: it is computed again and replaced. Anyone who
may write to the folder decides what its readers predict: share it only with people
you trust (for a group, a setgid folder and ``umask 002``). A cache that
cannot be written warns with a :class:`~toonsklearn.exceptions.FeatureCacheWarning`, and
the fit goes on without it. Nothing is ever deleted: remove the folder to free the space.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import secrets
import warnings
from collections.abc import Callable

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError

from . import __version__
from ._utils.imaging import open_regular_file
from ._utils.replace import replacing
from .exceptions import FeatureCacheWarning, ToonsklearnError, user_stacklevel

__all__ = ["cached_features", "cache_folder", "extractor_key", "forget_extractor",
           "image_keys", "read_cached_features", "remember_extractor",
           "remembered_extractor"]

FOLDER = "toonsklearn_features"
_FORMAT = 1  # bump when what an entry holds changes
_HEADER_ROOM = 4096  # an .npy header is far smaller; a larger entry is not ours
_CHUNK = 1024  # images computed (and stored) at a time: an interrupted fit keeps its work


def cache_folder(memory) -> str | None:
    """Return the folder ``memory`` names: a path itself, or a ``joblib.Memory``'s location.

    Parameters
    ----------
    memory : str or path-like or joblib.Memory or None
        The estimators' ``memory=`` value.

    Returns
    -------
    folder : str or None
        The folder's path; None when ``memory`` (or the ``Memory``'s location) is None,
        which turns the cache off.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        ``memory`` is none of these (a ``TypeError`` too).

    Examples
    --------
    >>> from toonsklearn.features import cache_folder
    >>> cache_folder("features"), cache_folder(None)
    ('features', None)
    """
    if memory is None or isinstance(memory, (str, os.PathLike)):
        folder = None if memory is None else os.fspath(memory)
        if folder == "":
            raise InvalidParameterError(
                "memory='' names no folder; pass a folder path (created if missing) to "
                "cache the features, or None to cache nothing.")
        return folder
    if not hasattr(memory, "location"):
        raise InvalidParameterError(
            f"memory must be None, a folder path or a joblib.Memory; received {memory!r}."
        )
    location = memory.location
    return None if location is None else os.fspath(location)


def cached_features(memory, extractor, data: np.ndarray, is_paths: bool,
                    compute: Callable[[np.ndarray], np.ndarray], *,
                    key: str | None = None) -> np.ndarray:
    """Compute or read from the cache the features of every image in ``data``, in order.

    Read from the cache in ``memory`` where it has them; the others (each distinct image
    once) come from ``compute(indices)`` and are stored. With ``memory=None`` this is
    ``compute`` over everything. A cache that cannot be written warns with a
    :class:`~toonsklearn.exceptions.FeatureCacheWarning` and the features are returned
    all the same.

    Parameters
    ----------
    memory : str or path-like or joblib.Memory or None
        The cache folder, as :func:`~toonsklearn.features.cache_folder` reads it; None
        caches nothing.
    extractor : keras.Model
        The feature extractor; its :func:`~toonsklearn.features.extractor_key` names the
        cache's sub-folder, and its ``output_shape`` is the shape of one entry.
    data : ndarray of shape (n_samples, ...) or (n_samples,)
        The images: an image array, or file paths.
    is_paths : bool
        Whether ``data`` holds file paths (keyed by the files' bytes) rather than
        images (keyed by the pixels).
    compute : callable
        ``compute(indices)`` returns the features of ``data[indices]``, an array of
        shape ``(len(indices), *extractor.output_shape[1:])``.
    key : str or None, default=None
        ``extractor_key(extractor)``, when the caller has it already.

    Returns
    -------
    features : ndarray of shape (n_samples, ...)
        The features of each image of ``data``, float32.

    Examples
    --------
    >>> import os, tempfile
    >>> import keras, numpy as np
    >>> from toonsklearn.features import cached_features
    >>> inputs = keras.Input((8, 8, 3))
    >>> extractor = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs))
    >>> X = np.random.default_rng(0).integers(0, 256, (4, 8, 8, 3), dtype=np.uint8)
    >>> computed = []
    >>> def compute(indices):
    ...     computed.append(len(indices))
    ...     return extractor.predict(X[indices], verbose=0)
    >>> folder = tempfile.mkdtemp()
    >>> first = cached_features(folder, extractor, X, False, compute)
    >>> again = cached_features(folder, extractor, X, False, compute)  # all from the cache
    >>> first.shape, computed, np.array_equal(first, again)
    ((4, 3), [4], True)
    """
    folder = cache_folder(memory)
    if folder is None:
        return compute(np.arange(len(data)))
    key = extractor_key(extractor) if key is None else key
    if key is None:
        warnings.warn(
            "The feature extractor has a layer without a complete get_config(), so its "
            "settings cannot be part of the cache key; the features are computed, not "
            "cached. Give the layer a get_config() to cache them.",
            FeatureCacheWarning, stacklevel=user_stacklevel())
        return compute(np.arange(len(data)))
    store = _Store(os.path.join(folder, FOLDER, key), tuple(extractor.output_shape[1:]))
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


def read_cached_features(memory, key: str, shape: tuple, data: np.ndarray,
                         is_paths: bool) -> np.ndarray | None:
    """Read the features of every image of ``data`` from the cache, or None when any is
    missing: without the extractor, whose ``key`` and output ``shape`` the caller knows
    (from :func:`remembered_extractor`).

    Parameters
    ----------
    memory : str or path-like or joblib.Memory or None
        The cache folder; None caches nothing (so gives None).
    key : str
        The extractor's :func:`~toonsklearn.features.extractor_key`.
    shape : tuple of int
        The shape of one image's features.
    data : ndarray of shape (n_samples, ...) or (n_samples,)
        The images, or file paths.
    is_paths : bool
        Whether ``data`` holds file paths.

    Returns
    -------
    features : ndarray of shape (n_samples, ...) or None
        Every image's features, float32; None when the cache lacks one.

    Examples
    --------
    >>> import tempfile
    >>> import keras, numpy as np
    >>> from toonsklearn.features import cached_features, extractor_key, read_cached_features
    >>> inputs = keras.Input((8, 8, 3))
    >>> extractor = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs))
    >>> X = np.random.default_rng(0).integers(0, 256, (4, 8, 8, 3), dtype=np.uint8)
    >>> folder, key = tempfile.mkdtemp(), extractor_key(extractor)
    >>> read_cached_features(folder, key, (3,), X, False) is None  # nothing cached yet
    True
    >>> _ = cached_features(folder, extractor, X, False,
    ...                     lambda rows: extractor.predict(X[rows], verbose=0))
    >>> read_cached_features(folder, key, (3,), X, False).shape
    (4, 3)
    """
    folder = cache_folder(memory)
    if folder is None:
        return None
    store = _Store(os.path.join(folder, FOLDER, key), tuple(shape))
    features = np.empty((len(data), *store.shape), dtype=np.float32)
    for i, image in enumerate(image_keys(data, is_paths)):
        row = None if image is None else store.read(image)
        if row is None:
            return None
        features[i] = row
    return features


def _recipe_path(folder: str, recipe: str) -> str:
    digest = hashlib.sha256(f"{_FORMAT}\0{__version__}\0{recipe}".encode()).hexdigest()
    return os.path.join(folder, FOLDER, "recipes", digest[:32] + ".json")


def remembered_extractor(memory, recipe: str) -> tuple[str, tuple] | None:
    """The extractor key and feature shape that :func:`remember_extractor` stored for
    ``recipe``, or None.

    Parameters
    ----------
    memory : str or path-like or joblib.Memory or None
        The cache folder.
    recipe : str
        A description of how the extractor is built, complete enough that the same
        description always builds the same extractor.

    Returns
    -------
    remembered : tuple of (str, tuple of int) or None
        The extractor's key and the shape of one image's features; None when the
        recipe is new to the folder (or its entry does not read back).

    Examples
    --------
    >>> import tempfile
    >>> from toonsklearn.features import remember_extractor, remembered_extractor
    >>> folder = tempfile.mkdtemp()
    >>> remembered_extractor(folder, "tiny, seed 0") is None
    True
    >>> remember_extractor(folder, "tiny, seed 0", "0" * 32, (3,))
    >>> remembered_extractor(folder, "tiny, seed 0")
    ('00000000000000000000000000000000', (3,))
    """
    folder = cache_folder(memory)
    if folder is None:
        return None
    try:
        with open_regular_file(_recipe_path(folder, recipe)) as entry:
            found = json.loads(entry.read(_HEADER_ROOM))
        key, shape = found["key"], tuple(int(s) for s in found["shape"])
    except Exception:  # noqa: BLE001 (missing, truncated, foreign: as if never stored)
        return None
    if not (isinstance(key, str) and len(key) == 32 and all(c in "0123456789abcdef"
                                                             for c in key)):
        return None
    return key, shape


def remember_extractor(memory, recipe: str, key: str, shape: tuple) -> None:
    """Store which extractor ``recipe`` builds (its key and feature shape), whole or
    not at all; a folder that cannot be written keeps nothing, silently (the features
    themselves warn).

    Parameters
    ----------
    memory : str or path-like or joblib.Memory or None
        The cache folder; None stores nothing.
    recipe : str
        A description of how the extractor is built.
    key : str
        Its :func:`~toonsklearn.features.extractor_key`.
    shape : tuple of int
        The shape of one image's features.

    Examples
    --------
    >>> import tempfile
    >>> from toonsklearn.features import remember_extractor, remembered_extractor
    >>> folder = tempfile.mkdtemp()
    >>> remember_extractor(folder, "tiny, seed 0", "0" * 32, (3,))
    >>> remembered_extractor(folder, "tiny, seed 0")[1]
    (3,)
    """
    folder = cache_folder(memory)
    if folder is None:
        return
    path = _recipe_path(folder, recipe)
    with contextlib.suppress(OSError):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with replacing(path) as partial, open(partial, "w") as entry:
            json.dump({"key": key, "shape": [int(s) for s in shape]}, entry)


def forget_extractor(memory, recipe: str) -> None:
    """Remove what :func:`remember_extractor` stored for ``recipe`` (a stale entry)."""
    folder = cache_folder(memory)
    if folder is not None:
        _remove(_recipe_path(folder, recipe))


def image_keys(data: np.ndarray, is_paths: bool) -> list[str | None]:
    """Digest each image's content into the key of its cache entry.

    Equal images get equal keys wherever they come from: an array row by its pixels,
    dtype and shape, a file by its bytes (so a copy elsewhere shares the entry).

    Parameters
    ----------
    data : ndarray of shape (n_samples, ...) or (n_samples,)
        An image array, or file paths.
    is_paths : bool
        Whether ``data`` holds file paths.

    Returns
    -------
    keys : list of str or None
        One 32-character hexadecimal key per image; None for a path that names no
        regular file (decoding it will raise the error that names it).

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
    """A digest of the file's bytes: a copy elsewhere or on another machine shares the
    entry, and a file rewritten in place never reads another image's features."""
    digest = hashlib.sha256(b"file\0")
    try:
        with open_regular_file(path) as image:  # a FIFO is never read
            while chunk := image.read(1 << 20):
                digest.update(chunk)
    except (ToonsklearnError, OSError, ValueError):  # missing, a loop, a NUL in the name
        return None
    return digest.hexdigest()[:32]


def extractor_key(model) -> str | None:
    """Digest what ``model`` computes into the name of its cache folder.

    The digest covers its input shape, its layers and operations with their
    configuration and wiring (layer names aside), every weight, and the versions of
    toonsklearn, Keras and Pillow.

    Parameters
    ----------
    model : keras.Model
        The feature extractor.

    Returns
    -------
    key : str or None
        A 32-character hexadecimal key; None when a layer cannot describe its
        settings (no ``get_config``), so that the features cannot be cached.

    Examples
    --------
    >>> import keras
    >>> from toonsklearn.features import extractor_key
    >>> def extractor(units):
    ...     inputs = keras.Input((4,))
    ...     return keras.Model(inputs, keras.layers.Dense(units, kernel_initializer="ones")(inputs))
    >>> extractor_key(extractor(2)) == extractor_key(extractor(2))  # names aside
    True
    >>> extractor_key(extractor(2)) == extractor_key(extractor(3))
    False
    """
    import keras
    import PIL

    architecture = _architecture(model)
    if architecture is None:
        return None
    shape = getattr(model, "input_shape", None)  # a subclassed model has none
    versions = [_FORMAT, __version__, keras.__version__, PIL.__version__]
    digest = hashlib.sha256(json.dumps([versions, shape], default=str).encode())
    digest.update(architecture.encode())
    for weight in model.get_weights():
        value = np.ascontiguousarray(weight)
        digest.update(f"{value.dtype.str}{value.shape}".encode())
        digest.update(value)
    return digest.hexdigest()[:32]


def _architecture(model) -> str | None:
    """The model's configuration as JSON, each layer or operation name replaced by its
    rank of first appearance: two builds of one network differ only in automatic names
    ("conv2d_7", "multiply_3"). None when a layer has no configuration to give."""
    import keras

    layers = list(_layers(model, keras.Model))
    try:
        config = model.get_config()  # a functional model: layers, configuration, wiring
    except (NotImplementedError, TypeError, ValueError):  # a subclassed one: no wiring
        config = [[f"{type(layer).__module__}.{type(layer).__qualname__}", _config(layer)]
                  for layer in layers]
        if any(entry[1] is None for entry in config):
            return None
    names = {layer.name for layer in layers}
    ranks: dict[str, int] = {}

    def anonymous(node):
        if isinstance(node, dict):
            return {key: anonymous(value) for key, value in node.items()
                    if key not in _UNKEYED}
        if isinstance(node, (list, tuple)):
            return [anonymous(value) for value in node]
        if isinstance(node, str) and node in names:
            return f"#{ranks.setdefault(node, len(ranks))}"
        return node

    return json.dumps(anonymous(config), sort_keys=True, default=_value_key)


#: Configuration entries that say nothing about what a layer computes: whether it trains,
#: and Keras' registered class name, which scikeras rewrites (``Functional`` becomes
#: ``>Functional``) the first time a process pickles a fitted estimator; the class name
#: and module stay in the key.
_UNKEYED = ("trainable", "registered_name")


def _layers(model, model_type):
    """``model`` and every layer and operation in it (``x * 2.0`` on a tensor is an
    operation, not a layer), nested models opened up, in the model's order."""
    yield model
    for layer in getattr(model, "operations", model.layers):
        if isinstance(layer, model_type):
            yield from _layers(layer, model_type)
        else:
            yield layer


def _config(layer) -> dict | None:
    try:
        return layer.get_config()
    except (NotImplementedError, TypeError, ValueError):  # a custom layer without one
        return None


def _value_key(value) -> str:
    """What JSON cannot hold: an array by its content (``repr`` elides long ones)."""
    if hasattr(value, "__array__"):
        try:
            array = np.ascontiguousarray(np.asarray(value))
        except (TypeError, ValueError):
            return repr(value)
        if array.dtype != object:
            digest = hashlib.sha256(array).hexdigest()
            return f"array{array.shape}{array.dtype.str}{digest}"
    return repr(value)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


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
        """The entry's features, or None for anything but an ``.npy`` file of exactly
        the expected float32 vector (parsed here: ``np.load`` would trust its header)."""
        try:
            with open_regular_file(self.path(key)) as entry:  # a FIFO is never read
                blob = entry.read(self.limit + 1)
            stream = io.BytesIO(blob)
            version = np.lib.format.read_magic(stream)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(stream)
        except Exception:  # noqa: BLE001 (missing, foreign, truncated: all a miss)
            return None
        if (tuple(shape) != self.shape or fortran or dtype != np.dtype("<f4")
                or len(blob) != stream.tell() + 4 * int(np.prod(self.shape))):
            return None
        return np.frombuffer(blob, dtype="<f4", offset=stream.tell()).reshape(self.shape)

    def write(self, keys: list, rows: np.ndarray) -> None:
        for key, row in zip(keys, rows, strict=True):
            if key is None:
                continue
            path = self.path(key)
            temporary = f"{path}.{secrets.token_hex(6)}.tmp"
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                try:
                    with os.fdopen(fd, "wb") as entry:
                        np.save(entry, row, allow_pickle=False)
                    os.replace(temporary, path)
                except BaseException:  # a full disk, or Ctrl-C: leave no half entry
                    _remove(temporary)
                    raise
            except OSError as exc:
                self.failures.append(exc)

    def warn_failures(self) -> None:
        if self.failures:
            warnings.warn(
                f"{len(self.failures)} image features could not be written to the feature "
                f"cache {self.folder!r} (first error: {self.failures[0]}); they were "
                "computed but not cached. Check that memory= names a writable folder.",
                FeatureCacheWarning,
                stacklevel=user_stacklevel(),
            )
