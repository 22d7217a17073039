"""
==================================================
Tom, Jerry, both or neither: a threshold per label
==================================================

A frame may show Tom, Jerry, both of them or neither, so each image gets one yes/no
answer per label. This example reads such labels from the ``ground_truth.csv`` files
:func:`~toonsklearn.datasets.make_toons` writes, trains a
:class:`~toonsklearn.MultiLabelCNN` on a frozen pretrained backbone, and shows why the
default decision threshold of 0.5 fails a *rare* label: it then chooses one threshold
per label with :func:`~toonsklearn.tuning.tune_thresholds` and compares the per-label
scores on held-out images before and after.
"""

# %%
# Labels in a CSV file
# --------------------
# With ``task="multilabel"`` and a ``directory``,
# :func:`~toonsklearn.datasets.make_toons` writes ``train/``, ``validation/`` and
# ``test/`` folders of images, each with a ``ground_truth.csv`` that has one row per
# image and one 0/1 column per label. :func:`~toonsklearn.load_labels_csv` reads it into
# the image paths, the indicator matrix and the table itself (``frame``).
import tempfile
from pathlib import Path

from toonsklearn import load_labels_csv
from toonsklearn.datasets import make_toons

folder = tempfile.mkdtemp()
root = make_toons(2000, task="multilabel", image_size=48, random_state=0,
                  directory=Path(folder, "toons"))
print("\n".join(Path(root, "train", "ground_truth.csv").read_text().splitlines()[:4]))
splits = {split: load_labels_csv(Path(root, split, "ground_truth.csv"))
          for split in ("train", "validation", "test")}
names = splits["train"].target_names
print(names)

# %%
# A rare label
# ------------
# The drawn labels are balanced: Tom and Jerry each appear in half of the images.
# Real annotations seldom are, so we keep only a fifth of the images that show Jerry,
# in every split alike: Jerry becomes a rare label, Tom stays a common one.
import numpy as np
import pandas as pd

rng = np.random.default_rng(0)


def make_jerry_rare(data, keep=0.2):
    """The paths and label columns of ``data``, with most of Jerry's images left out."""
    jerry = data.target[:, names.index("jerry")] == 1
    kept = ~jerry | (rng.random(len(jerry)) < keep)
    return data.paths[kept], data.frame.loc[kept, names].reset_index(drop=True)


X_train, Y_train = make_jerry_rare(splits["train"])
X_val, Y_val = make_jerry_rare(splits["validation"])
X_test, Y_test = make_jerry_rare(splits["test"])
pd.DataFrame({"images": [len(Y_train), len(Y_val), len(Y_test)],
              "tom": [Y_train.tom.sum(), Y_val.tom.sum(), Y_test.tom.sum()],
              "jerry": [Y_train.jerry.sum(), Y_val.jerry.sum(), Y_test.jerry.sum()]},
             index=["train", "validation", "test"])

# %%
# A few of the training images with their labels:
import matplotlib.pyplot as plt
from PIL import Image

fig, axes = plt.subplots(1, 6, figsize=(9, 2), layout="constrained")
for ax, path, (_, row) in zip(axes, X_train, Y_train.iterrows(), strict=False):
    ax.imshow(Image.open(path))
    ax.set_title(" + ".join(name for name in names if row[name]) or "neither", fontsize=9)
    ax.axis("off")
plt.show()

# %%
# The model
# ---------
# :class:`~toonsklearn.MultiLabelCNN` ends in one sigmoid output per label. With
# ``backbone="efficientnet_lite0"`` it puts that head on a frozen EfficientNet-Lite0,
# whose ImageNet weights install with pip, so nothing is downloaded. A small
# ``input_size`` keeps the backbone fast on a CPU (its default, 224×224 pixels, is far
# slower), and ``memory=`` caches the backbone's features of every image, so the
# several fits below compute them only once.
#
# The model is fitted on the label columns of the table (not on the bare matrix), so
# that ``classes_`` holds the label names.
from toonsklearn import MultiLabelCNN

