import os
import subprocess
import sys
import warnings

import av
import numpy as np
import pytest
from PIL import Image
from sklearn.utils._param_validation import InvalidParameterError

from tests.conftest import REPO_ROOT
from tests.video.conftest import write_audio, write_timed
from toonsklearn._utils.imaging import read_image
from toonsklearn.exceptions import (
    DamagedVideoWarning,
    ImageTooLargeError,
    MissingFileError,
    NotRegularFileError,
    VideoDecodeError,
)
from toonsklearn.video import read_frames, write_video


def first_frame(path, **kwargs):
    with read_frames(path, **kwargs) as frames:
        return next(frames)


def mean_abs(a, b):
    return np.abs(a.astype(int) - b.astype(int)).mean()


def test_a_frame_every_second_shows_what_the_script_put_there(clip, toons32):
    with read_frames(clip, every=1.0) as frames:
        read = list(frames)
    assert [frame.time for frame in read] == pytest.approx([0.0, 1.0, 2.0])
    assert all(frame.image.dtype == np.uint8 and frame == (frame.time, frame.image)
               for frame in read)
    for (_, image), toon in zip(read, toons32[:3], strict=True):
        assert image.shape == (32, 32, 3)
        assert mean_abs(image, toon) < 12  # lossy H.264: close, not equal
        others = [mean_abs(image, other) for other in toons32[3:]]
        assert mean_abs(image, toon) < min(others) / 2


def test_header_facts_and_every_frame(clip):
    frames = read_frames(clip, every=None)
    assert frames.duration == pytest.approx(3.0)
    assert frames.frame_rate == pytest.approx(10.0)
    assert frames.frame_size == (32, 32)
    times = [time for time, _ in frames]
    assert times == pytest.approx(np.arange(30) / 10)
    assert frames.frames_decoded == 30


def test_start_and_end_choose_a_window(clip):
    times = [time for time, _ in read_frames(clip, every=0.5, start=1.0, end=2.5)]
    assert times == pytest.approx([1.0, 1.5, 2.0])


def test_a_frame_is_resized_as_the_image_loader_resizes_a_still(clip, tmp_path):
    """The decoded pixels, saved as a PNG and read by read_image at a size, are the
    pixels read_frames gives at that size."""
    full = first_frame(clip, every=1.0)
    still = tmp_path / "still.png"
    Image.fromarray(full.image).save(still)
    for resize in ("stretch", "pad", "crop"):
        expected = read_image(str(still), (12, 20), resize)
        small = first_frame(clip, every=1.0, size=(12, 20), resize=resize)
        np.testing.assert_array_equal(small.image, expected)
    grey = first_frame(clip, size=(8, 8), color_mode="grayscale")
    np.testing.assert_array_equal(grey.image, read_image(str(still), (8, 8),
                                                         color_mode="grayscale"))


