"""find_duplicates, duplicate_groups and leakage (toonsklearn/inspection/_duplicates.py):
groups of exact and near copies, found a block at a time, and copies across splits."""

import shutil
from pathlib import Path

import imagehash
import keras
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold
from sklearn.utils._param_validation import InvalidParameterError

from tests.conftest import write_image
from tests.inspection.conftest import near_copy, write_toons
from toonsklearn.embedding import ImageEmbedder
from toonsklearn.inspection import (
    DEFAULT_THRESHOLD,
    _duplicates,
    duplicate_groups,
    find_duplicates,
    leakage,
)

COLUMNS = ["group", "index", "path", "kind", "similarity"]
LEAK_COLUMNS = ["test_index", "test_path", "train_index", "train_path", "kind", "similarity"]


class Vectors:
    """A transformer that embeds image i (its pixel [0, 0, 0]) as ``vectors[i]``: copies
    decided by the test, not by a network."""

    def __init__(self, vectors):
        self.vectors = np.asarray(vectors, dtype=np.float32)

    def transform(self, X):
        return self.vectors[np.asarray(X)[:, 0, 0, 0].astype(int)]


class ByName:
    """A transformer that embeds a file as ``vectors[its name's stem]``, so that a test
    decides which copies an embedder finds (a shifted one) and which it misses."""

    def __init__(self, vectors):
        self.vectors = {name: np.asarray(v, dtype=np.float32) for name, v in vectors.items()}

    def transform(self, X):
        return np.stack([self.vectors[Path(path).stem] for path in np.asarray(X)])


def unit(dimension, cosine=1.0, towards=15):
    """A unit vector of 16 whose cosine to axis ``dimension`` is ``cosine`` (the rest
    along axis ``towards``)."""
    vector = np.zeros(16)
    vector[dimension], vector[towards] = cosine, np.sqrt(1 - cosine ** 2)
    return vector


def indexed(n, size=4):
    """``n`` tiny images whose pixel [0, 0, 0] is their index (for ``Vectors``)."""
    images = np.zeros((n, size, size, 3), dtype=np.uint8)
    images[:, 0, 0, 0] = np.arange(n)
    images[:, 1, 1, 1] = np.arange(n) // 256  # no two equal, so no exact copies
    return images


def tiny_embedder():
    inputs = keras.Input((16, 16, 3))
    outputs = keras.layers.Conv2D(8, 3, kernel_initializer=keras.initializers.GlorotUniform(
        seed=0))(inputs)
    return ImageEmbedder(keras.Model(inputs, outputs), input_size=(16, 16))


# --- find_duplicates ----------------------------------------------------------------------


def test_exact_file_copies_and_near_copies_form_groups(tmp_path, toon_images):
    paths = write_toons(tmp_path, toon_images)
    shutil.copyfile(paths[2], tmp_path / "copy_of_2.png")
    paths.append(str(tmp_path / "copy_of_2.png"))                              # 8
    paths.append(near_copy(toon_images[5], tmp_path / "five.jpg", "jpeg"))     # 9
    paths.append(near_copy(toon_images[5], tmp_path / "five_big.png", "resized"))  # 10
    table = find_duplicates(paths)
    assert list(table.columns) == COLUMNS
    assert table["group"].tolist() == [0, 0, 0, 1, 1]
    assert table["index"].tolist() == [5, 9, 10, 2, 8]  # the group of three first
    assert table["path"].tolist() == [paths[i] for i in (5, 9, 10, 2, 8)]
    assert table["kind"].tolist() == ["near", "near", "near", "exact", "exact"]
    assert table["similarity"].iloc[[0, 3, 4]].tolist() == [1.0, 1.0, 1.0]
    assert (table["similarity"].iloc[1:3] >= DEFAULT_THRESHOLD).all()
    assert table.attrs == {"n_images": 11, "n_groups": 2, "skipped": [], "method": "phash",
                           "threshold": DEFAULT_THRESHOLD}


def test_dtypes_hold_for_full_and_empty_tables(toon_images):
    full = find_duplicates(np.concatenate([toon_images, toon_images[:1]]))
    empty = find_duplicates(toon_images)
    assert len(empty) == 0 and list(empty.columns) == COLUMNS
    for table in (full, empty):
        assert [str(t) for t in table.dtypes] == ["int64", "int64", "object", "object",
                                                  "float64"]
    assert full["path"].tolist() == [None, None]  # arrays have no paths


