"""Writing a file whole (toonsklearn/_utils/replace.py): under a short temporary name
beside it, held locked while its process lives; what a killed process left behind is
removed by the next write into that folder, what a live one holds is not."""

import os

import pytest

from tests.conftest import run_forked, unprivileged_user
from toonsklearn._utils.replace import (
    PARTIAL_PREFIX,
    SCRATCH_PREFIX,
    replacing,
    scratch_folder,
    sweep,
)
from toonsklearn.exceptions import NotWritableError


def test_the_temporary_name_is_short_whatever_the_name_written(tmp_path):
    target = tmp_path / ("x" * 255)
    with replacing(str(target)) as partial:
        name = os.path.basename(partial)
        assert name.startswith(PARTIAL_PREFIX) and len(name) < 32
        with open(partial, "w") as handle:
            handle.write("whole")
    assert target.read_text() == "whole" and os.listdir(tmp_path) == [target.name]


def test_only_what_no_live_process_holds_is_swept(tmp_path):
    abandoned = tmp_path / f"{PARTIAL_PREFIX}abcd1234.partial"
    abandoned.write_bytes(b"left by a killed save")
    folder = tmp_path / f"{SCRATCH_PREFIX}abcd1234"
    folder.mkdir()
    (folder / "model.keras").write_bytes(b"left by a killed load")
    look_alike = tmp_path / f"{PARTIAL_PREFIX}not-ours.partial"  # not the pattern
    look_alike.write_bytes(b"someone else's")
    fifo = tmp_path / f"{PARTIAL_PREFIX}fifo1234.partial"  # opening it must not block
    os.mkfifo(fifo)
    with replacing(str(tmp_path / "a.txt")) as partial:
        assert not abandoned.exists() and not folder.exists()
        assert sweep(str(tmp_path)) == [] and os.path.exists(partial)  # held: kept
        with open(partial, "w") as handle:
            handle.write("whole")
    assert sorted(os.listdir(tmp_path)) == sorted(["a.txt", look_alike.name, fifo.name])
    with scratch_folder() as scratch:
        assert sweep(os.path.dirname(scratch)).count(scratch) == 0 and os.path.isdir(scratch)
    assert not os.path.exists(scratch)


def test_a_folder_one_may_not_write_is_named(shared_tmp):
    shared_tmp.chmod(0o555)

    def write():
        with replacing(str(shared_tmp / "out.txt")):
            pass

    with pytest.raises(NotWritableError) as caught:
        run_forked(write, user=unprivileged_user())
    assert caught.value.path == str(shared_tmp)
