"""
======================================
Who is on screen: a cartoon's timeline
======================================

A model trained on still images answers the question users ask of an episode: when is
Tom on screen, when Jerry, when both. This example trains a multi-label model on
:func:`~toonsklearn.datasets.make_toons` stills, writes a generated "episode" whose
script is known, runs :func:`~toonsklearn.video.predict_video` over it and draws the
timeline with :class:`~toonsklearn.plotting.TimelineDisplay`, beside the script, with
and without smoothing.
"""

# %%
# A model of who is on screen
# ---------------------------
# ``make_toons(task="multilabel")`` draws neither, one or both of Tom and Jerry. A
# :class:`~toonsklearn.MultiLabelCNN` on the offline EfficientNet-Lite0 backbone learns
# them from 1,200 stills; the frozen backbone's features are computed once.
import numpy as np
import pandas as pd

from toonsklearn import MultiLabelCNN
from toonsklearn.datasets import MULTILABEL_NAMES, make_toons

names = list(MULTILABEL_NAMES)
X, Y = make_toons(1200, task="multilabel", image_size=64, random_state=0)
model = MultiLabelCNN(backbone="efficientnet_lite0", epochs=40, random_state=0)
model.fit(X, pd.DataFrame(Y, columns=names))

# %%
# An episode with a script
# ------------------------
# Scenes of a few seconds each, every scene a run of shots of stills the model never
# saw, a new shot every half second, at 10 frames a second. The script says who is on
# screen in each scene.
import os
import tempfile

from toonsklearn.video import write_video

script = [({"tom"}, 4), ({"jerry"}, 3), ({"tom", "jerry"}, 5), (set(), 2), ({"jerry"}, 2),
          ({"tom"}, 3), ({"tom", "jerry"}, 4), ({"tom"}, 2)]
stills, labels = make_toons(800, task="multilabel", image_size=64, random_state=1)
pools = {key: iter(np.flatnonzero((labels == key).all(axis=1)))
         for key in [(0, 0), (0, 1), (1, 0), (1, 1)]}
fps, shot = 10, 0.5
frames, truth = [], []
for on_screen, seconds in script:
    key = tuple(int(name in on_screen) for name in names)
    for _ in range(int(seconds / shot)):
        frames.append(np.repeat(stills[next(pools[key])][None], int(fps * shot), axis=0))
        truth.append(key)
episode = os.path.join(tempfile.mkdtemp(), "episode.mp4")
write_video(episode, np.concatenate(frames), fps=fps)
print(f"{sum(seconds for _, seconds in script)} s episode, {len(truth)} shots, "
      f"{os.path.getsize(episode) / 1e3:.0f} kB")

# %%
# The timeline
# ------------
# One prediction every half second. Each frame is resized to the model's input size as
# a still would be, and the frames go to the model in batches.
from toonsklearn.video import predict_video

timeline = predict_video(model, episode, every=shot)
truth = np.array(truth, dtype=bool)


def recovered(table):
    """The share of the time points where the model names exactly who is on screen."""
    predicted = np.array([[name in row for name in names] for row in table["labels"]])
    return (predicted == truth).all(axis=1).mean()


print(timeline.head().to_string(index=False))
print(f"exactly right at {recovered(timeline):.0%} of {len(timeline)} time points")

# %%
# ``smooth=3`` replaces each frame's probabilities with the median over it and its two
# neighbours: a one-shot mistake inside a scene is outvoted, at the price of a shot's
# delay where a real one-shot appearance would be lost.
smoothed = predict_video(model, episode, every=shot, smooth=3)
print(f"smoothed: exactly right at {recovered(smoothed):.0%}")

# %%
# The script against the model, smoothed and not. The legends give each character's
# screen time.
import matplotlib.pyplot as plt

from toonsklearn.plotting import TimelineDisplay

figure, axes = plt.subplots(3, 1, figsize=(9, 5.5), sharex=True, layout="constrained")
TimelineDisplay(timeline["time"], truth, display_labels=names, step=shot,
                title="the script").plot(ax=axes[0])
TimelineDisplay.from_predictions(timeline, title="predicted", ax=axes[1])
TimelineDisplay.from_predictions(smoothed, title="predicted, smooth=3", ax=axes[2])
plt.show()

# %%
# The same from the command line, with a model saved by ``toonsklearn train``:
#
# .. code-block:: bash
#
#    toonsklearn predict model.toonsklearn episode.mp4 --every 0.5 --smooth 3 \
#        --csv timeline.csv --timeline timeline.png
