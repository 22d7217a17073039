"""``DuplicatesDisplay`` (toonsklearn/plotting/_duplicates.py): groups of duplicate
images, a row of thumbnails each, from a result of ``find_duplicates``."""

import os

import numpy as np
import pandas as pd
import pytest

from tests.conftest import write_image
from tests.plotting.conftest import rendered, texts
from toonsklearn.exceptions import ImageDecodeError, MissingFileError

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from toonsklearn.plotting import DuplicatesDisplay  # noqa: E402

COLUMNS = ["group", "index", "path", "kind", "similarity"]


def result(groups, paths=None, kinds=None):
    """A ``find_duplicates`` result: ``groups`` lists each group's positions in X,
    first member first; every member but the first is "near" at 0.9 unless told."""
    rows = []
    for group, members in enumerate(groups):
        for k, i in enumerate(members):
            kind = kinds[group] if kinds else ("exact" if k == 0 else "near")
            rows.append((group, i, None if paths is None else paths[i], kind,
                         1.0 if k == 0 else 0.9 - 0.01 * k))
    return pd.DataFrame(rows, columns=COLUMNS)


def distinct_images(n, size=8):
    """``n`` images, each one flat grey level, so a drawn image says which it is."""
    return np.stack([np.full((size, size, 3), 10 + 3 * i, np.uint8) for i in range(n)])


def drawn(ax):
    """The image an Axes shows, or None."""
    images = ax.get_images()
    return np.asarray(images[0].get_array()) if images else None


def test_each_group_is_a_row_first_member_first_with_kind_similarity_and_more():
    X = distinct_images(12)
    duplicates = result([[5, 0, 1, 2, 3, 4, 6], [7, 8], [9, 10, 11]])
    display = DuplicatesDisplay.from_result(X, duplicates, max_groups=2, max_per_group=4)
    rendered(display.figure_)
    assert display.groups == [0, 1] and display.n_groups == 3
    assert display.n_members == {0: 7, 1: 2}
    assert display.axes_.shape == (2, 5)  # 4 members and the "+3 more" cell
    first, second = display.axes_
    assert [drawn(ax).tolist() for ax in first[:4]] == [X[i].tolist() for i in [5, 0, 1, 2]]
    assert [ax.get_title() for ax in first[:4]] == [
        "exact 1.000", "near 0.890", "near 0.880", "near 0.870"]
    assert [ax.get_xlabel() for ax in first[:4]] == ["X[5]", "X[0]", "X[1]", "X[2]"]
    assert first[0].get_ylabel() == "group 0\n7 images" and first[1].get_ylabel() == ""
    assert drawn(first[4]) is None and texts(first[4]) == ["+3 more"]
    assert not first[4].axison
    # The second group has all its members drawn: no "more", the rest of its row off.
    assert [drawn(ax).tolist() for ax in second[:2]] == [X[7].tolist(), X[8].tolist()]
    assert second[0].get_ylabel() == "group 1\n2 images"
    assert all(not ax.axison and not ax.texts for ax in second[2:])
    assert sum(len(ax.get_images()) for ax in display.axes_.ravel()) == 6
    assert display.figure_.get_suptitle() == "Duplicate groups: 2 of 3"
    assert display.duplicates["index"].tolist() == [5, 0, 1, 2, 7, 8]


def test_groups_come_in_the_order_of_the_result_not_by_number():
    X = distinct_images(6)
    duplicates = result([[0, 1], [2, 3], [4, 5]])
    interleaved = duplicates.iloc[[4, 0, 2, 5, 1, 3]]  # group 2 first, rows mixed
    display = DuplicatesDisplay.from_result(X, interleaved, max_groups=2)
    assert display.groups == [2, 0]
    assert [[ax.get_xlabel() for ax in row] for row in display.axes_] == [
        ["X[4]", "X[5]"], ["X[0]", "X[1]"]]


