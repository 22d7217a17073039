"""Save a fitted estimator or Pipeline in one file that loads without running code from it.

``joblib.load`` unpickles, and unpickling runs whatever the file says: it must only ever
see files you trust. :func:`save` writes a zip archive instead, stored uncompressed:

- ``manifest.json``: the format version, the library versions that wrote it, where each
  Keras model belongs, and the size and SHA-256 of every other member;
- ``estimator.skops``: the object with each Keras model, ``history_`` and other pandas or
  Keras values taken out, in skops' format, which builds only types on an allow-list
  (:data:`TRUSTED_TYPES`, skops' own, and the ones the caller names);
- ``keras/<n>.keras``: each Keras model in Keras' own format, loaded with
  ``safe_mode=True``, which refuses Python lambdas.

A truncated, altered or foreign file raises :class:`~toonsklearn.exceptions.ModelFileError`
naming what is wrong; a type outside the allow-list raises
:class:`~toonsklearn.exceptions.UntrustedTypeError` naming it, before anything is built.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import os
import platform
import stat
import tempfile
import warnings
import zipfile
from collections.abc import Iterable
from importlib import metadata

import joblib
import keras
import numpy as np
import pandas as pd
import skops.io as skops_io
from sklearn.base import BaseEstimator

from . import __version__
from . import layers as _layers  # noqa: F401 (registers the layers saved models use)
from .estimators import CNNClassifier, MultiLabelCNN, TransferClassifier
from .exceptions import (
    MissingFileError,
    ModelFileError,
    ModelVersionWarning,
    NotSavableError,
    UntrustedTypeError,
    user_stacklevel,
)
from .loaders import ImageFolderLoader
from .transformers import ImageTransformer

__all__ = ["FORMAT_VERSION", "TRUSTED_TYPES", "load", "save", "untrusted_types"]

#: The version of the file layout this release writes; it reads this one and older.
FORMAT_VERSION = 1

_MANIFEST, _SKOPS = "manifest.json", "estimator.skops"
_MAX_MANIFEST_BYTES = 1 << 20
_ZIP_START = b"PK\x03\x04"
_VERSIONED = ("toonsklearn", "scikit-learn", "keras")


def _type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class _KerasModel:
    """Stands in the skops tree for a Keras model stored as the archive member ``member``."""

    def __init__(self, member: str):
        self.member = member

    def restore(self, models):
        return models[self.member]


class _KerasConfig:
    """A Keras object (an optimizer) as the JSON of ``keras.saving.serialize_keras_object``."""

    def __init__(self, value):
        self.config = json.dumps(keras.saving.serialize_keras_object(value))

    def restore(self, models):
        return keras.saving.deserialize_keras_object(json.loads(self.config), safe_mode=True)


class _Frame:
    """A pandas DataFrame (``history_``) as plain arrays, which skops stores without pandas."""

    def __init__(self, frame: pd.DataFrame, where: str):
        if not all(isinstance(name, str) for name in frame.columns):
            raise NotSavableError(f"{where} is a DataFrame whose column names are not all "
                                  "strings; a safe file stores string column names only.")
        self.columns = list(frame.columns)
        self.values = [_plain_array(frame[name].to_numpy(), f"{where}[{name!r}]")
                       for name in self.columns]
        plain_index = isinstance(frame.index, pd.RangeIndex) and frame.index.equals(
            pd.RangeIndex(len(frame)))
        self.index = None if plain_index else _plain_array(frame.index.to_numpy(),
                                                             f"{where}.index")
        self.index_name = None if frame.index.name is None else str(frame.index.name)

    def restore(self, models):
        frame = pd.DataFrame(dict(zip(self.columns, self.values, strict=True)),
                             columns=self.columns)
        if self.index is not None:
            frame.index = pd.Index(self.index)
        frame.index.name = self.index_name
        return frame


class _Memory:
    """A ``joblib.Memory`` by its settings: skops does not store its store backend."""

    def __init__(self, memory: joblib.Memory):
        self.location = None if memory.location is None else os.fspath(memory.location)
        self.mmap_mode, self.compress = memory.mmap_mode, memory.compress
        self.verbose = int(getattr(memory, "_verbose", 0))

    def restore(self, models):
        return joblib.Memory(self.location, mmap_mode=self.mmap_mode, compress=self.compress,
                             verbose=self.verbose)


_STAND_INS = (_KerasModel, _KerasConfig, _Frame, _Memory)

#: Type names skops may build from a file without the caller naming them: toonsklearn's
#: estimators and transformers, the stand-ins above, and what scikeras keeps in a fitted
#: estimator. skops trusts scikit-learn's estimators, NumPy arrays and built-ins itself.
TRUSTED_TYPES: tuple[str, ...] = tuple(sorted({
    *(_type_name(cls) for cls in (CNNClassifier, TransferClassifier, MultiLabelCNN,
                                  ImageFolderLoader, ImageTransformer, *_STAND_INS)),
    "scikeras.utils.transformers.ClassifierLabelEncoder",
    "scikeras.utils.transformers.TargetReshaper",
    "numpy.dtype",
}))


def _plain_array(values: np.ndarray, where: str) -> np.ndarray:
    if values.dtype == object:
        if not all(isinstance(value, str) for value in values):
            raise NotSavableError(f"{where} holds Python objects other than strings, which a "
                                  "safe file cannot store.")
        values = values.astype(str)
    return values


# ------------------------------------------------------------------------------ save
def save(obj: BaseEstimator, path: str | os.PathLike) -> None:
    """Write a fitted (or unfitted) estimator or Pipeline to ``path`` as a safe file.

    The object is not changed. The file is written beside ``path`` and renamed onto it
    when complete, so a failure part-way leaves any earlier file at ``path`` as it was.

    Parameters
    ----------
    obj : estimator
        A toonsklearn estimator or transformer, a scikit-learn estimator, or a
        ``Pipeline`` (or search) of them.
    path : str or path-like
        The file to write, conventionally ``*.toonsklearn``.

    Raises
    ------
    NotSavableError
        ``obj`` holds something a safe file cannot store (a Keras callback, a Python
        function, a class); the message names the attribute.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from toonsklearn import CNNClassifier
    >>> from toonsklearn.io import load, save
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.integers(0, 256, (16, 8, 8, 3), dtype=np.uint8), np.array([0, 1] * 8)
    >>> clf = CNNClassifier(epochs=1, random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save(clf, os.path.join(folder, "toons.toonsklearn"))
    ...     again = load(os.path.join(folder, "toons.toonsklearn"))
    >>> bool(np.allclose(again.predict_proba(X), clf.predict_proba(X), atol=1e-6))
    True
    """
    if not isinstance(obj, BaseEstimator):
        raise NotSavableError(f"save writes scikit-learn estimators and Pipelines; received "
                              f"a {type(obj).__name__}. Wrap it in an estimator or use joblib.")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise MissingFileError(f"Cannot save to {path!r}: the folder {folder!r} does not "
                               "exist. Create it first.", path=folder)
    if os.path.isdir(path):
        raise NotSavableError(f"Cannot save to {path!r}: it is a folder. Name a file, e.g. "
                              f"{os.path.join(path, 'model.toonsklearn')!r}.")
    models: dict[int, tuple[str, keras.Model, str]] = {}
    stripped = _swap_out(obj, models, type(obj).__name__, {})
    with tempfile.TemporaryDirectory() as scratch, _replacing(path) as partial:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
            members = {}
            data = skops_io.dumps(stripped)
            archive.writestr(_SKOPS, data)
            members[_SKOPS] = _digest(data)
            placed = []
            for member, model, where in models.values():
                file = os.path.join(scratch, os.path.basename(member))
                model.save(file)
                with open(file, "rb") as handle:
                    content = handle.read()
                archive.writestr(member, content)
                members[member] = _digest(content)
                placed.append({"member": member, "attribute": where})
            manifest = {
                "format": "toonsklearn",
                "format_version": FORMAT_VERSION,
                "object": _type_name(type(obj)),
                "versions": _versions(),
                "keras_models": placed,
                "members": members,
            }
            archive.writestr(_MANIFEST, json.dumps(manifest, indent=2))


def _swap_out(value, models: dict, where: str, seen: dict):
    """A copy of ``value`` with Keras models, DataFrames, optimizers and joblib.Memory
    replaced by stand-ins skops can store; ``value`` itself is left alone."""
    if id(value) in seen:
        return seen[id(value)]
    if isinstance(value, keras.Model):
        if id(value) not in models:
            models[id(value)] = (f"keras/{len(models)}.keras", value, where)
        result = _KerasModel(models[id(value)][0])
    elif isinstance(value, pd.DataFrame):
        result = _Frame(value, where)
    elif isinstance(value, keras.optimizers.Optimizer):
        result = _KerasConfig(value)
    elif isinstance(value, joblib.Memory):
        result = _Memory(value)
    elif isinstance(value, (pd.Series, pd.Index)) or _is_keras_object(value):
        raise NotSavableError(
            f"{where} is a {_type_name(type(value))}, which a safe file cannot store. "
            + ("Set it to None before saving (e.g. set_params(callbacks=None)); "
               if where.endswith(".callbacks") or "callbacks[" in where else "")
            + "joblib.dump stores it, for files you only ever load yourself.")
    elif type(value) in (list, tuple):
        result = type(value)(_swap_out(item, models, f"{where}[{i}]", seen)
                             for i, item in enumerate(value))
    elif type(value) is dict:
        result = {key: _swap_out(item, models, f"{where}[{key!r}]", seen)
                  for key, item in value.items()}
    elif isinstance(value, BaseEstimator):
        result = object.__new__(type(value))
        seen[id(value)] = result
        result.__dict__.update({name: _swap_out(item, models, f"{where}.{name}", seen)
                                for name, item in vars(value).items()})
    elif _is_unimportable_code(value):
        raise NotSavableError(
            f"{where} is {value!r}, Python code that a safe file cannot refer to (a lambda, "
            "a local function or class, or one defined in __main__, or a Keras class). Pass "
            "a name, an object, or a function importable from a module instead; or use "
            "joblib.dump for files you only ever load yourself.")
    else:
        result = value
    seen[id(value)] = result
    return result


def _is_unimportable_code(value) -> bool:
    if isinstance(value, type) and _is_keras_object(value, type_of=False):
        return True
    if not (isinstance(value, type) or inspect.isfunction(value)):
        return False
    return "<" in value.__qualname__ or value.__module__ == "__main__"


def _is_keras_object(value, type_of: bool = True) -> bool:
    module = (type(value) if type_of else value).__module__
    return module.split(".")[0] in ("keras", "tensorflow", "tf_keras")


@contextlib.contextmanager
def _replacing(path: str):
    """A temporary name beside ``path`` to write to, renamed onto ``path`` on success."""
    handle, partial = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                                       prefix=f".{os.path.basename(path)}.", suffix=".partial")
    os.close(handle)
    try:
        yield partial
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)


def _digest(data: bytes) -> dict:
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _versions() -> dict:
    versions = {"python": platform.python_version(), "toonsklearn": __version__}
    for package in ("scikit-learn", "keras", "tensorflow", "skops", "numpy", "scikeras"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    return versions


# ------------------------------------------------------------------------------ load
def load(path: str | os.PathLike, *, trusted: Iterable[str | type] = ()) -> BaseEstimator:
    """Read an estimator or Pipeline written by :func:`save`, running no code from the file.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.
    trusted : iterable of str or type, default=()
        Types to build beyond :data:`TRUSTED_TYPES` and skops' own allow-list, e.g. your
        own transformer. Name only types whose code you trust; :func:`untrusted_types`
        lists a file's.

    Returns
    -------
    estimator : object
        The object as it was saved: it predicts as the original did.

    Raises
    ------
    ModelFileError
        The file is not one :func:`save` wrote, is truncated, or was altered.
    UntrustedTypeError
        The file holds types outside the allow-list; nothing was built.

    Examples
    --------
    >>> from toonsklearn.io import load
    >>> try:
    ...     load(__file__)  # a Python file, not a saved model
    ... except ValueError as err:
    ...     print(type(err).__name__)
    ModelFileError
    """
    path = os.fspath(path)
    with _open_archive(path) as archive:
        manifest = _read_manifest(archive, path)
        data = _checked_member(archive, _SKOPS, manifest, path)
        allowed = _allow_list(trusted)
        refused = [name for name in _untrusted(data, path) if name not in allowed]
        if refused:
            raise UntrustedTypeError(
                f"{path!r} holds types toonsklearn does not trust: {', '.join(refused)}. "
                "Nothing was loaded. If you trust their code, pass "
                f"trusted={refused!r} to toonsklearn.io.load.", path=path, types=refused)
        try:
            obj = skops_io.loads(data, trusted=sorted(allowed))
        except Exception as exc:
            raise ModelFileError(f"{path!r}: its estimator could not be rebuilt ({exc}).",
                                 path=path) from exc
        models = {}
        with tempfile.TemporaryDirectory() as scratch:
            for entry in manifest["keras_models"]:
                member = entry["member"]
                models[member] = _load_keras(archive, member, manifest, path, scratch)
    try:
        obj = _swap_in(obj, models, {})
    except Exception as exc:
        raise ModelFileError(f"{path!r}: its estimator could not be rebuilt ({exc!r}); the "
                             "file was altered or damaged.", path=path) from exc
    _warn_on_other_versions(manifest, path)
    return obj


def untrusted_types(path: str | os.PathLike) -> list[str]:
    """The types in a saved file that :func:`load` builds only when named in ``trusted``.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.linear_model import LogisticRegression
    >>> from toonsklearn.io import save, untrusted_types
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save(LogisticRegression(), os.path.join(folder, "lr.toonsklearn"))
    ...     untrusted_types(os.path.join(folder, "lr.toonsklearn"))
    []
    """
    path = os.fspath(path)
    with _open_archive(path) as archive:
        data = _checked_member(archive, _SKOPS, _read_manifest(archive, path), path)
        return [name for name in _untrusted(data, path) if name not in TRUSTED_TYPES]


@contextlib.contextmanager
def _open_archive(path: str):
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise MissingFileError(f"No saved model at {path!r}: the file does not exist.",
                               path=path) from None
    if not stat.S_ISREG(mode):
        raise ModelFileError(f"{path!r} is not a regular file (a folder, FIFO or device), so "
                             "it is not a saved model; it was not opened.", path=path)
    try:
        with open(path, "rb") as handle:  # zipfile alone accepts an archive after a prefix,
            if handle.read(4) != _ZIP_START:  # as a pickle holding a .keras model has
                raise zipfile.BadZipFile
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ModelFileError(f"{path!r} is not a toonsklearn model file: it is not a zip "
                             f"archive{_pickle_hint(path)}, or it was cut short.",
                             path=path) from None
    with archive:
        yield archive


def _pickle_hint(path: str) -> str:
    with open(path, "rb") as handle:
        start = handle.read(2)
    if start[:1] == b"\x80":
        return (" (it looks like a pickle, as joblib.dump writes: load that with joblib.load "
                "only if you trust whoever wrote it)")
    return ""


def _read_manifest(archive: zipfile.ZipFile, path: str) -> dict:
    try:
        info = archive.getinfo(_MANIFEST)
    except KeyError:
        raise ModelFileError(f"{path!r} is a zip archive but not a toonsklearn model file: "
                             f"it has no {_MANIFEST}. Save models with toonsklearn.io.save.",
                             path=path) from None
    if info.file_size > _MAX_MANIFEST_BYTES:
        raise ModelFileError(f"{path!r}: its {_MANIFEST} is {info.file_size} bytes, far more "
                             "than save writes; the file was altered.", path=path)
    try:
        manifest = json.loads(_read_member(archive, info, path))
        fields = (manifest["format"], manifest["format_version"], manifest["members"],
                  manifest["keras_models"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{path!r}: its {_MANIFEST} is malformed ({exc!r}); the file "
                             "was altered or damaged.", path=path) from None
    if fields[0] != "toonsklearn" or not isinstance(fields[1], int):
        raise ModelFileError(f"{path!r}: its {_MANIFEST} is not a toonsklearn manifest.",
                             path=path)
    if fields[1] > FORMAT_VERSION:
        raise ModelFileError(
            f"{path!r} was written by a newer toonsklearn (file format {fields[1]}; this is "
            f"toonsklearn {__version__}, which reads format {FORMAT_VERSION} and older). "
            "Upgrade toonsklearn to load it.", path=path)
    listed = set(manifest["members"]) | {_MANIFEST}
    extra = sorted(set(archive.namelist()) - listed)
    if extra:
        raise ModelFileError(f"{path!r} holds {extra[0]!r}, which its manifest does not list; "
                             "the file was altered.", path=path)
    if any(not isinstance(entry, dict) or entry.get("member") not in manifest["members"]
           for entry in manifest["keras_models"]):
        raise ModelFileError(f"{path!r}: its manifest names a Keras model it does not hold.",
                             path=path)
    return manifest


def _checked_member(archive: zipfile.ZipFile, member: str, manifest: dict, path: str) -> bytes:
    """The bytes of ``member``, after checking they are what the manifest recorded."""
    expected = manifest["members"].get(member)
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise ModelFileError(f"{path!r} lacks {member!r}; the file is incomplete.",
                             path=path) from None
    if not isinstance(expected, dict) or info.file_size != expected.get("size"):
        raise ModelFileError(f"{path!r}: {member!r} is not the size its manifest records; the "
                             "file was altered or damaged.", path=path)
    data = _read_member(archive, info, path)
    if hashlib.sha256(data).hexdigest() != expected.get("sha256"):
        raise ModelFileError(f"{path!r}: {member!r} does not match its SHA-256 in the "
                             "manifest; the file was altered or damaged after it was saved.",
                             path=path)
    return data


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str) -> bytes:
    # save stores members uncompressed, so no member can decompress past the file's size.
    if info.compress_type != zipfile.ZIP_STORED:
        raise ModelFileError(f"{path!r}: {info.filename!r} is compressed, which save never "
                             "does; the file was not written by toonsklearn.", path=path)
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelFileError(f"{path!r}: {info.filename!r} could not be read ({exc}); the "
                             "file is truncated or damaged.", path=path) from None


def _allow_list(trusted) -> set[str]:
    if isinstance(trusted, (str, type)):
        trusted = [trusted]
    return set(TRUSTED_TYPES) | {name if isinstance(name, str) else _type_name(name)
                                 for name in trusted}


def _untrusted(data: bytes, path: str) -> list[str]:
    try:
        return skops_io.get_untrusted_types(data=data)
    except Exception as exc:
        raise ModelFileError(f"{path!r}: its estimator is not a readable skops file ({exc}); "
                             "the file was altered or damaged.", path=path) from exc


def _load_keras(archive, member: str, manifest: dict, path: str, scratch: str) -> keras.Model:
    file = os.path.join(scratch, f"{len(os.listdir(scratch))}.keras")
    with open(file, "wb") as handle:
        handle.write(_checked_member(archive, member, manifest, path))
    try:
        return keras.saving.load_model(file, safe_mode=True)
    except Exception as exc:
        raise ModelFileError(f"{path!r}: the Keras model {member!r} could not be loaded with "
                             f"safe_mode=True ({exc}).", path=path) from exc


def _swap_in(value, models: dict, seen: dict):
    """``value`` with every stand-in replaced by what it stands for, in place."""
    if id(value) in seen:
        return seen[id(value)]
    if isinstance(value, _STAND_INS):
        result = value.restore(models)
    elif type(value) in (list, tuple):
        result = type(value)(_swap_in(item, models, seen) for item in value)
    elif type(value) is dict:
        result = {key: _swap_in(item, models, seen) for key, item in value.items()}
    elif isinstance(value, BaseEstimator):
        seen[id(value)] = value
        for name, item in vars(value).items():
            setattr(value, name, _swap_in(item, models, seen))
        result = value
    else:
        result = value
    seen[id(value)] = result
    return result


def _warn_on_other_versions(manifest: dict, path: str) -> None:
    saved = manifest.get("versions") or {}
    now = _versions()
    differ = [f"{name} {saved[name]} (now {now.get(name)})" for name in _VERSIONED
              if name in saved and saved[name] != now.get(name)]
    if differ:
        warnings.warn(f"{path!r} was saved with {', '.join(differ)}; it loaded, but its "
                      "predictions may differ. Refit it, or install the versions it was "
                      "saved with.", ModelVersionWarning, stacklevel=user_stacklevel())