def test_one_image_has_no_pairs(toon_images):
    table = find_duplicates(toon_images[:1])
    assert len(table) == 0 and list(table.columns) == COLUMNS
    assert duplicate_groups(toon_images[:1]).tolist() == [0]


def test_kind_compares_with_the_first_member(toon_images):
    brighter = np.clip(toon_images[3].astype(int) + 12, 0, 255).astype(np.uint8)
    X = np.concatenate([toon_images[3:4], brighter[None], toon_images[3:4], brighter[None]])
    table = find_duplicates(X)
    # 0 has an exact copy (2): both exact; the brighter ones are near, though equal
    assert table["kind"].tolist() == ["exact", "near", "exact", "near"]
    alone = find_duplicates(X[:2])  # no exact copy of the first member: all near
    assert alone["kind"].tolist() == ["near", "near"]
    assert alone["similarity"].tolist()[0] == 1.0


def test_hash_similarity_is_the_share_of_equal_bits(tmp_path, toon_images):
    original = write_image(tmp_path / "a.png", toon_images[0])
    copy = near_copy(toon_images[0], tmp_path / "b.jpg", "jpeg")
    table = find_duplicates([original, copy], threshold=0.5)
    hashes = [imagehash.phash(Image.open(p).convert("RGB").resize((64, 64),
                                                                  Image.Resampling.BILINEAR),
                              hash_size=16) for p in (original, copy)]
    expected = 1 - (hashes[0] - hashes[1]) / 256
    assert table["similarity"].iloc[1] == pytest.approx(expected, abs=4 / 256)
    assert 0.5 <= table["similarity"].iloc[1] < 1.0


def test_threshold_decides_how_near_a_copy_must_be(tmp_path, toon_images):
    paths = [write_image(tmp_path / "a.png", toon_images[0]),
             near_copy(toon_images[0], tmp_path / "b.jpg", "jpeg")]
    similarity = find_duplicates(paths, threshold=0.5)["similarity"].iloc[1]
    assert len(find_duplicates(paths, threshold=similarity)) == 2  # at the threshold: copies
    assert len(find_duplicates(paths, threshold=min(1.0, similarity + 1 / 256))) == 0


def test_groups_are_connected_components_of_pairs():
    # 0~1 and 1~2 (cosine 0.95) but 0 and 2 only 0.805: one group through 1
    angle = np.arccos(0.95)
    vectors = [[1, 0], [np.cos(angle), np.sin(angle)], [np.cos(2 * angle), np.sin(2 * angle)],
               [0, 1], [-1, 0]]
    table = find_duplicates(indexed(5), embedder=Vectors(vectors), threshold=0.9,
                            hashes=False)  # indexed images, nearly black, all hash alike
    assert table["index"].tolist() == [0, 1, 2]
    assert table["similarity"].tolist() == pytest.approx([1.0, 0.95, 0.805], abs=1e-5)
    assert table.attrs["method"] == "embedding"


@pytest.mark.parametrize("block, pending", [(7, 5), (64, 1 << 22), (1 << 22, 3)])
def test_blocked_search_equals_the_full_matrix(monkeypatch, block, pending):
    monkeypatch.setattr(_duplicates, "_BLOCK_ENTRIES", block)
    monkeypatch.setattr(_duplicates, "_MAX_PENDING_EDGES", pending)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(12, 16))
    vectors = centres[rng.integers(0, 12, 90)] + rng.normal(scale=0.25, size=(90, 16))
    table = find_duplicates(indexed(90), embedder=Vectors(vectors), threshold=0.9,
                            hashes=False)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similar = (unit @ unit.T >= 0.9 - 1e-5).astype(int)
    from scipy.sparse.csgraph import connected_components
    _, labels = connected_components(similar, directed=False)
    expected = {frozenset(np.flatnonzero(labels == c)) for c in np.unique(labels)
                if (labels == c).sum() > 1}
    found = {frozenset(g["index"]) for _, g in table.groupby("group")}
    assert found == expected and len(found) > 3
    sizes = table.groupby("group").size().tolist()
    assert sizes == sorted(sizes, reverse=True)


def test_an_image_embedder_finds_copies_and_stays_unfitted(toon_images):
    embedder = tiny_embedder()
    X = np.concatenate([toon_images, toon_images[6:7]])
    table = find_duplicates(X, embedder=embedder, threshold=0.9999)  # a random network
    assert table["index"].tolist() == [6, 8] and table["kind"].tolist() == ["exact", "exact"]
    assert not hasattr(embedder, "model_")  # a copy was fitted, not the caller's


