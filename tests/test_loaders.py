"""``load_image_folder``, ``ImageFolderLoader`` and ``load_labels_csv``
(toonsklearn/loaders.py): real folders, messy and hostile ones, decoding, scikit-learn
behaviour, and labels CSV files."""

import os
import pickle
import socket
import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from tests.conftest import run_forked, solid, unprivileged_user, write_image
from toonsklearn import ImageFolderLoader, ImageTransformer, load_image_folder, load_labels_csv
from toonsklearn.exceptions import (
    ImageDecodeError,
    ImageTooLargeError,
    LabelsFileError,
    MissingFileError,
    NotRegularFileError,
    SkippedImagesWarning,
    UnreadableFileError,
)


def class_of(path, data):
    return data.target_names[data.target[list(data.paths).index(path)]]


# --- load_image_folder -------------------------------------------------------------------


def test_split_layout_reads_each_subset_with_labels_from_folders(toon_tree):
    sizes = {}
    for subset in ("train", "validation", "test"):
        data = load_image_folder(toon_tree, subset=subset)
        assert data.target_names == ["jerry", "tom"]
        assert len(data.paths) == len(data.target)
        for path, label in zip(data.paths, data.target, strict=True):
            assert os.path.basename(os.path.dirname(path)) == data.target_names[label]
        sizes[subset] = len(data.paths)
    assert sizes == {"train": 42, "validation": 9, "test": 9}


def test_split_layout_without_subset_says_how_to_pick_one(toon_tree):
    with pytest.raises(ValueError, match="subset='train'"):
        load_image_folder(toon_tree)


def test_missing_folder_and_bad_subset_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        load_image_folder(tmp_path / "nope")
    with pytest.raises(ValueError, match="'training'"):
        load_image_folder(tmp_path, subset="training")


@pytest.fixture
def messy_folder(tmp_path):
    """Real-world mess: every extension in mixed case, unicode, nesting, hidden and stray files."""
    root = tmp_path / "toons"
    tom, jerry = root / "tom", root / "jerry"
    expected = {
        write_image(tom / "a.JPG", solid(12, 10)): "tom",
        write_image(tom / "b.jpeg", solid(12, 10)): "tom",
        write_image(tom / "c.webp", solid(12, 10)): "tom",
        write_image(tom / "season 2" / "d.Png", solid(12, 10)): "tom",
        write_image(jerry / "e.bmp", solid(12, 10)): "jerry",
        write_image(jerry / "f.gif", solid(12, 10)): "jerry",
        write_image(jerry / "ジェリー_ñ.png", solid(12, 10)): "jerry",
        write_image(jerry / "g.TIFF", solid(12, 10)): "jerry",
    }
    (tom / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (tom / "notes.txt").write_text("not an image")
    write_image(jerry / ".hidden.png", solid(4, 4))
    write_image(jerry / ".cache" / "h.png", solid(4, 4))
    (root / "spike").mkdir()
    return root, expected


def test_messy_folder_finds_exactly_the_images(messy_folder):
    root, expected = messy_folder
    with pytest.warns(UserWarning, match="spike.*no images"):
        data = load_image_folder(root)
    assert data.target_names == ["jerry", "spike", "tom"]
    assert sorted(data.paths) == sorted(expected)
    for path in data.paths:
        assert class_of(path, data) == expected[path]
    X = ImageFolderLoader(size=(8, 8)).transform(data.paths)
    assert X.shape == (8, 8, 8, 3)
    assert np.abs(X.astype(int) - [200, 30, 30]).max() <= 12  # every format decoded the colour


@pytest.fixture
def broken_folder(tmp_path):
    root = tmp_path / "toons"
    good = [write_image(root / "tom" / f"t{i}.png", solid(8, 8)) for i in range(3)]
    good += [write_image(root / "jerry" / f"j{i}.jpg", solid(8, 8)) for i in range(3)]
    full = root / "tom" / "full.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(full)
    truncated = root / "tom" / "truncated.jpg"
    truncated.write_bytes(full.read_bytes()[:600])
    full.unlink()
    fake = root / "jerry" / "fake.png"
    fake.write_text("this is a text file with an image extension")
    return root, good, [str(truncated), str(fake)]


def test_corrupt_file_raises_naming_it(broken_folder):
    root, _, bad = broken_folder
    with pytest.raises(ImageDecodeError, match="on_error='skip'") as info:
        load_image_folder(root)
    assert info.value.path in bad
    assert repr(info.value.path) in str(info.value)


def test_skip_drops_bad_files_with_their_labels_and_warns(broken_folder):
    root, good, _ = broken_folder
    with pytest.warns(SkippedImagesWarning, match="Skipped 2 of 8"):
        data = load_image_folder(root, on_error="skip")
    assert sorted(data.paths) == sorted(good)
    for path, label in zip(data.paths, data.target, strict=True):
        assert os.path.basename(os.path.dirname(path)) == data.target_names[label]


def test_loader_names_the_corrupt_file(broken_folder):
    _, good, bad = broken_folder
    with pytest.raises(ImageDecodeError, match="fake.png"):
        ImageFolderLoader(size=(8, 8)).transform(good + [bad[1]])
    with pytest.raises(FileNotFoundError, match="missing.png"):
        ImageFolderLoader(size=(8, 8)).transform(good + ["missing.png"])


def test_decompression_bomb_gives_a_clear_error(tmp_path, monkeypatch):
    path = write_image(tmp_path / "huge.png", solid(100, 100))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageDecodeError, match="huge.png.*MAX_IMAGE_PIXELS"):
        ImageFolderLoader(size=(8, 8)).transform([path])


