"""The NumPy reader of legacy PyTorch checkpoints, on files the tests write."""

import collections
import os
import pickle
import sys
import types

import numpy as np
import pytest

from toonsklearn.backbones._torch_legacy import UnsafeCheckpointError, load_legacy_state_dict

MAGIC, PROTOCOL = 0x1950A86A20F9469CFC6C, 1001


@pytest.fixture
def fake_torch(monkeypatch):
    """Modules named like torch's, so pickle writes the same GLOBALs a real checkpoint has."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # only referenced by name in the pickle
        raise AssertionError

    for name in ("FloatStorage", "LongStorage"):
        setattr(torch, name, type(name, (), {"__module__": "torch"}))
    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return torch, utils


class _Tensor:
    def __init__(self, utils, storage, offset, size, stride):
        self.args = (utils._rebuild_tensor_v2, (storage, offset, size, stride, False,
                                                 collections.OrderedDict()))

    def __reduce__(self):
        return self.args


class _StorageRef:
    def __init__(self, key, kind, data):
        self.key, self.kind, self.data = key, kind, data


def write_legacy(path, fake, tensors):
    """``tensors``: name -> (storage data, offset, size, stride). Returns the path."""
    torch, utils = fake
    storages, state = {}, collections.OrderedDict()
    for name, (data, offset, size, stride) in tensors.items():
        kind = torch.LongStorage if data.dtype == np.int64 else torch.FloatStorage
        ref = storages.setdefault(name, _StorageRef(str(len(storages)), kind, data))
        state[name] = _Tensor(utils, ref, offset, size, stride)

    class Writer(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _StorageRef):
                return ("storage", obj.kind, obj.key, "cpu", obj.data.size, None)
            return None

    with open(path, "wb") as file:
        for header in (MAGIC, PROTOCOL, {"little_endian": True}):
            pickle.dump(header, file, protocol=2)
        Writer(file, protocol=2).dump(state)
        pickle.dump([ref.key for ref in storages.values()], file, protocol=2)
        for ref in storages.values():
            file.write(np.int64(ref.data.size).tobytes())
            file.write(ref.data.astype(ref.data.dtype.newbyteorder("<")).tobytes())
    return path


def test_round_trip_of_contiguous_strided_and_integer_tensors(tmp_path, fake_torch):
    weights = np.arange(24, dtype=np.float32)
    counts = np.array([7], dtype=np.int64)
    path = write_legacy(tmp_path / "ok.pth", fake_torch, {
        "conv.weight": (weights, 0, (2, 3, 4), (12, 4, 1)),
        "fc.weight": (weights.copy(), 2, (3, 2), (1, 4)),  # a transposed, offset view
        "bn.num_batches_tracked": (counts, 0, (), ()),
    })
    state = load_legacy_state_dict(path)
    np.testing.assert_array_equal(state["conv.weight"], weights.reshape(2, 3, 4))
    expected = [[weights[2 + i + 4 * j] for j in range(2)] for i in range(3)]
    np.testing.assert_array_equal(state["fc.weight"], expected)
    assert state["bn.num_batches_tracked"] == 7
    assert state["bn.num_batches_tracked"].dtype == np.int64


def test_a_tensor_reaching_past_its_storage_is_refused(tmp_path, fake_torch):
    path = write_legacy(tmp_path / "bad.pth", fake_torch, {
        "w": (np.zeros(4, np.float32), 0, (1000, 1000), (1000, 1)),
    })
    with pytest.raises(ValueError, match="reaches past its storage"):
        load_legacy_state_dict(path)


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_checkpoint_that_calls_another_global_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    with open(path, "wb") as file:
        for header in (MAGIC, PROTOCOL, {}):
            pickle.dump(header, file, protocol=2)
        pickle.dump({"weight": _Exploit(marker)}, file, protocol=2)
    with pytest.raises(UnsafeCheckpointError, match="system"):
        load_legacy_state_dict(path)
    assert not marker.exists()
    evil_header = tmp_path / "evil_header.pth"
    evil_header.write_bytes(pickle.dumps(_Exploit(marker), protocol=2))
    with pytest.raises(UnsafeCheckpointError, match="header"):
        load_legacy_state_dict(evil_header)
    assert not marker.exists()


def test_other_files_are_not_checkpoints(tmp_path):
    path = tmp_path / "numbers.pth"
    path.write_bytes(pickle.dumps(42) * 3)
    with pytest.raises(ValueError, match="not a legacy PyTorch checkpoint"):
        load_legacy_state_dict(path)
