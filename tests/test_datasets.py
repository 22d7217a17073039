import hashlib

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from toonsklearn import load_image_folder
from toonsklearn.datasets import CHARACTERS, make_toons


def test_binary_toons_are_balanced_uint8_images():
    X, y = make_toons(40, image_size=24, random_state=0)
    assert X.shape == (40, 24, 24, 3) and X.dtype == np.uint8
    assert sorted(set(y)) == ["jerry", "tom"]
    assert (y == "tom").sum() == 20
    assert X.std() > 20  # not blank


def test_same_seed_gives_identical_bytes_and_another_seed_does_not():
    a = make_toons(8, image_size=16, random_state=3)
    b = make_toons(8, image_size=16, random_state=3)
    c = make_toons(8, image_size=16, random_state=4)
    assert a[0].tobytes() == b[0].tobytes() and list(a[1]) == list(b[1])
    assert a[0].tobytes() != c[0].tobytes()


def test_multiclass_has_at_least_six_characters():
    X, y = make_toons(70, task="multiclass", image_size=(16, 20), random_state=0)
    assert X.shape == (70, 16, 20, 3)
    assert sorted(set(y)) == sorted(CHARACTERS) and len(CHARACTERS) >= 6
    _, y6 = make_toons(12, task="multiclass", n_classes=6, image_size=8, random_state=0)
    assert len(set(y6)) == 6
    with pytest.raises(ValueError, match="from 2 to 7"):
        make_toons(10, task="multiclass", n_classes=9)


def test_multilabel_draws_neither_one_or_both():
    X, y = make_toons(40, task="multilabel", image_size=16, random_state=0)
    assert y.shape == (40, 2)
    assert {tuple(row) for row in y} == {(0, 0), (1, 0), (0, 1), (1, 1)}


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="task='tiny'"):
        make_toons(5, task="tiny")
    with pytest.raises(ValueError, match="n_samples=0"):
        make_toons(0)
    with pytest.raises(ValueError, match="image_size=-4"):
        make_toons(4, image_size=-4)


def digest(root):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_directory_tree_is_written_reproducibly(tmp_path):
    first = make_toons(40, image_size=16, random_state=0, directory=tmp_path / "a")
    second = make_toons(40, image_size=16, random_state=0, directory=tmp_path / "b")
    assert digest(first) == digest(second)
    counts = {
        s: len(load_image_folder(first, subset=s).paths) for s in ("train", "validation", "test")
    }
    assert counts == {"train": 28, "validation": 6, "test": 6}


def test_multilabel_tree_has_a_ground_truth_csv(multilabel_tree):
    frame = pd.read_csv(multilabel_tree / "validation" / "ground_truth.csv")
    assert list(frame.columns) == ["filename", "tom", "jerry"]
    assert all((multilabel_tree / "validation" / name).is_file() for name in frame["filename"])


@pytest.mark.slow
def test_a_pixel_level_linear_model_cannot_solve_the_toons():
    X, y = make_toons(800, image_size=24, random_state=0)
    flat = X.reshape(len(X), -1) / 255.0
    model = LogisticRegression(C=0.01, max_iter=500).fit(flat[:600], y[:600])
    assert model.score(flat[600:], y[600:]) < 0.7