# --- hostile files and folders -----------------------------------------------------------

# kind -> (the error on_error="raise" gives, the words the skip warning counts it under)
HOSTILE = {
    "broken link": (MissingFileError, "1 missing or a broken link"),
    "fifo": (NotRegularFileError, "1 not a regular file"),
    "device": (NotRegularFileError, "1 not a regular file"),
    "unreadable file": (UnreadableFileError, "1 not readable (permissions)"),
    "unreadable folder": (UnreadableFileError, "1 folder that could not be read"),
}


def add_hostile(root, kind):
    """Put one entry of ``kind`` among the images of ``root/tom``; return its path."""
    tom = root / "tom"
    if kind == "broken link":
        path = tom / "broken.png"
        os.symlink(root / "gone.png", path)
    elif kind == "fifo":
        path = tom / "pipe.png"
        os.mkfifo(path)
    elif kind == "device":  # reading it would never end
        path = tom / "zero.png"
        os.symlink("/dev/zero", path)
    elif kind == "unreadable file":
        path = write_image(tom / "secret.png", solid(8, 8))
        os.chmod(path, 0)
    else:
        path = tom / "locked"
        write_image(path / "inside.png", solid(8, 8))
        os.chmod(path, 0)
    return str(path)


@pytest.fixture
def plain_folder(shared_tmp):
    """Four good images in a folder an unprivileged user may read."""
    root = shared_tmp / "toons"
    good = [write_image(root / c / f"{c}{i}.png", solid(8, 8)) for c in ("tom", "jerry")
            for i in range(2)]
    return root, good