# --- hashes and embeddings together, and exact copies alone ------------------------------


def union_set(folder, toon_images):
    """Six toons (0-5) and three copies: 6 toon 1 shifted (the embedder's cosine 0.97,
    phash misses it), 7 toon 1 recompressed (phash finds it, the embedder puts it far),
    8 toon 4 enlarged (both find it, the embedder at 0.99); the paths and the embedder."""
    paths = write_toons(folder, toon_images[:6])
    paths += [near_copy(toon_images[1], folder / "shifted.png", "shifted"),
              near_copy(toon_images[1], folder / "recompressed.jpg", "jpeg"),
              near_copy(toon_images[4], folder / "big.png", "resized")]
    vectors = {f"toon{i}": unit(i) for i in range(6)}
    vectors.update(shifted=unit(1, 0.97, 14), recompressed=unit(13), big=unit(4, 0.99, 12))
    return paths, ByName(vectors)


def hash_similarity(original, copy):
    return find_duplicates([original, copy], threshold=0.01)["similarity"].iloc[1]


def test_hashes_and_embeddings_together_find_what_each_misses(tmp_path, toon_images):
    paths, embedder = union_set(tmp_path, toon_images)
    hashed = find_duplicates(paths)
    embedded = find_duplicates(paths, embedder=embedder, hashes=False)
    both = find_duplicates(paths, embedder=embedder)
    assert hashed["index"].tolist() == [1, 7, 4, 8]  # not the shifted copy
    assert embedded["index"].tolist() == [1, 6, 4, 8]  # not the recompressed one
    assert both["index"].tolist() == [1, 6, 7, 4, 8] and both["group"].tolist() == [0] * 3 + [1] * 2
    assert [t.attrs["method"] for t in (hashed, embedded, both)] == ["phash", "embedding",
                                                                      "phash+embedding"]
    assert hash_similarity(paths[1], paths[6]) < DEFAULT_THRESHOLD  # phash really misses it
    # each copy's similarity is the larger of its hash similarity and its cosine
    expected = [1.0, max(hash_similarity(paths[1], paths[6]), 0.97),
                hash_similarity(paths[1], paths[7]), 1.0,
                max(hash_similarity(paths[4], paths[8]), 0.99)]
    assert both["similarity"].tolist() == pytest.approx(expected, abs=1e-5)
    assert both["kind"].tolist() == ["near"] * 5


def test_duplicate_groups_with_hashes_and_embeddings(tmp_path, toon_images):
    paths, embedder = union_set(tmp_path, toon_images)
    groups = duplicate_groups(paths, embedder=embedder)
    assert groups.tolist() == [2, 0, 3, 4, 1, 5, 0, 0, 1]
    assert duplicate_groups(paths, embedder=embedder, hashes=False).tolist() == [
        2, 0, 3, 4, 1, 5, 0, 6, 1]  # the recompressed copy alone: embeddings miss it


def test_leakage_takes_the_most_similar_training_image_of_either(tmp_path, toon_images):
    train = write_toons(tmp_path / "train", toon_images[:6])
    folder = tmp_path / "test"
    folder.mkdir()
    test = [near_copy(toon_images[1], folder / "jpeg1.jpg", "jpeg"),  # hash: train 1
            near_copy(toon_images[3], folder / "shift3.png", "shifted"),  # embedding only
            near_copy(toon_images[4], folder / "jpeg4.jpg", "jpeg"),  # hash: train 4
            write_image(folder / "new6.png", toon_images[6])]
    vectors = {f"toon{i}": unit(i) for i in range(6)}
    vectors.update(jpeg1=unit(2, 0.999), shift3=unit(3, 0.95), jpeg4=unit(0, 0.935),
                   new6=unit(6))
    leaks = leakage(train, test, embedder=ByName(vectors)).sort_values("test_index")
    hashed = [hash_similarity(train[1], test[0]), hash_similarity(train[4], test[2])]
    assert hashed[1] > 0.935
    assert leaks["test_index"].tolist() == [0, 1, 2]
    # jpeg1: its embedding (0.999, train 2) beats its hash (train 1); jpeg4 the reverse
    assert leaks["train_index"].tolist() == [2, 3, 4]
    assert leaks["similarity"].tolist() == pytest.approx([0.999, 0.95, hashed[1]], abs=1e-5)
    assert leaks.attrs["method"] == "phash+embedding"
    alone = leakage(train, test, embedder=ByName(vectors), hashes=False)
    assert sorted(alone["test_index"]) == [0, 1, 2]  # jpeg4 at 0.935 >= 0.93
    assert alone.attrs["method"] == "embedding"
    assert leakage(train, test)["test_index"].tolist() == [2, 0]  # hashes miss the shift


