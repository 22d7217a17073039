"""Fingerprints (toonsklearn/inspection/_fingerprints.py): what X may be, files that are
not images, huge ones, and the optional packages the copy search imports when called."""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from PIL import Image

from tests.conftest import REPO_ROOT, run_forked, solid, unprivileged_user, write_image
from tests.inspection.conftest import write_toons
from toonsklearn.exceptions import (
    ImageDecodeError,
    ImageInputError,
    ImageTooLargeError,
    MissingFileError,
    NotRegularFileError,
    SkippedImagesWarning,
    UnreadableFileError,
)
from toonsklearn.inspection import duplicate_groups, find_duplicates, leakage


def make_bad(folder: Path, kind: str) -> str:
    """One file of ``kind`` that is not a readable image; its path."""
    if kind == "missing":
        return str(folder / "missing.png")
    path = folder / f"{kind.replace(' ', '_')}.png"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        full = folder / "full.png"
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3),
                                                          np.uint8)).save(full)
        path.write_bytes(full.read_bytes()[:200])
        full.unlink()
    elif kind == "not an image":
        path.write_text("a text file with an image's name")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "broken link":
        os.symlink(folder / "gone.png", path)
    elif kind == "folder":
        path.mkdir()
    return str(path)


# kind -> (the error on_error="raise" gives, what the skip warning counts it as)
BAD = {
    "missing": (MissingFileError, "1 missing or a broken link"),
    "broken link": (MissingFileError, "1 missing or a broken link"),
    "empty": (ImageDecodeError, "1 corrupt or not an image"),
    "truncated": (ImageDecodeError, "1 corrupt or not an image"),
    "not an image": (ImageDecodeError, "1 corrupt or not an image"),
    "fifo": (NotRegularFileError, "1 not a regular file"),
    "folder": (NotRegularFileError, "1 not a regular file"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_a_bad_file_raises_naming_it_and_the_fix(tmp_path, toon_images, kind):
    paths = write_toons(tmp_path, toon_images[:3])
    bad = make_bad(tmp_path, kind)
    error, _ = BAD[kind]
    with pytest.raises(error, match="on_error='skip' to find_duplicates") as info:
        find_duplicates(paths[:2] + [bad] + paths[2:])
    assert info.value.path == bad and repr(bad) in str(info.value)


@pytest.mark.parametrize("kind", list(BAD))
def test_skip_leaves_a_bad_file_out_and_counts_it(tmp_path, toon_images, kind):
    paths = write_toons(tmp_path, toon_images[:3])
    bad = make_bad(tmp_path, kind)
    X = [paths[0], bad, paths[1], paths[2], paths[0]]
    with pytest.warns(SkippedImagesWarning, match=f"find_duplicates skipped 1 of 5 files "
                                                  f"\\({BAD[kind][1]}") as record:
        table = find_duplicates(X, on_error="skip")
    assert record[0].filename == __file__  # the warning points at the caller
    assert table["index"].tolist() == [0, 4]  # positions in X, the bad file left out
    assert table.attrs["skipped"] == [bad] and table.attrs["n_images"] == 4
    with pytest.warns(SkippedImagesWarning) as record:
        groups = duplicate_groups(X, on_error="skip")
    assert record[0].filename == __file__
    assert groups.tolist() == [0, 1, 2, 3, 0]  # the skipped file has a label of its own


def test_skip_counts_each_kind_and_names_a_few(tmp_path, toon_images):
    paths = write_toons(tmp_path, toon_images[:2])
    bad = [make_bad(tmp_path, kind) for kind in ("missing", "empty", "fifo", "truncated")]
    with pytest.warns(SkippedImagesWarning) as record:
        table = find_duplicates(paths + bad, on_error="skip")
    message = str(record[0].message)
    assert "skipped 4 of 6 files (1 missing or a broken link; 1 not a regular file" in message
    assert "2 corrupt or not an image" in message and message.endswith(", .... They are not "
                                                                       "in the result.")
    assert len(table) == 0


def test_every_file_skipped_gives_an_empty_table(tmp_path):
    bad = [make_bad(tmp_path, "missing"), make_bad(tmp_path, "empty")]
    with pytest.warns(SkippedImagesWarning, match="skipped 2 of 2"):
        table = find_duplicates(bad, on_error="skip")
    assert len(table) == 0 and table.attrs["n_images"] == 0
    with pytest.warns(SkippedImagesWarning) as record:
        leaks = leakage([bad[0]], bad, on_error="skip")
    assert [str(w.message)[:32] for w in record] == ["leakage (train_X) skipped 1 of 1",
                                                     "leakage (test_X) skipped 2 of 2 "]
    assert len(leaks) == 0 and leaks.attrs["skipped"] == [bad[0], *bad]
    assert {w.filename for w in record} == {__file__}


def test_leakage_names_the_set_of_a_bad_file(tmp_path, toon_images):
    paths = write_toons(tmp_path, toon_images[:2])
    with pytest.raises(MissingFileError, match=r"on_error='skip' to leakage \(train_X\)"):
        leakage(paths + [make_bad(tmp_path, "missing")], paths)


def test_a_huge_image_is_refused_from_its_header(tmp_path, toon_images, monkeypatch):
    paths = write_toons(tmp_path, toon_images[:2])
    huge = write_image(tmp_path / "huge.png", solid(100, 100))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 4500)  # 10,000 pixels: over twice it
    with pytest.raises(ImageTooLargeError, match="huge.png.*MAX_IMAGE_PIXELS"):
        find_duplicates(paths + [huge])
    with pytest.warns(SkippedImagesWarning, match="1 over max_pixels"):
        find_duplicates(paths + [huge], on_error="skip")


def test_large_files_are_hashed_small(tmp_path, toon_images):
    big = np.asarray(Image.fromarray(toon_images[0]).resize((1024, 1024)))
    paths = [write_image(tmp_path / "big.png", big), write_image(tmp_path / "small.png",
                                                                 toon_images[0])]
    table = find_duplicates(paths)
    assert table["kind"].tolist() == ["near", "near"]


@pytest.mark.parametrize("X, words", [
    ([], "received no images"),
    (np.empty((0, 8, 8, 3), np.uint8), "received no images"),
    (None, "received no images"),
    ("toons/a.png", "received one path, 'toons/a.png'"),
    (Path("toons/a.png"), "received one path"),
    (5, "expects images of shape"),
    ([1, 2, 3], "expects images of shape"),
    (np.zeros((2, 4, 4, 4, 3), np.uint8), "expects images of shape"),
    (np.zeros((2, 4, 4, 2), np.uint8), "1 \\(greyscale\\) or 3 \\(RGB\\) channels"),
    (np.full((2, 4, 4, 3), np.nan), "NaN or infinity"),
    ([np.zeros((8, 8, 3), np.uint8), np.zeros((16, 16, 3), np.uint8)], "different shapes"),
    (["a.png", 3], "expects a 1-D array of file paths"),
    (np.array([["a.png", "b.png"]] * 2), "expects a 1-D array of file paths"),
    ([b"a.png"], "expects images of shape|1-D array of file paths"),
])
def test_wrong_input_is_refused_by_name(X, words):
    with pytest.raises(ImageInputError, match=words):
        find_duplicates(X)


def test_leakage_names_the_set_of_a_wrong_input(toon_images):
    with pytest.raises(ImageInputError, match=r"leakage \(test_X\) received no images"):
        leakage(toon_images, [])


def test_a_sparse_matrix_is_refused():
    with pytest.raises(ImageInputError, match="sparse"):
        find_duplicates(scipy.sparse.csr_matrix(np.eye(3)))


def test_greyscale_float_and_listed_images_are_accepted(toon_images):
    grey = toon_images.mean(axis=3)  # (n, h, w) floats
    X = np.concatenate([grey, grey[:1]])
    assert find_duplicates(X)["index"].tolist() == [0, 8]
    listed = [image for image in toon_images] + [toon_images[2]]
    assert find_duplicates(listed)["index"].tolist() == [2, 8]


def test_paths_as_path_objects_series_and_a_column(tmp_path, toon_images):
    paths = write_toons(tmp_path, toon_images[:3]) + [str(tmp_path / "toon1.png")]
    for X in (paths, [Path(p) for p in paths], pd.Series(paths),
              pd.DataFrame({"file": paths}), np.array(paths)[:, None]):
        table = find_duplicates(X)
        assert table["index"].tolist() == [1, 3] and table["path"].tolist() == [paths[1]] * 2


def test_importing_inspection_loads_no_heavy_or_optional_package():
    code = ("import sys, toonsklearn.inspection\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'cleanlab', 'imagehash') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("package, call", [
    ("imagehash", "find_duplicates(np.zeros((2, 4, 4, 3), np.uint8))"),
    ("cleanlab", "find_label_issues(LogisticRegression(), np.zeros((4, 2)), [0, 1, 0, 1])"),
])
def test_a_missing_optional_package_names_the_extra(package, call):
    code = (f"import sys; sys.modules[{package!r}] = None\n"  # as if not installed
            "import numpy as np\n"
            "from sklearn.linear_model import LogisticRegression\n"
            "from toonsklearn.inspection import find_duplicates, find_label_issues\n"
            f"try:\n    {call}\nexcept ImportError as exc:\n    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'pip install "toonsklearn[audit]"' in done.stdout


def test_embeddings_alone_need_no_imagehash(toon_images):
    code = ("import sys; sys.modules['imagehash'] = None\n"
            "import numpy as np\n"
            "from toonsklearn.inspection import find_duplicates\n"
            "class Mean:\n"
            "    def transform(self, X):\n"
            "        return np.asarray(X, float).reshape(len(X), -1)\n"
            "X = np.random.default_rng(0).integers(0, 255, (3, 4, 4, 3)).astype(np.uint8)\n"
            "print(find_duplicates(np.concatenate([X, X[:1]]), embedder=Mean(), "
            "hashes=False)['index'].tolist())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[0, 3]"


def test_exact_copies_alone_need_no_imagehash():
    code = ("import sys; sys.modules['imagehash'] = None\n"
            "import numpy as np\n"
            "from sklearn.preprocessing import FunctionTransformer\n"
            "from toonsklearn.inspection import duplicate_groups, find_duplicates, leakage\n"
            "X = np.random.default_rng(0).integers(0, 255, (3, 4, 4, 3)).astype(np.uint8)\n"
            "X = np.concatenate([X, X[:1]])\n"
            "print(find_duplicates(X, hashes=False)['index'].tolist())\n"
            "print(duplicate_groups(X, hashes=False).tolist())\n"
            "print(leakage(X[:2], X[2:], hashes=False)['train_index'].tolist())\n"
            "try:\n"  # an embedder is no way round the hashes: both are compared
            "    find_duplicates(X, embedder=FunctionTransformer())\n"
            "except ImportError as exc:\n"
            "    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert lines[:3] == ["[0, 3]", "[0, 1, 2, 0]", "[0]"]
    assert 'pip install "toonsklearn[audit]"' in lines[3] and "hashes=False" in lines[3]


def test_no_warning_without_a_bad_file(tmp_path, toon_images):
    paths = write_toons(tmp_path, toon_images[:3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        find_duplicates(paths, on_error="skip")


def duplicates_recording_warnings(paths):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = find_duplicates(paths, on_error="skip")
    return table["index"].tolist(), [str(w.message) for w in caught]


def test_a_file_this_user_may_not_read(shared_tmp, toon_images):
    paths = write_toons(shared_tmp, toon_images[:2]) + [str(shared_tmp / "toon0.png")]
    secret = write_image(shared_tmp / "secret.png", toon_images[3])
    os.chmod(secret, 0)
    with pytest.raises(UnreadableFileError, match="secret.png.*on_error='skip'"):
        run_forked(lambda: find_duplicates(paths + [secret]), user=unprivileged_user())
    indices, messages = run_forked(lambda: duplicates_recording_warnings(paths + [secret]),
                                   user=unprivileged_user())
    assert indices == [0, 2]
    assert messages == [m for m in messages if "1 not readable (permissions)" in m] != []
