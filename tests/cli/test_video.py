import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.cli.conftest import error_line, needs_safe_keras
from toonsklearn import io
from toonsklearn.cli import main
from toonsklearn.datasets import make_toons
from toonsklearn.plotting import TimelineDisplay
from toonsklearn.video import predict_video, read_frames, write_video


@pytest.fixture(scope="module")
def episode(tmp_path_factory):
    """Four seconds, a toon a second, 48x64 frames at 4 fps."""
    images = make_toons(4, image_size=(48, 64), random_state=3)[0]
    path = tmp_path_factory.mktemp("video") / "episode 1.mp4"
    write_video(path, images.repeat(4, axis=0), fps=4)
    return path


def test_frames_writes_pngs_that_sort_by_time(episode, tmp_path, capsys):
    out = tmp_path / "frames"
    assert main(["frames", str(episode), str(out), "--every", "0.5"]) == 0
    names = sorted(os.listdir(out))
    assert names == [f"episode 1_{t:011.3f}s.png" for t in np.arange(8) / 2]
    expected = [image for _, image in read_frames(episode, every=0.5)]
    for name, image in zip(names, expected, strict=True):
        np.testing.assert_array_equal(np.asarray(Image.open(out / name)), image)
    assert "Wrote 8 frames of" in capsys.readouterr().out


def test_frames_resizes_and_windows(episode, tmp_path):
    out = tmp_path / "frames"
    assert main(["frames", str(episode), str(out), "--size", "16", "24", "--start", "1",
                 "--end", "3"]) == 0
    names = sorted(os.listdir(out))
    assert names == ["episode 1_0000001.000s.png", "episode 1_0000002.000s.png"]
    assert Image.open(out / names[0]).size == (24, 16)


@pytest.mark.parametrize("make, args, match", [
    (lambda d: (d / "taken").write_text("x"), ["{d}/taken"], "exists and is not a folder"),
    (lambda d: None, ["{d}/no/such/dir"], "does not exist. Create it first"),
    (lambda d: None, ["{d}/out", "--every", "0"], "--every must be a finite number"),
    (lambda d: None, ["{d}/out", "--every", "nan"], "--every must be a finite number"),
    (lambda d: None, ["{d}/out", "--start", "3", "--end", "1"], "--end must come after"),
    (lambda d: None, [""], "OUT_DIR is empty"),
])
def test_frames_refuses_a_bad_folder_or_window_before_reading(episode, tmp_path, capsys,
                                                              make, args, match):
    make(tmp_path)
    assert main(["frames", str(episode), *[a.format(d=tmp_path) for a in args]]) == 1
    assert match in error_line(capsys)


def test_frames_names_a_file_that_is_not_a_video(tmp_path, capsys):
    fake = tmp_path / "notes.mp4"
    fake.write_text("not a video at all " * 20)
    assert main(["frames", str(fake), str(tmp_path / "out")]) == 1
    assert "notes.mp4' as a video" in error_line(capsys)
    os.mkfifo(tmp_path / "pipe.mp4")
    assert main(["frames", str(tmp_path / "pipe.mp4"), str(tmp_path / "out")]) == 1
    assert "FIFO" in error_line(capsys)
    assert not (tmp_path / "out").exists() or os.listdir(tmp_path / "out") == []


@needs_safe_keras
def test_predict_a_video_prints_a_timeline(trained, episode, capsys):
    model, _ = trained
    assert main(["predict", str(model), str(episode), "--every", "0.5"]) == 0
    captured = capsys.readouterr()
    assert "Predicting episode 1.mp4 (seconds): 4/4 done" in captured.err
    lines = [line.split("\t") for line in captured.out.strip().splitlines()]
    assert lines[0] == ["time", "label", "probability"]
    assert [float(line[0]) for line in lines[1:]] == pytest.approx(np.arange(8) / 2)
    expected = predict_video(io.load(model), episode, every=0.5)
    assert [line[1] for line in lines[1:]] == list(expected["label"])


@needs_safe_keras
def test_predict_a_video_into_a_csv_and_a_timeline_png(trained, episode, tmp_path, capsys):
    model, _ = trained
    csv, png = tmp_path / "timeline.csv", tmp_path / "timeline.png"
    assert main(["predict", str(model), str(episode), "--proba", "--csv", str(csv),
                 "--timeline", str(png), "--smooth", "3"]) == 0
    table = pd.read_csv(csv)
    assert list(table.columns) == ["time", "label", "proba_jerry", "proba_tom"]
    assert table["time"].tolist() == pytest.approx([0, 1, 2, 3])
    expected = predict_video(io.load(model), episode, smooth=3)
    np.testing.assert_allclose(table.iloc[:, 2:], expected.iloc[:, 2:], atol=1e-5)
    assert table["label"].tolist() == expected["label"].tolist()
    drawn_again = TimelineDisplay.from_predictions(table)  # the CSV is the display's table
    assert drawn_again.screen_time_ == TimelineDisplay.from_predictions(expected).screen_time_
    with Image.open(png) as drawn:
        assert drawn.format == "PNG" and drawn.size[0] > 200
    out = capsys.readouterr().out
    assert "Wrote 4 predictions of" in out and "Saved the timeline" in out
    assert sorted(os.listdir(tmp_path)) == ["timeline.csv", "timeline.png"]


@needs_safe_keras
def test_predict_a_video_with_a_multilabel_model_joins_the_labels(multilabel_model, episode,
                                                                   capsys):
    model, _ = multilabel_model
    assert main(["predict", str(model), str(episode), "--every", "2"]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()]
    assert lines[0] == ["time", "labels", "probability"]
    expected = predict_video(io.load(model), episode, every=2)
    assert [line[1] for line in lines[1:]] == [";".join(labels)
                                               for labels in expected["labels"]]


def test_predict_refuses_a_video_among_other_paths(trained, episode, toon_tree, capsys):
    model, _ = trained
    image = next((Path(toon_tree) / "test" / "tom").glob("*.png"))
    assert main(["predict", str(model), str(image), str(episode)]) == 1
    line = error_line(capsys)
    assert "one video at a time, alone" in line and "episode 1.mp4" in line
    assert main(["predict", str(model), str(episode), str(episode)]) == 1
    assert "Run predict once per video" in error_line(capsys)


def test_predict_refuses_video_options_for_images(trained, toon_tree, capsys):
    model, _ = trained
    image = next((Path(toon_tree) / "test" / "tom").glob("*.png"))
    assert main(["predict", str(model), str(image), "--timeline", "t.png"]) == 1
    assert "--timeline applies to a video" in error_line(capsys)


def test_predict_refuses_an_even_smoothing_window(trained, episode, capsys):
    model, _ = trained
    with pytest.raises(SystemExit) as exit_:
        main(["predict", str(model), str(episode), "--smooth", "4"])
    assert exit_.value.code == 2
    assert "must be an odd number of frames" in capsys.readouterr().err


def test_predict_refuses_the_video_as_its_own_csv(trained, episode, capsys):
    model, _ = trained
    before = episode.read_bytes()
    assert main(["predict", str(model), str(episode), "--csv", str(episode)]) == 1
    assert "is the video itself" in error_line(capsys)
    assert episode.read_bytes() == before