def load_recording_warnings(root, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_image_folder(root, n_jobs=1, **kwargs)
    return data, [str(w.message) for w in caught if w.category is SkippedImagesWarning]


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_entry_raises_a_named_error(plain_folder, kind):
    root, _ = plain_folder
    bad = add_hostile(root, kind)
    with pytest.raises(HOSTILE[kind][0]) as info:
        run_forked(lambda: load_image_folder(root, n_jobs=1), user=unprivileged_user())
    assert info.value.path == bad
    assert repr(bad) in str(info.value) or f"'{bad}'" in str(info.value)


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_entry_is_skipped_and_counted(plain_folder, kind):
    root, good = plain_folder
    add_hostile(root, kind)
    data, messages = run_forked(
        lambda: load_recording_warnings(root, on_error="skip"), user=unprivileged_user()
    )
    assert sorted(data.paths) == sorted(good)
    assert len(messages) == 1
    assert HOSTILE[kind][1] in messages[0]


def test_every_kind_at_once_is_counted_by_kind(plain_folder):
    root, good = plain_folder
    for kind in HOSTILE:
        add_hostile(root, kind)
    (root / "jerry" / "fake.png").write_text("not an image")
    data, messages = run_forked(
        lambda: load_recording_warnings(root, on_error="skip"), user=unprivileged_user()
    )
    assert sorted(data.paths) == sorted(good)
    assert messages[0].startswith("Skipped 5 of 9 files")
    for words in ("1 missing or a broken link", "2 not a regular file", "1 not readable",
                  "1 corrupt or not an image", "1 folder that could not be read"):
        assert words in messages[0]


def test_a_socket_and_a_file_pillow_trips_on_are_counted(plain_folder):
    root, good = plain_folder
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(root / "tom" / "socket.png"))
        (root / "jerry" / "unknown.png").write_bytes(  # a DDS header Pillow cannot decode
            b"DDS " + struct.pack("<I", 124) + struct.pack("<3I", 0, 4, 4) + bytes(56)
            + struct.pack("<4I", 32, 0, 0, 0) + bytes(36)
        )
        data, messages = load_recording_warnings(root, on_error="skip")
    assert sorted(data.paths) == sorted(good)
    assert "1 not a regular file" in messages[0] and "1 corrupt or not an image" in messages[0]


def test_an_unreadable_root_is_named(plain_folder):
    root, _ = plain_folder
    os.chmod(root, 0)
    with pytest.raises(UnreadableFileError, match="chmod") as info:
        run_forked(lambda: load_image_folder(root), user=unprivileged_user())
    assert info.value.path == str(root)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_loader_transform_refuses_a_fifo_or_device_without_reading_it(plain_folder, kind):
    root, good = plain_folder
    bad = add_hostile(root, kind)
    with pytest.raises(NotRegularFileError, match="not a regular file"):
        run_forked(lambda: ImageFolderLoader(size=(8, 8)).transform(good + [bad]), timeout=30)


def test_max_pixels_refuses_from_the_header_in_this_call_only(tmp_path):
    big = write_image(tmp_path / "tom" / "big.png", solid(40, 50))
    small = write_image(tmp_path / "jerry" / "small.png", solid(8, 8))
    pillow_limit = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageTooLargeError, match="big.png.*2,000 pixels.*max_pixels=1,999"):
        ImageFolderLoader(size=(8, 8), max_pixels=1999).transform([small, big])
    assert ImageFolderLoader(size=(8, 8), max_pixels=2000).transform([big]).shape == (1, 8, 8, 3)
    assert Image.MAX_IMAGE_PIXELS == pillow_limit  # no process-wide switch was touched
    with pytest.warns(SkippedImagesWarning, match="Skipped 1 of 2 files.*1 over max_pixels"):
        data = load_image_folder(tmp_path, on_error="skip", max_pixels=1999)
    assert list(data.paths) == [small]
    header_only = tmp_path / "header_only.png"  # the pixels are gone; the header is enough
    header_only.write_bytes(Path(big).read_bytes()[:60])
    with pytest.raises(ImageTooLargeError):
        ImageFolderLoader(size=(8, 8), max_pixels=1999).transform([str(header_only)])


def test_max_pixels_must_be_a_positive_int(tmp_path):
    with pytest.raises(ValueError, match="max_pixels=0"):
        load_image_folder(tmp_path, max_pixels=0)
    with pytest.raises(ValueError, match="max_pixels"):
        ImageFolderLoader(max_pixels=-1).fit(["a.png"])
    with pytest.raises(ValueError, match="max_pixels=True"):
        ImageFolderLoader(max_pixels=True).fit(["a.png"])


# --- decoding ----------------------------------------------------------------------------


