"""The file :func:`toonsklearn.io.save` writes: a zip of stored members and a manifest.

Every check that a file is ours, whole and unaltered happens here, before any member is
handed to skops or Keras. Members are stored uncompressed (so nothing inflates past the
file's own size), each listed in the manifest with its size and SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import zipfile

from .._utils.replace import replacing
from ..exceptions import MissingFileError, ModelFileError

__all__ = ["MANIFEST", "SKOPS", "Archive", "check_nested", "check_skops", "write"]

MANIFEST, SKOPS = "manifest.json", "estimator.skops"
_MAX_MANIFEST_BYTES = 1 << 20
_ZIP_START = b"PK\x03\x04"


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
        try:
            return self._zip.read(info)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise self.error(f"{info.filename!r} could not be read ({exc}); the file is "
                             "truncated or damaged.") from None


def _open_zip(path: str) -> zipfile.ZipFile:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise MissingFileError(f"No saved model at {path!r}: the file does not exist.",
                               path=path) from None
    if not stat.S_ISREG(mode):
        raise ModelFileError(f"{path!r} is not a regular file (a folder, FIFO or device), so "
                             "it is not a saved model; it was not opened.", path=path)
    with open(path, "rb") as handle:
        start = handle.read(len(_ZIP_START))
    try:
        # zipfile alone accepts an archive after a prefix, as in a pickle holding a model
        if start != _ZIP_START:
            raise zipfile.BadZipFile
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        hint = (" (it looks like a pickle, as joblib.dump writes: load that with joblib.load "
                "only if you trust whoever wrote it)" if start[:1] == b"\x80" else "")
        raise ModelFileError(f"{path!r} is not a toonsklearn model file: it is not a zip "
                             f"archive{hint}, or it was cut short.", path=path) from None


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
    return None


def check_nested(archive: Archive, name: str, data: bytes) -> None:
    """Refuse a member (a skops or Keras archive itself) that is not a zip whose own
    members are all stored: a compressed one could inflate far past the file's size."""
    try:
        if not data.startswith(_ZIP_START):
            raise zipfile.BadZipFile("no zip header")
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            infos = inner.infolist()
    except zipfile.BadZipFile as exc:
        raise archive.error(f"{name!r} is not the archive save writes ({exc}); the file was "
                            "altered or damaged.") from None
    if any(info.compress_type != zipfile.ZIP_STORED for info in infos) or sum(
            info.file_size for info in infos) > len(data):
        raise archive.error(f"{name!r} holds compressed members, which save never writes; the "
                            "file was altered.")


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
