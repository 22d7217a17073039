import os

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from toonsklearn.video import read_frames, write_video


@pytest.mark.parametrize("name", ["a.mp4", "a.m4v", "a.mov", "a.mkv", "a.avi", "a.webm"])
def test_each_container_reads_back_its_frames(tmp_path, toons32, name):
    path = tmp_path / name
    write_video(path, toons32[:2].repeat(4, axis=0), fps=4)
    frames = list(read_frames(path, every=1.0))
    assert [t for t, _ in frames] == pytest.approx([0.0, 1.0])
    for (_, image), toon in zip(frames, toons32[:2], strict=True):
        assert np.abs(image.astype(int) - toon).mean() < 15


def test_a_generator_of_frames_odd_sides_and_grey_frames(tmp_path):
    grey = (np.full((9, 13, 1), 60 * i, dtype=np.uint8) for i in range(4))
    path = tmp_path / "odd.mp4"
    write_video(path, grey, fps=2)
    frames = list(read_frames(path, every=None))
    assert len(frames) == 4 and frames[0].image.shape == (9, 13, 3)
    assert [int(image.mean()) for _, image in frames] == pytest.approx([0, 60, 120, 180], abs=3)


def test_another_codec_by_name(tmp_path, toons32):
    path = tmp_path / "frames.avi"
    write_video(path, toons32[:3], fps=1, codec="mjpeg")
    assert len(list(read_frames(path, every=None))) == 3


@pytest.mark.parametrize("images, kwargs, error, match", [
    ([], {}, ValueError, "needs at least one frame"),
    (np.zeros((2, 8, 8, 3), np.float32), {}, ValueError, "Frame 0 is float32; pass uint8"),
    ([np.zeros((8, 8, 3), np.uint8), np.zeros((8, 6, 3), np.uint8)], {}, ValueError,
     r"Frame 1 has shape \(8, 6, 3\), unlike the first"),
    (np.zeros((2, 8, 8), np.uint8), {}, ValueError, r"shape \(height, width, 3\)"),
    (np.zeros((2, 8, 8, 3), np.uint8), {"fps": 0}, InvalidParameterError, "fps must be"),
    (np.zeros((2, 8, 8, 3), np.uint8), {"codec": "no-such-codec"}, ValueError,
     "no 'no-such-codec' video encoder"),
    (np.zeros((2, 8, 8, 3), np.uint8), {"codec": "aac"}, ValueError,
     "no 'aac' video encoder"),
    (np.zeros((2, 8, 8, 3), np.uint8), {"fps": 1e-9}, InvalidParameterError,
     "fps must be a number of frames a second from 0.001 to 1000"),
    (np.zeros((2, 8, 8, 3), np.uint8), {"fps": 2000}, InvalidParameterError, "fps must be"),
])
def test_bad_frames_are_named_and_no_file_is_left(tmp_path, images, kwargs, error, match):
    path = tmp_path / "bad.mp4"
    with pytest.raises(error, match=match):
        write_video(path, images, **kwargs)
    assert os.listdir(tmp_path) == []


def test_odd_sides_in_an_avi_are_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match=r"even height and width; the frames are 7x9"):
        write_video(tmp_path / "odd.avi", np.zeros((3, 7, 9, 3), np.uint8))
    assert os.listdir(tmp_path) == []


def test_a_folder_or_a_missing_folder_is_named_before_encoding(tmp_path):
    (tmp_path / "taken.mp4").mkdir()
    with pytest.raises(IsADirectoryError, match="taken.mp4' is a folder"):
        write_video(tmp_path / "taken.mp4", np.zeros((2, 8, 8, 3), np.uint8))
    with pytest.raises(FileNotFoundError, match="the folder .*nope' does not exist"):
        write_video(tmp_path / "nope" / "a.mp4", np.zeros((2, 8, 8, 3), np.uint8))


def test_an_unknown_extension_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"extension of .*clip.xyz.*\.mkv"):
        write_video(tmp_path / "clip.xyz", np.zeros((1, 8, 8, 3), np.uint8))


def test_a_failure_halfway_keeps_the_old_file(tmp_path, toons32):
    path = tmp_path / "keep.mp4"
    write_video(path, toons32[:2], fps=1)
    before = path.read_bytes()

    def frames():
        yield toons32[0]
        raise RuntimeError("the camera went away")

    with pytest.raises(RuntimeError, match="went away"):
        write_video(path, frames(), fps=1)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.mp4"]
