from fractions import Fraction

import av
import numpy as np
import pytest

from toonsklearn.datasets import make_toons
from toonsklearn.video import write_video


@pytest.fixture(scope="session")
def toons32():
    """Ten 32x32 toons: distinct frames for clips whose content a test can check."""
    return make_toons(10, image_size=32, random_state=0)[0]


@pytest.fixture
def clip(tmp_path, toons32):
    """A 3-second MP4 at 10 fps: toon 0 for the first second, toon 1, then toon 2."""
    path = str(tmp_path / "clip.mp4")
    write_video(path, toons32[:3].repeat(10, axis=0), fps=10)
    return path


def write_timed(path, images, times_ms, codec="libx264"):
    """A Matroska video whose frames are shown at ``times_ms`` (a variable frame rate),
    written with PyAV directly."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=1000)
        stream.height, stream.width = images[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for image, ms in zip(images, times_ms, strict=True):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts, frame.time_base = ms, Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return str(path)


def write_audio(path, seconds=1):
    """A Matroska file with one audio stream and no video."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 8000 * seconds), np.int16),
                                           format="s16", layout="mono")
        frame.sample_rate = 8000
        out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return str(path)
