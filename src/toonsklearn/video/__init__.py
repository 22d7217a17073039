"""Cartoon video: frames out of a video file, and a model's predictions over time.

:func:`~toonsklearn.video.read_frames` streams a frame every few seconds (PyAV, FFmpeg's
Python binding: ``pip install "toonsklearn[video]"``);
:func:`~toonsklearn.video.predict_video` runs a fitted estimator or Pipeline over them
into a timeline table, which :class:`~toonsklearn.plotting.TimelineDisplay` draws;
:func:`~toonsklearn.video.write_video` writes images as a video. Importing this module
imports neither PyAV nor TensorFlow.
"""

from ._frames import read_frames
from ._predict import predict_video
from ._writing import write_video

__all__ = ["predict_video", "read_frames", "write_video"]
