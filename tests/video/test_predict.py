import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from toonsklearn import (
    CNNClassifier,
    ImageFolderLoader,
    ImageTransformer,
    MultiLabelCNN,
    load_image_folder,
)
from toonsklearn.datasets import MULTILABEL_NAMES, make_toons
from toonsklearn.exceptions import VideoDecodeError
from toonsklearn.video import predict_video, read_frames, write_video

TINY = {"filters": (4,), "epochs": 1, "random_state": 0}
# The episode: who is on screen, for how many seconds.
SCRIPT = [({"tom"}, 3), ({"jerry"}, 2), ({"tom", "jerry"}, 2), (set(), 1)]


@pytest.fixture(scope="module")
def toon_watcher():
    """A multi-label model of who is on screen (tom, jerry, both, neither), on the
    offline EfficientNet-Lite0 backbone's features: about 94 % of the time points of
    episodes of held-out toons exactly right."""
    X, Y = make_toons(1200, task="multilabel", image_size=64, random_state=0)
    Y = pd.DataFrame(Y, columns=list(MULTILABEL_NAMES))
    return MultiLabelCNN(backbone="efficientnet_lite0", epochs=40, random_state=0).fit(X, Y)


def write_episode(path, script, *, seed=1, fps=4, shots_per_second=2, rounds=3):
    """An episode played from ``script`` ``rounds`` times, a new held-out toon every half
    second; returns the label set on screen at each half second."""
    X, Y = make_toons(600, task="multilabel", image_size=64, random_state=seed)
    names = list(MULTILABEL_NAMES)
    pools = {}
    frames, truth = [], []
    per_shot = fps // shots_per_second
    for _ in range(rounds):
        for labels, seconds in script:
            key = tuple(int(name in labels) for name in names)
            pool = pools.setdefault(key, iter(np.flatnonzero((Y == key).all(axis=1))))
            for _ in range(seconds * shots_per_second):
                frames.append(np.repeat(X[next(pool)][None], per_shot, axis=0))
                truth.append(frozenset(labels))
    write_video(path, np.concatenate(frames), fps=fps)
    return truth


@pytest.mark.slow  # the model reads 1,200 toons at 224x224 with a real backbone
def test_the_timeline_recovers_who_is_on_screen(toon_watcher, tmp_path):
    path = str(tmp_path / "episode.mp4")
    truth = write_episode(path, SCRIPT)
    timeline = predict_video(toon_watcher, path, every=0.5)
    assert list(timeline.columns) == ["time", "labels", "proba_tom", "proba_jerry"]
    assert timeline["time"].to_numpy() == pytest.approx(np.arange(len(truth)) / 2)
    recovered = np.mean([set(labels) == want
                         for labels, want in zip(timeline["labels"], truth, strict=True)])
    assert recovered >= 0.9, f"{recovered:.0%} of {len(truth)} time points"
    assert timeline.attrs == {"classes": ["tom", "jerry"], "multilabel": True, "every": 0.5,
                              "path": path}


@pytest.mark.slow
def test_the_timeline_is_the_model_on_the_frames_read(toon_watcher, tmp_path):
    """predict_video gives what predict and predict_proba give on read_frames' frames
    (at the model's input size), in batches of any size."""
    path = str(tmp_path / "episode.mp4")
    write_episode(path, SCRIPT, rounds=1)
    frames = np.stack([image for _, image in read_frames(path, every=1.0, size=(224, 224))])
    timeline = predict_video(toon_watcher, path, every=1.0, batch_size=3)
    proba = toon_watcher.predict_proba(frames)
    np.testing.assert_allclose(timeline[["proba_tom", "proba_jerry"]], proba, atol=1e-5)
    indicator = toon_watcher.predict(frames).astype(bool)
    assert [set(labels) for labels in timeline["labels"]] == [
        {name for name, on in zip(MULTILABEL_NAMES, row, strict=True) if on}
        for row in indicator]


@pytest.mark.slow
def test_smoothing_removes_a_one_frame_flicker(toon_watcher, tmp_path):
    """Tom for three seconds with one frame of jerry in the middle: a median over three
    frames keeps tom on screen throughout."""
    X, Y = make_toons(200, task="multilabel", image_size=64, random_state=2)
    toms = X[(Y == (1, 0)).all(axis=1)]
    jerry = X[(Y == (0, 1)).all(axis=1)]
    toms = toms[(toon_watcher.predict(toms) == (1, 0)).all(axis=1)][:6]  # seen right
    jerry = jerry[(toon_watcher.predict(jerry) == (0, 1)).all(axis=1)][:1]
    shots = [toms[0], toms[1], toms[2], jerry[0], toms[3], toms[4], toms[5]]
    path = str(tmp_path / "flicker.mp4")
    write_video(path, np.repeat(np.stack(shots), 2, axis=0), fps=2)
    plain = predict_video(toon_watcher, path, every=1.0)
    smooth = predict_video(toon_watcher, path, every=1.0, smooth=3)
    assert [set(labels) for labels in plain["labels"]][3] == {"jerry"}
    assert all(set(labels) == {"tom"} for labels in smooth["labels"])
    assert smooth["proba_jerry"].max() < 0.5 <= plain["proba_jerry"].max()