def test_exact_copies_alone_without_hashes_or_embedder(tmp_path, toon_images):
    paths = write_toons(tmp_path, toon_images[:4])
    paths += [str(shutil.copyfile(paths[2], tmp_path / "copy.png")),
              *(near_copy(toon_images[1], tmp_path / name, how)
                for name, how in [("1.jpg", "jpeg"), ("1big.png", "resized"),
                                  ("1light.png", "brighter")])]
    table = find_duplicates(paths, hashes=False)
    assert table[["group", "index", "kind", "similarity"]].values.tolist() == [
        [0, 2, "exact", 1.0], [0, 4, "exact", 1.0]]
    assert table.attrs["method"] == "exact"
    assert duplicate_groups(paths, hashes=False).tolist() == [1, 2, 0, 3, 0, 4, 5, 6]
    leaks = leakage(paths[:4], paths[4:], hashes=False)
    assert leaks[["test_index", "train_index", "kind"]].values.tolist() == [[0, 2, "exact"]]
    assert leaks.attrs["method"] == "exact"
    arrays = find_duplicates(np.concatenate([toon_images, toon_images[5:6]]), hashes=False)
    assert arrays["index"].tolist() == [5, 8]


@pytest.mark.parametrize("hashes", ["yes", 1, None])
def test_hashes_other_than_a_bool_is_refused(toon_images, hashes):
    message = f"hashes must be True or False; received hashes={hashes!r}"
    for function in (find_duplicates, duplicate_groups):
        with pytest.raises(InvalidParameterError, match=message):
            function(toon_images, hashes=hashes)
    with pytest.raises(InvalidParameterError, match=message):
        leakage(toon_images, toon_images, hashes=hashes)


def test_embedder_without_transform_is_refused(toon_images):
    with pytest.raises(TypeError, match="embedder must be None.*received 'phash'"):
        find_duplicates(toon_images, embedder="phash")


def test_embedder_giving_no_matrix_is_refused(toon_images):
    with pytest.raises(ValueError, match=r"shape \(8,\) for 8 images.*\(n_samples, n_feat"):
        find_duplicates(indexed(8), embedder=Vectors(np.zeros(8)), hashes=False)
    with pytest.raises(ValueError, match="NaN or infinite"):
        find_duplicates(indexed(2), embedder=Vectors([[np.nan], [1.0]]), hashes=False)


def test_an_embedder_failing_halfway_leaves_it_as_it_was(tmp_path, toon_images):
    paths = write_toons(tmp_path, toon_images[:3])
    embedder = tiny_embedder()
    with pytest.raises(ValueError, match="received images of different shapes|fitted on"):
        leakage(toon_images[:, :16, :16], toon_images[:2, :, :, :1], embedder=embedder)
    assert not hasattr(embedder, "model_")
    assert len(find_duplicates(paths, embedder=embedder, threshold=0.9999)) == 0  # usable


@pytest.mark.parametrize("threshold", [0, -0.5, 1.01, float("nan"), "0.9", True, None])
def test_threshold_outside_0_1_is_refused(toon_images, threshold):
    for function in (find_duplicates, duplicate_groups):
        with pytest.raises(InvalidParameterError, match=r"threshold must be a number in "
                                                        r"\(0, 1\]; received threshold="):
            function(toon_images, threshold=threshold)
    with pytest.raises(InvalidParameterError, match="threshold"):
        leakage(toon_images, toon_images, threshold=threshold)


def test_on_error_other_than_raise_or_skip_is_refused(toon_images):
    with pytest.raises(InvalidParameterError, match="on_error must be 'raise' or 'skip'"):
        find_duplicates(toon_images, on_error="ignore")


def test_inputs_are_left_unchanged(tmp_path, toon_images):
    paths = write_toons(tmp_path, toon_images[:3])
    listed = list(paths)
    X = np.concatenate([toon_images, toon_images[:2]])
    X.flags.writeable = False
    find_duplicates(X)
    duplicate_groups(X)
    leakage(paths, X)
    assert paths == listed
    assert np.array_equal(X[8:], toon_images[:2])