def test_only_the_files_drawn_are_opened_and_they_are_decoded_small(tmp_path):
    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, (100, 200, 3), dtype=np.uint8)
    paths = [write_image(tmp_path / "big.png", big),
             write_image(tmp_path / "big copy.png", big),
             write_image(tmp_path / "a" / "small.png", np.full((8, 8, 3), 90, np.uint8))]
    (tmp_path / "broken.png").write_bytes(b"not an image at all")
    paths.append(str(tmp_path / "broken.png"))  # in a group past max_groups
    paths.append(str(tmp_path / "gone.png"))  # a member past max_per_group: never written
    paths.append(str(tmp_path / "also gone.png"))
    duplicates = result([[0, 1, 4], [3, 5]], paths)
    display = DuplicatesDisplay.from_result(paths, duplicates, max_groups=1, max_per_group=2)
    row = display.axes_[0]
    assert [drawn(ax).shape for ax in row[:2]] == [(32, 64, 3)] * 2  # at most 64 pixels
    assert [ax.get_xlabel() for ax in row[:2]] == ["big.png", "big copy.png"]
    assert texts(row[2]) == ["+1 more"]
    rendered(display.figure_)
    # Drawn, the missing and the broken file are named.
    with pytest.raises(MissingFileError, match="gone.png"):
        DuplicatesDisplay.from_result(paths, duplicates, max_groups=1, max_per_group=3)
    with pytest.raises(ImageDecodeError, match="broken.png"):
        DuplicatesDisplay.from_result(paths, duplicates.iloc[3:])
    # A path that vanished after the search fails only when its group is drawn.
    os.remove(paths[2])
    small = result([[0, 1], [2, 0]], paths)
    assert DuplicatesDisplay.from_result(paths, small, max_groups=1).n_groups == 2
    with pytest.raises(MissingFileError, match="small.png"):
        DuplicatesDisplay.from_result(paths, small)


def test_a_result_read_back_from_csv_draws_alike(tmp_path):
    paths = [write_image(tmp_path / f"{i}.png", np.full((8, 8, 3), 40 * i, np.uint8))
             for i in range(4)]
    duplicates = result([[2, 0], [1, 3]], paths)
    duplicates.to_csv(tmp_path / "duplicates.csv", index=False)
    back = pd.read_csv(tmp_path / "duplicates.csv")
    display = DuplicatesDisplay.from_result(np.array(paths), back)
    column = DuplicatesDisplay.from_result(pd.DataFrame({"file": paths}), back)
    assert column.duplicates["path"].tolist() == display.duplicates["path"].tolist()
    assert [[ax.get_xlabel() for ax in row] for row in display.axes_] == [
        ["2.png", "0.png"], ["1.png", "3.png"]]
    # Images held as arrays: the CSV's path column is all NaN, the captions X[i].
    X = distinct_images(4)
    result([[2, 0]]).to_csv(tmp_path / "arrays.csv", index=False)
    arrays = pd.read_csv(tmp_path / "arrays.csv")
    assert arrays["path"].isna().all()
    display = DuplicatesDisplay.from_result(X, arrays)
    assert [ax.get_xlabel() for ax in display.axes_[0]] == ["X[2]", "X[0]"]
    # Missing paths with file input take the names from X; float indices are positions.
    blank = duplicates.assign(path=np.nan, index=duplicates["index"].astype(float))
    display = DuplicatesDisplay.from_result(pd.Series(paths), blank)
    assert display.duplicates["path"].tolist() == [paths[i] for i in [2, 0, 1, 3]]
    assert display.axes_[0, 0].get_xlabel() == "2.png"