def test_a_pipeline_with_a_loader_prepares_frames_as_the_loader(tmp_path, toons32):
    """Its ImageFolderLoader's size and colour mode are applied to the frames, and the
    rest of the Pipeline predicts them."""
    folder = make_toons(30, image_size=16, random_state=0, directory=tmp_path / "toons")
    train = load_image_folder(folder / "train")
    paths, y = train.paths, np.asarray(train.target_names)[train.target]
    pipe = make_pipeline(ImageFolderLoader(size=(12, 12), color_mode="grayscale"),
                         CNNClassifier(**TINY)).fit(paths, y)
    path = str(tmp_path / "clip.mkv")
    write_video(path, toons32[:3].repeat(4, axis=0), fps=4)
    timeline = predict_video(pipe, path)
    frames = np.stack([image for _, image in read_frames(path, size=(12, 12),
                                                         color_mode="grayscale")])
    np.testing.assert_allclose(timeline[[f"proba_{c}" for c in pipe.classes_]],
                               pipe[-1].predict_proba(frames), atol=1e-6)
    assert list(timeline["label"]) == list(pipe[-1].predict(frames))


def test_any_classifier_pipeline_gets_frames_at_their_own_size(tmp_path, toons32):
    X, y = make_toons(40, image_size=32, random_state=0)
    pipe = make_pipeline(ImageTransformer(size=(8, 8), flatten=True),
                         LogisticRegression(max_iter=500)).fit(X, y)
    path = str(tmp_path / "clip.mp4")
    write_video(path, toons32[:3].repeat(2, axis=0), fps=2)
    timeline = predict_video(pipe, path)
    frames = np.stack([image for _, image in read_frames(path)])
    assert list(timeline["label"]) == list(pipe.predict(frames))
    assert timeline.attrs["multilabel"] is False


def test_a_window_with_no_frames_gives_an_empty_table(tmp_path, toons32):
    X, y = make_toons(20, image_size=16, random_state=0)
    clf = CNNClassifier(**TINY).fit(X, y)
    path = str(tmp_path / "clip.mp4")
    write_video(path, toons32[:2].repeat(2, axis=0), fps=2)
    timeline = predict_video(clf, path, end=0.2)  # before the second frame: one row
    assert len(timeline) == 1
    timeline = predict_video(clf, path, start=0.1, end=0.2)
    assert len(timeline) == 0
    assert list(timeline.columns) == ["time", "label", "proba_jerry", "proba_tom"]


def test_verbose_reports_the_seconds_done_on_standard_error(tmp_path, toons32, capsys):
    X, y = make_toons(20, image_size=16, random_state=0)
    clf = CNNClassifier(**TINY).fit(X, y)
    path = str(tmp_path / "clip.mp4")
    write_video(path, toons32[:4].repeat(2, axis=0), fps=2)  # 4 seconds
    quiet = predict_video(clf, path, every=0.5, batch_size=3)
    assert capsys.readouterr().err == ""
    loud = predict_video(clf, path, every=0.5, batch_size=3, verbose=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert lines[0].startswith("Predicting clip.mp4 (seconds): ")
    assert lines[-1].startswith("Predicting clip.mp4 (seconds): 4/4 done in ")
    pd.testing.assert_frame_equal(loud, quiet)


def test_multilabel_names_read_back_from_a_csv_file(tmp_path, toons32):
    """Label sets of ints, and names with spaces: plain Python values in the table, so
    its CSV file reads back to the same label sets."""
    import ast

    X, Y = make_toons(40, task="multilabel", image_size=16, random_state=0)
    for names in ([1, 22], ["tom cat", "jerry mouse"]):
        sets = [tuple(name for name, on in zip(names, row, strict=True) if on) for row in Y]
        clf = MultiLabelCNN(filters=(4,), epochs=1, threshold=0.3, random_state=0).fit(X, sets)
        path = str(tmp_path / "clip.mkv")
        write_video(path, toons32[:4].repeat(2, axis=0), fps=2)
        timeline = predict_video(clf, path)
        assert sorted(timeline.attrs["classes"]) == sorted(names)
        assert all(type(name) is type(names[0]) for row in timeline["labels"] for name in row)
        timeline.to_csv(tmp_path / "timeline.csv", index=False)
        again = pd.read_csv(tmp_path / "timeline.csv", keep_default_na=False)
        assert [ast.literal_eval(cell) for cell in again["labels"]] == list(timeline["labels"])


@pytest.mark.parametrize("kwargs, match", [
    ({"smooth": 2}, "smooth must be an odd number"),
    ({"smooth": 0}, "smooth must be an odd number"),
    ({"smooth": True}, "smooth must be an odd number"),
    ({"batch_size": 0}, "batch_size must be a positive int"),
    ({"every": 0}, "every must be"),
])
def test_bad_parameters_are_named(tmp_path, kwargs, match):
    X, y = make_toons(20, image_size=16, random_state=0)
    clf = CNNClassifier(**TINY).fit(X, y)
    with pytest.raises(InvalidParameterError, match=match):
        predict_video(clf, tmp_path / "clip.mp4", **kwargs)


def test_an_unfitted_model_or_a_non_classifier_is_refused(tmp_path, clip):
    with pytest.raises(NotFittedError):
        predict_video(CNNClassifier(**TINY), clip)
    X, y = make_toons(20, image_size=16, random_state=0)
    transformer = ImageTransformer(size=(8, 8)).fit(X)
    with pytest.raises(TypeError, match="needs a fitted classifier"):
        predict_video(transformer, clip)


def test_a_bad_video_is_named_and_the_model_is_untouched(tmp_path):
    X, y = make_toons(20, image_size=16, random_state=0)
    clf = CNNClassifier(**TINY).fit(X, y)
    before = clf.predict_proba(X[:4])
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video" * 100)
    with pytest.raises(VideoDecodeError, match="bad.mp4"):
        predict_video(clf, bad)
    np.testing.assert_array_equal(clf.predict_proba(X[:4]), before)