# --- duplicate_groups ---------------------------------------------------------------------


def test_groups_keep_copies_on_one_side_of_every_split(toon_images):
    X = np.concatenate([toon_images, toon_images[:3], toon_images[:1]])  # 0, 8, 11; 1, 9; 2, 10
    y = np.array(list("ababababab" "ab"))
    groups = duplicate_groups(X)
    assert groups.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 0]
    assert groups.dtype.kind == "i"
    for splitter in (GroupKFold(n_splits=3), StratifiedGroupKFold(n_splits=2)):
        for train, test in splitter.split(X, y, groups=groups):
            assert set(groups[train]).isdisjoint(groups[test])


def test_group_numbers_match_find_duplicates(tmp_path, toon_images):
    paths = write_toons(tmp_path, toon_images)
    paths += [shutil.copyfile(paths[4], tmp_path / "four.png"),
              near_copy(toon_images[1], tmp_path / "one.jpg", "jpeg")]
    table = find_duplicates([str(p) for p in paths])
    groups = duplicate_groups([str(p) for p in paths])
    for group, index in zip(table["group"], table["index"], strict=True):
        assert groups[index] == group
    assert sorted(groups.tolist()) == sorted([*range(8), 0, 1])


# --- leakage --------------------------------------------------------------------------------


def test_leakage_finds_exact_and_near_copies_across_splits(tmp_path, toon_images):
    train = write_toons(tmp_path / "train", toon_images[:5])
    (tmp_path / "test").mkdir()
    test = [write_image(tmp_path / "test" / "new.png", toon_images[6]),
            str(shutil.copyfile(train[3], tmp_path / "test" / "three.png")),
            near_copy(toon_images[1], tmp_path / "test" / "one.jpg", "jpeg")]
    leaks = leakage(train, test)
    assert list(leaks.columns) == LEAK_COLUMNS
    assert leaks["test_index"].tolist() == [1, 2]  # the exact copy, then the near one
    assert leaks["train_index"].tolist() == [3, 1]
    assert leaks["kind"].tolist() == ["exact", "near"]
    assert leaks["test_path"].tolist() == test[1:]
    assert leaks["train_path"].tolist() == [train[3], train[1]]
    assert leaks["similarity"].iloc[0] == 1.0 > leaks["similarity"].iloc[1] >= DEFAULT_THRESHOLD
    assert leaks.attrs["n_train"] == 5 and leaks.attrs["n_test"] == 3


def test_leakage_between_files_and_arrays_compares_pixels(tmp_path, toon_images):
    train = write_toons(tmp_path, toon_images[:4])
    leaks = leakage(train, toon_images[[5, 2]])
    assert leaks[["test_index", "train_index", "kind"]].values.tolist() == [[1, 2, "exact"]]
    assert leaks["test_path"].tolist() == [None] and leaks["train_path"].tolist() == [train[2]]
    back = leakage(toon_images[[5, 2]], train)
    assert back[["test_index", "train_index", "kind"]].values.tolist() == [[2, 1, "exact"]]


def test_leakage_reports_the_most_similar_training_image(toon_images):
    angle = np.arccos(0.97)
    vectors = [[1, 0], [np.cos(angle), np.sin(angle)], [0, 1], [np.cos(angle / 3),
                                                                 np.sin(angle / 3)]]
    images = indexed(4)
    leaks = leakage(images[:3], images[3:], embedder=Vectors(vectors), threshold=0.95,
                    hashes=False)
    assert leaks["train_index"].tolist() == [0]  # 0.9967 to 0, 0.9934 to 1
    assert leaks["similarity"].iloc[0] == pytest.approx(np.cos(angle / 3), abs=1e-5)


def test_no_leak_is_an_empty_table(toon_images):
    leaks = leakage(toon_images[:4], toon_images[4:])
    assert len(leaks) == 0 and list(leaks.columns) == LEAK_COLUMNS
    assert [str(t) for t in leaks.dtypes] == ["int64", "object", "int64", "object", "object",
                                              "float64"]


def test_leakage_sorts_by_similarity_then_test_index(toon_images):
    test = np.concatenate([toon_images[6:], toon_images[[3, 1]]])
    leaks = leakage(toon_images[:5], test)
    assert leaks["test_index"].tolist() == [2, 3]
    assert isinstance(leaks, pd.DataFrame)