model = MultiLabelCNN(backbone="efficientnet_lite0", input_size=(96, 96), epochs=30,
                      memory=Path(folder, "features"), random_state=0, verbose=0)

# %%
# Choosing the thresholds
# -----------------------
# A threshold has to be chosen on images the model did not train on. The validation
# split alone holds few of Jerry's images, so rather than tune on it,
# :func:`~toonsklearn.tuning.tune_thresholds` works on the training and validation
# images together, by cross-validation: it fits a copy of the model on four fifths of
# them, predicts the probabilities of the fifth it left out, and repeats until every
# image has an *out-of-fold* probability. For each label it then keeps the threshold
# with the best F1 score over those probabilities, and returns the model refitted on
# all the images with ``threshold`` set to one value per label.
from toonsklearn.tuning import tune_thresholds

X_labelled = np.concatenate([X_train, X_val])
Y_labelled = pd.concat([Y_train, Y_val], ignore_index=True)
tuned = tune_thresholds(model, X_labelled, Y_labelled, cv=5)
print({name: round(float(value), 3)
       for name, value in zip(tuned.classes_, tuned.threshold, strict=True)})

# %%
# Before and after, on the test split
# -----------------------------------
# ``threshold`` is read when predicting, not when training, so the same network can be
# judged at 0.5 and at the tuned thresholds: only the last step, comparing each
# probability with its threshold, differs. (In the ``samples avg`` row each image is
# scored on its own; ``zero_division=1`` counts an image that shows neither character,
# and is given no label, as right.)
from sklearn.metrics import classification_report

proba = tuned.predict_proba(X_test)
at_half = (proba >= 0.5).astype(int)
at_tuned = tuned.predict(X_test)
print("threshold 0.5 for every label\n")
print(classification_report(Y_test, at_half, target_names=names, zero_division=1))
print("tuned thresholds\n")
print(classification_report(Y_test, at_tuned, target_names=names, zero_division=1))

# %%
# Trained on few positives, the model learns that Jerry is usually absent and gives
# even the images that show him modest probabilities: at 0.5 it misses many of them,
# so the first report's recall of ``jerry`` falls well short of its precision. A lower
# threshold finds more of them, at the risk of some false alarms.
#
# The threshold curves
# --------------------
# :class:`~toonsklearn.plotting.ThresholdDisplay` draws each label's F1 score on the
# test images against the threshold. On the left the marks sit at 0.5; on the right,
# drawn from the tuned model, they sit at its tuned thresholds. The legend gives each
# label's threshold and its F1 score there.
from toonsklearn.plotting import ThresholdDisplay

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), sharey=True, layout="constrained")
ThresholdDisplay.from_predictions(Y_test, proba, labels=tuned.classes_, threshold=0.5,
                                  ax=left)
left.set_title("threshold 0.5")
ThresholdDisplay.from_estimator(tuned, X_test, Y_test, ax=right)
right.set_title("tuned thresholds")
plt.show()

# %%
# Per-label F1 scores
# -------------------
# The same comparison as a bar chart. The thresholds were chosen on out-of-fold
# probabilities of the training images, not on these test images, so the scores here
# are an honest estimate of what tuning gains on new images.
from sklearn.metrics import f1_score

scores = pd.DataFrame({"0.5": f1_score(Y_test, at_half, average=None),
                       "tuned": f1_score(Y_test, at_tuned, average=None)},
                      index=names)
print(scores.round(3))
ax = scores.plot.bar(rot=0, figsize=(5, 3.5))
ax.set_ylabel("F1 score on the test split")
ax.set_ylim(0, 1)
ax.legend(title="threshold", loc="upper left", bbox_to_anchor=(1, 1))
ax.figure.tight_layout()
plt.show()

# %%
# Another remedy for a rare label is to weigh its positive images more in training,
# with ``class_weight="balanced"``; the threshold still has to be chosen on held-out
# images. See :ref:`multilabel` for the forms multi-label targets take and the other
# metrics :func:`~toonsklearn.tuning.tune_thresholds` can optimise.