def two_halves(height, width):
    """Left half red, right half blue."""
    image = solid(height, width, (255, 0, 0))
    image[:, width // 2 :] = (0, 0, 255)
    return image


@pytest.mark.parametrize("size", [None, (40, 20)])
def test_exif_orientation_is_applied(tmp_path, size):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to display
    path = write_image(tmp_path / "phone.jpg", two_halves(200, 400), exif=exif, quality=95)
    image = ImageFolderLoader(size=size).transform([path])[0]
    height = image.shape[0]
    assert image.shape[:2] == ((400, 200) if size is None else size)
    assert image[: height // 4].mean(axis=(0, 1))[0] > 200  # left (red) is now on top
    assert image[-height // 4 :].mean(axis=(0, 1))[2] > 200


def test_transparency_palette_cmyk_and_16_bit_are_converted(tmp_path):
    transparent = np.zeros((8, 8, 4), np.uint8)
    half_red = np.zeros((8, 8, 4), np.uint8)
    half_red[...] = (255, 0, 0, 128)
    palette = Image.fromarray(solid(8, 8, (0, 0, 0))).convert("P")
    palette.info["transparency"] = 0
    palette.save(tmp_path / "palette.png", transparency=0)
    Image.fromarray(solid(8, 8, (0, 255, 0))).convert("CMYK").save(tmp_path / "cmyk.jpg")
    Image.fromarray(np.full((8, 8), 65535, np.uint16)).save(tmp_path / "white16.png")
    Image.fromarray(np.full((8, 8), 32896, np.uint16)).save(tmp_path / "grey16.png")
    paths = [
        write_image(tmp_path / "transparent.png", transparent),
        write_image(tmp_path / "half_red.png", half_red),
        str(tmp_path / "palette.png"),
        str(tmp_path / "cmyk.jpg"),
        str(tmp_path / "white16.png"),
        str(tmp_path / "grey16.png"),
        write_image(tmp_path / "grey.png", np.full((8, 8), 90, np.uint8)),
    ]
    X = ImageFolderLoader(size=None).transform(paths)
    centre = X[:, 4, 4].astype(int)
    np.testing.assert_array_equal(centre[0], [255, 255, 255])  # transparent -> white
    np.testing.assert_allclose(centre[1], [255, 127, 127], atol=2)  # blended onto white
    np.testing.assert_array_equal(centre[2], [255, 255, 255])
    np.testing.assert_allclose(centre[3], [0, 255, 0], atol=8)
    np.testing.assert_array_equal(centre[4], [255, 255, 255])  # 16-bit scaled, not clipped
    np.testing.assert_array_equal(centre[5], [128, 128, 128])
    np.testing.assert_array_equal(centre[6], [90, 90, 90])
    grey = ImageFolderLoader(size=None, color_mode="grayscale").transform(paths)
    assert grey.shape == (7, 8, 8, 1)
    assert grey[6, 4, 4, 0] == 90


def test_resize_modes_stretch_pad_and_crop(tmp_path):
    wide = solid(10, 30, (255, 0, 0))
    wide[:, 10:20] = (0, 255, 0)
    wide[:, 20:] = (0, 0, 255)
    path = write_image(tmp_path / "wide.png", wide)
    stretch = ImageFolderLoader(size=(12, 12), resize="stretch").transform([path])[0]
    pad = ImageFolderLoader(size=(12, 12), resize="pad").transform([path])[0]
    crop = ImageFolderLoader(size=(12, 12), resize="crop").transform([path])[0]
    assert stretch[6, 0, 0] > 200 and stretch[6, -1, 2] > 200  # all three bands kept
    np.testing.assert_array_equal(pad[0], 0)  # black bars above and below
    np.testing.assert_array_equal(pad[-1], 0)
    assert pad[6, 0, 0] > 200 and pad[6, -1, 2] > 200
    np.testing.assert_allclose(crop[:, 2:-2].reshape(-1, 3), [[0, 255, 0]] * 96, atol=3)


def test_parallel_decoding_matches_serial(toon_tree):
    paths = load_image_folder(toon_tree, subset="train").paths
    serial = ImageFolderLoader(size=(12, 12), n_jobs=1).transform(paths)
    parallel = ImageFolderLoader(size=(12, 12), n_jobs=2).transform(paths)
    np.testing.assert_array_equal(serial, parallel)


def test_size_none_needs_equal_sizes(tmp_path):
    paths = np.array([
        write_image(tmp_path / "a.png", solid(8, 8)),
        write_image(tmp_path / "b.png", solid(9, 8)),
    ])
    with pytest.raises(ValueError, match="b.png' is 8x9 pixels but .*a.png' is 8x8") as info:
        ImageFolderLoader(size=None).transform(paths)
    assert "np.str_" not in str(info.value)


def test_loader_rejects_arrays_and_single_paths_with_a_hint(tmp_path):
    with pytest.raises(ValueError, match="shape \\(2, 4, 4, 3\\).*ImageTransformer"):
        ImageFolderLoader().transform(np.zeros((2, 4, 4, 3), np.uint8))
    with pytest.raises(TypeError, match="Wrap it in a list"):
        ImageFolderLoader().transform("one.png")
    with pytest.raises(ValueError, match="size="):
        ImageFolderLoader(size=(0, 8)).fit(["a.png"])


def test_loader_accepts_a_dataframe_column(toon_tree):
    paths = load_image_folder(toon_tree, subset="test").paths
    frame = pd.DataFrame({"path": paths})
    np.testing.assert_array_equal(
        ImageFolderLoader(size=(8, 8)).transform(frame[["path"]]),
        ImageFolderLoader(size=(8, 8)).transform(list(paths)),
    )


# --- scikit-learn behaviour --------------------------------------------------------------


@pytest.mark.parametrize("estimator", [ImageFolderLoader(), ImageTransformer()])
def test_estimator_api_checks(estimator):
    name = type(estimator).__name__
    check_parameters_default_constructible(name, estimator)
    check_no_attributes_set_in_init(name, estimator)
    check_get_params_invariance(name, estimator)
    check_set_params(name, estimator)


def test_loader_clones_and_pickles(toon_tree):
    paths = load_image_folder(toon_tree, subset="test").paths
    loader = ImageFolderLoader(size=(8, 8), resize="crop").fit(paths)
    assert clone(loader).get_params() == loader.get_params()
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(loader)).transform(paths), loader.transform(paths)
    )


def test_pipeline_on_paths_under_grid_search(toon_tree):
    train = load_image_folder(toon_tree, subset="train")
    pipe = make_pipeline(
        ImageFolderLoader(size=(16, 16)),
        ImageTransformer(normalize="scale", flatten=True),
        LogisticRegression(max_iter=200),
    )
    grid = {
        "imagetransformer__normalize": ["scale", "standardize"],
        "imagefolderloader__color_mode": ["rgb", "grayscale"],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", DataConversionWarning)
        search = GridSearchCV(pipe, grid, cv=3).fit(train.paths, train.target)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    test = load_image_folder(toon_tree, subset="test")
    assert set(search.predict(test.paths)) <= {0, 1}
    assert search.best_estimator_[1].image_shape_[2] in (1, 3)


# --- load_labels_csv ---------------------------------------------------------------------


def test_labels_csv_gives_an_indicator_matrix(multilabel_tree):
    csv = multilabel_tree / "train" / "ground_truth.csv"
    data = load_labels_csv(csv)
    frame = pd.read_csv(csv)
    assert data.target_names == ["tom", "jerry"]
    np.testing.assert_array_equal(data.target, frame[["tom", "jerry"]].to_numpy())
    assert [os.path.basename(p) for p in data.paths] == list(frame["filename"])
    assert all(os.path.isfile(p) for p in data.paths)


def test_labels_csv_errors_name_the_problem(tmp_path):
    write_image(tmp_path / "a.png", solid(4, 4))
    (tmp_path / "bad_column.csv").write_text("file,tom\na.png,1\n")
    with pytest.raises(ValueError, match="no column 'filename'.*\\['file', 'tom'\\]"):
        load_labels_csv(tmp_path / "bad_column.csv")
    (tmp_path / "bad_values.csv").write_text("filename,tom\na.png,yes\n")
    with pytest.raises(ValueError, match="only 0 and 1.*'yes'"):
        load_labels_csv(tmp_path / "bad_values.csv")
    (tmp_path / "missing.csv").write_text("filename,tom,jerry\na.png,1,0\ngone.png,0,1\n")
    with pytest.raises(FileNotFoundError, match="gone.png"):
        load_labels_csv(tmp_path / "missing.csv")
    with pytest.warns(SkippedImagesWarning, match="1 of 2 files.*1 missing"):
        data = load_labels_csv(tmp_path / "missing.csv", on_error="skip")
    np.testing.assert_array_equal(data.target, [[1, 0]])
    assert list(data.frame["filename"]) == ["a.png"]


@pytest.fixture
def labelled(tmp_path):
    """Two images beside the CSV files the tests write."""
    write_image(tmp_path / "a.png", solid(4, 4))
    write_image(tmp_path / "b.png", solid(4, 4))
    return tmp_path


@pytest.mark.parametrize(
    "text, row, words",
    [
        ("filename,tom\na.png,1\nb.png,0\na.png,1\n", 4, "'a.png' is listed twice.*rows 2 and 4"),
        ("filename,tom\na.png,1\n./b.png,0\nb.png,1\n", 4, "'b.png' is listed twice"),
        ("filename,tom\na.png,1\n,0\n", 3, "Row 3 .* empty file name"),
        ("filename,tom\na.png,1\n   ,0\n", 3, "Row 3 .* empty file name"),
        ("filename,tom\na.png,1\n42,0\n", 3, "Row 3 .* number 42 where a file name belongs"),
        ("filename,tom\na.png,1\n\nb.png,yes\n", 4, "row 4, column 'tom' holds 'yes'"),
        ("filename,tom,jerry\na.png,1,0\nb.png,0,\n", 3, "row 3, column 'jerry' holds an empty"),
        ("filename,tom\na.png,2\n", 2, "row 2, column 'tom' holds 2"),
        ("filename,tom\na.png,1,\nb.png,yes,\n", 3, "row 3, column 'tom' holds 'yes'"),
        ("filename,tom,jerry\na.png,1,0\nb.png,1,1,1\n", 3,
         "Row 3 .* has 4 fields but the header names 3"),
    ],
)
def test_malformed_labels_name_the_file_and_row(labelled, text, row, words):
    csv = labelled / "labels.csv"
    csv.write_text(text)
    with pytest.raises(LabelsFileError, match=words) as info:
        load_labels_csv(csv)
    assert info.value.row == row
    assert info.value.path == str(csv)
    assert str(csv) in str(info.value)
    assert "np." not in str(info.value)  # plain strings, not np.str_('...')


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "is empty"),
        (b"\n\nfilename,tom\na.png,1\n", "first line is blank"),
        (b"filename,tom\n", "lists no images"),
        (b"filename\na.png\n", "no label columns"),
        (b'filename,tom\n"a.png,1\n', "Could not read"),
        (b"\xff\xfe\x00\x89PNG\x00\x00garbage\xc3\x28", "Could not read|no column"),
    ],
)
def test_broken_tables_raise_a_named_error(labelled, content, words):
    csv = labelled / "labels.csv"
    csv.write_bytes(content)
    with pytest.raises(LabelsFileError, match=words) as info:
        load_labels_csv(csv)
    assert info.value.path == str(csv)


