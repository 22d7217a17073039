"""``make_toons`` (toonsklearn/datasets/): toons drawn from a seed, as arrays or a folder
tree, for every task."""

import hashlib

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from toonsklearn import load_image_folder
from toonsklearn.datasets import CAST, CHARACTERS, VEHICLES, make_toons
from toonsklearn.datasets._toons import _draw


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


def test_vehicles_against_animals_are_balanced_and_reproducible():
    X, y = make_toons(40, task="vehicles", image_size=16, random_state=0)
    assert X.shape == (40, 16, 16, 3) and sorted(set(y)) == ["animal", "vehicle"]
    assert (y == "vehicle").sum() == 20 and len(VEHICLES) == 4
    again, _ = make_toons(40, task="vehicles", image_size=16, random_state=0)
    assert X.tobytes() == again.tobytes()


def test_the_cast_is_many_distinct_characters_taken_in_order():
    assert len(CAST) == len(set(CAST)) == 210
    colour, species, accessory = CAST[0].split("_")
    assert species in CHARACTERS and [name.split("_")[1] for name in CAST[:7]] == list(
        CHARACTERS
    )
    X, y = make_toons(60, task="characters", n_classes=30, image_size=16, random_state=0)
    assert sorted(set(y)) == sorted(CAST[:30]) and (y == CAST[0]).sum() == 2
    again = make_toons(60, task="characters", n_classes=30, image_size=16, random_state=0)
    assert X.tobytes() == again[0].tobytes() and list(y) == list(again[1])
    _, every = make_toons(210, task="characters", image_size=8, random_state=0)
    assert sorted(set(every)) == sorted(CAST)
    for bad in (1, 211, 2.5):
        with pytest.raises(ValueError, match=rf"from 2 to 210 for task='characters'.*{bad}"):
            make_toons(10, task="characters", n_classes=bad)


def test_a_cast_member_keeps_its_colour_where_the_toons_do_not():
    """Colour alone tells a red tom from a blue tom, and never tom from jerry."""
    def colour_score(X, y):
        hist = np.stack([np.histogramdd(x.reshape(-1, 3), bins=4, range=[(0, 256)] * 3)[0]
                         .ravel() for x in X])
        return LogisticRegression(max_iter=2000).fit(hist[:60], y[:60]).score(hist[60:], y[60:])

    # _draw is the one drawing function every task uses: one image from a seed and a name.
    names = np.array(["red_tom_plain", "blue_tom_plain"] * 50)
    X = np.stack([_draw(seed, [name], 96, (24, 24)) for seed, name in enumerate(names)])
    assert colour_score(X, names) > 0.8
    Xt, yt = make_toons(100, image_size=24, random_state=0)
    assert colour_score(Xt, yt) < 0.75


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="'vehicles', 'characters'; received task='tiny'"):
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
