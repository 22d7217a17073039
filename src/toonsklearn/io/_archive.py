"""The file :func:`toonsklearn.io.save` writes: a zip of stored members and a manifest.

Every check that a file is ours, whole and unaltered happens here, before any member is
handed to skops or Keras. Members are stored uncompressed, each listed in the manifest
with its size and SHA-256; a Keras member's weights must be stored too, every one of
them as large as its shape says, and its configuration may declare no more weights than
its weights file holds: nothing loaded inflates past the file's own size.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import math
import os
import re
import stat
import zipfile

from .._utils import quiet_tensorflow  # noqa: F401 (first: TensorFlow without its start-up lines)

# isort: split
import h5py
import keras
from keras.src.backend.common import global_state
from keras.src.saving.serialization_lib import ObjectSharingScope

from .._utils.replace import replacing
from ..exceptions import MissingFileError, ModelFileError, UnreadableFileError
from ._summary import summary_problem

__all__ = ["MANIFEST", "SKOPS", "Archive", "check_keras", "check_nested", "check_skops",
           "declared_weights", "write"]

MANIFEST, SKOPS = "manifest.json", "estimator.skops"
KERAS_CONFIG, KERAS_WEIGHTS = "config.json", "model.weights.h5"
_MAX_MANIFEST_BYTES = 1 << 20
_ZIP_START = b"PK\x03\x04"
_ENCRYPTED = 0x1
# What zipfile raises, beyond BadZipFile, for a central directory it cannot read: a name
# flagged UTF-8 that is not, a size or offset out of range.
_UNREADABLE_ZIP = (zipfile.BadZipFile, UnicodeDecodeError, ValueError, EOFError, OSError)


def digest(data: bytes) -> dict:
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def write(path: str, members: dict[str, bytes], manifest: dict) -> None:
    """Write ``members`` and ``manifest`` (given their digests) to ``path``, atomically:
    into a file beside it, renamed onto it once complete."""
    manifest = {**manifest, "members": {name: digest(data) for name, data in members.items()}}
    with replacing(path) as partial, zipfile.ZipFile(partial, "w",
                                                     compression=zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))


class Archive:
    """An open file written by ``save``, its manifest checked; ``member(name)`` gives a
    member's bytes once they match the manifest."""

    def __init__(self, path: str):
        self.path = path
        self._zip = _open_zip(path)
        try:
            self.manifest = self._read_manifest()
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info) -> None:
        self._zip.close()

    def error(self, message: str) -> ModelFileError:
        return ModelFileError(f"{self.path!r}: {message}", path=self.path)

    def _read_manifest(self) -> dict:
        try:
            info = self._zip.getinfo(MANIFEST)
        except KeyError:
            raise ModelFileError(f"{self.path!r} is a zip archive but not a toonsklearn model "
                                 f"file: it has no {MANIFEST}. Save models with "
                                 "toonsklearn.io.save.", path=self.path) from None
        if info.file_size > _MAX_MANIFEST_BYTES:
            raise self.error(f"its {MANIFEST} is {info.file_size} bytes, far more than save "
                             "writes; the file was altered.")
        try:
            manifest = json.loads(self._read(info))
        except (ValueError, RecursionError) as exc:
            raise self.error(f"its {MANIFEST} is malformed ({exc}); the file was altered or "
                             "damaged.") from None
        problem = _manifest_problem(manifest)
        if problem:
            raise self.error(f"its {MANIFEST} is malformed ({problem}); the file was altered "
                             "or damaged.")
        extra = sorted(set(self._zip.namelist()) - set(manifest["members"]) - {MANIFEST})
        if extra:
            raise self.error(f"it holds {extra[0]!r}, which its manifest does not list; the "
                             "file was altered.")
        return manifest

    def member(self, name: str) -> bytes:
        """The bytes of ``name``, checked against the manifest's size and SHA-256."""
        expected = self.manifest["members"].get(name)
        try:
            info = self._zip.getinfo(name)
        except KeyError:
            raise self.error(f"it lacks {name!r}; the file is incomplete.") from None
        if expected is None or info.file_size != expected["size"]:
            raise self.error(f"{name!r} is not the size its manifest records; the file was "
                             "altered or damaged.")
        data = self._read(info)
        if hashlib.sha256(data).hexdigest() != expected["sha256"]:
            raise self.error(f"{name!r} does not match its SHA-256 in the manifest; the file "
                             "was altered or damaged after it was saved.")
        return data

    def _read(self, info: zipfile.ZipInfo) -> bytes:
        if info.compress_type != zipfile.ZIP_STORED:
            raise self.error(f"{info.filename!r} is compressed, which save never does; the "
                             "file was not written by toonsklearn.")
        if info.flag_bits & _ENCRYPTED:
            raise self.error(f"{info.filename!r} is encrypted, which save never does; the "
                             "file was not written by toonsklearn.")
        try:
            return self._zip.read(info)
        except (*_UNREADABLE_ZIP, RuntimeError, NotImplementedError) as exc:
            raise self.error(f"{info.filename!r} could not be read ({exc}); the file is "
                             "truncated or damaged.") from None