def test_a_labels_fifo_or_missing_file_is_refused_without_hanging(labelled):
    fifo = labelled / "labels.csv"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFileError, match="labels.csv"):
        run_forked(lambda: load_labels_csv(fifo), timeout=30)
    with pytest.raises(MissingFileError, match="nothing.csv"):
        load_labels_csv(labelled / "nothing.csv")


def test_a_trailing_comma_on_every_row_is_read_as_an_empty_column(labelled):
    csv = labelled / "labels.csv"
    csv.write_text("filename,tom\na.png,1,\nb.png,0,\n")  # as some spreadsheets export
    data = load_labels_csv(os.fsencode(csv))
    assert list(data.frame["filename"]) == ["a.png", "b.png"]
    np.testing.assert_array_equal(data.target, [[1], [0]])


def test_bad_images_listed_in_a_csv_name_their_row(labelled):
    (labelled / "fake.png").write_text("not an image")
    csv = labelled / "labels.csv"
    csv.write_text("filename,tom\na.png,1\nfake.png,0\nb.png,1\n")
    with pytest.raises(ImageDecodeError, match="fake.png.*row 3 of"):
        load_labels_csv(csv)
    with pytest.warns(SkippedImagesWarning, match="Skipped 1 of 3 files.*1 corrupt"):
        data = load_labels_csv(csv, on_error="skip")
    assert list(data.frame["filename"]) == ["a.png", "b.png"]
    np.testing.assert_array_equal(data.target, [[1], [1]])