def test_paths_must_be_the_files_of_x_at_those_positions(tmp_path, monkeypatch):
    paths = [write_image(tmp_path / f"{i}.png", np.full((8, 8, 3), 40 * i, np.uint8))
             for i in range(3)]
    duplicates = result([[0, 1]], paths)
    with pytest.raises(ValueError, match=r"names '.*0.png' for index 0, but X\[0\] is "
                                         r"'.*2.png': pass the X given to find_duplicates"):
        DuplicatesDisplay.from_result(paths[::-1], duplicates)
    # The same file by another name (relative to the working directory) is the same file.
    monkeypatch.chdir(tmp_path)
    relative = ["0.png", "1.png", "2.png"]
    assert DuplicatesDisplay.from_result(relative, duplicates).groups == [0]
    with pytest.raises(ValueError, match=r"X\[1\] is None, not a file path"):
        DuplicatesDisplay.from_result([paths[0], None, paths[2]], result([[0, 1]]))


def test_no_duplicates_draws_a_figure_saying_so():
    X = distinct_images(1)  # one image: nothing to duplicate
    for empty in (pd.DataFrame(columns=COLUMNS), result([])):
        display = DuplicatesDisplay.from_result(X, empty)
        assert display.axes_.shape == (1, 1) and display.groups == []
        assert texts(display.axes_[0, 0]) == ["No duplicates found"]
        assert display.figure_.get_suptitle() == "Duplicate groups: 0 of 0"


def test_thousands_of_groups_draw_only_the_first_and_open_only_their_files(tmp_path):
    n = 3000
    paths = [str(tmp_path / f"never written {i}.png") for i in range(2 * n)]
    for i in range(4):
        write_image(tmp_path / f"never written {i}.png", np.full((8, 8, 3), i, np.uint8))
    duplicates = result([[2 * g, 2 * g + 1] for g in range(n)], paths)
    display = DuplicatesDisplay.from_result(paths, duplicates, max_groups=2)
    assert display.axes_.shape == (2, 2) and display.n_groups == n
    assert display.figure_.get_suptitle() == f"Duplicate groups: 2 of {n}"


def test_draws_into_your_axes_row_by_row():
    import matplotlib.pyplot as plt

    X = distinct_images(5)
    duplicates = result([[0, 1, 2], [3, 4]])
    figure, axes = plt.subplots(2, 4)
    display = DuplicatesDisplay.from_result(X, duplicates, max_per_group=2, ax=axes)
    assert display.figure_ is figure and display.axes_.shape == (2, 3)
    assert display.axes_[1, 0] is axes[0, 3]  # used in order, three a row
    assert figure.get_suptitle() == ""
    assert texts(axes[0, 2]) == ["+1 more"] and not axes[1, 3].axison
    with pytest.raises(ValueError, match="ax holds 4 Axes but this display draws 6 panels"):
        DuplicatesDisplay.from_result(X, duplicates, max_per_group=2, ax=axes[0])


def test_the_display_draws_the_rows_it_is_given():
    rows = result([[0, 1]], ["a/cat.png", "b/a very long file name indeed.png"])
    rows["index"] = [3, 7]
    images = distinct_images(2)
    display = DuplicatesDisplay(images, rows, n_members={0: 5}, n_groups=4).plot()
    assert texts(display.axes_[0, 2]) == ["+3 more"]
    assert display.axes_[0, 1].get_xlabel() == "a very lon…indeed.png"
    assert display.figure_.get_suptitle() == "Duplicate groups: 1 of 4"
    alone = DuplicatesDisplay(images[:1], rows[:1]).plot()  # a group of one image
    assert alone.axes_.shape == (1, 1) and alone.n_members == {0: 1}


