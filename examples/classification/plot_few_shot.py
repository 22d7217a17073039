"""
=====================================
Few-shot: many characters, few images
=====================================

Twenty named characters, and only a handful of images of each: too few to train a
network, enough for a linear head on the features of a frozen, pretrained backbone. This
example trains :class:`~toonsklearn.TransferClassifier` on 1 to 16 images per character
and plots the test accuracy against the number of images, next to a linear model on raw
pixels and to chance. The frozen backbone gives every image the same features in every
fit, so the feature cache (`memory`) runs it once per image, however many fits there are.
"""

# %%
# The cast
# --------
# ``make_toons(task="characters")`` draws the named characters of
# :data:`~toonsklearn.datasets.CAST`, ``"<colour>_<species>_<accessory>"``: each a
# species of :data:`~toonsklearn.datasets.CHARACTERS` in its own body colour, wearing its
# own accessory (or none). Two characters may share a species, a colour or an accessory,
# so telling them apart takes all three; everything else (pose, background, clutter,
# occlusion) is random in every image.
import matplotlib.pyplot as plt
import numpy as np

from toonsklearn.datasets import CAST, make_toons

n_classes = 20
X, y = make_toons(30 * n_classes, task="characters", n_classes=n_classes, image_size=64,
                  random_state=0)
print(n_classes, "characters:", ", ".join(CAST[:n_classes]))

figure, axes = plt.subplots(4, 5, figsize=(10, 8.8), layout="constrained")
for ax, name in zip(axes.flat, CAST[:n_classes], strict=True):
    ax.imshow(X[np.flatnonzero(y == name)[0]])
    ax.set_title(name.replace("_", " "), fontsize="small")
    ax.set_axis_off()
figure.suptitle("One image of each character")
plt.show()

# %%
# A fixed test set, a pool to draw from
# -------------------------------------
# Ten images of each character are set aside for testing; the training images are drawn
# from the other twenty.
from sklearn.model_selection import train_test_split

X_pool, X_test, y_pool, y_test = train_test_split(
    X, y, test_size=10 * n_classes, stratify=y, random_state=0)
print(len(y_pool), "images to draw from,", len(y_test), "test images")


def draw(shots, seed):
    """`shots` random images of each character from the pool."""
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(y_pool == name), shots, replace=False)
              for name in np.unique(y_pool)]
    return np.concatenate(chosen)


# %%
# A light head on a frozen backbone
# ---------------------------------
# With `dense_units` None the head is a single softmax layer on the backbone's 1,280
# pooled features: few weights to learn from few images. There are too few images to
# hold any out, so `validation_fraction` is 0 and early stopping watches the training
# loss. Small batches and a larger learning rate than the default give the head enough
# steps when an epoch is one or two batches.
#
# The images are drawn at 64×64 pixels, and ``input_size=(128, 128)`` enlarges them
# inside the model: the backbone was trained on 224-pixel photos and finds shapes better
# nearer that scale. As `memory` caches the features, the larger size costs little here:
# the backbone runs once over each image, in the first fit that meets it, and every later
# fit and prediction reads the features from the cache.
import os
import tempfile

from toonsklearn import TransferClassifier

cache = os.path.join(tempfile.mkdtemp(), "features")
transfer = TransferClassifier(input_size=(128, 128), dense_units=None, epochs=100,
                              batch_size=8, learning_rate=3e-3, validation_fraction=0,
                              memory=cache, random_state=0, verbose=0)

# %%
# A baseline on pixels
# --------------------
# For comparison, a linear model on the pixels: a ridge classifier on the images scaled
# down to 32×32 and standardised by :class:`~toonsklearn.ImageTransformer`. A character's
# body colour is in its pixels, among those of a random background; its shape and
# accessory, which move and turn from one image to the next, are not in any fixed pixel.
from sklearn.linear_model import RidgeClassifier
from sklearn.pipeline import make_pipeline

from toonsklearn import ImageTransformer

pixels = make_pipeline(ImageTransformer(size=(32, 32), normalize="standardize", flatten=True),
                       RidgeClassifier(alpha=100.0))

# %%
# Accuracy against images per character
# -------------------------------------
# Each number of images per character is drawn three times, with different images, so the
# plot shows how much the accuracy depends on which few images one happens to have.
import pandas as pd
from sklearn.base import clone

rows = []
for shots in (1, 2, 4, 8, 16):
    for seed in range(3):
        train = draw(shots, seed)
        for name, model in (("transfer", transfer), ("pixels", pixels)):
            fitted = clone(model).fit(X_pool[train], y_pool[train])
            rows.append({"images per character": shots, "draw": seed, "model": name,
                         "accuracy": fitted.score(X_test, y_test)})
results = pd.DataFrame(rows)
table = results.pivot_table(index="images per character", columns="model",
                            values="accuracy", aggfunc=["mean", "min", "max"])
print(table.round(3))
n_cached = sum(len(files) for _, _, files in os.walk(cache))  # one file per image
print(n_cached, "images went through the backbone, for", len(results) // 2, "fits")

# %%
# The plot shows the mean of the three draws and, shaded, their range. Read it for how
# the accuracy grows as the images per character double, for the gap between the
# backbone's features and the pixels at each number, and for how far both are above
# chance: the features make shapes and accessories learnable from few examples, which
# the pixels, shifted and rotated in every image, do not. With this few images and these
# small, cluttered drawings, a few-shot model is still far from perfect: more images,
# larger drawings or fine-tuning (see the Tom vs Jerry example) raise it further.
figure, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for name, label in (("transfer", "frozen EfficientNet-Lite0 + linear head"),
                    ("pixels", "ridge classifier on pixels")):
    curve = table.xs(name, axis=1, level="model")
    line, = ax.plot(curve.index, curve["mean"], marker="o", label=label)
    ax.fill_between(curve.index, curve["min"], curve["max"], color=line.get_color(),
                    alpha=0.2)
ax.axhline(1 / n_classes, color="0.5", linestyle=":", label=f"chance (1/{n_classes})")
ax.set_xscale("log", base=2)
ax.set_xticks(table.index, [str(shots) for shots in table.index])
ax.set_xlabel("training images per character")
ax.set_ylabel(f"test accuracy ({n_classes} characters)")
ax.set_ylim(0, None)
ax.legend()
ax.set_title("Few-shot accuracy: mean and range of three draws")
plt.show()