def _open_zip(path: str) -> zipfile.ZipFile:
    if "\0" in path:
        raise ModelFileError(f"{path!r} is not a file name: it holds a NUL byte. Name the "
                             "file save wrote.", path=path)
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise ModelFileError(f"{path!r} is not a regular file (a folder, FIFO or device), "
                                 "so it is not a saved model; it was not opened.", path=path)
        with open(path, "rb") as handle:
            start = handle.read(len(_ZIP_START))
    except (FileNotFoundError, NotADirectoryError):
        raise MissingFileError(f"No saved model at {path!r}: the file does not exist.",
                               path=path) from None
    except PermissionError as exc:
        raise UnreadableFileError(f"Cannot read {path!r}: this process may not read it or "
                                  f"its folder ({exc.strerror}). Change its permissions.",
                                  path=path) from None
    except OSError as exc:
        raise ModelFileError(f"{path!r} could not be opened ({exc.strerror or exc}); name "
                             "the file save wrote.", path=path) from None
    try:
        # zipfile alone accepts an archive after a prefix, as in a pickle holding a model
        if start != _ZIP_START:
            raise zipfile.BadZipFile
        return zipfile.ZipFile(path)
    except _UNREADABLE_ZIP as exc:
        if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM):
            raise UnreadableFileError(f"Cannot read {path!r}: this process may not read it "
                                      f"({exc.strerror}). Change its permissions.",
                                      path=path) from None
        hint = (" (it looks like a pickle, as joblib.dump writes: load that with joblib.load "
                "only if you trust whoever wrote it)" if start[:1] == b"\x80" else "")
        problem = ("its zip directory is not readable" if start == _ZIP_START
                   and not isinstance(exc, zipfile.BadZipFile) else "it is not a zip archive")
        raise ModelFileError(f"{path!r} is not a toonsklearn model file: {problem}{hint}, "
                             "or it was cut short or altered.", path=path) from None


def _manifest_problem(manifest) -> str | None:
    """What makes ``manifest`` unusable, or None."""
    if not isinstance(manifest, dict):
        return "not a JSON object"
    if manifest.get("format") != "toonsklearn":
        return "not a toonsklearn manifest"
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return "no format_version of 1 or more"
    members, models = manifest.get("members"), manifest.get("keras_models")
    if not isinstance(members, dict) or not all(
            isinstance(entry, dict) and isinstance(entry.get("size"), int)
            and isinstance(entry.get("sha256"), str) for entry in members.values()):
        return "members is not a map of name to size and sha256"
    if SKOPS not in members:
        return f"no {SKOPS}"
    if not isinstance(models, list) or not all(
            isinstance(entry, dict) and entry.get("member") in members for entry in models):
        return "keras_models names a Keras model it does not hold"
    named = [entry["member"] for entry in models]
    if len(set(named)) != len(named) or SKOPS in named:
        return "keras_models names one member twice"
    if not isinstance(manifest.get("versions", {}), dict):
        return "versions is not a map"
    if "summary" in manifest:  # written since the card came: older files have none
        return summary_problem(manifest["summary"])
    return None


def check_nested(archive: Archive, name: str, data: bytes) -> None:
    """Refuse a member (a skops or Keras archive itself) that is not a zip whose own
    members are all stored: a compressed one could inflate far past the file's size."""
    try:
        if not data.startswith(_ZIP_START):
            raise zipfile.BadZipFile("no zip header")
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            infos = inner.infolist()
    except _UNREADABLE_ZIP as exc:
        raise archive.error(f"{name!r} is not the archive save writes ({exc}); the file was "
                            "altered or damaged.") from None
    if any(info.compress_type != zipfile.ZIP_STORED for info in infos) or sum(
            info.file_size for info in infos) > len(data):
        raise archive.error(f"{name!r} holds compressed members, which save never writes; the "
                            "file was altered.")
    encrypted = [info.filename for info in infos if info.flag_bits & _ENCRYPTED]
    if encrypted:
        raise archive.error(f"{name!r} holds the encrypted member {encrypted[0]!r}, which "
                            "save never writes; the file was altered.")