@pytest.mark.parametrize("frame, error, message", [
    (lambda d: d.to_numpy(), TypeError,
     r"duplicates must be the pandas DataFrame toonsklearn.inspection.find_duplicates "
     r"returns; received ndarray"),
    (lambda d: d.drop(columns=["kind", "similarity"]), ValueError,
     r"duplicates lacks the columns \['kind', 'similarity'\]: pass the DataFrame "
     r"toonsklearn.inspection.find_duplicates returns"),
    (lambda d: d.rename(columns={"index": "idx"}), ValueError,
     r"lacks the columns \['index'\].*received the columns \['group', 'idx'"),
    (lambda d: pd.DataFrame(), ValueError, r"lacks the columns \['group', 'index'"),
    (lambda d: d.assign(index=[0, 1, 9, 2]), ValueError,
     r"duplicates\['index'\] holds 9, but X has 4 images \(positions 0 to 3\): pass the X "
     r"given to find_duplicates"),
    (lambda d: d.assign(index=[0, -1, 2, 3]), ValueError, r"holds -1, but X has 4 images"),
    (lambda d: d.assign(index=[0, 1.5, 2, 3]), ValueError,
     r"duplicates\['index'\] must hold the positions .* whole numbers; received 1.5"),
    (lambda d: d.assign(index=[0, np.nan, 2, 3]), ValueError, r"whole numbers; received nan"),
    (lambda d: d.assign(index=["0", "one", "2", "3"]), ValueError, r"received 'one'"),
    (lambda d: d.assign(index=[True, False, True, False]), ValueError, r"received True"),
    (lambda d: d.assign(group=[0, 0, np.nan, 1]), ValueError,
     r"duplicates\['group'\] holds missing values \(the first in row 2\)"),
    (lambda d: d.assign(similarity=[1.0, "high", 1.0, 0.9]), ValueError,
     r"duplicates\['similarity'\] must hold numbers.*received 'high'"),
])
def test_a_result_that_is_not_find_duplicates_one_is_refused(frame, error, message):
    X = distinct_images(4)
    with pytest.raises(error, match=message):
        DuplicatesDisplay.from_result(X, frame(result([[0, 1], [2, 3]])))


@pytest.mark.parametrize("call, message", [
    (lambda X, d: DuplicatesDisplay.from_result(X, d, max_groups=0),
     "max_groups must be a positive int; received 0"),
    (lambda X, d: DuplicatesDisplay.from_result(X, d, max_per_group=True),
     "max_per_group must be a positive int; received True"),
    (lambda X, d: DuplicatesDisplay.from_result(X.reshape(4, -1), d),
     r"X must be the images the audit was run on.*received shape \(4, 192\)"),
    (lambda X, d: DuplicatesDisplay(X[:3], d),
     "images holds 3 images but duplicates 4 rows"),
    (lambda X, d: DuplicatesDisplay(X, d, n_members=[2, 2]),
     "n_members must be a dict of group -> number of members.*received list"),
])
def test_bad_arguments_are_refused_with_the_value_and_the_fix(call, message):
    with pytest.raises(ValueError, match=message):
        call(distinct_images(4), result([[0, 1], [2, 3]]))


def test_from_data_finds_and_draws_the_groups():
    pytest.importorskip("toonsklearn.inspection")
    X = np.random.default_rng(0).integers(0, 256, (6, 8, 8, 3), dtype=np.uint8)
    X[4] = X[1]
    X[5] = X[1]
    display = DuplicatesDisplay.from_data(X, max_per_group=2)
    assert display.groups == [0] and display.n_members == {0: 3}
    assert [ax.get_xlabel() for ax in display.axes_[0, :2]] == ["X[1]", "X[4]"]
    assert display.axes_[0, 1].get_title() == "exact 1.000"
    assert texts(display.axes_[0, 2]) == ["+1 more"]
    rendered(display.figure_)


def test_from_data_passes_its_keywords_on_and_draws_files(tmp_path):
    pytest.importorskip("toonsklearn.inspection")
    from toonsklearn.exceptions import SkippedImagesWarning

    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    paths = [write_image(tmp_path / f"{i}.png", image) for i, image in enumerate(pixels)]
    paths.append(write_image(tmp_path / "copy of 1.png", pixels[1]))
    (tmp_path / "broken.png").write_bytes(b"not an image")
    paths.append(str(tmp_path / "broken.png"))
    with pytest.warns(SkippedImagesWarning):
        display = DuplicatesDisplay.from_data(paths, on_error="skip")
    assert [ax.get_xlabel() for ax in display.axes_[0]] == ["1.png", "copy of 1.png"]
    assert [ax.get_title() for ax in display.axes_[0]] == ["exact 1.000", "exact 1.000"]