def test_seeking_gives_the_frames_decoding_everything_gives(tmp_path, toons32):
    """A minute at 10 fps with a key frame each second: every 10 s the reader seeks
    (decodes far fewer frames) and returns the same frames as a full decode."""
    path = str(tmp_path / "minute.mkv")
    images = (toons32[(i // 10) % 10] for i in range(600))
    write_video(path, images, fps=10)
    full = {round(t, 3): image for t, image in read_frames(path, every=None)}
    sparse = read_frames(path, every=10.0)
    sampled = list(sparse)
    assert [t for t, _ in sampled] == pytest.approx([0, 10, 20, 30, 40, 50])
    for time, image in sampled:
        np.testing.assert_array_equal(image, full[round(time, 3)])
    assert sparse.frames_decoded < 300


@pytest.mark.parametrize("container", ["mpegts", "matroska"])
def test_seeking_in_any_container_never_gives_a_wrong_frame(tmp_path, toons32, container):
    """MPEG-TS has no index: FFmpeg's seek lands after the time asked for there, so the
    reader decodes straight through; Matroska seeks. Both give the frames a full decode
    picks, at the times it picks them."""
    path = str(tmp_path / f"clip.{'ts' if container == 'mpegts' else 'mkv'}")
    frames = [toons32[i % 10] for i in range(600)]  # 24 s at 25 fps, a new toon a frame
    with av.open(path, "w", format=container) as out:
        stream = out.add_stream("libx264", rate=25)
        stream.height, stream.width, stream.pix_fmt = 32, 32, "yuv420p"
        stream.codec_context.gop_size = 10
        for image in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode())
    everything = list(read_frames(path, every=None))
    for every, start in ((2.0, None), (7.3, None), (1.0, 13.0)):
        sampled = list(read_frames(path, every=every, start=start))
        expected = []
        target = start or 0.0
        for time, image in everything:
            if time >= target - 1e-6:
                expected.append((time, image))
                target = (start or 0.0) + every * (np.floor((time - (start or 0.0) + 1e-6)
                                                            / every) + 1)
        assert [t for t, _ in sampled] == pytest.approx([t for t, _ in expected])
        for (_, got), (_, want) in zip(sampled, expected, strict=True):
            np.testing.assert_array_equal(got, want)


def test_times_follow_the_files_clock_and_a_slow_rate_is_no_truncation(tmp_path, toons32):
    """A video stream that starts 2 s into the file is timed from the file's start; a
    last frame shown for 3 s is no sign of a cut file."""
    late = write_timed(tmp_path / "late.mkv", toons32[:3], [2000, 3000, 4000])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [t for t, _ in read_frames(late, every=None)] == pytest.approx([2, 3, 4])
        slow = tmp_path / "slow.mp4"
        write_video(slow, toons32[:4], fps=1 / 3)
        assert [t for t, _ in read_frames(slow, every=None)] == pytest.approx([0, 3, 6, 9])


def test_a_start_past_the_end_is_refused_by_name(clip):
    with pytest.raises(InvalidParameterError, match=r"start=30 s is past the end of .*3.0 s"):
        read_frames(clip, start=30)


def test_a_variable_frame_rate_keeps_each_frames_own_time(tmp_path, toons32):
    path = write_timed(tmp_path / "vfr.mkv", toons32[:7], [0, 100, 150, 700, 2000, 2100, 3500])
    assert [t for t, _ in read_frames(path, every=None)] == pytest.approx(
        [0, 0.1, 0.15, 0.7, 2.0, 2.1, 3.5])
    # the first frame at or after 0, 0.5, 1.0 (none until 2.0), 2.5 (none until 3.5)
    assert [t for t, _ in read_frames(path, every=0.5)] == pytest.approx([0, 0.7, 2.0, 3.5])


def test_closing_early_reads_no_more_and_warns_of_nothing(clip):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frames = read_frames(clip, every=0.1)
        next(frames)
        frames.close()
        with pytest.raises(StopIteration):
            next(frames)


@pytest.mark.parametrize("name, value, match", [
    ("every", 0, "every must be a finite number of seconds above 0"),
    ("every", -1.0, "every must be"),
    ("every", float("nan"), "every must be"),
    ("every", float("inf"), "every must be"),
    ("every", True, "every must be"),
    ("every", "1", "every must be"),
    ("start", -2, "start must be a finite number of seconds at least 0"),
    ("end", 0, "end must be a finite number of seconds above 0"),
    ("size", (0, 8), "size must be"),
    ("resize", "squash", "resize must be one of"),
    ("color_mode", "cmyk", "color_mode must be one of"),
    ("max_pixels", 0, "max_pixels must be"),
])
def test_bad_parameters_are_named_before_the_file_is_opened(name, value, match):
    with pytest.raises(InvalidParameterError, match=match):
        read_frames("no-such-video.mp4", **{name: value})


def test_end_before_start_is_refused(clip):
    with pytest.raises(InvalidParameterError, match="end must come after start"):
        read_frames(clip, start=2, end=1)


def test_missing_file_broken_link_folder_and_fifo_are_named(tmp_path):
    with pytest.raises(MissingFileError, match="No such file: .*nothing.mp4"):
        read_frames(tmp_path / "nothing.mp4")
    os.symlink(tmp_path / "gone.mp4", tmp_path / "link.mp4")
    with pytest.raises(MissingFileError, match="broken symbolic link"):
        read_frames(tmp_path / "link.mp4")
    with pytest.raises(NotRegularFileError, match="folder"):
        read_frames(tmp_path)
    os.mkfifo(tmp_path / "pipe.mp4")  # refused without a read, so nothing hangs
    with pytest.raises(NotRegularFileError, match="FIFO"):
        read_frames(tmp_path / "pipe.mp4")


@pytest.mark.parametrize("content, match", [
    (b"", "is empty"),
    (b"hello, not a video " * 50, "Could not read .* as a video"),
    (bytes(range(256)) * 40, "Could not read .* as a video"),
])
def test_a_file_that_is_not_a_video_is_named(tmp_path, content, match):
    path = tmp_path / "fake.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoDecodeError, match=match) as caught:
        read_frames(path)
    assert caught.value.path == str(path)
    assert isinstance(caught.value, ValueError)


def test_an_image_named_like_a_video_is_not_a_video(tmp_path, toons32):
    """FFmpeg reads a PNG as a one-frame video: it is read, not refused."""
    path = tmp_path / "still.mp4"
    Image.fromarray(toons32[0]).save(path, format="PNG")
    frames = list(read_frames(path))
    assert len(frames) == 1 and frames[0].image.shape == (32, 32, 3)


def test_no_video_stream_is_named(tmp_path):
    path = write_audio(tmp_path / "sound.mkv")
    with pytest.raises(VideoDecodeError, match="no video stream .*audio"):
        read_frames(path)


def test_an_unknown_codec_is_named(tmp_path, toons32):
    path = tmp_path / "clip.mkv"
    write_video(path, toons32[:2].repeat(5, axis=0), fps=5)
    data = path.read_bytes()
    assert data.count(b"V_MPEG4/ISO/AVC") == 1
    path.write_bytes(data.replace(b"V_MPEG4/ISO/AVC", b"V_ZZZZZ/ZZZ/ZZZ"))
    with pytest.raises(VideoDecodeError, match="cannot decode.*Convert it"):
        read_frames(path)


def test_huge_frames_are_refused_before_decoding(clip, monkeypatch):
    with pytest.raises(ImageTooLargeError, match=r"32x32 = 1,024 pixels, over max_pixels=1,000"):
        read_frames(clip, max_pixels=1000)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)
    with pytest.raises(ImageTooLargeError, match="PIL.Image.MAX_IMAGE_PIXELS"):
        read_frames(clip)


def test_a_truncated_matroska_file_gives_its_frames_and_a_warning(tmp_path, toons32):
    path = tmp_path / "cut.mkv"
    write_video(path, toons32.repeat(10, axis=0), fps=10)  # 10 seconds
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.warns(DamagedVideoWarning, match=r"cut.mkv' ends at .* lasts 10.0 s"):
        times = [t for t, _ in read_frames(path)]
    assert 1 <= len(times) < 10


def test_damaged_frames_are_skipped_counted_and_the_rest_read(tmp_path, toons32):
    """Motion JPEG holds each frame whole, a packet each: the frames overwritten with
    noise are counted and skipped, the others read."""
    path = tmp_path / "damaged.avi"
    write_video(path, toons32.repeat(10, axis=0), fps=10, codec="mjpeg")
    data = bytearray(path.read_bytes())
    noise = np.random.default_rng(0).integers(0, 256, 300, dtype=np.uint8).tobytes()
    for where in (0.3, 0.5, 0.7):
        start = int(len(data) * where)
        data[start:start + 300] = noise
    path.write_bytes(bytes(data))
    with pytest.warns(DamagedVideoWarning, match=r"packets \(compressed frames\) of "
                                                 r".*damaged.avi' could not be decoded") as caught:
        frames = read_frames(path, every=None)
        times = [t for t, _ in frames]
    skipped = int(str(caught[0].message).split()[0])
    assert 1 <= skipped <= 3 and len(times) == frames.frames_decoded == 100 - skipped
    assert times == sorted(times)


def test_a_truncated_mp4_without_its_index_is_named(tmp_path, toons32):
    path = tmp_path / "cut.mp4"
    write_video(path, toons32.repeat(10, axis=0), fps=10)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])  # the index (moov) comes last in an MP4
    with pytest.raises(VideoDecodeError, match="truncated before its index"):
        read_frames(path)


def test_an_end_past_the_video_is_no_truncation(clip):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(read_frames(clip, end=60))) == 3


def test_without_pyav_the_error_says_how_to_install_it(clip):
    code = ("import sys; sys.modules['av'] = None\n"
            "from toonsklearn.video import read_frames\n"
            f"try:\n    read_frames({clip!r})\n"
            "except ImportError as exc:\n    print(exc)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO_ROOT, check=True)
    assert 'pip install "toonsklearn[video]"' in result.stdout


def test_importing_the_room_imports_neither_pyav_nor_tensorflow():
    code = ("import sys, toonsklearn.video\n"
            "print(sorted({'av', 'tensorflow', 'keras'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO_ROOT, check=True)
    assert result.stdout.strip() == "[]"
