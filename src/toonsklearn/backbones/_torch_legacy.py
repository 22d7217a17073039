"""Read PyTorch's legacy (pre-1.6, non-zip) checkpoint format with NumPy only.

The format is five pickles and then raw bytes: a magic number, a protocol version,
system info, the object itself (tensors refer to storages by key through
``persistent_load``), and the list of storage keys in the order their raw data follows.
A checkpoint is untrusted input, so the object pickle may name only the few globals a
state dict needs; anything else is refused before it can run.
"""

from __future__ import annotations

import collections
import os
import pickle
from dataclasses import dataclass

import numpy as np

__all__ = ["UnsafeCheckpointError", "load_legacy_state_dict"]

_MAGIC = 0x1950A86A20F9469CFC6C
_PROTOCOL = 1001
_STORAGE_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class UnsafeCheckpointError(pickle.UnpicklingError):
    """The checkpoint names a global outside the whitelist, so it was not loaded."""


@dataclass
class _Storage:
    dtype: type
    numel: int
    data: np.ndarray | None = None


@dataclass
class _TensorRef:
    storage: _Storage
    offset: int
    size: tuple
    stride: tuple

    def materialize(self) -> np.ndarray:
        flat = self.storage.data
        itemsize = flat.itemsize
        extent = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride,
                                                              strict=True)) + 1
        if min((self.offset, *self.size, *self.stride), default=0) < 0 or (
            all(self.size) and extent > len(flat)
        ):
            raise ValueError(
                f"A tensor of size {self.size} reaches past its storage of {len(flat)} "
                "elements: the checkpoint is corrupt or crafted."
            )
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset:], shape=self.size, strides=[s * itemsize for s in self.stride]
        )
        return np.array(view)  # a compact copy that owns its memory


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return _TensorRef(storage, storage_offset, tuple(size), tuple(stride))


class _StorageType:
    def __init__(self, name: str):
        self.dtype = _STORAGE_DTYPES[name]


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the globals of a plain state dict; refuses everything else."""

    def __init__(self, file, path: str):
        super().__init__(file)
        self.path = path
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise UnsafeCheckpointError(
            f"Refusing to load {self.path!r}: it names the global '{module}.{name}', which a "
            "state dict of tensors never needs. The file may be malicious or not a PyTorch "
            "state dict."
        )

    def persistent_load(self, saved_id):
        if not (isinstance(saved_id, tuple) and saved_id and saved_id[0] == "storage"):
            raise UnsafeCheckpointError(f"Unexpected persistent id {saved_id!r} in {self.path!r}.")
        storage_type, key, _location, numel, view_metadata = saved_id[1:]
        if view_metadata is not None:
            raise pickle.UnpicklingError(f"Storage views are not supported ({self.path!r}).")
        if not isinstance(storage_type, _StorageType):
            raise UnsafeCheckpointError(f"Unexpected storage type in {self.path!r}.")
        storage = self.storages.setdefault(key, _Storage(storage_type.dtype, int(numel)))
        return storage


def load_legacy_state_dict(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Load a legacy-format PyTorch state dict as ``{name: numpy array}``.

    Raises :class:`UnsafeCheckpointError` when the file names any global other than
    ``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2`` and the
    ``torch.*Storage`` types, and ``ValueError`` when it is not a legacy checkpoint.

    Examples
    --------
    >>> from toonsklearn.backbones._torch_legacy import load_legacy_state_dict
    >>> from toonsklearn.backbones.efficientnet_lite import checkpoint_path
    >>> state = load_legacy_state_dict(checkpoint_path("efficientnet_lite0"))
    >>> state["_conv_stem.weight"].shape
    (32, 3, 3, 3)
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        header = [_safe_header_load(file, path) for _ in range(3)]
        if header[0] != _MAGIC or header[1] != _PROTOCOL:
            raise ValueError(
                f"{path!r} is not a legacy PyTorch checkpoint (magic number {header[0]!r})."
            )
        unpickler = _RestrictedUnpickler(file, path)
        result = unpickler.load()
        keys = _safe_header_load(file, path)
        for key in keys:
            storage = unpickler.storages[key]
            numel = int(np.frombuffer(file.read(8), dtype="<i8")[0])
            if numel != storage.numel:
                raise ValueError(f"Storage {key} of {path!r} is truncated or corrupt.")
            raw = file.read(numel * np.dtype(storage.dtype).itemsize)
            storage.data = np.frombuffer(raw, dtype=np.dtype(storage.dtype).newbyteorder("<"))
    if not isinstance(result, dict):
        raise ValueError(f"{path!r} holds a {type(result).__name__}, not a state dict.")
    return {name: ref.materialize() for name, ref in result.items()}


def _safe_header_load(file, path: str):
    """Unpickle a header value (numbers, strings, lists, dicts): no globals at all."""

    class _NoGlobals(pickle.Unpickler):
        def find_class(self, module, name):
            raise UnsafeCheckpointError(
                f"Refusing to load {path!r}: its header names the global '{module}.{name}'."
            )

    return _NoGlobals(file).load()