def check_skops(archive: Archive, data: bytes) -> None:
    """Refuse a skops member that could make skops allocate more than its size: its own
    members must be stored, and every node reading one array file must be the same
    object (skops builds a repeated ``__id__`` once, so one array is read once)."""
    check_nested(archive, SKOPS, data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            schema = json.loads(inner.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError, RecursionError) as exc:
        raise archive.error(f"{SKOPS} is not a readable skops file ({exc!r}); the file was "
                            "altered or damaged.") from None
    readers: dict[str, set] = {}
    for file, node_id in _file_references(schema):
        readers.setdefault(file, set()).add(node_id)
    if any(len(ids) > 1 or None in ids for ids in readers.values()):
        raise archive.error(f"{SKOPS} has several objects read one stored array, which "
                            "skops never writes; the file was altered.")


def _file_references(node):
    """(file, __id__) of every node of a skops schema that reads an array file."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "file" in node:
                yield str(node["file"]), node.get("__id__")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def check_keras(archive: Archive, name: str, data: bytes) -> None:
    """Refuse a Keras member that could make Keras allocate more than the file holds,
    before Keras builds anything: its own members must be stored, every dataset of its
    weights file must store as many bytes as its shape declares (and all of them no
    more than the weights file's size), and its configuration may declare no more
    weights than that file holds (found by building it with no weight allocated)."""
    check_nested(archive, name, data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            config = json.loads(inner.read(KERAS_CONFIG))
            weights = inner.read(KERAS_WEIGHTS)
    except (KeyError, ValueError, RecursionError, *_UNREADABLE_ZIP) as exc:
        raise archive.error(f"{name!r} is not a Keras model as save writes it ({exc}); the "
                            "file was altered or damaged.") from None
    stored = _stored_weights(archive, name, weights)
    try:
        declared = declared_weights(config)
    except Exception as exc:
        raise archive.error(f"the Keras model {name!r} could not be loaded with "
                            f"safe_mode=True ({exc}).") from exc
    if sum(declared.values()) > stored:
        layer = max(declared, key=declared.get)
        raise archive.error(
            f"the Keras model {name!r} declares {_size(sum(declared.values()))} of weights, "
            f"{_size(declared[layer])} of them in its layer {layer!r}, but its weights file "
            f"holds only {_size(stored)}; the file was altered. Nothing was built.")


def _stored_weights(archive: Archive, name: str, weights: bytes) -> int:
    """The bytes the datasets of a Keras weights file declare, each checked against what
    it stores, without reading any."""
    try:
        with h5py.File(io.BytesIO(weights), "r") as h5:
            paths: list[str] = []
            h5.visititems(lambda path, item: paths.append(path)
                          if isinstance(item, h5py.Dataset) else None)
            total = 0
            for path in paths:
                dataset = h5[path]
                if dataset.is_virtual or dataset.external or dataset.dtype.hasobject:
                    raise archive.error(f"the weights of the Keras model {name!r} hold "
                                        f"{path!r}, a dataset read from elsewhere or of "
                                        "Python objects, which Keras never writes; the "
                                        "file was altered.")
                shape = dataset.shape
                declared = 0 if shape is None else math.prod(shape) * dataset.dtype.itemsize
                held = dataset.id.get_storage_size()
                if held < declared:
                    raise archive.error(
                        f"the weights of the Keras model {name!r} for layer "
                        f"{path.rpartition('/vars/')[0]!r} (dataset {path!r}) declare "
                        f"{_size(declared)} but store {_size(held)}; the file was altered. "
                        "Nothing was built.")
                total += declared
    except ModelFileError:
        raise
    except Exception as exc:  # h5py's errors for a damaged file: OSError, KeyError, ...
        raise archive.error(f"the weights of the Keras model {name!r} are not a readable "
                            f"HDF5 file ({exc}); the file was altered or damaged.") from None
    if total > len(weights):
        raise archive.error(f"the weights of the Keras model {name!r} declare {_size(total)} "
                            f"in a weights file of {_size(len(weights))}; the file was "
                            "altered. Nothing was built.")
    return total


def declared_weights(config) -> dict[str, int]:
    """The bytes of the weights each layer of a Keras model's ``config.json`` creates,
    by the layer's path, found by building it in safe mode with no weight allocated.

    The model is built inside a ``keras.StatelessScope``, where Keras defers every
    variable's initial value; the deferred variables are dropped unallocated. Whatever
    ``keras.saving.load_model(..., safe_mode=True)`` would refuse in the configuration
    raises here.
    """
    config = _uncompiled(config)  # optimizers are built on load, from the weights' sizes
    pending = list(global_state.get_global_attribute("uninitialized_variables") or [])
    try:
        with keras.StatelessScope(initialize_variables=False), ObjectSharingScope():
            model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    finally:
        global_state.set_global_attribute("uninitialized_variables", pending)
    sizes: dict[str, int] = {}
    for weight in getattr(model, "weights", ()):
        layer = weight.path.rpartition("/")[0] or weight.path
        sizes[layer] = sizes.get(layer, 0) + math.prod(weight.shape) * _itemsize(weight.dtype)
    return sizes


def _uncompiled(config):
    """A copy of ``config`` with every (nested) model's ``compile_config`` taken out."""
    if isinstance(config, dict):
        return {key: None if key == "compile_config" else _uncompiled(value)
                for key, value in config.items()}
    if isinstance(config, list):
        return [_uncompiled(value) for value in config]
    return config


def _itemsize(dtype) -> int:
    bits = re.search(r"\d+", str(dtype))
    return 1 if str(dtype) == "bool" else max(1, int(bits.group()) // 8) if bits else 8


def _size(n: float) -> str:
    if n < 1024:
        return f"{int(n)} bytes"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            break
    return f"{n:.1f} {unit}"
